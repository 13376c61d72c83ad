select
    acct_no,
    cif_no,
    product_code,
    currency,
    open_date,
    maturity_date,
    interest_rate,
    status as account_status,
    branch_code,
    business_date,
    delivery
from ({{ committed_feed('deposit_account', 'deposit') }}) as source
