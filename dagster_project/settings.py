"""Where bank360 reads and writes, from the environment, with the embedded defaults.

BANK360_RAW        the landing zone (default: raw/ in the working directory)
BANK360_WAREHOUSE  the warehouse directory (default: warehouse/); the DuckDB file is
                   <warehouse>/bank360.duckdb
BANK360_FIRST_DATE the first business date the partitions cover (default 2020-01-01)
BANK360_EXPECTATIONS the expectation suites (default: expectations/ of this repository)
BANK360_VALIDATE   "off" skips every great-expectations suite (the checks then pass, saying so):
                   for measuring what validation costs (benchmarks/bench_validation.py), never
                   for production runs
BANK360_VALIDATION_WORKERS processes validating batches side by side (default: one per core)
BANK360_DUCKDB_MEMORY_LIMIT DuckDB's memory ceiling in dbt builds, above which it spills to
                   disk (default 4GB; read by dbt/profiles.yml)
"""

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_DIR = PROJECT_DIR / "dbt"
DUCKDB_FILE = "bank360.duckdb"  # the restricted warehouse: raw personal data, the load's audit trail
# What BI tools and report readers open: the marts as of the last successful build, personal data
# masked, replaced whole by each publish (dagster_project/serving.py).
BI_FILE = Path("serving") / "bank360_bi.duckdb"
# Lock files in the warehouse directory (dagster_project/filelock.py): the warehouse's own, held shared
# by every step that writes the warehouse and exclusive by backup and restore; and the GX project's.
WAREHOUSE_LOCK = ".bank360.lock"
GX_LOCK = "gx.lock"
# Where `bank360 restore` unpacks a backup inside the warehouse, and the file that commits the
# restore: once it exists the warehouse must become the backup's (dagster_project/backup.py).
RESTORE_DIR = ".restoring"
RESTORE_COMMITTED = Path(RESTORE_DIR) / "committed.json"
# Where `bank360 report` writes the monthly HTML reports by default (beside the BI file they read).
REPORTS_DIR = Path("serving") / "reports"
# Every step that writes the DuckDB file runs in this Dagster pool, limited to one slot.
DUCKDB_POOL = "bank360_duckdb_writer"


def raw_dir() -> Path:
    return Path(os.environ.get("BANK360_RAW", "raw")).resolve()


def warehouse_dir() -> Path:
    return Path(os.environ.get("BANK360_WAREHOUSE", "warehouse")).resolve()


def first_date() -> str:
    return os.environ.get("BANK360_FIRST_DATE", "2020-01-01")


def expectations_dir() -> Path:
    return Path(os.environ.get("BANK360_EXPECTATIONS", PROJECT_DIR / "expectations")).resolve()


def validation_enabled() -> bool:
    return os.environ.get("BANK360_VALIDATE", "on").lower() != "off"


def validation_workers() -> int:
    return max(1, int(os.environ.get("BANK360_VALIDATION_WORKERS", os.cpu_count() or 1)))
