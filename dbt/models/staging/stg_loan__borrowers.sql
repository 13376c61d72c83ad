select
    borrower_id,
    borrower_type,
    {{ clean_name('name') }} as borrower_name,
    id_type,
    {{ canonical_id_no('id_no') }} as id_no,
    {{ id_kind(canonical_id_no('id_no'), 'id_type') }} as id_kind,
    length(trim(id_no)) = 15 as id_no_was_legacy_15,
    {{ canonical_mobile('mobile') }} as mobile,
    birth_date,
    annual_income,
    nullif(industry_code, '') as industry_code,
    branch_code,
    business_date,
    delivery
from ({{ committed_feed('loan_borrower', 'loan') }}) as source
