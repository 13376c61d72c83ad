{{ config(materialized='table') }}
-- STUB until the overrides branch lands
select cast(null as varchar) as override_id, cast(null as varchar) as customer_id, cast(null as varchar) as new_grade,
       cast(null as varchar) as reason, cast(null as varchar) as approved_by, cast(null as date) as effective_date,
       cast(null as date) as expiry_date, cast(null as timestamp) as first_received_at, cast(null as varchar) as rejection_reason,
       cast(null as varchar) as customer_code
where false
