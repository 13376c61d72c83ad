"""Benchmark: the source-system simulator at bank scale.

Runs `bank360 simulate` for N customers and D days in a child process and
measures its wall time and peak memory, then measures, in the same run, the
floor: a bare DuckDB scan of every file it wrote. The ratio is what to watch:
these machines are shared and noisy, bare seconds are not comparable.

    python benchmarks/bench_simulate.py [--customers 1000000] [--days 1]
"""

import argparse
import tempfile
from pathlib import Path

from floors import bare_scan_seconds, machine, measured, raw_size_mb, simulate_command


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--customers", type=int, default=1_000_000)
    args.add_argument("--days", type=int, default=1)
    args.add_argument("--start", default="20260131", help="a month end, so the mortgage workbook is included")
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        seconds, peak = measured(simulate_command(raw, Path(tmp) / "truth", opts.customers, opts.start, opts.days))
        floor = bare_scan_seconds(raw)
        print(f"| {machine()} | {opts.customers:,} | {opts.days} | {raw_size_mb(raw):,.0f} MB | {seconds:.1f} s | "
              f"{peak:.2f} GB | {floor:.1f} s | {seconds / floor:.1f}x |")


if __name__ == "__main__":
    main()
