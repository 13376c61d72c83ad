"""Staging files: `warehouse/staging/<feed table>/<YYYYMMDD>.parquet`, written atomically.

A reader (DuckDB, a rerun, a crash) must only ever see a complete file: the
table is written to a temporary file in the same folder (so the rename stays
on one file system), flushed to disk, then renamed over the target in one
step. A redelivery of a date simply replaces that date's file.
"""

import datetime as dt
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def staging_path(root: Path | str, table_name: str, business_date: dt.date) -> Path:
    return Path(root) / table_name / f"{business_date:%Y%m%d}.parquet"


def write_table_atomic(table: pa.Table, path: Path | str) -> Path:
    """Write `table` as Parquet at `path`; readers see the old file or the new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)  # the rename itself must survive a crash too
    return path


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open a directory; the data is already synced
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_empty_if_missing(schema: pa.Schema, path: Path | str) -> None:
    """An empty, typed file: a glob the models read then has a schema before any data arrives."""
    if not Path(path).exists():
        write_table_atomic(schema.empty_table(), path)
