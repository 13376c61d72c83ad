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

{#- How a build brings a month-to-date running sum over the daily `fact` up to date: one entry per
    month the build recomputes, {month_start, period_end, read_from}. read_from is the first day the
    build reads: the day after the last one summed when the model keeps sums of the month and the
    fact's (business_date, delivery) pairs up to that day are still those summed (the month only
    gained days); otherwise month_start, and the month is summed whole. The dates are constants,
    so that a filter on them reaches the fact's scan and skips the other days' row groups.
    none on a first build or a full refresh: every month is summed whole. -#}
{% macro month_to_date_plan(fact) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set plan = [] -%}
    {%- set months = run_query('select month_start, period_end from ' ~ ref('int_contribution_months')
                               ~ ' where ' ~ contribution_months() ~ ' order by month_start') -%}
    {%- for month_start, period_end in months.rows -%}
        {%- set read_from = [month_start] -%}
        {%- set kept = run_query('select max(summed_through), max(summed_days) from ' ~ this
                                 ~ " where month_start = cast('" ~ month_start ~ "' as date)").rows[0] -%}
        {%- if kept[0] is not none -%}
            {%- set month = "select cast('" ~ month_start ~ "' as date) as month_start, cast('" ~ kept[0]
                            ~ "' as date) as period_end" -%}
            {%- set days = run_query(summed_days_sql(fact, month, "business_date between cast('" ~ month_start
                                                     ~ "' as date) and cast('" ~ kept[0] ~ "' as date)")).rows -%}
            {%- if days and days[0][1] == kept[1] -%}
                {%- do read_from.append(kept[0] + modules.datetime.timedelta(days=1)) -%}
            {%- endif -%}
        {%- endif -%}
        {%- do plan.append({'month_start': month_start, 'period_end': period_end, 'read_from': read_from[-1]}) -%}
    {%- endfor -%}
    {{ return(plan) }}
{%- endmacro %}

{#- The (business_date, delivery) pairs of `fact` in each month of `months` (a query of month_start
    and period_end), as one text per month ('2026-01-02:1,2026-01-03:2'): what a running sum records
    of the days it summed. `where` limits the fact's scan to those months' days. -#}
{% macro summed_days_sql(fact, months, where) -%}
    select
        months.month_start,
        {{ dbt.listagg(dbt.concat(['cast(days.business_date as ' ~ dbt.type_string() ~ ')', "':'",
                                   'cast(days.delivery as ' ~ dbt.type_string() ~ ')']),
                       "','", 'order by days.business_date') }} as summed_days
    from (
        select business_date, max(delivery) as delivery
        from {{ fact }}
        where {{ where }}
        group by business_date
    ) as days
    inner join ({{ months }}) as months on days.business_date between months.month_start and months.period_end
    group by months.month_start
{%- endmacro %}

{#- A where-predicate over a month_to_date_plan: `date_column` falls in one of the ranges
    [<from_key>, <to_key>] of its entries (or up to the day before <to_key> when `before_to`), as
    constants; 1 = 0 when no entry has such a range. `whole_plan` is the predicate for a plan of
    none (every month summed whole). -#}
{% macro plan_dates_predicate(plan, date_column, from_key, to_key, before_to=false, whole_plan='1 = 1') -%}
    {%- if plan is none -%}
        {{ return(whole_plan) }}
    {%- endif -%}
    {%- set ranges = [] -%}
    {%- for month in plan -%}
        {%- set last_day = month[to_key] - modules.datetime.timedelta(days=1) if before_to else month[to_key] -%}
        {%- if month[from_key] <= last_day -%}
            {%- do ranges.append(date_column ~ " between cast('" ~ month[from_key] ~ "' as date) and cast('"
                                 ~ last_day ~ "' as date)") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('(' ~ ranges | join(' or ') ~ ')' if ranges else '1 = 0') }}
{%- endmacro %}

{#- A 64-bit hash of `expr` as DECIMAL(20,0): summed over a set of keys, it tells whether the set
    changed, without sorting it (an ordered text aggregate costs seconds at a million customers).
    Each engine compares only its own hashes. -#}
{% macro key_hash(expr) -%}
    {{ return(adapter.dispatch('key_hash', 'bank360')(expr)) }}
{%- endmacro %}

{% macro default__key_hash(expr) -%}
    cast(xxhash64({{ expr }}) as decimal(20,0))
{%- endmacro %}

{% macro duckdb__key_hash(expr) -%}
    cast(hash({{ expr }}) as decimal(20,0))
{%- endmacro %}
