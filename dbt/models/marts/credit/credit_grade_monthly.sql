{#- Each customer's credit grade per month (the grading date is the end of the month's
    period, so the running month is today's grade): the system grade with its score and PD,
    a risk officer's override when a valid one is in force, the final grade, the bank's XAY
    notation, what the customer owes, and the characteristics that cost the most points.
    Incremental by month: earlier months keep the grades they were given. -#}

with scores as (
    select * from {{ ref('int_credit__scores_monthly') }}
    where {{ contribution_months() }}
),

features as (
    select * from {{ ref('int_credit__features_monthly') }}
    where {{ contribution_months() }}
),

scale as (
    select * from {{ ref('credit_master_scale') }}
),

{#- Overrides that passed the static checks, in force at the grading date and within
    max_override_notches of the system grade; the latest effective one wins. -#}
overrides as (
    select * from (
        select
            scores.month_start,
            scores.customer_id,
            requests.override_id,
            requests.new_grade,
            requests.reason,
            requests.approved_by,
            requests.effective_date,
            requests.expiry_date,
            row_number() over (partition by scores.month_start, scores.customer_id
                               order by requests.effective_date desc, requests.first_received_at desc,
                                        requests.override_id) as precedence
        from {{ ref('int_credit__override_requests') }} as requests
        inner join scores on requests.customer_id = scores.customer_id
        inner join scale on requests.new_grade = scale.grade
        where requests.rejection_reason is null
            and requests.effective_date <= scores.as_of_date
            and (requests.expiry_date is null or requests.expiry_date >= scores.as_of_date)
            and abs(scale.notch - scores.system_notch)
                <= {{ seed_parameter('credit_parameters', 'max_override_notches') }}
    ) as ranked
    where precedence = 1
),

{#- The three characteristics furthest below the best points their scorecard gives. -#}
shortfalls as (
    select
        points.month_start,
        points.customer_id,
        points.characteristic,
        row_number() over (partition by points.month_start, points.customer_id
                           order by best.points - points.points desc, points.characteristic) as shortfall_rank
    from {{ ref('int_credit__points_monthly') }} as points
    inner join (
        select model_version, characteristic, max(points) as points
        from {{ ref('scorecard_bins') }}
        group by model_version, characteristic
    ) as best
        on points.model_version = best.model_version and points.characteristic = best.characteristic
    where {{ contribution_months('points.month_start') }} and best.points > points.points
),

reasons as (
    select
        month_start,
        customer_id,
        {{ dbt.listagg('characteristic', "', '", 'order by shortfall_rank') }} as score_reasons
    from shortfalls
    where shortfall_rank <= 3
    group by month_start, customer_id
),

graded as (
    select
        scores.*,
        features.branch_code,
        features.rm_id,
        features.annual_income,
        features.deposit_balance_cny,
        features.loan_exposure_cny,
        features.mortgage_exposure_cny,
        features.card_exposure_cny,
        features.exposure_cny,
        features.days_past_due,
        features.cycles_delinquent,
        features.five_class,
        overrides.override_id,
        overrides.new_grade as override_grade,
        overrides.reason as override_reason,
        overrides.approved_by as override_approved_by,
        overrides.effective_date as override_effective_date,
        overrides.expiry_date as override_expiry_date,
        coalesce(overrides.new_grade, scores.system_grade) as final_grade,
        reasons.score_reasons
    from scores
    inner join features on scores.month_start = features.month_start and scores.customer_id = features.customer_id
    left join overrides on scores.month_start = overrides.month_start and scores.customer_id = overrides.customer_id
    left join reasons on scores.month_start = reasons.month_start and scores.customer_id = reasons.customer_id
),

limits as (
    select
        graded.*,
        final.notch as final_notch,
        {#- An override's PD is its grade's; the system's is the score's. -#}
        case when graded.override_id is null then graded.pd else final.pd end as final_pd,
        final.characteristic_grade,
        {{ star_money('coalesce(graded.annual_income, 0) * policy.income_multiple '
                      ~ '+ graded.deposit_balance_cny * policy.deposit_multiple') }} as recommended_limit_cny
    from graded
    inner join scale as final on graded.final_grade = final.grade
    left join {{ ref('credit_limit_policy') }} as policy on graded.final_grade = policy.grade
),

limit_bands as ({{ bands('credit_limit_bands', 'limit_from_cny') }})

select
    limits.month_start,
    limits.as_of_date,
    limits.customer_id,
    limits.customer_kind,
    limits.branch_code,
    limits.rm_id,
    limits.model_version,
    limits.score,
    limits.pd as system_pd,
    limits.system_grade,
    limits.system_notch,
    limits.override_id,
    limits.override_grade,
    limits.override_reason,
    limits.override_approved_by,
    limits.override_effective_date,
    limits.override_expiry_date,
    limits.final_grade,
    limits.final_notch,
    cast(limits.final_pd as decimal(9,6)) as final_pd,
    limits.characteristic_grade,
    limits.recommended_limit_cny,
    limit_bands.limit_band,
    limit_bands.limit_band || cast(limits.characteristic_grade as string) as xay,
    limits.exposure_cny,
    limits.loan_exposure_cny,
    limits.mortgage_exposure_cny,
    limits.card_exposure_cny,
    limits.deposit_balance_cny,
    limits.days_past_due,
    limits.cycles_delinquent,
    limits.five_class,
    limits.score_reasons
from limits
left join limit_bands on {{ in_band('limits.recommended_limit_cny', 'limit_bands', 'limit_from_cny') }}
