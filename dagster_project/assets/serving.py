"""The published BI file, downstream of every mart: what BI tools and report readers open; and the
latest month's report, drawn from it.

It is built only when the whole build succeeded and the marts' blocking expectations passed (Dagster
skips it otherwise), so readers keep the last good state. It reads the restricted DuckDB file, so it
runs in the writer pool: never while dbt writes.
"""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from .. import report, serving, settings
from ..filelock import warehouse_lock
from ..resources import Landing
from .warehouse import dbt_project, warehouse_models


@asset(key=AssetKey(["serving", "bank360_bi"]), group_name="serving", pool=settings.DUCKDB_POOL,
       deps=[key for key in warehouse_models.keys if key.path[0] in serving.PUBLISHED_SCHEMAS],
       description="The read-only DuckDB file for BI (warehouse/serving/bank360_bi.duckdb): the marts and "
                   "reference seeds of the last successful build, personal data masked, a schema of views per "
                   "role; replaced atomically by each publish.")
def bank360_bi(context: AssetExecutionContext, landing: Landing) -> MaterializeResult:
    with warehouse_lock(landing.warehouse):  # shared: a backup never copies a half-swapped serving folder
        published = serving.publish(landing.warehouse, dbt_project.manifest_path, context.run.run_id)
    return MaterializeResult(metadata={
        "path": str(published.path), "tables": len(published.tables), "rows": sum(published.tables.values()),
        "masked_columns": ", ".join(published.masked), "roles": ", ".join(published.roles)})


@asset(key=AssetKey(["serving", "monthly_report"]), group_name="serving", deps=[bank360_bi],
       description="The HTML report of the latest graded month (warehouse/serving/reports/"
                   "bank360_report_<YYYY-MM>.html), drawn from the BI file just published (docs/report.md).")
def monthly_report(context: AssetExecutionContext, landing: Landing) -> MaterializeResult:
    path = report.write_latest(landing.warehouse)  # reads the BI file only: no pool, no lock needed
    return MaterializeResult(metadata={"path": str(path) if path else "nothing graded yet"})
