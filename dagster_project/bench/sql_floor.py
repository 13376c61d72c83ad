"""The build floor: the warehouse's transformations as one DuckDB script, with no orchestration.

What a build costs when nothing runs on top of the SQL: no Dagster, no dbt runtime (its relation
cache, materialization macros, round trips), no dbt tests, no great-expectations checks. The script
is not written by hand, which would copy every model: it is dbt's own compiled SQL of each model,
compiled against the floor's own DuckDB file (so is_incremental() answers as it would in the real
build), wrapped in the statements that materialize it, in dependency order, and run on one connection.

The floor keeps its own DuckDB file, beside links to the warehouse's Parquet, and receives the same
transformations day after day: call build_floor after each real build of the warehouse; the floor's
marts then hold as many rows as the warehouse's (the result lists those that do not).

    python -m dagster_project.bench.sql_floor --warehouse W --floor F    prints the result as JSON
"""

import argparse
import contextlib
import json
import multiprocessing
import os
import re
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

from .. import settings

# Entries of a warehouse that are not the models' input: the folders other tools write (dbt's
# artifacts, Dagster's instance, great-expectations' project, the BI file). The DuckDB file, its
# WAL, lock files and hidden working folders (.bank360.lock, .restoring) are skipped by name below.
NOT_INPUT = {"dbt", "dagster", "gx", "serving"}
# The statements of the script that belong to no model.
SCHEMAS = "create schemas"
# Marks a model's hooks in the code compiled for the floor (see _append_hooks).
HOOK_MARKER = "-- bank360 floor:"
HOOK_KINDS = ("pre_hook", "post_hook")


@dataclass(frozen=True)
class Statement:
    model: str  # the model's name, or what the statement is for when it belongs to none
    sql: str


def build_floor(warehouse: Path, floor_dir: Path) -> dict:
    """Bring the floor in `floor_dir` up to the built `warehouse`: compile, run and write the script
    (only its statements are timed), then compare the marts' row counts with the warehouse's."""
    warehouse, floor_dir = Path(warehouse).resolve(), Path(floor_dir).resolve()
    if not (warehouse / settings.DUCKDB_FILE).exists():
        raise FileNotFoundError(f"{warehouse} is not built: the floor follows a built warehouse")
    floor_dir.mkdir(parents=True, exist_ok=True)
    _link_inputs(warehouse, floor_dir)
    manifest, introspecting = _compile_in_child(floor_dir)
    run = _FloorRun(floor_dir, manifest, introspecting)
    run.run()
    script = floor_dir / "build.sql"
    script.write_text(_script_text(run.statements, run.recompiled), encoding="utf-8")
    models = {name: seconds for name, seconds in run.seconds.items() if name != SCHEMAS}
    return {
        "seconds": round(sum(run.seconds.values()), 3),
        "models": len(models),
        "statements": len(run.statements),
        "slowest": [(name, round(s, 3)) for name, s in sorted(models.items(), key=lambda kv: -kv[1])[:10]],
        "mismatches": compare_marts(warehouse, floor_dir),
        "script": str(script),
        "recompiled": sorted(run.recompiled),
    }


# --- set-up (untimed) ---------------------------------------------------------------------------


def _link_inputs(warehouse: Path, floor_dir: Path) -> None:
    """Make the floor read the warehouse's Parquet: the models find it under their warehouse_dir var."""
    for entry in warehouse.iterdir():
        name = entry.name
        if name in NOT_INPUT or name.startswith((settings.DUCKDB_FILE, ".")) or name.endswith(".lock"):
            continue
        link = floor_dir / name
        if not link.is_symlink():
            link.symlink_to(entry, target_is_directory=entry.is_dir())


def _compile(floor_dir: Path, select: list[str] | None = None) -> tuple[dict, list[str]]:
    """Compile the models (all, or those selected) against the floor's file, their hooks rendered with
    them, seeding the floor on first use: the compiled manifest, and the models whose compilation
    queried the file (introspection: an upstream relation's columns, an upstream table's rows).

    Run in a child process: dbt-duckdb keeps its connection to the file open for the life of the
    process, and the floor's own process then holds no dbt state or memory."""
    # dbt's profile and vars read the warehouse location from the environment: the floor's.
    os.environ["BANK360_WAREHOUSE"] = str(floor_dir)
    os.environ.setdefault("DO_NOT_TRACK", "1")  # dbt's usage tracking hangs without network
    if not (floor_dir / settings.DUCKDB_FILE).exists():
        _dbt(["seed"], floor_dir)
    manifest = _dbt(["parse"], floor_dir)
    _append_hooks(manifest)
    introspecting: set[str] = set()

    def note_query(event) -> None:
        if event.info.name == "SQLQuery" and event.data.node_info.unique_id:
            introspecting.add(event.data.node_info.unique_id)

    selection = select or ["resource_type:model"]
    # --no-print: compile prints the SQL of a model it was asked for by name (console noise here).
    _dbt(["compile", "--no-print", "--select", *selection], floor_dir, manifest=manifest, callbacks=[note_query])
    compiled = json.loads((floor_dir / "dbt" / "target" / "manifest.json").read_text(encoding="utf-8"))
    return compiled, sorted(introspecting)


