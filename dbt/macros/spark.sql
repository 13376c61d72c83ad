{#- What the models need of Spark (dbt-spark) that DuckDB gives them: the same model files run on
    both engines (docs/scale-out.md). Spark's tables here are plain Parquet: no DELETE, no MERGE
    (those need Delta Lake or Iceberg, whose jars come from Maven, not from PyPI). -#}

{#- Delete the rows of `relation` matching `predicate`: one statement where the engine deletes; on
    Spark's Parquet tables the rows to keep go to a scratch table (run now) and the statement returned
    overwrites the table with them. -#}
{% macro delete_where(relation, predicate) -%}
    {{ return(adapter.dispatch('delete_where', 'bank360')(relation, predicate)) }}
{%- endmacro %}

{% macro default__delete_where(relation, predicate) -%}
    delete from {{ relation }} where {{ predicate }}
{%- endmacro %}

{% macro spark__delete_where(relation, predicate) -%}
    {%- set scratch = relation.incorporate(path={'identifier': relation.identifier ~ '__dbt_keep'}) -%}
    {%- do run_query('drop table if exists ' ~ scratch) -%}
    {%- do run_query('set spark.sql.sources.partitionOverwriteMode = STATIC') -%}
    {%- do run_query('create table ' ~ scratch ~ ' using parquet as select * from ' ~ relation
                     ~ ' where not coalesce((' ~ predicate ~ '), false)') -%}
    insert overwrite table {{ relation }} select * from {{ scratch }}
{%- endmacro %}

{#- dbt-spark accepts append, insert_overwrite and merge. The models' delete+insert is added; an
    incremental model with a unique_key and no strategy gets it too (dbt-duckdb's default), where
    dbt-spark's default, append, would ignore the key and duplicate rows. -#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
    {%- if raw_strategy == 'delete+insert' or (raw_strategy == 'append' and config.get('unique_key')) -%}
        {{ return('delete+insert') }}
    {%- endif -%}
    {%- if raw_strategy not in ['append', 'merge', 'insert_overwrite', 'microbatch'] -%}
        {% do exceptions.raise_compiler_error('Invalid incremental strategy provided: ' ~ raw_strategy) %}
    {%- endif -%}
    {%- if raw_strategy == 'merge' and file_format not in ['delta', 'iceberg', 'hudi'] -%}
        {% do exceptions.raise_compiler_error('merge needs file_format delta, iceberg or hudi') %}
    {%- endif -%}
    {{ return(raw_strategy) }}
{% endmacro %}

{#- delete+insert on Spark: when the key is the table's partition (the facts, by business_date),
    overwriting the batch's partitions is delete+insert; otherwise the table is rewritten as its rows
    whose key the batch does not hold plus the batch. -#}
{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) %}
    {%- set partition_by = config.get('partition_by') -%}
    {%- set partition_by = [partition_by] if partition_by is string else partition_by -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- if strategy == 'delete+insert' and partition_by and keys | sort == partition_by | sort -%}
        {%- do run_query('set spark.sql.sources.partitionOverwriteMode = DYNAMIC') -%}
        {{ get_insert_overwrite_sql(source, target, existing) }}
    {%- elif strategy == 'delete+insert' -%}
        {%- do run_query('set spark.sql.sources.partitionOverwriteMode = STATIC') -%}
        {{ spark_rewrite_sql(source, target, keys) }}
    {%- elif strategy == 'append' -%}
        {{ get_insert_into_sql(source, target) }}
    {%- elif strategy in ('insert_overwrite', 'microbatch') -%}
        {{ get_insert_overwrite_sql(source, target, existing) }}
    {%- elif strategy == 'merge' -%}
        {{ get_merge_sql(target, source, unique_key, dest_columns=none, incremental_predicates=incremental_predicates) }}
    {%- endif -%}
{% endmacro %}

{#- Spark refuses to overwrite a table the same query reads: the kept rows and the batch go to a
    scratch table first. -#}
{% macro spark_rewrite_sql(source, target, keys) %}
    {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ') -%}
    {%- set scratch = target.incorporate(path={'identifier': target.identifier ~ '__dbt_rewrite'}) -%}
    {% do run_query('drop table if exists ' ~ scratch) %}
    {% call statement('spark_rewrite_scratch') %}
        create table {{ scratch }} using parquet as
        select {{ columns }} from {{ target }} as dbt_old
        where not exists (
            select 1 from {{ source }} as dbt_new
            where {% for key in keys %}dbt_new.{{ key }} <=> dbt_old.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
        )
        union all
        select {{ columns }} from {{ source }}
    {% endcall %}
    insert overwrite table {{ target }} select {{ columns }} from {{ scratch }}
{% endmacro %}

{#- dbt-spark's listagg drops the order by (collect_list keeps no order); Spark 4 has listagg ...
    within group. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}{{ exceptions.raise_compiler_error('listagg: limit_num is not supported on Spark') }}{%- endif -%}
    listagg({{ measure }}, {{ delimiter_text }}){% if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
{%- endmacro %}

{#- dbt-spark's session cursor quotes each seed value without escaping it, so a value with an
    apostrophe breaks the insert: the literals are written here, escaped as Spark SQL expects. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {% set column_override = model['config'].get('column_types', {}) %}
    {% set statements = [] %}
    {% for chunk in agate_table.rows | batch(get_batch_size()) %}
        {% set sql %}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for column in agate_table.column_names -%}
                    {%- set type = column_override.get(column, adapter.convert_type(agate_table, loop.index0)) -%}
                    {%- set value = row[loop.index0] -%}
                    {%- if value is none -%}cast(null as {{ type }})
                    {%- else -%}cast('{{ (value | string).replace("\\", "\\\\").replace("'", "\\'") }}' as {{ type }})
                    {%- endif -%}
                    {%- if not loop.last %},{% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {%- endfor %}
        {% endset %}
        {% do adapter.add_query(sql, abridge_sql_log=True) %}
        {% if loop.index0 == 0 %}{% do statements.append(sql) %}{% endif %}
    {% endfor %}
    {{ return(statements[0]) }}
{% endmacro %}
