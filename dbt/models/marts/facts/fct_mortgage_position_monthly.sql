{#- Mortgage positions, grain mortgage x month-end business date (the mortgage system
    delivers once a month). Incremental by delivery (macros/star_incremental.sql). -#}
{{ config(pre_hook="{{ star_purge_superseded(ref('stg_mortgage__positions')) }}") }}

with positions as (
    select * from {{ ref('stg_mortgage__positions') }}
    where {{ star_new_deliveries(ref('stg_mortgage__positions')) }}
),

contracts as (
    select mortgage_no, rate_type, business_date
    from {{ ref('stg_mortgage__contracts') }}
    where {{ star_new_deliveries(ref('stg_mortgage__positions')) }}
)

select
    {{ star_account_key('mortgage', 'positions.mortgage_no') }} as account_key,
    positions.mortgage_no,
    positions.business_date,
    positions.delivery,
    {{ star_mortgage_product_code('contracts.rate_type') }} as product_code,
    cast(positions.outstanding_principal as decimal(18,2)) as outstanding_principal,
    cast(positions.installment_due as decimal(18,2)) as installment_due,
    cast(positions.installment_paid as decimal(18,2)) as installment_paid,
    cast(positions.days_past_due as integer) as days_past_due,
    cast(positions.five_class as integer) as five_class
from positions
left join contracts
    on contracts.mortgage_no = positions.mortgage_no
    and contracts.business_date = positions.business_date
