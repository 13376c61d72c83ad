"""Run the real simulator, as a user would, into folders of the test's choosing."""

import subprocess
import sys
from pathlib import Path


def simulate(raw: Path, truth: Path, *args: str) -> None:
    command = [sys.executable, "-m", "dagster_project.cli", "simulate", "--raw", str(raw), "--truth", str(truth),
               "--quiet", *args]
    subprocess.run(command, check=True, capture_output=True, timeout=600)


def arrivals(truth: Path) -> list[dict]:
    """Complete deliveries in the order the landing zone received them."""
    import pyarrow.parquet as pq

    rows = pq.read_table(truth / "deliveries.parquet").to_pylist()
    return sorted((r for r in rows if r["state"] != "unready"), key=lambda r: r["arrival_seq"])


def arrived_folder(raw: Path, truth: Path, row: dict) -> Path:
    """Where a delivery's files are now: superseded ones were moved into the truth."""
    return (truth if row["state"] == "superseded" else raw) / row["path"]
