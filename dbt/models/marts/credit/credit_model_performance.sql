{{ config(materialized='table') }}
{#- How well the scores ranked what happened next, per observation month and segment: Gini
    (2 AUC - 1, AUC from the rank sum of the scores, ties sharing their ranks) and the
    Kolmogorov-Smirnov statistic. Rebuilt whole, as credit_backtest. -#}

with observations as (
    select
        grades.month_start,
        grades.customer_kind,
        grades.model_version,
        grades.score,
        sample.is_bad,
        sample.window_complete
    from {{ ref('credit_grade_monthly') }} as grades
    inner join {{ ref('int_credit__development_sample') }} as sample
        on grades.month_start = sample.month_start and grades.customer_id = sample.customer_id
),

ranked as (
    select
        observations.*,
        {#- The average rank of tied scores: the first rank of the tie plus half its width. -#}
        rank() over (partition by month_start, customer_kind order by score)
            + (count(*) over (partition by month_start, customer_kind, score) - 1) / 2.0 as score_rank
    from observations
),

by_score as (
    select
        month_start,
        customer_kind,
        score,
        sum(is_bad) as bads,
        sum(1 - is_bad) as goods
    from observations
    group by month_start, customer_kind, score
),

cumulative as (
    select
        by_score.*,
        sum(bads) over (partition by month_start, customer_kind order by score) as bads_below,
        sum(goods) over (partition by month_start, customer_kind order by score) as goods_below,
        sum(bads) over (partition by month_start, customer_kind) as all_bads,
        sum(goods) over (partition by month_start, customer_kind) as all_goods
    from by_score
),

ks as (
    select
        month_start,
        customer_kind,
        max(abs(cast(bads_below as double) / nullif(all_bads, 0) - cast(goods_below as double) / nullif(all_goods, 0)))
            as ks
    from cumulative
    group by month_start, customer_kind
),

auc as (
    select
        month_start,
        customer_kind,
        min(model_version) as model_version,
        bool_and(window_complete) as window_complete,
        count(*) as observations,
        cast(sum(is_bad) as bigint) as defaults,
        {#- AUC: the chance that a good scores above a bad. -#}
        (sum(case when is_bad = 0 then score_rank else 0 end)
         - sum(1 - is_bad) * (sum(1 - is_bad) + 1) / 2.0)
            / nullif(cast(sum(1 - is_bad) as double) * sum(is_bad), 0) as auc
    from ranked
    group by month_start, customer_kind
)

select
    auc.month_start,
    auc.customer_kind,
    auc.model_version,
    auc.window_complete,
    auc.observations,
    auc.defaults,
    cast(round(2 * auc.auc - 1, 4) as decimal(9,4)) as gini,
    cast(round(ks.ks, 4) as decimal(9,4)) as ks
from auc
inner join ks on auc.month_start = ks.month_start and auc.customer_kind = ks.customer_kind
