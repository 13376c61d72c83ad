{#- The committed deliveries of the customer-bearing files, each with the build that first
    saw it: the ledger that lets int_customer_record_versions read only what is new. A
    redelivery is a new row (its date is read again); a late delivery is new too. -#}
{{ config(materialized='incremental', unique_key=['source_system', 'business_date', 'delivery']) }}

with visible as (
    select system as source_system, business_date, max(delivery) as delivery
    from {{ ref('file_loads') }}
    group by system, business_date
),

customer_files as (
    select distinct loads.system as source_system, loads.business_date, loads.delivery
    from {{ ref('file_loads') }} as loads
    inner join visible
        on loads.system = visible.source_system
        and loads.business_date = visible.business_date
        and loads.delivery = visible.delivery
    where loads.feed in ('CUSTOMER', 'BORROWER', 'cardholder', 'contracts')
        and loads.status = 'loaded'
)

select
    customer_files.source_system,
    customer_files.business_date,
    customer_files.delivery,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as recorded_at
from customer_files
{% if is_incremental() %}
where not exists (
    select 1 from {{ this }} as seen
    where seen.source_system = customer_files.source_system
        and seen.business_date = customer_files.business_date
        and seen.delivery = customer_files.delivery
)
{% endif %}
