"""The one Dagster `Definitions` of bank360: `dagster dev -m dagster_project.definitions`."""

import sys
from pathlib import Path

from dagster import Definitions
from dagster_dbt import DbtCliResource

from .assets.expectation_checks import marts_expectations, staging_expectations
from .assets.ingestion import delivery_assets
from .assets.manual import credit_overrides
from .assets.serving import bank360_bi, monthly_report
from .assets.warehouse import dbt_project, staging_models, warehouse_models
from .automation import (
    build_after_load,
    ingest_jobs,
    new_deliveries,
    overrides_changed,
    overrides_job,
    schedules,
    warehouse_build,
    warehouse_build_spark,
)
from .resources import default_landing


def dbt_cli(target: str = "duckdb") -> DbtCliResource:
    """dbt on one of the profile's targets (dbt/profiles.yml): duckdb, or spark."""
    # The dbt installed beside this Python, whether or not its environment is activated.
    return DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt"),
                          target=target)


defs = Definitions(
    assets=[*delivery_assets.values(), credit_overrides, staging_models, warehouse_models, bank360_bi, monthly_report],
    asset_checks=[staging_expectations, marts_expectations],
    jobs=[*ingest_jobs.values(), overrides_job, warehouse_build, warehouse_build_spark],
    sensors=[new_deliveries, overrides_changed, build_after_load],
    schedules=schedules,
    resources={"landing": default_landing(), "dbt": dbt_cli()},
)
