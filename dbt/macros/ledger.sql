{#- The Parquet the ingestion assets write (dagster_project/ingest/ledger.py), read in place.

    parquet_scan dispatches on the adapter, so the same models run on DuckDB and,
    later, Spark: only this macro knows how each engine reads a folder of Parquet. -#}

{% macro ledger_glob(kind, system='*') -%}
    {%- if kind == 'validations' -%}
        {{ var('warehouse_dir') }}/audit/validations/*/*/*.parquet
    {%- elif kind in ('file_loads', 'quarantine') -%}
        {{ var('warehouse_dir') }}/audit/{{ kind }}/{{ system }}/*/delivery_*.parquet
    {%- elif kind == 'manual_loads' -%}
        {{ var('warehouse_dir') }}/audit/manual_loads/*/*.parquet
    {%- elif kind.startswith('manual/') -%}
        {#- A hand-maintained file: one Parquet per version received (dagster_project/ingest/manual.py). -#}
        {{ var('warehouse_dir') }}/staging/{{ kind }}/*.parquet
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

{#- A feed's loaded rows as readers may see them: for each business date only the
    delivery audit.visible_deliveries names (the rule of ledger.visible). -#}
{% macro committed_feed(feed_table, system) -%}
    {#- Declares the lineage (dbt docs, and Dagster's ingestion asset upstream of this model);
        the rows themselves are read from the Parquet, which every engine can scan. -#}
    {%- set _lineage = source('ingested', feed_table) -%}
    select staged.*
    from {{ parquet_scan(ledger_glob(feed_table)) }} as staged
    inner join {{ ref('visible_deliveries') }} as newest
        on newest.system = '{{ system }}'
        and staged.business_date = newest.business_date
        and staged.delivery = newest.delivery
{%- endmacro %}

{#- The rows of every version of a hand-maintained file (raw/manual/) that was loaded: the versions
    audit.manual_loads commits, as committed_feed reads the deliveries file_loads commits. -#}
{% macro committed_manual(name) -%}
    {%- set _lineage = source('manual', name) -%}
    select staged.*
    from {{ parquet_scan(ledger_glob('manual/' ~ name)) }} as staged
    inner join {{ ref('manual_loads') }} as loads
        on loads.dataset = '{{ name }}'
        and loads.status = 'loaded'
        and staged.file_sha256 = loads.file_sha256
        and staged.received_at = loads.received_at
{%- endmacro %}
