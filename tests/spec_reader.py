"""An independent reader of a raw landing zone, written from extract-spec.md only.

The tests use it to hold the simulator (and later the warehouse) to the
interface contract. It deliberately imports nothing from ``dagster_project``:
if both sides misread the spec the same way, nothing would notice.

Conventions, as in the spec and docs/simulator.md:
- a record's number is its physical line for text files (the header is line
  1; for a CSV record spanning lines, its first line), its 1-based row for
  Parquet, its Excel row for xlsx sheets (the header is row 1);
- defect codes are the ones of docs/simulator.md (``FIELD_COUNT``, ...).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

READY = "_READY"
SYSTEMS = ("deposit", "loan", "card", "mortgage")
CENT = Decimal("0.01")

# --------------------------------------------------------------------------
# Identity numbers: GB 11643 (resident identity card), GB 32100 (USCC)
# --------------------------------------------------------------------------

GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GB11643_CHECK = "10X98765432"
GB32100_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
GB32100_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def gb11643_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"not 17 digits: {first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, GB11643_WEIGHTS, strict=False))
    return GB11643_CHECK[total % 11]


def gb32100_check_char(first17: str) -> str:
    """GB 32100 check character of a unified social credit code's first 17 characters."""
    if len(first17) != 17 or any(c not in GB32100_ALPHABET for c in first17):
        raise ValueError(f"not a GB 32100 code body: {first17!r}")
    total = sum(GB32100_ALPHABET.index(c) * w for c, w in zip(first17, GB32100_WEIGHTS, strict=False))
    return GB32100_ALPHABET[(31 - total % 31) % 31]


def id15_to_18(id15: str) -> str:
    """A legacy 15-digit resident identity number in its 18-character form."""
    if len(id15) != 15 or not id15.isascii() or not id15.isdigit():
        raise ValueError(f"not 15 digits: {id15!r}")
    body = id15[:6] + "19" + id15[6:]
    return body + gb11643_check_char(body)


def normalise_id(value: str) -> str:
    """NFKC (full-width digits), trim (ASCII and ideographic spaces), upper (x)."""
    return unicodedata.normalize("NFKC", value).strip().upper()


RESIDENT_18 = re.compile(r"\d{17}[\dX]")


def resident_id_ok(id18: str) -> bool:
    if not RESIDENT_18.fullmatch(id18) or not id18.isascii():
        return False
    if gb11643_check_char(id18[:17]) != id18[17]:
        return False
    try:  # it also encodes the birth date
        dt.datetime.strptime(id18[6:14], "%Y%m%d")
    except ValueError:
        return False
    return True


def uscc_ok(code: str) -> bool:
    return (len(code) == 18 and all(c in GB32100_ALPHABET for c in code)
            and gb32100_check_char(code[:17]) == code[17])


def canonical_resident_id(value: str) -> str:
    """The 18-character form of a source's resident identity number."""
    value = normalise_id(value)
    return id15_to_18(value) if len(value) == 15 and value.isdigit() else value


# --------------------------------------------------------------------------
# _READY
# --------------------------------------------------------------------------


def read_manifest(folder) -> tuple[int, dict[str, tuple[int, str]]]:
    """(delivery number, {file: (size, sha256)}) from a folder's ``_READY``."""
    lines = (Path(folder) / READY).read_bytes().decode("utf-8").splitlines()
    first = lines[0].split(" ")
    if len(first) != 2 or first[0] != "delivery" or not first[1].isdigit():
        raise ValueError(f"bad first line of _READY: {lines[0]!r}")
    files = {}
    for line in lines[1:]:
        if not line.strip():
            continue
        name, size, sha = line.rsplit(" ", 2)
        if name in files:
            raise ValueError(f"_READY lists {name} twice")
        files[name] = (int(size), sha.lower())
    return int(first[1]), files


