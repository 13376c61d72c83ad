{#- A table whatever this folder's default: it is rebuilt whole from every version on record
    (a handful of rows), never by month. -#}
{{ config(materialized='table') }}

{#- One row per distinct override the risk officers ever delivered in raw/manual/credit_overrides.csv
    (identity: its six fields as delivered), with the customer it names, when it was first and last
    received, whether the newest version of the file still carries it, and the first static rule it
    breaks. An override's expiry and its distance from the system grade depend on the month graded:
    they are judged there (marts/credit), not here. -#}

with delivered as (
    select
        {{ row_hash(['customer_code', 'new_grade', 'reason', 'approved_by', 'effective_date_text',
                     'expiry_date_text']) }} as override_id,
        *
    from {{ ref('stg_manual__credit_overrides') }}
),

newest_version as (
    select max(received_at) as received_at
    from {{ ref('manual_loads') }}
    where dataset = 'credit_overrides' and status = 'loaded'
),

{#- Each override as the newest version carrying it has it (its line there). -#}
requests as (
    select * from (
        select
            delivered.*,
            min(received_at) over (partition by override_id) as first_received_at,
            max(received_at) over (partition by override_id) as last_received_at,
            row_number() over (partition by override_id order by received_at desc, line_no) as recency
        from delivered
    ) as ranked
    where recency = 1
),

customer_numbers as (
    select distinct customer_id from {{ ref('customer_xref') }}
),

{#- A source customer id names a customer only when it resolves to exactly one: the ids of
    different systems may coincide. -#}
source_ids as (
    select source_customer_id, min(customer_id) as customer_id
    from {{ ref('customer_xref') }}
    group by source_customer_id
    having count(distinct customer_id) = 1
),

grades as (
    select grade from {{ ref('credit_master_scale') }}
)

select
    requests.override_id,
    requests.customer_code,
    coalesce(customer_numbers.customer_id, source_ids.customer_id) as customer_id,
    requests.new_grade,
    requests.reason,
    requests.approved_by,
    requests.effective_date,
    requests.expiry_date,
    requests.line_no,
    requests.first_received_at,
    requests.last_received_at,
    requests.last_received_at = newest_version.received_at as in_latest_file,
    case
        when customer_numbers.customer_id is null and source_ids.customer_id is null then 'UNKNOWN_CUSTOMER'
        when grades.grade is null then 'UNKNOWN_GRADE'
        when requests.approved_by is null then 'NO_APPROVER'
        when requests.has_bad_date then 'BAD_DATE'
        when requests.expiry_date < requests.effective_date then 'EXPIRY_BEFORE_EFFECTIVE'
        when requests.last_received_at < newest_version.received_at then 'WITHDRAWN'
    end as rejection_reason
from requests
cross join newest_version
left join customer_numbers on requests.customer_code = customer_numbers.customer_id
left join source_ids on requests.customer_code = source_ids.source_customer_id
left join grades on requests.new_grade = grades.grade
