{#- The risk officers' credit-grade overrides: every row of every loaded version of
    raw/manual/credit_overrides.csv, typed. Nothing is judged here (int_credit__override_requests
    does): a bad date is null and flagged, its text kept. -#}
with delivered as (
    select
        nullif(customer_code, '') as customer_code,
        nullif(new_grade, '') as new_grade,
        nullif(reason, '') as reason,
        nullif(approved_by, '') as approved_by,
        {{ iso_date('effective_date') }} as effective_date,
        {{ iso_date('expiry_date') }} as expiry_date,
        nullif(effective_date, '') as effective_date_text,
        nullif(expiry_date, '') as expiry_date_text,
        line_no,
        file_sha256,
        received_at
    from ({{ committed_manual('credit_overrides') }}) as source
)

select
    customer_code,
    new_grade,
    reason,
    approved_by,
    effective_date,
    expiry_date,
    effective_date_text,
    expiry_date_text,
    effective_date is null or (expiry_date_text is not null and expiry_date is null) as has_bad_date,
    line_no,
    file_sha256,
    received_at
from delivered
