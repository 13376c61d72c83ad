"""What every benchmark measures against: floors taken in the same run, on the same files."""

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
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


def measured(command: list[str]) -> tuple[float, float]:
    """Run a command; its wall time in seconds and its own peak resident memory in GB."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed with {os.waitstatus_to_exitcode(status)}")
    return seconds, usage.ru_maxrss / 1024**2


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
