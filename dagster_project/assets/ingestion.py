"""Ingestion assets: one asset per source feed, materialised a whole delivery at a time.

A system's feeds are checked against each other (a record whose parent did
not load is an orphan; one workbook carries both mortgage sheets), so each
system's delivery is one multi-asset step producing every feed of that system
for one business date. The step writes Parquet only, never the DuckDB file:
steps of different systems and dates can run in parallel processes safely.
"""

import datetime as dt
from concurrent.futures import Future

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSpec,
    DailyPartitionsDefinition,
    Failure,
    MaterializeResult,
    MonthlyPartitionsDefinition,
    PartitionsDefinition,
    multi_asset,
)

from .. import settings, validation
from ..filelock import warehouse_lock
from ..ingest import FEEDS, SYSTEMS, feeds_of, ledger, load_delivery
from ..ingest.load import FeedResult
from ..resources import Landing
from .expectation_checks import check_result

SPECS = {spec.table: spec for spec in FEEDS}
DAILY = DailyPartitionsDefinition(start_date=settings.first_date(), end_offset=1)
MONTHLY = MonthlyPartitionsDefinition(start_date=settings.first_date(), end_offset=1)


def partitions_of(system: str) -> PartitionsDefinition:
    """deposit, loan and card deliver every calendar day; mortgage once a month."""
    return MONTHLY if system == "mortgage" else DAILY


def folder_date(system: str, partition_key: str) -> dt.date:
    """The business date of the delivery folder behind a partition (a month's last day for mortgage)."""
    day = dt.date.fromisoformat(partition_key)
    if system == "mortgage":
        next_month = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return next_month - dt.timedelta(days=1)
    return day


def partition_key(system: str, business_date: dt.date) -> str:
    return (business_date.replace(day=1) if system == "mortgage" else business_date).isoformat()


def _delivery_asset(system: str):
    specs = [AssetSpec(feed.table, group_name=f"{system}_ingestion", kinds={"parquet"},
                       description=f"{system} {feed.name} ({feed.file}), typed and reconciled, one "
                                   "partition per business date")
             for feed in feeds_of(system)]
    checks = [AssetCheckSpec("file_accepted", asset=feed.table,
                             description="The file passed its manifest, control and column checks")
              for feed in feeds_of(system)]
    checks += [AssetCheckSpec("expectations", asset=feed.table, blocking=True,
                              description=f"great-expectations suite expectations/source/{feed.table}.json: "
                                          "a critical failure stops the data from flowing downstream")
               for feed in feeds_of(system)]

    @multi_asset(name=f"{system}_delivery", specs=specs, check_specs=checks,
                 partitions_def=partitions_of(system), can_subset=False)
    def load(context: AssetExecutionContext, landing: Landing):
        day = folder_date(system, context.partition_key)
        folder = landing.raw / system / f"{day:%Y%m%d}"
        if not (folder / "_READY").is_file():
            raise Failure(f"{system} delivery for {day} is not complete: {folder} has no _READY "
                          "(missing, late, or still being written)")
        started = dt.datetime.now()
        validations: dict[str, Future] = {}

        def stage_and_validate(feed: FeedResult) -> None:
            # Staged and validated before the commit: a critical failure commits the delivery held, so
            # no later build reads it (the blocking check stops this run's downstream steps). Started
            # as soon as the feed is final, so that a worker validates it while the next one is judged.
            if feed.status != "loaded":
                return
            path, spec = ledger.stage(feed, landing.warehouse), SPECS[feed.table_name]
            if (suite := validation.load_suite("source", spec.table)) and settings.validation_enabled():
                validations[spec.table] = validation.submit_source(
                    spec, suite, path, validation.source_parameters(spec, feed),
                    partition=feed.business_date.isoformat(), run_id=context.run.run_id, warehouse=landing.warehouse)

        # Held shared while the step writes (steps of other systems and dates write beside it), so that a
        # backup, which takes it exclusive, never copies half a delivery.
        with warehouse_lock(landing.warehouse):
            result = load_delivery(folder, on_feed=stage_and_validate)
            outcomes = {feed.table_name: validations[feed.table_name].result()
                        if feed.table_name in validations else None for feed in result.feeds}
            validation.record([o for o in outcomes.values() if o], validation.history.path(
                landing.warehouse, system, day, result.delivery, context.run.run_id))
            held = any(o and o.failed("critical") for o in outcomes.values())
            ledger.record(result, landing.warehouse, started, held=held)
        for feed in result.feeds:
            yield MaterializeResult(asset_key=feed.table_name, metadata={
                "delivery": result.delivery, "file": feed.file, "status": feed.status,
                "reason": feed.reason or "", "records_delivered": feed.delivered or 0,
                "records_loaded": feed.loaded, "records_quarantined": feed.quarantined,
                "control_sum": str(feed.control_sum) if feed.control_sum is not None else "",
                "held": held,
            })
            yield AssetCheckResult(asset_key=feed.table_name, check_name="file_accepted",
                                   passed=feed.status == "loaded", severity=AssetCheckSeverity.WARN,
                                   metadata={"reason": feed.reason or "", "message": feed.message or ""})
            yield check_result(feed.table_name, outcomes[feed.table_name],
                               "no records were loaded (see file_accepted), or validation is off")
        context.log.info(f"{system} {day} delivery {result.delivery}{' HELD' if held else ''}: "
                         f"{sum(f.loaded for f in result.feeds)} loaded, "
                         f"{sum(f.quarantined for f in result.feeds)} quarantined, "
                         f"{len(result.rejected)} files rejected")

    return load


delivery_assets = {system: _delivery_asset(system) for system in SYSTEMS}
