select
    cif_no,
    cust_type as customer_type,
    {{ clean_name('cust_name') }} as customer_name,
    id_type,
    {{ canonical_id_no('id_no') }} as id_no,
    {{ id_kind(canonical_id_no('id_no'), 'id_type') }} as id_kind,
    gender,
    birth_date,
    {{ canonical_mobile('mobile') }} as mobile,
    trim(address) as address,
    branch_code,
    nullif(rm_id, '') as rm_id,
    open_date,
    last_update as last_updated_at,
    business_date,
    delivery
from ({{ committed_feed('deposit_customer', 'deposit') }}) as source
