"""`bank360 backup` and `bank360 restore`: the whole warehouse as one archive file, and back.

A backup is a plain tar file (the Parquet and the DuckDB file are compressed already), one file
to ship to tape or object storage. It holds everything needed to serve and to go on loading:
the DuckDB file, the staging Parquet and the audit commit log, the versions of the hand-maintained
files, the validation history and GX's stores, the Dagster instance (run history) and the published
serving files. It leaves out what the warehouse's processes regenerate or use only while they run
(LEFT_OUT). Its last member is a manifest: every member's size and sha256, the business dates
committed and every DuckDB table's row count. It is written under a temporary name and linked into
place once complete, so an interrupted backup never looks like one. docs/backup.md has the rest.
"""

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath

import duckdb

from . import settings
from .filelock import exclusive, warehouse_lock
from .ingest import ledger
from .ingest.staging import fsync_dir

FORMAT = "bank360-backup/1"
MANIFEST = "bank360_backup_manifest.json"  # the archive's last member
CHUNK = 1 << 20
# Top-level entries of the warehouse a restore leaves where they are: the lock files (a process waiting on
# one must lock the file its holder locked) and the restore's own folder.
STAYS = {settings.WAREHOUSE_LOCK, settings.GX_LOCK, settings.RESTORE_DIR}
# Not backed up: those, and dbt's artifacts and logs (<warehouse>/dbt/), rewritten by every build (the next
# build parses the project again).
LEFT_OUT = STAYS | {"dbt"}
# write_table_atomic's temporary files: a killed writer's leftovers, which nothing reads.
TEMPORARY = re.compile(r"^\..+\.tmp$")
# SQLite's side files: a backup copies each database through SQLite's own backup, which includes them.
SQLITE_SIDE_FILES = (".db-journal", ".db-wal", ".db-shm")
# dbt writes the warehouse's absolute path into the views that scan its Parquet (dbt/macros/ledger.sql):
# the path before `/staging/` or `/audit/` (greedy: the warehouse's own path may contain either).
PARQUET_ROOT = re.compile(r"read_parquet\('((?:[^']|'')*)/(?:staging|audit)/")


class BackupError(ValueError):
    """A backup that cannot be restored: corrupt, incomplete, or not a bank360 backup."""


def _kept(name: PurePosixPath) -> bool:
    """Is this warehouse path (relative) part of a backup?"""
    return (name.parts[0] not in LEFT_OUT and not TEMPORARY.match(name.name)
            and not name.name.endswith(SQLITE_SIDE_FILES))


@contextlib.contextmanager
def _alone(warehouse: Path, timeout: float | None, waiting: Callable[[], None] | None):
    """The warehouse to ourselves: no step writes it (they hold its lock shared), nor GX's stores (the Data
    Docs are rendered outside any step, under the GX lock). Whole, too: a restore interrupted half-way is
    finished first. Always in this order, warehouse lock first: no holder of the GX lock waits for it."""
    with (warehouse_lock(warehouse, shared=False, timeout=timeout, waiting=waiting),
          exclusive(warehouse / settings.GX_LOCK)):
        _finish_restore(warehouse)
        yield


class _Hashing:
    """A file read through, its size and sha256 taken on the way: each member is read once, however large."""

    def __init__(self, handle):
        self.handle, self.sha256, self.size = handle, hashlib.sha256(), 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data

    def digest(self) -> dict:
        return {"size": self.size, "sha256": self.sha256.hexdigest()}


# ---------------------------------------------------------------------------------------------- backup


@dataclass
class Backup:
    path: Path
    manifest: dict


