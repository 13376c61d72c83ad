{{ config(materialized='incremental', unique_key='contract_no') }}
{{ latest_state('stg_loan__positions', 'contract_no', 'loan', 'POSITION') }}
