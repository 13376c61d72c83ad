"""What the monthly report reads: one query per section, on the published marts only (the BI
file holds the marts, personal data masked; no audit or intermediate table is published).

Every query takes the month as `$month` (its first day) and returns plain rows.
"""

import datetime as dt

import duckdb

# One row per customer and month: credit_grade_distribution_monthly counts a customer once under
# each credit line they hold, so its customers summed over lines would count some twice.
GRADE_CUSTOMERS = """
select final_grade, final_notch, count(*) as customers
from marts.credit_grade_monthly
where month_start = $month
group by final_grade, final_notch
order by final_notch
"""

# Exposure is per credit line, so it sums over lines (and branches) exactly.
GRADE_EXPOSURE = """
select final_grade, final_notch, product_line, sum(exposure_cny) as exposure_cny
from marts.credit_grade_distribution_monthly
where month_start = $month
group by final_grade, final_notch, product_line
order by final_notch, product_line
"""

MIGRATION = """
select from_grade, from_notch, to_grade, to_notch, customers, exposure_cny
from marts.credit_migration_monthly
where month_start = $month
order by from_notch nulls first, to_notch
"""

PARETO = """
select customer_percentile, customer_share, contribution_share, customers
from marts.contribution_pareto_monthly
where month_start = $month
order by customer_percentile
"""

# Customers, not summary rows: contribution_summary_monthly has a row per manager, tier and
# product line, so its customers would count a customer once per line they hold.
SEGMENTS = """
select customers.branch_code, coalesce(branches.branch_name, '') as branch_name, customers.abc_segment,
       count(*) as customers
from marts.customer_contribution_monthly as customers
left join marts.dim_branch as branches on branches.branch_code = customers.branch_code
where customers.month_start = $month
group by customers.branch_code, branches.branch_name, customers.abc_segment
order by customers.branch_code, customers.abc_segment
"""

OUTCOMES = """
select system, outcome, coalesce(reason, '') as reason, sum(records) as records
from marts.data_quality_daily
where month_start = $month
group by system, outcome, reason
order by system, outcome, reason
"""

REJECTED_FILES = """
select system, business_date, delivery, file, reason, message, records_delivered
from marts.data_quality_files
where month_start = $month and status = 'rejected'
order by business_date, system, file
"""

HELD = """
select distinct system, business_date, delivery
from marts.data_quality_files
where month_start = $month and held
order by business_date, system
"""


def months_graded(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    return [month for (month,) in con.execute(
        "select distinct month_start from marts.credit_grade_monthly order by month_start").fetchall()]


def grading_date(con: duckdb.DuckDBPyConnection, month: dt.date) -> dt.date:
    return con.execute("select max(as_of_date) from marts.credit_grade_monthly where month_start = $month",
                       {"month": month}).fetchone()[0]


def rows(con: duckdb.DuckDBPyConnection, sql: str, month: dt.date) -> list[tuple]:
    return con.execute(sql, {"month": month}).fetchall()
