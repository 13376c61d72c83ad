"""Running an expectation suite with great-expectations on one partition, and keeping the result.

The suites are versioned JSON under expectations/<layer>/<asset>.json, in GX's own
suite shape, with a severity per expectation (critical blocks, warning shows).
Batches go through GX's pandas datasource: its SQL datasource on DuckDB returns
empty metrics (an upstream bug), so every expectation would fail without being
evaluated. The GX project (stores and Data Docs) lives under <warehouse>/gx.
"""

import contextlib
import datetime as dt
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from .. import settings
from ..filelock import exclusive

DATA_DOCS = Path("gx") / "uncommitted" / "data_docs" / "local_site" / "index.html"
DOCS_RUNS_KEPT = 30  # validations of each suite the Data Docs show
RUN_NAME_BYTES = 160  # GX names a folder after the run: file names stop at 255 bytes


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


def suite_names(layer: str) -> list[str]:
    """The assets a layer has suites for."""
    return sorted(path.stem for path in (settings.expectations_dir() / layer).glob("*.json"))


def columns_of(suite: dict) -> set[str]:
    """Every column a suite's expectations name, in their arguments or their row conditions:
    the batch carries only these (converting and scanning the others would be wasted)."""
    names: set[str] = set()
    for expectation in suite["expectations"]:
        kwargs = expectation["kwargs"]
        names |= {kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs}
        names |= set(kwargs.get("column_list", []))
        names |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r'"[^"]*"', "", kwargs.get("row_condition", ""))))
    return names


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
    """The GX project under <warehouse>/gx: its stores (suites, validation results) and Data Docs.
    Created and written under the GX lock: several processes validate at once."""
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    return gx.get_context(mode="file", project_root_dir=warehouse)


@cache
def _engine():
    """An in-memory GX context whose pandas datasource takes the batches. Batch definitions never
    touch the project's shared configuration file, so processes validating at once cannot clash."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    # GX's pandas engine fingerprints every batch under 1 GB (an md5 of pandas' row hashes), about
    # a second per million rows: a third of what validating a daily run cost at bank scale. The
    # fingerprint is only a label on the result; bank360 names each batch by run and partition
    # (audit.validation_results). GX has no setting for it, hence its module threshold.
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    # No progress bar per metric: the run summary says what matters.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context.data_sources.add_pandas("bank360")


def _label(kind: str, kwargs: dict) -> str:
    target = kwargs.get("column") or kwargs.get("column_list") or \
        "/".join(str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs)
    condition = f" where {kwargs['row_condition']}" if kwargs.get("row_condition") else ""
    return f"{kind}({target or 'table'}){condition}"


def validate(suite: dict, frame: pd.DataFrame, parameters: dict, *, partition: str, run_id: str,
             warehouse: Path) -> Outcome:
    """Validate one batch; expectations whose parameters this batch cannot supply are skipped."""
    usable = [e for e in suite["expectations"] if _parameters_of(e["kwargs"]) <= parameters.keys()]
    result = _run(suite, usable, frame, parameters, _run_name(run_id, partition), warehouse)
    validated_at = dt.datetime.now()
    rows = []
    for outcome in result.results:
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


def _run_name(run_id: str, partition: str) -> str:
    """GX's name of a validation run, a folder name in its store: run and partition, the partition
    shortened to a digest when it would not fit a file name (the history table keeps it whole)."""
    name = f"{run_id} {partition}"
    return name if len(name.encode()) <= RUN_NAME_BYTES else f"{run_id} {hashlib.sha1(partition.encode()).hexdigest()}"


def _gx_lock(warehouse: Path):
    """The GX project's configuration and JSON stores are shared files: one process writes them at
    a time (validation workers, and ingestion steps of different systems, run side by side)."""
    return exclusive(Path(warehouse) / settings.GX_LOCK)


def _run(suite: dict, usable: list[dict], frame: pd.DataFrame, parameters: dict, run_name: str, warehouse: Path):
    """Validate the batch with GX's validator, and keep the result in GX's store (the Data Docs read it).

    No checkpoint or validation definition: GX would read back and compare their stored JSON on
    every run, a fixed cost per suite that dominated small batches."""
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.validator.v1_validator import Validator
    from great_expectations.validator.validator import calc_validation_statistics

    root = str(Path(warehouse).resolve())
    # A batch that cannot supply every parameter runs a reduced suite: stored under its own name.
    name = suite["name"] if len(usable) == len(suite["expectations"]) else f"{suite['name']} (reduced)"
    with _gx_lock(root):
        groups = _stored_suite(root, {**suite, "name": name, "expectations": usable})
    results, meta, batch_id = [None] * len(usable), {}, None
    for condition, (positions, gx_suite) in groups.items():
        # BASIC: counts and the first unexpected values. SUMMARY would also tally the unexpected values and
        # list their row numbers, one more pass over the batch per expectation (about 40 % of GX's time).
        validator = Validator(batch_definition=_batch_definition(suite["meta"]["asset"]), result_format="BASIC",
                              batch_parameters={"dataframe": frame if condition is None else
                                                frame.query(condition, parser="pandas")})
        part = validator.validate_expectation_suite(gx_suite, parameters)
        for position, outcome in zip(positions, part.results, strict=True):
            outcome.expectation_config.kwargs.update(_condition(usable[position]))  # as the suite states it
            results[position] = outcome
        if condition is None or not meta:
            meta, batch_id = part.meta, validator.active_batch_id
    statistics = calc_validation_statistics(results)
    result = ExpectationSuiteValidationResult(
        results=results, success=statistics.success, suite_name=name, meta=meta, batch_id=batch_id, statistics={
            "evaluated_expectations": statistics.evaluated_expectations,
            "successful_expectations": statistics.successful_expectations,
            "unsuccessful_expectations": statistics.unsuccessful_expectations,
            "success_percent": statistics.success_percent})
    run_id = RunIdentifier(run_name=run_name)
    result.meta |= {"run_id": run_id, "validation_time": run_id.run_time}
    key = ValidationResultIdentifier(expectation_suite_identifier=ExpectationSuiteIdentifier(name=name),
                                     run_id=run_id, batch_identifier=batch_id)
    with _gx_lock(root):
        _context(root).validation_results_store.store_validation_results(result, key)
    return result


def _condition(expectation: dict) -> dict:
    return {k: v for k, v in expectation["kwargs"].items() if k in ("row_condition", "condition_parser")}


def _gx_suite(name: str, expectations: list[dict], meta: dict | None = None):
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    return gx.ExpectationSuite(name=name, meta=meta or {}, expectations=[
        ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e.get("meta", {})).to_domain_obj()
        for e in expectations])


# (warehouse, suite name) -> (suite, its groups by row condition: positions in the suite, GX suite)
_stored: dict[tuple[str, str], tuple[dict, dict]] = {}


def _stored_suite(warehouse: str, suite: dict) -> dict[str | None, tuple[list[int], object]]:
    """The suite's expectations grouped by row condition, each group a GX suite of unconditioned
    expectations. A row condition makes GX filter a copy of the whole batch again for every metric
    of its expectation; grouped, each condition filters the batch once.

    The suite itself is stored in the GX project (its Data Docs page) once per process, and again
    whenever it changed."""
    key = (warehouse, suite["name"])
    if key not in _stored or _stored[key][0] != suite:
        context = _context(warehouse)
        with contextlib.suppress(Exception):  # a previous version of the suite: replaced
            context.suites.delete(name=suite["name"])
        context.suites.add(_gx_suite(suite["name"], suite["expectations"], suite.get("meta")))
        positions: dict[str | None, list[int]] = {}
        for position, expectation in enumerate(suite["expectations"]):
            positions.setdefault(expectation["kwargs"].get("row_condition"), []).append(position)
        _stored[key] = (suite, {condition: (members, _gx_suite(suite["name"], [
            {**e, "kwargs": {k: v for k, v in e["kwargs"].items() if k not in _condition(e)}}
            for e in map(suite["expectations"].__getitem__, members)])) for condition, members in positions.items()})
    return _stored[key][1]


@cache
def _batch_definition(asset: str):
    """The asset's whole-dataframe batch definition."""
    return _engine().add_dataframe_asset(asset).add_batch_definition_whole_dataframe("partition")


def build_data_docs(warehouse: Path, since: dt.datetime | None = None) -> Path:
    """Render the validations made since `since` (every one when None) as HTML, and the index page.

    GX's own store keeps only the newest DOCS_RUNS_KEPT results of each suite (the index page reads
    every stored result); audit.validation_results keeps them all. So rendering follows the day's
    validations, not the history.
    """
    with _gx_lock(warehouse):
        context = _context(str(Path(warehouse).resolve()))
        store = context.validation_results_store
        by_suite: dict[str, list] = {}
        for key in store.list_keys():
            by_suite.setdefault(key.expectation_suite_identifier.name, []).append(key)
        fresh = []
        for keys in by_suite.values():
            keys.sort(key=lambda k: k.run_id.run_time, reverse=True)
            for old in keys[DOCS_RUNS_KEPT:]:
                store.remove_key(old)
            fresh += [k for k in keys[:DOCS_RUNS_KEPT] if since is None or k.run_id.run_time >= since]
        if fresh or not (Path(warehouse) / DATA_DOCS).exists():  # none: GX would render every page
            context.build_data_docs(resource_identifiers=[*fresh, *{k.expectation_suite_identifier for k in fresh}])
    return Path(warehouse) / DATA_DOCS
