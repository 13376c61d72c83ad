"""The ingestion core against the simulator's ground truth, and its parsers on hand-made files.

The simulator runs once per module (it takes about a second); its truth says
which records and files of every delivery the warehouse must quarantine,
reject or tolerate, and how many records and what control sum each file has.
"""

import datetime as dt
import hashlib
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dagster_project.ingest import (
    feeds_of,
    files_table,
    find_deliveries,
    load_delivery,
    pending_folders,
    quarantine_table,
    staging_path,
    write_table_atomic,
)
from dagster_project.ingest.idcheck import (
    resident_check_char,
    resident_id_valid,
    uscc_check_char,
    uscc_valid,
)
from dagster_project.ingest.load import QUARANTINE_SCHEMA
from dagster_project.ingest.records import id_check_failures

# The tests share the module's ingestion runs: on one pytest-xdist worker, they run once.
pytestmark = pytest.mark.xdist_group("ingest_parsers")

ROOT = Path(__file__).resolve().parents[1]
RUN = ["--customers", "400", "--start", "20260129", "--days", "3", "--seed", "7",
       "--redeliver-rate", "0.2", "--late-rate", "0.2", "--unready", "1"]


@dataclass
class Run:
    raw: Path
    truth: Path
    deliveries: list[dict]
    files: list[dict]
    defects: list[dict]
    results: dict  # (system, business_date, delivery) -> DeliveryResult


def _simulate(base: Path, defect_rate: str) -> Run:
    raw, truth = base / "raw", base / "truth"
    subprocess.run([sys.executable, "-m", "dagster_project.cli", "simulate", "--raw", str(raw),
                    "--truth", str(truth), *RUN, "--defect-rate", defect_rate, "--quiet"],
                   cwd=ROOT, check=True, capture_output=True)
    deliveries = pq.read_table(truth / "deliveries.parquet").to_pylist()
    results = {}
    for found in find_deliveries(raw):
        result = load_delivery(found.path)
        results[(result.system, result.business_date, result.delivery)] = result
    for row in deliveries:  # superseded deliveries are kept under the truth dir
        if row["state"] == "superseded":
            result = load_delivery(truth / row["path"], row["system"], row["business_date"])
            results[(result.system, result.business_date, result.delivery)] = result
    return Run(raw, truth, deliveries, pq.read_table(truth / "files.parquet").to_pylist(),
               pq.read_table(truth / "defects.parquet").to_pylist(), results)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    return _simulate(tmp_path_factory.mktemp("defective"), "0.02")


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Run:
    return _simulate(tmp_path_factory.mktemp("clean"), "0")


def _key(row: dict) -> tuple:
    return row["system"], row["business_date"], row["delivery"]


# -- against the truth -------------------------------------------------------------
def test_every_complete_delivery_is_loaded_and_no_unready_one(run):
    complete = {_key(d) for d in run.deliveries if d["state"] in ("complete", "superseded")}
    assert set(run.results) == complete
    unready = [run.raw / d["path"] for d in run.deliveries if d["state"] == "unready"]
    assert unready and sorted(pending_folders(run.raw)) == sorted(unready)
    assert not {f.path for f in find_deliveries(run.raw)} & set(unready)


def _quarantined(run: Run) -> dict[tuple, dict]:
    return {(*key, q["feed"], q["record_no"]): q
            for key, result in run.results.items() for q in quarantine_table(result).to_pylist()}


def test_record_quarantines_equal_truth(run):
    ours = _quarantined(run)
    expected = {(*_key(d), d["feed"], d["record_no"]): d for d in run.defects
                if d["level"] == "record" and _key(d) in run.results}
    assert expected, "the simulator injected no record defects"
    differ = []
    for where in sorted(set(ours) | set(expected), key=str):
        q, d = ours.get(where), expected.get(where)
        if q and d and q["reason"] == d["defect"] and q["record_key"] == d["record_key"]:
            continue
        differ.append((where, d and (d["defect"], d["record_key"]), q and (q["reason"], q["record_key"])))
    assert differ == []
    # Every record-level defect kind the simulator knows was met.
    assert {q["reason"] for q in ours.values()} == {d["defect"] for d in expected.values()}


