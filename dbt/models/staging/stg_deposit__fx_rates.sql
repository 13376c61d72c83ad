select
    currency,
    cny_per_unit,
    business_date,
    delivery
from ({{ committed_feed('deposit_fx_rate', 'deposit') }}) as source
