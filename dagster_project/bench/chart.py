"""The charts of docs/performance.md from `bank360 bench --out` files: cost against size, and day by day.

    python -m dagster_project.bench.chart RESULT.json... --out-dir docs

writes `bench-by-size.svg` (day one of each bench, by customers) and `bench-by-day.svg` (every day of the
longest bench at the largest size), and prints the table of every bench side by side.
"""

import argparse
import json
from pathlib import Path

from ..report.charts import Series, bars, short
from . import tables

# The pipeline's stages, stacked in the order they run, with the report's palette.
STAGES = (("ingest", "#0b4f9c", lambda d: d["ingest"]["seconds"]),
          ("dbt", "#3e7cb1", lambda d: d["build"]["steps"].get("dbt", 0)),
          ("validation", "#81a4cd", lambda d: d["build"]["steps"].get("validation", 0)),
          ("orchestration", "#c2410c", lambda d: d["build"]["orchestration"]),
          ("publish and report", "#f0a35e",
           lambda d: d["build"]["steps"].get("publish", 0) + d["build"]["steps"].get("report", 0)))


def _stacked(days: list[dict]) -> list[Series]:
    return [Series(name, colour, [round(seconds(day), 1) for day in days]) for name, colour, seconds in STAGES]


def by_size(summaries: list[dict]) -> str:
    """Day one of each size: does the cost grow with the bank, and where is it fixed cost?"""
    sizes: dict[int, dict] = {}
    for summary in sorted((s for s in summaries if s["days_run"]), key=lambda s: s["customers"]):
        # One bar per size: benches of the same size agree on day one, the first of them is drawn.
        sizes.setdefault(summary["customers"], summary["days_run"][0])
    return bars("bench-by-size", "Day one, seconds by stage, by number of customers",
                "Wall time of the first day's ingest and build at each size, stacked by stage.",
                [short(n) for n in sizes], _stacked(list(sizes.values())),
                value_label="seconds", category_label="customers", width=640, fmt=lambda v: f"{v:,.0f} s")


def by_day(summary: dict) -> str:
    """Every day of one bench: does a later day cost more as history grows?"""
    days = summary["days_run"]
    return bars("bench-by-day", f"{summary['customers']:,} customers: seconds by stage, day by day",
                "Wall time of each day's ingest and build, stacked by stage, as the history grows.",
                [str(d["day"]) for d in days], _stacked(days), value_label="seconds", category_label="day",
                width=max(640, 90 + 22 * len(days)), fmt=lambda v: f"{v:,.0f}")


if __name__ == "__main__":
    args = argparse.ArgumentParser(description="draw docs/performance.md's charts from bench results")
    args.add_argument("results", type=Path, nargs="+")
    args.add_argument("--out-dir", type=Path, default=Path("docs"))
    options = args.parse_args()
    summaries = [json.loads(path.read_text()) for path in options.results]
    (options.out_dir / "bench-by-size.svg").write_text(by_size(summaries))
    longest = max(summaries, key=lambda s: (len(s["days_run"]), s["customers"]))
    (options.out_dir / "bench-by-day.svg").write_text(by_day(longest))
    print(tables.sizes_table(summaries))
