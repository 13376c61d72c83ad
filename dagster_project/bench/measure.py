"""Wall time and peak memory of a child process and everything it starts.

The pipeline is several processes at once: the `bank360 run` process, dbt's own
process, and the validation workers forked from it. The operating system's peak
resident memory (`ru_maxrss`) is per process, so it would miss their sum; the
memory of the whole process tree is sampled instead. Proportional set size (PSS)
splits the pages a forked worker shares with its parent, so the sum is what the
tree really holds; RSS would count those pages twice.
"""

import subprocess
import threading
import time
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil

SAMPLE_EVERY = 0.1  # seconds: short enough for the peak of a step that lasts a second


@dataclass
class Measurement:
    seconds: float
    peak_gb: float
    stdout: str


def _tree_bytes(root: psutil.Process) -> int:
    total = 0
    for process in [root, *root.children(recursive=True)]:
        with suppress(psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):  # it ended meanwhile
            total += process.memory_full_info().pss
    return total


def measured(command: list[str], env: dict | None = None, stderr: Path | None = None) -> Measurement:
    """Run a command to the end; its wall time, the peak memory of its process tree, and its standard output.

    Standard error passes through (or goes to the file `stderr`), so a failure says why; a non-zero exit raises.
    """
    start = time.perf_counter()
    with open(stderr, "w") if stderr else nullcontext() as errors:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
        root = psutil.Process(child.pid)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(SAMPLE_EVERY):
                peak = max(peak, _tree_bytes(root))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stdout, _ = child.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {child.returncode}"
                           + (f": see {stderr}" if stderr else ""))
    return Measurement(seconds, peak / 1024**3, stdout)
