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


def _month_period(warehouse, month: dt.date) -> tuple[int, int, int, int]:
    """Days of the period, days of the month, and the days the deposit and loan systems delivered."""
    (period_end, deposit_days, loan_days), = query(warehouse, f"""
        select max(business_date) filter (where source_system <> 'mortgage'),
               count(distinct business_date) filter (where source_system = 'deposit' and feed = 'BALANCE'),
               count(distinct business_date) filter (where source_system = 'loan' and feed = 'POSITION')
        from intermediate.int_feed_deliveries where date_trunc('month', business_date) = date '{month}'""")
    next_month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (period_end - month).days + 1, (next_month - month).days, deposit_days, loan_days


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


def test_a_customers_contribution_worked_out_by_hand(built_bank):
    # A customer holding deposits and loans, in the complete month (January) and the running one.
    customers = [c for (c,) in query(built_bank, """
        select customer_id from marts.dim_account group by customer_id
        having count(*) filter (where product_line = 'loan') > 0
           and count(*) filter (where product_line = 'deposit') > 0
        order by customer_id limit 3""")]
    assert customers, "no customer holds both deposits and loans"
    months = [m for (m,) in query(built_bank, "select month_start from intermediate.int_contribution_months "
                                              "order by 1")]
    assert len(months) == 2, "the test bank spans a month end"
    for customer in customers:
        for month in months:
            built = dict(((line, (balance, contribution)) for line, balance, contribution in query(built_bank, f"""
                select product_line, average_balance_cny, contribution_cny from marts.fct_contribution_monthly
                where customer_id = '{customer}' and month_start = '{month}'""")))
            for line, by_hand in (("deposit", _deposit_line), ("loan", _loan_line)):
                expected = by_hand(built_bank, customer, month)
                if expected == (0, 0):
                    assert line not in built
                    continue
                # The engine divides in binary floating point before rounding to the cent: at most a cent apart.
                assert abs(built[line][0] - expected[0]) <= CENT, (customer, month, line)
                assert abs(built[line][1] - expected[1]) <= 2 * CENT, (customer, month, line, built[line], expected)


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


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


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
