{#- Which customer every source customer record belongs to, and by which rule. -#}

select
    keys.source_system,
    keys.source_customer_id,
    registry.customer_id,
    keys.match_rule,
    cast(keys.match_score as decimal(7, 6)) as match_score,
    keys.matched_record,
    keys.first_seen as first_seen_date,
    keys.last_seen as last_seen_date
from {{ ref('int_identity_keys') }} as keys
inner join {{ ref('customer_registry') }} as registry
    on keys.identity_key = registry.identity_key
