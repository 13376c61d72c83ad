"""What starts runs: new complete deliveries, a changed overrides file, a daily safety net, and the build
after a load."""

import datetime as dt

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    define_asset_job,
    run_status_sensor,
    schedule,
    sensor,
)

from .assets.ingestion import delivery_assets, partition_key
from .assets.manual import credit_overrides
from .assets.serving import bank360_bi, monthly_report
from .assets.warehouse import staging_models, warehouse_models
from .ingest import SYSTEMS, find_deliveries, ledger, manual
from .resources import Landing

ingest_jobs = {
    system: define_asset_job(f"ingest_{system}", selection=[asset])
    for system, asset in delivery_assets.items()
}
overrides_job = define_asset_job("ingest_credit_overrides", selection=[credit_overrides])
# The build publishes the BI file once everything it copies has passed its checks, then the month's report.
warehouse_build = define_asset_job(
    "warehouse_build", selection=[staging_models, warehouse_models, bank360_bi, monthly_report])
# The same models and checks on Spark (`bank360 run --engine spark`, docs/scale-out.md). It publishes
# nothing: the BI file and the report are written from the DuckDB build.
warehouse_build_spark = define_asset_job("warehouse_build_spark", selection=[staging_models, warehouse_models])


@sensor(jobs=list(ingest_jobs.values()), minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING)
def new_deliveries(context: SensorEvaluationContext, landing: Landing):
    """A run per complete delivery (folder with `_READY`) not yet committed; others are left alone."""
    for folder in find_deliveries(landing.raw):
        delivery = ledger.announced_delivery(folder)
        if ledger.commit_path(landing.warehouse, folder.system, folder.business_date, delivery).is_file():
            continue
        yield RunRequest(
            job_name=ingest_jobs[folder.system].name,
            partition_key=partition_key(folder.system, folder.business_date),
            run_key=f"{folder.system}/{folder.business_date:%Y%m%d}/delivery_{delivery}",
        )


@sensor(job=overrides_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def overrides_changed(context: SensorEvaluationContext, landing: Landing):
    """A run when the risk officers' overrides file differs from the version received last."""
    if manual.is_pending(landing.raw, landing.warehouse):
        # Keyed by the save, not the content: a run still in progress is not requested twice, and saving
        # the file back as it was two versions ago starts one.
        yield RunRequest(run_key=f"{manual.NAME}/{manual.source_path(landing.raw).stat().st_mtime_ns}")


def _safety_net(system: str):
    """At 06:00, load the previous business date (mortgage: the month just ended).

    The sensor normally loaded it already (the run is then skipped by its run key
    in the UI's history); if the delivery is still missing, the run fails and says so.
    """
    cron = "0 6 1 * *" if system == "mortgage" else "0 6 * * *"

    @schedule(name=f"daily_{system}", cron_schedule=cron, job=ingest_jobs[system],
              execution_timezone="Asia/Shanghai", required_resource_keys={"landing"})
    def _schedule(context: ScheduleEvaluationContext):
        yesterday = context.scheduled_execution_time.date() - dt.timedelta(days=1)
        if not ledger.has_commit(context.resources.landing.warehouse, system, yesterday):
            yield RunRequest(partition_key=partition_key(system, yesterday),
                             run_key=f"{system}/{yesterday:%Y%m%d}/scheduled")

    return _schedule


schedules = [_safety_net(system) for system in SYSTEMS]


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, monitored_jobs=[*ingest_jobs.values(), overrides_job],
                   request_job=warehouse_build, default_status=DefaultSensorStatus.RUNNING)
def build_after_load(context):
    """Rebuild the warehouse after every successful load (the pool serialises the builds)."""
    return RunRequest(run_key=context.dagster_run.run_id)
