{#- The bank's customer numbers: each identity key gets one when first seen and keeps it.
    Never rebuilt (full_refresh = false): a customer's number must survive every rebuild.
    Numbers are minted in order of first business date, then key, so a fresh warehouse
    loading the same history mints the same numbers. A key that later loses all its
    records (merged into another) keeps its row: numbers are never reused. -#}
{{ config(materialized='incremental', unique_key='identity_key', full_refresh=false) }}

with keys as (
    select identity_key, min(first_seen) as first_seen
    from {{ ref('int_identity_keys') }}
    group by identity_key
),

new_keys as (
    select * from keys
    {% if is_incremental() %}
    where identity_key not in (select identity_key from {{ this }})
    {% endif %}
),

numbered as (
    select
        identity_key,
        first_seen,
        {% if is_incremental() -%}
        (select coalesce(max(customer_seq), 0) from {{ this }})
        {%- else -%}
        0
        {%- endif %} + row_number() over (order by first_seen, identity_key) as customer_seq
    from new_keys
)

select
    identity_key,
    customer_seq,
    'CU' || lpad(cast(customer_seq as {{ dbt.type_string() }}), 10, '0') as customer_id,
    first_seen as minted_for_date,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as minted_at
from numbered