def sha256_of(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def verify_manifest(folder) -> list[tuple[str, str, str]]:
    """Problems as (file, kind, detail); kind SIZE_MISMATCH, CHECKSUM_MISMATCH,
    FILE_MISSING (listed but absent) or UNLISTED (present, not in _READY)."""
    folder = Path(folder)
    _, listed = read_manifest(folder)
    problems = []
    for name, (size, sha) in sorted(listed.items()):
        path = folder / name
        if not path.is_file():
            problems.append((name, "FILE_MISSING", "listed in _READY but absent"))
            continue
        actual_size = path.stat().st_size
        if actual_size != size:
            problems.append((name, "SIZE_MISMATCH", f"_READY {size}, file {actual_size}"))
        actual_sha = sha256_of(path)
        if actual_sha != sha:
            problems.append((name, "CHECKSUM_MISMATCH", f"_READY {sha}, file {actual_sha}"))
    for path in sorted(folder.iterdir()):
        if path.name != READY and path.name not in listed:
            problems.append((path.name, "UNLISTED", "present but not listed in _READY"))
    return problems


# --------------------------------------------------------------------------
# The spec's tables
# --------------------------------------------------------------------------


@dataclass
class Table:
    system: str
    name: str  # CUSTOMER, BORROWER, card_txn, contracts, ...
    columns: tuple[str, ...]
    key: str
    control: str | None = None
    ref: tuple[str, str] | None = None  # (column, parent table) for the orphan rule
    dates: tuple[str, ...] = ()
    timestamps: tuple[str, ...] = ()
    amounts: tuple[str, ...] = ()  # money: 2 places, never negative
    rates: tuple[str, ...] = ()  # annual percent, up to 4 places
    integers: tuple[str, ...] = ()
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    id_columns: tuple[str, ...] = ()  # identity numbers
    text_ids: tuple[str, ...] = ()  # ids: text, leading zeros kept


def _cols(text: str) -> tuple[str, ...]:
    return tuple(text.replace(",", " ").split())


CURRENCIES = ("CNY", "USD", "HKD", "EUR")
ID_TYPES = ("01", "03", "10")
FIVE_CLASS = ("1", "2", "3", "4", "5")

TABLES: dict[str, dict[str, Table]] = {
    "deposit": {t.name: t for t in [
        Table("deposit", "BRANCH", _cols("branch_code, branch_name, parent_code, level, city"),
              key="branch_code", codes={"level": ("HEAD", "TIER1", "TIER2", "SUB")},
              text_ids=("branch_code", "parent_code")),
        Table("deposit", "CUSTOMER", _cols(
            "cif_no, cust_type, cust_name, id_type, id_no, gender, birth_date, mobile, address, "
            "branch_code, rm_id, open_date, last_update"),
              key="cif_no", dates=("birth_date", "open_date"), timestamps=("last_update",),
              codes={"cust_type": ("I", "C"), "id_type": ID_TYPES, "gender": ("M", "F")},
              id_columns=("id_no",), text_ids=("cif_no", "id_no", "branch_code", "rm_id")),
        Table("deposit", "ACCOUNT", _cols(
            "acct_no, cif_no, product_code, currency, open_date, maturity_date, interest_rate, "
            "status, branch_code"),
              key="acct_no", ref=("cif_no", "CUSTOMER"), dates=("open_date", "maturity_date"),
              rates=("interest_rate",),
              codes={"product_code": ("DD01", "TD03", "TD06", "TD12", "TD24", "TD36", "TD60"),
                     "currency": CURRENCIES, "status": ("A", "D", "C")},
              text_ids=("acct_no", "cif_no", "branch_code")),
        Table("deposit", "BALANCE", _cols("acct_no, ledger_balance, available_balance, accrued_interest"),
              key="acct_no", control="ledger_balance", ref=("acct_no", "ACCOUNT"),
              amounts=("ledger_balance", "available_balance", "accrued_interest"),
              text_ids=("acct_no",)),
        Table("deposit", "FX_RATE", _cols("currency, cny_per_unit"), key="currency",
              rates=("cny_per_unit",), codes={"currency": CURRENCIES}),
    ]},
    "loan": {t.name: t for t in [
        Table("loan", "BORROWER", _cols(
            "borrower_id, borrower_type, name, id_type, id_no, mobile, birth_date, annual_income, "
            "industry_code, branch_code"),
              key="borrower_id", dates=("birth_date",), amounts=("annual_income",),
              codes={"borrower_type": ("PERSON", "COMPANY"), "id_type": ID_TYPES},
              id_columns=("id_no",), text_ids=("borrower_id", "id_no", "branch_code")),
        Table("loan", "CONTRACT", _cols(
            "contract_no, borrower_id, product_code, principal, currency, interest_rate, start_date, "
            "maturity_date, repayment_method, collateral_type, branch_code, officer_id"),
              key="contract_no", control="principal", ref=("borrower_id", "BORROWER"),
              dates=("start_date", "maturity_date"), amounts=("principal",), rates=("interest_rate",),
              codes={"product_code": ("CONSUMER", "AUTO", "BUSINESS", "WORKING_CAPITAL"),
                     "currency": ("CNY",), "repayment_method": ("EPI", "BULLET", "IOI"),
                     "collateral_type": ("NONE", "VEHICLE", "PROPERTY", "DEPOSIT_PLEDGE",
                                         "GUARANTEE")},
              text_ids=("contract_no", "borrower_id", "branch_code", "officer_id")),
        Table("loan", "POSITION", _cols(
            "contract_no, outstanding_principal, overdue_principal, overdue_interest, days_past_due, "
            "five_class, status"),
              key="contract_no", control="outstanding_principal", ref=("contract_no", "CONTRACT"),
              amounts=("outstanding_principal", "overdue_principal", "overdue_interest"),
              integers=("days_past_due",),
              codes={"five_class": FIVE_CLASS, "status": ("ACTIVE", "SETTLED", "WRITTEN_OFF")},
              text_ids=("contract_no",)),
    ]},
    "card": {t.name: t for t in [
        Table("card", "cardholder", _cols(
            "holder_id, name, id_no, mobile, birth_date, declared_income, branch_code"),
              key="holder_id", dates=("birth_date",), amounts=("declared_income",),
              id_columns=("id_no",), text_ids=("holder_id", "id_no", "branch_code")),
        Table("card", "card_account", _cols(
            "card_acct_no, holder_id, product, credit_limit, open_date, cycle_day, status"),
              key="card_acct_no", control="credit_limit", ref=("holder_id", "cardholder"),
              dates=("open_date",), amounts=("credit_limit",), integers=("cycle_day",),
              codes={"product": ("CLASSIC", "GOLD", "PLATINUM"),
                     "cycle_day": tuple(str(d) for d in range(1, 29)),
                     "status": ("ACTIVE", "BLOCKED", "CLOSED", "CHARGED_OFF")},
              text_ids=("card_acct_no", "holder_id")),
        Table("card", "card_txn", _cols(
            "txn_id, card_acct_no, txn_ts, txn_type, amount, mcc, channel, merchant_city"),
              key="txn_id", control="amount", ref=("card_acct_no", "card_account"),
              timestamps=("txn_ts",), amounts=("amount",),
              codes={"txn_type": ("PURCHASE", "CASH_ADVANCE", "PAYMENT", "REFUND", "FEE", "INTEREST"),
                     "channel": ("POS", "ONLINE", "ATM")},
              text_ids=("txn_id", "card_acct_no", "mcc")),
        Table("card", "card_statement", _cols(
            "card_acct_no, statement_date, credit_limit, statement_balance, min_payment_due, "
            "payment_due_date, paid_since_last_statement, revolving_balance, interest_charged, "
            "fees_charged, cash_advance_balance, cycles_delinquent"),
              key="card_acct_no", control="statement_balance", ref=("card_acct_no", "card_account"),
              dates=("statement_date", "payment_due_date"),
              amounts=("credit_limit", "statement_balance", "min_payment_due",
                       "paid_since_last_statement", "revolving_balance", "interest_charged",
                       "fees_charged", "cash_advance_balance"),
              integers=("cycles_delinquent",),
              codes={"cycles_delinquent": tuple(str(c) for c in range(0, 8))},
              text_ids=("card_acct_no",)),
    ]},
    "mortgage": {t.name: t for t in [
        Table("mortgage", "contracts", _cols(
            "mortgage_no, borrower_name, id_no, mobile, co_borrower_id_no, property_city, "
            "property_value, loan_amount, rate_type, interest_rate, start_date, term_months, "
            "branch_code"),
              key="mortgage_no", control="loan_amount", dates=("start_date",),
              amounts=("property_value", "loan_amount"), rates=("interest_rate",),
              integers=("term_months",), codes={"rate_type": ("FIXED", "LPR_FLOAT")},
              id_columns=("id_no", "co_borrower_id_no"),
              text_ids=("mortgage_no", "id_no", "co_borrower_id_no", "branch_code")),
        Table("mortgage", "positions", _cols(
            "mortgage_no, outstanding_principal, installment_due, installment_paid, days_past_due, "
            "five_class"),
              key="mortgage_no", control="outstanding_principal", ref=("mortgage_no", "contracts"),
              amounts=("outstanding_principal", "installment_due", "installment_paid"),
              integers=("days_past_due",), codes={"five_class": FIVE_CLASS},
              text_ids=("mortgage_no",)),
    ]},
}

DEPOSIT_FILES = {f"{name}.dat": name for name in TABLES["deposit"]}
LOAN_FILES = {f"{name}.csv": name for name in TABLES["loan"]}
CARD_FILES = {f"{name}.parquet": name for name in TABLES["card"]}
CARD_CONTROL = "CONTROL.json"
MORTGAGE_SHEETS = ("contracts", "positions", "control")


def mortgage_file(business_date: str) -> str:
    return f"MORTGAGE_{business_date[:6]}.xlsx"


def expected_files(system: str, business_date: str) -> set[str]:
    """Every file a complete delivery holds (besides _READY)."""
    if system == "deposit":
        return set(DEPOSIT_FILES)
    if system == "loan":
        return set(LOAN_FILES) | {f[:-4] + ".ctl" for f in LOAN_FILES}
    if system == "card":
        return set(CARD_FILES) | {CARD_CONTROL}
    return {mortgage_file(business_date)}


def is_month_end(business_date: str) -> bool:
    day = dt.datetime.strptime(business_date, "%Y%m%d").date()
    return (day + dt.timedelta(days=1)).day == 1


# --------------------------------------------------------------------------
# deposit: GBK, CRLF, | separated, header / D records / trailer
# --------------------------------------------------------------------------


@dataclass
class DepositFile:
    header: list[str] | None  # H record fields (with the leading "H"), None if line 1 is not one
    records: list[tuple[int, list[str]]]  # (line number, fields after the leading "D")
    trailer: tuple[str, str] | None  # (count, sum) as text; None if the last line is no trailer
    bad_lines: list[tuple[int, bytes]]  # lines whose bytes are not GBK
    problems: list[str]  # layout problems: line ends, stray records


def read_deposit_file(path) -> DepositFile:
    data = Path(path).read_bytes()
    problems = []
    # 0x0D and 0x0A are never GBK trail bytes: splitting the bytes is safe;
    # each line is decoded whole before it is split on "|".
    lines = data.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    else:
        problems.append("file does not end in CRLF")
    header = None
    trailer = None
    records: list[tuple[int, list[str]]] = []
    bad: list[tuple[int, bytes]] = []
    last = len(lines)
    for no, raw in enumerate(lines, start=1):
        if b"\r" in raw or b"\n" in raw:
            problems.append(f"line {no}: bare CR or LF")
        try:
            text = raw.decode("gbk")
        except UnicodeDecodeError:
            bad.append((no, raw))
            continue
        fields = text.split("|")
        kind = fields[0]
        if no == 1 and kind == "H":
            header = fields
        elif no == last and kind == "T" and no > 1:
            trailer = (fields[1] if len(fields) > 1 else "", fields[2] if len(fields) > 2 else "")
            if len(fields) != 3:
                problems.append(f"line {no}: trailer has {len(fields)} fields")
        elif kind == "D":
            records.append((no, fields[1:]))
        else:
            problems.append(f"line {no}: unexpected record type {kind!r}")
    if header is None:
        problems.append("line 1 is not a header record")
    return DepositFile(header, records, trailer, bad, problems)


def lossy_fields(raw: bytes) -> list[str]:
    """The fields of an undecodable line, broken bytes replaced (record type dropped)."""
    return raw.decode("gbk", errors="replace").split("|")[1:]


# --------------------------------------------------------------------------
# loan: UTF-8 CSV, RFC 4180, header by name, .ctl control files
# --------------------------------------------------------------------------


@dataclass
class LoanFile:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (first physical line, fields)
    problems: list[str]


def read_loan_csv(path) -> LoanFile:
    """Raises UnicodeDecodeError or csv.Error for an unreadable file."""
    data = Path(path).read_bytes()
    problems = []
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append("UTF-8 BOM")
    if b"\r" in data:
        problems.append("CR in file (line ends must be LF)")
    text = data.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] = []
    rows = []
    line = 1  # physical line where the next record starts
    for i, fields in enumerate(reader):
        if i == 0:
            header = fields
        else:
            rows.append((line, fields))
        line = reader.line_num + 1
    return LoanFile(header, rows, problems)


