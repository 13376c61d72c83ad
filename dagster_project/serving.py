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

A publish starts from a copy of the previous one: the facts, incremental by business date, grow by a
day while their history is the bulk of the file. A fact's dates whose (business_date, delivery)
pairs are the same in the warehouse and the previous publish are kept as they were published; the
others (new, redelivered, purged) are replaced. A fact whose model or published columns changed since
(`serving.published.fingerprint`), and every other table, is copied whole.
"""

import datetime as dt
import hashlib
import json
import os
import shutil
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


@dataclass(frozen=True)
class Policy:
    """What dbt's manifest says about publishing each table."""
    pii: dict[tuple[str, str], str]  # (table, column) -> pii tag of a masked column
    docs: dict[str, tuple[str, dict[str, str]]]  # table -> (description, {column: description})
    roles: dict[str, list[str]]  # role -> its marts
    by_date: dict[str, str]  # table incremental by business date (the facts) -> checksum of its model


def publishing_policy(manifest_path: Path) -> Policy:
    manifest = json.loads(Path(manifest_path).read_text())
    pii, docs, by_date = {}, {}, {}
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "seed") or node["schema"] not in PUBLISHED_SCHEMAS:
            continue
        table = f"{node['schema']}.{node['alias']}"
        if node["config"].get("materialized") == "incremental" and node["config"].get("unique_key") == "business_date":
            by_date[table] = node["checksum"]["checksum"]
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
    return Policy(pii, docs, roles, by_date)


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
    policy = publishing_policy(manifest_path)
    target = bi_path(warehouse)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.*.tmp"):  # left by a publish that was killed
        stale.unlink()
    building = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    tables, fingerprints, masked = {}, {}, []
    if target.is_file():
        shutil.copyfile(target, building)  # the contents only: the copy is writable
    con = duckdb.connect(str(building))
    try:
        before = _fingerprints(con)
        _drop_all_but(con, set(PUBLISHED_SCHEMAS))  # the role views and the record are written again below
        con.execute(f"attach {_literal(str(Path(warehouse) / settings.DUCKDB_FILE))} as restricted (read_only)")
        found = con.execute("""
            select table_schema, table_name, list(column_name order by ordinal_position)
            from information_schema.columns
            where table_catalog = 'restricted' and table_schema in ('marts', 'reference')
              and table_name in (select table_name from information_schema.tables
                                 where table_catalog = 'restricted' and table_type = 'BASE TABLE')
            group by all order by all""").fetchall()
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists {schema}")
        kept = con.execute("select table_schema || '.' || table_name from information_schema.tables "
                           "where table_catalog = current_database()").fetchall()
        for (table,) in set(kept) - {(f"{schema}.{name}",) for schema, name, _ in found}:
            con.execute(f"drop table {table}")  # no longer built
        for schema, name, columns in found:
            table = f"{schema}.{name}"
            select, masked_here = _select_list(table, columns, policy.pii)
            if table in policy.by_date:
                fingerprints[table] = hashlib.sha256(f"{policy.by_date[table]}\n{select}".encode()).hexdigest()
            if fingerprints.get(table) and before.get(table) == fingerprints[table]:
                tables[table] = _replace_changed_dates(con, table, select)
            else:
                tables[table] = _copy_whole(con, table, select)
            masked += masked_here
            description, described = policy.docs.get(table, ("", {}))
            _comment(con, table, description, {c: text for c, text in described.items() if c in columns})
        con.execute("detach restricted")
        for role, marts in policy.roles.items():
            con.execute(f"create schema {role}")
            for mart in (m for m in marts if f"marts.{m}" in tables):
                con.execute(f"create view {role}.{mart} as select * from marts.{mart}")
        _record(con, published_at, run_id, tables, fingerprints)
        con.execute("checkpoint")
        con.close()
    except BaseException:
        con.close()
        building.unlink(missing_ok=True)  # the published file stays as it was
        raise
    _swap(building, target)
    return Published(target, published_at, tables, masked, policy.roles)


