"""Benchmark: a month of contribution scoring (issue 6's target: 1,000,000 customers, 30 days of
balances, at most 2 minutes).

Simulates N customers for one business day, a month end (all four systems deliver), and loads
and builds it with `bank360 run`. Then turns that day into a month in the DuckDB file: the
day's facts are repeated on the 29 days before it, balances moved by a few per mille a day,
card postings renamed per day, and a statement cut on every card account's cycle day, as if
30 days had been delivered and built. Contribution reads only these facts, so this is the
month it would see after 30 simulated days, made in seconds instead of an hour.

Then times dbt building every contribution model and customer_360 with their tests, from
scratch (--full-refresh), in a child process. The floor, in the same run: one DuckDB query
per fact summing the month per account, the reads any contribution must make.

    python benchmarks/bench_contribution.py [--customers 1000000]
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from floors import customers_option, machine, measured, simulate_command

MONTH_END = "2026-01-31"
FIRST_DAY = "2026-01-02"  # 30 days of balances
DBT_DIR = Path(__file__).resolve().parent.parent / "dbt"

# Each day's variation: a deterministic factor of 1 +- 0.5 % per row and day.
WOBBLE = "(1 + (cast(hash({key}, day) % 1001 as integer) - 500) / 100000.0)"
REPEAT_DAYS = f"""(select cast(unnest(generate_series(date '{FIRST_DAY}', date '{MONTH_END}' - 1, interval 1 day))
                  as date) as day) as days"""

MAKE_MONTH = [
    f"""insert into marts.fct_deposit_balance_daily by name
        select account_key, acct_no, day as business_date, delivery, product_code, currency,
               cast(ledger_balance * {WOBBLE.format(key='account_key')} as decimal(18,2)) as ledger_balance,
               available_balance, accrued_interest, fx_rate_to_cny,
               cast(ledger_balance_cny * {WOBBLE.format(key='account_key')} as decimal(18,2)) as ledger_balance_cny,
               available_balance_cny
        from marts.fct_deposit_balance_daily, {REPEAT_DAYS}""",
    f"""insert into marts.fct_loan_position_daily by name
        select * exclude (business_date, day), day as business_date
        from marts.fct_loan_position_daily, {REPEAT_DAYS}""",
    f"""insert into marts.fct_card_transaction by name
        select * exclude (txn_id, business_date, txn_date, txn_ts, day),
               txn_id || '-' || strftime(day, '%d') as txn_id, day as business_date, day as txn_date,
               cast(day as timestamp) + (txn_ts - cast(txn_date as timestamp)) as txn_ts
        from marts.fct_card_transaction, {REPEAT_DAYS}""",
    f"""insert into marts.fct_card_statement by name
        select 'card:' || card_acct_no as account_key, card_acct_no, day as statement_date, day as business_date,
               1 as delivery, card_product as product_code, credit_limit,
               cast(credit_limit * share / 100 as decimal(18,2)) as statement_balance,
               cast(credit_limit * share / 200 as decimal(18,2)) as revolving_balance,
               cast(credit_limit * share / 200 * 0.015 as decimal(18,2)) as interest_charged,
               cast(case when share % 10 = 0 then 25 else 0 end as decimal(18,2)) as fees_charged,
               case when share >= 57 then share - 56 else 0 end as cycles_delinquent
        from (select *, cast(hash(card_acct_no) % 60 as integer) as share from intermediate.int_latest__card_accounts)
             as accounts, {REPEAT_DAYS}
        where extract(day from day) = cycle_day""",
    f"""insert into intermediate.int_feed_deliveries by name
        select source_system, feed, day as business_date, delivery, recorded_at
        from intermediate.int_feed_deliveries, {REPEAT_DAYS}
        where source_system <> 'mortgage'""",
]

FLOOR = [
    "select account_key, sum(ledger_balance_cny) from marts.fct_deposit_balance_daily group by all",
    "select account_key, sum(outstanding_principal), max(five_class) from marts.fct_loan_position_daily group by all",
    "select account_key, sum(amount) from marts.fct_card_transaction group by all",
    "select account_key, max(statement_balance) from marts.fct_card_statement group by all",
]


def floor_seconds(database: Path) -> float:
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("set threads = 2")
        start = time.perf_counter()
        for sql in FLOOR:
            con.execute(sql).to_arrow_table()
        return time.perf_counter() - start


def main() -> None:
    customers = customers_option()
    with tempfile.TemporaryDirectory() as tmp:
        raw, warehouse = Path(tmp) / "raw", Path(tmp) / "warehouse"
        subprocess.run(simulate_command(raw, Path(tmp) / "truth", customers, MONTH_END.replace("-", ""), 1),
                       check=True)
        subprocess.run([sys.executable, "-m", "dagster_project.cli", "run", "--raw", str(raw), "--warehouse",
                        str(warehouse)], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "BANK360_VALIDATE": "off"})
        database = warehouse / "bank360.duckdb"
        with duckdb.connect(str(database)) as con:
            for sql in MAKE_MONTH:
                con.execute(sql)
            balances = con.execute("select count(*) from marts.fct_deposit_balance_daily").fetchone()[0]
        floor = floor_seconds(database)
        dbt = [str(Path(sys.executable).parent / "dbt"), "build", "--select", "int_contribution_months+",
               "--full-refresh", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
               "--target-path", str(warehouse / "dbt" / "bench")]
        os.environ |= {"BANK360_WAREHOUSE": str(warehouse), "DO_NOT_TRACK": "1"}
        seconds, peak = measured(dbt)
        results = json.loads((warehouse / "dbt" / "bench" / "run_results.json").read_text())["results"]
        for node in sorted(results, key=lambda r: -r["execution_time"])[:8]:
            print(f"{node['unique_id']}: {node['execution_time']:.1f} s")
        # The credit models read the same facts and month table: their share of the build, on its own.
        credit = sum(r["execution_time"] for r in results if "credit" in r["unique_id"])
        print(f"credit grading nodes: {credit:.1f} s of {sum(r['execution_time'] for r in results):.1f} s")
        print(f"| {machine()} | {customers:,} | {balances:,} | {seconds:.1f} s | {peak:.2f} GB | "
              f"{floor:.1f} s | {seconds / floor:.1f}x |")


if __name__ == "__main__":
    main()