def read_ctl(path) -> dict:
    """{"record_count": int, "amount_sum": Decimal} from a .ctl file."""
    lines = [x for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]
    values = dict(line.split("=", 1) for line in lines)
    if set(values) != {"record_count", "amount_sum"} or len(lines) != 2:
        raise ValueError(f"bad control file: {lines!r}")
    if not re.fullmatch(r"-?\d+\.\d{2}", values["amount_sum"]):
        raise ValueError(f"amount_sum is not 2 places: {values['amount_sum']!r}")
    return {"record_count": int(values["record_count"]), "amount_sum": Decimal(values["amount_sum"])}


# --------------------------------------------------------------------------
# card: Parquet + CONTROL.json
# --------------------------------------------------------------------------


@dataclass
class CardDelivery:
    tables: dict[str, tuple[object, list[dict]]]  # file -> (pyarrow schema, rows)
    unreadable: dict[str, str]  # file -> error
    control: dict | None  # CONTROL.json as parsed; None if absent or unreadable


def read_card_file(path) -> tuple[object, list[dict]]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return table.schema, table.to_pylist()


def read_card(folder) -> CardDelivery:
    folder = Path(folder)
    tables, unreadable = {}, {}
    for name in sorted(CARD_FILES):
        path = folder / name
        if not path.is_file():
            continue
        try:
            tables[name] = read_card_file(path)
        except Exception as exc:  # noqa: BLE001 - any failure is "unreadable"
            unreadable[name] = f"{type(exc).__name__}: {exc}"
    control = None
    if (folder / CARD_CONTROL).is_file():
        try:
            control = json.loads((folder / CARD_CONTROL).read_text(encoding="utf-8"))
        except ValueError as exc:
            unreadable[CARD_CONTROL] = str(exc)
    return CardDelivery(tables, unreadable, control)


