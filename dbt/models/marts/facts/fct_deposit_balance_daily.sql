{#- Deposit balances, grain account x business date, in account currency and in CNY at the
    date's FX rate, or the latest one delivered before it when the date's rate was quarantined or
    its file rejected. Incremental by delivery (macros/star_incremental.sql). -#}
{{ config(pre_hook="{{ star_purge_superseded(ref('stg_deposit__balances')) }}") }}

with balances as (
    select * from {{ ref('stg_deposit__balances') }}
    where {{ star_new_deliveries(ref('stg_deposit__balances')) }}
),

accounts as (
    select acct_no, product_code, currency, business_date
    from {{ ref('stg_deposit__accounts') }}
    where {{ star_new_deliveries(ref('stg_deposit__balances')) }}
),

new_dates as (
    select distinct business_date from balances
),

{#- For each date built, each currency's latest rate on or before it: the banks' usual rule for a
    missing fixing, so that one bad FX record does not leave a day's balances without a CNY value. -#}
fx_rates as (
    select
        new_dates.business_date,
        rates.currency,
        rates.cny_per_unit,
        row_number() over (
            partition by new_dates.business_date, rates.currency order by rates.business_date desc
        ) as recency
    from new_dates
    inner join {{ ref('stg_deposit__fx_rates') }} as rates
        on rates.business_date <= new_dates.business_date
),

joined as (
    select
        balances.acct_no,
        balances.business_date,
        balances.delivery,
        accounts.product_code,
        accounts.currency,
        balances.ledger_balance,
        balances.available_balance,
        balances.accrued_interest,
        {#- CNY is 1 by definition, even on a day whose FX_RATE file was rejected. -#}
        coalesce(fx_rates.cny_per_unit, case when accounts.currency = 'CNY' then 1 end) as fx_rate_to_cny
    from balances
    left join accounts
        on accounts.acct_no = balances.acct_no
        and accounts.business_date = balances.business_date
    left join fx_rates
        on fx_rates.currency = accounts.currency
        and fx_rates.business_date = balances.business_date
        and fx_rates.recency = 1
)

select
    {{ star_account_key('deposit', 'acct_no') }} as account_key,
    acct_no,
    business_date,
    delivery,
    product_code,
    currency,
    cast(ledger_balance as decimal(18,2)) as ledger_balance,
    cast(available_balance as decimal(18,2)) as available_balance,
    cast(accrued_interest as decimal(18,2)) as accrued_interest,
    cast(fx_rate_to_cny as decimal(9,4)) as fx_rate_to_cny,
    {{ star_money('ledger_balance * fx_rate_to_cny') }} as ledger_balance_cny,
    {{ star_money('available_balance * fx_rate_to_cny') }} as available_balance_cny
from joined
