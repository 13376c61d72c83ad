select
    holder_id,
    {{ clean_name('name') }} as holder_name,
    {{ canonical_id_no('id_no') }} as id_no,
    {{ id_kind(canonical_id_no('id_no')) }} as id_kind,
    {{ canonical_mobile('mobile') }} as mobile,
    birth_date,
    declared_income,
    branch_code,
    business_date,
    delivery
from ({{ committed_feed('card_cardholder', 'card') }}) as source
