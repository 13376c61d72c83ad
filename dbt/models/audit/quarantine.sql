{#- Quarantined records of every delivery, with where they were and why. -#}
select
    system,
    business_date,
    delivery,
    file,
    feed,
    record_no,
    record_key,
    reason,
    message,
    raw_record
from {{ parquet_scan(ledger_glob('quarantine')) }}
