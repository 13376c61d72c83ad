"""Benchmark: ingesting one business day of a bank (issue 3's target).

Simulates N customers for one month-end day (all four systems deliver; not
timed), then times `bank360 run --load-only` in a child process: verify,
parse, type, reconcile and write staging and audit Parquet for every
delivery, through real Dagster runs. The floor, measured in the same run on
the same files, is a bare DuckDB read of them. The warehouse build that
follows (dbt writing the audit tables into DuckDB) is timed on its own.

    python benchmarks/bench_ingest.py [--customers 1000000]
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from floors import bare_scan_seconds, customers_option, machine, measured, raw_size_mb, simulate_command


def main() -> None:
    customers = customers_option()
    with tempfile.TemporaryDirectory() as tmp:
        raw, warehouse = Path(tmp) / "raw", Path(tmp) / "warehouse"
        subprocess.run(simulate_command(raw, Path(tmp) / "truth", customers, "20260131", 1), check=True)
        bank360 = [sys.executable, "-m", "dagster_project.cli", "run", "--raw", str(raw), "--warehouse", str(warehouse)]
        floor = bare_scan_seconds(raw)
        ingest, peak = measured([*bank360, "--load-only"])
        build, _ = measured(bank360)
        print(f"| {machine()} | {customers:,} | {raw_size_mb(raw):,.0f} MB | {ingest:.1f} s | {peak:.2f} GB | "
              f"{floor:.1f} s | {ingest / floor:.1f}x | {build:.1f} s |")


if __name__ == "__main__":
    main()
