"""The resources the assets are given: where deliveries land and where the warehouse lives."""

from pathlib import Path

from dagster import ConfigurableResource

from . import settings, spark_tables


class Landing(ConfigurableResource):
    """The landing zone and the warehouse directory the loads write into, and the engine the models
    are built on: DuckDB (the warehouse's own file) or Spark (its tables under warehouse/spark)."""

    raw_dir: str
    warehouse_dir: str
    engine: str = "duckdb"

    @property
    def raw(self) -> Path:
        return Path(self.raw_dir)

    @property
    def warehouse(self) -> Path:
        return Path(self.warehouse_dir)

    @property
    def duckdb_path(self) -> Path:
        """The DuckDB file the build's tables are read from: the warehouse itself, or the views over
        Spark's tables (spark_tables.py)."""
        if self.engine == "spark":
            return spark_tables.views_path(self.warehouse)
        return self.warehouse / settings.DUCKDB_FILE


def default_landing() -> Landing:
    return Landing(raw_dir=str(settings.raw_dir()), warehouse_dir=str(settings.warehouse_dir()))
