"""Simulate the bank day by day and write every delivery plus the ground truth."""

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from .defects import FILE_DEFECTS, RECORD_DEFECTS, inject
from .deliveries import SYSTEM_ORDER, Delivery, choose_file_defects
from .world import World


@dataclass(frozen=True)
class Options:
    raw: Path
    truth: Path
    customers: int
    start: np.datetime64
    days: int
    seed: int
    defect_rate: float = 0.0
    redeliver_rate: float = 0.0
    late_rate: float = 0.0
    unready: int = 0
    progress: bool = True


TRUTH_SCHEMAS = {
    "deliveries": pa.schema([("system", pa.string()), ("business_date", pa.date32()),
                             ("delivery", pa.int32()), ("arrival_seq", pa.int32()),
                             ("state", pa.string()), ("path", pa.string())]),
    "files": pa.schema([("system", pa.string()), ("business_date", pa.date32()), ("delivery", pa.int32()),
                        ("file", pa.string()), ("feed", pa.string()), ("records", pa.int64()),
                        ("control_sum", pa.decimal128(18, 2)), ("file_defect", pa.string())]),
    "defects": pa.schema([("system", pa.string()), ("business_date", pa.date32()), ("delivery", pa.int32()),
                          ("file", pa.string()), ("feed", pa.string()), ("record_no", pa.int64()),
                          ("record_key", pa.string()), ("defect", pa.string()), ("level", pa.string()),
                          ("expected", pa.string()), ("injected", pa.bool_())]),
    "defaults": pa.schema([("person_id", pa.int64()), ("system", pa.string()), ("contract", pa.string()),
                           ("default_date", pa.date32()), ("trigger", pa.string())]),
}


def simulate(opts: Options) -> dict[str, int]:
    raw, truth = opts.raw.resolve(), opts.truth.resolve()
    if truth == raw or raw in truth.parents:
        raise ValueError(f"--truth {opts.truth} must not lie inside --raw {opts.raw}: "
                         "the warehouse would read the answers")
    shutil.rmtree(truth / "superseded", ignore_errors=True)
    world = World(opts.customers, opts.seed, opts.start)
    covered_records: set[tuple[str, str]] = set()
    covered_files: set[tuple[str, str]] = set()
    log = {"deliveries": [], "files": [], "defects": []}
    last = opts.start + (opts.days - 1)
    unready = _unready_systems(opts, last)
    steps = tqdm(range(opts.days), desc="simulating", unit="day", disable=not opts.progress)
    for d in steps:
        today = opts.start + d
        world.advance(today)
        for s_index, system in enumerate(world.systems):
            feeds = system.feeds(today)
            if not feeds:
                continue
            rng = np.random.default_rng([opts.seed, 100 + s_index, d])
            delivery = Delivery(system.system, today, feeds)
            forced = opts.defect_rate > 0 and _inject_all(
                delivery, rng, opts.defect_rate, covered_records, covered_files)
            arrival = d * 10 + s_index
            if rng.random() < opts.late_rate:
                arrival += 10 * int(rng.integers(1, 4)) + 5
            _deliver(delivery, opts, raw, truth, rng, arrival, (system.system, today) in unready, forced, log)
    _write_truth(truth, world, log)
    return {"persons": len(world.persons["person_id"]), "deliveries": len(log["deliveries"]),
            "defects": len(log["defects"])}


def _unready_systems(opts: Options, last: np.datetime64) -> set[tuple[str, np.datetime64]]:
    rng = np.random.default_rng([opts.seed, 99])
    daily = [s for s in SYSTEM_ORDER if s != "mortgage"]
    picked = rng.choice(daily, min(opts.unready, len(daily)), replace=False)
    return {(str(s), last) for s in picked}


def _inject_all(delivery: Delivery, rng, rate, covered_records, covered_files) -> bool:
    """Inject record and file defects; True when a file defect was placed to cover its kind."""
    system = delivery.system
    for feed in sorted(delivery.feeds, key=lambda f: -f.size):
        force = {k for k in RECORD_DEFECTS[system] if (system, k) not in covered_records}
        covered_records |= {(system, k) for k in inject(feed, rng, rate, force)}
    force = {k for k in FILE_DEFECTS[system] if (system, k) not in covered_files}
    placed = choose_file_defects(delivery, rng, rate, force)
    covered_files |= {(system, k) for k in placed}
    return bool(placed & force)


def _deliver(delivery: Delivery, opts: Options, raw: Path, truth: Path, rng, arrival: int,
             unready: bool, forced: bool, log: dict) -> None:
    """Write a delivery; a broken one is often sent again, repaired, a few days on.

    Deliveries whose file defects were placed only to cover every kind are
    always redelivered, so the record defects their rejected files hid still
    reach the warehouse (and the truth) through the repaired delivery.
    """
    system, day = delivery.system, delivery.day
    stamp = str(day).replace("-", "")
    folder = raw / system / stamp
    shutil.rmtree(folder, ignore_errors=True)
    broken = bool(delivery.rejected())
    redeliver = not unready and (forced or rng.random() < opts.redeliver_rate
                                 or (broken and rng.random() < 0.5))
    first_path = truth / "superseded" / system / stamp / "delivery_1" if redeliver else folder
    delivery.write(first_path, 1, ready=not unready)
    state = "unready" if unready else ("superseded" if redeliver else "complete")
    rel = first_path.relative_to(truth if redeliver else raw)
    log["deliveries"].append(_delivery_row(delivery, 1, arrival, state, rel))
    files, defects = delivery.truth_rows(1)
    log["files"] += files
    log["defects"] += defects
    if redeliver:
        delivery.file_defects = {}
        delivery.write(folder, 2)
        log["deliveries"].append(_delivery_row(delivery, 2, arrival + 10 * int(rng.integers(1, 3)) + 7,
                                               "complete", folder.relative_to(raw)))
        files, defects = delivery.truth_rows(2)
        log["files"] += files
        log["defects"] += defects


def _delivery_row(delivery: Delivery, number: int, arrival: int, state: str, path: Path) -> dict:
    return {"system": delivery.system, "business_date": delivery.day.astype("datetime64[D]").item(),
            "delivery": number, "arrival_seq": arrival, "state": state, "path": str(path)}


def _write_truth(truth: Path, world: World, log: dict) -> None:
    truth.mkdir(parents=True, exist_ok=True)
    tables = world.truth_tables()
    # arrival_seq becomes a dense order 1..n, the order a landing zone would have seen.
    order = sorted(range(len(log["deliveries"])), key=lambda i: log["deliveries"][i]["arrival_seq"])
    for rank, i in enumerate(order, start=1):
        log["deliveries"][i]["arrival_seq"] = rank
    for name, rows in log.items():
        pq.write_table(pa.Table.from_pylist(rows, schema=TRUTH_SCHEMAS[name]), truth / f"{name}.parquet")
    for name, columns in tables.items():
        table = pa.table(columns) if columns else pa.Table.from_pylist([], schema=TRUTH_SCHEMAS[name])
        if name == "defaults" and columns:
            table = table.cast(TRUTH_SCHEMAS["defaults"])
        pq.write_table(table, truth / f"{name}.parquet")
