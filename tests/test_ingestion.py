"""Ingestion through real Dagster runs and a real dbt build into a real DuckDB file.

The simulated landing zone is replayed in the order a real one would have
received it (late deliveries after later dates, first deliveries before their
redeliveries), and what the warehouse holds is compared with the simulator's
truth and with a single in-order load of the final deliveries.
"""

import datetime as dt
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
from conftest import query
from dagster import build_sensor_context
from simbank import arrivals, simulate

from dagster_project import runner
from dagster_project.automation import new_deliveries
from dagster_project.ingest import FEEDS, ledger
from dagster_project.resources import Landing


def _visible_state(warehouse: Path) -> dict[str, list]:
    """Every feed's rows as readers see them, in a stable order."""
    state = {}
    for spec in FEEDS:
        table = ledger.visible(warehouse, spec.system, spec.table)
        rows = [] if table is None else table.to_pylist()
        state[spec.table] = sorted(map(repr, rows))
    return state


def test_every_delivery_was_loaded_and_each_file_reconciles(replayed, messy_bank):
    _, warehouse, summaries, *_ = replayed
    _, truth = messy_bank
    loaded = {(s, d, n) for s, d, n in query(warehouse, "select distinct system, business_date, delivery "
                                                         "from audit.file_loads")}
    assert loaded == {(r["system"], r["business_date"], r["delivery"]) for r in arrivals(truth)}
    unbalanced = query(warehouse, "select file, business_date from audit.file_loads where status = 'loaded' "
                                   "and records_delivered <> records_loaded + records_quarantined")
    assert unbalanced == []
    quarantined = query(warehouse, "select f.system, f.business_date, f.delivery, f.feed, f.records_quarantined, "
                                    "count(q.record_no) "
                                    "from audit.file_loads f left join audit.quarantine q using "
                                    "(system, business_date, delivery, file, feed) where f.status = 'loaded' "
                                    "group by all having f.records_quarantined <> count(q.record_no)")
    assert quarantined == []
    assert not any(s.failed_runs for s in summaries)


def test_quarantine_matches_truth_record_by_record(replayed, messy_bank):
    _, warehouse, *_ = replayed
    _, truth = messy_bank
    expected = {(d["system"], d["business_date"], d["delivery"], d["file"], d["record_no"], d["defect"])
                for d in pq.read_table(truth / "defects.parquet").to_pylist()
                if d["level"] == "record" and d["expected"] == "quarantine"}
    unready = {(r["system"], r["business_date"]) for r in pq.read_table(truth / "deliveries.parquet").to_pylist()
               if r["state"] == "unready"}
    expected = {e for e in expected if e[:2] not in unready}
    found = set(query(warehouse, "select system, business_date, delivery, file, record_no, reason "
                                  "from audit.quarantine"))
    assert found == expected
    assert {e[-1] for e in expected} >= {"ORPHAN", "DUPLICATE_KEY", "BAD_ENCODING", "FIELD_COUNT"}


def test_rejected_and_tolerated_files_match_truth(replayed, messy_bank):
    _, warehouse, summaries, *_ = replayed
    _, truth = messy_bank
    defects = [d for d in pq.read_table(truth / "defects.parquet").to_pylist() if d["level"] == "file"]
    expected = {(d["system"], d["business_date"], d["delivery"], d["feed"], d["defect"])
                for d in defects if d["expected"] == "reject"}
    # A rejected workbook takes both of its sheets with it.
    expected |= {(s, d, n, "positions", code) for s, d, n, feed, code in expected if s == "mortgage"}
    found = set(query(warehouse, "select system, business_date, delivery, feed, reason from audit.file_loads "
                                  "where status = 'rejected'"))
    assert found == expected and expected
    drift = {(d["system"], d["business_date"], d["delivery"], d["file"])
             for d in defects if d["expected"] == "tolerate"}
    assert set(query(warehouse, "select system, business_date, delivery, file from audit.file_loads "
                                 "where drift is not null and drift <> ''")) == drift
    # The run that met a rejected file said so, and exited non-zero.
    assert any(s.rejected for s in summaries) and all(s.exit_status() == 1 for s in summaries if s.rejected)


def test_replay_ends_in_the_state_of_a_single_in_order_load(replayed, built_bank):
    _, warehouse, *_ = replayed
    assert _visible_state(warehouse) == _visible_state(built_bank)
    newest = "select system, business_date, delivery, file, record_no, reason from audit.quarantine " \
             "where (system, business_date, delivery) in (select system, business_date, max(delivery) " \
             "from audit.file_loads group by all)"
    assert sorted(query(warehouse, newest)) == sorted(query(built_bank, newest))


def test_rerunning_everything_changes_nothing(replayed, tmp_path):
    raw, warehouse, *_ = replayed
    copy = tmp_path / "warehouse"
    shutil.copytree(warehouse, copy)
    before_rows = query(copy, "select count(*) from audit.file_loads")
    state = _visible_state(copy)
    again = runner.run(raw, copy, everything=True)
    assert not again.failed_runs and again.loads
    assert _visible_state(copy) == state
    assert query(copy, "select count(*) from audit.file_loads") == before_rows
    # Nothing pending afterwards: a plain run loads nothing.
    assert runner.run(raw, copy).loads == []


def test_folder_without_ready_is_never_loaded_or_requested(replayed):
    raw, warehouse, summaries, *_ = replayed
    unready = [f for f in raw.glob("*/*") if not (f / "_READY").exists()]
    assert len(unready) == 1 and unready[0] in summaries[-1].unready
    system, day = unready[0].parent.name, dt.datetime.strptime(unready[0].name, "%Y%m%d").date()
    assert query(warehouse, f"select count(*) from audit.file_loads where system = '{system}' "
                             f"and business_date = '{day}'") == [(0,)]
    landing = Landing(raw_dir=str(raw), warehouse_dir=str(warehouse))
    requests = list(new_deliveries(build_sensor_context(resources={"landing": landing})))
    assert requests == []  # everything complete is loaded; the unfinished folder is left alone


