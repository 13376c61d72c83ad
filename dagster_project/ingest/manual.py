"""Hand-maintained files (raw/manual/): every version the bank's staff ever saved, kept as delivered.

`raw/manual/credit_overrides.csv` holds the risk officers' credit-grade overrides
(docs/credit-overrides.md). It is edited in place, rows appended, changed or removed, so each
distinct content received is kept as a version of its own:

    staging/manual/credit_overrides/<received>_<sha256 prefix>.parquet       its rows, every field as text
    audit/manual_loads/credit_overrides/<received>_<sha256 prefix>.parquet   one row: loaded or rejected, why

The audit file is written last: it is the commit, as in ledger.py. A row later deleted from the file
stays on record in the versions that carried it. Rows are kept, never judged here: whether a row is a
valid override is decided in dbt (int_credit__override_requests), where every rule can see the
customers and grades. Only a file that cannot be read as the interface says (not UTF-8, a required
column missing, not CSV) is rejected, whole: nothing of that version is used.
"""

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .records import FileRejected
from .staging import write_empty_if_missing, write_table_atomic

NAME = "credit_overrides"
COLUMNS = ("customer_code", "new_grade", "reason", "approved_by", "effective_date", "expiry_date")
STAGING = Path("staging") / "manual" / NAME
LOADS = Path("audit") / "manual_loads" / NAME
ROW_SCHEMA = pa.schema([*(pa.field(name, pa.string()) for name in COLUMNS), pa.field("line_no", pa.int64()),
                        pa.field("file_sha256", pa.string()), pa.field("received_at", pa.timestamp("us"))])
LOAD_SCHEMA = pa.schema([
    ("dataset", pa.string()), ("file", pa.string()), ("file_sha256", pa.string()),
    ("received_at", pa.timestamp("us")), ("status", pa.string()), ("reason", pa.string()),
    ("message", pa.string()), ("drift", pa.string()), ("rows_loaded", pa.int64()),
])
# Sorts before every version's name, so that the newest version is always the last name.
ANCHOR = "00000000T000000000000_anchor.parquet"


def source_path(raw: Path) -> Path:
    return Path(raw) / "manual" / f"{NAME}.csv"


def newest_load(warehouse: Path) -> dict | None:
    """The audit row of the version received last, loaded or rejected; none before the first."""
    names = sorted((Path(warehouse) / LOADS).glob("*.parquet"))
    rows = pq.read_table(names[-1]).to_pylist() if names else []
    return rows[0] if rows else None


def _changed(raw: Path, warehouse: Path) -> tuple[bytes, str] | None:
    """The file's content and its sha256 when it differs from the version received last. Cheap: one
    read and one hash of a small file."""
    path = source_path(raw)
    if not path.is_file():
        return None
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    newest = newest_load(warehouse)
    # Compared with the newest version, not with every version: a file put back as it was two
    # versions ago is the bank's current word again, so it is received again.
    return (data, sha256) if newest is None or newest["file_sha256"] != sha256 else None


def is_pending(raw: Path, warehouse: Path) -> bool:
    """Does the file differ from the version received last?"""
    return _changed(raw, warehouse) is not None


def receive(raw: Path, warehouse: Path) -> dict | None:
    """Keep the file as a new version if it changed; its audit row, or none when there was nothing new."""
    changed = _changed(raw, warehouse)
    if changed is None:
        return None
    (data, sha256), path = changed, source_path(raw)
    received = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # UTC: versions order the same in any time zone
    load = {"dataset": NAME, "file": str(path), "file_sha256": sha256, "received_at": received,
            "status": "loaded", "reason": None, "message": None, "drift": None, "rows_loaded": None}
    name = f"{received:%Y%m%dT%H%M%S%f}_{sha256[:16]}.parquet"
    try:
        rows, drift = parse(data, str(path))
    except FileRejected as rejected:
        load |= {"status": "rejected", "reason": rejected.code, "message": rejected.message}
    else:
        rows = [row | {"file_sha256": sha256, "received_at": received} for row in rows]
        write_table_atomic(pa.Table.from_pylist(rows, schema=ROW_SCHEMA), Path(warehouse) / STAGING / name)
        load |= {"drift": drift, "rows_loaded": len(rows)}
    write_table_atomic(pa.Table.from_pylist([load], schema=LOAD_SCHEMA), Path(warehouse) / LOADS / name)
    return load


def parse(data: bytes, name: str) -> tuple[list[dict], str | None]:
    """Every data row (the six fields trimmed, and `line_no`: the physical line it starts on, the
    header being line 1), and a note of the columns the interface does not define (ignored)."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")  # a BOM is not part of the first column's name
    except UnicodeDecodeError as exc:
        raise FileRejected("NOT_UTF8", f"{name} is not UTF-8 (byte 0x{data[exc.start]:02x} at offset "
                                       f"{exc.start}): save it as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line_no = 0  # the last physical line of the record read last
    try:
        header = [column.strip().lower() for column in next(reader, [])]
        missing = [column for column in COLUMNS if header.count(column) != 1]
        if missing:
            raise FileRejected("MISSING_COLUMN", f"{name} lacks column(s) {', '.join(missing)} (or has them twice); "
                                                 f"header: {','.join(header) or '(none)'}")
        rows, line_no = [], reader.line_num
        for fields in reader:
            start, line_no = line_no + 1, reader.line_num  # a quoted field may span lines
            if not any(field.strip() for field in fields):  # a blank line, or a row emptied in a spreadsheet
                continue
            if len(fields) != len(header):
                raise FileRejected("BAD_CSV", f"{name} line {start}: {len(fields)} fields, the header has "
                                              f"{len(header)} (a comma inside a field must be quoted)")
            rows.append({column: fields[header.index(column)].strip() for column in COLUMNS} | {"line_no": start})
    except csv.Error as exc:
        # Named by the line its record starts on: an unclosed quote is only noticed at the end of the file.
        raise FileRejected("BAD_CSV", f"{name} line {line_no + 1}: not valid CSV ({exc})") from None
    extra = [column for column in header if column and column not in COLUMNS]
    drift = f"column(s) {', '.join(extra)} of {name} are not part of the interface: ignored" if extra else None
    return rows, drift


def write_schema_anchors(warehouse: Path) -> None:
    """Empty, typed files: the models read the versions with one glob each, before any file was received."""
    write_empty_if_missing(ROW_SCHEMA, Path(warehouse) / STAGING / ANCHOR)
    write_empty_if_missing(LOAD_SCHEMA, Path(warehouse) / LOADS / ANCHOR)
