"""An exclusive lock between processes, on a file beside what it guards."""

import contextlib
import fcntl
from pathlib import Path


@contextlib.contextmanager
def exclusive(lock: Path):
    """Hold `lock` (created if missing) until the block ends; other processes wait for it."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
