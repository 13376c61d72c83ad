"""Load one complete delivery: verify, parse, type, reconcile, judge (extract-spec sections 1, 7, 8).

Every feed of the system gets a FeedResult, whatever happened to its file:
loaded (with its typed records and its quarantine) or rejected (with the
file-level reason). Feeds go parents first, because a record whose parent
did not load is an orphan, and so is every record of a rejected parent.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import card, deposit, loan, mortgage
from .feeds import FeedSpec, control_files, feeds_of, file_name
from .manifest import READY, Manifest, ManifestError, parse_business_date, read_manifest, verify_file
from .records import FileRejected, RawFeed, TypedFeed, check_control, check_records, type_records

LOADED, REJECTED = "loaded", "rejected"

QUARANTINE_SCHEMA = pa.schema([
    ("system", pa.string()), ("business_date", pa.date32()), ("delivery", pa.int32()),
    ("file", pa.string()), ("feed", pa.string()), ("record_no", pa.int64()), ("record_key", pa.string()),
    ("reason", pa.string()), ("message", pa.string()), ("raw_record", pa.string()),
])

FILES_SCHEMA = pa.schema([
    ("system", pa.string()), ("business_date", pa.date32()), ("delivery", pa.int32()),
    ("file", pa.string()), ("feed", pa.string()), ("status", pa.string()), ("reason", pa.string()),
    ("message", pa.string()), ("records_delivered", pa.int64()), ("records_loaded", pa.int64()),
    ("records_quarantined", pa.int64()), ("control_sum", pa.decimal128(18, 2)), ("drift", pa.string()),
])


@dataclass
class FeedResult:
    system: str
    feed: str  # the spec's table name: CUSTOMER, card_txn, contracts, ...
    table_name: str  # warehouse-wide unique name (FeedSpec.table), for staging
    file: str
    business_date: dt.date
    delivery: int
    status: str  # loaded or rejected
    reason: str | None  # file-level defect code when rejected
    message: str | None
    delivered: int | None  # None when the file could not be read at all
    loaded: int
    quarantined: int
    control_sum: Decimal | None  # over every delivered record
    table: pa.Table  # the loaded records, typed, plus business_date and delivery
    quarantine: pa.Table  # QUARANTINE_SCHEMA
    drift: list[tuple[str, str]] = field(default_factory=list)  # tolerated: (EXTRA_COLUMN, message)


@dataclass
class DeliveryResult:
    system: str
    business_date: dt.date
    delivery: int  # 0 when `_READY` is unreadable
    folder: Path
    feeds: list[FeedResult]  # parents first
    unexpected_files: list[str]  # in the folder or `_READY` but no feed of the interface

    def feed(self, name: str) -> FeedResult:
        return next(f for f in self.feeds if f.feed == name)

    @property
    def rejected(self) -> list[FeedResult]:
        return [f for f in self.feeds if f.status == REJECTED]


def _where(folder: Path, system: str | None, business_date: dt.date | str | None) -> tuple[str, dt.date]:
    """System and date of a delivery: given, or read from raw/<system>/<YYYYMMDD>/."""
    system = system or folder.parent.name
    if business_date is None:
        day = parse_business_date(folder.name)
    elif isinstance(business_date, str):
        day = parse_business_date(business_date)
    else:
        day = business_date
    if day is None:
        raise ValueError(f"{folder}: not a raw/<system>/<YYYYMMDD> folder; pass system and business_date")
    feeds_of(system)  # raises for an unknown system
    return system, day


def _empty(spec: FeedSpec) -> pa.Table:
    return spec.loaded_schema().empty_table()


def _rejected(spec: FeedSpec, file: str, day: dt.date, number: int, code: str, message: str,
              delivered: int | None = None, control_sum: Decimal | None = None) -> FeedResult:
    return FeedResult(spec.system, spec.name, spec.table, file, day, number, REJECTED, code, message,
                      delivered, 0, 0, control_sum, _empty(spec), QUARANTINE_SCHEMA.empty_table())


def _parse(folder: Path, system: str, stamp: str, specs: list[FeedSpec], manifest: Manifest
           ) -> dict[str, RawFeed | FileRejected]:
    """Every feed's records, or why its file is rejected. Nothing is parsed before it is verified."""
    out: dict[str, RawFeed | FileRejected] = {}

    def verified(name: str, vouches_for: str) -> None:
        problem = verify_file(folder, name, manifest)
        if problem:
            suffix = "" if name == vouches_for else f" ({name} vouches for {vouches_for})"
            raise FileRejected(problem.code, problem.message + suffix)

    if system == "mortgage":
        name = file_name(specs[0], stamp)
        try:
            verified(name, name)
            out.update(mortgage.read_mortgage(folder / name, specs))
        except FileRejected as why:  # one workbook: both sheets share its fate
            out.update({spec.name: why for spec in specs})
        return out
    control_of = control_files(system)
    card_control = None
    for spec in specs:
        try:
            verified(spec.file, spec.file)
            if system == "deposit":
                out[spec.name] = deposit.read_deposit(folder / spec.file, spec, stamp)
            elif system == "loan":
                verified(control_of[spec.file], spec.file)
                out[spec.name] = loan.read_loan(folder / spec.file, folder / control_of[spec.file], spec)
            else:
                if card_control is None:
                    verified(card.CONTROL, spec.file)
                    card_control = card.read_control(folder / card.CONTROL)
                out[spec.name] = card.read_card(folder / spec.file, spec, card_control)
        except FileRejected as why:
            out[spec.name] = why
    return out


