"""Contribution scoring and segmentation on real builds of the simulated bank (docs/contribution.md):
a customer's contribution worked out by hand from the facts and the seeds, product lines adding up
to the total, segments within their cut-offs, and a tier history that does not depend on how the
deliveries arrived."""

import csv
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from conftest import TIER_SNAPSHOT, query

from dagster_project import settings

CENT = Decimal("0.01")
SEEDS = settings.DBT_DIR / "seeds" / "contribution"


def _seed(name: str) -> list[dict]:
    with (SEEDS / f"{name}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _parameter(seed: str, name: str) -> Decimal:
    return next(Decimal(row["value"]) for row in _seed(seed) if row["parameter"] == name)


def _band(seed: str, lower: str, value: str, x) -> Decimal:
    """The `value` of the band of a banded seed whose lower bound is the largest not above x."""
    return max((row for row in _seed(seed) if Decimal(row[lower]) <= x), key=lambda row: Decimal(row[lower]))[value]


def _monthly_cost(product_line: str) -> Decimal:
    return next(Decimal(r["monthly_cost_cny"]) for r in _seed("operating_costs") if r["product_line"] == product_line)


def _cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, ROUND_HALF_UP)


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _month_period(warehouse, month: dt.date) -> tuple[int, int, int, int]:
    """Days of the period, days of the month, and the days the deposit and loan systems delivered."""
    (period_end, deposit_days, loan_days), = query(warehouse, f"""
        select max(business_date) filter (where source_system <> 'mortgage'),
               count(distinct business_date) filter (where source_system = 'deposit' and feed = 'BALANCE'),
               count(distinct business_date) filter (where source_system = 'loan' and feed = 'POSITION')
        from intermediate.int_feed_deliveries where date_trunc('month', business_date) = date '{month}'""")
    return (period_end - month).days + 1, (_next_month(month) - month).days, deposit_days, loan_days


def _accrued(base: Decimal, annual_rate: Decimal, days: int) -> Decimal:
    return _cents(base * annual_rate * days / _parameter("contribution_parameters", "days_in_year"))


def _deposit_line(warehouse, customer: str, month: dt.date) -> tuple[Decimal, Decimal]:
    """(average balance, contribution) of a customer's deposits in a month, by the rules of docs/contribution.md."""
    period, month_days, deposit_days, _ = _month_period(warehouse, month)
    balance = contribution = Decimal(0)
    for _account, rate, tenor, balance_sum in query(warehouse, f"""
            select accounts.account_key, accounts.interest_rate, coalesce(products.tenor_months, 0),
                   sum(balances.ledger_balance_cny)
            from marts.dim_account as accounts
            join marts.fct_deposit_balance_daily as balances using (account_key)
            join reference.products as products on products.product_code = accounts.product_code
            where accounts.customer_id = '{customer}' and date_trunc('month', balances.business_date) = '{month}'
            group by all"""):
        average = _cents(balance_sum / deposit_days)
        ftp = Decimal(_band("ftp_curve", "tenor_months_from", "ftp_rate_pct", tenor))
        cost = _cents(_monthly_cost("deposit") * period / month_days)
        balance += average
        contribution += _accrued(average, (ftp - rate) / 100, period) - cost
    return balance, contribution


def _loan_line(warehouse, customer: str, month: dt.date) -> tuple[Decimal, Decimal]:
    """(average principal, contribution) of a customer's loans in a month: margin over FTP less
    expected loss (PD by each day's five-class, LGD by collateral) and operating cost."""
    period, month_days, _, loan_days = _month_period(warehouse, month)
    pd_of = {int(r["five_class"]): Decimal(r["pd"]) for r in _seed("pd_by_five_class")}
    lgd_of = {r["collateral_type"]: Decimal(r["lgd"]) for r in _seed("lgd_by_collateral")}
    cost = _monthly_cost("loan")
    balance = contribution = Decimal(0)
    loans = query(warehouse, f"""
        select accounts.account_key, accounts.interest_rate, accounts.open_date, accounts.maturity_date,
               contracts.collateral_type
        from marts.dim_account as accounts
        join intermediate.int_latest__loan_contracts as contracts on contracts.contract_no = accounts.account_no
        where accounts.customer_id = '{customer}' and accounts.product_line = 'loan'""")
    for account_key, rate, start, maturity, collateral in loans:
        days = query(warehouse, f"""
            select outstanding_principal, five_class from marts.fct_loan_position_daily
            where account_key = '{account_key}' and date_trunc('month', business_date) = '{month}'
              and position_status <> 'WRITTEN_OFF'""")
        if not days:
            continue
        average = _cents(sum(out for out, _ in days) / loan_days)
        at_risk = _cents(sum(out * pd_of[five_class] for out, five_class in days) / loan_days)
        tenor = (maturity.year - start.year) * 12 + maturity.month - start.month
        ftp = Decimal(_band("ftp_curve", "tenor_months_from", "ftp_rate_pct", tenor))
        balance += average
        contribution += (_accrued(average, (rate - ftp) / 100, period) - _accrued(at_risk, lgd_of[collateral], period)
                         - _cents(cost * period / month_days))
    return balance, contribution


