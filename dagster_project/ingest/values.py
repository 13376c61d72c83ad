"""Typing of whole columns: delivered text -> DECIMAL, DATE, INT, TIMESTAMP (pyarrow compute).

Every converter returns the typed array and a boolean mask of the values that
were there but could not be typed: those records are quarantined, never
loaded as NULL, since a NULL would hide what the source sent. Empty text is
"no value" and becomes NULL without a defect.

Arrow's strptime is lenient (it rolls 2026-02-30 over into March and reads a
7-digit date), so a parsed value only counts when it prints back as the text
it came from.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .feeds import ARROW_TYPES

# The exact shape of a date or timestamp in each format, checked before parsing.
_SHAPES = {
    "%Y%m%d": r"^[0-9]{8}$",
    "%Y-%m-%d": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "%Y%m%d%H%M%S": r"^[0-9]{14}$",
    "%Y-%m-%d %H:%M:%S": r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
}


def as_mask(values: pa.Array) -> np.ndarray:
    """A boolean arrow array (nulls meaning False) as numpy."""
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def blank(text: pa.Array) -> pa.Array:
    return pc.or_(pc.is_null(text), pc.equal(text, ""))


def _keep(text: pa.Array, good: pa.Array) -> pa.Array:
    """The values where good holds, NULL elsewhere (so a cast never meets a bad one)."""
    return pc.if_else(good, text, pa.scalar(None, pa.string()))


def to_text(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    return _keep(text, pc.invert(blank(text))), np.zeros(len(text), bool)


def to_decimal(text: pa.Array, target: pa.DataType) -> tuple[pa.Array, np.ndarray]:
    """Plain decimal text (optional minus, at most `scale` places) -> decimal128."""
    whole = target.precision - target.scale
    good = pc.match_substring_regex(text, rf"^-?[0-9]{{1,{whole}}}(\.[0-9]{{1,{target.scale}}})?$")
    good = pc.fill_null(good, False)
    return _keep(text, good).cast(target), as_mask(pc.and_not(pc.invert(blank(text)), good))


def to_int(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    good = pc.fill_null(pc.match_substring_regex(text, r"^-?[0-9]{1,9}$"), False)
    return _keep(text, good).cast(pa.int32()), as_mask(pc.and_not(pc.invert(blank(text)), good))


def _to_moment(text: pa.Array, fmt: str) -> tuple[pa.Array, pa.Array]:
    shaped = _keep(text, pc.fill_null(pc.match_substring_regex(text, _SHAPES[fmt]), False))
    parsed = pc.strptime(shaped, format=fmt, unit="s", error_is_null=True)
    # Round trip: only a real calendar moment prints back as the text it came from.
    good = pc.fill_null(pc.equal(pc.strftime(parsed, format=fmt), shaped), False)
    return pc.if_else(good, parsed, pa.scalar(None, parsed.type)), good


def to_date(text: pa.Array, fmt: str) -> tuple[pa.Array, np.ndarray]:
    parsed, good = _to_moment(text, fmt)
    return parsed.cast(pa.date32()), as_mask(pc.and_not(pc.invert(blank(text)), good))


def to_timestamp(text: pa.Array, fmt: str) -> tuple[pa.Array, np.ndarray]:
    parsed, good = _to_moment(text, fmt)
    return parsed.cast(ARROW_TYPES["timestamp"]), as_mask(pc.and_not(pc.invert(blank(text)), good))


def from_text(text: pa.Array, kind: str, date_format: str, timestamp_format: str
              ) -> tuple[pa.Array, np.ndarray]:
    """Type one delivered text column as its registry kind."""
    if kind in ("amount", "rate"):
        return to_decimal(text, ARROW_TYPES[kind])
    if kind == "int":
        return to_int(text)
    if kind == "date":
        return to_date(text, date_format)
    if kind == "timestamp":
        return to_timestamp(text, timestamp_format)
    return to_text(text)


def coerce(values: pa.Array, kind: str, date_format: str = "%Y-%m-%d",
           timestamp_format: str = "%Y-%m-%d %H:%M:%S") -> tuple[pa.Array, np.ndarray]:
    """Type a column that may already be typed (Parquet) or still be text (everything else)."""
    target = ARROW_TYPES[kind]
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return from_text(values.cast(pa.string()), kind, date_format, timestamp_format)
    if values.type == target:
        return values, np.zeros(len(values), bool)
    try:
        # A compatible physical type (decimal(12,2), int64, date64): a safe cast is exact.
        return values.cast(target), np.zeros(len(values), bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # Otherwise judge every value by its text, so that one bad value costs one record.
        return from_text(values.cast(pa.string()), kind, date_format, timestamp_format)
