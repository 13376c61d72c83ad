{#- The composite contribution score stays within 0-100 only if its weights sum to 1. -#}
select sum(weight) as total_weight
from {{ ref('contribution_score_weights') }}
having sum(weight) <> 1
