"""Turn feeds into the bytes each source system delivers (extract-spec sections 2-5).

Each writer returns {file name: bytes} plus, per data file, the number of
records and the control sum it declares, so that file defects can then be
applied to exactly what a source would have sent.
"""

import datetime as dt
import io
import json
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xlsxwriter

from .defects import BROKEN_BYTES
from .feed import Feed

DEPOSIT_FILES = {"BRANCH": "BRANCH.dat", "CUSTOMER": "CUSTOMER.dat", "ACCOUNT": "ACCOUNT.dat",
                 "BALANCE": "BALANCE.dat", "FX_RATE": "FX_RATE.dat"}
LOAN_FILES = {"BORROWER": "BORROWER.csv", "CONTRACT": "CONTRACT.csv", "POSITION": "POSITION.csv"}
CARD_FILES = {"cardholder": "cardholder.parquet", "card_account": "card_account.parquet",
              "card_txn": "card_txn.parquet", "card_statement": "card_statement.parquet"}
DECIMAL = pa.decimal128(18, 2)
CHUNK_ROWS = 100_000
CARD_TYPES = {
    "birth_date": pa.date32(), "open_date": pa.date32(), "statement_date": pa.date32(),
    "payment_due_date": pa.date32(), "txn_ts": pa.timestamp("us"), "cycle_day": pa.int32(),
    "cycles_delinquent": pa.int32(),
}


def _text(values: np.ndarray) -> pa.Array:
    # Empty columns come out of numpy as floats; every column is text here.
    return pa.array(values if values.dtype.kind == "U" else values.astype(str), pa.string())


def file_name(feed: Feed, day: np.datetime64) -> str:
    if feed.system == "mortgage":
        return f"MORTGAGE_{str(day)[:7].replace('-', '')}.xlsx"
    return {**DEPOSIT_FILES, **LOAN_FILES, **CARD_FILES}[feed.name]


def control_sum(feed: Feed) -> Decimal:
    """The sum of the control column over every delivered record, exactly."""
    if not feed.control or feed.size == 0:
        return Decimal("0.00")
    total = pc.sum(_text(feed.columns[feed.control]).cast(pa.decimal128(38, 2))).as_py()
    return Decimal(total or 0).quantize(Decimal("0.01"))


def generated_at(day: np.datetime64, system_offset: int) -> str:
    """Extraction runs in the early hours after the business date (deterministic)."""
    moment = dt.datetime.fromisoformat(str(day)) + dt.timedelta(days=1, hours=1, minutes=7 * system_offset)
    return moment.strftime("%Y%m%d%H%M%S")


# -- deposit: GBK, pipes, header and trailer -----------------------------------
def deposit_file(feed: Feed, day: np.datetime64, defect: str | None) -> bytes:
    stem = file_name(feed, day).split(".")[0]
    count = feed.size + (defect == "CONTROL_MISMATCH")
    head = f"H|DEPOSIT|{stem}|{str(day).replace('-', '')}|{generated_at(day, 0)}\r\n"
    parts = [head.encode("gbk")]
    # Encoded in slices of rows: a whole file as Python strings would need gigabytes at bank scale.
    for start in range(0, feed.size, CHUNK_ROWS):
        rows = slice(start, start + CHUNK_ROWS)
        cols = [_text(values[rows]) for values in feed.columns.values()]
        for i, name in enumerate(feed.columns):
            if name in feed.dates or name.endswith("_date"):
                cols[i] = pc.replace_substring(cols[i], "-", "")
        lines = pc.binary_join_element_wise(pa.array(np.full(len(cols[0]), "D")), *cols, "|").to_pylist()
        for row in feed.field_count_rows:
            if start <= row < start + CHUNK_ROWS:
                # Half of the broken lines lose their last field, half gain one.
                line = lines[row - start]
                lines[row - start] = line.rsplit("|", 1)[0] if row % 2 else line + "|"
        parts.append(("\r\n".join(lines) + "\r\n").encode("gbk"))
    if defect != "MISSING_TRAILER":
        parts.append(f"T|{count}|{control_sum(feed)}\r\n".encode("gbk"))
    return b"".join(parts).replace(BROKEN_BYTES.encode(), b"\xff")


# -- loan: CSV with .ctl ----------------------------------------------------------
def _csv_field(values: np.ndarray) -> list[str]:
    arr = _text(values)
    needs = pc.or_(pc.match_substring(arr, ","), pc.match_substring(arr, '"'))
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(arr, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, arr)


