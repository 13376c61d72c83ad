{#- The early-warning watch list per month: every rule (seeds/credit/early_warning_rules.csv)
    that fired for a customer at the grading date, the value that fired it, and since when it
    has held. Incremental by month, as credit_grade_monthly. -#}

with grades as (
    select
        grades.*,
        grades.final_notch - lag(grades.final_notch) over (
            partition by grades.customer_id order by grades.month_start) as grade_drop
    from {{ ref('credit_grade_monthly') }} as grades
),

{#- Every month's measures: the history tells since when a rule has held. -#}
measures as (
    select
        features.month_start,
        features.as_of_date,
        features.customer_id,
        features.days_past_due,
        features.five_class_change,
        features.card_utilisation,
        case when features.deposit_balance_lookback_cny > 0 then -features.deposit_change end as deposit_outflow,
        grades.grade_drop
    from {{ ref('int_credit__features_monthly') }} as features
    left join grades on features.month_start = grades.month_start and features.customer_id = grades.customer_id
),

fired as (
    select
        measures.month_start,
        measures.as_of_date,
        measures.customer_id,
        rules.rule_code,
        rules.measure,
        rules.severity,
        rules.threshold,
        case rules.measure
            when 'days_past_due' then measures.days_past_due
            when 'five_class_change' then measures.five_class_change
            when 'card_utilisation' then measures.card_utilisation
            when 'deposit_outflow' then measures.deposit_outflow
            when 'grade_drop' then measures.grade_drop
        end as observed_value
    from measures
    cross join {{ ref('early_warning_rules') }} as rules
),

{#- A streak is the months a rule fired without a break: months numbered per customer and
    rule, less the month's own number, is constant along a streak. -#}
streaks as (
    select
        fired.*,
        {{ dbt.datediff("cast('2000-01-01' as date)", 'fired.month_start', 'month') }}
            - row_number() over (partition by fired.customer_id, fired.rule_code order by fired.month_start)
            as streak
    from fired
    where fired.observed_value >= fired.threshold
),

since as (
    select
        streaks.*,
        min(streaks.as_of_date) over (partition by streaks.customer_id, streaks.rule_code, streaks.streak)
            as streak_start
    from streaks
)

select
    since.month_start,
    since.as_of_date,
    since.customer_id,
    grades.branch_code,
    grades.rm_id,
    since.rule_code,
    since.severity,
    since.measure,
    cast(since.observed_value as decimal(18,4)) as observed_value,
    since.threshold,
    {#- Days past due tell the day the line was crossed; other rules, the first grading date of
        the streak. -#}
    case when since.measure = 'days_past_due'
         then cast({{ dbt.dateadd('day', 'cast(since.threshold - since.observed_value as integer)',
                                  'since.as_of_date') }} as date)
         else since.streak_start
    end as since_date,
    grades.final_grade,
    grades.exposure_cny
from since
inner join grades on since.month_start = grades.month_start and since.customer_id = grades.customer_id
where {{ contribution_months('since.month_start') }}
