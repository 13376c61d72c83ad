"""mortgage: one monthly workbook, sheets `contracts`, `positions`, `control` (extract-spec section 5).

The workbook is one file: a file-level problem rejects both data sheets.
Excel cells carry their own type, and the contract says which: dates are
date cells, amounts and numbers numeric cells, ids text cells. A cell of the
wrong type is a record defect (a numeric id cell has already lost digits and
cannot be repaired). Full-width digits and stray spaces in an id are how the
housing-loan system's staff key them: repaired with NFKC and trimming.
"""

import datetime as dt
import json
import math
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa

from .feeds import FeedSpec
from .records import FileRejected, Issue, RawFeed

CONTROL_SHEET = "control"
SCALE = {"amount": 2, "rate": 4, "int": 0}
# A float cell holds a decimal only approximately; closer than this to a value with the
# column's places, it is that value.
TOLERANCE = Decimal("0.000001")


def repair_id(text: str) -> str:
    """Full-width digits and letters to ASCII, ideographic and ASCII spaces trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_text(value: float | int, places: int) -> str:
    """A numeric cell as decimal text with at most `places` places (or as it is, to be refused)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    exact = Decimal(repr(value))
    rounded = exact.quantize(Decimal(1).scaleb(-places))
    return str(rounded) if abs(exact - rounded) <= TOLERANCE else str(exact)


def _cell(value, kind: str, column: str) -> tuple[str | None, tuple[str, str] | None]:
    """One cell -> (text for the record rules, (defect, detail) when its cell type is wrong)."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None, None
    if kind == "date":
        if isinstance(value, dt.datetime | dt.date):
            return value.strftime("%Y-%m-%d"), None
        return None, ("BAD_DATE", f"{column} {str(value)!r} is a {type(value).__name__} cell, not a date cell")
    if kind in SCALE:
        if _is_number(value):
            return _number_text(value, SCALE[kind]), None
        return None, ("BAD_NUMBER", f"{column} {str(value)!r} is a {type(value).__name__} cell, "
                                    "not a numeric cell")
    if kind == "id":
        if _is_number(value):
            return None, ("NUMERIC_ID_CELL", f"{column} {value!r} is a numeric cell: digits of the id are "
                                             "already lost")
        return repair_id(str(value)), None
    if _is_number(value):  # a code or text keyed as a number (five_class 1): its text is meant
        return (str(int(value)) if float(value).is_integer() else repr(value)), None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat(), None
    return str(value), None


def _rows(sheet) -> tuple[list[str], list[tuple[int, tuple]]]:
    """Header names and the non-empty data rows with their Excel row numbers."""
    sheet.reset_dimensions()  # trust the cells, not a dimension a writer may have got wrong
    header: list[str] = []
    rows = []
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number == 1:
            header = [str(v).strip() if v is not None else "" for v in row]
        elif any(v is not None and not (isinstance(v, str) and v.strip() == "") for v in row):
            rows.append((number, tuple(row)))
    return header, rows


def _control(book, name: str) -> dict[str, tuple[int, Decimal]]:
    header, rows = _rows(book[CONTROL_SHEET])
    missing = [c for c in ("sheet", "records", "amount_sum") if c not in header]
    if missing:
        raise FileRejected("MISSING_COLUMN", f"{name} sheet {CONTROL_SHEET} lacks column(s) {', '.join(missing)}")
    at = {c: header.index(c) for c in ("sheet", "records", "amount_sum")}
    control = {}
    for number, row in rows:
        cells = {c: row[i] if i < len(row) else None for c, i in at.items()}
        try:
            # amount_sum is a text cell (a float cannot hold it to the cent) or a numeric one.
            amount = cells["amount_sum"]
            amount = Decimal(_number_text(amount, 2) if _is_number(amount) else str(amount).strip())
            records = cells["records"]
            records = int(records) if _is_number(records) and float(records).is_integer() else int(str(records))
        except (ValueError, InvalidOperation):
            raise FileRejected("CONTROL_MISMATCH", f"{name} sheet {CONTROL_SHEET} row {number} is not "
                                                   f"'sheet, records, amount_sum': {row!r}") from None
        control[str(cells["sheet"]).strip()] = (records, amount)
    return control


def _sheet(book, name: str, spec: FeedSpec, control: dict[str, tuple[int, Decimal]]) -> RawFeed:
    header, rows = _rows(book[spec.sheet])
    missing = [c for c in spec.column_names if c not in header]
    if missing:
        raise FileRejected("MISSING_COLUMN", f"{name} sheet {spec.sheet} lacks required column(s) "
                                             f"{', '.join(missing)}")
    if spec.sheet not in control:
        raise FileRejected("CONTROL_MISMATCH", f"{name} sheet {CONTROL_SHEET} has no row for {spec.sheet}")
    drift = []
    extra = [c for c in header if c and c not in spec.column_names]
    if extra:
        drift.append(("EXTRA_COLUMN", f"{name} sheet {spec.sheet} carries column(s) {', '.join(extra)} "
                                      "that the interface does not define: tolerated, recorded, not loaded"))
    texts: dict[str, list] = {c: [] for c in spec.column_names}
    issues, raws = [], []
    for index, (_, row) in enumerate(rows):
        for column, kind in spec.columns:
            i = header.index(column)
            text, problem = _cell(row[i] if i < len(row) else None, kind, column)
            texts[column].append(text)
            if problem:
                issues.append(Issue(index, *problem))
        raws.append(json.dumps(dict(zip(header, row, strict=False)), ensure_ascii=False, default=str))
    count, amount_sum = control[spec.sheet]
    return RawFeed(spec, name, {c: pa.array(v, pa.string()) for c, v in texts.items()},
                   np.array([number for number, _ in rows], np.int64), raws.__getitem__, count, amount_sum,
                   where=f"sheet {spec.sheet} row", issues=issues, drift=drift)


def read_mortgage(path: Path, specs: list[FeedSpec]) -> dict[str, RawFeed]:
    """Both data sheets of a workbook, or FileRejected for the whole workbook."""
    name = Path(path).name
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a zip or XML error of any kind: the file is unreadable
        raise FileRejected("UNREADABLE", f"{name} is not a readable Excel workbook: {exc}") from None
    try:
        absent = [s for s in (*(spec.sheet for spec in specs), CONTROL_SHEET) if s not in book.sheetnames]
        if absent:
            raise FileRejected("MISSING_COLUMN", f"{name} lacks sheet(s) {', '.join(absent)}")
        control = _control(book, name)
        return {spec.name: _sheet(book, name, spec, control) for spec in specs}
    except FileRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - a sheet that breaks while being read
        raise FileRejected("UNREADABLE", f"{name} cannot be read: {exc}") from None
    finally:
        book.close()
