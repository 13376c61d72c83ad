"""Benchmark: what great-expectations validation adds to a daily run (issue 5's target: at most 25 %).

Simulates N customers for two business days, a month end (all four systems deliver)
and the day after. Then, twice, into a fresh warehouse each time: `bank360 run` for the
first day and `bank360 run` for the second (the daily run: load every delivery, build,
validate), once with BANK360_VALIDATE=off and once with validation on. The runs without
validation are the floor, measured on the same files in the same session.

    python benchmarks/bench_validation.py [--customers 1000000]
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from floors import customers_option, machine, measured, simulate_command

DAYS = ("20260131", "20260201")


def daily_runs(delivered: Path, root: Path, validate: str) -> list[tuple[float, float]]:
    """(seconds, peak GB) of `bank360 run` for each day, into a fresh landing zone and warehouse."""
    raw, warehouse = root / f"raw_{validate}", root / f"warehouse_{validate}"
    os.environ["BANK360_VALIDATE"] = validate
    runs = []
    for day in DAYS:
        for folder in delivered.glob(f"*/{day}"):
            shutil.copytree(folder, raw / folder.parent.name / day)
        runs.append(measured([sys.executable, "-m", "dagster_project.cli", "run", "--raw", str(raw),
                              "--warehouse", str(warehouse)]))
    return runs


def main() -> None:
    customers = customers_option()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run(simulate_command(root / "delivered", root / "truth", customers, DAYS[0], 2), check=True)
        (off1, _), (off2, _) = daily_runs(root / "delivered", root, "off")
        (on1, peak1), (on2, peak2) = daily_runs(root / "delivered", root, "on")
        print(f"| {machine()} | {customers:,} | {off1:.1f} s | {on1:.1f} s | {on1 / off1 - 1:+.0%} | "
              f"{off2:.1f} s | {on2:.1f} s | {on2 / off2 - 1:+.0%} | {max(peak1, peak2):.2f} GB |")


if __name__ == "__main__":
    main()
