{#- One row per version of each hand-maintained file received (raw/manual/), loaded or rejected,
    every version kept: the audit trail of what the bank's staff delivered, and the commit the
    models read the versions' rows through (macro committed_manual). -#}
select
    dataset,
    file,
    file_sha256,
    received_at,
    status,
    reason,
    message,
    drift,
    rows_loaded
from {{ parquet_scan(ledger_glob('manual_loads')) }}
