{#- Every committed delivery of every loaded feed, each with the build that first saw it:
    the ledger that lets incremental models read only what is new since their previous
    build (int_customer_record_versions, the int_latest__* states). A redelivery is a new
    row (its date is read again); a late delivery is new too. -#}
{{ config(materialized='incremental', unique_key=['source_system', 'feed', 'business_date', 'delivery']) }}

with loaded_files as (
    select distinct loads.system as source_system, loads.feed, loads.business_date, loads.delivery
    from {{ ref('file_loads') }} as loads
    inner join {{ ref('visible_deliveries') }} as visible
        on loads.system = visible.system
        and loads.business_date = visible.business_date
        and loads.delivery = visible.delivery
    where loads.status = 'loaded'
)

select
    loaded_files.source_system,
    loaded_files.feed,
    loaded_files.business_date,
    loaded_files.delivery,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as recorded_at
from loaded_files
{% if is_incremental() %}
where not exists (
    select 1 from {{ this }} as seen
    where seen.source_system = loaded_files.source_system
        and seen.feed = loaded_files.feed
        and seen.business_date = loaded_files.business_date
        and seen.delivery = loaded_files.delivery
)
{% endif %}
