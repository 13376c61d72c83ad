"""The warehouse's record of loaded deliveries: staging files plus a commit log.

Layout under the warehouse directory (all Parquet, written atomically):

    staging/<feed table>/<YYYYMMDD>/delivery_<n>.parquet      loaded records
    audit/quarantine/<system>/<YYYYMMDD>/delivery_<n>.parquet quarantined records
    audit/file_loads/<system>/<YYYYMMDD>/delivery_<n>.parquet one row per file: the commit

The file_loads file is written last: it is the commit. Readers take, for each
system and date, the newest committed delivery and only its staging files.
So a load killed half-way leaves nothing visible (its files are not
committed), a rerun rewrites the same names, a redelivery (n+1) replaces the
date as a whole, and a late delivery lands in its own date.

A delivery that failed a critical expectation is committed *held*: its records are
kept (loaded or quarantined, the counts reconcile), but readers go on seeing the
date's previous delivery, if any, until a redelivery passes.
"""

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .load import FILES_SCHEMA, DeliveryResult, FeedResult, files_table, quarantine_table
from .manifest import DeliveryFolder, read_manifest
from .staging import write_empty_if_missing, write_table_atomic

STAGING = Path("staging")
QUARANTINE = Path("audit") / "quarantine"
FILE_LOADS = Path("audit") / "file_loads"
COMMIT_SCHEMA = FILES_SCHEMA.append(pa.field("sha256", pa.string())).append(
    pa.field("started", pa.timestamp("us"))).append(pa.field("finished", pa.timestamp("us"))).append(
    pa.field("held", pa.bool_()))


def _part(day: dt.date, delivery: int) -> Path:
    return Path(f"{day:%Y%m%d}") / f"delivery_{delivery}.parquet"


def commit_path(warehouse: Path, system: str, day: dt.date, delivery: int) -> Path:
    return Path(warehouse) / FILE_LOADS / system / _part(day, delivery)


def quarantine_path(warehouse: Path, system: str, day: dt.date, delivery: int) -> Path:
    return Path(warehouse) / QUARANTINE / system / _part(day, delivery)


def announced_delivery(folder: DeliveryFolder) -> int:
    """The delivery number `_READY` announces; 0 for an unreadable manifest, as the load records it."""
    try:
        return read_manifest(folder.path).delivery
    except ValueError:
        return 0


def is_committed(warehouse: Path, folder: DeliveryFolder) -> bool:
    """Has this exact delivery (the number its `_READY` announces) been committed?"""
    return commit_path(warehouse, folder.system, folder.business_date, announced_delivery(folder)).is_file()


def has_commit(warehouse: Path, system: str, day: dt.date) -> bool:
    """Has any delivery of this system and date been committed?"""
    return any((Path(warehouse) / FILE_LOADS / system / f"{day:%Y%m%d}").glob("delivery_*.parquet"))


def stage(feed: FeedResult, warehouse: Path) -> Path:
    """Write a loaded feed's staging file: no reader sees it before its delivery is committed
    (`record`), so it can be validated first."""
    return write_table_atomic(feed.table, Path(warehouse) / STAGING / feed.table_name /
                              _part(feed.business_date, feed.delivery))


def record(result: DeliveryResult, warehouse: Path, started: dt.datetime, held: bool = False) -> pa.Table:
    """Write a delivery's quarantine file, then commit it (held: invisible to readers). Its loaded
    feeds must be staged (`stage`)."""
    warehouse = Path(warehouse)
    write_table_atomic(quarantine_table(result),
                       quarantine_path(warehouse, result.system, result.business_date, result.delivery))
    loads = _with_audit_columns(files_table(result), result, started, held)
    write_table_atomic(loads, commit_path(warehouse, result.system, result.business_date, result.delivery))
    if not held:  # a held delivery leaves the previous one visible, so its files stay
        _drop_superseded(warehouse, result)
    return loads


def _with_audit_columns(loads: pa.Table, result: DeliveryResult, started: dt.datetime, held: bool) -> pa.Table:
    try:
        listed = read_manifest(result.folder).files
    except ValueError:
        listed = {}
    n = loads.num_rows
    audit = {"sha256": [listed.get(name, (None, None))[1] for name in loads["file"].to_pylist()],
             "started": [started] * n, "finished": [dt.datetime.now()] * n, "held": [held] * n}
    for name, values in audit.items():  # typed by COMMIT_SCHEMA, the one definition of the commit
        field = COMMIT_SCHEMA.field(name)
        loads = loads.append_column(field, pa.array(values, field.type))
    return loads


def _drop_superseded(warehouse: Path, result: DeliveryResult) -> None:
    """Older deliveries' staging files of the date: invisible already, now gone."""
    folder = f"{result.business_date:%Y%m%d}"
    for feed in result.feeds:
        for old in (warehouse / STAGING / feed.table_name / folder).glob("delivery_*.parquet"):
            if old.name != f"delivery_{result.delivery}.parquet":
                old.unlink(missing_ok=True)


def write_schema_anchors(warehouse: Path) -> None:
    """An empty, typed file per feed and for the commit log (date 00000000, delivery 0: never committed).

    The models read every feed with one glob; a feed nothing has delivered yet (the
    month's mortgage workbook) then still has a schema, and yields no rows.
    """
    from .feeds import FEEDS

    anchor = Path("00000000") / "delivery_0.parquet"
    for spec in FEEDS:
        write_empty_if_missing(spec.loaded_schema(), Path(warehouse) / STAGING / spec.table / anchor)
    write_empty_if_missing(COMMIT_SCHEMA, Path(warehouse) / FILE_LOADS / "none" / anchor)


def is_held(commit: Path) -> bool:
    return any(pq.read_table(commit, columns=["held"])["held"].to_pylist())


def newest_commits(warehouse: Path) -> dict[tuple[str, str], int]:
    """(system, YYYYMMDD) -> the newest committed delivery number not held: what readers see."""
    newest: dict[tuple[str, str], int] = {}
    for commit in (Path(warehouse) / FILE_LOADS).glob("*/*/delivery_*.parquet"):
        key = (commit.parent.parent.name, commit.parent.name)
        delivery = int(commit.stem.removeprefix("delivery_"))
        if delivery > newest.get(key, 0) and not is_held(commit):
            newest[key] = delivery
    return newest


def visible(warehouse: Path, system: str, table_name: str) -> pa.Table | None:
    """A feed's staging rows as readers see them: only the newest committed delivery of each date."""
    files = [Path(warehouse) / STAGING / table_name / day / f"delivery_{n}.parquet"
             for (s, day), n in sorted(newest_commits(warehouse).items()) if s == system]
    tables = [pq.read_table(f) for f in files if f.exists()]
    return pa.concat_tables(tables) if tables else None
