{#- One row per source customer record: its latest version, when it was first and last seen,
    what its identity number proves, and the key it links on when that number is trusted.

    Trusted: an 18-character resident identity number whose GB 11643 check character holds
    (recomputed here), a legacy 15-digit number converted to 18 when the birth date it
    encodes agrees with the record's, and a unified social credit code (GB 32100, verified
    at ingestion). Passports carry no check character and vary by issuing country: records
    without a trusted number go to probabilistic matching (int_identity_match_pairs). -#}

with ranked as (
    select
        versions.*,
        row_number() over (
            partition by source_system, source_customer_id
            order by last_seen desc, first_seen desc, record_hash
        ) as recency,
        min(first_seen) over (partition by source_system, source_customer_id) as record_first_seen
    from {{ ref('int_customer_record_versions') }} as versions
),

latest as (
    select
        *,
        case when id_kind = 'resident' and {{ regexp_like('id_no', '^[0-9]{17}[0-9X]$') }}
            then substr(id_no, 18, 1) = {{ resident_check_char('id_no') }}
            else false
        end as id_check_ok
    from ranked
    where recency = 1
),

derived as (
    select
        *,
        case when id_check_ok then {{ dbt.safe_cast(
            "substr(id_no, 7, 4) || '-' || substr(id_no, 11, 2) || '-' || substr(id_no, 13, 2)",
            'date') }} end as id_birth_date
    from latest
)

select
    source_system,
    source_customer_id,
    customer_kind,
    customer_name,
    upper({{ regexp_substitute('customer_name', '\\s') }}) as name_key,
    id_kind,
    id_no,
    id_no_was_legacy_15,
    id_check_ok,
    coalesce(birth_date, id_birth_date) as birth_date,
    coalesce(gender, case when id_check_ok then
        case when cast(substr(id_no, 17, 1) as integer) % 2 = 1 then 'M' else 'F' end end) as gender,
    mobile,
    address,
    branch_code,
    rm_id,
    annual_income,
    relationship_since,
    record_first_seen as first_seen,
    last_seen,
    case
        when id_kind = 'uscc' then 'uscc:' || id_no
        when id_check_ok and (not id_no_was_legacy_15 or birth_date is null or birth_date = id_birth_date)
            then 'resident:' || id_no
    end as trusted_identity_key,
    case when id_no_was_legacy_15 then 'id_number_15to18' else 'id_number' end as deterministic_rule
from derived
