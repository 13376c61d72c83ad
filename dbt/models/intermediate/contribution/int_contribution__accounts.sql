{#- Risk-adjusted contribution of every account held, per month (month-to-date for a running
    month), in CNY, by the rules of docs/contribution.md; every rate, cost and loss parameter
    is a seed (seeds/contribution). Incremental by month: a build recomputes the months it
    delivered into (int_contribution_months.is_rebuilt), whole. -#}

with months as (
    select * from {{ ref('int_contribution_months') }}
    where {{ contribution_months() }}
),

accounts as (
    select * from {{ ref('dim_account') }}
),

ftp as ({{ bands('ftp_curve', 'tenor_months_from') }}),

mortgage_lgd as ({{ bands('mortgage_lgd_by_ltv', 'ltv_from') }}),

card_pd as ({{ bands('pd_by_card_cycles', 'cycles_delinquent_from') }}),

{#- Deposits: average daily balance over the days the deposit system delivered in the month
    (an account absent on a day, not yet opened or closed, counts as zero that day). -#}
deposit_days as (
    select months.month_start, balances.account_key, sum(balances.ledger_balance_cny) as balance_sum_cny
    from {{ ref('fct_deposit_balance_daily') }} as balances
    inner join months on balances.business_date between months.month_start and months.period_end
    group by months.month_start, balances.account_key
),

deposits as (
    select
        months.month_start,
        accounts.account_key,
        {{ star_money_ratio('deposit_days.balance_sum_cny', 'months.deposit_days') }} as average_balance_cny,
        accounts.interest_rate as customer_rate_pct,
        ftp.ftp_rate_pct,
        cast(0 as decimal(18,2)) as expected_loss_base_cny,
        cast(0 as decimal(9,4)) as lgd
    from deposit_days
    inner join months on deposit_days.month_start = months.month_start
    inner join accounts on deposit_days.account_key = accounts.account_key
    left join {{ ref('products') }} as products on accounts.product_code = products.product_code
    left join ftp on {{ in_band('coalesce(products.tenor_months, 0)', 'ftp', 'tenor_months_from') }}
),

{#- Loans: average daily principal outstanding; the expected-loss base weighs each day's
    principal by the PD of that day's five-class. Written-off contracts earn nothing. -#}
loan_days as (
    select
        months.month_start,
        positions.account_key,
        sum(positions.outstanding_principal) as balance_sum_cny,
        sum(positions.outstanding_principal * pd.pd) as expected_loss_base_sum_cny
    from {{ ref('fct_loan_position_daily') }} as positions
    inner join months on positions.business_date between months.month_start and months.period_end
    left join {{ ref('pd_by_five_class') }} as pd on positions.five_class = pd.five_class
    where positions.position_status <> 'WRITTEN_OFF'
    group by months.month_start, positions.account_key
),

loans as (
    select
        months.month_start,
        accounts.account_key,
        {{ star_money_ratio('loan_days.balance_sum_cny', 'months.loan_days') }} as average_balance_cny,
        accounts.interest_rate as customer_rate_pct,
        ftp.ftp_rate_pct,
        {{ star_money_ratio('loan_days.expected_loss_base_sum_cny', 'months.loan_days') }} as expected_loss_base_cny,
        lgd.lgd
    from loan_days
    inner join months on loan_days.month_start = months.month_start
    inner join accounts on loan_days.account_key = accounts.account_key
    left join {{ ref('int_latest__loan_contracts') }} as contracts on accounts.account_no = contracts.contract_no
    left join {{ ref('lgd_by_collateral') }} as lgd on contracts.collateral_type = lgd.collateral_type
    left join ftp on {{ in_band(dbt.datediff('accounts.open_date', 'accounts.maturity_date', 'month'), 'ftp',
                                'tenor_months_from') }}
),

{#- Mortgages: the system delivers month-end positions only, so the month's own position stands
    for the month, and a running month takes the previous month end's. -#}
mortgage_positions as (
    {{ latest_per_month(ref('fct_mortgage_position_monthly'), 'business_date',
                        dbt.dateadd('day', -1, 'months.month_start'), ['outstanding_principal', 'five_class']) }}
),

mortgages as (
    select
        mortgage_positions.month_start,
        accounts.account_key,
        mortgage_positions.outstanding_principal as average_balance_cny,
        accounts.interest_rate as customer_rate_pct,
        ftp.ftp_rate_pct,
        {{ star_money('mortgage_positions.outstanding_principal * pd.pd') }} as expected_loss_base_cny,
        mortgage_lgd.lgd
    from mortgage_positions
    inner join accounts on mortgage_positions.account_key = accounts.account_key
    left join {{ ref('int_latest__mortgage_contracts') }} as contracts on accounts.account_no = contracts.mortgage_no
    left join {{ ref('pd_by_five_class') }} as pd on mortgage_positions.five_class = pd.five_class
    left join mortgage_lgd
        on {{ in_band('mortgage_positions.outstanding_principal / nullif(contracts.property_value, 0)', 'mortgage_lgd',
                      'ltv_from') }}
    left join ftp on {{ in_band('contracts.term_months', 'ftp', 'tenor_months_from') }}
),

{#- Cards: income is what the statements cut in the month charged, plus interchange on the
    month's purchases net of refunds (none when refunds exceed purchases); the balance at risk and the revolving balance to fund
    are the latest statement's (of this month, or else the previous one). -#}
card_income as (
    select
        months.month_start,
        statements.account_key,
        sum(statements.interest_charged) as interest_charged,
        sum(statements.fees_charged) as fees_charged
    from {{ ref('fct_card_statement') }} as statements
    inner join months on statements.statement_date between months.month_start and months.period_end
    group by months.month_start, statements.account_key
),

card_statements as (
    {{ latest_per_month(ref('fct_card_statement'), 'statement_date', dbt.dateadd('month', -1, 'months.month_start'),
                        ['statement_balance', 'revolving_balance', 'cycles_delinquent']) }}
),

card_purchases as (
    select
        months.month_start,
        transactions.account_key,
        sum(case when transactions.txn_type = 'PURCHASE' then transactions.amount
                 when transactions.txn_type = 'REFUND' then -transactions.amount
                 else 0 end) as net_purchases
    from {{ ref('fct_card_transaction') }} as transactions
    inner join months on transactions.business_date between months.month_start and months.period_end
    group by months.month_start, transactions.account_key
),

card_accounts as ({{ card_accounts_held() }}),

cards as (
    select
        card_accounts.month_start,
        card_accounts.account_key,
        coalesce(card_statements.statement_balance, 0) as average_balance_cny,
        coalesce(card_income.interest_charged, 0) as interest_charged,
        coalesce(card_income.fees_charged, 0)
            + {{ star_money('greatest(coalesce(card_purchases.net_purchases, 0), 0) * '
                            ~ seed_parameter('contribution_parameters', 'card_interchange_rate')) }} as fee_income_cny,
        {{ star_money('coalesce(card_statements.statement_balance, 0) * coalesce(card_pd.pd, 0)') }}
            as expected_loss_base_cny,
        coalesce(card_statements.revolving_balance, 0) as revolving_balance
    from card_accounts
    left join card_income
        on card_accounts.month_start = card_income.month_start and card_accounts.account_key = card_income.account_key
    left join card_statements
        on card_accounts.month_start = card_statements.month_start
        and card_accounts.account_key = card_statements.account_key
    left join card_purchases
        on card_accounts.month_start = card_purchases.month_start
        and card_accounts.account_key = card_purchases.account_key
    left join card_pd on {{ in_band('card_statements.cycles_delinquent', 'card_pd', 'cycles_delinquent_from') }}
),

card_funding as (
    select ftp.ftp_rate_pct
    from ftp
    where {{ in_band(seed_parameter('contribution_parameters', 'card_funding_tenor_months'), 'ftp',
                     'tenor_months_from') }}
),

lines as (
    {#- Deposits earn the bank the FTP rate and cost it the customer rate; loans the reverse. -#}
    select
        'deposit' as product_line, month_start, account_key, average_balance_cny, customer_rate_pct, ftp_rate_pct,
        (ftp_rate_pct - customer_rate_pct) / 100 as margin_rate,
        cast(0 as decimal(18,2)) as card_interest_cny, cast(0 as decimal(18,2)) as fee_income_cny,
        expected_loss_base_cny, lgd, cast(0 as decimal(18,2)) as revolving_balance_cny,
        cast(null as decimal(9,4)) as funding_rate_pct
    from deposits
    union all
    select
        'loan', month_start, account_key, average_balance_cny, customer_rate_pct, ftp_rate_pct,
        (customer_rate_pct - ftp_rate_pct) / 100, 0, 0, expected_loss_base_cny, lgd, 0, null
    from loans
    union all
    select
        'mortgage', month_start, account_key, average_balance_cny, customer_rate_pct, ftp_rate_pct,
        (customer_rate_pct - ftp_rate_pct) / 100, 0, 0, expected_loss_base_cny, lgd, 0, null
    from mortgages
    union all
    select
        'card', month_start, account_key, average_balance_cny, null, null, null, interest_charged, fee_income_cny,
        expected_loss_base_cny, {{ seed_parameter('contribution_parameters', 'card_lgd') }}, revolving_balance,
        (select ftp_rate_pct from card_funding)
    from cards
),

priced as (
    select
        lines.month_start,
        lines.account_key,
        accounts.customer_id,
        lines.product_line,
        accounts.product_code,
        lines.average_balance_cny,
        cast(lines.customer_rate_pct as decimal(9,4)) as customer_rate_pct,
        cast(lines.ftp_rate_pct as decimal(9,4)) as ftp_rate_pct,
        case when lines.product_line = 'card' then lines.card_interest_cny
             else {{ accrued('lines.average_balance_cny', 'lines.margin_rate') }} end as net_interest_income_cny,
        cast(lines.fee_income_cny as decimal(18,2)) as fee_income_cny,
        {{ accrued('lines.expected_loss_base_cny', 'coalesce(lines.lgd, 0)') }} as expected_loss_cny,
        {{ accrued('lines.revolving_balance_cny', 'coalesce(lines.funding_rate_pct, 0) / 100') }} as funding_cost_cny,
        {{ star_money('costs.monthly_cost_cny * months.days_in_period / months.days_in_month') }}
            as operating_cost_cny
    from lines
    inner join months on lines.month_start = months.month_start
    inner join accounts on lines.account_key = accounts.account_key
    left join {{ ref('operating_costs') }} as costs on lines.product_line = costs.product_line
)

select
    priced.*,
    cast(net_interest_income_cny + fee_income_cny - expected_loss_cny - funding_cost_cny - operating_cost_cny
         as decimal(18,2)) as contribution_cny
from priced
