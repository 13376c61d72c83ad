select
    mortgage_no,
    outstanding_principal,
    installment_due,
    installment_paid,
    days_past_due,
    cast(five_class as integer) as five_class,
    business_date,
    delivery
from ({{ committed_feed('mortgage_positions', 'mortgage') }}) as source
