"""great-expectations suites as Dagster asset checks: the result of one suite, and the
checks of the dbt model layers.

`staging_expectations` runs between the staging views and the models built from them, so
a critical failure stops the rest of the build; `marts_expectations` guards the marts for
whatever reads them. Both validate only what the build added (validation/model_batches.py).
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    multi_asset_check,
)

from .. import settings, validation
from ..resources import Landing


def check_result(asset_key: AssetKey | str, outcome: validation.Outcome | None, nothing: str) -> AssetCheckResult:
    """The `expectations` check of an asset from its suite's outcome (none: nothing to validate, and why)."""
    if outcome is None:
        return AssetCheckResult(asset_key=asset_key, check_name="expectations", passed=True,
                                metadata={"validated": f"nothing: {nothing}"})
    critical, warnings = outcome.failed("critical"), outcome.failed("warning")
    return AssetCheckResult(
        asset_key=asset_key, check_name="expectations", passed=not critical and not warnings,
        severity=AssetCheckSeverity.ERROR if critical else AssetCheckSeverity.WARN,
        metadata={"suite": outcome.suite, "partition": outcome.partition, "expectations": len(outcome.rows),
                  "critical_failed": "; ".join(critical), "warnings_failed": "; ".join(warnings)})


def layer_checks(layer: str):
    models = validation.suite_names(layer)
    specs = [AssetCheckSpec("expectations", asset=AssetKey([layer, model]), blocking=True,
                            description=f"great-expectations suite expectations/{layer}/{model}.json: a critical "
                                        "failure stops the data from flowing downstream")
             for model in models]

    @multi_asset_check(name=f"{layer}_expectations", specs=specs, pool=settings.DUCKDB_POOL)
    def _check(context: AssetCheckExecutionContext, landing: Landing):
        outcomes = dict.fromkeys(models)
        # Off: no batch is even read, so that the benchmark's floor carries none of validation's cost.
        if settings.validation_enabled():
            validated = validation.validate_models(landing.duckdb_path, layer, models, run_id=context.run.run_id,
                                                   warehouse=landing.warehouse)
            outcomes |= zip(models, validated, strict=True)
        validation.record([o for o in outcomes.values() if o],
                          validation.history.layer_path(landing.warehouse, layer, context.run.run_id))
        for model, outcome in outcomes.items():
            yield check_result(AssetKey([layer, model]), outcome,
                               "the build read no new delivery of its feed, or validation is off")

    return _check


staging_expectations = layer_checks("staging")
marts_expectations = layer_checks("marts")
