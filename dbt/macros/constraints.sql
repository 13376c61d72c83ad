{#- Not-null columns are declared in the marts' contracts (`constraints: [{type: not_null}]`), so the
    database refuses a null as a row is written: no test query reads the table again afterwards.
    A table or view is created with its constraints on every build; an incremental model's table is
    created once and kept. One created before its contract declared a column not null would go on
    accepting nulls there, so each build first declares the missing constraints on the incremental
    models it selects. The database checks the rows already held: a null among them fails the
    build, naming the table and the column. -#}
{% macro declare_not_null_constraints() %}
    {%- if not execute %}{{ return('') }}{% endif -%}
    {%- set declared = {} -%}
    {%- for node in graph.nodes.values()
          if node.unique_id in selected_resources and node.resource_type == 'model'
          and node.config.materialized == 'incremental' and node.config.contract.enforced -%}
        {%- set columns = [] -%}
        {%- for column in node.columns.values()
              if column.constraints | selectattr('type', 'equalto', 'not_null') | list -%}
            {%- do columns.append(column.name) -%}
        {%- endfor -%}
        {%- if columns %}{% do declared.update({node.schema ~ '.' ~ node.alias: columns}) %}{% endif -%}
    {%- endfor -%}
    {%- if not declared %}{{ return('') }}{% endif -%}
    {%- set nullable = run_query(nullable_columns_sql(declared.keys() | list)) -%}
    {%- for schema, table, column in nullable.rows if column in declared[schema ~ '.' ~ table] -%}
        {%- do run_query(set_not_null_sql(schema ~ '.' ~ table, adapter.quote(column))) -%}
        {%- do log('declared ' ~ schema ~ '.' ~ table ~ '.' ~ column ~ ' not null, as its contract says', info=true) -%}
    {%- endfor -%}
{% endmacro %}

{#- The nullable columns of the tables named ('schema.table'), from the SQL standard's catalog. -#}
{% macro nullable_columns_sql(tables) %}
    {{- return(adapter.dispatch('nullable_columns_sql')(tables)) -}}
{% endmacro %}

{% macro default__nullable_columns_sql(tables) %}
    select table_schema, table_name, column_name
    from information_schema.columns
    where table_catalog = '{{ target.database }}' and is_nullable = 'YES'
      and table_schema || '.' || table_name in ('{{ tables | join("', '") }}')
{% endmacro %}

{#- Spark's Parquet tables have no information_schema and cannot enforce not null: nothing to declare
    (the contract still checks the columns' names and types). -#}
{% macro spark__nullable_columns_sql(tables) %}
    select cast(null as string) as table_schema, cast(null as string) as table_name, cast(null as string) as column_name
    where false
{% endmacro %}

{% macro set_not_null_sql(table, column) %}
    {{- return(adapter.dispatch('set_not_null_sql')(table, column)) -}}
{% endmacro %}

{% macro default__set_not_null_sql(table, column) %}
    alter table {{ table }} alter column {{ column }} set not null
{% endmacro %}
