{#- One row per file per delivery, every delivery kept: the load's public contract. -#}
select
    system,
    business_date,
    delivery,
    file,
    feed,
    sha256,
    status,
    reason,
    message,
    records_delivered,
    records_loaded,
    records_quarantined,
    control_sum,
    drift,
    started,
    finished,
    coalesce(held, false) as held
from {{ parquet_scan(ledger_glob('file_loads')) }}
