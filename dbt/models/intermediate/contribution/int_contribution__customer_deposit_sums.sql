{#- Each customer's deposits over the month so far, as running sums of their total deposit balance
    per day: the days with a balance, the sum and the sum of squares, from which
    int_contribution__customers derives deposit stability. Incremental by month as the other
    contribution models, except that a build adds the days the month gained to the sums it kept, so
    that its cost follows the day, not the month (month_to_date_plan). It sums again:
      - a whole month, when a day already summed changed (redelivered, purged, or delivered late);
      - a customer's month, when the customer's deposit accounts changed (an account opened, or
        moved to or from another customer by identity resolution). -#}

{%- set fact = ref('fct_deposit_balance_daily') -%}
{%- set plan = month_to_date_plan(fact) %}

with plan as (
    {%- if plan is none %}
    select month_start, month_start as read_from, period_end from {{ ref('int_contribution_months') }}
    {%- else %}
    {%- for month in plan %}
    select cast('{{ month.month_start }}' as date) as month_start, cast('{{ month.read_from }}' as date) as read_from,
           cast('{{ month.period_end }}' as date) as period_end
    union all
    {%- endfor %}
    select month_start, month_start, period_end from {{ ref('int_contribution_months') }} where 1 = 0
    {%- endif %}
),

accounts as (
    select account_key, customer_id
    from {{ ref('dim_account') }}
    where product_line = 'deposit'
),

{#- The deposit accounts each customer holds now, as their number and the sum of their keys' hashes:
    the sums kept for a customer hold while neither changes. -#}
holdings as (
    select customer_id, count(*) as deposit_accounts, sum({{ key_hash('account_key') }}) as deposit_accounts_hash
    from accounts
    group by customer_id
),

kept as (
    {%- if is_incremental() %}
    select kept.month_start, kept.customer_id, kept.balance_days, kept.balance_sum_cny, kept.balance_squares
    from {{ this }} as kept
    inner join plan on kept.month_start = plan.month_start and plan.read_from > plan.month_start
    inner join holdings
        on kept.customer_id = holdings.customer_id
        and kept.deposit_accounts = holdings.deposit_accounts
        and kept.deposit_accounts_hash = holdings.deposit_accounts_hash
    {%- else %}
    select month_start, cast(null as {{ dbt.type_string() }}) as customer_id, 0 as balance_days,
           cast(0 as decimal(38,2)) as balance_sum_cny, cast(0 as decimal(38,4)) as balance_squares
    from plan
    where 1 = 0
    {%- endif %}
),

{#- The accounts of the customers whose days already summed are read again: every customer of a
    month summed whole, and those of an appended month whose sums were not kept. -#}
resummed_accounts as (
    select plan.month_start, plan.read_from, accounts.account_key
    from plan
    cross join accounts
    where plan.read_from > plan.month_start
        and not exists (
            select 1 from kept where kept.month_start = plan.month_start and kept.customer_id = accounts.customer_id
        )
),

balances as (
    select plan.month_start, balances.account_key, balances.business_date, balances.ledger_balance_cny
    from {{ fact }} as balances
    inner join plan on balances.business_date between plan.read_from and plan.period_end
    where {{ plan_dates_predicate(plan, 'balances.business_date', 'read_from', 'period_end') }}
    union all
    select resummed.month_start, balances.account_key, balances.business_date, balances.ledger_balance_cny
    from {{ fact }} as balances
    inner join resummed_accounts as resummed
        on balances.account_key = resummed.account_key
        and balances.business_date >= resummed.month_start
        and balances.business_date < resummed.read_from
    where {{ plan_dates_predicate(plan, 'balances.business_date', 'month_start', 'read_from', before_to=true,
                                  whole_plan='1 = 0') }}
),

daily as (
    select
        balances.month_start,
        accounts.customer_id,
        balances.business_date,
        cast(sum(balances.ledger_balance_cny) as decimal(18,2)) as balance_cny
    from balances
    inner join accounts on balances.account_key = accounts.account_key
    group by balances.month_start, accounts.customer_id, balances.business_date
),

sums as (
    select month_start, customer_id, balance_days, balance_sum_cny, balance_squares
    from kept
    union all
    select month_start, customer_id, count(*), sum(balance_cny), sum(cast(balance_cny as decimal(38,2)) * balance_cny)
    from daily
    group by month_start, customer_id
),

{#- The days each month's sums now cover, recorded for the next build's plan. -#}
summed_days as (
    {{ summed_days_sql(fact, 'select * from plan', plan_dates_predicate(plan, 'business_date', 'month_start',
                                                                         'period_end')) }}
),

totals as (
    select
        month_start,
        customer_id,
        cast(sum(balance_days) as integer) as balance_days,
        cast(sum(balance_sum_cny) as decimal(38,2)) as balance_sum_cny,
        cast(sum(balance_squares) as decimal(38,4)) as balance_squares
    from sums
    group by month_start, customer_id
)

select
    totals.month_start,
    totals.customer_id,
    cast(holdings.deposit_accounts as integer) as deposit_accounts,
    cast(holdings.deposit_accounts_hash as decimal(38,0)) as deposit_accounts_hash,
    totals.balance_days,
    totals.balance_sum_cny,
    totals.balance_squares,
    plan.period_end as summed_through,
    summed_days.summed_days
from totals
inner join holdings on totals.customer_id = holdings.customer_id
inner join plan on totals.month_start = plan.month_start
inner join summed_days on totals.month_start = summed_days.month_start
