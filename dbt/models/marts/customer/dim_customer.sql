{#- The golden customer, as a slowly changing dimension of type 2: one row per customer
    per period in which its golden attributes held (valid_from .. valid_to inclusive,
    9999-12-31 while current). The view of any past date d:
        where d between valid_from and valid_to.

    Survivorship, attribute by attribute (docs/identity-resolution.md says why):
    - name, kind, gender: deposit (KYC-verified at the counter) > loan > mortgage > card,
      the most recently changed record within a system;
    - identity number: a trusted number (resident or credit code) over a passport, then as name;
    - birth date and gender: those a valid resident identity number encodes, else as name;
    - mobile: the most recently changed across systems (contact data goes stale); among
      equally fresh ones the one most records agree on, then deposit > card > loan > mortgage;
    - address: the most recently changed deposit record (only deposit holds addresses);
    - owning branch and relationship manager: together, from the longest-standing deposit
      CIF, else the oldest loan, mortgage, card record: one owner, never two;
    - annual income: loan (verified for credit) > card (declared);
    - customer since: the earliest relationship date or first sighting of any record.
    History is restated under today's identity resolution: a merge moves the history of
    the merged records to the surviving customer (customer_xref_history records it). -#}

with versions as (
    select
        xref.customer_id,
        versions.*,
        case versions.source_system when 'deposit' then 1 when 'loan' then 2 when 'mortgage' then 3 else 4 end
            as kyc_priority,
        case versions.source_system when 'deposit' then 1 when 'card' then 2 when 'loan' then 3 else 4 end
            as contact_priority
    from {{ ref('int_customer_record_versions') }} as versions
    inner join {{ ref('customer_xref') }} as xref
        on versions.source_system = xref.source_system
        and versions.source_customer_id = xref.source_customer_id
),

change_points as (
    select distinct customer_id, first_seen as valid_from from versions
),

in_force as (
    select
        change_points.valid_from,
        versions.*,
        row_number() over (
            partition by change_points.customer_id, change_points.valid_from,
                         versions.source_system, versions.source_customer_id
            order by versions.first_seen desc, versions.last_seen desc, versions.record_hash
        ) as newest
    from change_points
    inner join versions
        on versions.customer_id = change_points.customer_id
        and versions.first_seen <= change_points.valid_from
),

{%- set token = "source_system || ':' || source_customer_id" %}
{%- set age = "(100000 - " ~ epoch_days('first_seen') ~ ")" %}

voted as (
    select
        *,
        count(*) over (partition by customer_id, valid_from, mobile) as mobile_votes
    from in_force
    where newest = 1
),

ranked as (
    select
        *,
        {{ rank_key(['kyc_priority', age], token) }} as kyc_rank,
        {{ rank_key(["case when id_kind in ('resident', 'uscc') then 0 else 1 end", 'kyc_priority', age],
                    token) }} as id_rank,
        {{ rank_key([age, '1000 - mobile_votes', 'contact_priority'], token) }} as mobile_rank,
        {{ rank_key([age, 'contact_priority'], token) }} as address_rank,
        {{ rank_key(['kyc_priority', '100000 + ' ~ epoch_days('coalesce(relationship_since, first_seen)')],
                    token) }} as owner_rank,
        {{ rank_key(["case source_system when 'loan' then 1 when 'card' then 2 else 3 end", age],
                    token) }} as income_rank
    from voted
),

golden as (
    select
        customer_id,
        valid_from,
        {{ pick('customer_kind', 'kyc_rank') }} as customer_kind,
        {{ pick('customer_name', 'kyc_rank') }} as customer_name,
        {{ pick('id_kind', 'id_rank') }} as id_kind,
        {{ pick('id_no', 'id_rank') }} as id_no,
        {{ pick('birth_date', 'kyc_rank') }} as stated_birth_date,
        {{ pick('gender', 'kyc_rank') }} as stated_gender,
        {{ pick('mobile', 'mobile_rank') }} as mobile,
        {{ pick('address', 'address_rank') }} as address,
        {{ pick("branch_code || '|' || coalesce(rm_id, '')", 'owner_rank') }} as owner,
        {{ pick('annual_income', 'income_rank') }} as annual_income,
        min(coalesce(relationship_since, first_seen)) as customer_since,
        count(*) as source_records
    from ranked
    group by customer_id, valid_from
),

attributes as (
    select
        customer_id,
        valid_from,
        customer_kind,
        customer_name,
        id_kind,
        id_no,
        case when id_kind = 'resident' and length(id_no) = 18
            then coalesce({{ dbt.safe_cast(
                "substr(id_no, 7, 4) || '-' || substr(id_no, 11, 2) || '-' || substr(id_no, 13, 2)", 'date') }},
                stated_birth_date)
            else stated_birth_date
        end as birth_date,
        case when id_kind = 'resident' and length(id_no) = 18
            then case when {{ dbt.safe_cast('substr(id_no, 17, 1)', 'integer') }} % 2 = 1 then 'M' else 'F' end
            else stated_gender
        end as gender,
        mobile,
        address,
        {{ dbt.split_part('owner', "'|'", 1) }} as branch_code,
        nullif({{ dbt.split_part('owner', "'|'", 2) }}, '') as rm_id,
        annual_income,
        customer_since,
        source_records
    from golden
),

{%- set tracked = ['customer_kind', 'customer_name', 'id_kind', 'id_no', 'birth_date', 'gender', 'mobile',
                   'address', 'branch_code', 'rm_id', 'annual_income', 'customer_since', 'source_records'] %}

hashed as (
    select *, {{ row_hash(tracked) }} as attributes_hash from attributes
),

changes as (
    select *
    from (
        select *, lag(attributes_hash) over (partition by customer_id order by valid_from) as previous_hash
        from hashed
    ) as compared
    where previous_hash is null or previous_hash <> attributes_hash
)

select
    customer_id || '@' || cast(valid_from as {{ dbt.type_string() }}) as customer_version_key,
    customer_id,
    {{ tracked | join(',\n    ') }},
    valid_from,
    coalesce(
        cast({{ dbt.dateadd('day', -1, 'lead(valid_from) over (partition by customer_id order by valid_from)') }} as date),
        cast('9999-12-31' as date)
    ) as valid_to,
    lead(valid_from) over (partition by customer_id order by valid_from) is null as is_current
from changes