def backup(warehouse: Path, to: Path, timeout: float | None = None,
           waiting: Callable[[], None] | None = None) -> Backup:
    """Write the warehouse to a new archive at `to` (a file, or a folder to name one in), waiting for the
    steps writing the warehouse to finish (at most `timeout` seconds) and holding new ones back meanwhile."""
    warehouse, now = Path(warehouse).resolve(), dt.datetime.now(dt.UTC)
    if not warehouse.is_dir():
        raise FileNotFoundError(f"no warehouse at {warehouse}")
    target = Path(to).resolve()
    if target.is_dir():
        target /= f"bank360_backup_{now:%Y%m%dT%H%M%SZ}.tar"
    if target.exists():
        raise FileExistsError(f"{target} already exists: a backup never overwrites a file")
    if target.is_relative_to(warehouse):
        raise ValueError(f"{target} is inside the warehouse {warehouse}: keep backups elsewhere")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"no folder {target.parent} to write the backup in")
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as handle:
            manifest = _write_archive(handle, warehouse, now, Path(partial), timeout, waiting)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(partial, target)  # unlike a rename, fails if a file of that name appeared meanwhile
        fsync_dir(target.parent)
    finally:
        os.unlink(partial)
    return Backup(target, manifest)


def _write_archive(handle, warehouse: Path, now: dt.datetime, partial: Path, timeout: float | None,
                   waiting: Callable[[], None] | None) -> dict:
    """The warehouse's files copied under its lock, then the manifest, written after the lock is let go."""
    with tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as tar:
        with _alone(warehouse, timeout, waiting), tempfile.TemporaryDirectory(
                dir=partial.parent, prefix=partial.name) as scratch:
            if not (warehouse / ledger.FILE_LOADS).is_dir():  # looked at once a restore cut short is finished
                raise FileNotFoundError(f"no warehouse at {warehouse}: nothing was ever loaded there")
            members, folders = _archive_warehouse(tar, warehouse, Path(scratch))
            manifest = _manifest(warehouse, now, members, folders)
        data = json.dumps(manifest, indent=1).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime = len(data), int(now.timestamp())
        tar.addfile(info, io.BytesIO(data))
    return manifest


def _archive_warehouse(tar: tarfile.TarFile, warehouse: Path, scratch: Path) -> tuple[dict, list[str]]:
    """Every file and folder backed up, into the archive: (path -> size and sha256, folders)."""
    members, folders = {}, []
    for folder, dirs, files in os.walk(warehouse, followlinks=True):
        here = PurePosixPath(Path(folder).relative_to(warehouse).as_posix())
        dirs[:] = sorted(d for d in dirs if _kept(here / d))
        for name in dirs:
            info = tarfile.TarInfo(str(here / name))
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, int(os.stat(Path(folder, name)).st_mtime)
            tar.addfile(info)
            folders.append(info.name)
        for name in sorted(files):
            if _kept(here / name):
                members[str(here / name)] = _add_file(tar, str(here / name), Path(folder, name), scratch)
    return members, folders


def _add_file(tar: tarfile.TarFile, name: str, path: Path, scratch: Path) -> dict:
    if path.suffix == ".db" and _starts_with(path, b"SQLite format 3\0"):
        # Dagster's daemon, webserver and runs waiting for the lock write their SQLite databases whatever
        # lock the warehouse is under: SQLite's online backup takes a consistent copy of each.
        snapshot = scratch / "snapshot.db"
        snapshot.unlink(missing_ok=True)
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source, \
                contextlib.closing(sqlite3.connect(snapshot)) as copy:
            source.backup(copy)
        path = snapshot
    with open(path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = stat.st_size, stat.st_mtime, stat.st_mode & 0o777
        reader = _Hashing(handle)
        tar.addfile(info, reader)
    return reader.digest()


def _starts_with(path: Path, magic: bytes) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(magic)) == magic


