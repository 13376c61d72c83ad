{#- Loan positions, grain contract x business date. Incremental by delivery
    (macros/star_incremental.sql). -#}
{{ config(pre_hook="{{ star_purge_superseded(ref('stg_loan__positions')) }}") }}

with positions as (
    select * from {{ ref('stg_loan__positions') }}
    where {{ star_new_deliveries(ref('stg_loan__positions')) }}
),

contracts as (
    select contract_no, product_code, business_date
    from {{ ref('stg_loan__contracts') }}
    where {{ star_new_deliveries(ref('stg_loan__positions')) }}
)

select
    {{ star_account_key('loan', 'positions.contract_no') }} as account_key,
    positions.contract_no,
    positions.business_date,
    positions.delivery,
    contracts.product_code,
    cast(positions.outstanding_principal as decimal(18,2)) as outstanding_principal,
    cast(positions.overdue_principal as decimal(18,2)) as overdue_principal,
    cast(positions.overdue_interest as decimal(18,2)) as overdue_interest,
    cast(positions.days_past_due as integer) as days_past_due,
    cast(positions.five_class as integer) as five_class,
    positions.position_status
from positions
left join contracts
    on contracts.contract_no = positions.contract_no
    and contracts.business_date = positions.business_date
