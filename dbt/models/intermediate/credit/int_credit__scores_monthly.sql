{#- Each customer's system grade per month: score (the sum of the scorecard's points), the
    PD the score stands for over the master scale's horizon, and the master-scale grade; D
    for a customer in default. Incremental by month, as int_credit__features_monthly. -#}

with features as (
    select * from {{ ref('int_credit__features_monthly') }}
    where {{ contribution_months() }}
),

points as (
    select month_start, customer_id, model_version, sum(points) as score
    from {{ ref('int_credit__points_monthly') }}
    where {{ contribution_months() }}
    group by month_start, customer_id, model_version
),

{#- score = base_score + points_to_double_odds * log2(odds / base_odds), odds = good : bad
    over the scorecard's horizon; the PD is then restated over the master scale's horizon. -#}
scored as (
    select
        points.*,
        1 / (1 + models.base_odds * power(2, (points.score - models.base_score) / models.points_to_double_odds))
            as pd_scorecard_horizon,
        models.horizon_months
    from points
    inner join {{ ref('scorecard_models') }} as models on points.model_version = models.model_version
),

with_pd as (
    select
        scored.*,
        1 - power(1 - pd_scorecard_horizon,
                  {{ seed_parameter('credit_parameters', 'pd_horizon_months') }} / scored.horizon_months) as pd
    from scored
),

scale as ({{ bands('credit_master_scale', 'pd_from') }})

select
    features.month_start,
    features.as_of_date,
    features.customer_id,
    features.customer_kind,
    with_pd.model_version,
    cast(with_pd.score as integer) as score,
    cast(case when features.is_in_default then 1 else round(with_pd.pd, 6) end as decimal(9,6)) as pd,
    coalesce(defaulted.grade, scale.grade) as system_grade,
    coalesce(defaulted.notch, scale.notch) as system_notch
from features
inner join with_pd on features.month_start = with_pd.month_start and features.customer_id = with_pd.customer_id
left join scale
    on not features.is_in_default and scale.grade <> 'D' and {{ in_band('with_pd.pd', 'scale', 'pd_from') }}
left join {{ ref('credit_master_scale') }} as defaulted on features.is_in_default and defaulted.grade = 'D'