def test_file_rejections_and_drift_equal_truth(run):
    feeds_by_file = {}
    for f in run.files:
        feeds_by_file.setdefault((*_key(f), f["file"]), []).append(f["feed"])
    rejected, tolerated = set(), set()
    for d in run.defects:
        if d["level"] == "file" and _key(d) in run.results:
            # A workbook's defect rejects all of its sheets.
            target = rejected if d["expected"] == "reject" else tolerated
            target |= {(*_key(d), feed, d["defect"]) for feed in feeds_by_file[(*_key(d), d["file"])]}
    ours_rejected = {(*key, f.feed, f.reason) for key, r in run.results.items() for f in r.rejected}
    ours_drift = {(*key, f.feed, code) for key, r in run.results.items() for f in r.feeds
                  for code, _ in f.drift}
    assert ours_rejected == rejected
    assert ours_drift == tolerated
    assert all(f.status == "loaded" for key, r in run.results.items() for f in r.feeds
               if (*key, f.feed, "EXTRA_COLUMN") in tolerated)
    for result in run.results.values():
        for f in result.rejected:
            assert f.loaded == 0 and f.table.num_rows == 0 and f.quarantine.num_rows == 0
            assert f.message and f.file in f.message


def test_counts_and_control_sums_equal_truth(run):
    with_defects = {(*_key(d), d["feed"]) for d in run.defects}
    for f in run.files:
        if _key(f) not in run.results:
            continue
        result = run.results[_key(f)].feed(f["feed"])
        if result.status == "rejected":
            continue
        assert result.delivered == f["records"] == result.loaded + result.quarantined, f
        assert result.control_sum == f["control_sum"], f
        assert result.table.num_rows == result.loaded and result.quarantine.num_rows == result.quarantined
        if (*_key(f), f["feed"]) not in with_defects:
            assert result.loaded == f["records"], f  # a file the truth calls clean loads whole


def test_loaded_tables_are_typed_and_keep_leading_zeros(run):
    result = run.results[("deposit", dt.date(2026, 1, 31), 1)]
    balance = result.feed("BALANCE").table
    assert balance.schema.field("ledger_balance").type == pa.decimal128(18, 2)
    assert balance.schema.field("acct_no").type == pa.string()
    assert all(a.startswith("00") and len(a) == 19 for a in balance["acct_no"].to_pylist())
    account = result.feed("ACCOUNT").table
    assert account.schema.field("open_date").type == pa.date32()
    assert account.schema.field("interest_rate").type == pa.decimal128(9, 4)
    assert account.schema.field("business_date").type == pa.date32()
    assert set(account["business_date"].to_pylist()) == {dt.date(2026, 1, 31)}
    assert set(account["delivery"].to_pylist()) == {1}
    customer = result.feed("CUSTOMER").table
    assert customer.schema.field("last_update").type == pa.timestamp("us")
    assert any(b.startswith("0") for b in customer["branch_code"].to_pylist())
    for key, r in run.results.items():
        for f in r.feeds:
            spec = next(s for s in feeds_of(key[0]) if s.name == f.feed)
            assert f.table.schema == spec.loaded_schema()
    holders = run.results[("card", dt.date(2026, 1, 31), 1)].feed("cardholder").table
    assert all(h.startswith("0000") for h in holders["holder_id"].to_pylist())
    contracts = run.results[("mortgage", dt.date(2026, 1, 31), 2)].feed("contracts").table
    ids = [i for i in contracts["id_no"].to_pylist() if i]
    assert ids and all(i == i.strip() and i.isascii() for i in ids)  # full width and spaces repaired
    assert contracts.schema.field("loan_amount").type == pa.decimal128(18, 2)
    assert contracts.schema.field("term_months").type == pa.int32()


def test_quarantine_rows_name_file_record_and_reason(run):
    for result in run.results.values():
        table = quarantine_table(result)
        assert table.schema == QUARANTINE_SCHEMA
        for q in table.to_pylist():
            assert q["file"] in q["message"] and str(q["record_no"]) in q["message"]
            assert q["reason"] in q["message"] and q["raw_record"]
        audit = files_table(result)
        assert audit.num_rows == len(feeds_of(result.system))


