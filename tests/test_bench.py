"""`bank360 bench`: a real bench of a small bank, two days, every floor measured on the second; and its measuring
tools."""

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import duckdb
import pytest
from conftest import query
from dagster import DagsterInstance, RunsFilter

from dagster_project.bench import chart, tables
from dagster_project.bench.measure import measured
from dagster_project.bench.sql_floor import compare_marts

# The tests share one bench: on one pytest-xdist worker, it runs once.
pytestmark = pytest.mark.xdist_group("bench")


def _bench(work, out, floor_day: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dagster_project.cli", "bench", "--customers", "300", "--days", "2",
                           "--work", str(work), "--out", str(out), "--floor-days", str(floor_day)], check=True,
                          capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    """Floors on day two, the harder day: it starts from a built warehouse and adds to it."""
    root = tmp_path_factory.mktemp("bench")
    printed = _bench(root / "work", root / "bench.json", floor_day=2)
    return root, json.loads((root / "bench.json").read_text()), printed.stdout


def test_measured_holds_the_peak_of_the_whole_process_tree():
    # The parent holds next to nothing; the child it starts writes 400 MB and holds them for a second.
    child = "import time; block = b'x' * (400 * 1024**2); time.sleep(1)"
    run = measured([sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"])
    assert 0.38 < run.peak_gb < 1.0
    assert run.seconds >= 1
    with pytest.raises(RuntimeError, match="exited with 3"):
        measured([sys.executable, "-c", "raise SystemExit(3)"])


def test_every_day_is_measured_stage_by_stage(bench_run):
    _, summary, _ = bench_run
    assert [day["day"] for day in summary["days_run"]] == [1, 2]
    for day in summary["days_run"]:
        assert day["records"] > 1000
        assert set(day["build"]["steps"]) == {"dbt", "validation", "publish", "report"}
        assert all(seconds > 0 for seconds in day["build"]["steps"].values())
        assert day["build"]["orchestration"] > 0
        assert day["ingest"]["peak_gb"] > 0.1 and day["build"]["peak_gb"] > 0.1
        dbt = day["build"]["dbt"]
        assert 0 < dbt["elapsed"] < day["build"]["steps"]["dbt"] and dbt["slowest"] and day["published_rows"] > 0
        assert dbt["node_seconds"]["model"] > 0 and dbt["node_seconds"]["test"] > 0
    first, second = summary["days_run"]
    # Ingestion judged every record the plain pandas load read from the same files.
    assert second["records"] == second["floors"]["pandas"]["records"] and not first["floors"]
    assert second["sizes_mb"]["staging"] > first["sizes_mb"]["staging"]
    assert second["sizes_mb"]["duckdb"] > first["sizes_mb"]["duckdb"]
    assert summary["simulate"]["seconds"] > 0 and summary["versions"]["duckdb"].startswith("1.")


def test_floors_are_measured_on_the_same_state(bench_run):
    _, summary, printed = bench_run
    floors = summary["days_run"][1]["floors"]
    assert floors["bare_read_seconds"] > 0 and floors["pandas"]["seconds"] > 0
    # The bench stops if the script built other marts than the build: it got here, so they match.
    assert floors["sql_script"]["seconds"] > 0 and floors["sql_script"]["slowest"]
    assert "| day 1 |" in printed and "| day 2 |" in printed
    assert "later days at most" in printed and "orchestration and checks" in printed
    assert printed.count("\n| 1 |") == 0 and printed.count("\n| 2 |") == 1  # the floors table


def test_the_floor_script_builds_every_mart_and_replaces_only_the_new_day(bench_run):
    root, _, _ = bench_run
    marts = [name for (name,) in query(root / "work" / "warehouse", "select table_name from information_schema.tables "
                                       "where table_schema = 'marts' and table_type = 'BASE TABLE'")]
    script = (root / "work" / "floor_day2.sql").read_text()
    assert not (root / "work" / "floor_day1.sql").exists()
    for name in marts:
        assert f"\n-- {name}\n" in script or f"\n-- {name} (" in script
    # A table is built whole again; an incremental fact stages the new day and replaces its rows, as dbt does.
    assert 'create or replace table "bank360"."marts"."customer_360"' in script
    assert 'delete from "bank360"."marts"."fct_deposit_balance_daily"' in script
    assert 'create table "bank360"."marts"."fct_deposit_balance_daily"' not in script


def test_a_floor_that_built_other_marts_is_caught(bench_run, tmp_path):
    root, _, _ = bench_run
    warehouse = root / "work" / "warehouse"
    shutil.copyfile(warehouse / "bank360.duckdb", tmp_path / "bank360.duckdb")
    assert compare_marts(warehouse, tmp_path) == []
    with duckdb.connect(str(tmp_path / "bank360.duckdb")) as con:
        rows = con.execute("select count(*) from marts.customer_360").fetchone()[0]
        con.execute("delete from marts.customer_360 where customer_id in "
                    "(select customer_id from marts.customer_360 order by customer_id limit 3)")
    assert compare_marts(warehouse, tmp_path) == [{"table": "marts.customer_360", "warehouse": rows,
                                                   "floor": rows - 3}]


def test_a_bench_stopped_part_way_resumes_and_flags_the_interrupted_day(bench_run):
    root, summary, _ = bench_run
    first, second = summary["days_run"]
    # As if the bench had been stopped during day two: its record never written, its marker left.
    results = root / "work" / "results.jsonl"
    results.write_text(results.read_text().splitlines()[0] + "\n")
    assert (root / "work" / "day_started").read_text() == "2"
    with DagsterInstance.from_config(str(root / "work" / "warehouse" / "dagster")) as instance:
        builds = len(instance.get_run_records(RunsFilter(job_name="warehouse_build")))
    printed = _bench(root / "work", root / "again.json", floor_day=1).stdout  # day two again, without floors
    again = json.loads((root / "again.json").read_text())["days_run"]
    assert again[0] == first  # day one is not measured again
    assert again[1]["interrupted"] and not first["interrupted"] and again[1]["records"] == second["records"]
    with DagsterInstance.from_config(str(root / "work" / "warehouse" / "dagster")) as instance:
        assert len(instance.get_run_records(RunsFilter(job_name="warehouse_build"))) == builds + 1
    assert "day 2 was interrupted and resumed" in printed and "| day 2 |" not in printed
    # Its extracts are of one bank: resuming with another size is refused, naming the folder.
    other = subprocess.run([sys.executable, "-m", "dagster_project.cli", "bench", "--customers", "400", "--days", "2",
                            "--work", str(root / "work")], capture_output=True, text=True, timeout=120)
    assert other.returncode == 2 and "holds a bank of 300 customers, 2 days, seed 1" in other.stderr


def test_the_charts_draw_every_stage_of_every_day(bench_run):
    _, summary, _ = bench_run
    marks = ET.fromstring(chart.by_day(summary)).findall(".//{http://www.w3.org/2000/svg}rect[@class='mark']")
    drawn = {(m.get("data-category"), m.get("data-series")): float(m.get("data-value")) for m in marks}
    for day in summary["days_run"]:
        assert drawn[(str(day["day"]), "ingest")] == round(day["ingest"]["seconds"], 1)
        assert drawn[(str(day["day"]), "dbt")] == round(day["build"]["steps"]["dbt"], 1)
    assert tables.end_to_end(summary["days_run"][0]) == pytest.approx(
        sum(value for (category, _), value in drawn.items() if category == "1"), abs=0.3)
    assert ET.fromstring(chart.by_size([summary])).findall(".//{http://www.w3.org/2000/svg}rect[@class='mark']")
