{#- The months contribution is computed for: one row per month any product system delivered
    in, the period it covers so far (a running month is month-to-date), the days each daily
    balance feed delivered in it, and whether the latest build recomputes it. -#}

with deliveries as (
    select
        source_system,
        feed,
        business_date,
        recorded_at,
        cast({{ dbt.date_trunc('month', 'business_date') }} as date) as month_start
    from {{ ref('int_feed_deliveries') }}
),

months as (
    select
        month_start,
        {#- The daily systems say how far a month has run; a month only the mortgage system
            delivered in (dated its last day) is taken as complete. -#}
        coalesce(max(case when source_system <> 'mortgage' then business_date end), max(business_date)) as period_end,
        count(distinct case when source_system = 'deposit' and feed = 'BALANCE' then business_date end)
            as deposit_days,
        count(distinct case when source_system = 'loan' and feed = 'POSITION' then business_date end) as loan_days,
        max(case when recorded_at = (select max(recorded_at) from deliveries) then 1 else 0 end) as delivered_in_latest_build
    from deliveries
    group by month_start
)

select
    months.month_start,
    cast({{ dbt.last_day('months.month_start', 'month') }} as date) as month_end,
    months.period_end,
    {{ dbt.datediff('months.month_start', 'months.period_end', 'day') }} + 1 as days_in_period,
    {{ dbt.datediff('months.month_start', dbt.last_day('months.month_start', 'month'), 'day') }} + 1 as days_in_month,
    months.deposit_days,
    months.loan_days,
    months.period_end = cast({{ dbt.last_day('months.month_start', 'month') }} as date) as is_complete,
    {#- Recomputed by the build: a month the latest build delivered into, and the month after
        it (its growth and tier movements compare with it). -#}
    (months.delivered_in_latest_build = 1 or coalesce(previous.delivered_in_latest_build, 0) = 1) as is_rebuilt
from months
left join months as previous
    on months.month_start = cast({{ dbt.dateadd('month', 1, 'previous.month_start') }} as date)