def _mortgage_line(warehouse, customer: str, month: dt.date) -> tuple[Decimal, Decimal]:
    """(principal, contribution) of a customer's mortgages: the month-end position (else the previous
    month end's), margin over FTP for the term, less PD x LGD (by loan-to-value) x principal and cost."""
    period, month_days, _, _ = _month_period(warehouse, month)
    pd_of = {int(r["five_class"]): Decimal(r["pd"]) for r in _seed("pd_by_five_class")}
    balance = contribution = Decimal(0)
    for key, rate, value, term in query(warehouse, f"""
            select accounts.account_key, accounts.interest_rate, contracts.property_value, contracts.term_months
            from marts.dim_account as accounts
            join intermediate.int_latest__mortgage_contracts as contracts on contracts.mortgage_no = accounts.account_no
            where accounts.customer_id = '{customer}' and accounts.product_line = 'mortgage'"""):
        positions = query(warehouse, f"""
            select outstanding_principal, five_class from marts.fct_mortgage_position_monthly
            where account_key = '{key}' and business_date between date '{month}' - 1
              and (select max(business_date) from intermediate.int_feed_deliveries
                   where source_system <> 'mortgage' and date_trunc('month', business_date) = date '{month}')
            order by business_date desc limit 1""")
        if not positions:
            continue
        (principal, five_class), = positions
        ltv = principal / value
        lgd = Decimal(_band("mortgage_lgd_by_ltv", "ltv_from", "lgd", ltv))
        ftp = Decimal(_band("ftp_curve", "tenor_months_from", "ftp_rate_pct", term))
        balance += principal
        contribution += (_accrued(principal, (rate - ftp) / 100, period)
                         - _accrued(_cents(principal * pd_of[five_class]), lgd, period)
                         - _cents(_monthly_cost("mortgage") * period / month_days))
    return balance, contribution


def _card_line(warehouse, customer: str, month: dt.date) -> tuple[Decimal, Decimal]:
    """(statement balance, contribution) of a customer's open card accounts: interest and fees the
    month's statements charged, interchange on net purchases, less expected loss on the latest
    statement balance, funding of its revolving balance, and cost."""
    period, month_days, _, _ = _month_period(warehouse, month)
    interchange, card_lgd, funding_tenor = (_parameter("contribution_parameters", name) for name in (
        "card_interchange_rate", "card_lgd", "card_funding_tenor_months"))
    funding = Decimal(_band("ftp_curve", "tenor_months_from", "ftp_rate_pct", funding_tenor))
    end = _next_month(month) - dt.timedelta(days=1)
    balance = contribution = Decimal(0)
    for key, first_seen, last_seen in query(warehouse, f"""
            select account_key, first_seen_date, last_seen_date from marts.dim_account
            where customer_id = '{customer}' and product_line = 'card' and status <> 'CLOSED'"""):
        if first_seen > end or last_seen < month:
            continue
        charged = query(warehouse, f"""
            select coalesce(sum(interest_charged), 0), coalesce(sum(fees_charged), 0) from marts.fct_card_statement
            where account_key = '{key}' and date_trunc('month', statement_date) = date '{month}'""")[0]
        purchases = query(warehouse, f"""
            select coalesce(sum(case txn_type when 'PURCHASE' then amount when 'REFUND' then -amount else 0 end), 0)
            from marts.fct_card_transaction
            where account_key = '{key}' and date_trunc('month', business_date) = date '{month}'""")[0][0]
        latest = query(warehouse, f"""
            select statement_balance, revolving_balance, cycles_delinquent from marts.fct_card_statement
            where account_key = '{key}' and statement_date between date '{month}' - interval 1 month and date '{end}'
            order by statement_date desc limit 1""")
        owed, revolving, cycles = latest[0] if latest else (Decimal(0), Decimal(0), None)
        pd = Decimal(_band("pd_by_card_cycles", "cycles_delinquent_from", "pd", cycles)) if latest else Decimal(0)
        balance += owed
        contribution += (charged[0] + charged[1] + _cents(max(purchases, 0) * interchange)
                         - _accrued(_cents(owed * pd), card_lgd, period) - _accrued(revolving, funding / 100, period)
                         - _cents(_monthly_cost("card") * period / month_days))
    return balance, contribution


