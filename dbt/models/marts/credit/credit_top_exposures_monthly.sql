{#- The monthly lists a branch's risk officer watches: its ten largest exposures, and its ten
    longest overdue (days past due of loans and mortgages, then card cycles delinquent).
    Incremental by month. -#}

with grades as (
    select * from {{ ref('credit_grade_monthly') }}
    where {{ contribution_months() }}
),

ranked as (
    select
        'largest_exposure' as list,
        grades.*,
        row_number() over (partition by month_start, branch_code
                           order by exposure_cny desc, customer_id) as list_rank
    from grades
    where exposure_cny > 0
    union all
    select
        'longest_overdue',
        grades.*,
        row_number() over (partition by month_start, branch_code
                           order by days_past_due desc, cycles_delinquent desc, exposure_cny desc, customer_id)
    from grades
    where days_past_due > 0 or cycles_delinquent > 0
)

select
    month_start,
    as_of_date,
    branch_code,
    list,
    cast(list_rank as bigint) as list_rank,
    customer_id,
    rm_id,
    exposure_cny,
    days_past_due,
    cycles_delinquent,
    final_grade,
    xay
from ranked
where list_rank <= 10
