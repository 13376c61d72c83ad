"""Record rules shared by every format: type, judge and reconcile one delivered file.

A format parser hands over a RawFeed (every delivered record, in delivery
order, as text or as already-typed Parquet columns). `type_records` types
every field per the registry and takes the control sum over all of them;
`check_control` compares it with the source's totals; `check_records` gives
each record at most one reason to be quarantined. Precedence (extract-spec
section 7 lists the defects; the order is ours, most basic first, so the
reason names the first thing to repair):

  1. the record's shape: BAD_ENCODING, FIELD_COUNT (found by the parser)
  2. its fields: BAD_DATE, BAD_NUMBER, UNKNOWN_CODE, NUMERIC_ID_CELL, ID_CHECK, NEGATIVE_AMOUNT
  3. DUPLICATE_KEY: every record carrying a key seen twice in the file (section 8)
  4. ORPHAN: a reference no loaded record of the parent feed carries (section 8)
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import values
from .feeds import FeedSpec
from .idcheck import resident_id_valid, strings, uscc_valid

CENT = Decimal("0.01")
STRUCTURE = ("BAD_ENCODING", "FIELD_COUNT")
FIELD_ORDER = ("BAD_DATE", "BAD_NUMBER", "UNKNOWN_CODE", "NUMERIC_ID_CELL", "ID_CHECK", "NEGATIVE_AMOUNT")


@dataclass(frozen=True)
class Issue:
    """A problem a parser saw in one record (row = 0-based index among delivered records)."""
    row: int
    code: str
    detail: str


class FileRejected(Exception):
    """A whole file cannot be loaded (extract-spec section 7, per file): code and readable reason."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class RawFeed:
    """Every record one file delivered, as its parser read them, in delivery order."""
    spec: FeedSpec
    file: str
    columns: dict[str, pa.Array]  # every spec column, one value per delivered record
    record_no: np.ndarray  # locator of each record in its file (line, row or Excel row number)
    raw: Callable[[int], str]  # a record as the source sent it, for the quarantine
    declared_count: int
    declared_sum: Decimal
    where: str = "line"  # what record_no counts, for messages: line, row, sheet x row
    issues: list[Issue] = field(default_factory=list)
    drift: list[tuple[str, str]] = field(default_factory=list)  # tolerated changes: (code, message)
    date_format: str = "%Y-%m-%d"
    timestamp_format: str = "%Y-%m-%d %H:%M:%S"

    @property
    def size(self) -> int:
        return len(self.record_no)


@dataclass
class TypedFeed:
    table: pa.Table  # every delivered record, typed (NULL where a value could not be typed)
    untypable: dict[str, np.ndarray]  # column -> records whose value was there but is no such value
    control_sum: Decimal  # over every delivered record, as the source's control total is


@dataclass
class CheckedFeed:
    reason: np.ndarray  # object: defect code, or None for a record that loads
    detail: np.ndarray  # object: what exactly is wrong, for the quarantine message

    @property
    def loaded(self) -> np.ndarray:
        return np.array([r is None for r in self.reason.tolist()], bool)


def text_or_empty(value) -> str:
    return "" if value is None else str(value)


class _Verdicts:
    """One reason per record: a later rule never overrides an earlier one."""

    def __init__(self, n: int):
        self.reason = np.full(n, None, object)
        self.detail = np.full(n, None, object)

    def mark(self, mask: np.ndarray, code: str, describe: Callable[[int], str]) -> None:
        for row in np.flatnonzero(mask & (self.reason == None)).tolist():  # noqa: E711 (object array)
            self.reason[row] = code
            self.detail[row] = describe(row)


def type_records(feed: RawFeed) -> TypedFeed:
    """Type every field of every delivered record per the registry, and take the control sum."""
    typed, untypable = {}, {}
    for name, kind in feed.spec.columns:
        typed[name], untypable[name] = values.coerce(feed.columns[name], kind, feed.date_format,
                                                     feed.timestamp_format)
    table = pa.table(typed, schema=feed.spec.record_schema())
    return TypedFeed(table, untypable, control_total(feed.spec, table))


def check_control(feed: RawFeed, typed: TypedFeed) -> str | None:
    """None when the delivered records match the source's control totals, else why not.

    The totals cover every delivered record, quarantined ones included (section 8).
    """
    problems = []
    if feed.size != feed.declared_count:
        problems.append(f"{feed.size} records delivered, control declares {feed.declared_count}")
    if typed.control_sum != feed.declared_sum:
        what = f"sum of {feed.spec.control}" if feed.spec.control else "control sum (no control column)"
        problems.append(f"{what} is {typed.control_sum}, control declares {feed.declared_sum}")
    return "; ".join(problems) or None


