{{ config(materialized='table') }}
{#- Does the grading work? For every month whose performance window has passed (or is still
    running: window_complete), the grades the system gave then against what happened next:
    observations and defaults per segment and system grade, with the grade's master-scale PD. Rebuilt
    whole: later months change earlier outcomes. -#}

select
    grades.month_start,
    grades.customer_kind,
    sample.window_complete,
    grades.system_grade,
    grades.system_notch,
    scale.pd as grade_pd,
    count(*) as observations,
    cast(sum(sample.is_bad) as bigint) as defaults,
    cast(round(cast(sum(sample.is_bad) as double) / count(*), 6) as decimal(9,6)) as default_rate
from {{ ref('credit_grade_monthly') }} as grades
inner join {{ ref('int_credit__development_sample') }} as sample
    on grades.month_start = sample.month_start and grades.customer_id = sample.customer_id
inner join {{ ref('credit_master_scale') }} as scale on grades.system_grade = scale.grade
group by grades.month_start, grades.customer_kind, sample.window_complete, grades.system_grade, grades.system_notch, scale.pd
