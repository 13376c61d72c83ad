"""`bank360 bench`: simulate a bank, then run the whole pipeline day by day, measuring every stage.

Each day: the day's deliveries land in the bench's landing zone; `bank360 run --load-only` ingests them
(parse, type, reconcile, source validation); `bank360 run --build-only` builds the warehouse (dbt
with its tests, the staging and mart expectations, the publish of the BI file, the report). Both run
as child processes, timed whole, with the peak memory of their process tree; Dagster's step records
split the build into its stages.

On the first, second and last day (or the days asked for) the floors are measured on the same files and the same state:
a bare DuckDB read and a plain pandas load of the day's extracts (the ingest floors), and the day's
transformations as one SQL script on one DuckDB connection (the build floor, bench/sql_floor.py),
applied to a copy of the warehouse as it was before the day's build.

Results go to <work>/results.jsonl, one line per day as it ends: a bench stopped part-way is resumed
by running it again with the same --work.
"""

import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

from .. import settings
from . import stages
from .floors import bare_read_seconds, delivered_files
from .measure import Measurement, measured

START = "20260102"  # the simulated bank's first business date: its first month end falls in a 30-day bench


def _bank360(*args: str) -> list[str]:
    return [sys.executable, "-m", "dagster_project.cli", *args]


def _environment() -> dict:
    env = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}  # the bench's own instance
    env["DO_NOT_TRACK"] = "1"
    return env


def _simulate(extracts: Path, customers: int, days: int, seed: int) -> dict:
    """Simulate the bank once; a bench resumed on the same work folder reuses its extracts."""
    record = extracts / "simulated.json"
    bank = {"customers": customers, "days": days, "seed": seed}
    if record.exists():
        simulated = json.loads(record.read_text())
        if {key: simulated[key] for key in bank} != bank:
            raise ValueError(f"{extracts} holds a bank of {simulated['customers']} customers, {simulated['days']} "
                             f"days, seed {simulated['seed']}: resume with those, or give another --work")
        return simulated
    shutil.rmtree(extracts, ignore_errors=True)
    run = measured(_bank360("simulate", "--raw", str(extracts / "raw"), "--truth", str(extracts / "truth"),
                            "--customers", str(customers), "--start", START, "--days", str(days),
                            "--seed", str(seed), "--quiet"), _environment())
    simulated = {**bank, "seconds": run.seconds, "peak_gb": run.peak_gb, "raw_mb": stages.megabytes(extracts / "raw")}
    record.write_text(json.dumps(simulated))
    return simulated


def _stage(run: Measurement, records: int, **more) -> dict:
    return {"seconds": round(run.seconds, 2), "peak_gb": round(run.peak_gb, 3),
            "records_per_second": round(records / run.seconds), **more}


def _floors_before_build(files: list[Path], work: Path, warehouse: Path, env: dict) -> dict:
    """The ingest floors on the day's files, and the warehouse's state kept for the build floor."""
    pandas = measured([sys.executable, "-m", "dagster_project.bench.floors", "--out", str(work / "pandas"),
                       *map(str, files)], env)
    shutil.rmtree(work / "pandas")
    floor = work / "floor"
    shutil.rmtree(floor, ignore_errors=True)
    floor.mkdir()
    built = warehouse / settings.DUCKDB_FILE
    if built.exists():  # the build floor starts where the day's build starts (ingestion does not write it)
        shutil.copyfile(built, floor / settings.DUCKDB_FILE)
    return {"bare_read_seconds": round(bare_read_seconds(files), 2),
            "pandas": {"seconds": round(pandas.seconds, 2), "peak_gb": round(pandas.peak_gb, 3),
                       "records": json.loads(pandas.stdout)["rows"]}}


def _build_floor(day: int, work: Path, warehouse: Path, env: dict) -> dict:
    # dbt's compile prints the SQL of the models it compiles again mid-run: that goes to the floor's log.
    run = measured([sys.executable, "-m", "dagster_project.bench.sql_floor", "--warehouse", str(warehouse),
                    "--floor", str(work / "floor")], env, stderr=work / f"floor_day{day}.log")
    result = json.loads(run.stdout)
    if result["mismatches"]:
        raise RuntimeError(f"the build floor computed other marts than the build: {result['mismatches']}")
    # The script stays for reading beside the results; the floor's copy of the warehouse goes.
    Path(result["script"]).replace(work / f"floor_day{day}.sql")
    shutil.rmtree(work / "floor")
    return {"seconds": round(result["seconds"], 2), "peak_gb": round(run.peak_gb, 3), "slowest": result["slowest"]}