def _compile_in_child(floor_dir: Path, select: list[str] | None = None) -> tuple[dict, list[str]]:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as child:
        return child.submit(_compile, floor_dir, select).result()


def _dbt(args: list[str], floor_dir: Path, manifest=None, callbacks=None):
    """One dbt command on the floor, its artifacts and logs inside the floor; its console on stderr,
    so that stdout carries only the result (the benchmark reads it)."""
    from dbt.cli.main import dbtRunner

    folders = ["--target-path", str(floor_dir / "dbt" / "target"), "--log-path", str(floor_dir / "dbt" / "logs")]
    project = ["--project-dir", str(settings.DBT_DIR), "--profiles-dir", str(settings.DBT_DIR)]
    with contextlib.redirect_stdout(sys.stderr):
        result = dbtRunner(manifest=manifest, callbacks=callbacks).invoke([*args, *project, *folders, "--quiet"])
    if not result.success:
        raise RuntimeError(f"dbt {args[0]} of the floor {floor_dir} failed: {result.exception}")
    return result.result


def _append_hooks(manifest) -> None:
    """dbt renders hooks only while it runs a model, never in compile; appended to the model's code
    (after a marker line), they are rendered by compile in the model's own context (this,
    is_incremental(), ref), as the materialization would render them."""
    for node in manifest.nodes.values():
        if node.resource_type != "model":
            continue
        for kind in HOOK_KINDS:
            for hook in getattr(node.config, kind):
                node.raw_code += f"\n{HOOK_MARKER} {kind}\n{hook.sql}"


def _existing_tables(database: Path) -> set[tuple[str, str]]:
    """(schema, name) of the floor's tables before the script: where incremental models append."""
    if not database.exists():
        return set()
    with duckdb.connect(str(database), read_only=True) as con:
        return set(con.execute("select table_schema, table_name from information_schema.tables").fetchall())


# --- the script ---------------------------------------------------------------------------------


def _model_nodes(manifest: dict) -> dict[str, dict]:
    return {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}


def _split_hooks(compiled: str) -> tuple[str, dict[str, list[str]]]:
    """The model's SQL and its rendered hooks (those that rendered to nothing dropped)."""
    parts = re.split(rf"^{HOOK_MARKER} ({'|'.join(HOOK_KINDS)})$", compiled, flags=re.MULTILINE)
    hooks: dict[str, list[str]] = {kind: [] for kind in HOOK_KINDS}
    for kind, sql in zip(parts[1::2], parts[2::2], strict=True):
        if sql.strip():
            hooks[kind].append(sql.strip())
    return parts[0].strip(), hooks


def model_statements(node: dict, exists: bool) -> list[str]:
    """What materializes one compiled model, between its pre- and post-hooks."""
    body, hooks = _split_hooks(node["compiled_code"])
    relation, materialized = node["relation_name"], node["config"]["materialized"]
    if materialized == "view":
        build = [f"create or replace view {relation} as (\n{body}\n)"]
    elif materialized == "table":
        build = [f"create or replace table {relation} as (\n{body}\n)"]
    elif materialized == "incremental":
        build = _incremental(node, body, exists)
    else:
        raise ValueError(f"{node['name']}: the floor does not materialize {materialized!r} models")
    return [*hooks["pre_hook"], *build, *hooks["post_hook"]]


def _incremental(node: dict, body: str, exists: bool) -> list[str]:
    """An incremental model as dbt-duckdb builds it: created whole the first time; later, the new rows
    staged in a temporary table replace the target's rows of the same unique_key (delete+insert)."""
    relation, config = node["relation_name"], node["config"]
    if not exists:
        return [f"create table {relation} as (\n{body}\n)"]
    strategy = config.get("incremental_strategy") or "delete+insert"  # dbt-duckdb's default
    if strategy not in ("delete+insert", "append"):
        raise ValueError(f"{node['name']}: the floor does not apply the incremental strategy {strategy!r}")
    staged = f'"floor_new__{node["alias"]}"'
    statements = [f"create or replace temporary table {staged} as (\n{body}\n)"]
    keys = config.get("unique_key") or []
    keys = [keys] if isinstance(keys, str) else keys
    if strategy == "delete+insert" and len(keys) == 1:
        statements.append(f"delete from {relation} where {keys[0]} in (select {keys[0]} from {staged})")
    elif strategy == "delete+insert" and keys:
        match = " and ".join(f"target.{key} = {staged}.{key}" for key in keys)
        statements.append(f"delete from {relation} as target using {staged} where {match}")
    return [*statements, f"insert into {relation} by name select * from {staged}", f"drop table {staged}"]


