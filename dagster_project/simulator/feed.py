"""The simulator's in-memory form of one delivered table, and text helpers.

Every feed is held as text columns, the way the sources print them, so that
defects can be injected the same way whatever the file format; the writers
then type the columns for Parquet and Excel.
"""

from dataclasses import dataclass, field

import numpy as np

Columns = dict[str, np.ndarray]


@dataclass
class Feed:
    system: str
    name: str  # the table's name in the spec: CUSTOMER, card_txn, contracts, ...
    columns: Columns
    key: str | None = None
    ref: tuple[str, str] | None = None  # (column, parent feed name) for the orphan rule
    control: str | None = None  # the column the control sum is taken over
    dates: tuple[str, ...] = ()
    amounts: tuple[str, ...] = ()  # money columns: never negative
    numbers: tuple[str, ...] = ()  # other numeric columns (rates, counts)
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    id_column: str | None = None  # identity number carrying a check character
    text_column: str | None = None  # free text that may carry broken bytes
    # Filled in by defect injection: row index -> defect code.
    defects: dict[int, str] = field(default_factory=dict)
    field_count_rows: set[int] = field(default_factory=set)
    numeric_id_rows: set[int] = field(default_factory=set)

    @property
    def size(self) -> int:
        return len(next(iter(self.columns.values())))

    def take(self, index: np.ndarray) -> None:
        self.columns = {name: values[index] for name, values in self.columns.items()}


def append(table: Columns, new: Columns) -> Columns:
    if not table:
        return {k: v.copy() for k, v in new.items()}
    return {k: np.concatenate([table[k], new[k]]) for k in table}


def zfill(values: np.ndarray, width: int) -> np.ndarray:
    """np.char.zfill, which fails on empty arrays."""
    return np.char.zfill(values, width) if len(values) else values.astype(f"<U{width}")


def replace(values: np.ndarray, old: str, new: str) -> np.ndarray:
    """np.char.replace, which fails on empty arrays."""
    return np.char.replace(values, old, new) if len(values) else values


def money(cents: np.ndarray) -> np.ndarray:
    """Integer cents as decimal text with two places (non-negative input)."""
    cents = np.asarray(cents, dtype=np.int64)
    whole = (cents // 100).astype(str)
    return np.char.add(np.char.add(whole, "."), zfill((cents % 100).astype(str), 2))


def rate_text(ten_thousandths: np.ndarray) -> np.ndarray:
    """Rates held as integer 1/10000 of a percent, printed with four places."""
    value = np.asarray(ten_thousandths, dtype=np.int64)
    return np.char.add(np.char.add((value // 10000).astype(str), "."),
                       zfill((value % 10000).astype(str), 4))


def iso(days: np.ndarray) -> np.ndarray:
    """datetime64[D] as YYYY-MM-DD text; NaT as empty text."""
    text = np.datetime_as_string(np.asarray(days, dtype="datetime64[D]")).astype("<U10")
    return np.where(text == "NaT", "", text)


def numbered(prefix: str, start: int, count: int, width: int) -> np.ndarray:
    """Sequential ids with leading zeros: ids are text and keep them."""
    digits = zfill(np.arange(start, start + count).astype(str), width)
    return np.char.add(prefix, digits) if prefix else digits