LINES = {"deposit": _deposit_line, "loan": _loan_line, "mortgage": _mortgage_line, "card": _card_line}


def test_a_customers_contribution_worked_out_by_hand(built_bank):
    """The customers holding the most product lines, in the complete month (January) and the
    running one (February): each line and the total, from the facts and the seeds' CSV files."""
    customers = [c for (c,) in query(built_bank, """
        select customer_id from marts.dim_account group by customer_id
        order by count(distinct product_line) desc, customer_id limit 4""")]
    months = [m for (m,) in query(built_bank, "select month_start from intermediate.int_contribution_months "
                                              "order by 1")]
    assert len(months) == 2, "the test bank spans a month end"
    lines_seen = set()
    for customer in customers:
        for month in months:
            built = {line: (balance, contribution) for line, balance, contribution in query(built_bank, f"""
                select product_line, average_balance_cny, contribution_cny from marts.fct_contribution_monthly
                where customer_id = '{customer}' and month_start = '{month}'""")}
            total = Decimal(0)
            for line, by_hand in LINES.items():
                expected = by_hand(built_bank, customer, month)
                if line not in built:
                    assert expected == (0, 0), (customer, month, line)
                    continue
                lines_seen.add(line)
                # The engine divides in binary floating point before rounding to the cent: at most a cent apart.
                assert abs(built[line][0] - expected[0]) <= CENT, (customer, month, line)
                assert abs(built[line][1] - expected[1]) <= 3 * CENT, (customer, month, line, built[line], expected)
                total += expected[1]
            (contribution,), = query(built_bank, f"select contribution_cny from marts.customer_contribution_monthly "
                                                 f"where customer_id = '{customer}' and month_start = '{month}'")
            assert abs(contribution - total) <= 10 * CENT, (customer, month, contribution, total)
    assert lines_seen == set(LINES), f"the customers checked hold only {lines_seen}"


def test_product_lines_add_up_and_segments_respect_their_cut_offs(built_bank):
    mismatched = query(built_bank, """
        select customers.month_start, customers.customer_id
        from marts.customer_contribution_monthly as customers
        left join (select month_start, customer_id, sum(contribution_cny) as total
                   from marts.fct_contribution_monthly group by all) as lines using (month_start, customer_id)
        where lines.total is distinct from customers.contribution_cny""")
    assert mismatched == []
    a_cut, b_cut = (_parameter("segment_rules", name) for name in ("abc_a_max_cumulative_share",
                                                                    "abc_b_max_cumulative_share"))
    for month, positive, a_share, ab_share, customers, a, key in query(built_bank, """
            select month_start,
                   sum(greatest(contribution_cny, 0)),
                   sum(contribution_cny) filter (where abc_segment = 'A') / sum(greatest(contribution_cny, 0)),
                   sum(contribution_cny) filter (where abc_segment in ('A', 'B')) / sum(greatest(contribution_cny, 0)),
                   count(*), count(*) filter (where abc_segment = 'A'), count(*) filter (where customer_tier = 'key')
            from marts.customer_contribution_monthly group by month_start"""):
        assert positive > 0 and 0 < a < customers and a == key, month
        assert a_share <= a_cut and ab_share <= b_cut, (month, a_share, ab_share)
        # A is a minority producing most of the value (the bank's 20/80 rule).
        assert a / customers < Decimal("0.5") and a_share > Decimal("0.5"), (month, a / customers, a_share)
    # The Pareto curve ends at every customer and every yuan; the summary adds up to the lines.
    ends = query(built_bank, "select month_start, customer_share, contribution_share from "
                             "marts.contribution_pareto_monthly where customer_percentile = 100")
    assert ends and all(share == 1 and contribution == 1 for _, share, contribution in ends)
    summary = query(built_bank, "select month_start, sum(contribution_cny) from marts.contribution_summary_monthly "
                                "group by 1 order by 1")
    assert summary == query(built_bank, "select month_start, sum(contribution_cny) from "
                                        "marts.fct_contribution_monthly group by 1 order by 1")
    scores = query(built_bank, "select min(contribution_score), max(contribution_score) "
                               "from marts.customer_contribution_monthly")[0]
    assert 0 <= scores[0] < 20 and 80 < scores[1] <= 100