def _known_files(system: str, stamp: str) -> set[str]:
    names = {file_name(spec, stamp) for spec in feeds_of(system)}
    return names | set(control_files(system).values()) | {READY}


def load_delivery(folder: Path | str, system: str | None = None, business_date: dt.date | str | None = None,
                  on_feed: Callable[[FeedResult], None] | None = None) -> DeliveryResult:
    """Load every feed of one complete delivery folder (it must hold `_READY`).

    system and business_date default to the folder's place, raw/<system>/<YYYYMMDD>/;
    give them for a folder kept elsewhere (e.g. a superseded delivery). on_feed is called with
    each feed's result as soon as it is final (parents first), while the rest are still judged.
    """
    folder = Path(folder)
    system, day = _where(folder, system, business_date)
    stamp = day.strftime("%Y%m%d")
    specs = feeds_of(system)
    if not (folder / READY).is_file():
        # The source may still be writing: reading now could load half a file.
        raise FileNotFoundError(f"{folder} has no {READY}: the delivery is not complete and is never read")
    try:
        manifest = read_manifest(folder)
    except ManifestError as exc:
        results = [_rejected(s, file_name(s, stamp), day, 0, "BAD_MANIFEST", str(exc)) for s in specs]
        return DeliveryResult(system, day, 0, folder, results, [])
    number = manifest.delivery
    present = {p.name for p in folder.iterdir() if p.is_file()}
    unexpected = sorted((present | set(manifest.files)) - _known_files(system, stamp))

    parsed = _parse(folder, system, stamp, specs, manifest)
    typed = {name: type_records(raw) for name, raw in parsed.items() if isinstance(raw, RawFeed)}
    for name, raw in list(parsed.items()):
        if isinstance(raw, RawFeed) and (why := check_control(raw, typed[name])):
            label = f"{raw.file} sheet {raw.spec.sheet}" if raw.spec.sheet else raw.file
            parsed[name] = FileRejected("CONTROL_MISMATCH", f"{label}: {why}")
    if system == "mortgage":  # one workbook: a sheet that fails its control rejects both
        failed = next((why for why in parsed.values() if isinstance(why, FileRejected)), None)
        if failed:
            parsed = {name: failed for name in parsed}

    results, loaded_keys = [], {}
    for spec in specs:
        raw = parsed[spec.name]
        if isinstance(raw, FileRejected):
            delivered = typed[spec.name].table.num_rows if spec.name in typed else None
            control_sum = typed[spec.name].control_sum if spec.name in typed else None
            result = _rejected(spec, file_name(spec, stamp), day, number, raw.code, raw.message, delivered,
                               control_sum)
        else:
            result = _judge(raw, typed[spec.name], loaded_keys, day, number)
        loaded_keys[spec.name] = pc.drop_null(result.table[spec.key]).combine_chunks()
        results.append(result)
        if on_feed:
            on_feed(result)
    return DeliveryResult(system, day, number, folder, results, unexpected)


def _judge(raw: RawFeed, typed: TypedFeed, loaded_keys: dict[str, pa.Array], day: dt.date, number: int) -> FeedResult:
    spec = raw.spec
    parent_keys = loaded_keys.get(spec.ref[1]) if spec.ref else None
    checked = check_records(raw, typed, parent_keys)
    ok = checked.loaded
    table = typed.table.filter(pa.array(ok))
    table = table.append_column("business_date", pa.array([day] * table.num_rows, pa.date32()))
    table = table.append_column("delivery", pa.array([number] * table.num_rows, pa.int32()))
    bad = np.flatnonzero(~ok).tolist()
    keys = typed.table[spec.key].to_pylist() if bad else []
    rows = []
    for row in bad:
        key, record_no = keys[row], int(raw.record_no[row])
        named = f" (key {key})" if key is not None else ""
        rows.append({
            "system": spec.system, "business_date": day, "delivery": number, "file": raw.file,
            "feed": spec.name, "record_no": record_no, "record_key": key, "reason": checked.reason[row],
            "message": f"{raw.file} {raw.where} {record_no}{named}: {checked.reason[row]}: "
                       f"{checked.detail[row]}",
            "raw_record": raw.raw(row),
        })
    quarantine = pa.Table.from_pylist(rows, schema=QUARANTINE_SCHEMA)
    return FeedResult(spec.system, spec.name, spec.table, raw.file, day, number, LOADED, None, None,
                      raw.size, table.num_rows, len(rows), typed.control_sum, table, quarantine,
                      list(raw.drift))


def quarantine_table(result: DeliveryResult) -> pa.Table:
    """Every quarantined record of a delivery, for the audit."""
    return pa.concat_tables([f.quarantine for f in result.feeds] or [QUARANTINE_SCHEMA.empty_table()])


def files_table(result: DeliveryResult) -> pa.Table:
    """One audit row per feed: what happened to its file, with counts and the control sum."""
    return pa.Table.from_pylist([{
        "system": f.system, "business_date": f.business_date, "delivery": f.delivery, "file": f.file,
        "feed": f.feed, "status": f.status, "reason": f.reason, "message": f.message,
        "records_delivered": f.delivered, "records_loaded": f.loaded, "records_quarantined": f.quarantined,
        "control_sum": f.control_sum, "drift": "; ".join(m for _, m in f.drift) or None,
    } for f in result.feeds], schema=FILES_SCHEMA)