def test_clean_run_quarantines_and_rejects_nothing(clean):
    assert clean.results
    for result in clean.results.values():
        assert result.unexpected_files == []
        for f in result.feeds:
            assert (f.status, f.quarantined, f.drift) == ("loaded", 0, []), (f.file, f.message)
    for f in clean.files:
        if _key(f) in clean.results:
            assert clean.results[_key(f)].feed(f["feed"]).loaded == f["records"]


# -- check characters ------------------------------------------------------------------
def test_resident_id_check_character():
    assert resident_check_char("11010519491231002") == "X"
    assert resident_check_char("44052418800101001") == "4"
    assert resident_id_valid(["11010519491231002X", "11010519491231002x", "440524188001010014"]).all()
    bad = ["110105194912310021", "44052418800101001X", "1101051949123100X2", "11010519491231002",
           "A1010519491231002X", "１１010519491231002X"]
    assert not resident_id_valid(bad).any()


def test_uscc_check_character():
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert uscc_valid(["91350100M000100Y43", "91350100m000100y43"]).all()
    # Wrong check character; I, O, S, V, Z are not in the code's alphabet; wrong length.
    assert not uscc_valid(["91350100M000100Y44", "91350100M00O100Y43", "91350100M000100Y4"]).any()


def test_which_identity_numbers_are_checked():
    ids = ["11010519491231002X", "110105194912310021", "110105491231002", "E12345678",
           "91350100M000100Y43", "91350100M000100Y44", "11010519491231", None]
    types = ["01", "01", "01", "03", "10", "10", "01", "01"]
    assert id_check_failures(ids, types).tolist() == [False, True, False, False, False, True, True, False]
    # Without an id_type (card, mortgage): an 18-character number is a resident id; others unchecked.
    assert id_check_failures(ids, None).tolist() == [False, True, False, False, True, True, False, False]


# -- parsers on hand-made deliveries ---------------------------------------------------
def _deliver(folder: Path, files: dict[str, bytes], number: int = 1) -> Path:
    folder.mkdir(parents=True)
    lines = [f"delivery {number}"]
    for name, data in sorted(files.items()):
        (folder / name).write_bytes(data)
        lines.append(f"{name} {len(data)} {hashlib.sha256(data).hexdigest()}")
    (folder / "_READY").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _dat(stem: str, records: list[str], trailer: str | None) -> bytes:
    lines = [f"H|DEPOSIT|{stem}|20260131|20260201010000", *records] + ([trailer] if trailer else [])
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def test_deposit_decodes_gbk_before_splitting(tmp_path):
    name = "億万支行"  # 億 is b"\x81|" in GBK: its second byte is the separator
    assert name.encode("gbk")[1:2] == b"|"
    branch = _dat("BRANCH", [f"D|000001|{name}||HEAD|北京", "D|000002|上海分行|000001|TIER1|上海"], "T|2|0.00")
    broken = _dat("FX_RATE", ["D|CNY|1.0000", "D|USD|7.1000|", "D|HKD|0.9x"], "T|3|0.00")
    result = load_delivery(_deliver(tmp_path / "deposit" / "20260131",
                                    {"BRANCH.dat": branch, "FX_RATE.dat": broken}))
    branches = result.feed("BRANCH")
    assert (branches.status, branches.quarantined) == ("loaded", 0)
    assert branches.table["branch_name"].to_pylist() == [name, "上海分行"]
    assert branches.table["parent_code"].to_pylist() == [None, "000001"]
    fx = result.feed("FX_RATE")
    assert [(q["record_no"], q["reason"]) for q in fx.quarantine.to_pylist()] == [(3, "FIELD_COUNT"),
                                                                                  (4, "BAD_NUMBER")]
    assert fx.table["cny_per_unit"].to_pylist() == [Decimal("1.0000")]
    assert result.feed("CUSTOMER").reason == "FILE_MISSING"  # not listed in _READY at all


