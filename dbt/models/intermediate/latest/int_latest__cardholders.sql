{{ config(materialized='incremental', unique_key='holder_id') }}
{{ latest_state('stg_card__cardholders', 'holder_id', 'card', 'cardholder') }}
