"""great-expectations guards every loaded source feed, as blocking Dagster asset checks.

Real GX (pandas datasource) on real loaded partitions: a clean batch passes every
expectation, a seeded violation of every expectation in every suite fails, and a critical
failure in a real Dagster run stops the warehouse build and is reported and kept.
"""

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from conftest import query
from dagster import AssetCheckKey, AssetKey
from simbank import simulate

from dagster_project import runner, settings, validation
from dagster_project.ingest import FEEDS, ledger

SUITES = settings.PROJECT_DIR / "expectations" / "source"


def _suite(table: str) -> dict:
    return json.loads((SUITES / f"{table}.json").read_text(encoding="utf-8"))


def test_every_source_feed_has_a_documented_suite():
    assert {p.stem for p in SUITES.glob("*.json")} == {spec.table for spec in FEEDS}
    for spec in FEEDS:
        suite = _suite(spec.table)
        assert suite["name"] == f"source.{spec.table}" and suite["meta"]["asset"] == spec.table
        severities = {e["meta"]["severity"] for e in suite["expectations"]}
        assert "critical" in severities and severities <= {"critical", "warning"}
        assert all(e["meta"].get("why") for e in suite["expectations"]), spec.table


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> dict:
    """Per feed, its fullest loaded business date of a small clean bank (cycle days 27 and 28, so
    statements are cut; a month end, so the mortgage workbook arrives), with the parameters
    ingestion would supply."""
    root = tmp_path_factory.mktemp("clean_bank")
    simulate(root / "raw", root / "truth", "--customers", "400", "--start", "20260227", "--days", "2",
             "--seed", "3")
    runner.run(root / "raw", root / "warehouse", build=False)
    out = {}
    for spec in FEEDS:
        table = ledger.visible(root / "warehouse", spec.system, spec.table)
        dates = table["business_date"].to_pylist()
        day = max(set(dates), key=lambda d: (dates.count(d), d))
        rows = table.filter(pd.Series(dates).eq(day).to_numpy())
        parameters = {"records_loaded": rows.num_rows, "business_date": day.isoformat()}
        if spec.control:
            total = sum((v for v in rows[spec.control].to_pylist() if v is not None), Decimal(0))
            parameters |= {"loaded_control_sum_low": float(total - Decimal("0.005")),
                           "loaded_control_sum_high": float(total + Decimal("0.005"))}
        out[spec.table] = (validation.source_frame(spec, rows), parameters)
    return out


def _validate(suite: dict, frame: pd.DataFrame, parameters: dict, warehouse: Path) -> validation.Outcome:
    return validation.validate(suite, frame, parameters, partition="test", run_id="test", warehouse=warehouse)


def test_clean_batches_pass_every_expectation(batches, tmp_path):
    for table, (frame, parameters) in batches.items():
        suite = _suite(table)
        outcome = _validate(suite, frame, parameters, tmp_path)
        assert len(outcome.rows) == len(suite["expectations"]), f"{table}: some expectations were skipped"
        failed = [(r["expectation"], r["observed_value"], r["unexpected_count"]) for r in outcome.rows
                  if not r["success"]]
        assert failed == [], table


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
        frame.loc[first, column] = "!not matching!"
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
    for table, (frame, parameters) in batches.items():
        suite = _suite(table)
        for expectation in suite["expectations"]:
            broken_frame, broken_parameters = violate(expectation, frame, parameters)
            single = {**suite, "expectations": [expectation]}
            outcome = _validate(single, broken_frame, broken_parameters, tmp_path)
            assert [r["success"] for r in outcome.rows] == [False], (table, expectation)
            kinds.add(expectation["type"])
    assert {"expect_column_values_to_be_unique", "expect_column_values_to_be_in_set",
            "expect_column_values_to_be_between", "expect_table_row_count_to_equal"} <= kinds


def test_a_critical_failure_blocks_the_build_and_is_kept(messy_bank, tmp_path, monkeypatch):
    source_raw, _ = messy_bank
    suites = tmp_path / "expectations"
    shutil.copytree(settings.PROJECT_DIR / "expectations", suites)
    seeded = json.loads((suites / "source" / "deposit_fx_rate.json").read_text())
    seeded["expectations"].append({"type": "expect_table_row_count_to_equal", "kwargs": {"value": 0},
                                   "meta": {"severity": "critical", "why": "seeded by the test"}})
    (suites / "source" / "deposit_fx_rate.json").write_text(json.dumps(seeded))
    monkeypatch.setenv("BANK360_EXPECTATIONS", str(suites))
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    first = sorted((source_raw / "deposit").iterdir())[0]
    shutil.copytree(first, raw / "deposit" / first.name)

    blocked = runner.run(raw, warehouse)
    assert blocked.failed_runs and blocked.exit_status() == 1
    assert not (warehouse / "bank360.duckdb").exists(), "the build ran after a critical failure"
    text = runner.report(blocked)
    assert "EXPECTATION FAILED source.deposit_fx_rate" in text and "expect_table_row_count_to_equal" in text
    with runner.instance_for(warehouse) as instance:
        check = AssetCheckKey(AssetKey("deposit_fx_rate"), "expectations")
        latest = instance.event_log_storage.get_asset_check_execution_history(check, limit=1)
        assert latest and latest[0].status.value == "FAILED"

    # With the bank's own suites the same delivery passes, the build runs, and both runs stay on record.
    monkeypatch.delenv("BANK360_EXPECTATIONS")
    passed = runner.run(raw, warehouse, everything=True)
    assert not passed.failed_runs and passed.expectations_failed == []
    assert passed.data_docs.exists() and "source.deposit_fx_rate" in "".join(
        p.read_text(errors="ignore") for p in passed.data_docs.parent.rglob("*.html"))
    runs = query(warehouse, "select bool_and(success) from audit.validation_results "
                            "where suite = 'source.deposit_fx_rate' group by run_id order by 1")
    assert runs == [(False,), (True,)]
