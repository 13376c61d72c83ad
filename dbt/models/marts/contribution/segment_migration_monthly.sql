{#- How many customers moved between segments from the previous month to this one, for the
    ABC segments and the key / potential / ordinary tiers. A customer new this month comes
    from 'new'; one without a row this month goes to 'gone'. -#}

with months as (
    select month_start from {{ ref('int_contribution_months') }}
    where {{ contribution_months() }}
),

snapshots as (
    select month_start, customer_id, abc_segment, customer_tier from {{ ref('customer_contribution_monthly') }}
),

this_month as (
    select snapshots.* from snapshots inner join months on snapshots.month_start = months.month_start
),

last_month as (
    select cast({{ dbt.dateadd('month', 1, 'snapshots.month_start') }} as date) as month_start,
           snapshots.customer_id, snapshots.abc_segment, snapshots.customer_tier
    from snapshots
    inner join months on cast({{ dbt.dateadd('month', 1, 'snapshots.month_start') }} as date) = months.month_start
),

moves as (
    select
        coalesce(this_month.month_start, last_month.month_start) as month_start,
        coalesce(last_month.abc_segment, 'new') as from_abc,
        coalesce(this_month.abc_segment, 'gone') as to_abc,
        coalesce(last_month.customer_tier, 'new') as from_tier,
        coalesce(this_month.customer_tier, 'gone') as to_tier
    from this_month
    full outer join last_month
        on this_month.month_start = last_month.month_start and this_month.customer_id = last_month.customer_id
)

select month_start, 'abc' as segmentation, from_abc as from_segment, to_abc as to_segment, count(*) as customers
from moves
group by month_start, from_abc, to_abc
union all
select month_start, 'tier', from_tier, to_tier, count(*)
from moves
group by month_start, from_tier, to_tier
