"""The warehouse's DuckDB files as the commands that only read them open them."""

from pathlib import Path

import duckdb

from . import settings


def _open(path: Path, missing: str) -> duckdb.DuckDBPyConnection:
    if not path.is_file():
        raise FileNotFoundError(f"no {missing} at {path}: run `bank360 run` first")
    return duckdb.connect(str(path), read_only=True)


def open_read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The restricted warehouse, read-only, as a BI tool opens it; a clear error when nothing was built there yet."""
    return _open(Path(warehouse) / settings.DUCKDB_FILE, "warehouse")


def open_bi(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The published BI file (personal data masked), read-only: never locked by a load."""
    return _open(Path(warehouse) / settings.BI_FILE, "published BI file")
