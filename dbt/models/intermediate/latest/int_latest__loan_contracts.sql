{{ config(materialized='incremental', unique_key='contract_no') }}
{{ latest_state('stg_loan__contracts', 'contract_no', 'loan', 'CONTRACT') }}
