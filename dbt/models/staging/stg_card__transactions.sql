select
    txn_id,
    card_acct_no,
    txn_ts,
    txn_type,
    amount,
    mcc,
    channel,
    merchant_city,
    business_date,
    delivery
from ({{ committed_feed('card_txn', 'card') }}) as source
