"""The published BI file: readers never wait for a load nor see half of one, and it holds no personal data.

A small bank is built from its first business date; BI sessions then read the published file while
the next date is loaded and built, one session reconnecting again and again, one left open throughout.
"""

import multiprocessing
import re
import shutil
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import query
from simbank import simulate

from dagster_project import runner, serving, settings
from dagster_project.ingest import manual

# The tests share the module's served bank: on one pytest-xdist worker, it is built once.
pytestmark = pytest.mark.xdist_group("served_bank")

FIRST, SECOND = "20260130", "20260131"


def _snapshot(con: duckdb.DuckDBPyConnection) -> tuple[str, bool]:
    """Which publish a connection reads, and whether every table holds the rows that publish recorded."""
    recorded = con.execute("select published_at, table_name, row_count from serving.published").fetchall()
    (published_at,) = {row[0] for row in recorded}
    whole = all(con.execute(f"select count(*) from {table}").fetchone()[0] == rows for _, table, rows in recorded)
    return str(published_at), whole


def _read_while_loading(path: str, kind: str, stop, reads, results) -> None:
    """A BI session: reads the file until told to stop, reconnecting before each read or on one
    connection opened at the start. (A process of its own: DuckDB shares one open file per process.)"""
    seen, errors = [], []
    # Only the held-open session opens the file up front: a second connection in the same process would be
    # given the same open file, and never see a newer one.
    held = duckdb.connect(path, read_only=True) if kind == "held open" else None
    while not stop.is_set():
        try:
            if kind == "reconnecting":
                with duckdb.connect(path, read_only=True) as con:
                    seen.append((time.time(), *_snapshot(con)))
            else:
                seen.append((time.time(), *_snapshot(held)))
        except Exception as exc:  # noqa: BLE001 - any error at all is what the test looks for
            errors.append(repr(exc))
        reads.value += 1
        time.sleep(0.02)  # a BI tool's pace, not a busy loop taking a core from the load
    results.put((kind, seen, errors))


@pytest.fixture(scope="module")
def served_bank(tmp_path_factory) -> dict:
    """Built from the first date; then, with BI sessions reading, an overrides file carrying personal data
    in free text and the second date are loaded and built. The second date's FX_RATE file arrives damaged
    (a byte more than its _READY says) and is rejected."""
    root = tmp_path_factory.mktemp("served_bank")
    raw, warehouse, later = root / "raw", root / "warehouse", root / "later"
    simulate(raw, root / "truth", "--customers", "120", "--start", FIRST, "--days", "2", "--seed", "11")
    for folder in raw.glob(f"*/{SECOND}"):
        shutil.move(folder, later / folder.relative_to(raw))
    runner.run(raw, warehouse)

    customer, id_no, mobile = query(warehouse, """select customer_id, id_no, mobile from marts.customer_360
                                                  where customer_kind = 'I' order by customer_id limit 1""")[0]
    overrides = manual.source_path(raw)
    overrides.parent.mkdir(parents=True)
    overrides.write_text("customer_code,new_grade,reason,approved_by,effective_date,expiry_date\n"
                         f'{customer},BB,"Called on {mobile}, ID {id_no} checked",Li Wei,2026-01-30,\n'
                         f"{id_no},BB,Typed the identity number,Li Wei,2026-01-30,\n", encoding="utf-8")
    with open(later / "deposit" / SECOND / "FX_RATE.dat", "ab") as damaged:
        damaged.write(b"\n")
    for folder in later.glob(f"*/{SECOND}"):
        shutil.move(folder, raw / folder.relative_to(later))

    spawn = multiprocessing.get_context("spawn")
    stop, results = spawn.Event(), spawn.Queue()
    sessions = {kind: spawn.Value("i", 0) for kind in ("reconnecting", "held open")}
    path = str(serving.bi_path(warehouse))
    processes = [spawn.Process(target=_read_while_loading, args=(path, kind, stop, reads, results))
                 for kind, reads in sessions.items()]
    for process in processes:
        process.start()
    _wait_for_reads(sessions.values())  # both sessions read the first publish before the load starts
    started = time.time()
    summary = runner.run(raw, warehouse)
    finished = time.time()
    _wait_for_reads(sessions.values())  # and both read again after it
    stop.set()
    seen = {kind: (reads, errors) for kind, reads, errors in [results.get(timeout=60) for _ in processes]}
    for process in processes:
        process.join(timeout=60)
    return {"warehouse": warehouse, "truth": root / "truth", "summary": summary, "started": started,
            "finished": finished, **seen}


def _wait_for_reads(counters, more: int = 3, timeout: float = 120) -> None:
    targets = [counter.value + more for counter in counters]
    deadline = time.time() + timeout
    while any(counter.value < target for counter, target in zip(counters, targets, strict=True)):
        assert time.time() < deadline, "the BI sessions stopped reading"
        time.sleep(0.05)


