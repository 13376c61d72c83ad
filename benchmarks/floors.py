"""What every benchmark measures against: floors taken in the same run, on the same files."""

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import duckdb

from dagster_project.bench.floors import DATA_SUFFIXES, bare_read_seconds
from dagster_project.bench.measure import measured as measured_tree


def bare_scan_seconds(raw: Path) -> float:
    """Read every delivered data file once with DuckDB: the cheapest possible reader (bench/floors.py)."""
    return bare_read_seconds(sorted(p for p in raw.rglob("*") if p.suffix in DATA_SUFFIXES))


def measured(command: list[str]) -> tuple[float, float]:
    """Run a command; its wall time in seconds and the peak memory of its process tree in GB."""
    run = measured_tree(command)
    return run.seconds, run.peak_gb


def simulate_command(raw: Path, truth: Path, customers: int, start: str, days: int) -> list[str]:
    return [sys.executable, "-m", "dagster_project.cli", "simulate", "--raw", str(raw), "--truth", str(truth),
            "--customers", str(customers), "--start", start, "--days", str(days), "--seed", "1", "--quiet"]


def raw_size_mb(raw: Path) -> float:
    return sum(p.stat().st_size for p in raw.rglob("*") if p.is_file()) / 1024**2


def machine() -> str:
    return f"{dt.date.today()} | {platform.machine()}, {os.cpu_count()} cores"


def staging_scan_seconds(warehouse: Path) -> float:
    """Read every loaded staging file once with DuckDB, every column: the floor of a build."""
    con = duckdb.connect()
    con.execute("SET threads = 2")
    start = time.perf_counter()
    for table in sorted(p for p in (warehouse / "staging").iterdir() if p.is_dir()):
        con.execute(f"SELECT * FROM read_parquet('{table}/*/*.parquet', union_by_name = true)").to_arrow_table()
    return time.perf_counter() - start


def customers_option() -> int:
    """The benchmark's size, --customers (default: the bank-scale 1,000,000)."""
    args = argparse.ArgumentParser()
    args.add_argument("--customers", type=int, default=1_000_000)
    return args.parse_args().customers
