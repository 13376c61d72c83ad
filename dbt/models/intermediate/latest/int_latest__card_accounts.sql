{{ config(materialized='incremental', unique_key='card_acct_no') }}
{{ latest_state('stg_card__accounts', 'card_acct_no', 'card', 'card_account') }}
