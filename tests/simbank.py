"""Run the real simulator, as a user would, into folders of the test's choosing."""

import subprocess
import sys
from pathlib import Path


def simulate(raw: Path, truth: Path, *args: str) -> None:
    command = [sys.executable, "-m", "dagster_project.cli", "simulate", "--raw", str(raw), "--truth", str(truth),
               "--quiet", *args]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