def test_sensor_requests_one_run_per_new_complete_delivery(messy_bank, tmp_path):
    source_raw, _ = messy_bank
    landing = Landing(raw_dir=str(source_raw), warehouse_dir=str(tmp_path / "empty"))
    requests = list(new_deliveries(build_sensor_context(resources={"landing": landing})))
    complete = [f for f in source_raw.glob("*/*") if (f / "_READY").exists()]
    assert len(requests) == len(complete)
    assert {r.job_name for r in requests} == {"ingest_deposit", "ingest_loan", "ingest_card", "ingest_mortgage"}
    assert {r.partition_key for r in requests if r.job_name == "ingest_mortgage"} == {"2026-01-01"}


def test_a_killed_load_leaves_nothing_half_visible_and_the_next_run_completes(tmp_path):
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    simulate(raw, tmp_path / "truth", "--customers", "30000", "--start", "20260131", "--days", "1", "--seed", "5")
    command = [sys.executable, "-m", "dagster_project.cli", "run", "--raw", str(raw), "--warehouse", str(warehouse)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    caught = None
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline and caught is None:
        # Kill the load the moment staging files exist for a delivery that is not committed yet.
        for staged in (warehouse / "staging").glob("*/*/delivery_*.parquet"):
            system = staged.parent.parent.name.split("_")[0]
            day = dt.datetime.strptime(staged.parent.name, "%Y%m%d").date()
            if not ledger.commit_path(warehouse, system, day, 1).exists():
                process.send_signal(signal.SIGKILL)
                caught = (system, day)
                break
        time.sleep(0.005)
    process.wait(timeout=60)
    assert caught, "the load finished before it could be killed mid-delivery"

    # Half a delivery is on disk, but no reader sees it.
    newest = ledger.newest_commits(warehouse)
    assert (caught[0], f"{caught[1]:%Y%m%d}") not in newest
    for spec in FEEDS:
        table = ledger.visible(warehouse, spec.system, spec.table)
        for row in [] if table is None else table.select(["business_date", "delivery"]).to_pylist():
            assert newest[(spec.system, f"{row['business_date']:%Y%m%d}")] == row["delivery"]

    resumed = runner.run(raw, warehouse)
    assert not resumed.failed_runs
    clean = tmp_path / "clean"
    runner.run(raw, clean)
    assert _visible_state(warehouse) == _visible_state(clean)
    assert sorted(query(warehouse, "select system, business_date, file, status, records_loaded "
                                    "from audit.file_loads")) == \
        sorted(query(clean, "select system, business_date, file, status, records_loaded from audit.file_loads"))


def test_only_the_dbt_steps_their_checks_and_the_publish_touch_duckdb_and_their_pool_has_one_slot(replayed):
    from dagster_project.definitions import defs
    from dagster_project.settings import DUCKDB_POOL

    _, warehouse, *_ = replayed
    pools = {node.name: node.pool for job in ("ingest_deposit", "warehouse_build")
             for node in defs.resolve_job_def(job).graph.node_defs}
    assert {name for name, pool in pools.items() if pool == DUCKDB_POOL} == {
        "staging_models", "warehouse_models", "staging_expectations", "marts_expectations", "serving__bank360_bi"}
    assert pools["deposit_delivery"] is None  # ingestion writes Parquet only
    with runner.instance_for(warehouse) as instance:
        assert instance.event_log_storage.get_concurrency_info(DUCKDB_POOL).limit == 1


def test_daily_schedule_asks_for_yesterday_only_when_it_is_not_loaded(replayed, tmp_path):
    from dagster import build_schedule_context

    from dagster_project.automation import schedules
    from dagster_project.definitions import defs

    raw, warehouse, *_ = replayed
    by_name = {s.name: s for s in schedules}

    def requests(name: str, at: dt.datetime, where: Path) -> list:
        landing = Landing(raw_dir=str(raw), warehouse_dir=str(where))
        context = build_schedule_context(resources={"landing": landing}, scheduled_execution_time=at,
                                         repository_def=defs.get_repository_def())
        return list(by_name[name].evaluate_tick(context).run_requests or [])

    morning = dt.datetime(2026, 1, 31, 6)
    assert requests("daily_deposit", morning, warehouse) == []  # 30 January is loaded
    missing = requests("daily_deposit", morning, tmp_path / "empty")
    assert [r.partition_key for r in missing] == ["2026-01-30"]
    monthly = requests("daily_mortgage", dt.datetime(2026, 2, 1, 6), tmp_path / "empty")
    assert [r.partition_key for r in monthly] == ["2026-01-01"]


def test_unreadable_manifest_is_rejected_once_and_not_requested_again(messy_bank, tmp_path):
    source_raw, _ = messy_bank
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    folder = raw / "deposit" / "20260130"
    shutil.copytree(source_raw / "deposit" / "20260130", folder)
    (folder / "_READY").write_text("this is not a manifest\n", encoding="utf-8")
    first = runner.run(raw, warehouse, build=False)
    assert {r["reason"] for r in first.rejected} == {"BAD_MANIFEST"} and first.exit_status() == 1
    landing = Landing(raw_dir=str(raw), warehouse_dir=str(warehouse))
    assert list(new_deliveries(build_sensor_context(resources={"landing": landing}))) == []
    assert runner.run(raw, warehouse, build=False).loads == []
