{#- Every expectation evaluated by great-expectations, every run: the validation history. A view,
    so it shows the checks that ran after this build's models too (the marts' own). -#}
{{ config(materialized='view') }}
select
    suite,
    asset,
    partition_key,
    expectation,
    severity,
    success,
    observed_value,
    unexpected_count,
    element_count,
    run_id,
    validated_at
from {{ parquet_scan(ledger_glob('validations')) }}
