{#- Every expectation evaluated by great-expectations, every run: the validation history. -#}
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
