select
    card_acct_no,
    holder_id,
    product as card_product,
    credit_limit,
    open_date,
    cycle_day,
    status as account_status,
    business_date,
    delivery
from ({{ committed_feed('card_account', 'card') }}) as source
