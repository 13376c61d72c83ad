"""`bank360 customer <code>`: the bank's "query by customer code".

Any code a member of staff may hold works: the unified customer number, a source
system's customer id (cif_no, borrower_id, holder_id, mortgage_no), an account or
contract number, or an identity number in any of the forms the sources write it
(15 digits, lower-case x, full-width digits). The answer is the whole customer, read
from the warehouse's marts: profile and its history, holdings per product line, and
every source record that was linked, with the rule and score that linked it, what the
customer contributed, month by month, with their segment and tier, and their credit grade
and its early warnings, with the grades of past months.
"""

import unicodedata
from pathlib import Path

import duckdb

from .ingest.idcheck import resident_check_char
from .warehouse_reader import open_read_only

FIND = """
select customer_id from marts.customer_xref where customer_id = $code or source_customer_id = $code
union select customer_id from marts.dim_account where account_no = $code
union select customer_id from marts.dim_customer where id_no = $code
union select xref.customer_id
    from intermediate.int_source_customers as records
    join marts.customer_xref as xref using (source_system, source_customer_id)
    where records.id_no = $code
order by customer_id
"""

# (title, query): every query takes the customer as $customer.
SECTIONS = (
    ("Profile", """
        select customer_id, customer_kind as kind, customer_name as name, id_kind, id_no, birth_date, gender,
               mobile, address, annual_income, customer_since, branch_code, branch_name, rm_id
        from marts.customer_360 where customer_id = $customer"""),
    ("Position (CNY)", """
        select deposit_balance_cny, loan_outstanding_cny, mortgage_outstanding_cny, card_balance_cny,
               card_credit_limit_cny, card_utilisation, total_assets_cny, total_liabilities_cny,
               worst_days_past_due, worst_five_class
        from marts.customer_360 where customer_id = $customer"""),
    ("Contribution (latest month; month-to-date while it runs)", """
        select contribution_month, contribution_cny, contribution_score, abc_segment, customer_tier,
               branch_contribution_rank, rm_contribution_rank
        from marts.customer_360 where customer_id = $customer"""),
    ("Contribution by month and product line (CNY)", """
        select lines.month_start, lines.product_line, lines.accounts, lines.average_balance_cny,
               lines.net_interest_income_cny, lines.fee_income_cny, lines.expected_loss_cny, lines.funding_cost_cny,
               lines.operating_cost_cny, lines.contribution_cny, customers.abc_segment, customers.customer_tier
        from marts.fct_contribution_monthly as lines
        join marts.customer_contribution_monthly as customers using (month_start, customer_id)
        where lines.customer_id = $customer
        order by lines.month_start, lines.product_line"""),
    ("Credit standing (latest grading; today's while the month runs)", """
        select credit_as_of_date, credit_score, credit_system_grade, credit_grade,
               cast(credit_pd * 100 as decimal(9, 4)) || ' %' as credit_pd, credit_xay, credit_recommended_limit_cny,
               credit_override_grade || coalesce(', approved by ' || credit_override_approved_by, '')
                   as credit_override,
               credit_score_reasons, credit_warnings
        from marts.customer_360 where customer_id = $customer"""),
    ("Credit grades by month", """
        select month_start, as_of_date, final_grade, score, xay, override_grade, override_approved_by
        from marts.credit_grade_monthly where customer_id = $customer order by month_start"""),
    ("Profile history", """
        select valid_from, valid_to, customer_name as name, mobile, address, branch_code, rm_id, annual_income,
               source_records
        from marts.dim_customer where customer_id = $customer order by valid_from"""),
    ("Deposits", """
        select accounts.account_no, accounts.product_code, accounts.currency, accounts.open_date,
               accounts.maturity_date, accounts.interest_rate, accounts.status,
               balances.business_date, balances.ledger_balance, balances.ledger_balance_cny
        from marts.dim_account as accounts
        left join marts.fct_deposit_balance_daily as balances
            on balances.account_key = accounts.account_key and balances.business_date = accounts.last_seen_date
        where accounts.customer_id = $customer and accounts.product_line = 'deposit'
        order by accounts.account_no"""),
    ("Loans", """
        select accounts.account_no as contract_no, accounts.product_code, accounts.open_date as start_date,
               accounts.maturity_date, accounts.interest_rate, positions.business_date,
               positions.outstanding_principal, positions.days_past_due, positions.five_class,
               positions.position_status
        from marts.dim_account as accounts
        left join marts.fct_loan_position_daily as positions
            on positions.account_key = accounts.account_key and positions.business_date = accounts.last_seen_date
        where accounts.customer_id = $customer and accounts.product_line = 'loan'
        order by accounts.account_no"""),
    ("Mortgage contracts", """
        select accounts.account_no as mortgage_no, accounts.product_code, accounts.open_date as start_date,
               accounts.interest_rate, positions.business_date, positions.outstanding_principal,
               positions.days_past_due, positions.five_class
        from marts.dim_account as accounts
        left join marts.fct_mortgage_position_monthly as positions
            on positions.account_key = accounts.account_key and positions.business_date = accounts.last_seen_date
        where accounts.customer_id = $customer and accounts.product_line = 'mortgage'
        order by accounts.account_no"""),
    ("Credit cards (overdraft at the latest statement)", """
        select accounts.account_no as card_acct_no, accounts.product_code, accounts.credit_limit,
               accounts.status, statements.statement_date, statements.statement_balance,
               statements.min_payment_due, statements.utilisation, statements.cycles_delinquent
        from marts.dim_account as accounts
        left join (
            select *, row_number() over (partition by card_acct_no order by statement_date desc) as recency
            from marts.fct_card_statement
        ) as statements on statements.card_acct_no = accounts.account_no and statements.recency = 1
        where accounts.customer_id = $customer and accounts.product_line = 'card'
        order by accounts.account_no"""),
    ("Linked source records", """
        select xref.source_system, xref.source_customer_id, records.customer_name as name, records.id_kind,
               records.id_no, records.mobile, xref.match_rule, xref.match_score, xref.matched_record,
               xref.first_seen_date, xref.last_seen_date
        from marts.customer_xref as xref
        join intermediate.int_source_customers as records using (source_system, source_customer_id)
        where xref.customer_id = $customer
        order by xref.source_system, xref.source_customer_id"""),
    ("Identity changes (merges, splits)", """
        select source_system, source_customer_id, change_kind, valid_from, valid_to, match_rule
        from marts.customer_xref_history
        where customer_id = $customer and change_kind <> 'new'
        order by valid_from"""),
)