def test_readers_see_the_old_state_then_the_new_never_an_error_or_a_mix(served_bank):
    assert served_bank["summary"].published and not served_bank["summary"].failed_runs
    seen, errors = served_bank["reconnecting"]
    assert errors == []
    assert all(whole for _, _, whole in seen)  # every table as its publish recorded it: never half of one
    publishes = [published for _, published, _ in seen]
    assert len(set(publishes)) == 2 and publishes == sorted(publishes)  # the old state, then the new
    during = [published for at, published, _ in seen if served_bank["started"] < at < served_bank["finished"]]
    assert len(during) > 10  # reading went on while the load and the build ran: nothing waited for them
    with duckdb.connect(str(serving.bi_path(served_bank["warehouse"])), read_only=True) as con:
        assert publishes[-1] == _snapshot(con)[0]  # the new state is the one published last


def test_a_session_left_open_keeps_reading_the_state_it_opened(served_bank):
    seen, errors = served_bank["held open"]
    assert errors == []
    assert len({published for _, published, _ in seen}) == 1
    assert all(whole for _, _, whole in seen)
    first_publish = served_bank["reconnecting"][0][0][1]
    assert seen[-1][1] == first_publish


def _delivered_personal_data(warehouse: Path, truth: Path) -> set[str]:
    """Every identity number and mobile the sources delivered, in every form the extract interface allows
    (18 characters with X or x, the legacy 15 digits), lower-cased for a case-blind search."""
    numbers = {value for (value,) in query(warehouse, """
        select id_no from staging.stg_deposit__customers union select mobile from staging.stg_deposit__customers
        union select id_no from staging.stg_loan__borrowers union select mobile from staging.stg_loan__borrowers
        union select id_no from staging.stg_card__cardholders union select mobile from staging.stg_card__cardholders
        union select id_no from staging.stg_mortgage__contracts union select mobile from staging.stg_mortgage__contracts
        union select co_borrower_id_no from staging.stg_mortgage__contracts""") if value}
    people = pq.read_table(truth / "persons.parquet", columns=["id_no", "mobile"]).to_pylist()
    numbers |= {person[column] for person in people for column in ("id_no", "mobile") if person[column]}
    legacy = {n[:6] + n[8:17] for n in numbers if re.fullmatch(r"\d{17}[\dXx]", n)}
    return {n.lower() for n in numbers | legacy}


def _found(database: Path, needles: set[str]) -> dict[str, int]:
    """For every text column of every table and view in a DuckDB file: the rows containing a needle."""
    found = {}
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("create temp table needles (needle varchar)")
        con.executemany("insert into needles values (?)", [(n,) for n in sorted(needles)])
        columns = con.execute("""select table_schema, table_name, column_name from information_schema.columns
                                 where data_type = 'VARCHAR' and table_catalog = current_database()""").fetchall()
        for schema, table, column in columns:
            hits = con.execute(f'select count(*) from {schema}.{table} as t join needles '
                               f'on contains(lower(t."{column}"), needles.needle)').fetchone()[0]
            if hits:
                found[f"{schema}.{table}.{column}"] = hits
    return found


def test_the_bi_file_holds_no_identity_number_or_mobile_the_sources_delivered(served_bank):
    warehouse = served_bank["warehouse"]
    needles = _delivered_personal_data(warehouse, served_bank["truth"])
    assert len(needles) > 200
    # The same search finds them in the restricted warehouse, in the marts the BI file is made of and in
    # the overrides' free text: it can find what it looks for.
    restricted = _found(warehouse / settings.DUCKDB_FILE, needles)
    for column in ("marts.customer_360.id_no", "marts.dim_customer.mobile", "marts.credit_override_log.reason",
                   "marts.credit_override_log.customer_code", "marts.credit_grade_monthly.override_reason"):
        assert restricted.get(column), column
    assert _found(serving.bi_path(warehouse), needles) == {}


