select
    branch_code,
    branch_name,
    parent_code as parent_branch_code,
    level as branch_level,
    city,
    business_date,
    delivery
from ({{ committed_feed('deposit_branch', 'deposit') }}) as source
