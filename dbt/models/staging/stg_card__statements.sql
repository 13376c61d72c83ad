select
    card_acct_no,
    statement_date,
    credit_limit,
    statement_balance,
    min_payment_due,
    payment_due_date,
    paid_since_last_statement,
    revolving_balance,
    interest_charged,
    fees_charged,
    cash_advance_balance,
    cycles_delinquent,
    business_date,
    delivery
from ({{ committed_feed('card_statement', 'card') }}) as source
