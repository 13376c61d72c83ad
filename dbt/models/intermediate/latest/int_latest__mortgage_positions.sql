{{ config(materialized='incremental', unique_key='mortgage_no') }}
{{ latest_state('stg_mortgage__positions', 'mortgage_no', 'mortgage', 'positions') }}
