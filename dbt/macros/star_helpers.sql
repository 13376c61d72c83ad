{#- Small helpers shared by the star-schema marts (dimensions and facts). -#}

{#- The conformed account key: product line and the source system's account number. -#}
{% macro star_account_key(product_line, account_no) -%}
    ('{{ product_line }}' || ':' || {{ account_no }})
{%- endmacro %}

{#- Money: a decimal product rounded half-up to the cent, DECIMAL(18,2). Amounts are never
    negative in interface v1; round() on a DECIMAL rounds half away from zero on DuckDB and
    HALF_UP on Spark, so half-up holds on both. -#}
{% macro star_money(expr) -%}
    cast(round({{ expr }}, 2) as decimal(18,2))
{%- endmacro %}

{#- numerator / denominator rounded half-up to `scale` places, DECIMAL(9, scale); null when
    the denominator is 0 or null. Engines divide decimals in floating point (DuckDB returns
    DOUBLE), which can turn an exact tie (864.15 / 7000 = 0.12345) into 0.12344999...; so the
    quotient is computed as floor((2 * 10^scale * n + d) / (2 * d)): at a tie the quotient is
    an exact integer, which floating-point division represents exactly. For non-negative
    numerator and positive denominator with 2 decimals, as the interface guarantees. -#}
{% macro star_ratio_half_up(numerator, denominator, scale=4) -%}
    {%- set factor = 10 ** scale -%}
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else cast(
            floor(({{ 2 * factor }} * {{ numerator }} + {{ denominator }}) / (2 * {{ denominator }}))
            / {{ factor }}
            as decimal(9, {{ scale }}))
    end
{%- endmacro %}

{#- numerator / denominator in CNY, rounded half away from zero to the cent, for an amount divided
    by a positive count (an average over days). As star_ratio_half_up: the quotient whose floor is
    taken is an integer at a tie, so DuckDB's floating-point division and Spark's decimal division
    give the same cent. -#}
{% macro star_money_ratio(numerator, denominator) -%}
    cast(
        case when {{ numerator }} < 0 then -1 else 1 end
        * floor((200 * abs({{ numerator }}) + {{ denominator }}) / (2 * {{ denominator }})) / 100
        as decimal(18,2))
{%- endmacro %}

{#- The mortgage system's rate_type (FIXED, LPR_FLOAT) as a dim_product code. -#}
{% macro star_mortgage_product_code(rate_type) -%}
    ('MORTGAGE_' || {{ rate_type }})
{%- endmacro %}
