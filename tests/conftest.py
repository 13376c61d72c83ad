"""Shared fixtures: simulated banks written by the real simulator into temporary folders."""

import os
import shutil
from pathlib import Path

import duckdb
import pytest
from simbank import arrivals, arrived_folder, simulate

from dagster_project import runner
from dagster_project.ingest import manual

os.environ.setdefault("DO_NOT_TRACK", "1")  # dbt's usage tracking hangs without a network

# Expensive fixtures shared by tests: the tests using one run on the same pytest-xdist worker,
# so it is built once (a session or module fixture is built again on every worker that needs it).
# Fixtures of several modules are grouped here; a module's own puts its tests in one group (`pytestmark`).
SHARED_FIXTURES = {"replayed": "messy_warehouses", "built_bank": "messy_warehouses", "batches": "clean_bank",
                   "graded_bank": "graded_bank", "overrides_bank": "overrides_bank", "backup_bank": "backup_bank"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        groups = {SHARED_FIXTURES[name] for name in item.fixturenames if name in SHARED_FIXTURES}
        marked = {marker.args[0] for marker in item.iter_markers("xdist_group")}
        # Two groups would make a third (pytest-xdist joins their names): each fixture built on two workers.
        assert len(groups | marked) <= 1, f"{item.nodeid} is in the groups {groups | marked}: merge them"
        for group in groups - marked:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def messy_bank(tmp_path_factory) -> tuple[Path, Path]:
    """Three days of a small bank across a month end, with every defect kind, redeliveries, late and
    unfinished deliveries."""
    root = tmp_path_factory.mktemp("messy_bank")
    simulate(root / "raw", root / "truth", "--customers", "300", "--start", "20260130", "--days", "3",
             "--seed", "11", "--defect-rate", "0.02", "--redeliver-rate", "0.3", "--late-rate", "0.3",
             "--unready", "1")
    return root / "raw", root / "truth"


def query(warehouse: Path, sql: str) -> list[tuple]:
    """Rows of a query on the warehouse's DuckDB file, opened read-only as a BI tool would."""
    with duckdb.connect(str(warehouse / "bank360.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def xref_of(warehouse: Path) -> dict[tuple[str, str], str]:
    """(source_system, source_customer_id) -> customer_id, as the warehouse says now."""
    rows = query(warehouse, "select source_system, source_customer_id, customer_id from marts.customer_xref")
    return {(system, source_id): customer for system, source_id, customer in rows}


# Each customer's contribution months, the customer named by their first source record (customer
# numbers are minted in arrival order, so two warehouses of the same deliveries may number them apart).
TIER_SNAPSHOT = """
    select months.month_start, records.first_record, months.abc_segment, months.customer_tier,
           months.contribution_cny, months.contribution_score
    from marts.customer_contribution_monthly as months
    join (select customer_id, min(source_system || ':' || source_customer_id) as first_record
          from marts.customer_xref group by customer_id) as records using (customer_id)
    order by all"""


@pytest.fixture(scope="session")
def replayed(messy_bank, tmp_path_factory):
    """Deliveries arrive one by one, as a landing zone receives them; `bank360 run` loads what is
    pending after each arrival, and builds the warehouse after a third of them, two thirds, and
    all (late deliveries and redeliveries then meet incremental builds).
    Returns raw, warehouse, run summaries, and after each build the customer_xref and the
    contribution snapshots (customer_contribution_monthly)."""
    source_raw, truth = messy_bank
    root = tmp_path_factory.mktemp("replayed")
    raw, warehouse = root / "raw", root / "warehouse"
    summaries, xrefs, tiers = [], [], []
    order = arrivals(truth)
    builds = {len(order) // 3, 2 * len(order) // 3, len(order) - 1}
    for index, row in enumerate(order):
        target = raw / row["system"] / f"{row['business_date']:%Y%m%d}"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(arrived_folder(source_raw, truth, row), target)
        summaries.append(runner.run(raw, warehouse, build=index in builds))
        if index in builds:
            xrefs.append(xref_of(warehouse))
            tiers.append(query(warehouse, TIER_SNAPSHOT))
    # The folder still being written arrives too, without its _READY.
    for folder in source_raw.glob("*/*"):
        if not (folder / "_READY").exists():
            shutil.copytree(folder, raw / folder.parent.name / folder.name)
    summaries.append(runner.run(raw, warehouse))
    return raw, warehouse, summaries, xrefs, tiers


@pytest.fixture(scope="session")
def built_bank(messy_bank, tmp_path_factory) -> Path:
    """The same final deliveries, loaded and built once, in business-date order."""
    source_raw, _ = messy_bank
    warehouse = tmp_path_factory.mktemp("built_bank") / "warehouse"
    runner.run(source_raw, warehouse)
    return warehouse


@pytest.fixture(scope="session")
def graded_bank(tmp_path_factory) -> Path:
    """Four days across a month end: January graded on the 31st, February (running) on the 2nd. A risk
    officer then downgrades a customer by three notches from February 1st, with a reason a spreadsheet
    would run as a formula: the override, and the grade drop it fires, reach the grades exported.
    Read by the credit-grade export's tests and the monthly report's."""
    root = tmp_path_factory.mktemp("graded_bank")
    raw, warehouse = root / "raw", root / "warehouse"
    simulate(raw, root / "truth", "--customers", "300", "--start", "20260130", "--days", "4", "--seed", "7")
    runner.run(raw, warehouse)
    customer, grade = query(warehouse, """
        select grades.customer_id, scale.grade from marts.credit_grade_monthly as grades
        join reference.credit_master_scale as scale on scale.notch = grades.system_notch + 3
        where grades.month_start = '2026-02-01' and grades.system_notch <= 7 order by grades.customer_id limit 1""")[0]
    overrides = manual.source_path(raw)
    overrides.parent.mkdir(parents=True)
    overrides.write_text("customer_code,new_grade,reason,approved_by,effective_date,expiry_date\n"
                         f'{customer},{grade},"=HYPERLINK(""http://example.invalid"")",Chen Jing,2026-02-01,\n',
                         encoding="utf-8")
    runner.run(raw, warehouse)
    return warehouse
