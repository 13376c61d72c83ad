"""Publish the BI file: the marts as of a successful build, personal data masked, replaced whole.

BI tools and report readers never open the restricted warehouse (`bank360.duckdb`): a load would
lock them out, or they it, and it holds raw personal data. Each successful build writes a new DuckDB
file beside the old one and renames it over it. A reader holding the old file open keeps a consistent
old state; one that connects after the rename sees the new state; none sees a mix or waits.

What is copied: the `marts` schema (every column masked as its dbt `pii` tag says) and the `reference`
seeds. Not copied: `audit` (quarantined records carry raw personal data), `staging`, `intermediate`.
Each dbt exposure (dbt/models/marts/_exposures.yml) becomes a schema of views for its role, and
`serving.published` says which build the file holds. dbt's descriptions become table and column
comments, which BI tools show.
"""

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import settings
from .ingest.staging import fsync_dir

PUBLISHED_SCHEMAS = ("marts", "reference")

# The masks by `pii` tag, as the bank's display conventions have them: enough left to recognise a
# record one already knows, not enough to find or impersonate the person. `{c}` is the column.
MASKS = {
    # 110101********123X: the region code and the last four; the birth date inside is hidden.
    "identity_number": "case when length({c}) > 10 then left({c}, 6) || repeat('*', length({c}) - 10) || right({c}, 4)"
                       " else repeat('*', length({c})) end",
    # 138****5678
    "mobile": "case when length({c}) >= 11 then left({c}, 3) || repeat('*', length({c}) - 7) || right({c}, 4)"
              " else repeat('*', length({c})) end",
    # 张**: the family name only.
    "person_name": "left({c}, 1) || repeat('*', length({c}) - 1)",
    # 宁波朝阳区****: the city and district, not the street or the number.
    "address": "coalesce(nullif(regexp_extract({c}, '^.*?[区县旗]', 0), ''), left({c}, 2)) || '****'",
    # The year only (as its 1 January): with the masked identity number's region and last four, a full
    # birth date would give the whole number back.
    "birth_date": "cast(date_trunc('year', {c}) as date)",
    # Text typed by people (an override's reason, a customer code as entered): runs of eleven or more digits
    # (a mobile, an identity number) and passport-shaped words (one or two letters, 7-9 digits) are blanked;
    # the bank's own codes (CU..., CIF...) stay. Best effort: free text is no place for personal data.
    "free_text": r"regexp_replace(regexp_replace({c}, '[0-9]{{11,}}[Xx]?', '***********', 'g'), "
                 r"'\b[A-Za-z]{{1,2}}[0-9]{{7,9}}\b', '*********', 'g')",
}
# A company's name and address are not personal data: they stay readable for corporates.
CORPORATE_READABLE = {"person_name", "address"}


@dataclass(frozen=True)
class Published:
    path: Path
    published_at: dt.datetime
    tables: dict[str, int]  # schema.table -> rows
    masked: list[str]  # schema.table.column masked
    roles: dict[str, list[str]]  # role schema -> views


def bi_path(warehouse: Path) -> Path:
    return Path(warehouse) / settings.BI_FILE


def publishing_policy(manifest_path: Path) -> tuple[dict, dict, dict]:
    """From dbt's manifest: the `pii` tag of each masked column ({(table, column): tag}), the
    descriptions ({table: (description, {column: description})}) and each role's marts ({role: [table]})."""
    manifest = json.loads(Path(manifest_path).read_text())
    pii, docs = {}, {}
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "seed") or node["schema"] not in PUBLISHED_SCHEMAS:
            continue
        table = f"{node['schema']}.{node['alias']}"
        columns = node["columns"]
        docs[table] = (node.get("description", ""), {name: col.get("description", "") for name, col in columns.items()})
        for column, col in columns.items():
            tag = col.get("meta", {}).get("pii") or col.get("config", {}).get("meta", {}).get("pii")
            if tag:
                if tag not in MASKS:
                    raise ValueError(f"{table}.{column}: unknown pii tag {tag!r} (known: {', '.join(MASKS)})")
                pii[(table, column)] = tag
    roles = {}
    for exposure in manifest["exposures"].values():
        marts = [manifest["nodes"][n] for n in exposure["depends_on"]["nodes"]]
        roles[exposure["name"]] = sorted(n["alias"] for n in marts if n["schema"] == "marts")
    return pii, docs, roles