def test_personal_data_is_masked_in_the_display_form_and_the_rest_is_copied_whole(served_bank):
    warehouse = served_bank["warehouse"]
    bi_file = serving.bi_path(warehouse)
    columns = "customer_id, customer_kind, customer_name, id_no, birth_date, mobile, address, total_assets_cny"
    restricted = {row[0]: row for row in query(warehouse, f"select {columns} from marts.customer_360")}
    with duckdb.connect(str(bi_file), read_only=True) as con:
        published = {row[0]: row for row in con.execute(f"select {columns} from marts.customer_360").fetchall()}
        schemas = {schema for (schema,) in con.execute("select schema_name from information_schema.schemata "
                                                       "where catalog_name = current_database()").fetchall()}
        risk_views = {name for (name,) in con.execute("select table_name from information_schema.tables "
                                                      "where table_schema = 'risk'").fetchall()}
    assert published.keys() == restricted.keys()
    for customer, (_, kind, name, id_no, birth, mobile, address, assets) in published.items():
        original = restricted[customer]
        assert assets == original[7]  # money untouched, to the cent
        number = original[3] or ""
        assert (id_no or "") == (number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10
                                 else "*" * len(number))
        assert mobile is None or re.fullmatch(r"\d{3}\*{4}\d{4}", mobile)
        if kind == "I":
            assert name == original[2][0] + "*" * (len(original[2]) - 1)
            assert birth is None or (birth.month, birth.day, birth.year) == (1, 1, original[4].year)
            assert address is None or (address.endswith("****") and address[:-4] in original[6])
        else:  # a company's name and address are not personal data
            assert (name, address) == (original[2], original[6])
    # What BI sees: the marts, the reference seeds, a schema of views per role and the publish record;
    # never the audit trail (raw quarantined records), staging or intermediate.
    assert {"marts", "reference", "risk", "relationship", "management", "serving"} <= schemas
    assert not schemas & {"audit", "staging", "intermediate"}
    assert {"credit_grade_monthly", "credit_watch_list_monthly", "customer_360"} <= risk_views
    assert not bi_file.stat().st_mode & 0o222  # read-only on disk


def test_a_day_without_fx_rates_converts_at_the_latest_rates_before_it(served_bank):
    (rejected,) = served_bank["summary"].rejected
    assert (rejected["file"], rejected["business_date"].strftime("%Y%m%d")) == ("FX_RATE.dat", SECOND)
    warehouse = served_bank["warehouse"]
    before = dict(query(warehouse, f"""select currency, cny_per_unit from staging.stg_deposit__fx_rates
                                       where business_date = strptime('{FIRST}', '%Y%m%d')"""))
    used = query(warehouse, f"""select distinct currency, fx_rate_to_cny from marts.fct_deposit_balance_daily
                                where business_date = strptime('{SECOND}', '%Y%m%d') and currency <> 'CNY'""")
    assert used and all(rate == before[currency] for currency, rate in used)


def test_a_publish_adds_to_the_facts_it_published_and_copies_the_rest_whole(served_bank, tmp_path):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(served_bank["warehouse"], warehouse)
    restricted, bi_file = warehouse / settings.DUCKDB_FILE, serving.bi_path(warehouse)
    manifest = tmp_path / "manifest.json"
    shutil.copyfile(settings.DBT_DIR / "target" / "manifest.json", manifest)
    fact, first = "marts.fct_deposit_balance_daily", f"strptime('{FIRST}', '%Y%m%d')"

    def mark_published_rows() -> None:  # a publish that keeps a date keeps its rows as they were published
        bi_file.chmod(0o644)
        with duckdb.connect(str(bi_file)) as con:
            con.execute(f"update {fact} set acct_no = 'KEPT ' || acct_no")

    def published() -> tuple[dict, bool]:
        """Marked rows, by whether they are of the first date; and whether the fact equals the warehouse's,
        the marks aside."""
        with duckdb.connect(str(bi_file), read_only=True) as con:
            con.execute(f"attach '{restricted}' as restricted (read_only)")
            marked = dict(con.execute(f"select business_date = {first}, count(*) filter (where acct_no like 'KEPT %') "
                                      f"from {fact} group by all").fetchall())
            unmarked = f"select * replace (replace(acct_no, 'KEPT ', '') as acct_no) from {fact}"
            (differing,) = con.execute(f"""select count(*) from (
                ({unmarked} except all select * from restricted.{fact})
                union all (select * from restricted.{fact} except all {unmarked}))""").fetchone()
        return marked, differing == 0

    # The first date redelivered: its pairs change, the second date's do not.
    mark_published_rows()
    with duckdb.connect(str(restricted)) as con:
        con.execute(f"update {fact} set delivery = delivery + 1, ledger_balance = ledger_balance + 1 "
                    f"where business_date = {first}")
    serving.publish(warehouse, manifest)
    marked, level = published()
    assert marked[False] > 0 and marked[True] == 0 and level

    # The fact's model changed since: copied whole.
    mark_published_rows()
    changed = manifest.read_text().replace(serving.publishing_policy(manifest).by_date[fact], "0" * 64)
    manifest.write_text(changed)
    serving.publish(warehouse, manifest)
    assert published() == ({True: 0, False: 0}, True)

    # Rows gone from a date whose pair did not change (a restore, a hand repair): copied whole.
    mark_published_rows()
    with duckdb.connect(str(restricted)) as con:
        con.execute(f"delete from {fact} where acct_no in (select acct_no from {fact} "
                    f"where business_date <> {first} order by acct_no limit 2)")
    serving.publish(warehouse, manifest)
    assert published() == ({True: 0, False: 0}, True)
    assert not bi_file.stat().st_mode & 0o222
