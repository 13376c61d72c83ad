"""Locks between processes, on a file beside what they guard, and the warehouse's own lock.

flock(2) locks belong to an open file, not to a process: two opens of the same lock file
exclude each other even within one process, and the kernel drops a lock when its holder dies,
so a killed step never leaves the warehouse locked.
"""

import contextlib
import fcntl
import time
from collections.abc import Callable
from pathlib import Path

from . import settings

POLL_SECONDS = 0.1  # how often a lock with a time limit is tried again


@contextlib.contextmanager
def _held(lock: Path, operation: int, timeout: float | None, waiting: Callable[[], None] | None):
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:  # "a": opening never truncates what another holder may read
        try:
            fcntl.flock(handle, operation | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting:
                waiting()
            _wait(handle, operation, timeout, lock)
        yield


def _wait(handle, operation: int, timeout: float | None, lock: Path) -> None:
    if timeout is None:
        fcntl.flock(handle, operation)
        return
    # flock has no time limit of its own: try again until the deadline.
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, operation | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{lock} is still held by another process after {timeout:g} s") from None
            time.sleep(POLL_SECONDS)


def exclusive(lock: Path, timeout: float | None = None, waiting: Callable[[], None] | None = None):
    """Hold `lock` (created if missing) alone until the block ends; other processes wait for it.

    With `timeout` (seconds), TimeoutError when the lock is not free by then; `waiting` is called
    once when the lock is not free at once (to say why nothing happens)."""
    return _held(lock, fcntl.LOCK_EX, timeout, waiting)


@contextlib.contextmanager
def warehouse_lock(warehouse: Path, shared: bool = True, timeout: float | None = None,
                   waiting: Callable[[], None] | None = None):
    """The warehouse's lock (<warehouse>/.bank360.lock). Every step that writes the warehouse holds it
    shared for as long as it writes (ingestion, the overrides file, the dbt build, the publish step), so
    such steps run side by side; `bank360 backup` and `bank360 restore` hold it exclusive, so they
    wait for running steps to finish, and steps started meanwhile wait for them (docs/backup.md).

    A shared holder refuses a warehouse whose restore was interrupted after it was verified: half of
    its entries may be the backup's and half the old ones. The next backup or restore finishes it."""
    operation = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    with _held(Path(warehouse) / settings.WAREHOUSE_LOCK, operation, timeout, waiting):
        if shared and (Path(warehouse) / settings.RESTORE_COMMITTED).exists():
            raise RuntimeError(f"warehouse {warehouse}: a restore was interrupted while it replaced the warehouse; "
                               "`bank360 restore` or `bank360 backup` on it finishes that restore first")
        yield
