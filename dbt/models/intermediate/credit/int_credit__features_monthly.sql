{#- The characteristics a customer is graded on, per month at the end of its period (the
    grading date): payment record, utilisation, debt burden, deposit cover, collateral, tenure
    (docs/credit-model.md). One row per customer known at the grading date, whether or not
    they borrow. Incremental by month, as int_credit__account_states_monthly. -#}

with months as (
    select * from {{ ref('int_contribution_months') }}
    where {{ contribution_months() }}
),

customers as (
    select months.month_start, months.period_end, customers.*
    from {{ ref('dim_customer') }} as customers
    inner join months on months.period_end between customers.valid_from and customers.valid_to
),

states as (
    select * from {{ ref('int_credit__account_states_monthly') }}
),

{#- The worst payment record of the last `history_months` months, this one included. -#}
history as (
    select
        months.month_start,
        states.customer_id,
        max(states.worst_days_past_due) as worst_days_past_due_12m,
        max(states.worst_cycles_delinquent) as worst_cycles_delinquent_12m
    from states
    inner join months
        on states.month_start > cast({{ dbt.dateadd('month', '-' ~ seed_parameter('credit_parameters',
                                                    'history_months'), 'months.month_start') }} as date)
        and states.month_start <= months.month_start
    group by months.month_start, states.customer_id
),

credit as (
    select
        states.month_start,
        states.customer_id,
        sum(case when states.product_line = 'loan' then states.exposure_cny else 0 end) as loan_exposure_cny,
        sum(case when states.product_line = 'mortgage' then states.exposure_cny else 0 end) as mortgage_exposure_cny,
        sum(case when states.product_line = 'card' then states.exposure_cny else 0 end) as card_exposure_cny,
        sum(states.credit_limit_cny) as card_limit_cny,
        sum(states.cash_advance_cny) as card_cash_advance_cny,
        sum(case when states.is_secured then 0 else states.exposure_cny end) as unsecured_exposure_cny,
        max(states.days_past_due) as days_past_due,
        max(states.five_class) as five_class,
        max(states.five_class - coalesce(states.five_class_lookback, states.five_class)) as five_class_change,
        max(states.cycles_delinquent) as cycles_delinquent,
        max(states.loan_to_value) as loan_to_value,
        max(case when states.is_in_default then 1 else 0 end) as is_in_default,
        max(case when states.defaulted_in_month then 1 else 0 end) as defaulted_in_month
    from states
    inner join months on states.month_start = months.month_start
    group by states.month_start, states.customer_id
),

{#- Deposits at the grading date and `lookback_days` before it (the latest day the deposit
    system delivered balances by then: the delivery ledger, as contribution counts its days). -#}
deposit_dates as (
    select
        months.month_start,
        max(balances.business_date) as on_date,
        max(case when balances.business_date <= cast({{ dbt.dateadd('day', '-' ~ seed_parameter(
                'credit_parameters', 'lookback_days'), 'months.period_end') }} as date)
            then balances.business_date end) as lookback_date
    from {{ ref('int_feed_deliveries') }} as balances
    inner join months on balances.business_date <= months.period_end
    where balances.source_system = 'deposit' and balances.feed = 'BALANCE'
    group by months.month_start
),

deposits as (
    select
        deposit_dates.month_start,
        accounts.customer_id,
        sum(case when balances.business_date = deposit_dates.on_date then balances.ledger_balance_cny else 0 end)
            as deposit_balance_cny,
        sum(case when balances.business_date = deposit_dates.lookback_date then balances.ledger_balance_cny else 0 end)
            as deposit_balance_lookback_cny
    from {{ ref('fct_deposit_balance_daily') }} as balances
    inner join deposit_dates
        on balances.business_date in (deposit_dates.on_date, deposit_dates.lookback_date)
    inner join {{ ref('dim_account') }} as accounts on balances.account_key = accounts.account_key
    group by deposit_dates.month_start, accounts.customer_id
),

joined as (
    select
        customers.month_start,
        customers.period_end as as_of_date,
        customers.customer_id,
        customers.customer_kind,
        customers.branch_code,
        customers.rm_id,
        customers.annual_income,
        {{ dbt.datediff('customers.customer_since', 'customers.period_end', 'month') }} as tenure_months,
        credit.customer_id is not null as has_credit,
        coalesce(credit.loan_exposure_cny, 0) as loan_exposure_cny,
        coalesce(credit.mortgage_exposure_cny, 0) as mortgage_exposure_cny,
        coalesce(credit.card_exposure_cny, 0) as card_exposure_cny,
        coalesce(credit.loan_exposure_cny, 0) + coalesce(credit.mortgage_exposure_cny, 0)
            + coalesce(credit.card_exposure_cny, 0) as exposure_cny,
        credit.card_limit_cny,
        credit.card_cash_advance_cny,
        credit.unsecured_exposure_cny,
        coalesce(credit.days_past_due, 0) as days_past_due,
        coalesce(history.worst_days_past_due_12m, 0) as worst_days_past_due_12m,
        credit.five_class,
        coalesce(credit.five_class_change, 0) as five_class_change,
        coalesce(credit.cycles_delinquent, 0) as cycles_delinquent,
        coalesce(history.worst_cycles_delinquent_12m, 0) as worst_cycles_delinquent_12m,
        credit.loan_to_value,
        coalesce(deposits.deposit_balance_cny, 0) as deposit_balance_cny,
        deposits.deposit_balance_lookback_cny,
        coalesce(credit.is_in_default, 0) = 1 as is_in_default,
        coalesce(credit.defaulted_in_month, 0) = 1 as defaulted_in_month
    from customers
    left join credit on customers.month_start = credit.month_start and customers.customer_id = credit.customer_id
    left join history on customers.month_start = history.month_start and customers.customer_id = history.customer_id
    left join deposits
        on customers.month_start = deposits.month_start and customers.customer_id = deposits.customer_id
)

select
    month_start,
    as_of_date,
    customer_id,
    customer_kind,
    branch_code,
    rm_id,
    annual_income,
    tenure_months,
    has_credit,
    cast(loan_exposure_cny as decimal(18,2)) as loan_exposure_cny,
    cast(mortgage_exposure_cny as decimal(18,2)) as mortgage_exposure_cny,
    cast(card_exposure_cny as decimal(18,2)) as card_exposure_cny,
    cast(exposure_cny as decimal(18,2)) as exposure_cny,
    cast(card_limit_cny as decimal(18,2)) as card_limit_cny,
    cast(deposit_balance_cny as decimal(18,2)) as deposit_balance_cny,
    cast(deposit_balance_lookback_cny as decimal(18,2)) as deposit_balance_lookback_cny,
    days_past_due,
    worst_days_past_due_12m,
    five_class,
    five_class_change,
    cycles_delinquent,
    worst_cycles_delinquent_12m,
    {{ decimal_ratio('card_exposure_cny', 'card_limit_cny') }} as card_utilisation,
    {{ decimal_ratio('card_cash_advance_cny', 'card_limit_cny') }} as card_cash_advance_share,
    {#- Debt burden: what is owed against a year's declared income (individuals). -#}
    {{ decimal_ratio('exposure_cny', 'annual_income') }} as debt_to_income,
    {#- Deposit cover: deposits against what is owed (null without debt). -#}
    {{ decimal_ratio('deposit_balance_cny', 'exposure_cny') }} as deposit_cover,
    {{ decimal_ratio('unsecured_exposure_cny', 'exposure_cny') }} as unsecured_share,
    loan_to_value,
    {{ decimal_ratio('deposit_balance_cny - deposit_balance_lookback_cny', 'deposit_balance_lookback_cny') }}
        as deposit_change,
    is_in_default,
    defaulted_in_month
from joined