# --------------------------------------------------------------------------
# mortgage: one xlsx, sheets contracts / positions / control
# --------------------------------------------------------------------------


@dataclass
class Sheet:
    header: list
    rows: list[tuple[int, list, list[str]]]  # (Excel row, values, cell types)


def cell_type(value) -> str:
    """'s' text, 'n' number, 'd' date, 'b' bool, '' empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "b"
    if isinstance(value, (int, float, Decimal)):
        return "n"
    if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        return "d"
    return "s"


def read_mortgage(path) -> dict[str, Sheet]:
    """Every sheet of the workbook; raises for an unreadable file."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = {}
        for ws in workbook.worksheets:
            header: list = []
            rows = []
            for excel_row, values in enumerate(ws.iter_rows(values_only=True), start=1):
                values = list(values)
                if excel_row == 1:
                    while values and values[-1] is None:
                        values.pop()
                    header = values
                    continue
                if all(v is None for v in values):
                    continue
                values = (values + [None] * len(header))[:max(len(header), len(values))]
                rows.append((excel_row, values, [cell_type(v) for v in values]))
            sheets[ws.title] = Sheet(header, rows)
        return sheets
    finally:
        workbook.close()


# --------------------------------------------------------------------------
# A delivery as records, and what a reader of the spec sees wrong in it
# --------------------------------------------------------------------------