def _manifest(warehouse: Path, now: dt.datetime, members: dict, folders: list[str]) -> dict:
    commits = ledger.newest_commits(warehouse)
    days = sorted(dt.datetime.strptime(day, "%Y%m%d").date().isoformat() for _, day in commits)
    duckdb_file = warehouse / settings.DUCKDB_FILE
    return {
        "format": FORMAT,
        "created_at": now.isoformat(timespec="seconds"),
        "bank360_version": _version(),
        "git_commit": _git_commit(),
        "warehouse": str(warehouse),
        "business_dates": {"first": days[0], "newest": days[-1], "dates": len(set(days))} if days else None,
        "deliveries": len(commits),
        "tables": _row_counts(duckdb_file) if duckdb_file.exists() else {},
        "folders": folders,
        "members": members,
    }


def _version() -> str | None:
    try:
        return metadata.version("bank360")
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    """The commit of the code that wrote the backup, when it runs from a git checkout."""
    try:
        done = subprocess.run(["git", "-C", str(settings.PROJECT_DIR), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _row_counts(duckdb_file: Path) -> dict[str, int]:
    """schema.table -> rows, for every table (views only read the Parquet, which the sha256s cover)."""
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables() "
                             "where database_name = current_database() order by all").fetchall()
        return {f"{schema}.{table}": con.execute(f"select count(*) from {_quoted(schema)}.{_quoted(table)}")
                .fetchone()[0] for schema, table in tables}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------------------------- restore


def restore(archive: Path, warehouse: Path, timeout: float | None = None,
            waiting: Callable[[], None] | None = None) -> dict:
    """Replace the warehouse's contents by the backup's, or refuse (BackupError) and leave them untouched.

    The whole archive is checked against its manifest before anything is written; then it is unpacked
    inside the warehouse (.restoring/new: the same file system, so the swap below is renames only), checked
    again as it is written, and its DuckDB file's tables counted. Only then is the restore committed
    (.restoring/committed.json) and the warehouse's entries swapped (_finish_restore). Returns the manifest.
    """
    archive, warehouse = Path(archive).resolve(), Path(warehouse).resolve()
    if archive.is_relative_to(warehouse):
        raise ValueError(f"{archive} is inside the warehouse {warehouse}, which a restore replaces: move it out first")
    manifest = _read(archive)
    foreign = warehouse.is_dir() and any(entry.name not in STAYS for entry in warehouse.iterdir())
    if foreign and not (warehouse / ledger.FILE_LOADS).is_dir():
        raise ValueError(f"{warehouse} is neither empty nor a bank360 warehouse: restore into an empty folder "
                         "or a warehouse (a restore replaces everything in it)")
    with _alone(warehouse, timeout, waiting):
        restoring = warehouse / settings.RESTORE_DIR
        try:
            _read(archive, restoring / "new")
            _check_tables(archive, manifest, restoring / "new" / settings.DUCKDB_FILE)
            os.sync()  # every file unpacked is on disk before the commit says it is the warehouse
        except BaseException:
            shutil.rmtree(restoring, ignore_errors=True)
            raise
        _write_durably(warehouse / settings.RESTORE_COMMITTED,
                       json.dumps({"backup": str(archive), "entries": sorted(os.listdir(restoring / "new"))}))
        _finish_restore(warehouse)
    return manifest


def _refused(archive: Path, kind: str, what: str) -> BackupError:
    return BackupError(f"backup {archive} is {kind}: {what}")


def _read(archive: Path, unpack_to: Path | None = None) -> dict:
    """The manifest of an intact backup, after reading every member (and writing it under `unpack_to`);
    BackupError naming the member and the reason otherwise."""
    found, folders, manifest = {}, set(), None
    if unpack_to:
        unpack_to.mkdir(parents=True)
    try:
        with tarfile.open(archive, "r:") as tar:
            for member in tar:
                name = _member_name(archive, member)
                if manifest is not None:
                    raise _refused(archive, "corrupt", f"member {name} follows the manifest, which comes last")
                if name == MANIFEST:
                    manifest = _parse_manifest(archive, tar.extractfile(member).read())
                elif member.isdir():
                    folders.add(name)
                    if unpack_to:
                        (unpack_to / name).mkdir(parents=True, exist_ok=True)
                else:
                    found[name] = _read_member(tar, member, unpack_to)
            stopped_at = tar.offset
    except tarfile.ReadError as exc:
        raise _refused(archive, "corrupt or incomplete", f"{exc} (an interrupted copy?)") from None
    if manifest is None:
        # tarfile stops quietly at an unreadable header: more than the end-of-archive padding left means one.
        if archive.stat().st_size - stopped_at > tarfile.RECORDSIZE + 2 * tarfile.BLOCKSIZE:
            raise _refused(archive, "corrupt", f"unreadable member header at byte {stopped_at}")
        raise _refused(archive, "incomplete", "no manifest (an interrupted backup?)")
    _compare(archive, manifest, found, folders)
    return manifest


def _member_name(archive: Path, member: tarfile.TarInfo) -> str:
    """The member's path, once it is known to stay inside the warehouse and to be a file or a folder."""
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or str(path) != member.name or member.name in ("", "."):
        raise _refused(archive, "refused", f"member {member.name!r} would be written outside the warehouse")
    if not (member.isfile() or member.isdir()):
        raise _refused(archive, "refused", f"member {member.name} is a link or a device, not a file or a folder")
    if member.name != MANIFEST and not _kept(path):
        raise _refused(archive, "refused", f"member {member.name} is not part of a warehouse backup")
    return member.name


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, unpack_to: Path | None) -> dict:
    reader = _Hashing(tar.extractfile(member))
    if unpack_to is None:
        while reader.read(CHUNK):
            pass
        return reader.digest()
    path = unpack_to / member.name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as sink:
        shutil.copyfileobj(reader, sink, CHUNK)
    os.chmod(path, member.mode & 0o777)
    os.utime(path, (member.mtime, member.mtime))  # the commit log's times, as the load wrote them
    return reader.digest()