def test_the_tier_history_is_kept_and_does_not_depend_on_how_deliveries_arrived(replayed, built_bank):
    """The same deliveries give the same segment history whether they arrived one by one with
    builds in between (late, redelivered) or all at once; and a month's snapshot, once taken,
    changes only when a later build delivers into that month or the one before it."""
    _, warehouse, _, _, snapshots = replayed
    final = query(warehouse, TIER_SNAPSHOT)
    assert final and final == query(built_bank, TIER_SNAPSHOT)
    movements = ("select month_start, segmentation, from_segment, to_segment, customers "
                 "from marts.segment_migration_monthly order by all")
    assert query(warehouse, movements) == query(built_bank, movements)
    builds = [t for (t,) in query(warehouse, "select distinct recorded_at from intermediate.int_feed_deliveries "
                                             "order by 1")]
    assert len(builds) == len(snapshots) == 3
    kept = 0
    for built_at, snapshot in zip(builds, snapshots, strict=True):
        later = {dt.date(d.year, d.month, 1) for (d,) in query(warehouse, f"""
            select business_date from intermediate.int_feed_deliveries where recorded_at > '{built_at}'""")}
        touched = later | {_next_month(m) for m in later}
        for month in {row[0] for row in snapshot} - touched:
            assert [r for r in snapshot if r[0] == month] == [r for r in final if r[0] == month], month
            kept += 1
    assert kept, "no snapshot outlived a build: the replay does not exercise the history"


# Each customer's total deposit balance per day of each month, counted afresh from the fact.
DAILY_DEPOSITS = """
    with daily as (
        select cast(date_trunc('month', balances.business_date) as date) as month_start, accounts.customer_id,
               balances.business_date, sum(balances.ledger_balance_cny) as balance_cny
        from marts.fct_deposit_balance_daily as balances
        join marts.dim_account as accounts using (account_key)
        group by all)
    """


def test_deposit_stability_comes_from_running_sums_that_equal_a_recount(replayed, built_bank):
    """The month-to-date sums stability is derived from are kept from build to build, across late
    deliveries, redeliveries and customers merged or split, yet equal the sums counted afresh; and
    stability is one minus the coefficient of variation of the daily totals."""
    kept_sums = ("select month_start, customer_id, balance_days, balance_sum_cny, balance_squares "
                 "from intermediate.int_contribution__customer_deposit_sums")
    recount = DAILY_DEPOSITS + """
        select month_start, customer_id, count(*), sum(balance_cny), sum(balance_cny * balance_cny) from daily
        where month_start in (select month_start from intermediate.int_contribution__customer_deposit_sums)
        group by all"""
    stability = DAILY_DEPOSITS + """
        select customers.month_start, customers.customer_id, customers.stability,
               greatest(0, 1 - stddev_pop(daily.balance_cny) / avg(daily.balance_cny))
        from intermediate.int_contribution__customers as customers
        join daily using (month_start, customer_id)
        group by all having avg(daily.balance_cny) > 0"""
    for warehouse in (replayed[1], built_bank):
        kept = query(warehouse, kept_sums)
        assert kept and sorted(kept) == sorted(query(warehouse, recount)), warehouse
        checked = query(warehouse, stability)
        assert checked and all(abs(built - Decimal(str(expected))) <= Decimal("0.0001")
                               for _, _, built, expected in checked), warehouse
