{{ config(materialized='incremental', unique_key='mortgage_no') }}
{{ latest_state('stg_mortgage__contracts', 'mortgage_no', 'mortgage', 'contracts') }}