def _parse_manifest(archive: Path, data: bytes) -> dict:
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise _refused(archive, "corrupt", f"member {MANIFEST} is not JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refused(archive, "not a bank360 backup", f"member {MANIFEST} does not name the format {FORMAT}")
    missing = {"members", "folders", "tables"} - manifest.keys()
    if missing:
        raise _refused(archive, "corrupt", f"member {MANIFEST} lacks {', '.join(sorted(missing))}")
    return manifest


def _compare(archive: Path, manifest: dict, found: dict, folders: set[str]) -> None:
    listed = manifest["members"]
    if missing := sorted(listed.keys() - found.keys()):
        raise _refused(archive, "incomplete", f"member {missing[0]} is missing (the manifest lists it)"
                                              f"{f', and {len(missing) - 1} more' if len(missing) > 1 else ''}")
    if extra := sorted(found.keys() - listed.keys()):
        raise _refused(archive, "corrupt", f"member {extra[0]} is not in the manifest")
    for name, expected in sorted(listed.items()):
        if found[name]["size"] != expected["size"]:
            raise _refused(archive, "corrupt", f"member {name} has {found[name]['size']} bytes, the manifest says "
                                               f"{expected['size']}")
        if found[name]["sha256"] != expected["sha256"]:
            raise _refused(archive, "corrupt", f"member {name} sha256 differs from the manifest")
    if odd := sorted(set(manifest["folders"]) ^ folders):
        raise _refused(archive, "corrupt", f"folder {odd[0]} is {'missing' if odd[0] not in folders else 'not listed'}")


def _check_tables(archive: Path, manifest: dict, duckdb_file: Path) -> None:
    """The restored DuckDB file opens, and holds the tables the manifest lists with their row counts."""
    counts = _row_counts(duckdb_file) if duckdb_file.exists() else {}
    for table in sorted(counts.keys() | manifest["tables"].keys()):
        have, listed = counts.get(table), manifest["tables"].get(table)
        if have != listed:
            raise _refused(archive, "corrupt", f"table {table} of the restored {settings.DUCKDB_FILE} has "
                                               f"{'no' if have is None else have} rows, the manifest says "
                                               f"{'no table' if listed is None else listed}")


def _write_durably(path: Path, text: str) -> None:
    temp = path.with_name(path.name + ".tmp")
    with open(temp, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    fsync_dir(path.parent)


def _finish_restore(warehouse: Path) -> None:
    """Make the warehouse the backup's once a restore is committed; without the commit, drop what a restore
    left unpacked (the warehouse itself was never touched).

    Entries are swapped inside the warehouse folder, not the folder itself: the folder may be a mount point,
    its parent read-only, and above all the lock files stay put, so that a step waiting on the lock gets the
    lock every later process takes. Each step is a rename, and what is done shows in what is where (an entry
    the backup holds and .restoring/new no longer does was moved in): after a crash at any point, running
    this again completes the same swap. Until then shared lock holders refuse the warehouse (filelock.py).
    """
    restoring = warehouse / settings.RESTORE_DIR
    committed = warehouse / settings.RESTORE_COMMITTED
    if committed.exists():
        entries = set(json.loads(committed.read_text())["entries"])
        new, old = restoring / "new", restoring / "old"
        old.mkdir(exist_ok=True)
        for entry in sorted(warehouse.iterdir()):
            if entry.name not in STAYS and (entry.name not in entries or (new / entry.name).exists()):
                entry.rename(Path(tempfile.mkdtemp(dir=old)) / entry.name)
        for entry in sorted(new.iterdir()):
            entry.rename(warehouse / entry.name)
        _repoint_views(warehouse)
        os.sync()
        committed.unlink()
    shutil.rmtree(restoring, ignore_errors=True)


def _repoint_views(warehouse: Path) -> None:
    """Point the views that scan Parquet at this warehouse. dbt writes the warehouse's absolute path into them:
    a backup restored elsewhere would read the old place's files (or none) until the next build."""
    duckdb_file = warehouse / settings.DUCKDB_FILE
    if not duckdb_file.exists():
        return
    here = str(warehouse).replace("'", "''")
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        views = [sql for (sql,) in con.execute("select sql from duckdb_views() where not internal "
                                               "and database_name = current_database()").fetchall()]
    stale = {sql: set(PARQUET_ROOT.findall(sql)) - {here} for sql in views}
    if not any(stale.values()):
        return
    with duckdb.connect(str(duckdb_file)) as con:
        for sql, roots in stale.items():
            for root in roots:
                sql = sql.replace(f"'{root}/", f"'{here}/")
            if roots:
                con.execute(sql.replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1))


# --------------------------------------------------------------------------------------------- reports


def _size(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _dates(manifest: dict) -> str:
    dates = manifest.get("business_dates")
    return f"{dates['first']} to {dates['newest']}" if dates else "none committed"


def backup_report(done: Backup) -> str:
    manifest = done.manifest
    newest = (manifest["business_dates"] or {}).get("newest", "none")
    return (f"backup {done.path}: {_size(done.path.stat().st_size)}, {len(manifest['members']):,} files, "
            f"{len(manifest['tables'])} tables, newest business date {newest}")


def restore_report(archive: Path, warehouse: Path, manifest: dict) -> str:
    schemas: dict[str, list[int]] = {}
    for table, rows in manifest["tables"].items():
        schemas.setdefault(table.split(".")[0], []).append(rows)
    tables = ", ".join(f"{schema} {len(rows)} ({sum(rows):,} rows)" for schema, rows in sorted(schemas.items()))
    size = sum(member["size"] for member in manifest["members"].values())
    return (f"restored {archive} (written {manifest['created_at']} from {manifest['warehouse']}) into {warehouse}: "
            f"business dates {_dates(manifest)}, {manifest['deliveries']} deliveries, "
            f"{len(manifest['members']):,} files, {_size(size)}\n"
            f"tables by schema: {tables or 'none (the warehouse was never built)'}")
