{#- Each customer's contribution month: the four contribution dimensions, the composite score,
    the ABC segment, the key / potential / ordinary tier and the ranks within branch and
    manager. A month's rows are a snapshot: recomputed only while the month runs or when a
    redelivery touches it, so any past month's tiers can be answered (docs/contribution.md). -#}

with months as (
    select * from {{ ref('int_contribution_months') }}
    where {{ contribution_months() }}
),

customers as (
    select * from {{ ref('int_contribution__customers') }}
    where {{ contribution_months() }}
),

earlier as (
    select month_start, customer_id, scale_cny from {{ ref('int_contribution__customers') }}
),

dimensions as (
    select
        customers.*,
        {{ decimal_ratio('customers.scale_cny - month_ago.scale_cny', 'month_ago.scale_cny') }} as growth_mom,
        {{ decimal_ratio('customers.scale_cny - year_ago.scale_cny', 'year_ago.scale_cny') }} as growth_yoy,
        {#- What the customer could still borrow: a multiple of the declared income, less what they owe. -#}
        customers.annual_income * {{ seed_parameter('segment_rules', 'headroom_income_multiple') }}
            - customers.liabilities_cny as headroom_cny
    from customers
    left join earlier as month_ago
        on customers.customer_id = month_ago.customer_id
        and customers.month_start = cast({{ dbt.dateadd('month', 1, 'month_ago.month_start') }} as date)
    left join earlier as year_ago
        on customers.customer_id = year_ago.customer_id
        and customers.month_start = cast({{ dbt.dateadd('month', 12, 'year_ago.month_start') }} as date)
),

ranked as (
    select
        dimensions.*,
        {#- Each dimension as the customer's percentile among the month's customers; a customer
            without deposits has stability 0, a new customer growth 0. -#}
        percent_rank() over (partition by month_start order by scale_cny) as scale_percentile,
        percent_rank() over (partition by month_start order by coalesce(stability, 0)) as stability_percentile,
        percent_rank() over (partition by month_start order by coalesce(growth_mom, 0)) as growth_percentile,
        percent_rank() over (partition by month_start order by contribution_cny) as profitability_percentile,
        {#- Cumulative share of the month's positive contribution, best customers first; customers
            contributing the same share one (the default window frame takes in ties), so equal
            customers always land in the same segment. -#}
        sum(case when contribution_cny > 0 then contribution_cny else 0 end) over (
            partition by month_start order by contribution_cny desc)
        / nullif(sum(case when contribution_cny > 0 then contribution_cny else 0 end) over (
            partition by month_start), 0) as cumulative_share,
        rank() over (partition by month_start, branch_code order by contribution_cny desc) as branch_rank,
        case when rm_id is not null
             then rank() over (partition by month_start, rm_id order by contribution_cny desc) end as rm_rank
    from dimensions
),

{%- set weight = "(select weight from " ~ ref('contribution_score_weights') ~ " where dimension = '%s')" %}

segmented as (
    select
        ranked.*,
        case
            when contribution_cny > 0
                and cumulative_share <= {{ seed_parameter('segment_rules', 'abc_a_max_cumulative_share') }} then 'A'
            when contribution_cny > 0
                and cumulative_share <= {{ seed_parameter('segment_rules', 'abc_b_max_cumulative_share') }} then 'B'
            else 'C'
        end as abc_segment,
        cast(round(100 * ({{ weight % 'scale' }} * scale_percentile
                          + {{ weight % 'stability' }} * stability_percentile
                          + {{ weight % 'growth' }} * growth_percentile
                          + {{ weight % 'profitability' }} * profitability_percentile), 2) as decimal(5,2))
            as contribution_score
    from ranked
)

select
    segmented.month_start,
    months.period_end,
    months.is_complete as is_month_complete,
    segmented.customer_id,
    segmented.branch_code,
    segmented.rm_id,
    segmented.deposit_balance_cny,
    segmented.loan_balance_cny,
    segmented.mortgage_balance_cny,
    segmented.card_balance_cny,
    segmented.scale_cny,
    segmented.stability,
    segmented.growth_mom,
    segmented.growth_yoy,
    segmented.contribution_cny,
    segmented.contribution_score,
    cast(round(segmented.cumulative_share, 6) as decimal(9,6)) as cumulative_share,
    segmented.abc_segment,
    case
        when segmented.abc_segment = 'A' then 'key'
        when segmented.growth_mom >= {{ seed_parameter('segment_rules', 'potential_min_growth_mom') }}
            and segmented.scale_cny >= {{ seed_parameter('segment_rules', 'potential_min_scale_cny') }} then 'potential'
        when segmented.annual_income >= {{ seed_parameter('segment_rules', 'potential_min_annual_income_cny') }}
            then 'potential'
        when segmented.headroom_cny >= {{ seed_parameter('segment_rules', 'potential_min_headroom_cny') }}
            then 'potential'
        else 'ordinary'
    end as customer_tier,
    cast(segmented.branch_rank as integer) as branch_rank,
    cast(segmented.rm_rank as integer) as rm_rank
from segmented
inner join months on segmented.month_start = months.month_start
