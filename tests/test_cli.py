"""`bank360` reports bad arguments on one line and exits with status 2."""

import subprocess
import sys

import pytest

BASE = ["simulate", "--raw", "RAW", "--customers", "10", "--start", "20260101", "--days", "1", "--seed", "1"]


def bank360(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dagster_project.cli", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("flag", "value", "says"), [
    ("--start", "2026-01-01", "not a date in the form YYYYMMDD"),
    ("--customers", "0", "must be at least 1"),
    ("--days", "two", "not a whole number"),
    ("--defect-rate", "1.5", "between 0 and 1"),
])
def test_bad_argument_is_one_clear_line(tmp_path, flag, value, says):
    args = [str(tmp_path / a) if a == "RAW" else a for a in BASE]
    if flag not in args:
        args += [flag, value]
    args[args.index(flag) + 1] = value
    result = bank360(*args)
    assert result.returncode == 2
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_truth_inside_raw_is_refused(tmp_path):
    args = [str(tmp_path / a) if a == "RAW" else a for a in BASE]
    result = bank360(*args, "--truth", str(tmp_path / "RAW" / "truth"), "--quiet")
    assert result.returncode == 2
    assert "must not lie inside --raw" in result.stderr
    assert not (tmp_path / "RAW").exists()


@pytest.mark.parametrize(("args", "says"), [
    (["--as-of", "2026-02-30", "--format", "csv"], "not a date in the form YYYY-MM-DD or YYYYMMDD"),
    (["--as-of", "2026-01-31", "--format", "pdf"], "invalid choice: 'pdf'"),
    (["--as-of", "20260131", "--format", "csv", "--warehouse", "EMPTY"], "no warehouse at"),
])
def test_bad_export_argument_is_one_clear_line(tmp_path, args, says):
    result = bank360("export", "credit-grades", *[str(tmp_path) if a == "EMPTY" else a for a in args])
    assert result.returncode == 2
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
