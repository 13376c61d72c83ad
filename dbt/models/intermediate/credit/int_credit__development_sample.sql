{{ config(materialized='view') }}
{#- The sample a scorecard is fitted and back-tested on: every customer with credit at a
    complete month's end who was not in default then, their characteristics, and whether
    they defaulted within the performance window (`performance_window_months`) after it.
    window_complete is false while the window has not fully passed (the outcome may still
    change). A view: read by `bank360 credit fit` and the back-test. -#}

with features as (
    select * from {{ ref('int_credit__features_monthly') }}
),

months as (
    select * from {{ ref('int_contribution_months') }}
),

window_months as (
    select
        months.month_start,
        cast({{ dbt.dateadd('month', seed_parameter('credit_parameters', 'performance_window_months'),
                            'months.month_start') }} as date) as window_end_month,
        months.is_complete
    from months
),

defaults as (
    select month_start, customer_id from features where defaulted_in_month
),

outcomes as (
    select
        observations.month_start,
        observations.customer_id,
        max(case when defaults.customer_id is not null then 1 else 0 end) as is_bad
    from features as observations
    inner join window_months on observations.month_start = window_months.month_start
    left join defaults
        on observations.customer_id = defaults.customer_id
        and defaults.month_start > observations.month_start
        and defaults.month_start <= window_months.window_end_month
    where window_months.is_complete and observations.has_credit and not observations.is_in_default
    group by observations.month_start, observations.customer_id
)

select
    features.month_start,
    features.as_of_date,
    features.customer_id,
    features.customer_kind,
    {%- for characteristic in var('credit_characteristics') %}
    features.{{ characteristic }},
    {%- endfor %}
    outcomes.is_bad,
    window_months.window_end_month <= (select max(month_start) from months where is_complete) as window_complete
from outcomes
inner join features on outcomes.month_start = features.month_start and outcomes.customer_id = features.customer_id
inner join window_months on outcomes.month_start = window_months.month_start