def _day(day: int, date: str, measure_floors: bool, work: Path, env: dict) -> dict:
    raw, warehouse = work / "raw", work / "warehouse"
    for folder in (work / "extracts" / "raw").glob(f"*/{date}"):
        shutil.copytree(folder, raw / folder.parent.name / date, dirs_exist_ok=True)
    files = delivered_files(raw, date)
    floors = _floors_before_build(files, work, warehouse, env) if measure_floors else {}
    where = ["--raw", str(raw), "--warehouse", str(warehouse)]
    ingest = measured(_bank360("run", *where, "--load-only"), env)
    records = stages.ingested_records(warehouse, date)
    build = measured(_bank360("run", *where, "--build-only"), env)
    steps = stages.build_steps(warehouse)
    if measure_floors:
        floors["sql_script"] = _build_floor(day, work, warehouse, env)
    return {
        "day": day, "date": date, "load_average": round(os.getloadavg()[0], 1),
        "files": len(files), "raw_mb": round(sum(p.stat().st_size for p in files) / 1024**2, 1),
        "records": records,
        "ingest": _stage(ingest, records),
        "build": _stage(build, records, steps={k: round(v, 2) for k, v in steps.items()},
                        orchestration=round(build.seconds - sum(steps.values()), 2),
                        dbt=stages.dbt_profile(warehouse)),
        "floors": floors,
        "sizes_mb": {"staging": round(stages.megabytes(warehouse / "staging"), 1),
                     "duckdb": round(stages.megabytes(warehouse / settings.DUCKDB_FILE), 1),
                     "bi": round(stages.megabytes(warehouse / settings.BI_FILE), 1)},
        "published_rows": stages.published_rows(warehouse),
    }


def _versions() -> dict:
    from importlib.metadata import version

    return {name: version(name) for name in ("dagster", "dbt-core", "dbt-duckdb", "duckdb", "great-expectations",
                                             "pyarrow", "pandas")}


def bench(customers: int, days: int, seed: int, work: Path | None, out: Path | None,
          floor_days: set[int] | None = None) -> dict:
    """Simulate and run `days` days for `customers` customers; every day's record, and the run's context.

    The floors are measured on `floor_days` (default: the first, the second and the last).
    """
    keep = work is not None
    work = (work or Path(tempfile.mkdtemp(prefix="bank360-bench-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = _environment()
    try:
        simulated = _simulate(work / "extracts", customers, days, seed)
        dates = sorted({p.name for p in (work / "extracts" / "raw").glob("*/*") if p.is_dir()})
        results = work / "results.jsonl"
        done = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
        summary = {"customers": customers, "days": days, "seed": seed, "date": dt.date.today().isoformat(),
                   "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                              f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.0f} GB",
                   "python": platform.python_version(), "versions": _versions(),
                   "simulate": simulated, "days_run": done}
        started = work / "day_started"  # the day under way: found on resume, it was interrupted
        for day, date in enumerate(dates, start=1):
            if day <= len(done):
                continue
            interrupted = started.exists() and started.read_text() == str(day)
            started.write_text(str(day))
            record = _day(day, date, day in ({1, 2, len(dates)} if floor_days is None else floor_days), work, env)
            # Its stages measured only what the interrupted run had left: the comparisons leave it out.
            record["interrupted"] = interrupted
            with results.open("a") as file:
                file.write(json.dumps(record) + "\n")
            done.append(record)
            print(progress(record), flush=True)
            if out:  # after every day: a bench of many hours is readable while it runs
                out.write_text(json.dumps(summary, indent=1))
        if out:
            out.write_text(json.dumps(summary, indent=1))
        return summary
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def progress(record: dict) -> str:
    build = record["build"]
    return (f"day {record['day']} ({record['date']}): {record['records']:,} records, "
            f"ingest {record['ingest']['seconds']:.1f} s, build {build['seconds']:.1f} s "
            f"({', '.join(f'{k} {v:.1f} s' for k, v in build['steps'].items())}), "
            f"peak {max(record['ingest']['peak_gb'], build['peak_gb']):.2f} GB")
