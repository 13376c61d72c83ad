{#- What each characteristic scored for each customer and month: the value, the scorecard
    bin it fell in and its points, on the active scorecard of the customer's segment (macros/credit.sql)
    (seeds/credit/scorecard_models.csv, scorecard_bins.csv). The reasons behind a grade.
    Incremental by month, as int_credit__features_monthly. -#}

with features as (
    select * from {{ ref('int_credit__features_monthly') }}
    where {{ contribution_months() }}
),

models as (
    select * from {{ ref('scorecard_models') }} where is_active
),

bins as (
    select bins.*, models.segment
    from {{ ref('scorecard_bins') }} as bins
    inner join models on bins.model_version = models.model_version
),

{#- One row per customer, month and characteristic (a union, portable to any engine). -#}
characteristic_values as (
    {%- for characteristic in var('credit_characteristics') %}
    select month_start, customer_id, {{ credit_segment('customer_kind', 'has_credit') }} as segment,
           '{{ characteristic }}' as characteristic,
           cast({{ characteristic }} as double) as characteristic_value
    from features
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    characteristic_values.month_start,
    characteristic_values.customer_id,
    bins.model_version,
    characteristic_values.characteristic,
    characteristic_values.characteristic_value,
    bins.bin_no,
    bins.points
from characteristic_values
inner join bins
    on characteristic_values.segment = bins.segment
    and characteristic_values.characteristic = bins.characteristic
    and (
        (characteristic_values.characteristic_value is null and bins.is_missing_bin)
        or (characteristic_values.characteristic_value >= coalesce(bins.value_from, characteristic_values.characteristic_value)
            and characteristic_values.characteristic_value < coalesce(bins.value_to, characteristic_values.characteristic_value + 1)
            and not bins.is_missing_bin)
    )
