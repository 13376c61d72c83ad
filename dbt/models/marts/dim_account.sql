{#- Account dimension: one row per account of every product line (deposit account, loan
    contract, card account, mortgage), each as of the latest snapshot it appears in.
    account_key = product_line || ':' || the source system's account number.
    status is conformed across systems (deposit A/D/C decoded; mortgage derived, see the
    column docs); source_status keeps what the system delivered. -#}
with

{#- Each feed's latest state per account, with when it was first and last seen (kept
    incrementally: intermediate/latest), and the feed's own latest snapshot date (for is_open). -#}
{%- set feeds = ['deposit_accounts', 'loan_contracts', 'loan_positions', 'card_accounts', 'cardholders',
                 'mortgage_contracts', 'mortgage_positions'] %}
{%- for name in feeds %}
{{ name }} as (
    select
        latest.*,
        max(last_seen_date) over () as feed_latest_date
    from {{ ref('int_latest__' ~ name) }} as latest
),
{% endfor %}

accounts as (
    select
        {{ star_account_key('deposit', 'a.acct_no') }} as account_key,
        'deposit' as product_line,
        a.acct_no as account_no,
        a.product_code,
        'deposit' as source_system,
        a.cif_no as source_customer_id,
        a.branch_code,
        a.currency,
        a.open_date,
        a.maturity_date,
        a.interest_rate,
        case a.account_status
            when 'A' then 'ACTIVE' when 'D' then 'DORMANT' when 'C' then 'CLOSED'
        end as status,
        a.account_status as source_status,
        cast(null as decimal(18,2)) as credit_limit,
        a.first_seen_date,
        a.last_seen_date,
        a.feed_latest_date
    from deposit_accounts as a

    union all

    select
        {{ star_account_key('loan', 'c.contract_no') }},
        'loan',
        c.contract_no,
        c.product_code,
        'loan',
        c.borrower_id,
        c.branch_code,
        c.currency,
        c.start_date,
        c.maturity_date,
        c.interest_rate,
        {#- The contract carries no status: the latest position's (ACTIVE, SETTLED, WRITTEN_OFF). -#}
        p.position_status,
        p.position_status,
        cast(null as decimal(18,2)),
        c.first_seen_date,
        c.last_seen_date,
        c.feed_latest_date
    from loan_contracts as c
    left join loan_positions as p on p.contract_no = c.contract_no

    union all

    select
        {{ star_account_key('card', 'a.card_acct_no') }},
        'card',
        a.card_acct_no,
        a.card_product,
        'card',
        a.holder_id,
        {#- Card accounts carry no branch: the cardholder's. -#}
        h.branch_code,
        {#- The card platform delivers no currency: its accounts are CNY. -#}
        'CNY',
        a.open_date,
        cast(null as date),
        cast(null as decimal(9,4)),
        a.account_status,
        a.account_status,
        a.credit_limit,
        a.first_seen_date,
        a.last_seen_date,
        a.feed_latest_date
    from card_accounts as a
    left join cardholders as h on h.holder_id = a.holder_id

    union all

    select
        {{ star_account_key('mortgage', 'c.mortgage_no') }},
        'mortgage',
        c.mortgage_no,
        {{ star_mortgage_product_code('c.rate_type') }},
        'mortgage',
        {#- The mortgage system has no customer id: the contract number identifies the borrower. -#}
        c.mortgage_no,
        c.branch_code,
        'CNY',
        c.start_date,
        cast({{ dbt.dateadd('month', 'c.term_months', 'c.start_date') }} as date),
        c.interest_rate,
        {#- No status is delivered: derived from the latest month-end position. -#}
        case
            when p.mortgage_no is null then null
            when p.outstanding_principal = 0 then 'SETTLED'
            else 'ACTIVE'
        end,
        cast(null as {{ dbt.type_string() }}),
        cast(null as decimal(18,2)),
        c.first_seen_date,
        c.last_seen_date,
        c.feed_latest_date
    from mortgage_contracts as c
    left join mortgage_positions as p on p.mortgage_no = c.mortgage_no
)

select
    accounts.account_key,
    accounts.product_line,
    accounts.account_no,
    accounts.product_code,
    accounts.source_system,
    accounts.source_customer_id,
    xref.customer_id,
    accounts.branch_code,
    accounts.currency,
    accounts.open_date,
    accounts.maturity_date,
    cast(accounts.interest_rate as decimal(9,4)) as interest_rate,
    accounts.status,
    accounts.source_status,
    cast(accounts.credit_limit as decimal(18,2)) as credit_limit,
    accounts.first_seen_date,
    accounts.last_seen_date,
    (
        accounts.last_seen_date = accounts.feed_latest_date
        and coalesce(accounts.status, '') not in ('CLOSED', 'SETTLED', 'WRITTEN_OFF', 'CHARGED_OFF')
    ) as is_open
from accounts
left join {{ ref('customer_xref') }} as xref
    on xref.source_system = accounts.source_system
    and xref.source_customer_id = accounts.source_customer_id
