select
    contract_no,
    outstanding_principal,
    overdue_principal,
    overdue_interest,
    days_past_due,
    cast(five_class as integer) as five_class,
    status as position_status,
    business_date,
    delivery
from ({{ committed_feed('loan_position', 'loan') }}) as source
