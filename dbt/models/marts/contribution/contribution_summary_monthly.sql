{#- Contribution by month, branch, relationship manager, ABC segment, tier and product line:
    the finest grain managers slice by; any coarser view is a sum of its rows. -#}

select
    lines.month_start,
    customers.branch_code,
    customers.rm_id,
    customers.abc_segment,
    customers.customer_tier,
    lines.product_line,
    count(*) as customers,
    cast(sum(lines.accounts) as integer) as accounts,
    cast(sum(lines.average_balance_cny) as decimal(18,2)) as average_balance_cny,
    cast(sum(lines.net_interest_income_cny) as decimal(18,2)) as net_interest_income_cny,
    cast(sum(lines.fee_income_cny) as decimal(18,2)) as fee_income_cny,
    cast(sum(lines.expected_loss_cny) as decimal(18,2)) as expected_loss_cny,
    cast(sum(lines.funding_cost_cny) as decimal(18,2)) as funding_cost_cny,
    cast(sum(lines.operating_cost_cny) as decimal(18,2)) as operating_cost_cny,
    cast(sum(lines.contribution_cny) as decimal(18,2)) as contribution_cny
from {{ ref('fct_contribution_monthly') }} as lines
inner join {{ ref('customer_contribution_monthly') }} as customers
    on lines.month_start = customers.month_start and lines.customer_id = customers.customer_id
where {{ contribution_months('lines.month_start') }}
group by lines.month_start, customers.branch_code, customers.rm_id, customers.abc_segment, customers.customer_tier,
         lines.product_line