def code_forms(code: str) -> list[str]:
    """The code as typed, and as the canonical identity number it may be."""
    text = unicodedata.normalize("NFKC", code).strip()
    forms = [text, text.upper()]
    if len(text) == 15 and text.isdigit():  # a legacy identity number: century 19, check character added
        body = text[:6] + "19" + text[6:]
        forms.append(body + resident_check_char(body))
    return list(dict.fromkeys(forms))


def find_customers(con: duckdb.DuckDBPyConnection, code: str) -> list[str]:
    found: list[str] = []
    for form in code_forms(code):
        found += [row[0] for row in con.execute(FIND, {"code": form}).fetchall() if row[0] not in found]
    return found


def _width(text: str) -> int:
    """Columns the text takes on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _text(value) -> str:
    return "" if value is None else str(value)


def render(columns: list[str], rows: list[tuple]) -> str:
    """Rows as an aligned text table, never truncated; a single row is listed field by field."""
    if not rows:
        return "  (none)"
    if len(rows) == 1:
        label = max(map(_width, columns))
        return "\n".join(f"  {_pad(c, label)}  {_text(v)}" for c, v in zip(columns, rows[0], strict=True))
    cells = [columns] + [[_text(v) for v in row] for row in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(columns))]
    return "\n".join("  " + "  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip()
                     for row in cells)


def describe(con: duckdb.DuckDBPyConnection, customer_id: str) -> str:
    """The whole customer as text, one titled section after another."""
    parts = []
    for title, query in SECTIONS:
        cursor = con.execute(query, {"customer": customer_id})
        columns = [d[0] for d in cursor.description]
        parts.append(f"== {title} ==\n{render(columns, cursor.fetchall())}\n")
    return "\n".join(parts)


def lookup(warehouse: Path, code: str) -> str:
    with open_read_only(warehouse) as con:
        customers = find_customers(con, code)
        if not customers:
            raise LookupError(f"no customer has the code {code!r} (tried customer numbers, source customer ids, "
                              "account and contract numbers, identity numbers)")
        return "\n".join(f"##### customer {c} (code {code})\n{describe(con, c)}" for c in customers)
