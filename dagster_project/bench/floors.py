"""The ingest floors: what reading the same extracts costs without bank360.

- `bare_read_seconds`: DuckDB reads every data file once, the cheapest possible reader.
- `pandas_load`: what many teams would write instead: each file into a pandas frame,
  every field as text, written out as Parquet. Run as a child process
  (`python -m dagster_project.bench.floors --out DIR FILE...`) so its memory is its own.
"""

import argparse
import json
import time
from pathlib import Path

import duckdb

DATA_SUFFIXES = (".dat", ".csv", ".parquet", ".xlsx")  # control files and manifests are not data


def delivered_files(raw: Path, date: str) -> list[Path]:
    """The data files of every system's delivery of a business date (YYYYMMDD)."""
    return sorted(p for p in raw.glob(f"*/{date}/*") if p.suffix in DATA_SUFFIXES)


def bare_read_seconds(files: list[Path]) -> float:
    """Read every file once with DuckDB: the cheapest possible reader.

    DuckDB decodes GBK and reads xlsx only through extensions fetched from its own
    repository, out of reach offline: those files are read as bytes, a floor even
    lower than a parse.
    """
    con = duckdb.connect()
    con.execute("SET threads = 2")
    start = time.perf_counter()
    for path in files:
        if path.suffix in (".dat", ".xlsx"):
            sql = f"SELECT octet_length(content) > 0 FROM read_blob('{path}')"
        elif path.suffix == ".csv":
            sql = f"SELECT count(*) FROM read_csv('{path}', all_varchar=true)"
        else:
            sql = f"SELECT count(*) FROM read_parquet('{path}')"
        con.execute(sql).fetchall()
    return time.perf_counter() - start


def _frames(path: Path):
    """(name, frame) of a file, every field text, as a plain pandas script would read it."""
    import pandas as pd

    if path.suffix == ".dat":
        # Header, data and trailer records share the file (first field H, D or T): keep the D records.
        frame = pd.read_csv(path, sep="|", encoding="gbk", header=None, skiprows=1, dtype=str, keep_default_na=False)
        yield path.stem, frame[frame[0] == "D"]
    elif path.suffix == ".csv":
        yield path.stem, pd.read_csv(path, dtype=str, keep_default_na=False)
    elif path.suffix == ".parquet":
        yield path.stem, pd.read_parquet(path)
    else:
        for sheet, frame in pd.read_excel(path, sheet_name=None, dtype=str).items():
            yield f"{path.stem}_{sheet}", frame


def pandas_load(files: list[Path], out: Path) -> int:
    """Load every file into pandas and write it out as Parquet; the records loaded."""
    out.mkdir(parents=True, exist_ok=True)
    rows = 0
    for path in files:
        for name, frame in _frames(path):
            frame.to_parquet(out / f"{path.parent.parent.name}_{name}.parquet", index=False)
            rows += len(frame)
    return rows


if __name__ == "__main__":
    args = argparse.ArgumentParser(description="load extracts the plain pandas way (the bench's baseline)")
    args.add_argument("--out", type=Path, required=True)
    args.add_argument("files", type=Path, nargs="+")
    options = args.parse_args()
    print(json.dumps({"rows": pandas_load(options.files, options.out)}))
