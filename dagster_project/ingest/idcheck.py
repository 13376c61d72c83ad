"""Check characters of Chinese identity numbers (extract-spec section 6).

- Resident identity number, 18 characters (GB 11643-1999, ISO 7064 MOD 11-2):
  17 digits, then a check character 0-9 or X. The card platform writes the X
  in lower case; that is the same number, so case is ignored.
- Unified social credit code, 18 characters (GB 32100-2015, MOD 31 over the
  alphabet without I, O, S, V, Z).

Both work on whole columns at once (Arrow, then numpy over a byte matrix): the deposit
customer file holds every customer of the bank, every day.
"""

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

RESIDENT_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
RESIDENT_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])

_RESIDENT_CHECK_BYTES = np.frombuffer(RESIDENT_CHECK.encode(), np.uint8)
_USCC_VALUE = np.full(256, -1, np.int64)
_USCC_VALUE[np.frombuffer(USCC_ALPHABET.encode(), np.uint8)] = np.arange(len(USCC_ALPHABET))


def resident_check_char(body: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    digits = np.array([int(c) for c in body[:17]])
    return RESIDENT_CHECK[int(digits @ RESIDENT_WEIGHTS) % 11]


def uscc_check_char(body: str) -> str:
    """The GB 32100 check character of the first 17 characters."""
    values = np.array([USCC_ALPHABET.index(c) for c in body[:17].upper()])
    return USCC_ALPHABET[(31 - int(values @ USCC_WEIGHTS) % 31) % 31]


def strings(values: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> pa.Array:
    """A column of text as one Arrow string array (lists are converted, chunks combined)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(values, pa.string())
    return values.cast(pa.string())


def _eighteen(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Indexes of the 18-character ASCII values, and those values upper-cased as an (n, 18) byte matrix."""
    eighteen = pc.fill_null(pc.and_(pc.string_is_ascii(values), pc.equal(pc.utf8_length(values), 18)), False)
    index = np.flatnonzero(eighteen.to_numpy(zero_copy_only=False))
    fixed = pc.ascii_upper(values.filter(eighteen)).cast(pa.binary()).cast(pa.binary(18))
    data = fixed.buffers()[1]
    matrix = np.frombuffer(data, np.uint8, count=18 * len(fixed), offset=18 * fixed.offset) if len(fixed) \
        else np.zeros(0, np.uint8)
    return index, matrix.reshape(-1, 18)


def resident_id_valid(values: Sequence[str | None] | pa.Array) -> np.ndarray:
    """True where a value is 17 digits and the right check character (X or x)."""
    values = strings(values)
    ok = np.zeros(len(values), bool)
    index, matrix = _eighteen(values)
    if len(index) == 0:
        return ok
    body = matrix[:, :17].astype(np.int64) - ord("0")
    digits = ((body >= 0) & (body <= 9)).all(axis=1)
    expected = _RESIDENT_CHECK_BYTES[(np.clip(body, 0, 9) @ RESIDENT_WEIGHTS) % 11]
    ok[index] = digits & (matrix[:, 17] == expected)
    return ok


def uscc_valid(values: Sequence[str | None] | pa.Array) -> np.ndarray:
    """True where a value is 18 characters of the code alphabet with the right check character."""
    values = strings(values)
    ok = np.zeros(len(values), bool)
    index, matrix = _eighteen(values)
    if len(index) == 0:
        return ok
    numbers = _USCC_VALUE[matrix]
    legal = (numbers >= 0).all(axis=1)
    expected = (31 - (np.clip(numbers[:, :17], 0, None) @ USCC_WEIGHTS) % 31) % 31
    ok[index] = legal & (numbers[:, 17] == expected)
    return ok