def _fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The facts of the previous publish that a publish may add to, with their fingerprints: none
    when there was no previous publish, or it predates fingerprints."""
    recorded = con.execute("select 1 from information_schema.columns where table_schema = 'serving' "
                           "and table_name = 'published' and column_name = 'fingerprint'").fetchall()
    if not recorded:
        return {}
    return dict(con.execute("select table_name, fingerprint from serving.published").fetchall())


def _drop_all_but(con: duckdb.DuckDBPyConnection, kept: set[str]) -> None:
    schemas = con.execute("select schema_name from information_schema.schemata where catalog_name = current_database() "
                          "and schema_name not in ('main', 'information_schema', 'pg_catalog')").fetchall()
    for (schema,) in schemas:
        if schema not in kept:
            con.execute(f"drop schema {schema} cascade")


def _copy_whole(con: duckdb.DuckDBPyConnection, table: str, select: str) -> int:
    """The table as the warehouse has it, masked, replacing the published one; its rows."""
    created = con.execute(f"create or replace table {table} as select {select} from restricted.{table}")
    (rows,) = created.fetchone()  # a create-as-select answers the rows it wrote
    return rows


def _replace_changed_dates(con: duckdb.DuckDBPyConnection, table: str, select: str) -> int:
    """Bring a fact of the previous publish level with the warehouse: replace the dates whose
    (business_date, delivery) pairs differ, keep the rest. Its rows after."""
    pairs = "select distinct business_date, delivery from {}"
    ours, theirs = pairs.format(table), pairs.format(f"restricted.{table}")
    con.execute(f"""create or replace temporary table changed_dates as
                    select distinct business_date from (({theirs} except {ours}) union all ({ours} except {theirs}))""")
    con.execute(f"delete from {table} where business_date in (select business_date from changed_dates)")
    con.execute(f"insert into {table} select {select} from restricted.{table} "
                "where business_date in (select business_date from changed_dates)")
    (rows,) = con.execute(f"select count(*) from {table}").fetchone()
    (expected,) = con.execute(f"select count(*) from restricted.{table}").fetchone()
    if rows != expected:  # the warehouse's history changed under the same pairs (a restore, say): copy it whole
        return _copy_whole(con, table, select)
    return rows


def _comment(con: duckdb.DuckDBPyConnection, table: str, description: str, columns: dict[str, str]) -> None:
    if description:
        con.execute(f"comment on table {table} is {_literal(description.strip())}")
    for column, text in columns.items():
        if text:
            con.execute(f'comment on column {table}."{column}" is {_literal(text.strip())}')


def _record(con: duckdb.DuckDBPyConnection, published_at: dt.datetime, run_id: str | None,
            tables: dict[str, int], fingerprints: dict[str, str]) -> None:
    """`serving.published`: one row per table, with the publish it belongs to, so that a reader can see
    which build it is reading and that the file is whole."""
    con.execute("create schema serving")
    con.execute("""create table serving.published (
        published_at timestamp not null, run_id varchar, table_name varchar not null, row_count bigint not null,
        fingerprint varchar)""")
    con.executemany("insert into serving.published values (?, ?, ?, ?, ?)",
                    [(published_at, run_id, table, rows, fingerprints.get(table)) for table, rows in tables.items()])
    _comment(con, "serving.published", "Which build this file holds: when it was published, by which Dagster "
             "run, and the rows of each table then.", {"fingerprint": "For a fact published a date at a time: "
             "its model's checksum and published columns. The next publish adds to the fact only if it is the same."})


def _swap(building: Path, target: Path) -> None:
    """Rename the finished file over the published one: atomic, and readers of the old one keep it."""
    building.chmod(0o444)  # read-only for everyone: nothing writes a published file again
    with open(building, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(building, target)
    fsync_dir(target.parent)  # the rename itself survives a crash
