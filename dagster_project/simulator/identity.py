"""Identity numbers as the bank's sources hold them, generated in bulk.

Resident identity numbers follow GB 11643 (ISO 7064 MOD 11-2 check
character), unified social credit codes GB 32100. The "messy" forms are the
ones extract-spec section 6 says the sources really carry.
"""

import numpy as np

from .feed import replace, zfill

RESIDENT_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
RESIDENT_CHECK = np.array(list("10X98765432"))
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_USCC_VALUE = np.full(128, -1)
_USCC_VALUE[np.frombuffer(USCC_ALPHABET.encode(), np.uint8)] = np.arange(31)

# Administrative region codes (first six digits) of the cities the bank serves.
REGION_CODES = np.array([
    "110101", "110105", "110108", "310101", "310104", "310115", "440103",
    "440106", "440304", "440305", "330102", "330106", "320102", "320106",
    "510104", "510107", "420102", "420106", "610103", "610113", "370102",
    "370202", "350203", "350102", "430102", "430104", "120101", "500103",
])


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """The characters of equal-length ASCII strings as a (n, width) byte matrix."""
    joined = "".join(values.tolist()).encode("ascii")
    return np.frombuffer(joined, np.uint8).reshape(-1, width)


def resident_check_chars(first17: np.ndarray) -> np.ndarray:
    """GB 11643 check characters for an array of 17-digit strings."""
    if len(first17) == 0:
        return np.array([], dtype="<U1")
    digits = _digits(first17, 17).astype(np.int64) - 48
    return RESIDENT_CHECK[(digits @ RESIDENT_WEIGHTS) % 11]


def uscc_check_chars(first17: np.ndarray) -> np.ndarray:
    """GB 32100 check characters for an array of 17-character code bodies."""
    if len(first17) == 0:
        return np.array([], dtype="<U1")
    values = _USCC_VALUE[_digits(first17, 17)]
    check = (31 - (values @ USCC_WEIGHTS) % 31) % 31
    return np.array(list(USCC_ALPHABET))[check]


def resident_ids(rng: np.random.Generator, birth_dates: np.ndarray, male: np.ndarray) -> np.ndarray:
    """18-character resident identity numbers: region, birth date, sequence, check."""
    n = len(birth_dates)
    region = rng.choice(REGION_CODES, n)
    born = np.datetime_as_string(birth_dates.astype("datetime64[D]")).astype("<U10")
    ymd = replace(born, "-", "")
    # The sequence number's last digit is odd for men, even for women.
    seq = rng.integers(0, 500, n) * 2 + male.astype(int)
    body = np.char.add(np.char.add(region, ymd), zfill(seq.astype(str), 3))
    return np.char.add(body, resident_check_chars(body))


def uscc_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unified social credit codes: registration authority, type, region, org code, check."""
    alphabet = np.array(list(USCC_ALPHABET))
    head = np.char.add(rng.choice(np.array(["91", "92", "93"]), n), rng.choice(REGION_CODES, n))
    org = ["".join(row) for row in alphabet[rng.integers(0, 31, (n, 9))]]
    body = np.char.add(head, np.array(org, dtype="<U9"))
    return np.char.add(body, uscc_check_chars(body))


def passport_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    letters = rng.choice(np.array(list("EGPKS")), n)
    return np.char.add(letters, zfill(rng.integers(0, 10**8, n).astype(str), 8))


def legacy_15(id18: np.ndarray) -> np.ndarray:
    """The pre-1999 15-digit form: no century, no check character."""
    return np.array([s[:6] + s[8:17] for s in id18.tolist()], dtype="<U15")


def wrong_check_char(id_no: str) -> str:
    """The same number with a check character that fails its check."""
    last = id_no[-1].upper()
    alphabet = USCC_ALPHABET if not id_no[:-1].isdigit() or len(id_no) != 18 else "0123456789X"
    return id_no[:-1] + alphabet[(alphabet.index(last) + 1) % len(alphabet)]


FULLWIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}


def fullwidth_with_spaces(value: str, rng: np.random.Generator) -> str:
    """Full-width digits and stray spaces, as hand-keyed mortgage files carry them."""
    messy = value.translate(FULLWIDTH) if rng.random() < 0.6 else value
    pad = ["", " ", "\u3000", "  "]
    return pad[rng.integers(0, 4)] + messy + pad[rng.integers(1, 4)]


def mobile_variants(mobiles: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    """Rewrite a share of 11-digit mobiles in the formats staff really type."""
    out = mobiles.astype(object)
    picks = np.flatnonzero(rng.random(len(mobiles)) < share)
    styles = rng.integers(0, 4, len(picks))
    for i, style in zip(picks.tolist(), styles.tolist(), strict=True):
        m = mobiles[i]
        out[i] = (f"+86 {m[:3]} {m[3:7]} {m[7:]}", f"86-{m}", f"{m[:3]}-{m[3:7]}-{m[7:]}",
                  f"{m[:3]} {m[3:7]} {m[7:]}")[style]
    return out.astype(str)


def stray_spaces(names: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    out = names.astype(object)
    for i in np.flatnonzero(rng.random(len(names)) < share).tolist():
        name = names[i]
        out[i] = (" " + name, name + " ", name[:1] + " " + name[1:])[rng.integers(0, 3)]
    return out.astype(str)
