{#- Every customer-bearing source record of every loaded date, in one shape:
    deposit CIFs, loan borrowers, cardholders and mortgage borrowers (one per contract). -#}
{{ config(materialized='view') }}

with deposit as (
    select
        'deposit' as source_system,
        cif_no as source_customer_id,
        case when customer_type = 'C' then 'C' else 'I' end as customer_kind,
        customer_name,
        id_kind,
        id_no,
        false as id_no_was_legacy_15,
        birth_date,
        gender,
        mobile,
        address,
        branch_code,
        rm_id,
        cast(null as decimal(18, 2)) as annual_income,
        open_date as relationship_since,
        business_date,
        delivery
    from {{ ref('stg_deposit__customers') }}
),

loan as (
    select
        'loan',
        borrower_id,
        case when borrower_type = 'COMPANY' then 'C' else 'I' end,
        borrower_name,
        id_kind,
        id_no,
        id_no_was_legacy_15,
        birth_date,
        cast(null as {{ dbt.type_string() }}),
        mobile,
        cast(null as {{ dbt.type_string() }}),
        branch_code,
        cast(null as {{ dbt.type_string() }}),
        annual_income,
        cast(null as date),
        business_date,
        delivery
    from {{ ref('stg_loan__borrowers') }}
),

card as (
    select
        'card',
        holder_id,
        'I',
        holder_name,
        id_kind,
        id_no,
        false,
        birth_date,
        cast(null as {{ dbt.type_string() }}),
        mobile,
        cast(null as {{ dbt.type_string() }}),
        branch_code,
        cast(null as {{ dbt.type_string() }}),
        declared_income,
        cast(null as date),
        business_date,
        delivery
    from {{ ref('stg_card__cardholders') }}
),

mortgage as (
    select
        'mortgage',
        mortgage_no,
        'I',
        borrower_name,
        id_kind,
        id_no,
        false,
        cast(null as date),
        cast(null as {{ dbt.type_string() }}),
        mobile,
        cast(null as {{ dbt.type_string() }}),
        branch_code,
        cast(null as {{ dbt.type_string() }}),
        cast(null as decimal(18, 2)),
        start_date,
        business_date,
        delivery
    from {{ ref('stg_mortgage__contracts') }}
)

select * from deposit
union all select * from loan
union all select * from card
union all select * from mortgage
