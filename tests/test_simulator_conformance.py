"""The simulator's deliveries against extract-spec.md, read by an independent reader.

``spec_reader`` is written from the interface contract alone; these tests run
``bank360 simulate`` and check that what it writes is what the contract says,
and that its ground truth (docs/simulator.md) tells the truth about it.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

# The tests share the module's simulated banks: on one pytest-xdist worker, each is simulated once.
pytestmark = pytest.mark.xdist_group("conformance")

try:  # tests may or may not be a package
    from . import spec_reader as sr
except ImportError:
    import spec_reader as sr

ROOT = Path(__file__).resolve().parents[1]
START, DAYS, SEED, CUSTOMERS = "20260129", 3, 7, 400
DATES = ["20260129", "20260130", "20260131"]  # crosses the January month end
MONTH_END = "20260131"
DEFECT_OPTIONS = ["--defect-rate", "0.02", "--redeliver-rate", "0.2", "--late-rate", "0.2",
                  "--unready", "1"]

# docs/simulator.md, "Which format can carry which defect".
ALL = {"deposit", "loan", "card", "mortgage"}
CARRIED_BY = {
    "FIELD_COUNT": {"deposit", "loan"},
    "BAD_DATE": {"deposit", "loan", "mortgage"},
    "BAD_NUMBER": {"deposit", "loan", "mortgage"},
    "BAD_ENCODING": {"deposit"},
    "ID_CHECK": ALL,
    "UNKNOWN_CODE": ALL,
    "DUPLICATE_KEY": ALL,
    "ORPHAN": ALL,
    "NEGATIVE_AMOUNT": ALL,
    "NUMERIC_ID_CELL": {"mortgage"},
    "CHECKSUM_MISMATCH": ALL,
    "SIZE_MISMATCH": ALL,
    "FILE_MISSING": ALL,
    "CONTROL_MISMATCH": ALL,
    "MISSING_TRAILER": {"deposit"},
    "MISSING_COLUMN": {"loan", "card", "mortgage"},
    "UNREADABLE": {"card", "mortgage"},
    "EXTRA_COLUMN": {"loan"},
}
RECORD_KINDS = {"FIELD_COUNT", "BAD_DATE", "BAD_NUMBER", "BAD_ENCODING", "ID_CHECK", "UNKNOWN_CODE",
                "DUPLICATE_KEY", "ORPHAN", "NEGATIVE_AMOUNT", "NUMERIC_ID_CELL"}
FILE_KINDS = {"CHECKSUM_MISMATCH", "SIZE_MISMATCH", "FILE_MISSING", "CONTROL_MISMATCH",
              "MISSING_TRAILER", "MISSING_COLUMN", "UNREADABLE"}
CUSTOMER_FEED = {"deposit": ("CUSTOMER", "cif_no"), "loan": ("BORROWER", "borrower_id"),
                 "card": ("cardholder", "holder_id"), "mortgage": ("contracts", "mortgage_no")}


def simulate(raw: Path, truth: Path, *extra: str) -> None:
    cmd = [sys.executable, "-m", "dagster_project.cli", "simulate", "--raw", str(raw), "--truth", str(truth),
           "--customers", str(CUSTOMERS), "--start", START, "--days", str(DAYS), "--seed", str(SEED), *extra]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"


def ymd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def rows_of(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


@dataclass
class Run:
    raw: Path
    truth: Path

    # -- the landing zone as found ---------------------------------------
    @cached_property
    def raw_folders(self) -> dict[tuple[str, str], Path]:
        return {(s.name, d.name): d for s in sorted(self.raw.iterdir()) if s.is_dir()
                for d in sorted(s.iterdir()) if d.is_dir()}

    @cached_property
    def raw_deliveries(self) -> dict[tuple[str, str], sr.Delivery]:
        return {(system, date): sr.read_delivery(folder, system, date)
                for (system, date), folder in self.raw_folders.items()}

    @cached_property
    def raw_findings(self) -> dict[tuple[str, str], sr.Findings]:
        return {key: sr.find_defects(d) for key, d in self.raw_deliveries.items()}

    def feeds(self):
        for (system, date), delivery in self.raw_deliveries.items():
            for feed in delivery.feeds.values():
                yield system, date, feed

    # -- the truth ---------------------------------------------------------
    @cached_property
    def deliveries(self) -> list[dict]:
        return rows_of(self.truth / "deliveries.parquet")

    @cached_property
    def files(self) -> list[dict]:
        return rows_of(self.truth / "files.parquet")

    @cached_property
    def defects(self) -> list[dict]:
        return rows_of(self.truth / "defects.parquet")

    @cached_property
    def persons(self) -> dict[int, dict]:
        return {p["person_id"]: p for p in rows_of(self.truth / "persons.parquet")}

    @cached_property
    def source_customers(self) -> dict[tuple[str, str], int]:
        return {(r["source_system"], r["source_customer_id"]): r["person_id"]
                for r in rows_of(self.truth / "source_customers.parquet")}

    def folder_of(self, row: dict) -> Path:
        return (self.truth if row["state"] == "superseded" else self.raw) / row["path"]

    @cached_property
    def readable(self) -> dict[tuple[str, str, int], tuple[sr.Delivery, sr.Findings]]:
        """Every delivery the warehouse may read (complete or superseded), read and judged."""
        out = {}
        for row in self.deliveries:
            if row["state"] in ("complete", "superseded"):
                date = ymd(row["business_date"])
                delivery = sr.read_delivery(self.folder_of(row), row["system"], date)
                out[(row["system"], date, row["delivery"])] = (delivery, sr.find_defects(delivery))
        return out

    def truth_defects(self, level: str, injected: bool | None = None) -> list[dict]:
        return [d for d in self.defects if d["level"] == level
                and (injected is None or d["injected"] == injected)]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Run:
    base = tmp_path_factory.mktemp("clean")
    simulate(base / "raw", base / "truth")
    return Run(base / "raw", base / "truth")


@pytest.fixture(scope="module")
def clean_again(tmp_path_factory) -> Run:
    base = tmp_path_factory.mktemp("clean_again")
    simulate(base / "raw", base / "truth")
    return Run(base / "raw", base / "truth")


@pytest.fixture(scope="module")
def defect(tmp_path_factory) -> Run:
    base = tmp_path_factory.mktemp("defect")
    simulate(base / "raw", base / "truth", *DEFECT_OPTIONS)
    return Run(base / "raw", base / "truth")


def problems_of(findings: dict, kinds: set[str]) -> list:
    return [(key, feed, no, sorted(codes & kinds))
            for key, f in findings.items() for (_file, feed), recs in f.records.items()
            for no, codes in recs.items() if codes & kinds]


# ==========================================================================
# Clean run: the deliveries follow the contract
# ==========================================================================


def test_clean_every_folder_is_ready_and_matches_its_manifest(clean):
    assert clean.raw_folders
    for (system, date), folder in clean.raw_folders.items():
        assert (folder / sr.READY).is_file(), f"{system}/{date} has no _READY"
        number, _ = sr.read_manifest(folder)
        assert number == 1, f"{system}/{date}: first delivery numbered {number}"
        assert sr.verify_manifest(folder) == [], f"{system}/{date}"


def test_clean_folders_hold_exactly_the_spec_files(clean):
    assert {p.name for p in clean.raw.iterdir()} == set(sr.SYSTEMS)
    for system in ("deposit", "loan", "card"):
        assert sorted(d for s, d in clean.raw_folders if s == system) == DATES, system
    for (system, date), folder in clean.raw_folders.items():
        present = {p.name for p in folder.iterdir()} - {sr.READY}
        assert present == sr.expected_files(system, date), f"{system}/{date}"
        assert set(sr.read_manifest(folder)[1]) == present, f"{system}/{date}: _READY must list every file"


def test_clean_reader_notes_nothing_off_spec(clean):
    notes = {key: d.notes for key, d in clean.raw_deliveries.items() if d.notes}
    assert notes == {}


def test_clean_no_file_problems(clean):
    problems = {key: d.file_problems for key, d in clean.raw_deliveries.items() if d.file_problems}
    assert problems == {}


def test_clean_deposit_header_and_trailer(clean):
    for (system, date), folder in clean.raw_folders.items():
        if system != "deposit":
            continue
        for file, name in sr.DEPOSIT_FILES.items():
            df = sr.read_deposit_file(folder / file)
            where = f"deposit/{date}/{file}"
            assert df.problems == [] and df.bad_lines == [], where
            assert df.header[:4] == ["H", "DEPOSIT", name, date] and len(df.header) == 5, where
            assert len(df.header[4]) == 14 and df.header[4].isdigit(), where
            dt.datetime.strptime(df.header[4], "%Y%m%d%H%M%S")
            assert df.trailer is not None, f"{where}: no trailer"
            count, total = df.trailer
            assert int(count) == len(df.records), where
            column = sr.TABLES["deposit"][name].control
            expected = Decimal("0.00")
            if column:
                index = sr.TABLES["deposit"][name].columns.index(column)
                expected = sum((Decimal(fields[index]) for _, fields in df.records), Decimal("0.00"))
            assert total == f"{expected:.2f}", where


def test_clean_deposit_field_counts(clean):
    for (system, date), folder in clean.raw_folders.items():
        if system != "deposit":
            continue
        for file, name in sr.DEPOSIT_FILES.items():
            width = len(sr.TABLES["deposit"][name].columns)
            df = sr.read_deposit_file(folder / file)
            wrong = [no for no, fields in df.records if len(fields) != width]
            assert wrong == [], f"deposit/{date}/{file}: lines with a field count other than {width}"


def test_clean_deposit_fx_rate_has_cny_at_one(clean):
    for date in DATES:
        df = sr.read_deposit_file(clean.raw_folders[("deposit", date)] / "FX_RATE.dat")
        assert ["CNY", "1.0000"] in [fields for _, fields in df.records], date


def test_clean_deposit_optional_fields(clean):
    for _system, date, feed in clean.feeds():
        for r in feed.records:
            v = r.values
            if feed.name == "CUSTOMER":
                corporate = v["cust_type"] == "C"
                assert (v["gender"] == "") == corporate, (date, r.no)
                assert (v["birth_date"] == "") == corporate, (date, r.no)
                assert (v["id_type"] == "10") == corporate, (date, r.no)
            if feed.name == "ACCOUNT":
                assert (v["maturity_date"] == "") == (v["product_code"] == "DD01"), (date, r.no)


def test_clean_branch_hierarchy(clean):
    for date in DATES:
        feed = clean.raw_deliveries[("deposit", date)].feeds["BRANCH"]
        codes = {r.values["branch_code"] for r in feed.records}
        for r in feed.records:
            head = r.values["level"] == "HEAD"
            assert (r.values["parent_code"] == "") == head, (date, r.no)
            assert head or r.values["parent_code"] in codes, (date, r.no)
        assert [r.values["level"] for r in feed.records].count("HEAD") == 1


def test_clean_loan_headers_controls_and_dates(clean):
    for (system, date), folder in clean.raw_folders.items():
        if system != "loan":
            continue
        for file, name in sr.LOAN_FILES.items():
            table = sr.TABLES["loan"][name]
            lf = sr.read_loan_csv(folder / file)
            where = f"loan/{date}/{file}"
            assert lf.problems == [], where
            assert tuple(lf.header) == table.columns, where
            assert all(len(fields) == len(lf.header) for _, fields in lf.rows), where
            ctl = sr.read_ctl(folder / (file[:-4] + ".ctl"))
            assert ctl["record_count"] == len(lf.rows), where
            total = Decimal("0.00")
            if table.control:
                i = lf.header.index(table.control)
                total = sum((Decimal(f[i]) for _, f in lf.rows), Decimal("0.00"))
            assert ctl["amount_sum"] == total, where
            for column in table.dates:
                i = lf.header.index(column)
                for no, fields in lf.rows:
                    values = dict(zip(lf.header, fields, strict=True))
                    if fields[i] or not sr.may_be_empty(table, column, values):
                        assert dt.date.fromisoformat(fields[i]).isoformat() == fields[i], (where, no, column)
            # The control file holds exactly two lines.
            lines = (folder / (file[:-4] + ".ctl")).read_text(encoding="utf-8").splitlines()
            assert [x.split("=")[0] for x in lines] == ["record_count", "amount_sum"], where


def arrow_kind(t: pa.DataType) -> str:
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_timestamp(t):
        return f"timestamp(tz={t.tz})"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    return str(t)


def test_clean_card_schema_types(clean):
    for (system, date), folder in clean.raw_folders.items():
        if system != "card":
            continue
        for file, name in sr.CARD_FILES.items():
            table = sr.TABLES["card"][name]
            schema = pq.read_schema(folder / file)
            assert tuple(schema.names) == table.columns, f"card/{date}/{file}"
            for column in table.columns:
                if column in table.amounts:
                    expected = "decimal(18,2)"
                elif column in table.dates:
                    expected = "date32[day]"
                elif column in table.timestamps:
                    expected = "timestamp(tz=None)"
                elif column in table.integers:
                    expected = "int32"
                else:
                    expected = "string"
                actual = arrow_kind(schema.field(column).type)
                assert actual == expected, f"card/{date}/{file}: {column} is {actual}, spec {expected}"


def test_clean_card_control_json_matches(clean):
    for (system, date), folder in clean.raw_folders.items():
        if system != "card":
            continue
        card = sr.read_card(folder)
        assert card.unreadable == {} and card.control is not None, date
        for file, name in sr.CARD_FILES.items():
            entry = card.control.get(name, card.control.get(file))
            assert entry is not None, f"card/{date}: CONTROL.json lacks {name}"
            assert isinstance(entry["amount_sum"], str), f"card/{date}/{name}: amount_sum not a string"
            _, rows = card.tables[file]
            column = sr.TABLES["card"][name].control
            total = sum((row[column] for row in rows), Decimal("0.00")) if column else Decimal("0.00")
            assert entry["records"] == len(rows), f"card/{date}/{name}"
            assert entry["amount_sum"] == f"{total:.2f}", f"card/{date}/{name}"


def test_clean_card_statements_are_cut_on_cycle_day(clean):
    for date in DATES:
        feeds = clean.raw_deliveries[("card", date)].feeds
        cycle = {r.values["card_acct_no"]: r.values["cycle_day"] for r in feeds["card_account"].records}
        day = dt.datetime.strptime(date, "%Y%m%d").date()
        for r in feeds["card_statement"].records:
            assert r.values["statement_date"] == day, (date, r.no)
            assert cycle[r.values["card_acct_no"]] == day.day, (date, r.no)


def test_clean_card_txn_amounts_positive_and_mcc_four_chars(clean):
    for date in DATES:
        for r in clean.raw_deliveries[("card", date)].feeds["card_txn"].records:
            assert r.values["amount"] > 0, (date, r.no)
            assert isinstance(r.values["mcc"], str) and len(r.values["mcc"]) == 4, (date, r.no)


def test_clean_mortgage_only_at_month_end(clean):
    dates = sorted(d for s, d in clean.raw_folders if s == "mortgage")
    assert dates == [d for d in DATES if sr.is_month_end(d)] == [MONTH_END]
    assert {p.name for p in clean.raw_folders[("mortgage", MONTH_END)].iterdir()} == {
        sr.READY, "MORTGAGE_202601.xlsx"}


def test_clean_mortgage_sheets_and_control(clean):
    sheets = sr.read_mortgage(clean.raw_folders[("mortgage", MONTH_END)] / "MORTGAGE_202601.xlsx")
    assert list(sheets) == list(sr.MORTGAGE_SHEETS)
    for name in ("contracts", "positions"):
        assert tuple(sheets[name].header) == sr.TABLES["mortgage"][name].columns, name
    control = sheets["control"]
    assert control.header == ["sheet", "records", "amount_sum"]
    assert sorted(values[0] for _, values, _ in control.rows) == ["contracts", "positions"]
    for _, (sheet, records, amount_sum), _types in control.rows:
        table = sr.TABLES["mortgage"][sheet]
        i = table.columns.index(table.control)
        total = sum((Decimal(str(v[i])).quantize(sr.CENT) for _, v, _ in sheets[sheet].rows), Decimal("0.00"))
        assert int(records) == len(sheets[sheet].rows), sheet
        assert Decimal(str(amount_sum)).quantize(sr.CENT) == total, sheet
    # No record is hidden after an empty row: Excel rows are consecutive.
    for name in ("contracts", "positions"):
        assert [no for no, _, _ in sheets[name].rows] == list(range(2, 2 + len(sheets[name].rows))), name


def test_clean_mortgage_cell_types(clean):
    """Ids are text cells, dates date cells, amounts and numbers numeric cells."""
    delivery = clean.raw_deliveries[("mortgage", MONTH_END)]
    for feed in delivery.feeds.values():
        table = feed.table
        for r in feed.records:
            for column in table.text_ids:
                allowed = {"s", ""} if sr.may_be_empty(table, column, r.values) else {"s"}
                assert r.types[column] in allowed, (feed.name, r.no, column, r.values[column])
            for column in table.dates:
                assert r.types[column] == "d", (feed.name, r.no, column)
            for column in table.amounts + table.rates + table.integers:
                assert r.types[column] == "n", (feed.name, r.no, column)


def test_clean_identity_numbers_pass_their_check(clean):
    assert problems_of(clean.raw_findings, {"ID_CHECK", "NUMERIC_ID_CELL"}) == []
    checked = Counter()
    for system, _date, feed in clean.feeds():
        for r in feed.records:
            for column in feed.table.id_columns:
                value = r.values.get(column)
                if isinstance(value, str) and sr.RESIDENT_18.fullmatch(sr.normalise_id(value)):
                    assert sr.resident_id_ok(sr.normalise_id(value)), (system, feed.name, r.no, value)
                    checked[system] += 1
    assert set(checked) == set(sr.SYSTEMS), checked


def test_clean_code_values_within_spec_sets(clean):
    assert problems_of(clean.raw_findings, {"UNKNOWN_CODE"}) == []


def test_clean_dates_numbers_and_encoding_parse(clean):
    assert problems_of(clean.raw_findings, {"BAD_DATE", "BAD_NUMBER", "BAD_ENCODING", "FIELD_COUNT"}) == []


def test_clean_no_orphans(clean):
    assert problems_of(clean.raw_findings, {"ORPHAN"}) == []
    assert {k: v for f in clean.raw_findings.values() for k, v in f.unloadable_orphans.items() if v} == {}


def test_clean_no_duplicate_keys(clean):
    assert problems_of(clean.raw_findings, {"DUPLICATE_KEY"}) == []


def test_clean_amounts_non_negative(clean):
    assert problems_of(clean.raw_findings, {"NEGATIVE_AMOUNT"}) == []


# ==========================================================================
# Clean run against its ground truth
# ==========================================================================


def test_clean_truth_has_no_defects(clean):
    assert clean.defects == []
    assert [f for f in clean.files if f["file_defect"] is not None] == []


def test_clean_truth_deliveries_are_the_raw_folders(clean):
    rows = {(r["system"], ymd(r["business_date"])): r for r in clean.deliveries}
    assert len(rows) == len(clean.deliveries)
    assert set(rows) == set(clean.raw_folders)
    for key, row in rows.items():
        assert row["state"] == "complete" and row["delivery"] == 1, row
        assert (clean.raw / row["path"]).resolve() == clean.raw_folders[key].resolve(), row


def test_clean_truth_files_match_what_the_reader_counts(clean):
    by_feed = {}
    for system, date, feed in clean.feeds():
        by_feed[(system, date, 1, feed.file, feed.name)] = sr.control_total(feed)
    truth = {}
    for f in clean.files:
        key = (f["system"], ymd(f["business_date"]), f["delivery"], f["file"], f["feed"])
        assert key not in truth, f"files.parquet repeats {key}"
        truth[key] = (f["records"], f["control_sum"])
    assert set(truth) == set(by_feed)
    for key, (records, total, complete) in by_feed.items():
        assert complete, key
        assert truth[key] == (records, total), key


def test_clean_every_source_customer_is_in_truth(clean):
    missing = []
    for system, (table, column) in CUSTOMER_FEED.items():
        for (s, date), delivery in clean.raw_deliveries.items():
            if s != system:
                continue
            for r in delivery.feeds[table].records:
                if (system, r.values[column]) not in clean.source_customers:
                    missing.append((system, date, r.values[column]))
    assert missing == []


def test_clean_identity_numbers_match_truth_persons(clean):
    compared = Counter()
    for system, (table, column) in CUSTOMER_FEED.items():
        for (s, date), delivery in clean.raw_deliveries.items():
            if s != system:
                continue
            for r in delivery.feeds[table].records:
                person = clean.persons[clean.source_customers[(system, r.values[column])]]
                if "id_type" in r.values:
                    assert r.values["id_type"] == person["id_type"], (system, date, r.no)
                if person["id_type"] != "01":
                    continue
                source = sr.canonical_resident_id(r.values["id_no"])
                assert source == person["id_no"], (system, date, r.no, r.values["id_no"])
                compared[system] += 1
    assert set(compared) == set(sr.SYSTEMS), compared


def test_clean_ids_stay_text_with_leading_zeros(clean):
    truth_ids = pq.read_schema(clean.truth / "source_customers.parquet").field("source_customer_id").type
    assert arrow_kind(truth_ids) == "string"
    for system, date, feed in clean.feeds():
        for column in feed.table.text_ids:
            if feed.system == "card":
                assert arrow_kind(feed.schema.field(column).type) == "string", (feed.name, column)
            for r in feed.records:
                value = r.values.get(column)
                assert value is None or isinstance(value, str), (system, date, feed.name, r.no, column)
    # Ids with leading zeros keep them all the way into the truth.
    zeros = [(s, i) for (s, i) in clean.source_customers if i.startswith("0")]
    for system, (table, column) in CUSTOMER_FEED.items():
        delivered = {r.values[column] for (s, _d), d in clean.raw_deliveries.items() if s == system
                     for r in d.feeds[table].records}
        assert {i for s, i in zeros if s == system} <= delivered


def test_same_seed_gives_the_same_bytes(clean, clean_again):
    def digests(run: Run) -> dict[str, str]:
        files = sorted(p for p in run.raw.rglob("*") if p.is_file())
        return {str(p.relative_to(run.raw)): sr.sha256_of(p) for p in files}

    first, second = digests(clean), digests(clean_again)
    assert first.keys() == second.keys()
    differing = sorted(name for name in first if first[name] != second[name])
    assert differing == []


# ==========================================================================
# Defect run: every declared defect is really there, and nothing else is
# ==========================================================================


def _where(row: dict) -> str:
    return (f"{row['system']}/{ymd(row['business_date'])} delivery {row['delivery']} {row['file']}"
            f"[{row['feed']}] #{row['record_no']} key={row['record_key']}: {row['defect']}")


def _judged(run: Run, row: dict):
    return run.readable.get((row["system"], ymd(row["business_date"]), row["delivery"]))


def test_defect_run_declares_only_kinds_the_formats_carry(defect):
    assert defect.defects, "no defects in a run with --defect-rate 0.02"
    for row in defect.defects:
        assert row["system"] in CARRIED_BY.get(row["defect"], ()), _where(row)
        level, expected = (("record", "quarantine") if row["defect"] in RECORD_KINDS else
                           ("file", "reject") if row["defect"] in FILE_KINDS else ("file", "tolerate"))
        assert (row["level"], row["expected"]) == (level, expected), _where(row)
        assert row["injected"] or row["defect"] == "ORPHAN", _where(row)


def test_defect_run_every_kind_a_format_carries_appears(defect):
    seen = {(r["system"], r["defect"]) for r in defect.defects if r["injected"]}
    wanted = {(system, kind) for kind, systems in CARRIED_BY.items() for system in systems}
    # The workbook is one file a month and a file carries one defect per delivery:
    # a three-day run has room for one mortgage file defect (docs/simulator.md).
    mortgage_files = {(s, k) for s, k in wanted if s == "mortgage" and k in FILE_KINDS}
    assert sorted(wanted - mortgage_files - seen) == []
    assert mortgage_files & seen


def test_defect_run_injected_record_defects_are_visible(defect):
    unseen = []
    for row in defect.truth_defects("record", injected=True):
        judged = _judged(defect, row)
        if judged is None:
            continue  # an unready delivery: nobody may read it yet
        _, findings = judged
        codes = findings.records.get((row["file"], row["feed"]), {}).get(row["record_no"], set())
        if row["defect"] not in codes:
            unseen.append(f"{_where(row)} (reader sees {sorted(codes)})")
    assert unseen == []


def test_defect_run_orphan_consequences_are_visible(defect):
    """injected=False ORPHANs: the parent is carried by no loadable record."""
    unseen = []
    for row in defect.truth_defects("record", injected=False):
        judged = _judged(defect, row)
        if judged is None:
            continue
        _, findings = judged
        key = (row["file"], row["feed"])
        if row["record_no"] not in findings.unloadable_orphans.get(key, set()) and \
                "ORPHAN" not in findings.records.get(key, {}).get(row["record_no"], set()):
            unseen.append(_where(row))
    assert unseen == []


def test_defect_run_file_defects_are_visible(defect):
    unseen = []
    for row in defect.truth_defects("file"):
        judged = _judged(defect, row)
        if judged is None:
            continue
        delivery, _ = judged
        if row["defect"] not in delivery.file_problems.get(row["file"], set()):
            unseen.append(f"{_where(row)} (reader sees {delivery.file_problems})")
    assert unseen == []


def test_defect_run_every_record_problem_seen_is_in_truth(defect):
    """The truth is complete: no record the reader must quarantine goes undeclared."""
    declared = {(r["system"], ymd(r["business_date"]), r["delivery"], r["file"], r["feed"], r["record_no"])
                for r in defect.truth_defects("record")}
    undeclared = []
    for (system, date, number), (delivery, findings) in defect.readable.items():
        rejected = sr.rejected_files(delivery)
        for (file, feed), recs in findings.records.items():
            if file in rejected:
                continue
            orphans = findings.unloadable_orphans.get((file, feed), set())
            for no in sorted(set(recs) | orphans):
                if (system, date, number, file, feed, no) not in declared:
                    undeclared.append(f"{system}/{date} delivery {number} {file}[{feed}] #{no}: "
                                      f"{sorted(recs.get(no, {'ORPHAN'}))}")
    assert undeclared == []


def test_defect_run_every_file_problem_seen_is_in_truth(defect):
    declared = {(r["system"], ymd(r["business_date"]), r["delivery"], r["file"], r["defect"])
                for r in defect.truth_defects("file")}
    undeclared = [f"{system}/{date} delivery {number} {file}: {code}"
                  for (system, date, number), (delivery, _) in defect.readable.items()
                  for file, codes in delivery.file_problems.items() for code in sorted(codes)
                  if (system, date, number, file, code) not in declared]
    assert undeclared == []


def test_defect_run_record_keys_name_their_records(defect):
    wrong = []
    for row in defect.truth_defects("record"):
        judged = _judged(defect, row)
        if judged is None or row["record_key"] is None:
            continue
        delivery, _ = judged
        feed = next((f for f in delivery.feeds.values() if (f.file, f.name) == (row["file"], row["feed"])),
                    None)
        if feed is None:
            wrong.append(f"{_where(row)}: no such file/feed")
            continue
        record = next((r for r in feed.records if r.no == row["record_no"]), None)
        if record is None or str(record.values.get(feed.table.key)) != row["record_key"]:
            wrong.append(f"{_where(row)}: record holds {record and record.values.get(feed.table.key)!r}")
    assert wrong == []


def test_defect_run_files_table_matches_the_reader(defect):
    """files.parquet counts every written record of every readable file."""
    wrong = []
    for f in defect.files:
        judged = defect.readable.get((f["system"], ymd(f["business_date"]), f["delivery"]))
        if judged is None:
            continue
        delivery, _ = judged
        feed = delivery.feeds.get(f["feed"])
        if feed is None or feed.file != f["file"]:
            if f["file_defect"] not in ("FILE_MISSING", "UNREADABLE", "MISSING_COLUMN"):
                wrong.append(f"{f}: reader finds no such feed")
            continue
        records, total, complete = sr.control_total(feed)
        if f["file_defect"] in ("CHECKSUM_MISMATCH", "SIZE_MISMATCH"):
            continue  # the bytes were damaged after the count was taken
        if records != f["records"] or (complete and total != f["control_sum"]):
            wrong.append(f"{f}: reader counts {records} records, sum {total}")
    assert wrong == []


def test_unready_deliveries_have_no_ready(defect):
    unready = [r for r in defect.deliveries if r["state"] == "unready"]
    assert len(unready) == 1
    last = max(r["business_date"] for r in defect.deliveries)
    for row in unready:
        folder = defect.raw / row["path"]
        assert folder.is_dir() and not (folder / sr.READY).exists(), row
        assert row["business_date"] == last, row


def test_complete_deliveries_are_the_ready_raw_folders(defect):
    complete = {}
    for row in defect.deliveries:
        if row["state"] == "complete":
            key = (row["system"], ymd(row["business_date"]))
            assert key not in complete, f"two complete deliveries of {key}"
            complete[key] = row
            folder = defect.raw / row["path"]
            assert folder.resolve() == defect.raw_folders[key].resolve(), row
            assert sr.read_manifest(folder)[0] == row["delivery"], row
    ready = {key for key, folder in defect.raw_folders.items() if (folder / sr.READY).is_file()}
    assert ready == set(complete)


def test_superseded_deliveries_are_kept_under_truth(defect):
    superseded = [r for r in defect.deliveries if r["state"] == "superseded"]
    assert superseded, "a run with --redeliver-rate 0.2 supersedes some delivery"
    for row in superseded:
        folder = defect.truth / row["path"]
        assert folder.is_dir() and (folder / sr.READY).is_file(), row
        assert sr.read_manifest(folder)[0] == row["delivery"], row
        newer = [r for r in defect.deliveries if (r["system"], r["business_date"]) ==
                 (row["system"], row["business_date"]) and r["delivery"] > row["delivery"]]
        assert newer, f"nothing replaces {row}"
        assert min(r["arrival_seq"] for r in newer) > row["arrival_seq"], row


def test_some_deliveries_arrive_late(defect):
    by_arrival = sorted(defect.deliveries, key=lambda r: r["arrival_seq"])
    assert sorted(r["arrival_seq"] for r in defect.deliveries) == list(range(1, len(by_arrival) + 1))
    late = [r for i, r in enumerate(by_arrival) if r["delivery"] == 1
            and any(later["business_date"] < r["business_date"] for later in by_arrival[i + 1:]
                    if later["delivery"] == 1)]
    assert late


def test_truth_never_lives_under_raw(defect, clean):
    for run in (defect, clean):
        raw, truth = run.raw.resolve(), run.truth.resolve()
        assert raw not in truth.parents and raw != truth
        assert {p.name for p in raw.iterdir()} <= set(sr.SYSTEMS)
        stray = [p for p in raw.rglob("*.parquet")
                 if p.relative_to(raw).parts[0] != "card" or p.name not in sr.CARD_FILES]
        assert stray == []
        assert not any("superseded" in p.parts for p in raw.rglob("*"))
        names = {"persons.parquet", "source_customers.parquet", "deliveries.parquet", "files.parquet",
                 "defects.parquet", "defaults.parquet"}
        assert names <= {p.name for p in truth.iterdir()}


def test_every_card_status_fits_the_simulated_accounts():
    """A card charged off after seven missed cycles is delivered CHARGED_OFF, not cut to fit the
    array it is kept in (seen only after months of history: 'CHARGED_OF' was quarantined)."""
    import numpy as np

    from dagster_project.simulator.world import World

    card = next(system for system in World(50, 1, np.datetime64("2026-01-31")).systems if system.system == "card")
    for status in ("ACTIVE", "BLOCKED", "CLOSED", "CHARGED_OFF"):
        card.accounts["status"][0] = status
        assert card.accounts["status"][0] == status
