"""Benchmark: the warehouse build (dbt through Dagster) for one day, then the next (issue 4's targets).

Simulates N customers for two business days, a month end (all four systems
deliver) and the day after; loads the first day (not timed), then times
`bank360 run --build-only` in a child process: a real Dagster run of the dbt
build, staging to marts, with every dbt test. Then loads the second day and
times the incremental build again. The floor, measured in the same run, is a
bare DuckDB read of every staging file the build reads.

    python benchmarks/bench_build.py [--customers 1000000]
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from floors import customers_option, machine, measured, simulate_command, staging_scan_seconds

DAYS = ("20260131", "20260201")


def main() -> None:
    customers = customers_option()
    with tempfile.TemporaryDirectory() as tmp:
        delivered, raw, warehouse = Path(tmp) / "delivered", Path(tmp) / "raw", Path(tmp) / "warehouse"
        subprocess.run(simulate_command(delivered, Path(tmp) / "truth", customers, DAYS[0], 2), check=True)
        bank360 = [sys.executable, "-m", "dagster_project.cli", "run", "--raw", str(raw), "--warehouse", str(warehouse)]
        builds, floor = [], 0.0
        for day in DAYS:
            for folder in delivered.glob(f"*/{day}"):
                shutil.copytree(folder, raw / folder.parent.name / day)
            subprocess.run([*bank360, "--load-only"], check=True, stdout=subprocess.DEVNULL)
            floor = floor if builds else staging_scan_seconds(warehouse)  # what the first build reads
            builds.append(measured([*bank360, "--build-only"]))
        (first, peak), (second, peak2) = builds
        size = (warehouse / "bank360.duckdb").stat().st_size / 1024**3
        print(f"| {machine()} | {customers:,} | {first:.1f} s | {max(peak, peak2):.2f} GB | {second:.1f} s | "
              f"{second / first:.2f}x | {floor:.1f} s | {first / floor:.1f}x | {size:.2f} GB |")


if __name__ == "__main__":
    main()
