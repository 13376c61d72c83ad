"""loan: UTF-8 CSV (RFC 4180) with a `.ctl` control file per data file (extract-spec section 3).

Columns are matched by name, never by position: a column the interface does
not know is tolerated drift (recorded, not loaded), a missing one rejects the
file. A quoted field may span lines, so a record is located by the physical
line it starts on (the header is line 1).
"""

import csv
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pyarrow as pa

from .feeds import FeedSpec
from .records import FileRejected, Issue, RawFeed

_SURROGATE = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept by surrogateescape


def read_control(path: Path, spec: FeedSpec) -> tuple[int, Decimal]:
    """`record_count=<n>` and `amount_sum=<s>` of a .ctl file."""
    try:
        pairs = dict(line.split("=", 1) for line in Path(path).read_text("utf-8").splitlines() if line.strip())
        return int(pairs["record_count"].strip()), Decimal(pairs["amount_sum"].strip())
    except (OSError, UnicodeDecodeError, ValueError, KeyError, InvalidOperation) as exc:
        raise FileRejected("CONTROL_MISMATCH", f"{Path(path).name}, the control file of {spec.file}, "
                                               f"cannot be read ({exc!r}): {spec.file} cannot be reconciled") \
            from None


def _readable(text: str) -> str:
    """Text decoded with surrogateescape, made safe to store: undecodable bytes shown as \\xNN."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def read_loan(path: Path, control_path: Path, spec: FeedSpec) -> RawFeed:
    declared_count, declared_sum = read_control(control_path, spec)
    text = Path(path).read_bytes().decode("utf-8", errors="surrogateescape")
    text = text.removeprefix("\ufeff")  # a BOM is not part of the first column's name
    physical = text.split("\n")
    while physical and physical[-1] in ("", "\r"):  # the LF ending the last line
        physical.pop()
    reader = csv.reader(line + "\n" for line in physical)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise FileRejected("MISSING_COLUMN", f"{spec.file} is empty: no header row") from None
    missing = [c for c in spec.column_names if c not in header]
    if missing:
        raise FileRejected("MISSING_COLUMN", f"{spec.file} lacks required column(s) {', '.join(missing)}; "
                                             f"header: {','.join(header)}")
    drift = []
    extra = [c for c in header if c not in spec.column_names]
    if extra:
        drift.append(("EXTRA_COLUMN", f"{spec.file} carries column(s) {', '.join(extra)} that the "
                                      "interface does not define: tolerated, recorded, not loaded"))
    position = {name: header.index(name) for name in spec.column_names}

    rows, starts, raws, issues = [], [], [], []
    line_no = reader.line_num
    while True:
        start = line_no + 1
        try:
            row = next(reader)
            problem = None
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a stray quote: the record cannot be split into fields
            row, problem = [], f"not valid CSV: {exc}"
        line_no = reader.line_num
        raw = "\n".join(line.removesuffix("\r") for line in physical[start - 1:line_no])
        index = len(rows)
        if _SURROGATE.search(raw):
            issues.append(Issue(index, "BAD_ENCODING", "bytes that are not UTF-8"))
            row, raw = [_readable(v) for v in row], _readable(raw)
        if problem or len(row) != len(header):
            issues.append(Issue(index, "FIELD_COUNT", problem or f"{len(row)} fields, the header has "
                                                                  f"{len(header)}"))
        rows.append(row)
        starts.append(start)
        raws.append(raw)

    # By name, and tolerant of short rows, so that a broken record still shows its key.
    columns = {name: pa.array([row[i] if i < len(row) else "" for row in rows], pa.string())
               for name, i in position.items()}
    return RawFeed(spec, spec.file, columns, np.array(starts, np.int64), raws.__getitem__,
                   declared_count, declared_sum, where="line", issues=issues, drift=drift)
