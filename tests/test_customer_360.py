"""Identity resolution and the customer-360 star schema, built by real dbt runs through Dagster.

The simulator knows which real person is behind every source record; the warehouse
must find the same people, keep their numbers, and reproduce any past date.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import query, xref_of
from simbank import simulate

from dagster_project import cli, runner, settings


def pairwise_accuracy(xref: dict, truth: Path) -> tuple[float, float]:
    """Precision and recall over pairs of source records said to be (or truly) the same person."""
    person = {(r["source_system"], r["source_customer_id"]): r["person_id"]
              for r in pq.read_table(truth / "source_customers.parquet").to_pylist()}
    assert set(xref) <= set(person), "the warehouse invented source records"

    def pairs(groups) -> int:
        return sum(n * (n - 1) // 2 for n in groups)

    def sizes(key) -> list[int]:
        counts: dict = {}
        for record, customer in xref.items():
            counts[key(record, customer)] = counts.get(key(record, customer), 0) + 1
        return list(counts.values())

    together = pairs(sizes(lambda r, c: (c, person[r])))
    predicted = pairs(sizes(lambda r, c: c))
    actual = pairs(sizes(lambda r, c: person[r]))
    return together / predicted, together / actual


@pytest.fixture(scope="module")
def namesake_bank(tmp_path_factory) -> tuple[Path, Path]:
    """A bank big enough that distinct people share a name and a birth date."""
    root = tmp_path_factory.mktemp("namesakes")
    simulate(root / "raw", root / "truth", "--customers", "12000", "--start", "20260330", "--days", "2",
             "--seed", "5", "--defect-rate", "0.01")
    runner.run(root / "raw", root / "warehouse")
    return root / "warehouse", root / "truth"


def test_resolution_meets_the_bank_accuracy_and_keeps_namesakes_apart(namesake_bank):
    warehouse, truth = namesake_bank
    persons = pq.read_table(truth / "persons.parquet").to_pandas()
    individuals = persons[persons["kind"] == "I"]
    namesakes = individuals[individuals.duplicated(["name", "birth_date"], keep=False)]
    assert len(namesakes) >= 4, "the simulated bank has no namesakes to keep apart"

    xref = xref_of(warehouse)
    precision, recall = pairwise_accuracy(xref, truth)
    assert precision >= 0.999 and recall >= 0.995, (precision, recall)
    # The namesakes' records went to as many customers as there are namesakes.
    source = pq.read_table(truth / "source_customers.parquet").to_pandas()
    theirs = source[source["person_id"].isin(namesakes["person_id"])]
    customers = {xref[(s, i)] for s, i in zip(theirs["source_system"], theirs["source_customer_id"], strict=True)
                 if (s, i) in xref}
    assert len(customers) == theirs[[(s, i) in xref for s, i in zip(
        theirs["source_system"], theirs["source_customer_id"], strict=True)]]["person_id"].nunique()
    # Records without a trusted number were linked probabilistically, and scored.
    rules = dict(query(warehouse, "select match_rule, count(*) from marts.customer_xref group by all"))
    assert rules.get("probabilistic", 0) > 0 and rules.get("id_number_15to18", 0) > 0
    assert query(warehouse, "select count(*) from marts.customer_xref where match_rule = 'probabilistic' "
                             "and not match_score >= 0.999") == [(0,)]


def test_every_loaded_customer_record_maps_to_exactly_one_customer(built_bank):
    loaded = query(built_bank, """
        select 'deposit', cif_no from staging.stg_deposit__customers union
        select 'loan', borrower_id from staging.stg_loan__borrowers union
        select 'card', holder_id from staging.stg_card__cardholders union
        select 'mortgage', mortgage_no from staging.stg_mortgage__contracts""")
    xref = query(built_bank, "select source_system, source_customer_id from marts.customer_xref")
    assert len(xref) == len(set(xref)) and set(xref) == set(loaded)


def test_incremental_builds_end_where_a_single_build_does(replayed, built_bank, messy_bank):
    _, warehouse, _, xrefs, _ = replayed
    assert len(xrefs) >= 3, "the replay should meet several incremental builds"

    def partition(xref: dict) -> set[frozenset]:
        groups: dict = {}
        for record, customer in xref.items():
            groups.setdefault(customer, set()).add(record)
        return {frozenset(g) for g in groups.values()}

    assert partition(xrefs[-1]) == partition(xref_of(built_bank))
    facts = ["fct_deposit_balance_daily", "fct_loan_position_daily", "fct_mortgage_position_monthly",
             "fct_card_statement", "fct_card_transaction"]
    for fact in facts:
        rows = f"select * exclude (account_key) from marts.{fact}" if fact != "fct_card_statement" \
            else f"select * from marts.{fact}"
        assert sorted(query(warehouse, rows)) == sorted(query(built_bank, rows)), fact
    accounts = "select * exclude (customer_id) from marts.dim_account"
    assert sorted(query(warehouse, accounts)) == sorted(query(built_bank, accounts))
    # The golden history is the same, customer by customer (numbers may differ: minted in arrival order).
    history = """select x.source_system, x.source_customer_id, d.customer_name, d.mobile, d.branch_code,
                        d.valid_from, d.valid_to
                 from marts.dim_customer d join marts.customer_xref x using (customer_id)"""
    assert sorted(query(warehouse, history)) == sorted(query(built_bank, history))


def test_customer_numbers_are_stable_and_every_change_is_recorded(replayed, tmp_path):
    _, warehouse, _, xrefs, _ = replayed
    history = query(warehouse, "select source_system, source_customer_id, customer_id, change_kind, valid_to "
                                "from marts.customer_xref_history")
    assignments = {(s, i, c) for s, i, c, _, _ in history}
    open_rows = {(s, i): c for s, i, c, _, valid_to in history if valid_to is None}
    assert open_rows == xrefs[-1], "the history's open rows are the current cross-reference"
    moves = 0
    for earlier, later in zip(xrefs, xrefs[1:], strict=False):
        for record in earlier.keys() & later.keys():
            if earlier[record] != later[record]:  # a merge or split: both assignments are on record
                moves += 1
                assert {(*record, earlier[record]), (*record, later[record])} <= assignments, record
    kinds = {kind for *_, kind, _ in history}
    assert moves == 0 or kinds & {"merged", "split", "moved"}
    # Most records never move: customer numbers are stable.
    assert moves <= len(xrefs[-1]) // 100
    # A full refresh of every model keeps the numbers: the registry is never rebuilt.
    copy = tmp_path / "warehouse"
    shutil.copytree(warehouse, copy)
    _dbt(copy, "build", "--full-refresh")
    assert xref_of(copy) == xrefs[-1]
    assert len(query(copy, "select * from marts.customer_xref_history")) == len(history)


def test_dim_customer_reproduces_any_past_date(built_bank):
    # No customer has two versions, or none, on a day between its first and now.
    overlaps = query(built_bank, """
        select a.customer_id from marts.dim_customer a join marts.dim_customer b
        on a.customer_id = b.customer_id and a.customer_version_key < b.customer_version_key
        and a.valid_from <= b.valid_to and b.valid_from <= a.valid_to""")
    gaps = query(built_bank, """
        select customer_id from (select customer_id, valid_from,
            lag(valid_to) over (partition by customer_id order by valid_from) as previous_to
            from marts.dim_customer) where previous_to is not null and valid_from <> previous_to + 1""")
    assert overlaps == [] and gaps == []
    # For a customer known only through one deposit CIF, the view of every past date is
    # what the deposit system delivered that date.
    mismatches = query(built_bank, """
        with single as (
            select customer_id, any_value(source_customer_id) as cif_no from marts.customer_xref
            group by customer_id having count(*) = 1 and any_value(source_system) = 'deposit')
        select s.business_date, s.cif_no from staging.stg_deposit__customers s
        join single using (cif_no)
        join marts.dim_customer d on d.customer_id = single.customer_id
            and s.business_date between d.valid_from and d.valid_to
        where d.customer_name is distinct from s.customer_name or d.mobile is distinct from s.mobile
            or d.branch_code is distinct from s.branch_code or d.address is distinct from s.address""")
    assert mismatches == []
    changed = query(built_bank, "select count(distinct customer_id) from marts.dim_customer where not is_current")
    assert changed[0][0] > 0, "no customer changed: the history is not exercised"


def test_customer_360_sums_the_facts(built_bank):
    totals = query(built_bank, """
        select sum(deposit_balance_cny), sum(loan_outstanding_cny), count(*) from marts.customer_360""")[0]
    facts = query(built_bank, """
        select (select sum(ledger_balance_cny) from marts.fct_deposit_balance_daily
                where business_date = (select max(business_date) from marts.fct_deposit_balance_daily)),
               (select sum(outstanding_principal) from marts.fct_loan_position_daily
                where position_status = 'ACTIVE'
                and business_date = (select max(business_date) from marts.fct_loan_position_daily)),
               (select count(distinct customer_id) from marts.customer_xref)""")[0]
    assert totals == facts


def _person_with_most_systems(truth: Path) -> list[tuple[str, str]]:
    source = pq.read_table(truth / "source_customers.parquet").to_pandas()
    spread = source.groupby("person_id")["source_system"].nunique().sort_values(kind="stable")
    person = spread.index[-1]
    rows = source[source["person_id"] == person]
    return list(zip(rows["source_system"], rows["source_customer_id"], strict=True))


def test_customer_command_finds_the_whole_customer_from_any_code(built_bank, messy_bank, capsys):
    _, truth = messy_bank
    records = _person_with_most_systems(truth)
    assert len({system for system, _ in records}) >= 3
    xref = xref_of(built_bank)
    customer = xref[records[0]]
    id_no = query(built_bank, f"select id_no from marts.dim_customer where customer_id = '{customer}' "
                               "and is_current")[0][0]
    accounts = [a for (a,) in query(built_bank, f"select account_no from marts.dim_account "
                                                 f"where customer_id = '{customer}'")]
    codes = [source_id for _, source_id in records] + accounts + [customer, id_no, id_no.lower()]
    if len(id_no) == 18 and id_no[:17].isdigit():  # the legacy 15-digit form of a resident number
        codes.append(id_no[:6] + id_no[8:17])
    for code in codes:
        assert cli.main(["customer", code, "--warehouse", str(built_bank)]) == 0, code
        out = capsys.readouterr().out
        assert f"customer {customer}" in out and out.count("##### customer") == 1, code
        for _, source_id in records:
            assert source_id in out
    for title in ("Profile", "Contribution (latest month", "Contribution by month and product line", "Profile history",
                  "Credit standing", "Credit grades by month", "Deposits", "Loans", "Mortgage contracts",
                  "Credit cards", "Linked source records"):
        assert f"== {title}" in out
    segment, tier = query(built_bank, f"select abc_segment, customer_tier from marts.customer_360 "
                                      f"where customer_id = '{customer}'")[0]
    assert segment in ("A", "B", "C") and re.search(rf"customer_tier\s+{tier}\n", out)
    assert cli.main(["customer", "NO-SUCH-CODE", "--warehouse", str(built_bank)]) == 1
    assert "no customer has the code 'NO-SUCH-CODE'" in capsys.readouterr().err


def _dbt(warehouse: Path, *args: str) -> None:
    """The dbt command line, in its own process (as a data engineer runs it)."""
    dbt = Path(sys.executable).parent / "dbt"
    command = [str(dbt), *args, "--project-dir", str(settings.DBT_DIR), "--profiles-dir", str(settings.DBT_DIR),
               "--target-path", str(warehouse / "dbt_target"), "--log-path", str(warehouse / "dbt_logs")]
    env = {**os.environ, "BANK360_WAREHOUSE": str(warehouse), "DO_NOT_TRACK": "1"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]


def test_the_marts_refuse_nulls_their_contracts_forbid_even_in_tables_built_before(built_bank, tmp_path):
    copy = tmp_path / "warehouse"
    shutil.copytree(built_bank, copy)
    null_row = ("insert into marts.fct_deposit_balance_daily "
                "select * replace (null as acct_no) from marts.fct_deposit_balance_daily limit 1")
    with duckdb.connect(str(copy / settings.DUCKDB_FILE)) as con:
        with pytest.raises(duckdb.ConstraintException, match="fct_deposit_balance_daily.acct_no"):
            con.execute(null_row)
        # As if the incremental fact had been created before its contract declared the column not null.
        con.execute("alter table marts.fct_deposit_balance_daily alter column acct_no drop not null")
    _dbt(copy, "run", "--select", "fct_deposit_balance_daily")
    with duckdb.connect(str(copy / settings.DUCKDB_FILE)) as con:
        with pytest.raises(duckdb.ConstraintException, match="fct_deposit_balance_daily.acct_no"):
            con.execute(null_row)
        # Every not-null column of every contract is declared in the table the build left.
        nullable = {f"{schema}.{table}.{column}" for schema, table, column in con.execute(
            "select table_schema, table_name, column_name from information_schema.columns where is_nullable = 'YES'"
        ).fetchall()}
    manifest = json.loads((copy / "dbt_target" / "manifest.json").read_text())
    declared = {f"{node['schema']}.{node['alias']}.{name}" for node in manifest["nodes"].values()
                if node["resource_type"] == "model" for name, column in node["columns"].items()
                if any(constraint["type"] == "not_null" for constraint in column["constraints"])}
    assert len(declared) > 80 and not declared & nullable


def test_data_dictionary_describes_every_mart_column(built_bank, tmp_path):
    copy = tmp_path / "warehouse"
    shutil.copytree(built_bank, copy)
    _dbt(copy, "docs", "generate")
    manifest = json.loads((copy / "dbt_target" / "manifest.json").read_text())
    catalog = json.loads((copy / "dbt_target" / "catalog.json").read_text())
    marts = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model" and n["schema"] == "marts"}
    assert {"customer_xref", "dim_customer", "dim_account", "customer_360"} <= {n["name"] for n in marts.values()}
    for key, node in marts.items():
        assert node["description"], node["name"]
        assert node["config"]["contract"]["enforced"], node["name"]
        built = {c.lower() for c in catalog["nodes"][key]["columns"]}
        described = {c for c, spec in node["columns"].items() if spec["description"]}
        assert built <= described, (node["name"], built - described)
