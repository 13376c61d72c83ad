{#- One row per current customer: who they are, who owns them, what they hold and owe, each
    product line at its system's latest business date, in CNY, what they contribute (the
    latest month of customer_contribution_monthly), and their credit standing (the latest
    month of credit_grade_monthly and its early warnings). -#}

with customers as (
    select * from {{ ref('dim_customer') }} where is_current
),

accounts as (
    select * from {{ ref('dim_account') }}
),

deposits as (
    select accounts.customer_id,
           count(*) as deposit_accounts,
           sum(balances.ledger_balance_cny) as deposit_balance_cny
    from {{ ref('fct_deposit_balance_daily') }} as balances
    inner join accounts on balances.account_key = accounts.account_key
    where balances.business_date = (select max(business_date) from {{ ref('fct_deposit_balance_daily') }})
    group by accounts.customer_id
),

loans as (
    select accounts.customer_id,
           count(*) as loan_contracts,
           sum(positions.outstanding_principal) as loan_outstanding_cny,
           max(positions.days_past_due) as loan_days_past_due,
           max(positions.five_class) as loan_five_class
    from {{ ref('fct_loan_position_daily') }} as positions
    inner join accounts on positions.account_key = accounts.account_key
    where positions.business_date = (select max(business_date) from {{ ref('fct_loan_position_daily') }})
        and positions.position_status = 'ACTIVE'
    group by accounts.customer_id
),

mortgages as (
    select accounts.customer_id,
           count(*) as mortgage_contracts,
           sum(positions.outstanding_principal) as mortgage_outstanding_cny,
           max(positions.days_past_due) as mortgage_days_past_due,
           max(positions.five_class) as mortgage_five_class
    from {{ ref('fct_mortgage_position_monthly') }} as positions
    inner join accounts on positions.account_key = accounts.account_key
    where positions.business_date = (select max(business_date) from {{ ref('fct_mortgage_position_monthly') }})
    group by accounts.customer_id
),

latest_statements as (
    select * from (
        select statements.*,
               row_number() over (partition by card_acct_no order by statement_date desc) as recency
        from {{ ref('fct_card_statement') }} as statements
    ) as ranked
    where recency = 1
),

contribution as (
    select * from {{ ref('customer_contribution_monthly') }}
    where month_start = (select max(month_start) from {{ ref('customer_contribution_monthly') }})
),

credit as (
    select * from {{ ref('credit_grade_monthly') }}
    where month_start = (select max(month_start) from {{ ref('credit_grade_monthly') }})
),

warnings as (
    select customer_id, {{ dbt.listagg('rule_code', "', '", 'order by rule_code') }} as credit_warnings
    from {{ ref('credit_watch_list_monthly') }}
    where month_start = (select max(month_start) from {{ ref('credit_watch_list_monthly') }})
    group by customer_id
),

cards as (
    select accounts.customer_id,
           count(*) as card_accounts,
           sum(accounts.credit_limit) as card_credit_limit,
           sum(coalesce(latest_statements.statement_balance, 0)) as card_balance_cny,
           max(coalesce(latest_statements.cycles_delinquent, 0)) as card_cycles_delinquent
    from accounts
    left join latest_statements on accounts.account_no = latest_statements.card_acct_no
    where accounts.product_line = 'card' and accounts.is_open
    group by accounts.customer_id
)

select
    customers.customer_id,
    customers.customer_kind,
    customers.customer_name,
    customers.id_kind,
    customers.id_no,
    customers.birth_date,
    customers.gender,
    customers.mobile,
    customers.address,
    customers.annual_income,
    customers.customer_since,
    customers.branch_code,
    branches.branch_name,
    branches.tier2_branch_name,
    branches.tier1_branch_name,
    customers.rm_id,
    coalesce(deposits.deposit_accounts, 0) as deposit_accounts,
    cast(coalesce(deposits.deposit_balance_cny, 0) as decimal(18, 2)) as deposit_balance_cny,
    coalesce(loans.loan_contracts, 0) as loan_contracts,
    cast(coalesce(loans.loan_outstanding_cny, 0) as decimal(18, 2)) as loan_outstanding_cny,
    coalesce(mortgages.mortgage_contracts, 0) as mortgage_contracts,
    cast(coalesce(mortgages.mortgage_outstanding_cny, 0) as decimal(18, 2)) as mortgage_outstanding_cny,
    coalesce(cards.card_accounts, 0) as card_accounts,
    cast(coalesce(cards.card_credit_limit, 0) as decimal(18, 2)) as card_credit_limit_cny,
    cast(coalesce(cards.card_balance_cny, 0) as decimal(18, 2)) as card_balance_cny,
    {{ star_ratio_half_up('cards.card_balance_cny', 'cards.card_credit_limit') }} as card_utilisation,
    cast(coalesce(deposits.deposit_balance_cny, 0) as decimal(18, 2)) as total_assets_cny,
    cast(coalesce(loans.loan_outstanding_cny, 0) + coalesce(mortgages.mortgage_outstanding_cny, 0)
         + coalesce(cards.card_balance_cny, 0) as decimal(18, 2)) as total_liabilities_cny,
    case when loans.customer_id is null and mortgages.customer_id is null then null
         else greatest(coalesce(loans.loan_days_past_due, 0), coalesce(mortgages.mortgage_days_past_due, 0))
    end as worst_days_past_due,
    cards.card_cycles_delinquent,
    case when loans.customer_id is null and mortgages.customer_id is null then null
         else greatest(coalesce(loans.loan_five_class, 0), coalesce(mortgages.mortgage_five_class, 0))
    end as worst_five_class,
    contribution.month_start as contribution_month,
    contribution.contribution_cny,
    contribution.contribution_score,
    contribution.abc_segment,
    contribution.customer_tier,
    contribution.branch_rank as branch_contribution_rank,
    contribution.rm_rank as rm_contribution_rank,
    credit.as_of_date as credit_as_of_date,
    credit.score as credit_score,
    credit.system_grade as credit_system_grade,
    credit.override_grade as credit_override_grade,
    credit.override_approved_by as credit_override_approved_by,
    credit.final_grade as credit_grade,
    credit.final_pd as credit_pd,
    credit.xay as credit_xay,
    credit.recommended_limit_cny as credit_recommended_limit_cny,
    credit.score_reasons as credit_score_reasons,
    warnings.credit_warnings
from customers
left join {{ ref('dim_branch') }} as branches on customers.branch_code = branches.branch_code
left join deposits on customers.customer_id = deposits.customer_id
left join loans on customers.customer_id = loans.customer_id
left join mortgages on customers.customer_id = mortgages.customer_id
left join cards on customers.customer_id = cards.customer_id
left join contribution on customers.customer_id = contribution.customer_id
left join credit on customers.customer_id = credit.customer_id
left join warnings on customers.customer_id = warnings.customer_id
