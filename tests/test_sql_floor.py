"""The build floor (dagster_project/bench/sql_floor.py): dbt's compiled SQL of every model, run as one
script beside the real warehouse, day after day, computes the same marts."""

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import query
from simbank import simulate

from dagster_project import runner
from dagster_project.bench.sql_floor import build_floor, compare_marts


@pytest.fixture(scope="module")
def floor_days(tmp_path_factory) -> tuple[Path, Path, list[dict]]:
    """A small bank delivered day by day (a month end, then the next month's first day): after each
    day the warehouse is built, then the floor. Returns the warehouse, the floor and each day's result."""
    root = tmp_path_factory.mktemp("floor_bank")
    delivered = root / "delivered"
    simulate(delivered, root / "truth", "--customers", "200", "--start", "20260131", "--days", "2", "--seed", "5")
    raw, warehouse, floor = root / "raw", root / "warehouse", root / "floor"
    results = []
    with pytest.MonkeyPatch.context() as patch:
        # The great-expectations suites guard the build, they do not change it: off, to keep the test short.
        patch.setenv("BANK360_VALIDATE", "off")
        for day in sorted({folder.name for folder in delivered.glob("*/*") if folder.name.isdigit()}):
            for folder in delivered.glob(f"*/{day}"):
                shutil.copytree(folder, raw / folder.parent.name / day)
            summary = runner.run(raw, warehouse)
            assert not summary.failed_runs, runner.report(summary)
            results.append(build_floor(warehouse, floor))
    return warehouse, floor, results


def marts_of(warehouse: Path) -> list[str]:
    return [name for (name,) in query(warehouse, "select table_name from information_schema.tables "
                                                 "where table_schema = 'marts' and table_type = 'BASE TABLE'")]


def test_the_floor_computes_the_warehouses_marts_every_day(floor_days):
    _, _, results = floor_days
    assert len(results) == 2
    for result in results:
        assert result["mismatches"] == [], result["mismatches"]
        assert result["models"] > 50 and result["statements"] > result["models"]
        assert result["seconds"] > 0 and len(result["slowest"]) == 10


def test_the_second_day_appends_to_the_incremental_models(floor_days):
    """The first day creates every incremental table; the second stages the new rows and
    replaces the target's rows of the same key, as dbt's delete+insert does."""
    warehouse, _, results = floor_days
    script = Path(results[-1]["script"]).read_text(encoding="utf-8")
    fact = '"bank360"."marts"."fct_deposit_balance_daily"'
    assert f"create table {fact}" not in script
    assert f"delete from {fact} where business_date in" in script
    assert f"insert into {fact} by name" in script


def test_the_script_names_each_mart(floor_days):
    warehouse, _, results = floor_days
    script = Path(results[-1]["script"]).read_text(encoding="utf-8")
    marts = marts_of(warehouse)
    assert "customer_360" in marts
    for mart in marts:
        assert f"\n-- {mart}\n" in script or f"\n-- {mart} (" in script, mart


def test_a_mart_the_floor_computed_differently_is_reported(floor_days, tmp_path):
    """On a copy of the floor, so the other tests see it as built."""
    warehouse, floor, _ = floor_days
    shutil.copy(floor / "bank360.duckdb", tmp_path / "bank360.duckdb")
    with duckdb.connect(str(tmp_path / "bank360.duckdb")) as con:
        con.execute("delete from marts.customer_360 "
                    "where customer_id = (select min(customer_id) from marts.customer_360)")
    (real,) = query(warehouse, "select count(*) from marts.customer_360")[0]
    assert compare_marts(warehouse, tmp_path) == [{"table": "marts.customer_360", "warehouse": real, "floor": real - 1}]
