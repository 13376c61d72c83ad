"""Defects of extract-spec section 7, injected into clean feeds, and what they imply.

Record defects change single records (or duplicate them); the orphan rule
then propagates: a record whose referenced id is carried by no loadable
record of the same delivery must be quarantined too, and the truth lists it.
"""

import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .feed import Feed
from .identity import wrong_check_char

RECORD_DEFECTS = {
    "deposit": ("FIELD_COUNT", "BAD_DATE", "BAD_NUMBER", "BAD_ENCODING", "ID_CHECK", "UNKNOWN_CODE",
                "DUPLICATE_KEY", "ORPHAN", "NEGATIVE_AMOUNT"),
    "loan": ("FIELD_COUNT", "BAD_DATE", "BAD_NUMBER", "ID_CHECK", "UNKNOWN_CODE", "DUPLICATE_KEY",
             "ORPHAN", "NEGATIVE_AMOUNT"),
    "card": ("ID_CHECK", "UNKNOWN_CODE", "DUPLICATE_KEY", "ORPHAN", "NEGATIVE_AMOUNT"),
    "mortgage": ("BAD_DATE", "BAD_NUMBER", "ID_CHECK", "UNKNOWN_CODE", "DUPLICATE_KEY", "ORPHAN",
                 "NEGATIVE_AMOUNT", "NUMERIC_ID_CELL"),
}
_COMMON_FILE = ("CHECKSUM_MISMATCH", "SIZE_MISMATCH", "FILE_MISSING", "CONTROL_MISMATCH")
FILE_DEFECTS = {
    "deposit": (*_COMMON_FILE, "MISSING_TRAILER"),
    "loan": (*_COMMON_FILE, "MISSING_COLUMN", "EXTRA_COLUMN"),
    "card": (*_COMMON_FILE, "MISSING_COLUMN", "UNREADABLE"),
    "mortgage": (*_COMMON_FILE, "MISSING_COLUMN", "UNREADABLE"),
}
TOLERATED = {"EXTRA_COLUMN"}
SPOIL_VALUES = ("BAD_DATE", "BAD_NUMBER", "NEGATIVE_AMOUNT")  # kinds that need a value to spoil
BROKEN_BYTES = "\x1a"  # stands for bytes GBK cannot decode; the deposit writer swaps them in


