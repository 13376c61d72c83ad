"""Every expectation's result, kept: Parquet under <warehouse>/audit/validations/, one file
per validated delivery and run, read by dbt as audit.validation_results."""

import datetime as dt
from pathlib import Path

import pyarrow as pa

from ..ingest.staging import write_table_atomic
from .gx_suites import Outcome

VALIDATIONS = Path("audit") / "validations"
SCHEMA = pa.schema([
    ("suite", pa.string()), ("asset", pa.string()), ("partition_key", pa.string()), ("expectation", pa.string()),
    ("severity", pa.string()), ("success", pa.bool_()), ("observed_value", pa.string()),
    ("unexpected_count", pa.int64()), ("element_count", pa.int64()), ("run_id", pa.string()),
    ("validated_at", pa.timestamp("us")),
])


def record(outcomes: list[Outcome], warehouse: Path, system: str, day: dt.date, delivery: int, run_id: str) -> Path:
    rows = [row for outcome in outcomes for row in outcome.rows]
    path = Path(warehouse) / VALIDATIONS / system / f"{day:%Y%m%d}" / f"delivery_{delivery}_{run_id}.parquet"
    return write_table_atomic(pa.Table.from_pylist(rows, SCHEMA), path)


def write_anchor(warehouse: Path) -> None:
    """An empty, typed file, so the history table exists before anything was validated."""
    anchor = Path(warehouse) / VALIDATIONS / "none" / "00000000" / "delivery_0.parquet"
    if not anchor.exists():
        write_table_atomic(SCHEMA.empty_table(), anchor)
