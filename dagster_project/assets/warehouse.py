"""The dbt project on DuckDB, as Dagster assets: the only writer of the DuckDB file.

Every dbt model is an asset. The build runs in two steps, the staging views
and then everything built from them, with the staging expectations between
(assets/expectation_checks.py). Every step that touches the DuckDB file runs
in the `bank360_duckdb_writer` pool, whose limit is one slot: however runs are
launched and whatever executor runs them, two steps never write the DuckDB
file at once, and validation never reads it while dbt writes.
"""

import os

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from .. import settings, spark_tables, validation
from ..filelock import exclusive, warehouse_lock
from ..ingest import ledger, manual
from ..resources import Landing

dbt_project = DbtProject(project_dir=settings.DBT_DIR, profiles_dir=settings.DBT_DIR)


def _manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    sources = [settings.DBT_DIR / "dbt_project.yml", *settings.DBT_DIR.glob("models/**/*"),
               *settings.DBT_DIR.glob("macros/**/*"), *settings.DBT_DIR.glob("seeds/**/*")]
    return max(p.stat().st_mtime for p in sources) > manifest.stat().st_mtime


def _parse() -> None:
    """dbt parse, in this process: the asset graph is read from dbt's manifest."""
    from dbt.cli.main import dbtRunner

    os.environ.setdefault("DO_NOT_TRACK", "1")  # dbt's usage tracking hangs without network
    args = ["parse", "--project-dir", str(settings.DBT_DIR), "--profiles-dir", str(settings.DBT_DIR), "--quiet"]
    result = dbtRunner().invoke(args)
    if not result.success:
        raise RuntimeError(f"dbt parse of {settings.DBT_DIR} failed: {result.exception}")


# Processes importing the definitions at once (a webserver and its runs, test workers) would
# write the manifest over each other: one parses, the others then find it fresh.
with exclusive(settings.DBT_DIR / "target" / "parse.lock"):
    if _manifest_is_stale():
        _parse()


# The staging views and what they read (audit.file_loads, audit.visible_deliveries): built
# in their own step, so their blocking expectations run before anything is built from them.
STAGING = "+staging"


def _build(context: AssetExecutionContext, dbt: DbtCliResource, landing: Landing, step: str):
    # The dbt profile and project read the warehouse location from the environment:
    # make it the one this run's resources name.
    os.environ["BANK360_WAREHOUSE"] = str(landing.warehouse)
    landing.warehouse.mkdir(parents=True, exist_ok=True)
    # Shared: the pool already keeps builds apart; the lock keeps a backup from copying the DuckDB file
    # while dbt writes it (filelock.warehouse_lock).
    with warehouse_lock(landing.warehouse):
        ledger.write_schema_anchors(landing.warehouse)
        manual.write_schema_anchors(landing.warehouse)
        validation.write_anchor(landing.warehouse)
        # dbt's artifacts and logs go beside the warehouse they describe, one folder per step, overwritten
        # by each build: dbt's partial parse then carries over from run to run, and warehouses built
        # side by side (test workers, a second environment) never share a folder.
        target = landing.warehouse / "dbt" / step
        try:
            yield from dbt.cli(["build"], context=context, target_path=target).stream()
        finally:
            if landing.engine == "spark":  # what reads a Spark build reads these views of the tables it wrote
                spark_tables.write_views(landing.warehouse)


@dbt_assets(manifest=dbt_project.manifest_path, select=STAGING, name="staging_models", pool=settings.DUCKDB_POOL)
def staging_models(context: AssetExecutionContext, dbt: DbtCliResource, landing: Landing):
    yield from _build(context, dbt, landing, "staging_models")


@dbt_assets(manifest=dbt_project.manifest_path, exclude=STAGING, name="warehouse_models", pool=settings.DUCKDB_POOL)
def warehouse_models(context: AssetExecutionContext, dbt: DbtCliResource, landing: Landing):
    yield from _build(context, dbt, landing, "warehouse_models")