def normalise_id(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().upper()


def _checkable(values: np.ndarray) -> np.ndarray:
    """Identity numbers of 18 characters: they carry a check character."""
    return np.array([len(normalise_id(v)) == 18 for v in values.tolist()], bool)


def _candidates(feed: Feed, kind: str) -> tuple[np.ndarray, list[str]]:
    """Rows that can carry a defect kind, and the columns it may hit."""
    cols = feed.columns
    everyone = np.ones(feed.size, bool)
    if kind == "BAD_DATE":
        names = list(feed.dates)
    elif kind == "BAD_NUMBER":
        names = [c for c in (*feed.numbers, *feed.amounts) if c != feed.control]
    elif kind == "NEGATIVE_AMOUNT":
        names = list(feed.amounts)
    elif kind == "UNKNOWN_CODE":
        names = list(feed.codes)
    elif kind in ("ID_CHECK", "NUMERIC_ID_CELL"):
        names = [feed.id_column] if feed.id_column else []
        if names:
            everyone = _checkable(cols[names[0]])
            if kind == "NUMERIC_ID_CELL":  # a number cell can only hold an id of digits
                everyone &= np.char.isdigit(np.char.strip(cols[names[0]]))
    elif kind == "BAD_ENCODING":
        names = [feed.text_column] if feed.text_column else []
    elif kind == "DUPLICATE_KEY":
        names = [feed.key] if feed.key else []
    elif kind == "ORPHAN":
        names = [feed.ref[0]] if feed.ref else []
    else:  # FIELD_COUNT
        names = [next(iter(cols))]
    if not names:
        return np.array([], int), []
    if kind in SPOIL_VALUES:
        # Only values that are there (and not zero, for a sign) can be spoiled.
        filled = np.zeros(feed.size, bool)
        for name in names:
            filled |= (cols[name] != "") & (cols[name] != "0.00")
        everyone &= filled
    return np.flatnonzero(everyone), names


def inject(feed: Feed, rng: np.random.Generator, rate: float, force: set[str]) -> set[str]:
    """Spoil records of a feed; returns the defect kinds it now carries."""
    if feed.size == 0:
        return set()
    # The feed's columns are views of the simulated bank's state: copy before spoiling.
    feed.columns = {name: values.copy() for name, values in feed.columns.items()}
    used = np.zeros(feed.size, bool)
    duplicate = []
    carried = set()
    kinds = RECORD_DEFECTS[feed.system]
    for kind in kinds:
        rows, names = _candidates(feed, kind)
        rows = rows[~used[rows]]
        if len(rows) == 0:
            continue
        count = rng.binomial(len(rows), rate / len(kinds)) if rate > 0 else 0
        count = max(count, int(kind in force))
        if count == 0:
            continue
        picked = rng.choice(rows, min(count, len(rows)), replace=False)
        used[picked] = True
        carried.add(kind)
        for row in picked.tolist():
            feed.defects[row] = kind
            # Spoil a column that holds a value in this row (a sign needs a non-zero one).
            usable = [n for n in names if kind not in SPOIL_VALUES or feed.columns[n][row] not in ("", "0.00")]
            _spoil(feed, kind, row, usable[rng.integers(0, len(usable))], rng)
            if kind == "DUPLICATE_KEY":
                duplicate.append(row)
    if duplicate:
        _duplicate(feed, sorted(duplicate))
    return carried


def _spoil(feed: Feed, kind: str, row: int, column: str, rng: np.random.Generator) -> None:
    values = feed.columns[column]
    value = values[row]
    if kind == "FIELD_COUNT":
        feed.field_count_rows.add(row)
        return
    if kind == "NUMERIC_ID_CELL":
        feed.numeric_id_rows.add(row)
        return
    if kind == "DUPLICATE_KEY":
        return
    new = {
        "BAD_DATE": lambda: ("2026-02-30", "2026-13-45", "20X6-01-01")[rng.integers(0, 3)],
        "BAD_NUMBER": lambda: "1O" + value if value[:1].isdigit() else "N/A",
        "NEGATIVE_AMOUNT": lambda: "-" + value,
        "UNKNOWN_CODE": lambda: "ZZ",
        "ID_CHECK": lambda: wrong_check_char(normalise_id(value)),
        "BAD_ENCODING": lambda: value + BROKEN_BYTES,
        # An id nobody in the delivery carries; suffixed, so it stays unique when it is a key.
        "ORPHAN": lambda: value + "Q",
    }[kind]()
    if values.dtype.kind == "U" and len(new) > values.dtype.itemsize // 4:
        values = feed.columns[column] = values.astype(f"<U{len(new)}")
    values[row] = new


def _duplicate(feed: Feed, rows: list[int]) -> None:
    """Deliver each row again right after itself: both copies carry the key."""
    order = np.sort(np.concatenate([np.arange(feed.size), rows]))
    feed.take(order)
    new_pos = {}
    for pos, old in enumerate(order.tolist()):
        new_pos.setdefault(old, []).append(pos)
    remap = lambda rows_set: {p for r in rows_set for p in new_pos[r]}  # noqa: E731
    feed.defects = {p: kind for r, kind in feed.defects.items() for p in new_pos[r]}
    feed.field_count_rows = remap(feed.field_count_rows)
    feed.numeric_id_rows = remap(feed.numeric_id_rows)


def expected_outcomes(feeds: list[Feed], rejected: set[str]) -> dict[str, dict[int, tuple[str, bool]]]:
    """Every record the warehouse must quarantine: injected ones, then orphans.

    Feeds come parents first. A parent's records count as carried only when
    they can load: their file is not rejected and they carry no defect.
    """
    outcomes: dict[str, dict[int, tuple[str, bool]]] = {}
    loadable: dict[str, pa.Array] = {}
    for feed in feeds:
        found = {row: (kind, True) for row, kind in feed.defects.items()}
        if feed.ref:
            column, parent = feed.ref
            known = loadable.get(parent, pa.array([], pa.string()))
            carried = pc.is_in(pa.array(feed.columns[column].astype(str)), value_set=known)
            for row in np.flatnonzero(~carried.to_numpy(zero_copy_only=False)).tolist():
                found.setdefault(row, ("ORPHAN", False))
        ok = np.full(feed.size, feed.name not in rejected and feed.key is not None)
        ok[list(found)] = False
        keys = feed.columns[feed.key][ok] if feed.key else np.array([], str)
        loadable[feed.name] = pa.array(keys.astype(str), pa.string())
        outcomes[feed.name] = found
    return outcomes
