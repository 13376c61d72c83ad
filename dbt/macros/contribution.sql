{#- Helpers of contribution scoring and segmentation (docs/contribution.md). -#}

{#- One value of a parameter seed (parameter, value): a scalar subquery. -#}
{% macro seed_parameter(seed, name) -%}
    (select value from {{ ref(seed) }} where parameter = '{{ name }}')
{%- endmacro %}

{#- A banded seed (bands start at `from_column`) with each band's exclusive upper bound
    `<from_column>_to`, null for the last band: join it with
    `x >= band.<from> and (x < band.<from>_to or band.<from>_to is null)`. -#}
{% macro bands(seed, from_column) -%}
    select
        seed.*,
        lead({{ from_column }}) over (order by {{ from_column }}) as {{ from_column }}_to
    from {{ ref(seed) }} as seed
{%- endmacro %}

{#- Predicate: `value` falls in the band `band` of a bands() relation. -#}
{% macro in_band(value, band, from_column) -%}
    ({{ value }} >= {{ band }}.{{ from_column }}
     and ({{ value }} < {{ band }}.{{ from_column }}_to or {{ band }}.{{ from_column }}_to is null))
{%- endmacro %}

{#- An annual amount earned or charged over a month's period, to the cent:
    base (CNY) x annual rate (a fraction) x days of the period / days in the year. -#}
{% macro accrued(base, annual_rate, months='months') -%}
    {{ star_money(base ~ ' * ' ~ annual_rate ~ ' * ' ~ months ~ '.days_in_period / '
                  ~ seed_parameter('contribution_parameters', 'days_in_year')) }}
{%- endmacro %}

{#- Predicate for an incremental contribution model: the month is one the build recomputes
    (every month on a first build or --full-refresh). -#}
{% macro contribution_months(month_column='month_start') -%}
    {#- Referenced whatever the branch, so that dbt sees the dependency when it parses. -#}
    {%- set months = ref('int_contribution_months') -%}
    {%- if is_incremental() -%}
        {{ month_column }} in (select month_start from {{ months }} where is_rebuilt)
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- The card accounts held in each month of the CTE `months`, from the CTE `accounts` (dim_account):
    the card platform delivered the account in the month, and it is not closed. Contribution and
    credit grading count the same cards. -#}
{% macro card_accounts_held() -%}
    select months.month_start, accounts.account_key, accounts.credit_limit
    from accounts
    inner join months
        on accounts.first_seen_date <= months.period_end and accounts.last_seen_date >= months.month_start
    where accounts.product_line = 'card' and accounts.status <> 'CLOSED'
{%- endmacro %}

{#- A ratio of two amounts as DECIMAL(18,4) (null when the denominator is 0 or null). -#}
{% macro decimal_ratio(numerator, denominator) -%}
    case when {{ denominator }} = 0 then null
         else cast(round(({{ numerator }}) / ({{ denominator }}), 4) as decimal(18,4)) end
{%- endmacro %}

{#- The latest row of `relation` per month and account, among those dated from `since` (an
    expression on the CTE `months`) to the month's period_end: the month's own state, or the
    one carried over from before. -#}
{% macro latest_per_month(relation, date_column, since, columns) -%}
    select * from (
        select
            months.month_start,
            source.account_key,
            {%- for column in columns %}
            source.{{ column }},
            {%- endfor %}
            row_number() over (partition by months.month_start, source.account_key
                               order by source.{{ date_column }} desc) as recency
        from {{ relation }} as source
        inner join months on source.{{ date_column }} between cast({{ since }} as date) and months.period_end
    ) as ranked
    where recency = 1
{%- endmacro %}
