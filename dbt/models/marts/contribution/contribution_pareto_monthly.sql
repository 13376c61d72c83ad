{#- The Pareto curve of each month: for the best 1 %, 2 %, ... 100 % of customers (by
    contribution), the share of the month's positive contribution they produce. -#}

with customers as (
    select
        month_start,
        cumulative_share,
        row_number() over (partition by month_start order by contribution_cny desc, customer_id) as position,
        count(*) over (partition by month_start) as customers
    from {{ ref('customer_contribution_monthly') }}
    where {{ contribution_months() }}
)

select
    month_start,
    cast(ceiling(100.0 * position / customers) as integer) as customer_percentile,
    cast(max(position) as bigint) as customers,
    cast(round(max(position) * 1.0 / max(customers), 6) as decimal(9,6)) as customer_share,
    cast(coalesce(max(cumulative_share), 0) as decimal(9,6)) as contribution_share
from customers
group by month_start, cast(ceiling(100.0 * position / customers) as integer)
