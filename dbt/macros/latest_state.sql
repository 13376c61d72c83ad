{#- The latest known state of each entity of a feed (an account, a contract), with the first
    and last business date it was seen, kept incrementally: a build reads only the
    deliveries of the feed that int_feed_deliveries recorded since the previous build, so
    the cost follows the day's data, not the history. A late delivery of an older date
    widens first/last seen but does not overwrite a newer state.

    Use in an incremental model whose unique_key is the feed's key:
        {{ config(materialized='incremental', unique_key='acct_no') }}
        {{ latest_state('stg_deposit__accounts', 'acct_no', 'deposit', 'ACCOUNT') }} -#}
{% macro latest_state(staging_model, key, system, feed) -%}
{%- set columns = adapter.get_columns_in_relation(ref(staging_model)) | map(attribute='name') | list -%}
{%- set watermark = "(select coalesce(max(recorded_through), cast('1900-01-01' as timestamp)) from " ~ this ~ ")" -%}
with deliveries as (
    select
        business_date,
        delivery,
        recorded_at,
        max(delivery) over (partition by business_date) as newest_delivery
    from {{ ref('int_feed_deliveries') }}
    where source_system = '{{ system }}' and feed = '{{ feed }}'
),

new_deliveries as (
    select business_date, delivery, recorded_at
    from deliveries
    where delivery = newest_delivery
    {%- if is_incremental() %}
        and recorded_at > {{ watermark }}
    {%- endif %}
),

sighted as (
    select
        {% for column in columns %}rows.{{ column }}, {% endfor %}
        rows.business_date as first_seen_date,
        rows.business_date as last_seen_date
    from {{ ref(staging_model) }} as rows
    inner join new_deliveries
        on rows.business_date = new_deliveries.business_date
        and rows.delivery = new_deliveries.delivery
    {%- if is_incremental() %}
    union all
    select {% for column in columns %}{{ column }}, {% endfor %}first_seen_date, last_seen_date
    from {{ this }}
    where {{ key }} in (
        select rows.{{ key }}
        from {{ ref(staging_model) }} as rows
        inner join new_deliveries
            on rows.business_date = new_deliveries.business_date
            and rows.delivery = new_deliveries.delivery
    )
    {%- endif %}
),

ranked as (
    select
        sighted.*,
        row_number() over (partition by {{ key }} order by business_date desc, delivery desc) as recency,
        min(first_seen_date) over (partition by {{ key }}) as first_seen,
        max(last_seen_date) over (partition by {{ key }}) as last_seen
    from sighted
)

select
    {% for column in columns %}{{ column }},
    {% endfor -%}
    first_seen as first_seen_date,
    last_seen as last_seen_date,
    (select max(recorded_at) from new_deliveries) as recorded_through
from ranked
where recency = 1
{%- endmacro %}
