"""What a build validates of a dbt model, read from the DuckDB file as one batch per suite.

A model suite's `meta.batch` says which rows (expectations/README.md), so the cost
follows the day's data, not the history:

- `new_deliveries` (staging): the rows of the deliveries of `feed` that the build has not
  read yet (committed and visible, not yet in intermediate.int_feed_deliveries);
  parameter `records_loaded`, what ingestion loaded from those files.
- `new_dates` (facts): the business dates whose deliveries of `feed` the latest build read
  first; parameters `source_rows` and, per column of `reconcile.sums`,
  `source_sum_<column>_low` / `_high`: the same dates in the staging model it reconciles to.
- `current` (dimensions, one row per entity, optionally `where`): the table as it stands.
- `rebuilt_months` (contribution): the months the latest build recomputed
  (intermediate.int_contribution_months.is_rebuilt).

`derived` adds columns computed in SQL (referential integrity, cross-table agreement),
and `checked_ids` the `<column>__check_ok` of the source batches.
"""

from pathlib import Path

import duckdb
import pandas as pd

from .frames import HALF_CENT, batch_frame, read_columns
from .gx_suites import columns_of


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    """A relation's columns in order; none when it does not exist (yet)."""
    schema, name = relation.split(".")
    return [c for (c,) in con.execute("select column_name from information_schema.columns where table_schema = ? "
                                      "and table_name = ? order by ordinal_position", [schema, name]).fetchall()]


def _unread(con: duckdb.DuckDBPyConnection, feed: list[str]) -> str:
    """The visible loaded files of a feed the build has not read yet: (business_date, delivery, records_loaded)."""
    system, name = feed
    read = "" if not _columns(con, "intermediate.int_feed_deliveries") else """
        and not exists (select 1 from intermediate.int_feed_deliveries as seen
                        where seen.source_system = loads.system and seen.feed = loads.feed
                          and seen.business_date = loads.business_date and seen.delivery = loads.delivery)"""
    return f"""
        select loads.business_date, loads.delivery, loads.records_loaded
        from audit.file_loads as loads
        inner join audit.visible_deliveries as visible
            on visible.system = loads.system and visible.business_date = loads.business_date
            and visible.delivery = loads.delivery
        where loads.system = '{system}' and loads.feed = '{name}' and loads.status = 'loaded' {read}"""


def _new_dates(feed: list[str]) -> str:
    system, name = feed
    return f"""
        select distinct business_date from intermediate.int_feed_deliveries
        where source_system = '{system}' and feed = '{name}'
          and recorded_at = (select max(recorded_at) from intermediate.int_feed_deliveries)"""


def _label(parts: list[str], unit: str) -> str:
    """A batch's partition label: its parts, or its first and last and how many (a first build
    after a backfill reads hundreds of deliveries)."""
    return ", ".join(parts) if len(parts) <= 3 else f"{parts[0]} .. {parts[-1]} ({len(parts)} {unit})"


def _scalar(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def read_batch(con: duckdb.DuckDBPyConnection, relation: str, suite: dict) -> tuple[pd.DataFrame, dict, str]:
    """The rows of `relation` (schema.model) its suite validates, with only the columns the suite
    names; the suite parameters; and a partition label (empty when there is nothing new)."""
    batch, parameters = suite["meta"]["batch"], {}
    checked = [tuple(pair) for pair in batch.get("checked_ids", [])]
    wanted = read_columns(columns_of(suite), checked)
    present = _columns(con, relation)
    # At least one column, so that a suite of row counts still has rows to count; derived columns
    # are computed on the model's own columns.
    projection = ", ".join(f"model.{c}" for c in present if c in wanted) or f"model.{present[0]}"
    projection += "".join(f", ({sql}) as {name}" for name, sql in batch.get("derived", {}).items())
    rows = batch["rows"]
    if rows == "new_deliveries":
        unread = _unread(con, batch["feed"])
        selected = f"select {projection} from {relation} as model inner join ({unread}) as unread " \
                   "on model.business_date = unread.business_date and model.delivery = unread.delivery"
        parameters["records_loaded"] = int(_scalar(con, f"select coalesce(sum(records_loaded), 0) from ({unread})"))
        keys = con.execute(f"select business_date, delivery from ({unread}) order by 1, 2").fetchall()
        partition = _label([f"{day} #{delivery}" for day, delivery in keys], "deliveries")
    elif rows == "new_dates":
        dates = _new_dates(batch["feed"])
        selected = f"select {projection} from {relation} as model where business_date in ({dates})"
        source = f"from {batch['reconcile']['model']} where business_date in ({dates})"
        parameters["source_rows"] = int(_scalar(con, f"select count(*) {source}"))
        for column in batch["reconcile"].get("sums", []):
            total = _scalar(con, f"select coalesce(sum({column}), 0) {source}")
            parameters[f"source_sum_{column}_low"] = float(total - HALF_CENT)
            parameters[f"source_sum_{column}_high"] = float(total + HALF_CENT)
        days = [day for (day,) in con.execute(f"select business_date from ({dates}) order by 1").fetchall()]
        partition = f"{days[0]}..{days[-1]}" if days else ""
    elif rows == "current":
        selected = f"select {projection} from {relation} as model" + (
            f" where {batch['where']}" if batch.get("where") else "")
        partition = "current"
    elif rows == "rebuilt_months":
        months = "select month_start from intermediate.int_contribution_months where is_rebuilt"
        selected = f"select {projection} from {relation} as model where month_start in ({months})"
        partition = _label([f"{month:%Y-%m}" for (month,) in con.execute(f"{months} order by 1").fetchall()], "months")
    else:
        raise ValueError(f"unknown batch rows {rows!r} for {relation} (expectations/README.md)")
    table = con.execute(selected).to_arrow_table()
    return batch_frame(table, checked, wanted | set(batch.get("derived", {}))), parameters, partition


def connect(duckdb_path: Path) -> duckdb.DuckDBPyConnection:
    """Read-only: validation never writes the warehouse."""
    return duckdb.connect(str(duckdb_path), read_only=True)

