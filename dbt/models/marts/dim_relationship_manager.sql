{#- Relationship managers (and loan officers): one row per employee id found in the latest
    deposit CUSTOMER snapshot (rm_id) or the latest loan CONTRACT snapshot (officer_id).
    Both systems use the same employee ids (E + 6 digits). No names are delivered by any
    source system, so the dimension carries ids, a home branch and portfolio counts only. -#}
with latest_customers as (
    select cif_no, branch_code, rm_id
    from {{ ref('stg_deposit__customers') }}
    where rm_id is not null
        and business_date = (select max(business_date) from {{ ref('stg_deposit__customers') }})
),

latest_contracts as (
    select contract_no, borrower_id, branch_code, officer_id
    from {{ ref('stg_loan__contracts') }}
    where officer_id is not null
        and business_date = (select max(business_date) from {{ ref('stg_loan__contracts') }})
),

{#- Home branch: the branch most of the employee's deposit customers belong to (ties: the
    smallest code); for an employee who is only a loan officer, the same over contracts. -#}
branch_votes as (
    select rm_id as employee_id, branch_code, 1 as source_rank, count(*) as votes
    from latest_customers
    group by rm_id, branch_code
    union all
    select officer_id, branch_code, 2, count(*)
    from latest_contracts
    group by officer_id, branch_code
),

home_branch as (
    select employee_id, branch_code
    from (
        select
            employee_id,
            branch_code,
            row_number() over (
                partition by employee_id order by source_rank, votes desc, branch_code
            ) as preference
        from branch_votes
    ) as ranked
    where preference = 1
),

deposit_portfolio as (
    select rm_id as employee_id, count(distinct cif_no) as customer_count
    from latest_customers
    group by rm_id
),

loan_portfolio as (
    select
        officer_id as employee_id,
        count(distinct contract_no) as loan_contract_count,
        count(distinct borrower_id) as loan_borrower_count
    from latest_contracts
    group by officer_id
)

select
    home_branch.employee_id as rm_id,
    home_branch.branch_code,
    cast(coalesce(deposit_portfolio.customer_count, 0) as integer) as customer_count,
    cast(coalesce(loan_portfolio.loan_contract_count, 0) as integer) as loan_contract_count,
    cast(coalesce(loan_portfolio.loan_borrower_count, 0) as integer) as loan_borrower_count,
    deposit_portfolio.employee_id is not null as is_relationship_manager,
    loan_portfolio.employee_id is not null as is_loan_officer
from home_branch
left join deposit_portfolio on deposit_portfolio.employee_id = home_branch.employee_id
left join loan_portfolio on loan_portfolio.employee_id = home_branch.employee_id
