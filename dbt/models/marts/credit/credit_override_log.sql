{{ config(materialized='table') }}
{#- The audit trail of the risk officers' overrides (raw/manual/credit_overrides.csv): every
    override ever delivered, who approved it, when it was received, and what became of it at
    the latest grading date: applied, pending (not yet effective), superseded (a later
    override of the customer applies), withdrawn, expired, or rejected with the reason. Rebuilt
    whole: it is the overrides' state now; credit_grade_monthly keeps which override applied
    in every past month. -#}

with requests as (
    select * from {{ ref('int_credit__override_requests') }}
),

latest as (
    select * from {{ ref('credit_grade_monthly') }}
    where month_start = (select max(month_start) from {{ ref('credit_grade_monthly') }})
),

judged as (
    select
        requests.*,
        latest.as_of_date,
        latest.system_grade,
        scale.notch - latest.system_notch as notches_from_system,
        latest.override_id = requests.override_id as is_applied
    from requests
    left join latest on requests.customer_id = latest.customer_id
    left join {{ ref('credit_master_scale') }} as scale on requests.new_grade = scale.grade
)

select
    override_id,
    customer_code,
    customer_id,
    new_grade,
    reason,
    approved_by,
    effective_date,
    expiry_date,
    line_no,
    first_received_at,
    last_received_at,
    in_latest_file,
    as_of_date,
    system_grade,
    notches_from_system,
    case
        when rejection_reason = 'WITHDRAWN' then 'withdrawn'
        when rejection_reason is not null then 'rejected'
        when as_of_date is null then 'rejected'
        when expiry_date < as_of_date then 'expired'
        when effective_date > as_of_date then 'pending'
        when abs(notches_from_system) > {{ seed_parameter('credit_parameters', 'max_override_notches') }}
            then 'rejected'
        when is_applied then 'applied'
        else 'superseded'
    end as status,
    case
        when rejection_reason is not null then rejection_reason
        when as_of_date is null then 'NOT_GRADED'
        when expiry_date < as_of_date then 'EXPIRED'
        when effective_date > as_of_date then null
        when abs(notches_from_system) > {{ seed_parameter('credit_parameters', 'max_override_notches') }}
            then 'TOO_FAR_FROM_SYSTEM_GRADE'
    end as status_reason
from judged
