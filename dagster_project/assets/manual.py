"""The risk officers' credit-grade overrides (raw/manual/credit_overrides.csv) as a Dagster asset.

Not partitioned: the file is one document edited over time, not a delivery per business date.
A materialisation keeps the file as a new version when it changed (ingest/manual.py). Like every
ingestion asset it writes Parquet only, never the DuckDB file.
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    asset,
)

from ..filelock import warehouse_lock
from ..ingest import manual
from ..resources import Landing


@asset(name=manual.NAME, group_name="manual_ingestion", kinds={"parquet"},
       description="Risk officers' credit-grade overrides (raw/manual/credit_overrides.csv): every version "
                   "received, every row as text; validity is judged in dbt (int_credit__override_requests)",
       check_specs=[AssetCheckSpec("file_accepted", asset=manual.NAME,
                                   description="The newest version of the file could be read: UTF-8 CSV with "
                                               "the interface's columns")])
def credit_overrides(context: AssetExecutionContext, landing: Landing) -> MaterializeResult:
    with warehouse_lock(landing.warehouse):  # shared: a backup never copies half a version (filelock.py)
        received = manual.receive(landing.raw, landing.warehouse)
    newest = received or manual.newest_load(landing.warehouse) or {}
    status = newest.get("status", "never delivered")
    context.log.info(f"{manual.NAME}: {'new version ' if received else ''}{status} "
                     f"{newest.get('message') or ''}".strip())
    return MaterializeResult(
        metadata={"new_version": received is not None, "status": status,
                  "file": newest.get("file") or str(manual.source_path(landing.raw)),
                  "sha256": newest.get("file_sha256") or "", "received_at": str(newest.get("received_at") or ""),
                  "rows_loaded": newest.get("rows_loaded") or 0, "drift": newest.get("drift") or ""},
        check_results=[AssetCheckResult(check_name="file_accepted", passed=status != "rejected",
                                        severity=AssetCheckSeverity.WARN,
                                        metadata={"reason": newest.get("reason") or "",
                                                  "message": newest.get("message") or ""})])
