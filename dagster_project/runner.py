"""`bank360 run`: materialise what is pending, in-process, and say what happened.

Each delivery is loaded by a real Dagster run of its system's ingestion job
(one partition), and a changed credit-overrides file by a run of its own job;
then one run of the warehouse build writes the DuckDB file.
Runs go one after another in this process, recorded in the Dagster instance
under `<warehouse>/dagster`, so the UI shows their history.
"""

import datetime as dt
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from . import report as monthly_report
from . import serving, settings, spark_tables, validation
from .ingest import find_deliveries, ledger, manual, pending_folders
from .ingest.manifest import DeliveryFolder

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # the summary says what matters
DAGSTER_YAML = """\
# Written by bank360: the DuckDB file has one writer at a time.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


@dataclass
class Summary:
    loads: list = field(default_factory=list)  # file_loads rows of the deliveries this run loaded
    reasons: Counter = field(default_factory=Counter)  # quarantined records by reason
    failed_runs: list[str] = field(default_factory=list)
    unready: list[Path] = field(default_factory=list)
    raw: Path | None = None
    warehouse: Path | None = None
    published: bool = False  # this run published a new BI file
    expectations_failed: list[dict] = field(default_factory=list)  # validation history rows that failed
    data_docs: Path | None = None
    overrides: dict | None = None  # audit row of the newest version of the credit-overrides file (ingest/manual.py)
    overrides_received: bool = False  # that version was received by this run
    override_rejections: list[dict] = field(default_factory=list)  # rows of the file the build rejected

    @property
    def rejected(self) -> list[dict]:
        return [row for row in self.loads if row["status"] == "rejected"]

    @property
    def held(self) -> list[tuple]:
        """(system, business_date, delivery) of the loaded deliveries a critical expectation held back."""
        return sorted({(r["system"], r["business_date"], r["delivery"]) for r in self.loads if r.get("held")})

    @property
    def overrides_loaded(self) -> bool:
        """This run loaded a new version of the overrides file: the warehouse must be rebuilt."""
        return self.overrides_received and self.overrides["status"] == "loaded"

    @property
    def overrides_file_rejected(self) -> bool:
        """This run received a version of the overrides file that cannot be read (rejected rows do not count:
        they are the bank's data, reported, not a failed load)."""
        return self.overrides_received and self.overrides["status"] == "rejected"

    def exit_status(self) -> int:
        return 1 if self.rejected or self.held or self.failed_runs or self.overrides_file_rejected else 0


def instance_for(warehouse: Path):
    """The Dagster instance recording bank360's runs: $DAGSTER_HOME, or <warehouse>/dagster."""
    from dagster import DagsterInstance

    if os.environ.get("DAGSTER_HOME"):
        return DagsterInstance.get()
    home = warehouse.resolve() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(DAGSTER_YAML)
    return DagsterInstance.from_config(str(home))


def select(raw: Path, warehouse: Path, date: dt.date | None, everything: bool) -> list[DeliveryFolder]:
    """Complete deliveries to load: pending ones, or all of a date, or all of them."""
    folders = find_deliveries(raw)
    if everything:
        return folders
    if date is not None:
        # A month's mortgage delivery is dated its last day: --date of that day reloads it too.
        return [f for f in folders if f.business_date == date]
    return [f for f in folders if not ledger.is_committed(warehouse, f)]


def run(raw: Path, warehouse: Path, date: dt.date | None = None, everything: bool = False,
        build: bool = True, load: bool = True, engine: str = "duckdb") -> Summary:
    """Load the selected deliveries, then (unless told not to) rebuild the warehouse if anything changed.

    load=False only builds, whether or not anything changed (after a change of a seed, say).
    engine="spark" builds the same models on Spark (docs/scale-out.md), and publishes nothing.
    """
    from .assets.ingestion import partition_key
    from .definitions import dbt_cli, defs
    from .resources import Landing

    raw, warehouse = raw.resolve(), warehouse.resolve()
    validation.workers.start()  # their imports overlap the first delivery's parsing
    landing = Landing(raw_dir=str(raw), warehouse_dir=str(warehouse), engine=engine)
    resources = {"landing": landing, "dbt": dbt_cli(engine)}
    summary = Summary(unready=pending_folders(raw), raw=raw, warehouse=warehouse)
    run_started = dt.datetime.now(dt.UTC)
    with instance_for(warehouse) as instance:
        for folder in select(raw, warehouse, date, everything) if load else []:
            job = defs.resolve_job_def(f"ingest_{folder.system}")
            started = time.time()
            result = job.execute_in_process(
                partition_key=partition_key(folder.system, folder.business_date), instance=instance,
                resources=resources, raise_on_error=False, run_config=QUIET)
            summary.expectations_failed += _failed_expectations(warehouse, result.run_id)
            delivery = ledger.announced_delivery(folder)
            commit = ledger.commit_path(warehouse, folder.system, folder.business_date, delivery)
            committed = commit.is_file() and commit.stat().st_mtime >= started  # by this run
            if committed:
                _collect(summary, commit, ledger.quarantine_path(warehouse, folder.system, folder.business_date,
                                                                  delivery))
            # A held delivery fails its run (the blocking check), and is reported as held.
            if not result.success and not (committed and ledger.is_held(commit)):
                summary.failed_runs.append(f"{folder.system} {folder.business_date}: run {result.run_id} failed")
        if load:
            _receive_overrides(summary, raw, warehouse, defs.resolve_job_def("ingest_credit_overrides"), instance,
                               resources)
        # A rejected overrides file changes nothing the models read: no build for it.
        stale = summary.loads or summary.overrides_loaded or not load or not landing.duckdb_path.exists()
        # Held deliveries are invisible to the build: it reads the rest.
        if build and stale and ledger.newest_commits(warehouse):
            job = "warehouse_build" if engine == "duckdb" else f"warehouse_build_{engine}"
            build = defs.resolve_job_def(job).execute_in_process(
                instance=instance, resources=resources, raise_on_error=False, run_config=QUIET)
            summary.expectations_failed += _failed_expectations(warehouse, build.run_id)
            if not build.success:
                summary.failed_runs.append(f"warehouse build: run {build.run_id} failed")
            summary.override_rejections = _override_rejections(landing.duckdb_path)
            bi_file = serving.bi_path(warehouse)
            summary.published = bi_file.is_file() and bi_file.stat().st_mtime >= run_started.timestamp()
        if load and (warehouse / "gx").is_dir():
            summary.data_docs = validation.build_data_docs(warehouse, since=run_started)
    return summary


def _receive_overrides(summary: Summary, raw: Path, warehouse: Path, job, instance, resources: dict) -> None:
    """A run of the overrides job when the file changed; the newest version, received now or before."""
    before = manual.newest_load(warehouse)
    if manual.is_pending(raw, warehouse):
        result = job.execute_in_process(instance=instance, resources=resources, raise_on_error=False,
                                        run_config=QUIET)
        if not result.success:
            summary.failed_runs.append(f"credit overrides: run {result.run_id} failed")
    summary.overrides = manual.newest_load(warehouse)
    summary.overrides_received = summary.overrides != before


def _override_rejections(duckdb_path: Path) -> list[dict]:
    """The overrides of the newest file that do not apply at the latest grading date for a reason the
    officers must hear of (a failed check, expired, too far from the system grade), read-only from the
    build's DuckDB file. Rows withdrawn from the file are not listed: removing them was the officers' own doing."""
    if not duckdb_path.exists():  # a Spark build that failed before writing any table
        return []
    with validation.connect(duckdb_path) as con:
        built = con.execute("select 1 from information_schema.tables where table_schema = 'marts' "
                            "and table_name = 'credit_override_log'").fetchone()
        if not built:  # the build failed before it
            return []
        cursor = con.execute("""
            select line_no, customer_code, new_grade, status_reason as rejection_reason
            from marts.credit_override_log
            where status in ('rejected', 'expired') and in_latest_file
            order by line_no""")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _failed_expectations(warehouse: Path, run_id: str) -> list[dict]:
    return [row for path in validation.history.of_run(warehouse, run_id)
            for row in pq.read_table(path).to_pylist() if not row["success"]]


def _collect(summary: Summary, commit: Path, quarantine: Path) -> None:
    summary.loads += pq.read_table(commit).to_pylist()
    if quarantine.exists():
        summary.reasons.update(pq.read_table(quarantine, columns=["reason"])["reason"].to_pylist())


def report(summary: Summary) -> str:
    loads = summary.loads
    deliveries = {(r["system"], r["business_date"], r["delivery"]) for r in loads}
    loaded = [r for r in loads if r["status"] == "loaded"]
    lines = [
        f"deliveries loaded: {len(deliveries)}",
        f"files: {len(loaded)} loaded, {len(summary.rejected)} rejected",
        f"records: {sum(r['records_loaded'] for r in loaded):,} loaded, "
        f"{sum(r['records_quarantined'] for r in loaded):,} quarantined",
    ]
    if summary.reasons:
        lines.append("quarantined by reason: " + ", ".join(
            f"{reason} {count:,}" for reason, count in summary.reasons.most_common()))
    for row in summary.rejected:
        lines.append(f"REJECTED {row['system']} {row['business_date']} delivery {row['delivery']} "
                     f"{row['file']}: {row['reason']}: {row['message']}")
    for row in loads:
        if row["drift"]:
            lines.append(f"drift (tolerated) {row['system']} {row['business_date']} {row['file']}: {row['drift']}")
    for system, day, delivery in summary.held:
        lines.append(f"HELD {system} {day} delivery {delivery}: a critical expectation failed (below); its records "
                     "are kept, the warehouse goes on reading the date's previous delivery")
    overrides = summary.overrides
    if summary.overrides_loaded:
        lines.append(f"credit overrides: new version of {overrides['file']} received, "
                     f"{overrides['rows_loaded']} rows (sha256 {overrides['file_sha256'][:16]})")
        if overrides["drift"]:
            lines.append(f"drift (tolerated) {overrides['file']}: {overrides['drift']}")
    if overrides and overrides["status"] == "rejected":
        lines.append(f"REJECTED credit overrides (received {overrides['received_at']:%Y-%m-%d %H:%M} UTC): "
                     f"{overrides['reason']}: {overrides['message']}; nothing of that version is used, the warehouse "
                     "keeps the version loaded before it")
    for row in summary.override_rejections:
        lines.append(f"override rejected: line {row['line_no']}, customer {row['customer_code'] or '(none)'}, "
                     f"grade {row['new_grade'] or '(none)'}: {row['rejection_reason']}")
    for folder in summary.unready:
        lines.append(f"still being written (no _READY), left alone: {folder}")
    for row in summary.expectations_failed:
        label = "EXPECTATION FAILED" if row["severity"] == "critical" else "expectation warning"
        lines.append(f"{label} {row['suite']} {row['partition_key']}: {row['expectation']} "
                     f"(unexpected {row['unexpected_count']}, observed {row['observed_value']})")
    for failure in summary.failed_runs:
        lines.append(f"FAILED {failure}")
    if summary.warehouse is not None:
        lines += _where_everything_is(summary)
    return "\n".join(lines)


def _where_everything_is(summary: Summary) -> list[str]:
    warehouse, bi_file = summary.warehouse, serving.bi_path(summary.warehouse)
    if summary.published:
        published = "published by this run"
    elif bi_file.is_file():
        published = "this run did not publish: it still holds the last successful build"
    else:
        published = "not published yet: no build has succeeded"
    dagster = Path(sys.executable).parent / "dagster"
    lines = ["", "where everything is:",
             f"  BI file (read-only, personal data masked; for BI tools and Python): {bi_file} ({published})"]
    reports = sorted(monthly_report.default_dir(warehouse).glob("bank360_report_*.html"))
    if reports:
        lines.append(f"  report of the latest graded month (HTML; `bank360 report --month YYYY-MM` for others): "
                     f"{reports[-1]}")
    if summary.data_docs is not None:
        lines.append(f"  data docs (every validation, HTML): {summary.data_docs}")
    spark_views = spark_tables.views_path(warehouse)
    if spark_views.is_file():
        lines.append(f"  the Spark build's tables (Parquet; DuckDB views over them, restricted): {spark_views}")
    lines += [f"  Dagster UI: BANK360_RAW={summary.raw} BANK360_WAREHOUSE={warehouse} "
              f"DAGSTER_HOME={warehouse / 'dagster'} {dagster} dev -m dagster_project.definitions",
              f"  restricted warehouse (raw personal data, audit trail; data engineers only): "
              f"{warehouse / settings.DUCKDB_FILE}",
              "  outputs by role and how to connect: docs/outputs-by-role.md"]
    return lines