def loan_files(feed: Feed, day: np.datetime64, defect: str | None) -> dict[str, bytes]:
    columns = dict(feed.columns)
    if defect == "MISSING_COLUMN":
        columns.pop(list(columns)[2])
    header = list(columns)
    fields = [_csv_field(v) for v in columns.values()]
    if defect == "EXTRA_COLUMN":
        header.append("remark")
        fields.append(pa.array(np.full(feed.size, "")))
    lines = pc.binary_join_element_wise(*fields, ",").to_pylist() if feed.size else []
    for row in feed.field_count_rows:
        lines[row] = lines[row].rsplit(",", 1)[0]
    name = file_name(feed, day)
    count = feed.size + (defect == "CONTROL_MISMATCH")
    ctl = f"record_count={count}\namount_sum={control_sum(feed)}\n"
    return {name: ("\n".join([",".join(header), *lines]) + "\n").encode("utf-8"),
            name.replace(".csv", ".ctl"): ctl.encode()}


# -- card: Parquet and CONTROL.json -------------------------------------------------
def card_table(feed: Feed, defect: str | None) -> pa.Table:
    arrays = {}
    for name, values in feed.columns.items():
        arr = _text(values)
        if name in CARD_TYPES:
            target = CARD_TYPES[name]
            arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr) if len(arr) else arr
            arr = arr.cast(pa.timestamp("s")).cast(target) if target == pa.timestamp("us") else arr.cast(target)
        elif name in feed.amounts:
            arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr).cast(DECIMAL) \
                if len(arr) else arr.cast(DECIMAL)
        arrays[name] = arr
    if defect == "MISSING_COLUMN":
        arrays.pop(list(arrays)[1])
    return pa.table(arrays)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def card_control(feeds: list[Feed], defects: dict[str, str]) -> bytes:
    control = {}
    for feed in feeds:
        mismatch = defects.get(feed.name) == "CONTROL_MISMATCH"
        control[CARD_FILES[feed.name]] = {"records": feed.size + mismatch,
                                          "amount_sum": str(control_sum(feed))}
    return json.dumps(control, indent=2, sort_keys=True).encode()


# -- mortgage: one workbook, three sheets ---------------------------------------------
def _cell_writer(sheet, date_format):
    def write(row: int, col: int, value: str, kind: str) -> None:
        if kind == "date":
            try:
                sheet.write_datetime(row, col, dt.datetime.fromisoformat(value), date_format)
            except ValueError:
                sheet.write_string(row, col, value)
        elif kind == "number":
            try:
                sheet.write_number(row, col, float(Decimal(value)))
            except ArithmeticError:
                sheet.write_string(row, col, value)
        elif kind == "numeric_id":
            sheet.write_number(row, col, float(value.strip()))
        elif value != "":
            sheet.write_string(row, col, value)
    return write


def mortgage_workbook(feeds: list[Feed], day: np.datetime64, defect: str | None) -> bytes:
    sink = io.BytesIO()
    book = xlsxwriter.Workbook(sink, {"in_memory": True})
    # A fixed creation time keeps the workbook's bytes a function of the seed.
    book.set_properties({"created": dt.datetime.fromisoformat(str(day))})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for feed in feeds:
        sheet = book.add_worksheet(feed.name)
        write = _cell_writer(sheet, date_format)
        columns = dict(feed.columns)
        if defect == "MISSING_COLUMN" and feed.name == "contracts":
            columns.pop("mobile")
        for col, name in enumerate(columns):
            sheet.write_string(0, col, name)
            kind = "date" if name in feed.dates else (
                "number" if name in (*feed.amounts, *feed.numbers) else "text")
            for row, value in enumerate(columns[name].tolist()):
                numeric_id = name == feed.id_column and row in feed.numeric_id_rows
                write(row + 1, col, value, "numeric_id" if numeric_id else kind)
    control = book.add_worksheet("control")
    for col, name in enumerate(("sheet", "records", "amount_sum")):
        control.write_string(0, col, name)
    for row, feed in enumerate(feeds, start=1):
        control.write_string(row, 0, feed.name)
        control.write_number(row, 1, feed.size + (defect == "CONTROL_MISMATCH"))
        # The sum is text: a float cell could not hold it to the cent at bank scale.
        control.write_string(row, 2, str(control_sum(feed)))
    book.close()
    return sink.getvalue()
