{#- The identity every source record resolves to, and by which rule.

    - id_number / id_number_15to18: the record's own trusted number (deterministic).
    - probabilistic: linked above the threshold to a record with a trusted number (the best
      such link wins), or, when no such record exists, to other untrusted records: the group
      is then named after its earliest-seen record, so it keeps its key as members join.
    - unmatched: nothing links it; it is a customer of its own.
    The key embeds identity numbers: it stays in the restricted intermediate schema. -#}

with records as (
    select * from {{ ref('int_source_customers') }}
),

links as (
    select * from {{ ref('int_identity_match_pairs') }} where is_link
),

best_trusted as (
    select left_system, left_id, right_identity_key, match_probability,
           right_system || ':' || right_id as matched_record
    from (
        select
            links.*,
            row_number() over (
                partition by left_system, left_id
                order by match_probability desc, right_identity_key
            ) as preference
        from links
        where right_identity_key is not null
    ) as ranked
    where preference = 1
),

untrusted_links as (
    select
        links.left_system,
        links.left_id,
        links.right_system || ':' || links.right_id as member,
        partner.first_seen,
        links.match_probability
    from links
    inner join records as partner
        on links.right_system = partner.source_system and links.right_id = partner.source_customer_id
    where links.right_identity_key is null
),

{#- A group of untrusted records is named after its earliest-seen member (then the smallest
    token): members joining later do not rename it, so its customer number holds. -#}
group_members as (
    select left_system, left_id, member, first_seen, match_probability from untrusted_links
    union all
    select distinct
        untrusted_links.left_system,
        untrusted_links.left_id,
        self.source_system || ':' || self.source_customer_id,
        self.first_seen,
        cast(null as double)
    from untrusted_links
    inner join records as self
        on untrusted_links.left_system = self.source_system and untrusted_links.left_id = self.source_customer_id
),

untrusted_group as (
    select
        left_system,
        left_id,
        {{ pick('member', rank_key(['100000 + ' ~ epoch_days('first_seen')], 'member')) }} as group_token,
        max(match_probability) as match_probability,
        min(case when match_probability is not null then member end) as matched_record
    from group_members
    group by left_system, left_id
)

select
    records.source_system,
    records.source_customer_id,
    case
        when records.trusted_identity_key is not null then records.trusted_identity_key
        when best_trusted.right_identity_key is not null then best_trusted.right_identity_key
        when untrusted_group.group_token is not null then 'record:' || untrusted_group.group_token
        else 'record:' || records.source_system || ':' || records.source_customer_id
    end as identity_key,
    case
        when records.trusted_identity_key is not null then records.deterministic_rule
        when best_trusted.right_identity_key is not null or untrusted_group.group_token is not null
            then 'probabilistic'
        else 'unmatched'
    end as match_rule,
    case
        when records.trusted_identity_key is not null then 1.0
        when best_trusted.right_identity_key is not null then best_trusted.match_probability
        else untrusted_group.match_probability
    end as match_score,
    coalesce(best_trusted.matched_record, untrusted_group.matched_record) as matched_record,
    records.first_seen,
    records.last_seen
from records
left join best_trusted
    on records.source_system = best_trusted.left_system and records.source_customer_id = best_trusted.left_id
left join untrusted_group
    on records.source_system = untrusted_group.left_system and records.source_customer_id = untrusted_group.left_id
