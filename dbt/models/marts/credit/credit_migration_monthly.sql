{#- The month-on-month migration matrix: customers and their exposure now, by final grade
    last month (NR when not graded then) and this month. Incremental by month. -#}

with grades as (
    select * from {{ ref('credit_grade_monthly') }}
),

current_month as (
    select * from grades where {{ contribution_months() }}
)

select
    current_month.month_start,
    current_month.as_of_date,
    coalesce(previous.final_grade, 'NR') as from_grade,
    previous.final_notch as from_notch,
    current_month.final_grade as to_grade,
    current_month.final_notch as to_notch,
    count(*) as customers,
    cast(sum(current_month.exposure_cny) as decimal(18,2)) as exposure_cny
from current_month
left join grades as previous
    on previous.customer_id = current_month.customer_id
    and previous.month_start = cast({{ dbt.dateadd('month', -1, 'current_month.month_start') }} as date)
group by current_month.month_start, current_month.as_of_date, coalesce(previous.final_grade, 'NR'),
         previous.final_notch, current_month.final_grade, current_month.final_notch
