"""`bank360 backup` and `bank360 restore` on a real build of a small simulated bank (docs/backup.md): a
restore gives the same answers, a damaged backup is refused and leaves the warehouse as it was, and a
backup waits for the steps that write the warehouse."""

import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import duckdb
import pytest
from conftest import query
from simbank import simulate

from dagster_project import backup, cli, runner, settings
from dagster_project.backup import BackupError
from dagster_project.customer_lookup import lookup
from dagster_project.filelock import warehouse_lock

HOLD_SHARED = """
import sys
from pathlib import Path
from dagster_project.filelock import warehouse_lock
with warehouse_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.fixture(scope="session")
def backup_bank(tmp_path_factory) -> tuple[Path, Path]:
    """Two days of a small bank, every system delivered (the mortgage month ends on the 31st), loaded and
    built once: (raw, warehouse). Tests copy the warehouse before they change anything."""
    root = tmp_path_factory.mktemp("backup_bank")
    raw, warehouse = root / "raw", root / "warehouse"
    simulate(raw, root / "truth", "--customers", "150", "--start", "20260130", "--days", "2", "--seed", "3")
    assert runner.run(raw, warehouse).exit_status() == 0
    return raw, warehouse


@pytest.fixture(scope="session")
def archive(backup_bank, tmp_path_factory) -> Path:
    """A backup of (a copy of) the bank."""
    root = tmp_path_factory.mktemp("archive")
    return backup.backup(shutil.copytree(backup_bank[1], root / "warehouse"), root / "bank.tar").path


def answers(warehouse: Path) -> dict:
    """Row count and an order-independent hash of every table and view of every schema, and the whole of
    `bank360 customer` for the first customer."""
    with duckdb.connect(str(warehouse / settings.DUCKDB_FILE), read_only=True) as con:
        names = con.execute("select table_schema, table_name from information_schema.tables "
                            "where table_catalog = current_database() order by all").fetchall()
        found = {f"{schema}.{name}": con.execute(f'select count(*), sum(hash(t)) from "{schema}"."{name}" as t')
                 .fetchone() for schema, name in names}
        customer = con.execute("select min(customer_id) from marts.customer_360").fetchone()[0]
    found["bank360 customer"] = lookup(warehouse, customer)
    return found


def tree(warehouse: Path) -> dict[str, str]:
    """Every file of the warehouse and its sha256."""
    return {str(path.relative_to(warehouse)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(warehouse.rglob("*")) if path.is_file()}


def copy(warehouse: Path, tmp_path: Path) -> Path:
    return shutil.copytree(warehouse, tmp_path / "warehouse")


def test_restore_gives_the_answers_of_the_backup_and_loading_goes_on(backup_bank, tmp_path, capsys):
    raw, warehouse = backup_bank[0], copy(backup_bank[1], tmp_path)
    before = answers(warehouse)
    backups = tmp_path / "backups"
    backups.mkdir()
    assert cli.main(["backup", "--to", str(backups), "--warehouse", str(warehouse)]) == 0
    said = capsys.readouterr().out.strip()
    [written] = backups.iterdir()
    assert written.name.startswith("bank360_backup_") and written.suffix == ".tar"
    assert said.startswith(f"backup {written}: ") and "newest business date 2026-01-31" in said
    assert len(said.splitlines()) == 1

    # Lose a mart, a fact's rows, a delivery's staging file and the run history; leave a stray file.
    with duckdb.connect(str(warehouse / settings.DUCKDB_FILE)) as con:
        con.execute("drop table marts.customer_360")
        con.execute("delete from marts.fct_deposit_balance_daily")
    next(warehouse.glob("staging/deposit_customer/20260130/delivery_*.parquet")).unlink()
    shutil.rmtree(warehouse / "dagster")
    (warehouse / "stray.txt").write_text("not in the backup")
    with pytest.raises(duckdb.CatalogException):
        answers(warehouse)

    assert cli.main(["restore", "--from", str(written), "--warehouse", str(warehouse)]) == 0
    said = capsys.readouterr().out
    assert f"restored {written}" in said and "business dates 2026-01-30 to 2026-01-31" in said
    assert "tables by schema: audit " in said
    assert answers(warehouse) == before
    assert not (warehouse / "stray.txt").exists() and not (warehouse / settings.RESTORE_DIR).exists()
    # The commit log came back: nothing is loaded again, and the run history is there for the next runs.
    summary = runner.run(raw, warehouse)
    assert summary.loads == [] and summary.failed_runs == [] and summary.exit_status() == 0
    assert (warehouse / "dagster" / "history" / "runs.db").is_file()


def test_restore_into_an_empty_place_reads_its_own_files(backup_bank, archive, tmp_path):
    """Disaster recovery on a new machine: the views that scan Parquet now read the restored files."""
    for target in (tmp_path / "new" / "warehouse", tmp_path / "empty"):
        target.parent.mkdir(exist_ok=True)
        if target.name == "empty":
            target.mkdir()
        backup.restore(archive, target)
        assert answers(target) == answers(backup_bank[1])
        scans = [sql for (sql,) in query(target, "select sql from duckdb_views() where sql like '%read_parquet%'")]
        assert scans and all(f"'{target}/" in sql and str(archive.parent) not in sql for sql in scans)


def _flip_a_byte(good: Path, bad: Path) -> str:
    data = bytearray(good.read_bytes())
    with tarfile.open(good) as tar:
        member = next(m for m in tar if m.name.startswith("staging/deposit_customer/2026") and m.size > 100)
    data[member.offset_data + member.size // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    return rf"backup {bad} is corrupt: member {member.name} sha256 differs from the manifest"


def _truncate(good: Path, bad: Path) -> str:
    bad.write_bytes(good.read_bytes()[:good.stat().st_size // 2])
    return rf"backup {bad} is (corrupt or )?incomplete"


def _rewrite(good: Path, bad: Path, keep, extra: tuple[str, bytes] | None = None) -> None:
    """The archive again, with the members `keep` accepts, and one more at the end."""
    with tarfile.open(good) as source, tarfile.open(bad, "w") as target:
        for member in source:
            if keep(member):
                target.addfile(member, source.extractfile(member) if member.isfile() else None)
        if extra:
            info = tarfile.TarInfo(extra[0])
            info.size = len(extra[1])
            target.addfile(info, io.BytesIO(extra[1]))


def _without_manifest(good: Path, bad: Path) -> str:
    _rewrite(good, bad, lambda m: m.name != backup.MANIFEST)
    return rf"backup {bad} is incomplete: no manifest \(an interrupted backup\?\)"


def _without_a_member(good: Path, bad: Path) -> str:
    _rewrite(good, bad, lambda m: not m.name.startswith("audit/file_loads/loan/"))
    return rf"backup {bad} is incomplete: member audit/file_loads/loan/\d+/delivery_1.parquet is missing"


def _escaping(good: Path, bad: Path) -> str:
    _rewrite(good, bad, lambda m: True, ("../outside.txt", b"written outside the warehouse"))
    return r"member '../outside.txt' would be written outside the warehouse"


@pytest.mark.parametrize("damage", [_flip_a_byte, _truncate, _without_manifest, _without_a_member, _escaping])
def test_a_damaged_backup_is_refused_and_the_warehouse_untouched(backup_bank, archive, tmp_path, damage, capsys):
    warehouse = copy(backup_bank[1], tmp_path)
    bad = tmp_path / "bad.tar"
    says = damage(archive, bad)
    before = tree(warehouse)
    with pytest.raises(BackupError, match=says):
        backup.restore(bad, warehouse)
    assert cli.main(["restore", "--from", str(bad), "--warehouse", str(warehouse)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bank360 restore: error: backup ") and len(err.strip().splitlines()) == 1
    assert tree(warehouse) == before
    assert not (tmp_path / "outside.txt").exists()


def test_a_restore_interrupted_half_way_is_finished_by_the_next_backup(backup_bank, archive, tmp_path, monkeypatch):
    warehouse = copy(backup_bank[1], tmp_path)
    expected = answers(backup_bank[1])
    real_mkdtemp, moved = backup.tempfile.mkdtemp, []

    def crash_after_two(*args, **kwargs):  # each entry of the old warehouse moved aside takes one
        if len(moved) == 2:
            raise KeyboardInterrupt("the machine stops")
        moved.append(True)
        return real_mkdtemp(*args, **kwargs)

    monkeypatch.setattr(backup.tempfile, "mkdtemp", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        backup.restore(archive, warehouse)
    monkeypatch.undo()
    assert not (warehouse / "audit").exists() and not (warehouse / settings.DUCKDB_FILE).exists()  # half swapped
    with pytest.raises(RuntimeError, match="a restore was interrupted"), warehouse_lock(warehouse):
        pass  # a load or a build refuses the half-swapped warehouse
    assert backup.backup(warehouse, tmp_path / "after.tar").path.is_file()
    assert answers(warehouse) == expected and not (warehouse / settings.RESTORE_DIR).exists()


def test_backup_waits_for_the_steps_writing_the_warehouse(backup_bank, tmp_path):
    warehouse = copy(backup_bank[1], tmp_path)
    step = subprocess.Popen([sys.executable, "-c", HOLD_SHARED, str(warehouse)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert step.stdout.readline() == "held\n"
        with warehouse_lock(warehouse, timeout=0):
            pass  # steps share the lock: loads of different systems run side by side
        with pytest.raises(TimeoutError):
            backup.backup(warehouse, tmp_path / "given_up.tar", timeout=0.2)
        assert not list(tmp_path.glob("*given_up*"))  # not even a temporary file is left

        waiting, done = threading.Event(), []
        copier = threading.Thread(target=lambda: done.append(backup.backup(warehouse, tmp_path / "b.tar",
                                                                           waiting=waiting.set)))
        copier.start()
        assert waiting.wait(60)
        assert copier.is_alive() and not (tmp_path / "b.tar").exists()  # still waiting while the step runs
    finally:
        step.stdin.close()
        step.wait(60)
    copier.join(120)
    assert done and done[0].path.is_file()


def test_backup_and_restore_hold_steps_back_and_refuse_what_they_must(backup_bank, archive, tmp_path):
    warehouse = copy(backup_bank[1], tmp_path)
    # A step started while a backup copies waits for it.
    with warehouse_lock(warehouse, shared=False), pytest.raises(TimeoutError), warehouse_lock(warehouse, timeout=0):
        pass
    with pytest.raises(FileExistsError, match="never overwrites"):
        backup.backup(warehouse, archive)
    with pytest.raises(ValueError, match="inside the warehouse"):
        backup.backup(warehouse, warehouse / "self.tar")
    with pytest.raises(ValueError, match="inside the warehouse"):
        backup.restore(shutil.copy(archive, warehouse / "staging"), warehouse)
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="neither empty nor a bank360 warehouse"):
        backup.restore(archive, home)
    assert (home / "notes.txt").read_text() == "mine"
