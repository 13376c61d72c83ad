"""The warehouse's DuckDB file as the commands that only read it open it."""

from pathlib import Path

import duckdb

from . import settings


def open_read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """Read-only, as a BI tool opens it; a clear error when nothing was built there yet."""
    path = Path(warehouse) / settings.DUCKDB_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no warehouse at {path}: run `bank360 run` first")
    return duckdb.connect(str(path), read_only=True)
