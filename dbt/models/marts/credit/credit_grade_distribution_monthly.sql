{#- How the book is graded per month: customers and exposure by branch, product line held
    and final grade. A customer counts once under each credit line they hold (with that
    line's exposure), and under `none` when they hold no credit. Incremental by month. -#}

with grades as (
    select * from {{ ref('credit_grade_monthly') }}
    where {{ contribution_months() }}
),

lines as (
    select month_start, customer_id, product_line, sum(exposure_cny) as exposure_cny
    from {{ ref('int_credit__account_states_monthly') }}
    where {{ contribution_months() }}
    group by month_start, customer_id, product_line
)

select
    grades.month_start,
    grades.as_of_date,
    grades.branch_code,
    coalesce(lines.product_line, 'none') as product_line,
    grades.final_grade,
    grades.final_notch,
    count(*) as customers,
    cast(coalesce(sum(lines.exposure_cny), 0) as decimal(18,2)) as exposure_cny
from grades
left join lines on grades.month_start = lines.month_start and grades.customer_id = lines.customer_id
group by grades.month_start, grades.as_of_date, grades.branch_code, coalesce(lines.product_line, 'none'),
         grades.final_grade, grades.final_notch
