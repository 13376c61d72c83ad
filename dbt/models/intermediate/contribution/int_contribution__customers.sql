{#- Each customer's month: what they hold by product line, what they contributed, and the
    steadiness of their deposits, with the branch, manager and income that held at the end of
    the period (dim_customer). Incremental by month, as int_contribution__accounts. -#}

with months as (
    select * from {{ ref('int_contribution_months') }}
    where {{ contribution_months() }}
),

accounts as (
    select * from {{ ref('int_contribution__accounts') }}
    where {{ contribution_months() }}
),

holdings as (
    select
        month_start,
        customer_id,
        {%- for line in ['deposit', 'loan', 'mortgage', 'card'] %}
        sum(case when product_line = '{{ line }}' then average_balance_cny else 0 end) as {{ line }}_balance_cny,
        {%- endfor %}
        sum(contribution_cny) as contribution_cny
    from accounts
    group by month_start, customer_id
),

{#- Stability: one minus the coefficient of variation of the customer's total deposit balance
    over the days of the month, from the month-to-date sums (n days, sum s, sum of squares q):
    standard deviation / mean = sqrt(n q - s^2) / s. -#}
stability as (
    select
        month_start,
        customer_id,
        case when s > 0 then greatest(0, 1 - sqrt(greatest(n * q - s * s, 0)) / s) end as stability
    from (
        select month_start, customer_id, cast(balance_days as double) as n, cast(balance_sum_cny as double) as s,
               cast(balance_squares as double) as q
        from {{ ref('int_contribution__customer_deposit_sums') }}
        where {{ contribution_months() }}
    ) as sums
)

select
    holdings.month_start,
    holdings.customer_id,
    customers.branch_code,
    customers.rm_id,
    customers.annual_income,
    {%- for line in ['deposit', 'loan', 'mortgage', 'card'] %}
    cast(holdings.{{ line }}_balance_cny as decimal(18,2)) as {{ line }}_balance_cny,
    {%- endfor %}
    cast(holdings.deposit_balance_cny + holdings.loan_balance_cny + holdings.mortgage_balance_cny
         + holdings.card_balance_cny as decimal(18,2)) as scale_cny,
    cast(holdings.loan_balance_cny + holdings.mortgage_balance_cny + holdings.card_balance_cny as decimal(18,2))
        as liabilities_cny,
    cast(round(stability.stability, 4) as decimal(9,4)) as stability,
    cast(holdings.contribution_cny as decimal(18,2)) as contribution_cny
from holdings
inner join months on holdings.month_start = months.month_start
left join stability
    on holdings.month_start = stability.month_start and holdings.customer_id = stability.customer_id
left join {{ ref('dim_customer') }} as customers
    on holdings.customer_id = customers.customer_id
    and months.period_end between customers.valid_from and customers.valid_to
