"""The tables a Spark build wrote, opened with DuckDB (docs/scale-out.md).

dbt on Spark writes each table as Parquet under `<warehouse>/spark/tables/<schema>.db/<table>/`
(the facts split in `business_date=` folders). DuckDB reads those files directly, without a Spark
session: `write_views` writes a small DuckDB file of views over them, so that the great-expectations
suites, the tests and any BI tool read a Spark build as they read a DuckDB one.
"""

import json
from pathlib import Path

import duckdb

from . import settings


def spark_dir(warehouse: Path) -> Path:
    """Spark's own folder in the warehouse: its tables, its metastore."""
    return Path(warehouse).resolve() / "spark"


def views_path(warehouse: Path) -> Path:
    """The DuckDB file of views over the Spark build's tables."""
    return spark_dir(warehouse) / "bank360_spark.duckdb"


def table_paths(warehouse: Path) -> dict[str, Path]:
    """'schema.table' -> the folder of its Parquet files, for every table of the Spark build (dbt's
    scratch tables left out)."""
    return {f"{folder.parent.name.removesuffix('.db')}.{folder.name}": folder
            for folder in sorted((spark_dir(warehouse) / "tables").glob("*.db/*")) if "__dbt" not in folder.name}


def scan(folder: Path) -> str:
    """DuckDB's read of one Spark table: its partition folders become columns again. An empty table
    partitioned by date has no file at all: its columns then come from the model's contract."""
    if next(folder.rglob("*.parquet"), None):
        return f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"
    columns = _contract_columns(folder.parent.name.removesuffix(".db"), folder.name)
    return "(select " + ", ".join(f"cast(null as {kind}) as {name}" for name, kind in columns) + " where false)"


def _contract_columns(schema: str, table: str) -> list[tuple[str, str]]:
    manifest = json.loads((settings.DBT_DIR / "target" / "manifest.json").read_text())
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and (node["schema"], node["alias"]) == (schema, table):
            columns = [(name, column["data_type"]) for name, column in node["columns"].items()]
            if node["config"].get("contract", {}).get("enforced") and all(kind for _, kind in columns):
                return columns
    raise LookupError(f"{schema}.{table}: Spark wrote no file and the model declares no contract to read its "
                      "columns from")


def write_views(warehouse: Path) -> Path:
    """(Re)write the views file over the Spark build's tables; returns its path."""
    path = views_path(warehouse)
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        for name, folder in table_paths(warehouse).items():
            schema, _ = name.split(".")
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create view {name} as select * from {scan(folder)}")
    return path
