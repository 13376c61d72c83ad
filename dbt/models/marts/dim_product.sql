{#- Product dimension: the reference list maintained as the seed `products`
    (every product code the four source systems deliver, plus the two mortgage products
    derived from the mortgage rate_type). -#}
select
    product_code,
    product_line,
    product_name,
    tenor_months,
    description
from {{ ref('products') }}
