"""Shared fixtures: simulated banks written by the real simulator into temporary folders."""

import os
from pathlib import Path

import pytest
from simbank import simulate

os.environ.setdefault("DO_NOT_TRACK", "1")  # dbt's usage tracking hangs without a network


@pytest.fixture(scope="session")
def messy_bank(tmp_path_factory) -> tuple[Path, Path]:
    """Three days of a small bank with every defect kind, redeliveries, late and unfinished deliveries."""
    root = tmp_path_factory.mktemp("messy_bank")
    simulate(root / "raw", root / "truth", "--customers", "300", "--start", "20260129", "--days", "3",
             "--seed", "11", "--defect-rate", "0.02", "--redeliver-rate", "0.3", "--late-rate", "0.3",
             "--unready", "1")
    return root / "raw", root / "truth"
