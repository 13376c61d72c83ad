{#- Helpers of the identity-resolution models (models/intermediate/identity). -#}

{#- A hash of a row's values, to tell the versions of a record apart (null-safe). -#}
{% macro row_hash(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first %}{% do parts.append("'|'") %}{% endif -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '~')") -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{#- The value of the row with the smallest rank among rows where the value is present:
    survivorship in one aggregate (DuckDB arg_min, Spark min_by). -#}
{% macro pick(value, rank) -%}
    {{ return(adapter.dispatch('pick', 'bank360')(value, rank)) }}
{%- endmacro %}
{% macro default__pick(value, rank) -%}
    arg_min({{ value }}, case when {{ value }} is not null then {{ rank }} end)
{%- endmacro %}
{% macro spark__pick(value, rank) -%}
    min_by({{ value }}, case when {{ value }} is not null then {{ rank }} end)
{%- endmacro %}

{#- Days since 1970-01-01: turns dates into sortable numbers for ranks. -#}
{% macro epoch_days(date_expr) -%}
    {{ dbt.datediff("cast('1970-01-01' as date)", date_expr, 'day') }}
{%- endmacro %}

{#- Systems with a redelivery, recorded since the last build, of a date an earlier build read:
    int_customer_record_versions recomputes them (its first/last seen cannot forget a date). -#}
{% macro redelivered_systems() -%}
    {%- if not (execute and is_incremental()) -%}{{ return([]) }}{%- endif -%}
    {%- set deliveries = "(select * from " ~ ref('int_feed_deliveries') ~ " where feed in " ~ customer_feeds() ~ ")" -%}
    {%- set query -%}
        with watermark as (
            select coalesce(max(recorded_through), cast('1900-01-01' as timestamp)) as built_through from {{ this }})
        select distinct newer.source_system
        from {{ deliveries }} as newer
        inner join {{ deliveries }} as earlier
            on earlier.source_system = newer.source_system
            and earlier.business_date = newer.business_date
            and earlier.delivery < newer.delivery
        cross join watermark
        where newer.recorded_at > watermark.built_through
            and earlier.recorded_at <= watermark.built_through
        order by 1
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{% macro forget_redelivered_systems() -%}
    {%- set systems = redelivered_systems() -%}
    {%- if systems -%}
        {{ delete_where(this, "source_system in ('" ~ (systems | join("', '")) ~ "')") }}
    {%- endif -%}
{%- endmacro %}

{#- A sortable text key from non-negative whole numbers (compared in order) and a final
    text tie-break: survivorship ranks that never tie, so every engine picks the same row. -#}
{% macro rank_key(numbers, tiebreak) -%}
    {%- set parts = [] -%}
    {%- for number in numbers -%}
        {%- do parts.append("lpad(cast(cast(" ~ number ~ " as bigint) as " ~ dbt.type_string() ~ "), 6, '0')") -%}
    {%- endfor -%}
    {%- do parts.append(tiebreak) -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}

{#- The files that carry customers: deposit CUSTOMER, loan BORROWER, card cardholder,
    mortgage contracts (the borrower of each contract). -#}
{% macro customer_feeds() -%}
    ('CUSTOMER', 'BORROWER', 'cardholder', 'contracts')
{%- endmacro %}
