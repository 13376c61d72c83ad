{#- Calendar dimension, one row per day from var calendar_start to var calendar_end.
    The series comes from the dispatched macro star_date_spine; the rest is portable SQL. -#}
with spine as (
    {{ star_date_spine(var('calendar_start', '2000-01-01'), var('calendar_end', '2040-12-31')) }}
),

days as (
    select
        cast(date_day as date) as date_day,
        cast(extract(year from date_day) as integer) as year,
        cast(extract(quarter from date_day) as integer) as quarter,
        cast(extract(month from date_day) as integer) as month,
        cast(extract(day from date_day) as integer) as day_of_month,
        {#- ISO day of week (Monday 1 .. Sunday 7), counted from a known Monday (1900-01-01). -#}
        cast(
            ((({{ dbt.datediff("cast('1900-01-01' as date)", 'date_day', 'day') }}) % 7) + 7) % 7 + 1
            as integer) as day_of_week,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.last_day('date_day', 'month') }} as date) as month_end
    from spine
)

select
    date_day,
    year,
    quarter,
    month,
    case month
        when 1 then 'January' when 2 then 'February' when 3 then 'March'
        when 4 then 'April' when 5 then 'May' when 6 then 'June'
        when 7 then 'July' when 8 then 'August' when 9 then 'September'
        when 10 then 'October' when 11 then 'November' when 12 then 'December'
    end as month_name,
    day_of_month,
    day_of_week,
    date_day = month_end as is_month_end,
    month_start,
    month_end,
    cast(year as {{ dbt.type_string() }}) || '-' || lpad(cast(month as {{ dbt.type_string() }}), 2, '0') as year_month
from days
