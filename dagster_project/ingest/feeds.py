"""The registry of every feed the four source systems deliver (extract-spec sections 2-5, 8).

Written once as data: the parsers, the record rules and the later loading
steps all read the layout of a feed from here, so a change to the interface
is a change in one place.

Column kinds:
  id         text identifier: leading zeros are data, never a number
  text       free text (names, addresses, mobiles)
  code       text from a closed set (FeedSpec.codes)
  amount     DECIMAL(18,2), never negative (section 8)
  rate       DECIMAL(9,4): annual percent or an FX rate with up to 4 places
  int        whole number (int32)
  date       DATE
  timestamp  TIMESTAMP without time zone (local time)
"""

from dataclasses import dataclass, field

import pyarrow as pa

SYSTEMS = ("deposit", "loan", "card", "mortgage")

ARROW_TYPES = {
    "id": pa.string(),
    "text": pa.string(),
    "code": pa.string(),
    "amount": pa.decimal128(18, 2),
    "rate": pa.decimal128(9, 4),
    "int": pa.int32(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}

ID_TYPES = ("01", "03", "10")  # resident identity card, passport, unified social credit code


@dataclass(frozen=True)
class FeedSpec:
    system: str
    name: str  # the table's name in the spec: CUSTOMER, card_txn, contracts, ...
    file: str  # file name; mortgage's carries {yyyymm}
    table: str  # warehouse-wide unique name (staging folder): loan CONTRACT and mortgage contracts differ
    columns: tuple[tuple[str, str], ...]  # (column, kind), in the order the spec lists them
    key: str
    ref: tuple[str, str] | None = None  # (column, parent feed name): the orphan rule of section 8
    control: str | None = None  # column the control sum is taken over
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    optional_codes: tuple[str, ...] = ()  # code columns that may be empty (gender of a company)
    # Identity numbers with a check character: (column, id_type column or None when the
    # system only holds persons, so every 18-character number is a resident id).
    id_checks: tuple[tuple[str, str | None], ...] = ()
    sheet: str | None = None  # the workbook sheet (mortgage)

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def kind(self, column: str) -> str:
        return dict(self.columns)[column]

    def columns_of(self, *kinds: str) -> list[str]:
        return [name for name, kind in self.columns if kind in kinds]

    def record_schema(self) -> pa.Schema:
        """The spec's columns, typed."""
        return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in self.columns])

    def loaded_schema(self) -> pa.Schema:
        """The table of loaded records: spec columns, then the delivery they came from."""
        return pa.schema([*self.record_schema(), ("business_date", pa.date32()), ("delivery", pa.int32())])


def _cols(text: str) -> tuple[tuple[str, str], ...]:
    """'name:kind name:kind ...' -> ((name, kind), ...); keeps the registry readable."""
    return tuple(tuple(item.split(":")) for item in text.split())