@dataclass
class Record:
    no: int
    values: dict  # spec column -> value (text for deposit/loan, typed otherwise)
    nfields: int | None = None  # fields on the line (text formats)
    undecodable: bool = False
    types: dict = field(default_factory=dict)  # mortgage: column -> cell type


@dataclass
class Feed:
    system: str
    table: Table
    file: str
    records: list[Record]
    header: list | None = None  # column names as delivered (loan, card, mortgage)
    declared: tuple[int, Decimal] | None = None  # the file's own (count, sum)
    schema: object = None  # card: pyarrow schema

    @property
    def name(self) -> str:
        return self.table.name


@dataclass
class Delivery:
    system: str
    business_date: str
    folder: Path
    delivery_no: int | None
    feeds: dict[str, Feed]  # by table name
    file_problems: dict[str, set[str]]  # file -> defect codes seen
    notes: list[str]  # anything else that departs from the spec (layout, headers)


def _add(problems: dict[str, set[str]], file: str, code: str) -> None:
    problems.setdefault(file, set()).add(code)


def read_delivery(folder, system: str, business_date: str | None = None) -> Delivery:
    folder = Path(folder)
    business_date = business_date or folder.name
    file_problems: dict[str, set[str]] = {}
    notes: list[str] = []
    delivery_no = None
    if (folder / READY).is_file():
        delivery_no, _ = read_manifest(folder)
        for name, kind, detail in verify_manifest(folder):
            if kind == "UNLISTED":
                notes.append(f"{name}: {detail}")
            else:
                _add(file_problems, name, kind)
    reader = {"deposit": _deposit, "loan": _loan, "card": _card, "mortgage": _mortgage}[system]
    feeds = reader(folder, business_date, file_problems, notes)
    return Delivery(system, business_date, folder, delivery_no, feeds, file_problems, notes)


def _deposit(folder, business_date, file_problems, notes) -> dict[str, Feed]:
    feeds = {}
    for file, name in DEPOSIT_FILES.items():
        path = folder / file
        if not path.is_file():
            continue
        table = TABLES["deposit"][name]
        df = read_deposit_file(path)
        notes += [f"{file}: {p}" for p in df.problems]
        expected_header = ["H", "DEPOSIT", name, business_date]
        if df.header is None or df.header[:4] != expected_header or len(df.header) != 5 \
                or not _parses(df.header[4], "%Y%m%d%H%M%S"):
            notes.append(f"{file}: header {df.header!r}")
        records = [Record(no, dict(zip(table.columns, fields, strict=False)), len(fields))
                   for no, fields in df.records]
        for no, raw in df.bad_lines:
            if raw.startswith(b"D|"):
                fields = lossy_fields(raw)
                records.append(Record(no, dict(zip(table.columns, fields, strict=False)), len(fields), True))
        records.sort(key=lambda r: r.no)
        declared = None
        if df.trailer is None:
            _add(file_problems, file, "MISSING_TRAILER")
        elif not df.trailer[0].isdigit() or not re.fullmatch(r"-?\d+\.\d{2}", df.trailer[1]):
            notes.append(f"{file}: trailer {df.trailer!r}")
            _add(file_problems, file, "CONTROL_MISMATCH")
        else:
            declared = (int(df.trailer[0]), Decimal(df.trailer[1]))
        feed = Feed("deposit", table, file, records, declared=declared)
        if declared is not None and _control_disagrees(feed):
            _add(file_problems, file, "CONTROL_MISMATCH")
        feeds[name] = feed
    return feeds


