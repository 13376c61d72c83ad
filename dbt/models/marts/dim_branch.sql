{#- Branch dimension with the hierarchy flattened (HEAD > TIER1 > TIER2 > SUB).
    Each branch as of the latest deposit BRANCH snapshot it appears in: normally the latest
    business date; a branch whose record was quarantined that day keeps its previous
    version instead of vanishing (is_in_latest_snapshot tells which). -#}
with snapshots as (
    select
        branch_code,
        branch_name,
        branch_level,
        parent_branch_code,
        city,
        business_date,
        row_number() over (partition by branch_code order by business_date desc) as recency
    from {{ ref('stg_deposit__branches') }}
),

branches as (
    select * from snapshots where recency = 1
),

{#- The path upwards, at most three levels (fixed depth: SUB > TIER2 > TIER1 > HEAD). Each
    hierarchy column takes the node of that level on the path, whatever the depth, so a
    branch hanging directly under a higher tier gets a null for the level it skips. -#}
paths as (
    select
        b.*,
        p1.branch_code as p1_code, p1.branch_name as p1_name, p1.branch_level as p1_level,
        p2.branch_code as p2_code, p2.branch_name as p2_name, p2.branch_level as p2_level,
        p3.branch_code as p3_code, p3.branch_name as p3_name, p3.branch_level as p3_level
    from branches as b
    left join branches as p1 on p1.branch_code = b.parent_branch_code
    left join branches as p2 on p2.branch_code = p1.parent_branch_code
    left join branches as p3 on p3.branch_code = p2.parent_branch_code
)

{#- Each hierarchy column: the node of that level on the path (the branch itself first). -#}
select
    branch_code,
    branch_name,
    branch_level,
    parent_branch_code,
    city,
    case
        when branch_level = 'HEAD' then branch_code
        when p1_level = 'HEAD' then p1_code
        when p2_level = 'HEAD' then p2_code
        when p3_level = 'HEAD' then p3_code
    end as head_branch_code,
    case
        when branch_level = 'TIER1' then branch_code
        when p1_level = 'TIER1' then p1_code
        when p2_level = 'TIER1' then p2_code
    end as tier1_branch_code,
    case
        when branch_level = 'TIER1' then branch_name
        when p1_level = 'TIER1' then p1_name
        when p2_level = 'TIER1' then p2_name
    end as tier1_branch_name,
    case
        when branch_level = 'TIER2' then branch_code
        when p1_level = 'TIER2' then p1_code
    end as tier2_branch_code,
    case
        when branch_level = 'TIER2' then branch_name
        when p1_level = 'TIER2' then p1_name
    end as tier2_branch_name,
    business_date as snapshot_date,
    business_date = (select max(business_date) from {{ ref('stg_deposit__branches') }}) as is_in_latest_snapshot
from paths
