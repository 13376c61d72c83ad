{#- For every system and business date, the delivery every model reads: the newest committed
    delivery that is not held (a critical expectation failed on it). A load killed before its
    commit, a delivery superseded by a redelivery, or a held one contributes nothing. -#}
select
    system,
    business_date,
    max(delivery) as delivery
from {{ ref('file_loads') }}
where not held
group by system, business_date
