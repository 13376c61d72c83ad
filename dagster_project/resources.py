"""The resources the assets are given: where deliveries land and where the warehouse lives."""

from pathlib import Path

from dagster import ConfigurableResource

from . import settings


class Landing(ConfigurableResource):
    """The landing zone and the warehouse directory the loads write into."""

    raw_dir: str
    warehouse_dir: str

    @property
    def raw(self) -> Path:
        return Path(self.raw_dir)

    @property
    def warehouse(self) -> Path:
        return Path(self.warehouse_dir)

    @property
    def duckdb_path(self) -> Path:
        return self.warehouse / settings.DUCKDB_FILE


def default_landing() -> Landing:
    return Landing(raw_dir=str(settings.raw_dir()), warehouse_dir=str(settings.warehouse_dir()))
