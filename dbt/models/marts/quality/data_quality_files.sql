{#- Every file of the latest delivery of each source system and business date, loaded or
    rejected, with why and its record counts: what the data-quality report lists. Taken from
    audit.file_loads without its checksums, control sums and load times (data engineering's). -#}

with latest as (
    select system, business_date, max(delivery) as delivery
    from {{ ref('file_loads') }}
    group by system, business_date
)

select
    loads.system,
    loads.business_date,
    cast({{ dbt.date_trunc('month', 'loads.business_date') }} as date) as month_start,
    loads.delivery,
    loads.file,
    loads.feed,
    loads.status,
    loads.reason,
    loads.message,
    loads.records_delivered,
    loads.records_loaded,
    loads.records_quarantined,
    loads.held
from {{ ref('file_loads') }} as loads
inner join latest
    on loads.system = latest.system and loads.business_date = latest.business_date
    and loads.delivery = latest.delivery
