{#- Schemas are named as the models declare them (audit, staging, marts), not prefixed
    with the target schema: BI users and the load's public contract see `audit.file_loads`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