def _select_list(table: str, columns: list[str], pii: dict) -> tuple[str, list[str]]:
    expressions, masked = [], []
    for column in columns:
        quoted = f'"{column}"'
        tag = pii.get((table, column))
        if tag is None:
            expressions.append(quoted)
            continue
        mask = MASKS[tag].format(c=quoted)
        if tag in CORPORATE_READABLE and "customer_kind" in columns:
            mask = f"case when customer_kind = 'C' then {quoted} else {mask} end"
        expressions.append(f"{mask} as {quoted}")
        masked.append(f"{table}.{column}")
    return ", ".join(expressions), masked


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def publish(warehouse: Path, manifest_path: Path, run_id: str | None = None) -> Published:
    """Write the BI file from the restricted warehouse and swap it in; the caller makes sure no build is
    writing the warehouse meanwhile (the DuckDB writer pool)."""
    pii, docs, roles = publishing_policy(manifest_path)
    target = bi_path(warehouse)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.*.tmp"):  # left by a publish that was killed
        stale.unlink()
    building = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    tables, masked = {}, []
    con = duckdb.connect(str(building))
    try:
        con.execute(f"attach {_literal(str(Path(warehouse) / settings.DUCKDB_FILE))} as restricted (read_only)")
        found = con.execute("""
            select table_schema, table_name, list(column_name order by ordinal_position)
            from information_schema.columns
            where table_catalog = 'restricted' and table_schema in ('marts', 'reference')
              and table_name in (select table_name from information_schema.tables
                                 where table_catalog = 'restricted' and table_type = 'BASE TABLE')
            group by all order by all""").fetchall()
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema {schema}")
        for schema, name, columns in found:
            table = f"{schema}.{name}"
            select, masked_here = _select_list(table, columns, pii)
            created = con.execute(f"create table {table} as select {select} from restricted.{table}")
            (tables[table],) = created.fetchone()  # a create-as-select answers the rows it wrote
            masked += masked_here
            description, described = docs.get(table, ("", {}))
            _comment(con, table, description, {c: text for c, text in described.items() if c in columns})
        con.execute("detach restricted")
        for role, marts in roles.items():
            con.execute(f"create schema {role}")
            for mart in (m for m in marts if f"marts.{m}" in tables):
                con.execute(f"create view {role}.{mart} as select * from marts.{mart}")
        _record(con, published_at, run_id, tables)
        con.execute("checkpoint")
        con.close()
    except BaseException:
        con.close()
        building.unlink(missing_ok=True)  # the published file stays as it was
        raise
    _swap(building, target)
    return Published(target, published_at, tables, masked, roles)


def _comment(con: duckdb.DuckDBPyConnection, table: str, description: str, columns: dict[str, str]) -> None:
    if description:
        con.execute(f"comment on table {table} is {_literal(description.strip())}")
    for column, text in columns.items():
        if text:
            con.execute(f'comment on column {table}."{column}" is {_literal(text.strip())}')


def _record(con: duckdb.DuckDBPyConnection, published_at: dt.datetime, run_id: str | None,
            tables: dict[str, int]) -> None:
    """`serving.published`: one row per table, with the publish it belongs to, so that a reader can see
    which build it is reading and that the file is whole."""
    con.execute("create schema serving")
    con.execute("""create table serving.published (
        published_at timestamp not null, run_id varchar, table_name varchar not null, row_count bigint not null)""")
    con.executemany("insert into serving.published values (?, ?, ?, ?)",
                    [(published_at, run_id, table, rows) for table, rows in tables.items()])
    _comment(con, "serving.published", "Which build this file holds: when it was published, by which Dagster "
             "run, and the rows of each table then.", {})


def _swap(building: Path, target: Path) -> None:
    """Rename the finished file over the published one: atomic, and readers of the old one keep it."""
    building.chmod(0o444)  # read-only for everyone: nothing writes a published file again
    with open(building, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(building, target)
    fsync_dir(target.parent)  # the rename itself survives a crash