def test_deposit_bad_bytes_missing_trailer_and_control(tmp_path):
    customer = _dat("CUSTOMER", [], "T|0|0.00")
    account = _dat("ACCOUNT", [], "T|0|0.00")
    balance = _dat("BALANCE", ["D|001|-0.00|0.00|0.00", "D|002|5.00|5.00|0.00"], "T|2|5.00")
    fx = _dat("FX_RATE", ["D|CNY|1.0000"], None)
    branch = _dat("BRANCH", ["D|000001|总行||HEAD|北京"], "T|1|0.00")
    branch = branch.replace("总行".encode("gbk"), b"\xff\xfe")
    result = load_delivery(_deliver(tmp_path / "deposit" / "20260131", {
        "CUSTOMER.dat": customer, "ACCOUNT.dat": account, "BALANCE.dat": balance, "FX_RATE.dat": fx,
        "BRANCH.dat": branch}))
    assert result.feed("FX_RATE").reason == "MISSING_TRAILER"
    q = result.feed("BRANCH").quarantine.to_pylist()
    assert [(r["record_no"], r["reason"], r["record_key"]) for r in q] == [(2, "BAD_ENCODING", "000001")]
    assert "\\xff" in q[0]["raw_record"]
    reasons = [r["reason"] for r in result.feed("BALANCE").quarantine.to_pylist()]
    assert reasons == ["NEGATIVE_AMOUNT", "ORPHAN"]  # a signed zero; no account loaded at all
    assert result.feed("BALANCE").control_sum == Decimal("5.00")


def test_deposit_control_mismatch_rejects_the_whole_file(tmp_path):
    fx = _dat("FX_RATE", ["D|CNY|1.0000", "D|USD|7.1000"], "T|3|0.00")
    result = load_delivery(_deliver(tmp_path / "deposit" / "20260131", {"FX_RATE.dat": fx}))
    f = result.feed("FX_RATE")
    assert (f.status, f.reason, f.loaded, f.delivered) == ("rejected", "CONTROL_MISMATCH", 0, 2)


def test_loan_columns_by_name_quotes_and_drift(tmp_path):
    header = "borrower_id,borrower_type,name,id_type,id_no,mobile,birth_date,annual_income," \
             "industry_code,branch_code,remark"
    rows = ['0000001000,COMPANY,"Acme, ""Ltd""\nBeijing",10,91350100M000100Y43,138,,,C,010101,x',
            "0000001001,PERSON,Li,01,110105491231002,139,1949-12-31,1000.00,,010101,y",
            "0000001002,PERSON,Wu,01,11010519491231002X,139,1949-02-30,1000.00,,010101,z",
            "0000001003,PERSON,Ma,01,11010519491231002X,139,1949-12-31,1000.00,,010101"]
    borrower = ("\ufeff" + "\n".join([header, *rows]) + "\n").encode("utf-8")
    contract = b"contract_no,borrower_id\n"  # lacks most required columns
    files = {"BORROWER.csv": borrower, "BORROWER.ctl": b"record_count=4\namount_sum=0.00\n",
             "CONTRACT.csv": contract, "CONTRACT.ctl": b"record_count=0\namount_sum=0.00\n"}
    result = load_delivery(_deliver(tmp_path / "loan" / "20260131", files))
    b = result.feed("BORROWER")
    assert b.status == "loaded" and [code for code, _ in b.drift] == ["EXTRA_COLUMN"]
    assert b.table["name"].to_pylist() == ['Acme, "Ltd"\nBeijing', "Li"]
    assert b.table["birth_date"].to_pylist() == [None, dt.date(1949, 12, 31)]
    assert [(q["record_no"], q["reason"]) for q in b.quarantine.to_pylist()] == [(5, "BAD_DATE"),
                                                                                 (6, "FIELD_COUNT")]
    assert "remark" not in b.table.column_names
    assert result.feed("CONTRACT").reason == "MISSING_COLUMN"
    position = result.feed("POSITION")
    assert (position.reason, "POSITION.csv") == ("FILE_MISSING", position.file)


