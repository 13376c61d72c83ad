{#- Each customer's monthly contribution is the sum of its product lines, to the cent
    (the months the latest build recomputed). -#}
{#- Dagster shows it as a check of the customers' mart, which it reads beside the product lines. -#}
{{ config(meta={'dagster': {'ref': {'name': 'customer_contribution_monthly'}}}) }}
{%- set rebuilt = "(select month_start from " ~ ref('int_contribution_months') ~ " where is_rebuilt)" %}

with lines as (
    select month_start, customer_id, sum(contribution_cny) as contribution_cny
    from {{ ref('fct_contribution_monthly') }}
    where month_start in {{ rebuilt }}
    group by month_start, customer_id
)

select customers.month_start, customers.customer_id, customers.contribution_cny, lines.contribution_cny as lines_cny
from {{ ref('customer_contribution_monthly') }} as customers
left join lines on customers.month_start = lines.month_start and customers.customer_id = lines.customer_id
where customers.month_start in {{ rebuilt }}
    and (lines.contribution_cny is null or lines.contribution_cny <> customers.contribution_cny)
