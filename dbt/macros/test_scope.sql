{#- dbt's `where` of a test, with one word of bank360's own: `__unread_deliveries__` keeps the rows
    of the deliveries the build has not read yet, those the staging expectations validate too
    (dagster_project/validation/model_batches.py). A staging view holds every delivery ever loaded;
    testing it whole would cost more every day, and older deliveries were tested when they came.
    Before the first build everything is unread, and a relation without deliveries (the overrides
    file) is tested whole. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where') or '' -%}
    {%- if '__unread_deliveries__' in where -%}
        {%- set where = where | replace('__unread_deliveries__', unread_delivery_rows(relation)) -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{% macro unread_delivery_rows(relation) -%}
    {%- if not execute -%}
        {%- do return('true') -%}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- set read = adapter.get_relation(database=target.database, schema='intermediate',
                                        identifier='int_feed_deliveries') -%}
    {%- if 'delivery' not in columns or read is none -%}
        {%- do return('true') -%}
    {%- endif -%}
    {#- Rows of any system's unread delivery of their date: a few more rows than needed, no system column needed. -#}
    (business_date, delivery) in (
        select visible.business_date, visible.delivery
        from audit.visible_deliveries as visible
        where not exists (select 1 from {{ read }} as seen
                          where seen.source_system = visible.system and seen.business_date = visible.business_date
                            and seen.delivery = visible.delivery))
{%- endmacro %}
