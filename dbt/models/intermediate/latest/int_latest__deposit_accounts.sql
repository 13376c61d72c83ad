{{ config(materialized='incremental', unique_key='acct_no') }}
{{ latest_state('stg_deposit__accounts', 'acct_no', 'deposit', 'ACCOUNT') }}
