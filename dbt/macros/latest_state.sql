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
{%- set feed_deliveries = "source_system = '" ~ system ~ "' and feed = '" ~ feed ~ "'" -%}
with unread as (
    {{ unread_deliveries(feed_deliveries) }}
),

new_rows as (
    select rows.*
    from {{ ref(staging_model) }} as rows
    inner join unread
        on rows.business_date = unread.business_date
        and rows.delivery = unread.delivery
    where {{ unread_dates_predicate(feed_deliveries, 'rows.business_date') }}
),

sighted as (
    select {% for column in columns %}{{ column }}, {% endfor %}business_date as first_seen_date,
           business_date as last_seen_date
    from new_rows
    {%- if is_incremental() %}
    union all
    select {% for column in columns %}{{ column }}, {% endfor %}first_seen_date, last_seen_date
    from {{ this }}
    where {{ key }} in (select {{ key }} from new_rows)
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
    (select max(recorded_at) from unread) as recorded_through
from ranked
where recency = 1
{%- endmacro %}


{#- The newest delivery of each date among the deliveries int_feed_deliveries recorded that
    match `where`, limited, on an incremental build, to those recorded since this model's
    previous build (its column recorded_through), plus every visible delivery of the
    systems in `recompute`. -#}
{% macro unread_deliveries(where, recompute=[]) -%}
    select source_system, business_date, delivery, max(recorded_at) as recorded_at
    from (
        select *, max(delivery) over (partition by source_system, business_date) as newest_delivery
        from {{ ref('int_feed_deliveries') }}
        where {{ where }}
    ) as recorded
    where delivery = newest_delivery
    {%- if is_incremental() %}
        and (recorded_at > (select coalesce(max(recorded_through), cast('1900-01-01' as timestamp))
                            from {{ this }})
             {%- if recompute %} or source_system in ('{{ recompute | join("', '") }}'){% endif %})
    {%- endif %}
    group by source_system, business_date, delivery
{%- endmacro %}

{#- A where-predicate: `date_column` is a business date of unread_deliveries(where). The dates are
    looked up as the model runs and written in as constants: a filter on constants reaches the
    Parquet scan under the staging views, which then skips the files of every other date, where a
    join to the deliveries alone reads every file of the history. Every date on a first build, or
    when systems are recomputed from all their deliveries. -#}
{% macro unread_dates_predicate(where, date_column, recompute=[]) -%}
    {%- if not execute or not is_incremental() or recompute -%}
        1 = 1
    {%- else -%}
        {%- set dates = run_query('select distinct business_date from (' ~ unread_deliveries(where) ~ ') as unread')
                        .columns[0].values() | sort -%}
        {%- if dates -%}
            {{ date_column }} in ({% for day in dates %}cast('{{ day }}' as date){{ ", " if not loop.last }}{% endfor %})
        {%- else -%}
            1 = 0
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
