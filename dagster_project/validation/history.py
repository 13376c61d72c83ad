"""Every expectation's result, kept: Parquet under <warehouse>/audit/validations/, read by dbt
as audit.validation_results. One file per validated delivery and run for source feeds
(<system>/<business date>/delivery_<n>_<run>), per layer and run for the models a build
validated (<layer>/<run date>/<run>)."""

import datetime as dt
from pathlib import Path

import pyarrow as pa

from ..ingest.staging import write_empty_if_missing, write_table_atomic
from .gx_suites import Outcome

VALIDATIONS = Path("audit") / "validations"
SCHEMA = pa.schema([
    ("suite", pa.string()), ("asset", pa.string()), ("partition_key", pa.string()), ("expectation", pa.string()),
    ("severity", pa.string()), ("success", pa.bool_()), ("observed_value", pa.string()),
    ("unexpected_count", pa.int64()), ("element_count", pa.int64()), ("run_id", pa.string()),
    ("validated_at", pa.timestamp("us")),
])


def path(warehouse: Path, system: str, day: dt.date, delivery: int, run_id: str) -> Path:
    """Where one run's validations of one delivery are kept."""
    return Path(warehouse) / VALIDATIONS / system / f"{day:%Y%m%d}" / f"delivery_{delivery}_{run_id}.parquet"


def layer_path(warehouse: Path, layer: str, run_id: str) -> Path:
    """Where one build run's validations of one model layer are kept."""
    return Path(warehouse) / VALIDATIONS / layer / f"{dt.date.today():%Y%m%d}" / f"{run_id}.parquet"


def of_run(warehouse: Path, run_id: str) -> list[Path]:
    """Every validations file one run wrote."""
    return sorted((Path(warehouse) / VALIDATIONS).glob(f"*/*/*{run_id}.parquet"))


def record(outcomes: list[Outcome], target: Path) -> Path:
    rows = [row for outcome in outcomes for row in outcome.rows]
    return write_table_atomic(pa.Table.from_pylist(rows, SCHEMA), target)


def write_anchor(warehouse: Path) -> None:
    """An empty, typed file, so the history table exists before anything was validated."""
    write_empty_if_missing(SCHEMA, Path(warehouse) / VALIDATIONS / "none" / "00000000" / "delivery_0.parquet")
