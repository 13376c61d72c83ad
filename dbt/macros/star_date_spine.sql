{#- One row per calendar day from start_date to end_date inclusive, column date_day (DATE).
    Dispatched: each engine generates the series its own way; dim_date stays portable. -#}
{% macro star_date_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('star_date_spine', 'bank360')(start_date, end_date)) }}
{%- endmacro %}

{#- DuckDB (and Postgres-like engines): range() over dates yields timestamps, end exclusive. -#}
{% macro default__star_date_spine(start_date, end_date) -%}
    select cast(range as date) as date_day
    from range(
        cast('{{ start_date }}' as date),
        cast('{{ end_date }}' as date) + interval 1 day,
        interval 1 day
    )
{%- endmacro %}

{#- Spark: sequence() of dates (end inclusive), exploded to rows. -#}
{% macro spark__star_date_spine(start_date, end_date) -%}
    select explode(sequence(to_date('{{ start_date }}'), to_date('{{ end_date }}'), interval 1 day)) as date_day
{%- endmacro %}