FEEDS: tuple[FeedSpec, ...] = (
    # -- deposit: GBK fixed layout ---------------------------------------------
    FeedSpec("deposit", "BRANCH", "BRANCH.dat", "deposit_branch",
             _cols("branch_code:id branch_name:text parent_code:id level:code city:text"),
             key="branch_code", codes={"level": ("HEAD", "TIER1", "TIER2", "SUB")}),
    FeedSpec("deposit", "CUSTOMER", "CUSTOMER.dat", "deposit_customer",
             _cols("cif_no:id cust_type:code cust_name:text id_type:code id_no:id gender:code "
                   "birth_date:date mobile:text address:text branch_code:id rm_id:id open_date:date "
                   "last_update:timestamp"),
             key="cif_no",
             codes={"cust_type": ("I", "C"), "id_type": ID_TYPES, "gender": ("M", "F")},
             optional_codes=("gender",), id_checks=(("id_no", "id_type"),)),
    FeedSpec("deposit", "ACCOUNT", "ACCOUNT.dat", "deposit_account",
             _cols("acct_no:id cif_no:id product_code:code currency:code open_date:date "
                   "maturity_date:date interest_rate:rate status:code branch_code:id"),
             key="acct_no", ref=("cif_no", "CUSTOMER"),
             codes={"product_code": ("DD01", "TD03", "TD06", "TD12", "TD24", "TD36", "TD60"),
                    "currency": ("CNY", "USD", "HKD", "EUR"), "status": ("A", "D", "C")}),
    FeedSpec("deposit", "BALANCE", "BALANCE.dat", "deposit_balance",
             _cols("acct_no:id ledger_balance:amount available_balance:amount accrued_interest:amount"),
             key="acct_no", ref=("acct_no", "ACCOUNT"), control="ledger_balance"),
    FeedSpec("deposit", "FX_RATE", "FX_RATE.dat", "deposit_fx_rate",
             _cols("currency:code cny_per_unit:rate"),
             key="currency", codes={"currency": ("CNY", "USD", "HKD", "EUR")}),
    # -- loan: CSV with .ctl -----------------------------------------------------
    FeedSpec("loan", "BORROWER", "BORROWER.csv", "loan_borrower",
             _cols("borrower_id:id borrower_type:code name:text id_type:code id_no:id mobile:text "
                   "birth_date:date annual_income:amount industry_code:text branch_code:id"),
             key="borrower_id", codes={"borrower_type": ("PERSON", "COMPANY"), "id_type": ID_TYPES},
             id_checks=(("id_no", "id_type"),)),
    FeedSpec("loan", "CONTRACT", "CONTRACT.csv", "loan_contract",
             _cols("contract_no:id borrower_id:id product_code:code principal:amount currency:code "
                   "interest_rate:rate start_date:date maturity_date:date repayment_method:code "
                   "collateral_type:code branch_code:id officer_id:id"),
             key="contract_no", ref=("borrower_id", "BORROWER"), control="principal",
             codes={"product_code": ("CONSUMER", "AUTO", "BUSINESS", "WORKING_CAPITAL"),
                    "currency": ("CNY",), "repayment_method": ("EPI", "BULLET", "IOI"),
                    "collateral_type": ("NONE", "VEHICLE", "PROPERTY", "DEPOSIT_PLEDGE", "GUARANTEE")}),
    FeedSpec("loan", "POSITION", "POSITION.csv", "loan_position",
             _cols("contract_no:id outstanding_principal:amount overdue_principal:amount "
                   "overdue_interest:amount days_past_due:int five_class:code status:code"),
             key="contract_no", ref=("contract_no", "CONTRACT"), control="outstanding_principal",
             codes={"five_class": ("1", "2", "3", "4", "5"),
                    "status": ("ACTIVE", "SETTLED", "WRITTEN_OFF")}),
    # -- card: Parquet with CONTROL.json ---------------------------------------------
    FeedSpec("card", "cardholder", "cardholder.parquet", "card_cardholder",
             _cols("holder_id:id name:text id_no:id mobile:text birth_date:date declared_income:amount "
                   "branch_code:id"),
             key="holder_id", id_checks=(("id_no", None),)),
    FeedSpec("card", "card_account", "card_account.parquet", "card_account",
             _cols("card_acct_no:id holder_id:id product:code credit_limit:amount open_date:date "
                   "cycle_day:int status:code"),
             key="card_acct_no", ref=("holder_id", "cardholder"), control="credit_limit",
             codes={"product": ("CLASSIC", "GOLD", "PLATINUM"),
                    "status": ("ACTIVE", "BLOCKED", "CLOSED", "CHARGED_OFF")}),
    FeedSpec("card", "card_txn", "card_txn.parquet", "card_txn",
             _cols("txn_id:id card_acct_no:id txn_ts:timestamp txn_type:code amount:amount mcc:text "
                   "channel:code merchant_city:text"),
             key="txn_id", ref=("card_acct_no", "card_account"), control="amount",
             codes={"txn_type": ("PURCHASE", "CASH_ADVANCE", "PAYMENT", "REFUND", "FEE", "INTEREST"),
                    "channel": ("POS", "ONLINE", "ATM")}),
    FeedSpec("card", "card_statement", "card_statement.parquet", "card_statement",
             _cols("card_acct_no:id statement_date:date credit_limit:amount statement_balance:amount "
                   "min_payment_due:amount payment_due_date:date paid_since_last_statement:amount "
                   "revolving_balance:amount interest_charged:amount fees_charged:amount "
                   "cash_advance_balance:amount cycles_delinquent:int"),
             key="card_acct_no", ref=("card_acct_no", "card_account"), control="statement_balance"),
    # -- mortgage: one workbook, monthly -------------------------------------------------
    FeedSpec("mortgage", "contracts", "MORTGAGE_{yyyymm}.xlsx", "mortgage_contracts",
             _cols("mortgage_no:id borrower_name:text id_no:id mobile:text co_borrower_id_no:id "
                   "property_city:text property_value:amount loan_amount:amount rate_type:code "
                   "interest_rate:rate start_date:date term_months:int branch_code:id"),
             key="mortgage_no", control="loan_amount", codes={"rate_type": ("FIXED", "LPR_FLOAT")},
             id_checks=(("id_no", None), ("co_borrower_id_no", None)), sheet="contracts"),
    FeedSpec("mortgage", "positions", "MORTGAGE_{yyyymm}.xlsx", "mortgage_positions",
             _cols("mortgage_no:id outstanding_principal:amount installment_due:amount "
                   "installment_paid:amount days_past_due:int five_class:code"),
             key="mortgage_no", ref=("mortgage_no", "contracts"), control="outstanding_principal",
             codes={"five_class": ("1", "2", "3", "4", "5")}, sheet="positions"),
)


def feeds_of(system: str) -> list[FeedSpec]:
    """A system's feeds, parents before children (the order the orphan rule needs)."""
    if system not in SYSTEMS:
        raise ValueError(f"unknown source system {system!r}; expected one of {', '.join(SYSTEMS)}")
    return [spec for spec in FEEDS if spec.system == system]


def file_name(spec: FeedSpec, business_date: str) -> str:
    """The file a feed arrives in for a business date given as YYYYMMDD."""
    return spec.file.format(yyyymm=business_date[:6])


def control_files(system: str) -> dict[str, str]:
    """Control files of a system, by the data file they vouch for ('*' = all of them)."""
    if system == "loan":
        return {spec.file: spec.file.replace(".csv", ".ctl") for spec in feeds_of("loan")}
    if system == "card":
        return {"*": "CONTROL.json"}
    return {}
