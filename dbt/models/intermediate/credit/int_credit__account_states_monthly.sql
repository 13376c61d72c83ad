{#- Every credit account a customer holds (loan, mortgage, card), per month: its state at the
    end of the month's period (the grading date) and the worst it reached in the month. The
    default definition and every threshold are seeds (seeds/credit/credit_parameters.csv).
    Incremental by month, as contribution (int_contribution_months.is_rebuilt). -#}

with months as (
    select * from {{ ref('int_contribution_months') }}
    where {{ contribution_months() }}
),

accounts as (
    select * from {{ ref('dim_account') }}
    where product_line in ('loan', 'mortgage', 'card')
),

{#- Loans: every daily position of the month; the period end's is the state graded. -#}
loan_month as (
    select
        months.month_start,
        positions.account_key,
        max(positions.days_past_due) as worst_days_past_due,
        max(positions.five_class) as worst_five_class
    from {{ ref('fct_loan_position_daily') }} as positions
    inner join months on positions.business_date between months.month_start and months.period_end
    where positions.position_status <> 'SETTLED'
    group by months.month_start, positions.account_key
),

loan_end as (
    {{ latest_per_month(ref('fct_loan_position_daily'), 'business_date', 'months.month_start',
                        ['outstanding_principal', 'days_past_due', 'five_class', 'position_status']) }}
),

{#- The five-class `lookback_days` before the period end, for the early warning of a downgrade. -#}
loan_then as (
    select * from (
        select
            months.month_start,
            positions.account_key,
            positions.five_class,
            row_number() over (partition by months.month_start, positions.account_key
                               order by positions.business_date desc) as recency
        from {{ ref('fct_loan_position_daily') }} as positions
        inner join months
            on positions.business_date <= cast({{ dbt.dateadd('day', '-' ~ seed_parameter('credit_parameters',
                                                                 'lookback_days'), 'months.period_end') }} as date)
            and positions.business_date > cast({{ dbt.dateadd('day', -62, 'months.period_end') }} as date)
    ) as ranked
    where recency = 1
),

loans as (
    select
        loan_end.month_start,
        loan_end.account_key,
        case when loan_end.position_status = 'ACTIVE' then loan_end.outstanding_principal else 0 end as exposure_cny,
        cast(null as decimal(18,2)) as credit_limit_cny,
        loan_end.days_past_due,
        loan_end.five_class,
        loan_then.five_class as five_class_lookback,
        cast(null as integer) as cycles_delinquent,
        cast(null as decimal(18,2)) as cash_advance_cny,
        coalesce(loan_month.worst_days_past_due, 0) as worst_days_past_due,
        coalesce(loan_month.worst_five_class, 1) as worst_five_class,
        cast(null as integer) as worst_cycles_delinquent,
        contracts.collateral_type in ('PROPERTY', 'VEHICLE', 'DEPOSIT_PLEDGE') as is_secured,
        cast(null as decimal(9,4)) as loan_to_value,
        loan_end.position_status = 'WRITTEN_OFF' as is_written_off
    from loan_end
    left join loan_month
        on loan_end.month_start = loan_month.month_start and loan_end.account_key = loan_month.account_key
    left join loan_then
        on loan_end.month_start = loan_then.month_start and loan_end.account_key = loan_then.account_key
    inner join accounts on loan_end.account_key = accounts.account_key
    left join {{ ref('int_latest__loan_contracts') }} as contracts on accounts.account_no = contracts.contract_no
    where loan_end.position_status <> 'SETTLED'
),

{#- Mortgages: month-end positions only; a running month carries the previous month end's. -#}
mortgage_end as (
    {{ latest_per_month(ref('fct_mortgage_position_monthly'), 'business_date',
                        dbt.dateadd('day', -1, 'months.month_start'),
                        ['outstanding_principal', 'days_past_due', 'five_class']) }}
),

mortgages as (
    select
        mortgage_end.month_start,
        mortgage_end.account_key,
        mortgage_end.outstanding_principal as exposure_cny,
        cast(null as decimal(18,2)) as credit_limit_cny,
        mortgage_end.days_past_due,
        mortgage_end.five_class,
        mortgage_end.five_class as five_class_lookback,
        cast(null as integer) as cycles_delinquent,
        cast(null as decimal(18,2)) as cash_advance_cny,
        mortgage_end.days_past_due as worst_days_past_due,
        mortgage_end.five_class as worst_five_class,
        cast(null as integer) as worst_cycles_delinquent,
        true as is_secured,
        {{ star_ratio_half_up('mortgage_end.outstanding_principal', 'contracts.property_value') }} as loan_to_value,
        false as is_written_off
    from mortgage_end
    inner join accounts on mortgage_end.account_key = accounts.account_key
    left join {{ ref('int_latest__mortgage_contracts') }} as contracts on accounts.account_no = contracts.mortgage_no
    where mortgage_end.outstanding_principal > 0
),

{#- Cards: the latest statement (of the month, or the month before); the worst delinquency
    of the statements cut in the month. -#}
card_end as (
    {{ latest_per_month(ref('fct_card_statement'), 'statement_date', dbt.dateadd('month', -1, 'months.month_start'),
                        ['statement_balance', 'credit_limit', 'cycles_delinquent', 'cash_advance_balance']) }}
),

card_accounts as ({{ card_accounts_held() }}),

card_month as (
    select months.month_start, statements.account_key, max(statements.cycles_delinquent) as worst_cycles_delinquent
    from {{ ref('fct_card_statement') }} as statements
    inner join months on statements.statement_date between months.month_start and months.period_end
    group by months.month_start, statements.account_key
),

cards as (
    select
        card_accounts.month_start,
        card_accounts.account_key,
        coalesce(card_end.statement_balance, 0) as exposure_cny,
        coalesce(card_end.credit_limit, card_accounts.credit_limit) as credit_limit_cny,
        cast(null as integer) as days_past_due,
        cast(null as integer) as five_class,
        cast(null as integer) as five_class_lookback,
        coalesce(card_end.cycles_delinquent, 0) as cycles_delinquent,
        coalesce(card_end.cash_advance_balance, 0) as cash_advance_cny,
        cast(null as integer) as worst_days_past_due,
        cast(null as integer) as worst_five_class,
        greatest(coalesce(card_month.worst_cycles_delinquent, 0), coalesce(card_end.cycles_delinquent, 0))
            as worst_cycles_delinquent,
        false as is_secured,
        cast(null as decimal(9,4)) as loan_to_value,
        false as is_written_off
    from card_accounts
    left join card_end
        on card_accounts.month_start = card_end.month_start and card_accounts.account_key = card_end.account_key
    left join card_month
        on card_accounts.month_start = card_month.month_start and card_accounts.account_key = card_month.account_key
),

states as (
    select 'loan' as product_line, * from loans
    union all
    select 'mortgage', * from mortgages
    union all
    select 'card', * from cards
)

select
    states.month_start,
    accounts.customer_id,
    states.account_key,
    states.product_line,
    cast(states.exposure_cny as decimal(18,2)) as exposure_cny,
    cast(states.credit_limit_cny as decimal(18,2)) as credit_limit_cny,
    states.days_past_due,
    states.five_class,
    states.five_class_lookback,
    states.cycles_delinquent,
    cast(states.cash_advance_cny as decimal(18,2)) as cash_advance_cny,
    states.worst_days_past_due,
    states.worst_five_class,
    states.worst_cycles_delinquent,
    states.is_secured,
    states.loan_to_value,
    {#- In default at the grading date, and at any time in the month. -#}
    {{ credit_in_default('states.days_past_due', 'states.five_class', 'states.cycles_delinquent') }}
        or states.is_written_off as is_in_default,
    {{ credit_in_default('states.worst_days_past_due', 'states.worst_five_class', 'states.worst_cycles_delinquent') }}
        or states.is_written_off as defaulted_in_month
from states
inner join accounts on states.account_key = accounts.account_key