def _script_text(statements: list[Statement], recompiled: set[str]) -> str:
    lines = ["-- The build floor: every model's compiled SQL, materialized in dependency order (bench/sql_floor.py).",
             "-- Generated by one build of the floor, and run by it statement by statement on its bank360.duckdb."]
    previous = None
    for statement in statements:
        if statement.model != previous:
            note = " (compiled once its upstream models were built: its compilation reads them)"
            lines += ["", f"-- {statement.model}{note if statement.model in recompiled else ''}"]
            previous = statement.model
        lines.append(f"{statement.sql};")
    return "\n".join(lines) + "\n"


# --- the run (timed) and the check --------------------------------------------------------------


class _FloorRun:
    """The script, run statement by statement on one connection to the floor's file, upstream models
    first; the statements and the seconds spent in each model's.

    dbt compiles a model just before running it, after its upstream models were built. Most models
    compile the same whenever that happens; those whose compilation queried the floor (an upstream
    relation's columns, an upstream table's rows) are compiled again once their upstream models are
    built, the connection closed meanwhile (untimed): their SQL is then what the real build ran."""

    def __init__(self, floor_dir: Path, manifest: dict, introspecting: list[str]):
        self.floor_dir, self.database = floor_dir, floor_dir / settings.DUCKDB_FILE
        self.models = _model_nodes(manifest)
        self.introspecting = set(introspecting)
        # What the compile saw: an incremental model whose table exists appends to it.
        self.existing = _existing_tables(self.database)
        self.statements: list[Statement] = []
        self.seconds: dict[str, float] = defaultdict(float)
        self.recompiled: set[str] = set()
        self.connection: duckdb.DuckDBPyConnection | None = None

    def run(self) -> None:
        graph = {uid: [dep for dep in node["depends_on"]["nodes"] if dep in self.models]
                 for uid, node in self.models.items()}
        order = TopologicalSorter(graph)
        order.prepare()
        self._connect()
        try:
            built = [node for node in self.models.values() if node["config"]["materialized"] != "ephemeral"]
            for database, schema in sorted({(node["database"], node["schema"]) for node in built}):
                self._execute(Statement(SCHEMAS, f'create schema if not exists "{database}"."{schema}"'))
            waiting: list[str] = []  # models to compile again, their upstream models built
            while order.is_active():
                ready = sorted(order.get_ready())
                waiting += [uid for uid in ready if uid in self.introspecting]
                ready = [uid for uid in ready if uid not in self.introspecting]
                if not ready:  # nothing else can be built before them: compile them, all at once
                    ready, waiting = waiting, []
                    self._recompile(ready)
                for uid in ready:
                    self._build(self.models[uid])
                    order.done(uid)
        finally:
            self.connection.close()

    def _connect(self) -> None:
        """A connection set up as the dbt profile sets DuckDB up."""
        self.connection = duckdb.connect(str(self.database))
        self.connection.execute("set threads = 2")
        self.connection.execute(f"set memory_limit = '{os.environ.get('BANK360_DUCKDB_MEMORY_LIMIT', '4GB')}'")

    def _recompile(self, uids: list[str]) -> None:
        self.connection.close()
        manifest, _ = _compile_in_child(self.floor_dir, [self.models[uid]["name"] for uid in uids])
        for uid in uids:
            self.models[uid] = manifest["nodes"][uid]
            self.recompiled.add(self.models[uid]["name"])
        self._connect()

    def _build(self, node: dict) -> None:
        # Ephemeral models take part in the order (a model may reach its upstream through one) but
        # have no statements: compile inlined them as CTEs in the models reading them.
        if node["config"]["materialized"] == "ephemeral":
            return
        exists = (node["schema"], node["alias"]) in self.existing
        for sql in model_statements(node, exists):
            self._execute(Statement(node["name"], sql))

    def _execute(self, statement: Statement) -> None:
        start = time.perf_counter()
        self.connection.execute(statement.sql)
        self.seconds[statement.model] += time.perf_counter() - start
        self.statements.append(statement)


def _mart_row_counts(database: Path) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute("select table_name from information_schema.tables "
                             "where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1").fetchall()
        return {name: con.execute(f'select count(*) from marts."{name}"').fetchone()[0] for (name,) in tables}


def compare_marts(warehouse: Path, floor_dir: Path) -> list[dict]:
    """The warehouse's marts whose row count the floor does not have (floor None: the table is missing)."""
    real = _mart_row_counts(Path(warehouse) / settings.DUCKDB_FILE)
    floor = _mart_row_counts(Path(floor_dir) / settings.DUCKDB_FILE)
    return [{"table": f"marts.{name}", "warehouse": rows, "floor": floor.get(name)}
            for name, rows in real.items() if floor.get(name) != rows]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.bench.sql_floor",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="a built warehouse")
    parser.add_argument("--floor", type=Path, required=True, help="the floor's folder (created on first use)")
    args = parser.parse_args(argv)
    print(json.dumps(build_floor(args.warehouse, args.floor)))


if __name__ == "__main__":
    main()
