{#- Contribution per customer, month and product line, with its components (the accounts'
    detail is intermediate.int_contribution__accounts). -#}

select
    month_start,
    customer_id,
    product_line,
    count(*) as accounts,
    cast(sum(average_balance_cny) as decimal(18,2)) as average_balance_cny,
    cast(sum(net_interest_income_cny) as decimal(18,2)) as net_interest_income_cny,
    cast(sum(fee_income_cny) as decimal(18,2)) as fee_income_cny,
    cast(sum(expected_loss_cny) as decimal(18,2)) as expected_loss_cny,
    cast(sum(funding_cost_cny) as decimal(18,2)) as funding_cost_cny,
    cast(sum(operating_cost_cny) as decimal(18,2)) as operating_cost_cny,
    cast(sum(contribution_cny) as decimal(18,2)) as contribution_cny
from {{ ref('int_contribution__accounts') }}
where {{ contribution_months() }}
group by month_start, customer_id, product_line