def check_records(feed: RawFeed, typed: TypedFeed, parent_keys: pa.Array | None) -> CheckedFeed:
    """Judge every record; parent_keys = the keys the parent feed loaded (None: no parent)."""
    spec, n, table = feed.spec, feed.size, typed.table
    verdicts = _Verdicts(n)

    def shown(name: str) -> Callable[[int], str]:
        source = feed.columns[name]
        return lambda row: repr(text_or_empty(source[row].as_py()))

    by_row: dict[str, dict[int, str]] = {}
    for issue in feed.issues:
        if issue.code not in (*STRUCTURE, *FIELD_ORDER):
            raise ValueError(f"{feed.file}: parser reported an unknown record defect {issue.code}")
        # A record with several issues of one kind is described by the first.
        by_row.setdefault(issue.code, {}).setdefault(issue.row, issue.detail)

    def parser_found(code: str) -> None:
        rows = by_row.get(code, {})
        if rows:
            mask = np.zeros(n, bool)
            mask[list(rows)] = True
            verdicts.mark(mask, code, rows.__getitem__)

    for code in STRUCTURE:
        parser_found(code)

    parser_found("BAD_DATE")
    for name in spec.columns_of("date", "timestamp"):
        fmt = feed.timestamp_format if spec.kind(name) == "timestamp" else feed.date_format
        verdicts.mark(typed.untypable[name], "BAD_DATE",
                      lambda r, c=name, f=fmt: f"{c} {shown(c)(r)} is not a date ({f})")
    parser_found("BAD_NUMBER")
    for name in spec.columns_of("amount", "rate", "int"):
        verdicts.mark(typed.untypable[name], "BAD_NUMBER",
                      lambda r, c=name: f"{c} {shown(c)(r)} is not a valid {spec.kind(c)}")

    parser_found("UNKNOWN_CODE")
    for name, allowed in spec.codes.items():
        column = table[name].combine_chunks()
        known = pc.is_in(column, value_set=pa.array(allowed, pa.string()))
        if name in spec.optional_codes:
            known = pc.or_(known, pc.is_null(column))
        verdicts.mark(~values.as_mask(known), "UNKNOWN_CODE",
                      lambda r, c=name, a=allowed: f"{c} {shown(c)(r)} is not one of {' '.join(a)}")

    parser_found("NUMERIC_ID_CELL")
    parser_found("ID_CHECK")
    for name, id_type_column in spec.id_checks:
        failed = id_check_failures(table[name], table[id_type_column] if id_type_column else None)
        verdicts.mark(failed, "ID_CHECK", lambda r, c=name: f"{c} {shown(c)(r)} fails its check character")

    parser_found("NEGATIVE_AMOUNT")
    for name in spec.columns_of("amount"):
        verdicts.mark(negative_amounts(feed.columns[name], table[name]), "NEGATIVE_AMOUNT",
                      lambda r, c=name: f"{c} {shown(c)(r)} is negative")

    keys = table[spec.key].combine_chunks()
    counts = pc.value_counts(pc.drop_null(keys))
    repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    verdicts.mark(values.as_mask(pc.is_in(keys, value_set=repeated)), "DUPLICATE_KEY",
                  lambda r: f"{spec.key} {shown(spec.key)(r)} occurs more than once in the file")

    if spec.ref:
        column, parent = spec.ref
        known = parent_keys if parent_keys is not None else pa.array([], pa.string())
        present = values.as_mask(pc.is_in(table[column].combine_chunks(), value_set=known))
        verdicts.mark(~present, "ORPHAN",
                      lambda r: f"{column} {shown(column)(r)} is carried by no loaded {parent} record")

    return CheckedFeed(verdicts.reason, verdicts.detail)


def negative_amounts(delivered: pa.Array, typed: pa.Array) -> np.ndarray:
    """Amounts below zero, and amounts the source wrote with a minus sign.

    "-0.00" types as 0.00, but a source that signs a zero has the sign of the
    amount wrong, which is the defect; only text shows the sign (a decimal
    Parquet column has no negative zero).
    """
    typed = typed.combine_chunks() if isinstance(typed, pa.ChunkedArray) else typed
    below = values.as_mask(pc.less(typed, pa.scalar(0, typed.type)))
    if pa.types.is_string(delivered.type):
        signed = pc.and_(pc.starts_with(delivered, "-"), pc.is_valid(typed))
        below |= values.as_mask(signed)
    return below


def control_total(spec: FeedSpec, table: pa.Table) -> Decimal:
    """Sum of the control column over every record that carries a number (0.00 without one)."""
    if not spec.control or table.num_rows == 0:
        return Decimal("0.00")
    total = pc.sum(table[spec.control].cast(pa.decimal128(38, 2))).as_py()
    return Decimal(total or 0).quantize(CENT)


def id_checks(ids, id_types) -> pa.BooleanArray:
    """Per identity number: whether its check character holds (extract-spec section 6), or
    null where no check character applies. Whole columns (Arrow arrays or lists) at once.

    With an id_type column: 01 is a resident id, 18 characters checked, the
    legacy 15-digit form carries no check character but must be 15 digits
    (anything else of type 01 is no id at all: False); 10 is a unified social
    credit code; 03 (passport) has no check. Without one (card, mortgage:
    persons only), an 18-character number is a resident id and anything
    shorter is a legacy number or a passport.
    """
    ids = strings(ids)
    present = values.as_mask(ids.is_valid())
    eighteen = values.as_mask(pc.equal(pc.utf8_length(ids), 18))
    if id_types is None:
        resident, uscc = present & eighteen, np.zeros(len(ids), bool)
        malformed = uscc
    else:
        types = strings(id_types)
        resident = present & values.as_mask(pc.equal(types, "01"))
        uscc = present & values.as_mask(pc.equal(types, "10"))
        legacy = values.as_mask(pc.match_substring_regex(ids, "^[0-9]{15}$"))
        malformed = resident & ~eighteen & ~legacy
        resident &= eighteen
    valid = np.zeros(len(ids), bool)
    for rows, check in ((resident, resident_id_valid), (uscc, uscc_valid)):
        if rows.any():
            valid[rows] = check(ids.filter(pa.array(rows)))
    return pa.array(valid, mask=~(resident | uscc | malformed))


def id_check_failures(ids, id_types) -> np.ndarray:
    """Identity numbers whose check character fails (see id_checks)."""
    return values.as_mask(pc.invert(id_checks(ids, id_types)))
