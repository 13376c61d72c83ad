{#- The Parquet the ingestion assets write (dagster_project/ingest/ledger.py), read in place.

    parquet_scan dispatches on the adapter, so the same models run on DuckDB and,
    later, Spark: only this macro knows how each engine reads a folder of Parquet. -#}

{% macro ledger_glob(kind, system='*') -%}
    {%- if kind in ('file_loads', 'quarantine') -%}
        {{ var('warehouse_dir') }}/audit/{{ kind }}/{{ system }}/*/delivery_*.parquet
    {%- else -%}
        {{ var('warehouse_dir') }}/staging/{{ kind }}/*/delivery_*.parquet
    {%- endif -%}
{%- endmacro %}

{% macro parquet_scan(path) -%}
    {{ return(adapter.dispatch('parquet_scan', 'bank360')(path)) }}
{%- endmacro %}

{% macro default__parquet_scan(path) -%}
    read_parquet('{{ path }}', union_by_name = true)
{%- endmacro %}

{% macro spark__parquet_scan(path) -%}
    parquet.`{{ path }}`
{%- endmacro %}
