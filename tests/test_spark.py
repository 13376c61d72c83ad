"""The same pipeline on Apache Spark (docs/scale-out.md): `bank360 run --engine spark` loads the
deliveries, builds every model on a local Spark session from the staging Parquet, and runs the same
great-expectations suites on what Spark wrote; every mart then equals the DuckDB build's, row for row,
amounts to the cent."""

import shutil

import duckdb
import pyarrow.parquet as pq
import pytest
from simbank import simulate

from dagster_project import runner, settings, spark_tables, validation
from dagster_project.validation import history

pytestmark = pytest.mark.xdist_group("spark_bank")

# Timestamps of the build that wrote a row (a record's move between customers is valid from the build
# that made it): they differ between any two builds.
BUILD_TIMES = {"valid_from", "valid_to", "recorded_at", "recorded_through"}


@pytest.fixture(scope="module")
def banks(tmp_path_factory):
    """A small bank across a month end, with defects, late deliveries and redeliveries, built once on
    each engine from its own load of the same deliveries."""
    assert shutil.which("java"), "Spark needs Java 17 (Debian: apt-get install default-jre-headless)"
    root = tmp_path_factory.mktemp("spark_bank")
    simulate(root / "raw", root / "truth", "--customers", "80", "--start", "20260130", "--days", "3", "--seed", "5",
             "--defect-rate", "0.02", "--redeliver-rate", "0.3", "--late-rate", "0.3")
    summaries = {engine: runner.run(root / "raw", root / engine, engine=engine) for engine in ("duckdb", "spark")}
    return root, summaries


def _compared(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int, int]:
    """(rows, rows only DuckDB built, rows only Spark built) of a mart; doubles to 9 significant digits
    (the order of a floating-point sum differs between engines), every other type exactly."""
    columns = con.execute("select column_name, data_type from duckdb_columns() where database_name = 'duck' "
                          "and schema_name = 'marts' and table_name = ?", [table]).fetchall()

    def value(column: str, kind: str) -> str:
        if kind == "DOUBLE":
            return f"round({column}, 8 - cast(floor(log10(abs(nullif({column}, 0)))) as integer))"
        return f"cast({column} as {kind})"

    select = ", ".join(value(c, kind) for c, kind in columns if not (kind == "TIMESTAMP" and c in BUILD_TIMES))
    both = f"select {select} from duck.marts.{table}", f"select {select} from spark.marts.{table}"
    rows = con.execute(f"select count(*) from duck.marts.{table}").fetchone()[0]
    only = [con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0] for a, b in (both, both[::-1])]
    return rows, *only


def test_spark_builds_every_mart_as_duckdb_does(banks):
    root, summaries = banks
    for engine, summary in summaries.items():
        assert not summary.failed_runs and not summary.expectations_failed, (engine, summary.failed_runs)
        assert summary.loads, engine
    # Published only from DuckDB; Spark's tables are read through the views over its Parquet.
    assert summaries["duckdb"].published and not summaries["spark"].published
    with duckdb.connect() as con:
        con.execute(f"attach '{root / 'duckdb' / settings.DUCKDB_FILE}' as duck (read_only)")
        con.execute(f"attach '{spark_tables.views_path(root / 'spark')}' as spark (read_only)")
        marts = [t for (t,) in con.execute("select table_name from duckdb_tables() where database_name = 'duck' "
                                           "and schema_name = 'marts' order by 1").fetchall()]
        assert len(marts) > 25
        compared = {table: _compared(con, table) for table in marts}
    assert {table: counts for table, counts in compared.items() if counts[1:] != (0, 0)} == {}
    assert sum(rows for rows, _, _ in compared.values()) > 10_000


def test_the_suites_validate_what_spark_wrote(banks):
    """Every staging and mart suite ran on the Spark build's own tables, and a value changed in one of
    them fails its suite: the validation path really reads Spark's files."""
    root, _ = banks
    warehouse = root / "spark"
    for layer in ("staging", "marts"):
        results = [row for path in (warehouse / history.VALIDATIONS / layer).rglob("*.parquet")
                   for row in pq.read_table(path).to_pylist()]
        assert {row["suite"] for row in results} == {f"{layer}.{model}" for model in validation.suite_names(layer)}
        assert all(row["success"] for row in results), layer
    # One cent more on every balance of a copy of the deposit fact: it no longer reconciles to staging.
    broken = root / "broken"
    shutil.copytree(warehouse / "spark", broken / "spark")
    fact = spark_tables.table_paths(broken)["marts.fct_deposit_balance_daily"]
    with duckdb.connect() as con:
        for part in fact.rglob("*.parquet"):
            changed = part.with_name("changed.parquet")
            con.execute("copy (select * replace (cast(ledger_balance + 0.01 as decimal(18,2)) as ledger_balance) "
                        f"from '{part}') to '{changed}' (format parquet)")
            changed.replace(part)
    outcome, = validation.validate_models(spark_tables.write_views(broken), "marts", ["fct_deposit_balance_daily"],
                                          run_id="changed", warehouse=broken)
    assert outcome is not None and outcome.failed("critical") + outcome.failed("warning")
