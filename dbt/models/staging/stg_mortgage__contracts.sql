select
    mortgage_no,
    {{ clean_name('borrower_name') }} as borrower_name,
    {{ canonical_id_no('id_no') }} as id_no,
    {{ id_kind(canonical_id_no('id_no')) }} as id_kind,
    {{ canonical_mobile('mobile') }} as mobile,
    {{ canonical_id_no('co_borrower_id_no') }} as co_borrower_id_no,
    property_city,
    property_value,
    loan_amount,
    rate_type,
    interest_rate,
    start_date,
    term_months,
    branch_code,
    business_date,
    delivery
from ({{ committed_feed('mortgage_contracts', 'mortgage') }}) as source
