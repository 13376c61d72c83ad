select
    contract_no,
    borrower_id,
    product_code,
    principal,
    currency,
    interest_rate,
    start_date,
    maturity_date,
    repayment_method,
    collateral_type,
    branch_code,
    officer_id,
    business_date,
    delivery
from ({{ committed_feed('loan_contract', 'loan') }}) as source