def _loan(folder, business_date, file_problems, notes) -> dict[str, Feed]:
    feeds = {}
    for file, name in LOAN_FILES.items():
        path = folder / file
        if not path.is_file():
            continue
        table = TABLES["loan"][name]
        try:
            lf = read_loan_csv(path)
        except (UnicodeDecodeError, csv.Error) as exc:
            notes.append(f"{file}: {exc}")
            _add(file_problems, file, "UNREADABLE")
            continue
        notes += [f"{file}: {p}" for p in lf.problems]
        if any(c not in lf.header for c in table.columns):
            _add(file_problems, file, "MISSING_COLUMN")
        if any(c not in table.columns for c in lf.header):
            _add(file_problems, file, "EXTRA_COLUMN")
        if len(set(lf.header)) != len(lf.header):
            notes.append(f"{file}: repeated column in header {lf.header!r}")
        records = []
        for no, fields in lf.rows:
            by_name = dict(zip(lf.header, fields, strict=False))
            records.append(Record(no, {c: by_name[c] for c in table.columns if c in by_name},
                                  len(fields)))
        declared = None
        ctl = folder / (file[:-4] + ".ctl")
        if ctl.is_file():
            try:
                control = read_ctl(ctl)
                declared = (control["record_count"], control["amount_sum"])
            except ValueError as exc:
                notes.append(f"{ctl.name}: {exc}")
                _add(file_problems, file, "CONTROL_MISMATCH")
        feed = Feed("loan", table, file, records, header=lf.header, declared=declared)
        if declared is not None and _control_disagrees(feed):
            _add(file_problems, file, "CONTROL_MISMATCH")
        feeds[name] = feed
    return feeds


def _card(folder, business_date, file_problems, notes) -> dict[str, Feed]:
    card = read_card(folder)
    for file, error in card.unreadable.items():
        notes.append(f"{file}: {error}")
        _add(file_problems, file, "UNREADABLE")
    feeds = {}
    for file, (schema, rows) in card.tables.items():
        table = TABLES["card"][CARD_FILES[file]]
        if any(c not in schema.names for c in table.columns):
            _add(file_problems, file, "MISSING_COLUMN")
        if any(c not in table.columns for c in schema.names):
            notes.append(f"{file}: extra columns {schema.names!r}")
        records = [Record(i, {c: row[c] for c in table.columns if c in row})
                   for i, row in enumerate(rows, start=1)]
        declared = None
        entry = (card.control or {}).get(table.name, (card.control or {}).get(file))
        if entry is not None:
            try:
                declared = (int(entry["records"]), Decimal(str(entry["amount_sum"])))
                if not isinstance(entry["amount_sum"], str):
                    notes.append(f"{CARD_CONTROL}: amount_sum of {table.name} is not a string")
            except (KeyError, TypeError, ValueError, ArithmeticError):
                notes.append(f"{CARD_CONTROL}: bad entry for {table.name}: {entry!r}")
                _add(file_problems, file, "CONTROL_MISMATCH")
        elif card.control is not None:
            notes.append(f"{CARD_CONTROL}: no entry for {table.name}")
            _add(file_problems, file, "CONTROL_MISMATCH")
        feed = Feed("card", table, file, records, header=list(schema.names), declared=declared,
                    schema=schema)
        if declared is not None and _control_disagrees(feed):
            _add(file_problems, file, "CONTROL_MISMATCH")
        feeds[table.name] = feed
    return feeds


def _mortgage(folder, business_date, file_problems, notes) -> dict[str, Feed]:
    file = mortgage_file(business_date)
    path = folder / file
    if not path.is_file():
        return {}
    try:
        sheets = read_mortgage(path)
    except Exception as exc:  # noqa: BLE001 - any failure is "unreadable"
        notes.append(f"{file}: {type(exc).__name__}: {exc}")
        _add(file_problems, file, "UNREADABLE")
        return {}
    if list(sheets) != list(MORTGAGE_SHEETS):
        notes.append(f"{file}: sheets {list(sheets)!r}")
    if any(s not in sheets for s in MORTGAGE_SHEETS):
        _add(file_problems, file, "UNREADABLE")
    control = {}
    if "control" in sheets:
        sheet = sheets["control"]
        if sheet.header[:3] != ["sheet", "records", "amount_sum"]:
            notes.append(f"{file}: control header {sheet.header!r}")
        for _, values, _types in sheet.rows:
            try:
                control[values[0]] = (int(values[1]), Decimal(str(values[2])).quantize(CENT))
            except (TypeError, ValueError, ArithmeticError, IndexError):
                notes.append(f"{file}: control row {values!r}")
    feeds = {}
    for name, table in TABLES["mortgage"].items():
        if name not in sheets:
            continue
        sheet = sheets[name]
        header = sheet.header
        if any(c not in header for c in table.columns):
            _add(file_problems, file, "MISSING_COLUMN")
        if any(c not in table.columns for c in header):
            notes.append(f"{file}: {name} has extra columns {header!r}")
        index = {c: header.index(c) for c in table.columns if c in header}
        records = [Record(no, {c: values[i] for c, i in index.items()},
                          types={c: types[i] for c, i in index.items()})
                   for no, values, types in sheet.rows]
        feed = Feed("mortgage", table, file, records, header=header, declared=control.get(name))
        if feed.declared is None or _control_disagrees(feed):
            _add(file_problems, file, "CONTROL_MISMATCH")
        feeds[name] = feed
    return feeds


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------


