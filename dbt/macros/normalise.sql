{#- Normalising what the sources hold (extract-spec section 6) into one canonical form.
    Portable SQL plus two dispatched regular-expression helpers. -#}

{% macro regexp_like(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_like', 'bank360')(expr, pattern)) }}
{%- endmacro %}
{% macro default__regexp_like(expr, pattern) -%} regexp_matches({{ expr }}, '{{ pattern }}') {%- endmacro %}
{#- Spark's string literals read backslash escapes: a pattern's backslashes are doubled. -#}
{% macro spark__regexp_like(expr, pattern) -%} ({{ expr }} rlike '{{ pattern | replace("\\", "\\\\") }}') {%- endmacro %}

{% macro regexp_substitute(expr, pattern, replacement='') -%}
    {{ return(adapter.dispatch('regexp_substitute', 'bank360')(expr, pattern, replacement)) }}
{%- endmacro %}
{% macro default__regexp_substitute(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}
{% macro spark__regexp_substitute(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern | replace("\\", "\\\\") }}', '{{ replacement }}')
{%- endmacro %}

{#- GB 11643 check character of an 18-character number's first 17 digits (ISO 7064 MOD 11-2). -#}
{% macro resident_check_char(first17) -%}
    {%- set weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] -%}
    substr('10X98765432', 1 + ((
        {%- for w in weights %}
        {{ w }} * cast(substr({{ first17 }}, {{ loop.index }}, 1) as integer){% if not loop.last %} +{% endif %}
        {%- endfor %}
    ) % 11), 1)
{%- endmacro %}

{#- Identity number in canonical form: trimmed, upper case (the card platform writes a
    lower-case x), and a legacy 15-digit resident number converted to 18 digits
    (century 19 inserted before the birth year, check character computed). -#}
{% macro canonical_id_no(expr) -%}
    case
        when {{ regexp_like('upper(trim(' ~ expr ~ '))', '^[0-9]{15}$') }} then
            substr(trim({{ expr }}), 1, 6) || '19' || substr(trim({{ expr }}), 7, 9)
            || {{ resident_check_char("(substr(trim(" ~ expr ~ "), 1, 6) || '19' || substr(trim(" ~ expr ~ "), 7, 9))") }}
        else nullif(upper(trim({{ expr }})), '')
    end
{%- endmacro %}

{#- What kind of number a canonical id is, when a source carries no id_type (card, mortgage). -#}
{% macro id_kind(canonical, id_type='null') -%}
    case
        when {{ canonical }} is null then null
        when {{ id_type }} = '03' then 'passport'
        when {{ id_type }} = '10' then 'uscc'
        when {{ regexp_like(canonical, '^[0-9]{17}[0-9X]$') }} then 'resident'
        when {{ id_type }} = '01' then 'resident'
        else 'passport'
    end
{%- endmacro %}

{#- A mobile as its 11 digits: +86, 86-, spaces and dashes removed; null when it is not one. -#}
{% macro canonical_mobile(expr) -%}
    case
        when length({{ regexp_substitute(expr, '[^0-9]') }}) = 11 then {{ regexp_substitute(expr, '[^0-9]') }}
        when length({{ regexp_substitute(expr, '[^0-9]') }}) = 13 and {{ regexp_substitute(expr, '[^0-9]') }} like '86%'
            then substr({{ regexp_substitute(expr, '[^0-9]') }}, 3, 11)
    end
{%- endmacro %}

{#- A name trimmed; a Chinese name has no spaces at all (stray ones are keying errors),
    other names keep single spaces between words. -#}
{% macro clean_name(expr) -%}
    case
        when {{ regexp_like(expr, '[\\x{3400}-\\x{9fff}]') }} then {{ regexp_substitute(expr, '\\s') }}
        else trim({{ regexp_substitute(expr, '\\s+', ' ') }})
    end
{%- endmacro %}

{#- dbt-duckdb leaves dbt.safe_cast a plain cast, which raises on a value it cannot convert (and
    DuckDB evaluates a cast even in a case branch not taken): on DuckDB it is try_cast, null instead. -#}
{% macro duckdb__safe_cast(field, type) -%} try_cast({{ field }} as {{ type }}) {%- endmacro %}

{#- A date written YYYY-MM-DD, as a DATE; null when the text is anything else (2026/01/05,
    2026-02-30, a time of day): in a hand-edited file a bad date is data to report, never an error. -#}
{% macro iso_date(expr) -%}
    case when {{ regexp_like(expr, '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') }} then {{ dbt.safe_cast(expr, 'date') }} end
{%- endmacro %}
