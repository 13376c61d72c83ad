"""Does the grading work? Reproduces docs/credit-model.md's validation on simulated history.

Simulates a bank over 13 months, loads and builds it (validation off: this measures the
model, not the pipeline), fits an individual scorecard on the early months into a scratch
copy of the seeds (the committed card is left alone), and reports the out-of-time Gini, KS
and default rate by grade; then the warehouse's own back-test of the committed card
(marts.credit_model_performance, marts.credit_backtest).

    python benchmarks/credit_model.py [--customers 6000] [--out-of-time-from 2025-05] [--work DIR]
"""

import argparse
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import numpy as np

from dagster_project import runner, settings
from dagster_project.cli import month
from dagster_project.credit import fit
from dagster_project.simulator import Options, simulate

START, DAYS, SEED = "2025-01-01", 396, 2025  # January 2025 .. January 2026


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--customers", type=int, default=6000)
    args.add_argument("--out-of-time-from", type=month, default=month("2025-05"))
    args.add_argument("--work", type=Path, help="keep the simulated bank and warehouse here (default: a temp dir)")
    args = args.parse_args()
    os.environ["BANK360_VALIDATE"] = "off"
    work = args.work or Path(tempfile.mkdtemp(prefix="bank360_credit_"))
    raw, warehouse = work / "raw", work / "warehouse"
    if not raw.exists():
        simulate(Options(raw=raw, truth=work / "truth", customers=args.customers,
                         start=np.datetime64(START), days=DAYS, seed=SEED, progress=False))
    print(runner.report(runner.run(raw, warehouse, build=False)).splitlines()[0])
    build = runner.run(raw, warehouse, load=False)  # always builds (a rerun after a failed build, say)
    if build.failed_runs:
        raise SystemExit(runner.report(build))

    seeds = work / "seeds"
    shutil.rmtree(seeds, ignore_errors=True)
    shutil.copytree(settings.DBT_DIR / "seeds" / "credit", seeds)
    result = fit.fit(warehouse, args.out_of_time_from, seeds)
    print(f"{dt.date.today()}: fitted on {args.customers:,} simulated customers, {START} + {DAYS} days")
    print(fit.report(result))

    with duckdb.connect(str(warehouse / settings.DUCKDB_FILE), read_only=True) as con:
        print("\nthe committed card, back-tested by the warehouse (individuals; month, observations, defaults, "
              "Gini, KS, window complete):")
        for row in con.execute("""select month_start, observations, defaults, gini, ks, window_complete
                                  from marts.credit_model_performance where customer_kind = 'I'
                                  order by month_start""").fetchall():
            print("  " + "  ".join(str(v) for v in row))


if __name__ == "__main__":
    main()