def _parses(text: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(text, fmt)
    except (TypeError, ValueError):
        return False
    return len(text) == len(dt.datetime.strptime(text, fmt).strftime(fmt))


DATE_FORMAT = {"deposit": "%Y%m%d", "loan": "%Y-%m-%d"}
DATE_SHAPE = {"deposit": r"\d{8}", "loan": r"\d{4}-\d{2}-\d{2}"}
AMOUNT = re.compile(r"-?\d+\.\d{2}")
RATE = re.compile(r"-?\d+(\.\d{1,4})?")
INTEGER = re.compile(r"-?\d+")


def amount_value(feed: Feed, value) -> Decimal | None:
    """An amount as Decimal, or None if it does not parse as the spec's amount."""
    if feed.system in ("deposit", "loan"):
        return Decimal(value) if isinstance(value, str) and AMOUNT.fullmatch(value) else None
    if feed.system == "card":
        return value if isinstance(value, Decimal) else None
    if cell_type(value) == "n":
        return Decimal(str(value)).quantize(CENT)
    return None


def control_total(feed: Feed) -> tuple[int, Decimal, bool]:
    """(records, control sum, whether every control value parsed)."""
    total, complete = Decimal("0.00"), True
    if feed.table.control:
        for record in feed.records:
            if record.undecodable or (feed.system == "deposit" and record.nfields != len(feed.table.columns)):
                complete = False  # where its control value is, is unknown
                continue
            value = amount_value(feed, record.values.get(feed.table.control))
            if value is None:
                complete = False
            else:
                total += value
    return len(feed.records), total.quantize(CENT), complete


def _control_disagrees(feed: Feed) -> bool:
    count, total, complete = control_total(feed)
    declared_count, declared_sum = feed.declared
    return declared_count != count or (complete and declared_sum != total)


def code_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def may_be_empty(table: Table, column: str, values: dict) -> bool:
    """Columns the spec lets be empty for some records."""
    if table.system == "deposit" and table.name == "CUSTOMER" and column == "birth_date":
        return values.get("cust_type") == "C"
    if table.name == "ACCOUNT" and column == "maturity_date":
        return values.get("product_code") == "DD01"
    if table.name == "BORROWER" and column in ("annual_income", "birth_date"):
        return values.get("borrower_type") == "COMPANY"
    return bool(table.name == "contracts" and column == "co_borrower_id_no")


def _empty(value) -> bool:
    return value is None or value == ""


def id_check_fails(value: str, id_type: str | None, system: str) -> bool:
    """A failed check character (spec section 6) for an identity number in text form."""
    value = normalise_id(value)
    if id_type == "10":
        return not uscc_ok(value)
    if id_type == "01":
        if system == "loan" and len(value) == 15 and value.isdigit():
            return not resident_id_ok(id15_to_18(value))
        return not resident_id_ok(value)
    if id_type is None and RESIDENT_18.fullmatch(value):  # card, mortgage: no id_type column
        return not resident_id_ok(value)
    return False


def record_defects(feed: Feed, record: Record) -> set[str]:
    """Defects visible in the record alone (not DUPLICATE_KEY or ORPHAN)."""
    table, values, found = feed.table, record.values, set()
    system = feed.system
    if record.undecodable:
        found.add("BAD_ENCODING")
    if record.nfields is not None:
        expected = len(table.columns) if system == "deposit" else len(feed.header or ())
        if record.nfields != expected:
            found.add("FIELD_COUNT")
    for column in table.dates + table.timestamps:
        if column not in values:
            continue
        value = values[column]
        if _empty(value):
            if not may_be_empty(table, column, values):
                found.add("BAD_DATE")
        elif system in DATE_FORMAT:
            fmt = "%Y%m%d%H%M%S" if column in table.timestamps else DATE_FORMAT[system]
            shape = r"\d{14}" if column in table.timestamps else DATE_SHAPE[system]
            if not re.fullmatch(shape, value) or not _parses(value, fmt):
                found.add("BAD_DATE")
        elif not isinstance(value, (dt.date, dt.datetime)):
            found.add("BAD_DATE")
    for column in table.amounts + table.rates + table.integers:
        if column not in values:
            continue
        value = values[column]
        if _empty(value):
            if not may_be_empty(table, column, values):
                found.add("BAD_NUMBER")
            continue
        if system in ("deposit", "loan"):
            shape = AMOUNT if column in table.amounts else RATE if column in table.rates else INTEGER
            if table.name == "FX_RATE":
                shape = re.compile(r"\d+\.\d{4}")
            if not shape.fullmatch(value):
                found.add("BAD_NUMBER")
                continue
            number = Decimal(value)
        elif system == "card":
            number = value
        else:
            if cell_type(value) != "n":
                found.add("BAD_NUMBER")
                continue
            number = Decimal(str(value))
        if column in table.amounts and number < 0:
            found.add("NEGATIVE_AMOUNT")
    for column, allowed in table.codes.items():
        if column not in values:
            continue
        if column == "gender":  # empty exactly for corporates
            allowed = ("",) if values.get("cust_type") == "C" else ("M", "F")
        if code_text(values[column]) not in allowed:
            found.add("UNKNOWN_CODE")
    for column in table.id_columns:
        value = values.get(column)
        if system == "mortgage" and record.types.get(column) == "n":
            found.add("NUMERIC_ID_CELL")
            continue
        if _empty(value):
            if not may_be_empty(table, column, values):
                found.add("ID_CHECK")
            continue
        if not isinstance(value, str):
            found.add("ID_CHECK")
            continue
        if id_check_fails(value, values.get("id_type"), system):
            found.add("ID_CHECK")
    return found


def key_of(feed: Feed, value):
    if value is None:
        return None
    return normalise_id(value) if feed.system == "mortgage" and isinstance(value, str) else value


@dataclass
class Findings:
    """What a reader of the spec sees wrong in one delivery."""

    file_problems: dict[str, set[str]]
    # (file, table) -> record number -> defect codes; ORPHAN here means the
    # referenced id is in no record of the parent file at all.
    records: dict[tuple[str, str], dict[int, set[str]]]
    # (file, table) -> record numbers whose referenced id is carried by no
    # loadable record (spec 8), whatever else is wrong with them.
    unloadable_orphans: dict[tuple[str, str], set[int]]


def find_defects(delivery: Delivery) -> Findings:
    records: dict[tuple[str, str], dict[int, set[str]]] = {}
    rejected = rejected_files(delivery)
    for feed in delivery.feeds.values():
        seen = {r.no: record_defects(feed, r) for r in feed.records}
        counts: dict = {}
        for r in feed.records:
            k = key_of(feed, r.values.get(feed.table.key))
            counts[k] = counts.get(k, 0) + 1
        for r in feed.records:
            if counts[key_of(feed, r.values.get(feed.table.key))] > 1:
                seen[r.no].add("DUPLICATE_KEY")
        if feed.table.ref:
            column, parent_name = feed.table.ref
            parent = delivery.feeds.get(parent_name)
            if parent is not None:
                parent_keys = {key_of(parent, r.values.get(parent.table.key)) for r in parent.records}
                for r in feed.records:
                    if key_of(feed, r.values.get(column)) not in parent_keys:
                        seen[r.no].add("ORPHAN")
        records[(feed.file, feed.name)] = {no: codes for no, codes in seen.items() if codes}
    # Orphans of the loadable records, in reference order (parents first).
    loadable: dict[str, set] = {}
    unloadable: dict[tuple[str, str], set[int]] = {}
    for feed in _parents_first(delivery.feeds):
        defective = records[(feed.file, feed.name)]
        orphans = set()
        if feed.table.ref:
            column, parent_name = feed.table.ref
            parent_keys = loadable.get(parent_name, set())
            orphans = {r.no for r in feed.records if key_of(feed, r.values.get(column)) not in parent_keys}
        unloadable[(feed.file, feed.name)] = orphans
        if feed.file in rejected:
            loadable[feed.name] = set()
        else:
            loadable[feed.name] = {key_of(feed, r.values.get(feed.table.key)) for r in feed.records
                                   if r.no not in defective and r.no not in orphans}
    return Findings({f: set(c) for f, c in delivery.file_problems.items()}, records, unloadable)


def controlled_files(system: str, file: str) -> set[str]:
    """The data files a file's problem makes unloadable: itself, or those it controls."""
    if system == "loan" and file.endswith(".ctl"):
        return {file[:-4] + ".csv"}
    if system == "card" and file == CARD_CONTROL:
        return set(CARD_FILES)
    return {file}


def rejected_files(delivery: Delivery) -> set[str]:
    """Data files that must be rejected whole (tolerated drift does not reject)."""
    rejected = set()
    for file, codes in delivery.file_problems.items():
        if codes - {"EXTRA_COLUMN"}:
            rejected |= controlled_files(delivery.system, file)
    return rejected


def _parents_first(feeds: dict[str, Feed]) -> list[Feed]:
    ordered, done = [], set()

    def visit(feed: Feed) -> None:
        if feed.name in done:
            return
        if feed.table.ref and feed.table.ref[1] in feeds:
            visit(feeds[feed.table.ref[1]])
        done.add(feed.name)
        ordered.append(feed)

    for feed in feeds.values():
        visit(feed)
    return ordered
