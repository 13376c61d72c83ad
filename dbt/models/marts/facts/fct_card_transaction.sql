{#- Card postings, grain transaction (txn_id). Each business date's delivery carries the
    day's postings. Incremental by delivery (macros/star_incremental.sql). -#}
{{ config(pre_hook="{{ star_purge_superseded(ref('stg_card__transactions')) }}") }}

with transactions as (
    select * from {{ ref('stg_card__transactions') }}
    where {{ star_new_deliveries(ref('stg_card__transactions')) }}
)

select
    txn_id,
    {{ star_account_key('card', 'card_acct_no') }} as account_key,
    card_acct_no,
    txn_ts,
    cast(txn_ts as date) as txn_date,
    txn_type,
    cast(amount as decimal(18,2)) as amount,
    {#- What the customer owes: purchases, cash advances, fees and interest increase it;
        payments and refunds decrease it. -#}
    cast(
        case
            when txn_type in ('PURCHASE', 'CASH_ADVANCE', 'FEE', 'INTEREST') then amount
            when txn_type in ('PAYMENT', 'REFUND') then -amount
        end
        as decimal(18,2)) as signed_amount,
    mcc,
    channel,
    merchant_city,
    business_date,
    delivery
from transactions
