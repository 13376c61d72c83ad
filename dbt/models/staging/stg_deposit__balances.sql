select
    acct_no,
    ledger_balance,
    available_balance,
    accrued_interest,
    business_date,
    delivery
from ({{ committed_feed('deposit_balance', 'deposit') }}) as source
