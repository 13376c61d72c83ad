"""Running an expectation suite with great-expectations on one partition, and keeping the result.

The suites are versioned JSON under expectations/<layer>/<asset>.json, in GX's own
suite shape, with a severity per expectation (critical blocks, warning shows).
Batches go through GX's pandas datasource: its SQL datasource on DuckDB returns
empty metrics (an upstream bug), so every expectation would fail without being
evaluated. The GX project (stores and Data Docs) lives under <warehouse>/gx.
"""

import contextlib
import datetime as dt
import fcntl
import json
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from .. import settings

DATA_DOCS = Path("gx") / "uncommitted" / "data_docs" / "local_site" / "index.html"


@dataclass
class Outcome:
    suite: str
    asset: str
    partition: str
    rows: list[dict]  # one per expectation: the history table's rows

    def failed(self, severity: str) -> list[str]:
        return [row["expectation"] for row in self.rows if not row["success"] and row["severity"] == severity]


def load_suite(layer: str, asset: str) -> dict | None:
    path = settings.expectations_dir() / layer / f"{asset}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _parameters_of(value) -> set[str]:
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return {value["$PARAMETER"]}
        return set().union(*map(_parameters_of, value.values()))
    if isinstance(value, list):
        return set().union(*map(_parameters_of, value))
    return set()


@cache
def _context(warehouse: str):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="file", project_root_dir=warehouse)
    # No progress bar per metric: the run summary says what matters.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _label(kind: str, kwargs: dict) -> str:
    target = kwargs.get("column") or kwargs.get("column_list") or \
        "/".join(str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs)
    condition = f" where {kwargs['row_condition']}" if kwargs.get("row_condition") else ""
    return f"{kind}({target or 'table'}){condition}"


def validate(suite: dict, frame: pd.DataFrame, parameters: dict, *, partition: str, run_id: str,
             warehouse: Path) -> Outcome:
    """Validate one batch; expectations whose parameters this batch cannot supply are skipped."""
    usable = [e for e in suite["expectations"] if _parameters_of(e["kwargs"]) <= parameters.keys()]
    with _gx_lock(warehouse):
        result = _run(suite, usable, frame, parameters, f"{run_id} {partition}", warehouse)
    validated_at = dt.datetime.now()
    rows = []
    for outcome in next(iter(result.run_results.values())).results:
        config = outcome.expectation_config
        raised = bool(outcome.exception_info and outcome.exception_info.get("raised_exception"))
        observed = outcome.result.get("observed_value")
        rows.append({
            "suite": suite["name"], "asset": suite["meta"]["asset"], "partition_key": partition,
            "expectation": _label(config.type, config.kwargs),
            "severity": (config.meta or {}).get("severity", "critical"),
            # An expectation that raised was not evaluated: it fails, it never passes silently.
            "success": bool(outcome.success) and not raised,
            "observed_value": None if observed is None else str(observed),
            "unexpected_count": outcome.result.get("unexpected_count"),
            "element_count": outcome.result.get("element_count", len(frame)),
            "run_id": run_id, "validated_at": validated_at,
        })
    return Outcome(suite["name"], suite["meta"]["asset"], partition, rows)


@contextlib.contextmanager
def _gx_lock(warehouse: Path):
    """The GX project's JSON stores are shared files: one process writes them at a time
    (ingestion steps of different systems may validate in parallel processes)."""
    lock = Path(warehouse) / "gx.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _run(suite: dict, usable: list[dict], frame: pd.DataFrame, parameters: dict, run_name: str, warehouse: Path):
    from great_expectations.core.run_identifier import RunIdentifier

    # A batch that cannot supply every parameter runs a reduced suite: registered under its own name.
    name = suite["name"] if len(usable) == len(suite["expectations"]) else f"{suite['name']} (reduced)"
    checkpoint = _checkpoint(str(Path(warehouse).resolve()),
                             json.dumps({**suite, "name": name, "expectations": usable}))
    return checkpoint.run(batch_parameters={"dataframe": frame}, expectation_parameters=parameters,
                          run_id=RunIdentifier(run_name=run_name))


@cache
def _checkpoint(warehouse: str, suite_json: str):
    """The suite, its validation definition and checkpoint, registered once per process and suite."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    suite = json.loads(suite_json)
    usable = suite["expectations"]
    asset = suite["meta"]["asset"]
    context = _context(warehouse)
    # A suite changed since GX stored it (a new version of the file): register it afresh, since
    # GX refuses to run a checkpoint whose stored suite differs from the one in hand.
    for store in (context.checkpoints, context.validation_definitions, context.suites):
        with contextlib.suppress(Exception):
            store.delete(name=suite["name"])
    gx_suite = context.suites.add(gx.ExpectationSuite(
        name=suite["name"], meta=suite.get("meta", {}),
        expectations=[ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e.get("meta", {}))
                      .to_domain_obj() for e in usable]))
    try:  # updating the datasource would make every other registered checkpoint stale
        source = context.data_sources.get("bank360")
    except (KeyError, ValueError, LookupError):
        source = context.data_sources.add_pandas("bank360")
    data = source.add_dataframe_asset(asset) if asset not in [a.name for a in source.assets] \
        else source.get_asset(asset)
    batch = data.add_batch_definition_whole_dataframe("partition") if not data.batch_definitions \
        else data.get_batch_definition("partition")
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite["name"], data=batch, suite=gx_suite))
    return context.checkpoints.add(
        gx.Checkpoint(name=suite["name"], validation_definitions=[definition], actions=[]))


def build_data_docs(warehouse: Path) -> Path:
    """Render every stored validation as HTML; the index page's path."""
    with _gx_lock(warehouse):
        _context(str(Path(warehouse).resolve())).build_data_docs()
    return Path(warehouse) / DATA_DOCS
