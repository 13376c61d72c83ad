"""What one day's pipeline did, read back from what it left: Dagster's step records, dbt's run
results, the load ledger and the files. The bench times whole processes; these split the times."""

import json
from pathlib import Path

import pyarrow.parquet as pq

from .. import settings

# The warehouse build's Dagster steps by stage (assets/warehouse.py, expectation_checks.py, serving.py);
# each dbt step keeps its dbt artifacts in <warehouse>/dbt/<step>.
DBT_STEPS = ("staging_models", "warehouse_models")
STAGE_OF_STEP = {**dict.fromkeys(DBT_STEPS, "dbt"), "staging_expectations": "validation",
                 "marts_expectations": "validation"}


def _stage_of(step_key: str) -> str:
    if step_key in STAGE_OF_STEP:
        return STAGE_OF_STEP[step_key]
    return "report" if "report" in step_key else "publish"


def build_steps(warehouse: Path) -> dict[str, float]:
    """Seconds of the latest warehouse build's Dagster steps, summed by stage (dbt, validation, publish, report)."""
    from dagster import DagsterInstance, RunsFilter

    with DagsterInstance.from_config(str(warehouse / "dagster")) as instance:
        run = instance.get_runs(filters=RunsFilter(job_name="warehouse_build"), limit=1)[0]
        seconds: dict[str, float] = {}
        for step in instance.get_run_step_stats(run.run_id):
            stage = _stage_of(step.step_key)
            seconds[stage] = seconds.get(stage, 0.0) + step.end_time - step.start_time
    return seconds


def dbt_profile(warehouse: Path, top: int = 8) -> dict:
    """Where the latest build's dbt time went, from the run results of both dbt steps: dbt's own elapsed time,
    the node time of models, tests and seeds (summed over dbt's threads), and the slowest nodes."""
    nodes, elapsed = [], 0.0
    for step in DBT_STEPS:
        results = warehouse / "dbt" / step / "run_results.json"
        if results.exists():
            run = json.loads(results.read_text())
            elapsed += run["elapsed_time"]
            nodes += [(r["unique_id"], r["execution_time"]) for r in run["results"]]
    seconds = {kind: round(sum(t for uid, t in nodes if uid.startswith(f"{kind}.")), 2)
               for kind in ("model", "test", "seed")}
    slowest = sorted(nodes, key=lambda node: -node[1])[:top]
    return {"elapsed": round(elapsed, 2), "node_seconds": seconds,
            "slowest": [(uid.split(".", 2)[-1], round(t, 2)) for uid, t in slowest]}


def ingested_records(warehouse: Path, date: str) -> int:
    """Records of a business date's deliveries that were loaded or quarantined (every one delivered)."""
    total = 0
    for commit in (warehouse / "audit" / "file_loads").glob(f"*/{date}/*.parquet"):
        loads = pq.read_table(commit, columns=["records_loaded", "records_quarantined"]).to_pylist()
        total += sum((row["records_loaded"] or 0) + (row["records_quarantined"] or 0) for row in loads)
    return total


def published_rows(warehouse: Path) -> int:
    import duckdb

    bi_file = warehouse / settings.BI_FILE
    if not bi_file.exists():
        return 0
    with duckdb.connect(str(bi_file), read_only=True) as con:
        published = con.execute("select max(published_at) from serving.published").fetchone()[0]
        return con.execute("select sum(row_count) from serving.published where published_at = ?",
                           [published]).fetchone()[0]


def megabytes(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1024**2
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1024**2
