{#- What became of every record delivered, by business date, source system, feed and outcome:
    loaded, quarantined (one row per record rule broken) or delivered in a rejected file (one
    row per file-level reason). Counts only: no record, key or message of audit.quarantine
    reaches it. The deliveries are those of data_quality_files (the latest of each system and
    date), so the two marts add up. -#}

with files as (
    select * from {{ ref('data_quality_files') }}
),

quarantined as (
    select
        records.system,
        records.business_date,
        records.feed,
        records.reason,
        count(*) as records
    from {{ ref('quarantine') }} as records
    inner join (select distinct system, business_date, delivery from files) as latest
        on records.system = latest.system and records.business_date = latest.business_date
        and records.delivery = latest.delivery
    group by records.system, records.business_date, records.feed, records.reason
),

outcomes as (
    select system, business_date, feed, 'loaded' as outcome, cast(null as {{ dbt.type_string() }}) as reason,
           sum(records_loaded) as records
    from files
    where status = 'loaded'
    group by system, business_date, feed

    union all

    select system, business_date, feed, 'quarantined' as outcome, reason, records
    from quarantined

    union all

    select system, business_date, feed, 'rejected' as outcome, reason, sum(records_delivered) as records
    from files
    where status = 'rejected'
    group by system, business_date, feed, reason
)

select
    outcomes.business_date,
    cast({{ dbt.date_trunc('month', 'outcomes.business_date') }} as date) as month_start,
    outcomes.system,
    deliveries.delivery,
    deliveries.held,
    outcomes.feed,
    outcomes.outcome,
    outcomes.reason,
    cast(outcomes.records as bigint) as records
from outcomes
inner join (select distinct system, business_date, delivery, held from files) as deliveries
    on outcomes.system = deliveries.system and outcomes.business_date = deliveries.business_date
