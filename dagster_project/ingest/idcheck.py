"""Check characters of Chinese identity numbers (extract-spec section 6).

- Resident identity number, 18 characters (GB 11643-1999, ISO 7064 MOD 11-2):
  17 digits, then a check character 0-9 or X. The card platform writes the X
  in lower case; that is the same number, so case is ignored.
- Unified social credit code, 18 characters (GB 32100-2015, MOD 31 over the
  alphabet without I, O, S, V, Z).

Both work on whole columns at once (numpy over a byte matrix): the deposit
customer file holds every customer of the bank, every day.
"""

from collections.abc import Sequence

import numpy as np

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


def _eighteen(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Indexes of the 18-character ASCII values, and those values as an (n, 18) byte matrix."""
    upper = [v.upper() if isinstance(v, str) else "" for v in values]
    index = np.array([i for i, v in enumerate(upper) if len(v) == 18 and v.isascii()], dtype=np.int64)
    joined = "".join(upper[i] for i in index.tolist()).encode("ascii")
    return index, np.frombuffer(joined, np.uint8).reshape(-1, 18)


def resident_id_valid(values: Sequence[str]) -> np.ndarray:
    """True where a value is 17 digits and the right check character (X or x)."""
    ok = np.zeros(len(values), bool)
    index, matrix = _eighteen(values)
    if len(index) == 0:
        return ok
    body = matrix[:, :17].astype(np.int64) - ord("0")
    digits = ((body >= 0) & (body <= 9)).all(axis=1)
    expected = _RESIDENT_CHECK_BYTES[(np.clip(body, 0, 9) @ RESIDENT_WEIGHTS) % 11]
    ok[index] = digits & (matrix[:, 17] == expected)
    return ok


def uscc_valid(values: Sequence[str]) -> np.ndarray:
    """True where a value is 18 characters of the code alphabet with the right check character."""
    ok = np.zeros(len(values), bool)
    index, matrix = _eighteen(values)
    if len(index) == 0:
        return ok
    numbers = _USCC_VALUE[matrix]
    legal = (numbers >= 0).all(axis=1)
    expected = (31 - (np.clip(numbers[:, :17], 0, None) @ USCC_WEIGHTS) % 31) % 31
    ok[index] = legal & (numbers[:, 17] == expected)
    return ok
