{#- Every change of a source record's customer, kept: a later merge or split is recorded,
    never silent. One row per record and period; the open row has valid_to null.
    change_kind: new (first seen), merged (its former customer has no records left),
    split (it left a customer that keeps other records, for a new one), moved (otherwise). -#}
{{ config(materialized='incremental', unique_key=['source_system', 'source_customer_id', 'valid_from'],
          full_refresh=false, on_schema_change='fail') }}

{%- set now = "cast('" ~ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") ~ "' as timestamp)" %}

with current_xref as (
    select * from {{ ref('customer_xref') }}
),

open_rows as (
    {% if is_incremental() -%}
    select * from {{ this }} where valid_to is null
    {%- else -%}
    {#- The first build: nobody has a customer yet. -#}
    select
        source_system, source_customer_id, customer_id, match_rule, match_score,
        'new' as change_kind, last_seen_date as business_date,
        {{ now }} as valid_from, cast(null as timestamp) as valid_to
    from current_xref
    where 1 = 0
    {%- endif %}
),

changed as (
    select
        current_xref.*,
        open_rows.customer_id as previous_customer_id,
        open_rows.valid_from as previous_valid_from,
        open_rows.match_rule as previous_match_rule,
        open_rows.match_score as previous_match_score,
        open_rows.change_kind as previous_change_kind,
        open_rows.business_date as previous_business_date
    from current_xref
    left join open_rows
        on current_xref.source_system = open_rows.source_system
        and current_xref.source_customer_id = open_rows.source_customer_id
    where open_rows.customer_id is null or open_rows.customer_id <> current_xref.customer_id
),

closed as (
    select
        source_system,
        source_customer_id,
        previous_customer_id as customer_id,
        previous_match_rule as match_rule,
        previous_match_score as match_score,
        previous_change_kind as change_kind,
        previous_business_date as business_date,
        previous_valid_from as valid_from,
        {{ now }} as valid_to
    from changed
    where previous_customer_id is not null
),

still_held as (
    select distinct customer_id from current_xref
),

held_before as (
    select distinct customer_id from open_rows
),

opened as (
    select
        changed.source_system,
        changed.source_customer_id,
        changed.customer_id,
        changed.match_rule,
        changed.match_score,
        case
            when changed.previous_customer_id is null then 'new'
            when still_held.customer_id is null then 'merged'
            when held_before.customer_id is null then 'split'
            else 'moved'
        end as change_kind,
        changed.last_seen_date as business_date,
        {{ now }} as valid_from,
        cast(null as timestamp) as valid_to
    from changed
    left join still_held on changed.previous_customer_id = still_held.customer_id
    left join held_before on changed.customer_id = held_before.customer_id
)

select * from closed
union all
select * from opened
