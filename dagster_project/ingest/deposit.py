"""deposit: GBK, CRLF, `|`-separated lines between a header and a trailer (extract-spec section 2).

A GBK character's second byte may be 0x7C (`|`), so each line is decoded
before it is split into fields. Splitting the bytes into lines on b"\\r\\n" is
safe: GBK trail bytes are 0x40-0xFE, never CR or LF.
"""

from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import values
from .feeds import FeedSpec
from .records import FileRejected, Issue, RawFeed

DATE_FORMAT = "%Y%m%d"
TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"


def _decode(line: bytes) -> tuple[str, str | None]:
    """The line as text, and why it is not GBK (None when it is)."""
    try:
        return line.decode("gbk"), None
    except UnicodeDecodeError as exc:
        # Keep the offending bytes visible (\\xff) in the quarantine instead of dropping them.
        bad = line[exc.start:exc.end]
        return line.decode("gbk", errors="backslashreplace"), f"bytes {bad!r} at offset {exc.start} are not GBK"


def _decode_lines(body: list[bytes]) -> tuple[list[str], list[Issue]]:
    """Every record line as text; a line that is not GBK is kept, shown, and marked BAD_ENCODING."""
    try:
        # Usually the whole body decodes at once, which is much faster than line by line.
        return b"\r\n".join(body).decode("gbk").split("\r\n") if body else [], []
    except UnicodeDecodeError:
        pass
    texts, issues = [], []
    for row, line in enumerate(body):
        text, problem = _decode(line)
        texts.append(text)
        if problem:
            issues.append(Issue(row, "BAD_ENCODING", problem))
    return texts, issues


def _header(line: bytes, spec: FeedSpec, business_date: str) -> None:
    text, _ = _decode(line)
    fields = text.split("|")
    stem = spec.file.rsplit(".", 1)[0]
    if len(fields) != 5 or fields[:2] != ["H", "DEPOSIT"]:
        raise FileRejected("BAD_HEADER", f"{spec.file} line 1 is not a header 'H|DEPOSIT|{stem}|...': "
                                         f"{text[:80]!r}")
    if fields[2] != stem or fields[3] != business_date:
        raise FileRejected("BAD_HEADER", f"{spec.file} header describes {fields[2]} of {fields[3]}, "
                                         f"the delivery is {stem} of {business_date}")


def _trailer(line: bytes, spec: FeedSpec, line_no: int) -> tuple[int, Decimal]:
    text, _ = _decode(line)
    fields = text.split("|")
    try:
        if len(fields) != 3 or not fields[1].isdigit():
            raise ValueError
        return int(fields[1]), Decimal(fields[2])
    except (ValueError, InvalidOperation):
        raise FileRejected("CONTROL_MISMATCH", f"{spec.file} line {line_no}: trailer {text!r} is not "
                                               "'T|<count>|<sum>'") from None


def read_deposit(path: Path, spec: FeedSpec, business_date: str) -> RawFeed:
    """Every D record of a deposit file; raises FileRejected for a file that cannot be trusted."""
    lines = Path(path).read_bytes().split(b"\r\n")
    while lines and lines[-1] == b"":  # the CRLF ending the last line, or blank lines after it
        lines.pop()
    if not lines:
        raise FileRejected("BAD_HEADER", f"{spec.file} is empty: no header, no trailer")
    _header(lines[0], spec, business_date)
    if len(lines) < 2 or not lines[-1].startswith(b"T|"):
        raise FileRejected("MISSING_TRAILER", f"{spec.file} ends without a trailer 'T|<count>|<sum>': "
                                              "the file may be cut off, nothing of it is loaded")
    declared_count, declared_sum = _trailer(lines[-1], spec, len(lines))

    body = lines[1:-1]
    texts, issues = _decode_lines(body)

    width = len(spec.columns)
    text = pa.array(texts, pa.string())
    is_data = values.as_mask(pc.starts_with(text, "D|")) if len(texts) else np.zeros(0, bool)
    fields = pc.utf8_slice_codeunits(text, 2)  # drop "D|"
    counts = pc.list_value_length(pc.split_pattern(fields, "|")).to_numpy(zero_copy_only=False)
    # Padding with separators lets a short record still show the fields it has (e.g. its key).
    padded = pc.split_pattern(pc.binary_join_element_wise(fields, "|" * width, ""), "|")
    columns = {name: pc.list_element(padded, i) for i, name in enumerate(spec.column_names)}
    for row in np.flatnonzero(~is_data).tolist():
        issues.append(Issue(row, "FIELD_COUNT", f"not a data record (a D record starts with 'D|'): "
                                                f"{texts[row][:40]!r}"))
    for row in np.flatnonzero(is_data & (counts != width)).tolist():
        issues.append(Issue(row, "FIELD_COUNT", f"{counts[row]} fields, {spec.name} has {width}"))

    return RawFeed(spec, spec.file, columns, np.arange(2, len(body) + 2, dtype=np.int64),
                   texts.__getitem__, declared_count, declared_sum, where="line", issues=issues,
                   date_format=DATE_FORMAT, timestamp_format=TIMESTAMP_FORMAT)
