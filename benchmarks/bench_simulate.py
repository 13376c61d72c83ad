"""Benchmark: the source-system simulator at bank scale.

Runs `bank360 simulate` for N customers and D days in a child process and
measures its wall time and peak memory, then measures, in the same run, the
floor: a bare DuckDB scan of every file it wrote. The ratio is what to watch:
these machines are shared and noisy, bare seconds are not comparable.

    python benchmarks/bench_simulate.py [--customers 1000000] [--days 1]
"""

import argparse
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb


def bare_scan_seconds(raw: Path) -> float:
    """Read every delivered data file once with DuckDB: the cheapest possible reader.

    DuckDB decodes GBK and reads xlsx only through extensions fetched from its
    own repository, out of reach here: those files are read as bytes, a floor
    even lower than a parse.
    """
    con = duckdb.connect()
    con.execute("SET threads = 2")
    start = time.perf_counter()
    for path in sorted(raw.rglob("*")):
        if path.suffix in (".dat", ".xlsx"):
            sql = f"SELECT octet_length(content) > 0 FROM read_blob('{path}')"
        elif path.suffix == ".csv":
            sql = f"SELECT count(*) FROM read_csv('{path}', all_varchar=true)"
        elif path.suffix == ".parquet":
            sql = f"SELECT count(*) FROM read_parquet('{path}')"
        else:
            continue
        con.execute(sql).fetchall()
    return time.perf_counter() - start


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--customers", type=int, default=1_000_000)
    args.add_argument("--days", type=int, default=1)
    args.add_argument("--start", default="20260131", help="a month end, so the mortgage workbook is included")
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw, truth = Path(tmp) / "raw", Path(tmp) / "truth"
        command = [sys.executable, "-m", "dagster_project.cli", "simulate", "--raw", str(raw),
                   "--truth", str(truth), "--customers", str(opts.customers), "--start", opts.start,
                   "--days", str(opts.days), "--seed", "1", "--quiet"]
        start = time.perf_counter()
        subprocess.run(command, check=True)
        seconds = time.perf_counter() - start
        peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
        size_mb = sum(p.stat().st_size for p in raw.rglob("*") if p.is_file()) / 1024**2
        floor = bare_scan_seconds(raw)
    print(f"| {dt.date.today()} | {platform.machine()}, {os.cpu_count()} cores | {opts.customers:,} | "
          f"{opts.days} | {size_mb:,.0f} MB | {seconds:.1f} s | {peak_gb:.2f} GB | "
          f"{floor:.1f} s | {seconds / floor:.1f}x |")


if __name__ == "__main__":
    main()
