{#- Each source record's distinct versions, with the first and last business date each was
    seen: the history dim_customer is built from.

    Incremental: a build reads only the deliveries int_feed_deliveries recorded
    since the previous build, so a day costs one day of records. first_seen / last_seen
    widen with min / max, which makes the result independent of the order deliveries
    arrive in (late ones included). A redelivery of a date an earlier build has read must
    replace that date, and min / max cannot forget: the systems it concerns are then
    recomputed from their visible deliveries (rare, and correct). -#}
{{ config(materialized='incremental', unique_key=['source_system', 'source_customer_id', 'record_hash'],
          pre_hook="{{ forget_redelivered_systems() }}") }}

{%- set attributes = ['customer_kind', 'customer_name', 'id_kind', 'id_no', 'id_no_was_legacy_15',
                      'birth_date', 'gender', 'mobile', 'address', 'branch_code', 'rm_id',
                      'annual_income', 'relationship_since'] %}
{%- set recompute = redelivered_systems() %}

{%- set customer_deliveries = 'feed in ' ~ customer_feeds() %}

with new_deliveries as (
    {{ unread_deliveries(customer_deliveries, recompute) }}
),

observed as (
    select
        records.*,
        {{ row_hash(attributes) }} as record_hash
    from {{ ref('int_customer_records') }} as records
    inner join new_deliveries
        on records.source_system = new_deliveries.source_system
        and records.business_date = new_deliveries.business_date
        and records.delivery = new_deliveries.delivery
    where {{ unread_dates_predicate(customer_deliveries, 'records.business_date', recompute) }}
),

versions as (
    select
        source_system,
        source_customer_id,
        record_hash,
        {{ attributes | join(',\n        ') }},
        min(business_date) as first_seen,
        max(business_date) as last_seen
    from observed
    group by source_system, source_customer_id, record_hash, {{ attributes | join(', ') }}
)

select
    versions.source_system,
    versions.source_customer_id,
    versions.record_hash,
    {%- for column in attributes %}
    versions.{{ column }},
    {%- endfor %}
    {% if is_incremental() -%}
    case when earlier.first_seen < versions.first_seen then earlier.first_seen
         else versions.first_seen end as first_seen,
    case when earlier.last_seen > versions.last_seen then earlier.last_seen
         else versions.last_seen end as last_seen,
    {%- else -%}
    versions.first_seen,
    versions.last_seen,
    {%- endif %}
    (select max(recorded_at) from new_deliveries) as recorded_through
from versions
{% if is_incremental() %}
left join {{ this }} as earlier
    on versions.source_system = earlier.source_system
    {%- if recompute %}
    and earlier.source_system not in ('{{ recompute | join("', '") }}')
    {%- endif %}
    and versions.source_customer_id = earlier.source_customer_id
    and versions.record_hash = earlier.record_hash
{% endif %}
