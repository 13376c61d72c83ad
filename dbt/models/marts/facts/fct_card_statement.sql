{#- Card statements, grain card account x statement date (statements are cut on the
    account's cycle day; the statement date is the business date of the delivery).
    Incremental by delivery (macros/star_incremental.sql). -#}
{{ config(pre_hook="{{ star_purge_superseded(ref('stg_card__statements')) }}") }}

with statements as (
    select * from {{ ref('stg_card__statements') }}
    where {{ star_new_deliveries(ref('stg_card__statements')) }}
),

accounts as (
    select card_acct_no, card_product, business_date
    from {{ ref('stg_card__accounts') }}
    where {{ star_new_deliveries(ref('stg_card__statements')) }}
)

select
    {{ star_account_key('card', 'statements.card_acct_no') }} as account_key,
    statements.card_acct_no,
    statements.statement_date,
    statements.business_date,
    statements.delivery,
    accounts.card_product as product_code,
    cast(statements.credit_limit as decimal(18,2)) as credit_limit,
    cast(statements.statement_balance as decimal(18,2)) as statement_balance,
    cast(statements.min_payment_due as decimal(18,2)) as min_payment_due,
    statements.payment_due_date,
    cast(statements.paid_since_last_statement as decimal(18,2)) as paid_since_last_statement,
    cast(statements.revolving_balance as decimal(18,2)) as revolving_balance,
    cast(statements.interest_charged as decimal(18,2)) as interest_charged,
    cast(statements.fees_charged as decimal(18,2)) as fees_charged,
    cast(statements.cash_advance_balance as decimal(18,2)) as cash_advance_balance,
    cast(statements.cycles_delinquent as integer) as cycles_delinquent,
    {{ star_ratio_half_up('statements.statement_balance', 'statements.credit_limit', 4) }} as utilisation
from statements
left join accounts
    on accounts.card_acct_no = statements.card_acct_no
    and accounts.business_date = statements.business_date
