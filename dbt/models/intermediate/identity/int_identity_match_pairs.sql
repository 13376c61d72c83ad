{#- Probabilistic record linkage (Fellegi-Sunter) for the records without a trusted
    identity number, against every other source record.

    Blocking: a candidate pair shares the identity number, or the name and birth date, or
    the mobile. Each compared field adds log2(m/u) of its level (seed
    identity_match_weights), starting from the prior log-odds (seed identity_match_settings);
    the match probability is 2^w / (1 + 2^w). A field missing on either side adds nothing.
    Sharing a name and a birth date alone stays below the link threshold: that is how
    namesakes are kept apart. -#}

with records as (
    select * from {{ ref('int_source_customers') }}
),

untrusted as (
    select * from records where trusted_identity_key is null
),

{%- set blocks = [['id_no'], ['name_key', 'birth_date'], ['mobile']] %}

candidates as (
    {%- for block in blocks %}
    select
        untrusted.source_system as left_system,
        untrusted.source_customer_id as left_id,
        records.source_system as right_system,
        records.source_customer_id as right_id
    from untrusted
    inner join records
        on {% for column in block %}untrusted.{{ column }} = records.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
        and not (untrusted.source_system = records.source_system
                 and untrusted.source_customer_id = records.source_customer_id)
    {% if not loop.last %}union{% endif %}
    {%- endfor %}
),

compared as (
    select
        candidates.*,
        {%- for field, left, right in [('id_no', 'id_no', 'id_no'), ('name', 'name_key', 'name_key'),
                                       ('birth_date', 'birth_date', 'birth_date'), ('mobile', 'mobile', 'mobile')] %}
        case
            when l.{{ left }} is null or r.{{ right }} is null then null
            when l.{{ left }} = r.{{ right }} then 'agree'
            else 'disagree'
        end as {{ field }}_level,
        {%- endfor %}
        r.trusted_identity_key as right_identity_key
    from candidates
    inner join records as l
        on candidates.left_system = l.source_system and candidates.left_id = l.source_customer_id
    inner join records as r
        on candidates.right_system = r.source_system and candidates.right_id = r.source_customer_id
),

weights as (
    select comparison, level, ln(m_probability / u_probability) / ln(2) as weight
    from {{ ref('identity_match_weights') }}
),

settings as (
    select
        max(case when parameter = 'prior_match_probability' then value end) as prior,
        max(case when parameter = 'link_threshold' then value end) as link_threshold
    from {{ ref('identity_match_settings') }}
),

scored as (
    select
        compared.*,
        ln(settings.prior / (1 - settings.prior)) / ln(2)
        {%- for field in ['id_no', 'name', 'birth_date', 'mobile'] %}
            + coalesce(w_{{ field }}.weight, 0)
        {%- endfor %} as match_weight,
        settings.link_threshold
    from compared
    cross join settings
    {%- for field in ['id_no', 'name', 'birth_date', 'mobile'] %}
    left join weights as w_{{ field }}
        on w_{{ field }}.comparison = '{{ field }}' and w_{{ field }}.level = compared.{{ field }}_level
    {%- endfor %}
)

select
    left_system,
    left_id,
    right_system,
    right_id,
    id_no_level,
    name_level,
    birth_date_level,
    mobile_level,
    right_identity_key,
    match_weight,
    cast(power(2, least(match_weight, 60)) / (1 + power(2, least(match_weight, 60))) as double) as match_probability,
    power(2, least(match_weight, 60)) / (1 + power(2, least(match_weight, 60))) >= link_threshold as is_link
from scored