def _workbook(contracts: list[list], positions: list[list], control: list[list]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    names = [name for name, _ in feeds_of("mortgage")[0].columns]
    for title, header, rows in (("contracts", names, contracts),
                                ("positions", [n for n, _ in feeds_of("mortgage")[1].columns], positions),
                                ("control", ["sheet", "records", "amount_sum"], control)):
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    sink = io.BytesIO()
    book.save(sink)
    return sink.getvalue()


def test_mortgage_cells_ids_and_workbook_rejection(tmp_path):
    start = dt.datetime(2020, 5, 1)
    contracts = [
        ["MG00100000", "张三", "\u3000１１0105194912310０2Ｘ ", "138", None, "北京", 2e6, 1e6, "FIXED",
         4.9, start, 360, "010101"],
        ["MG00100001", "李四", 110105194912310020, "138", None, "北京", 2e6, 1e6, "FIXED", 4.9, start,
         360, "010101"],
        ["MG00100002", "王五", "11010519491231002X", "138", None, "北京", "2,000,000", 1e6, "FIXED", 4.9,
         "2020-05-01", 360, "010101"],
    ]
    positions = [["MG00100000", 900000.5, 5000, 5000, 0, "1"], ["MG00100001", 1, 1, 1, 0, 1]]
    control = [["contracts", 3, 3e6], ["positions", 2, "900001.50"]]
    folder = _deliver(tmp_path / "mortgage" / "20260131",
                      {"MORTGAGE_202601.xlsx": _workbook(contracts, positions, control)})
    result = load_delivery(folder)
    c, p = result.feed("contracts"), result.feed("positions")
    assert c.table["id_no"].to_pylist() == ["11010519491231002X"]
    assert [(q["record_no"], q["reason"]) for q in c.quarantine.to_pylist()] == [
        (3, "NUMERIC_ID_CELL"), (4, "BAD_DATE")]  # the date comes before the amount text
    assert [(q["record_no"], q["reason"]) for q in p.quarantine.to_pylist()] == [(3, "ORPHAN")]
    assert p.table["outstanding_principal"].to_pylist() == [Decimal("900000.50")]
    assert p.table["five_class"].to_pylist() == ["1"]

    control[1][1] = 3  # one sheet's control fails: the workbook is one file, both sheets go
    folder = _deliver(tmp_path / "again" / "mortgage" / "20260131",
                      {"MORTGAGE_202601.xlsx": _workbook(contracts, positions, control)})
    result = load_delivery(folder)
    assert [(f.status, f.reason) for f in result.feeds] == [("rejected", "CONTROL_MISMATCH")] * 2


def test_card_unreadable_and_control(tmp_path):
    holders = pa.table({"holder_id": ["000000005000"], "name": ["李"], "id_no": ["11010519491231002x"],
                        "mobile": ["138"], "birth_date": pa.array([dt.date(1949, 12, 31)]),
                        "declared_income": pa.array([Decimal("1.00")], pa.decimal128(18, 2)),
                        "branch_code": ["010101"]})
    sink = io.BytesIO()
    pq.write_table(holders, sink)
    control = {"cardholder.parquet": {"records": 1, "amount_sum": "0.00"},
               "card_account.parquet": {"records": 0, "amount_sum": "0.00"}}
    files = {"cardholder.parquet": sink.getvalue(), "card_account.parquet": b"PAR1 garbled",
             "CONTROL.json": json.dumps(control).encode()}
    result = load_delivery(_deliver(tmp_path / "card" / "20260131", files))
    holder = result.feed("cardholder")
    assert (holder.status, holder.loaded) == ("loaded", 1)  # the lower-case x is the same number
    assert result.feed("card_account").reason == "UNREADABLE"
    assert result.feed("card_txn").reason == "FILE_MISSING"


def test_a_folder_without_ready_is_never_found_and_a_bad_manifest_rejects(tmp_path):
    (tmp_path / "raw" / "loan" / "20260131").mkdir(parents=True)
    (tmp_path / "raw" / "loan" / "20260131" / "BORROWER.csv").write_text("half written")
    assert find_deliveries(tmp_path / "raw") == []
    assert pending_folders(tmp_path / "raw") == [tmp_path / "raw" / "loan" / "20260131"]
    with pytest.raises(FileNotFoundError, match="never read"):
        load_delivery(tmp_path / "raw" / "loan" / "20260131")
    (tmp_path / "raw" / "loan" / "20260131" / "_READY").write_text("delivery one\n")
    result = load_delivery(tmp_path / "raw" / "loan" / "20260131")
    assert {f.reason for f in result.feeds} == {"BAD_MANIFEST"}


def test_staging_write_is_atomic_and_replaces(tmp_path):
    path = staging_path(tmp_path / "staging", "deposit_balance", dt.date(2026, 1, 31))
    assert path == tmp_path / "staging" / "deposit_balance" / "20260131.parquet"
    write_table_atomic(pa.table({"a": [1, 2]}), path)
    write_table_atomic(pa.table({"a": [3]}), path)
    assert pq.read_table(path)["a"].to_pylist() == [3]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind
