"""great-expectations guards every layer, as blocking Dagster asset checks.

Real GX (pandas datasource) on real partitions of a real build: a clean batch of every
suite (source feeds, staging models, marts) passes every expectation, a seeded violation
of every expectation fails, a critical source failure holds its delivery back from every
model, and a critical model failure stops what is built downstream, reported and kept.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import query
from dagster import AssetCheckKey, AssetKey
from simbank import simulate

from dagster_project import runner, serving, settings, validation
from dagster_project.ingest import FEEDS, find_deliveries, ledger, manual
from dagster_project.validation import gx_suites

EXPECTATIONS = settings.PROJECT_DIR / "expectations"
LAYERS = ("source", "staging", "marts")


def _suite(layer: str, asset: str) -> dict:
    return json.loads((EXPECTATIONS / layer / f"{asset}.json").read_text(encoding="utf-8"))


def _models(folder: str) -> set[str]:
    return {p.stem for p in (settings.DBT_DIR / "models" / folder).rglob("*.sql")}


def test_every_feed_staging_model_and_mart_has_a_documented_suite():
    assert validation.suite_names("source") == sorted(spec.table for spec in FEEDS)
    # Hand-maintained files (stg_manual__*) have no suite: their rows are judged one by one in dbt
    # (docs/credit-overrides.md), and an officer's typo must never stop the build.
    assert set(validation.suite_names("staging")) == {m for m in _models("staging") if not m.startswith("stg_manual__")}
    assert set(validation.suite_names("marts")) == _models("marts")
    for layer in LAYERS:
        for asset in validation.suite_names(layer):
            suite = _suite(layer, asset)
            assert suite["name"] == f"{layer}.{asset}" and suite["meta"]["asset"] == asset
            assert layer == "source" or suite["meta"]["batch"]["rows"] in ("new_deliveries", "new_dates", "current",
                                                                       "rebuilt_months")
            severities = {e["meta"]["severity"] for e in suite["expectations"]}
            assert "critical" in severities and severities <= {"critical", "warning"}
            assert all(e["meta"].get("why") for e in suite["expectations"]), asset


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> dict:
    """(layer, asset) -> (batch, parameters) of a small clean bank, loaded and built once (cycle days 27
    and 28, so statements are cut; a month end, so the mortgage workbook arrives).
    Source feeds: the fullest loaded business date, with the parameters ingestion would supply.
    Models: what the check reads after that single build (every date is new); staging, as the
    staging check reads it before the build goes on (a warehouse that has read nothing yet)."""
    root = tmp_path_factory.mktemp("clean_bank")
    simulate(root / "raw", root / "truth", "--customers", "400", "--start", "20260227", "--days", "2",
             "--seed", "3")
    # Risk officers' overrides of customers the bank does not know: the override log has rows to check.
    overrides = manual.source_path(root / "raw")
    overrides.parent.mkdir(parents=True)
    overrides.write_text("customer_code,new_grade,reason,approved_by,effective_date,expiry_date\n"
                         "CU9999999998,A,Unknown customer,Li Wei,2026-01-15,\n"
                         "CU9999999999,BBB,Unknown customer,Li Wei,2026-01-15,\n", encoding="utf-8")
    warehouse = root / "warehouse"
    summary = runner.run(root / "raw", warehouse)
    assert not summary.failed_runs and summary.expectations_failed == [], runner.report(summary)
    out = {}
    for spec in FEEDS:
        table = ledger.visible(warehouse, spec.system, spec.table)
        dates = table["business_date"].to_pylist()
        day = max(set(dates), key=lambda d: (dates.count(d), d))
        rows = table.filter(pd.Series(dates).eq(day).to_numpy())
        parameters = {"records_loaded": rows.num_rows, "business_date": day.isoformat()}
        if spec.control:
            total = sum((v for v in rows[spec.control].to_pylist() if v is not None), Decimal(0))
            parameters |= {"loaded_control_sum_low": float(total - Decimal("0.005")),
                           "loaded_control_sum_high": float(total + Decimal("0.005"))}
        wanted = validation.columns_of(_suite("source", spec.table))
        out["source", spec.table] = (validation.source_frame(spec, rows, wanted), parameters)
    unread = root / "unread" / settings.DUCKDB_FILE  # same file name: dbt's views name their catalog
    unread.parent.mkdir()
    shutil.copy(warehouse / settings.DUCKDB_FILE, unread)
    with duckdb.connect(str(unread)) as con:
        con.execute("drop table intermediate.int_feed_deliveries")
    for layer, path in (("staging", unread), ("marts", warehouse / settings.DUCKDB_FILE)):
        with validation.connect(path) as con:
            for model in validation.suite_names(layer):
                frame, parameters, partition = validation.read_batch(con, f"{layer}.{model}", _suite(layer, model))
                assert partition and len(frame), f"{layer}.{model}: nothing to validate"
                out[layer, model] = (frame, parameters)
    return out


def _validate(suite: dict, frame: pd.DataFrame, parameters: dict, warehouse: Path) -> validation.Outcome:
    return validation.validate(suite, frame, parameters, partition="test", run_id="test", warehouse=warehouse)


def test_clean_batches_pass_every_expectation(batches, tmp_path):
    for (layer, asset), (frame, parameters) in batches.items():
        suite = _suite(layer, asset)
        outcome = _validate(suite, frame, parameters, tmp_path)
        assert len(outcome.rows) == len(suite["expectations"]), f"{asset}: some expectations were skipped"
        failed = [(r["expectation"], r["observed_value"], r["unexpected_count"]) for r in outcome.rows
                  if not r["success"]]
        assert failed == [], asset


def violate(expectation: dict, frame: pd.DataFrame, parameters: dict) -> tuple[pd.DataFrame, dict]:
    """A copy of a clean batch (or its parameters) that breaks this one expectation."""
    kind, kwargs = expectation["type"], expectation["kwargs"]
    frame, parameters = frame.copy(), dict(parameters)
    condition = kwargs.get("row_condition")
    rows = frame.query(condition, engine="python").index if condition else frame.index
    if len(rows) == 0:  # no row of the clean batch meets the condition: make the first one meet it
        column, operator, value = re.match(r'(\w+)(?: (>|==) "?(\w+)"?|\.notnull\(\))', condition).groups()
        frame[column] = frame[column].astype(object)
        frame.loc[frame.index[0], column] = {">": lambda: int(value) + 1, "==": lambda: value}.get(
            operator, lambda: True)()
        rows = frame.query(condition, engine="python").index
    first, second = rows[0], rows[min(1, len(rows) - 1)]
    column = kwargs.get("column")

    def bound(key: str):
        value = kwargs.get(key)
        return parameters[value["$PARAMETER"]] if isinstance(value, dict) else value

    if kind == "expect_column_values_to_not_be_null":
        frame[column] = frame[column].astype(object)
        frame.loc[first, column] = None
    elif kind == "expect_column_values_to_be_null":
        present = frame[column].dropna()
        frame[column] = frame[column].astype(object)
        frame.loc[first, column] = present.iloc[0] if len(present) else "X"
    elif kind == "expect_column_values_to_be_unique":
        frame.loc[second, column] = frame.loc[first, column]
    elif kind == "expect_compound_columns_to_be_unique":
        for name in kwargs["column_list"]:
            frame.loc[second, name] = frame.loc[first, name]
    elif kind == "expect_column_values_to_be_in_set":
        values = kwargs["value_set"]
        frame[column] = frame[column].astype(object)
        frame.loc[first, column] = (not values[0]) if isinstance(values[0], bool) else "NOT-IN-SET"
    elif kind == "expect_column_values_to_be_between":
        high, low = bound("max_value"), bound("min_value")
        frame[column] = frame[column].astype(object)
        if high is not None:
            frame.loc[first, column] = "9999-12-31" if isinstance(high, str) else high + 1
        else:
            frame.loc[first, column] = "0001-01-01" if isinstance(low, str) else low - 1
    elif kind == "expect_column_values_to_match_regex":
        frame.loc[first, column] = " 中 文 "  # untrimmed, spaced Chinese: no pattern of the suites admits it
    elif kind in ("expect_column_value_lengths_to_equal", "expect_column_value_lengths_to_be_between"):
        length = kwargs.get("value", kwargs.get("max_value"))
        frame.loc[first, column] = "x" * ((length or 0) + 1)
    elif kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kwargs["column_A"], kwargs["column_B"]
        rows = frame.loc[rows].dropna(subset=[a, b]).index
        target = frame.loc[rows[0], b]
        frame[a] = frame[a].astype(object)
        frame.loc[rows[0], a] = "0001-01-01" if isinstance(target, str) else target - 1
    elif kind == "expect_table_row_count_to_equal":
        frame = frame.drop(index=first)
    elif kind == "expect_table_row_count_to_be_between":
        frame = frame.iloc[0:0] if bound("min_value") else pd.concat([frame] * (bound("max_value") + 1))
    elif kind == "expect_column_sum_to_be_between":
        frame.loc[first, column] = frame.loc[first, column] + 1.0
    elif kind == "expect_column_to_exist":
        frame = frame.drop(columns=[column])
    else:
        raise AssertionError(f"no seeded violation for {kind}: add one here")
    return frame, parameters


def test_a_seeded_violation_of_every_expectation_fails(batches, tmp_path):
    kinds = set()
    for (layer, table), (frame, parameters) in batches.items():
        suite = _suite(layer, table)
        for expectation in suite["expectations"]:
            broken_frame, broken_parameters = violate(expectation, frame, parameters)
            single = {**suite, "expectations": [expectation]}
            outcome = _validate(single, broken_frame, broken_parameters, tmp_path)
            assert [r["success"] for r in outcome.rows] == [False], (table, expectation)
            kinds.add(expectation["type"])
    assert {"expect_column_values_to_be_unique", "expect_column_values_to_be_in_set",
            "expect_column_values_to_be_between", "expect_table_row_count_to_equal"} <= kinds


NEVER = {"type": "expect_table_row_count_to_equal", "kwargs": {"value": 0},
         "meta": {"severity": "critical", "why": "seeded by the test: fails on any batch with rows"}}


def _seeded(tmp_path: Path, *assets: tuple[str, str]) -> Path:
    """The bank's suites, with a critical expectation that cannot hold added to each (layer, asset)."""
    suites = tmp_path / "expectations"
    shutil.rmtree(suites, ignore_errors=True)
    shutil.copytree(EXPECTATIONS, suites)
    for layer, asset in assets:
        seeded = _suite(layer, asset)
        seeded["expectations"].append(NEVER)
        (suites / layer / f"{asset}.json").write_text(json.dumps(seeded))
    return suites


def _first_deposit_delivery(messy_bank, raw: Path) -> tuple[Path, int]:
    first = sorted((messy_bank[0] / "deposit").iterdir())[0]
    shutil.copytree(first, raw / "deposit" / first.name)
    return raw / "deposit" / first.name, ledger.announced_delivery(find_deliveries(raw)[0])


def _check_status(warehouse: Path, asset: AssetKey) -> str:
    with runner.instance_for(warehouse) as instance:
        latest = instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(asset, "expectations"), limit=1)
        return latest[0].status.value


def test_a_critical_source_failure_holds_the_delivery_back(messy_bank, tmp_path, monkeypatch):
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    folder, delivery = _first_deposit_delivery(messy_bank, raw)
    assert not runner.run(raw, warehouse).failed_runs
    before = query(warehouse, "select count(*), sum(ledger_balance) from staging.stg_deposit__balances")

    # A redelivery of the date fails a critical expectation: it is kept, but held from every model.
    monkeypatch.setenv("BANK360_EXPECTATIONS", str(_seeded(tmp_path, ("source", "deposit_fx_rate"))))
    manifest = (folder / "_READY").read_text()
    (folder / "_READY").write_text(manifest.replace(f"delivery {delivery}", f"delivery {delivery + 1}", 1))
    held = runner.run(raw, warehouse)
    assert held.held == [("deposit", find_deliveries(raw)[0].business_date, delivery + 1)]
    assert held.exit_status() == 1 and not held.failed_runs, "the build runs on what is not held"
    text = runner.report(held)
    assert "HELD deposit" in text and "EXPECTATION FAILED source.deposit_fx_rate" in text
    assert _check_status(warehouse, AssetKey("deposit_fx_rate")) == "FAILED"
    assert query(warehouse, "select distinct delivery from audit.visible_deliveries") == [(delivery,)]
    assert query(warehouse, "select bool_and(held) from audit.file_loads where delivery = ?".replace(
        "?", str(delivery + 1))) == [(True,)]
    assert query(warehouse, "select count(*), sum(ledger_balance) from staging.stg_deposit__balances") == before
    assert query(warehouse, "select distinct delivery from marts.fct_deposit_balance_daily") == [(delivery,)]

    # With the bank's own suites the redelivery passes, replaces the date, and every run stays on record.
    monkeypatch.delenv("BANK360_EXPECTATIONS")
    passed = runner.run(raw, warehouse, everything=True)
    assert not passed.failed_runs and passed.held == [] and passed.expectations_failed == [], runner.report(passed)
    assert query(warehouse, "select distinct delivery from marts.fct_deposit_balance_daily") == [(delivery + 1,)]
    assert passed.data_docs.exists() and "source.deposit_fx_rate" in "".join(
        p.read_text(errors="ignore") for p in passed.data_docs.parent.rglob("*.html"))
    runs = query(warehouse, "select bool_and(success) from audit.validation_results "
                            "where suite = 'source.deposit_fx_rate' group by run_id order by 1")
    assert runs == [(False,), (True,), (True,)]


def test_a_critical_model_failure_stops_what_is_built_from_it(messy_bank, tmp_path, monkeypatch):
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    _first_deposit_delivery(messy_bank, raw)
    monkeypatch.setenv("BANK360_EXPECTATIONS", str(_seeded(tmp_path, ("staging", "stg_deposit__balances"))))
    stopped = runner.run(raw, warehouse)
    assert stopped.failed_runs and stopped.exit_status() == 1
    assert "EXPECTATION FAILED staging.stg_deposit__balances" in runner.report(stopped)
    assert _check_status(warehouse, AssetKey(["staging", "stg_deposit__balances"])) == "FAILED"
    schemas = {s for (s,) in query(warehouse, "select distinct table_schema from information_schema.tables")}
    assert "staging" in schemas and "marts" not in schemas and "intermediate" not in schemas
    assert not stopped.published and not serving.bi_path(warehouse).exists()  # BI readers see nothing of it

    # Staging passes now; a mart's critical failure is reported and recorded in the history table.
    monkeypatch.setenv("BANK360_EXPECTATIONS", str(_seeded(tmp_path, ("marts", "customer_360"))))
    mart = runner.run(raw, warehouse, load=False)
    assert mart.failed_runs and "EXPECTATION FAILED marts.customer_360" in runner.report(mart)
    assert _check_status(warehouse, AssetKey(["marts", "customer_360"])) == "FAILED"
    assert _check_status(warehouse, AssetKey(["staging", "stg_deposit__balances"])) == "SUCCEEDED"
    failed = query(warehouse, "select count(*) from audit.validation_results where suite = 'marts.customer_360' "
                              "and not success and expectation like 'expect_table_row_count_to_equal%'")
    assert failed == [(1,)], "audit.validation_results reads the history as it stands"
    assert any(row["suite"] == "marts.customer_360" for row in mart.expectations_failed)
    assert not mart.published and not serving.bi_path(warehouse).exists()  # a failed mart is never published


def test_data_docs_render_the_newest_validations_of_each_suite(tmp_path, monkeypatch):
    monkeypatch.setattr(gx_suites, "DOCS_RUNS_KEPT", 2)
    suite = {"name": "test.tiny", "meta": {"asset": "tiny"}, "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}, "meta": {"severity": "critical"}}]}
    for run in range(3):
        validation.validate(suite, pd.DataFrame({"a": [1, None]}), {}, partition="p", run_id=f"run{run}",
                            warehouse=tmp_path)
    docs = validation.build_data_docs(tmp_path)
    pages = sorted(p.parent.parent.name for p in (docs.parent / "validations").rglob("*.html"))
    assert docs.exists() and pages == ["run1 p", "run2 p"]


def test_a_first_build_after_a_long_backfill_is_validated_and_kept(tmp_path):
    """A partition label too long for a file name (a build reading a month of deliveries at once)
    still validates, stores its result, and keeps the whole label in the history."""
    suite = {"name": "test.tiny", "meta": {"asset": "tiny"}, "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}, "meta": {"severity": "critical"}}]}
    partition = ", ".join(f"2025-01-{day:02d} #1" for day in range(1, 31))
    outcome = validation.validate(suite, pd.DataFrame({"a": [1, 2]}), {}, partition=partition, run_id="run",
                                  warehouse=tmp_path)
    assert outcome.rows[0]["success"] and outcome.rows[0]["partition_key"] == partition
    assert len(list((tmp_path / "gx" / "uncommitted" / "validations").rglob("*.json"))) == 1


def _staging_test_scope_rows(warehouse: Path, target: Path) -> int:
    """Rows a staging dbt test reads: its compiled SQL's filtered relation, counted."""
    test = "not_null_stg_deposit__balances_acct_no"
    env = {**os.environ, "BANK360_WAREHOUSE": str(warehouse), "DO_NOT_TRACK": "1"}
    subprocess.run([sys.executable, "-m", "dbt.cli.main", "compile", "--select", test, "--project-dir",
                    str(settings.DBT_DIR), "--profiles-dir", str(settings.DBT_DIR), "--target-path", str(target),
                    "--quiet"], check=True, env=env, capture_output=True, timeout=300)
    compiled = next(target.rglob(f"{test}.sql")).read_text()
    scoped = re.search(r"from \((select \* from .*?)\) dbt_subquery", compiled, re.DOTALL).group(1)
    return query(warehouse, f"select count(*) from ({scoped})")[0][0]


def test_staging_tests_read_the_deliveries_the_build_has_not_read_yet(built_bank, tmp_path):
    # A copy of the built warehouse (its staging views read the same Parquet): the build read everything.
    shutil.copyfile(built_bank / settings.DUCKDB_FILE, tmp_path / settings.DUCKDB_FILE)
    assert _staging_test_scope_rows(tmp_path, tmp_path / "first") == 0
    # As if the latest deposit delivery had arrived since: its rows, and only those, are tested.
    with duckdb.connect(str(tmp_path / settings.DUCKDB_FILE)) as con:
        day, delivery = con.execute("""select business_date, delivery from audit.visible_deliveries
                                       where system = 'deposit' order by business_date desc limit 1""").fetchone()
        con.execute("delete from intermediate.int_feed_deliveries where source_system = 'deposit' "
                    "and business_date = ? and delivery = ?", [day, delivery])
        rows, total = con.execute("""select count(*) filter (where business_date = ? and delivery = ?), count(*)
                                     from staging.stg_deposit__balances""", [day, delivery]).fetchone()
    assert 0 < rows < total
    assert _staging_test_scope_rows(tmp_path, tmp_path / "second") == rows
