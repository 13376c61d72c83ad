"""`bank360 export credit-grades`: the credit grades risk officers pull, as csv, parquet or xlsx.

The grades "as of" a date are one grading snapshot of marts.credit_grade_monthly: the latest
month whose grading date is on or before it (a month's grades are kept as given, so an export
of a past date is the grades the bank held then). docs/credit-export.md describes the file.
"""

import csv
import datetime as dt
import decimal
import os
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from .warehouse_reader import open_read_only

# OWASP's CSV-injection list: a spreadsheet takes a cell starting with one of these for a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576  # Excel's limit, header included
BATCH_ROWS = 50_000  # rows read at a time: a whole bank's snapshot never sits in memory at once

# The month graded last on or before the date asked for.
SNAPSHOT = """
select month_start, as_of_date from marts.credit_grade_monthly
where as_of_date <= $as_of
group by all order by as_of_date desc limit 1
"""

# A branch stands for itself and every branch under it (dim_branch flattens the hierarchy):
# a provincial (tier 1) branch gets its city branches' and sub-branches' customers.
BRANCH_SUBTREE = """
select branch_code from marts.dim_branch
where $branch in (branch_code, tier2_branch_code, tier1_branch_code, head_branch_code)
"""

GRADES = f"""
with grades as (
    select * from marts.credit_grade_monthly
    where month_start = $month and ($branch is null or branch_code in ({BRANCH_SUBTREE}))
),

warnings as (
    select customer_id, string_agg(rule_code, ', ' order by rule_code) as early_warnings
    from marts.credit_watch_list_monthly
    where month_start = $month
    group by customer_id
)

select
    grades.customer_id,
    names.customer_name,
    grades.customer_kind,
    grades.branch_code,
    branches.branch_name,
    grades.rm_id,
    grades.as_of_date,
    grades.model_version,
    grades.score,
    grades.system_pd,
    grades.system_grade,
    grades.override_grade,
    grades.override_reason,
    grades.override_approved_by,
    grades.override_effective_date,
    grades.override_expiry_date,
    grades.final_grade,
    grades.final_pd,
    grades.xay,
    grades.recommended_limit_cny,
    grades.exposure_cny,
    grades.days_past_due,
    grades.cycles_delinquent,
    grades.five_class,
    grades.score_reasons,
    warnings.early_warnings
from grades
-- the name the customer had at the grading date
left join marts.dim_customer as names
    on grades.customer_id = names.customer_id and grades.as_of_date between names.valid_from and names.valid_to
left join marts.dim_branch as branches on grades.branch_code = branches.branch_code
left join warnings on grades.customer_id = warnings.customer_id
order by grades.branch_code, grades.final_notch desc, grades.exposure_cny desc, grades.customer_id
"""


class Exported(NamedTuple):
    path: Path
    grading_date: dt.date
    customers: int


def spreadsheet_safe(text: str) -> str:
    """The text with a leading apostrophe when a spreadsheet would take it for a formula.

    Full-width forms (＝, ＋, －, ＠), which Chinese input methods type, count as their ASCII forms: a
    precaution, in case a spreadsheet folds them to ASCII.
    """
    return "'" + text if unicodedata.normalize("NFKC", text[:1]).startswith(FORMULA_STARTS) else text


def default_name(grading_date: dt.date, branch: str | None, fmt: str) -> str:
    return f"credit_grades_{grading_date.isoformat()}{f'_{branch}' if branch else ''}.{fmt}"


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A file beside `path`, renamed over it once written: a failed or killed export never
    leaves a file that looks complete."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _cells(batches: pa.RecordBatchReader) -> Iterator[list]:
    for batch in batches:
        yield from (list(row.values()) for row in batch.to_pylist())


def write_csv(batches: pa.RecordBatchReader, path: Path) -> int:
    # The BOM makes Excel read UTF-8 (Chinese names) instead of the machine's code page.
    rows = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(batches.schema.names)
        for row in _cells(batches):
            writer.writerow([spreadsheet_safe(v) if isinstance(v, str) else _csv_value(v) for v in row])
            rows += 1
    return rows


def _csv_value(value) -> str:
    if value is None:
        return ""
    return f"{value:f}" if isinstance(value, decimal.Decimal) else str(value)  # never 1E+2 for an amount


def write_parquet(batches: pa.RecordBatchReader, path: Path) -> int:
    # Raw values, exactly typed (decimal128, date32): Parquet is read by programs, not spreadsheets.
    rows = 0
    with pq.ParquetWriter(path, batches.schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def _xlsx_format(book: xlsxwriter.Workbook, kind: pa.DataType):
    if pa.types.is_decimal(kind):
        return book.add_format({"num_format": "#,##0." + "0" * kind.scale})
    if pa.types.is_date(kind):
        return book.add_format({"num_format": "yyyy-mm-dd"})
    return None


def write_xlsx(batches: pa.RecordBatchReader, path: Path) -> int:
    # Strings are written as strings, whatever they look like, so none becomes a formula or a link.
    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
               "strings_to_numbers": False}
    with xlsxwriter.Workbook(path, options) as book:
        sheet = book.add_worksheet("credit grades")
        header = book.add_format({"bold": True})
        formats = [_xlsx_format(book, field.type) for field in batches.schema]
        for column, field in enumerate(batches.schema):
            sheet.set_column(column, column, max(len(field.name), 12) + 2)
            sheet.write_string(0, column, field.name, header)
        sheet.freeze_panes(1, 0)
        rows = 0
        for row in _cells(batches):
            rows += 1
            if rows >= XLSX_MAX_ROWS:
                raise ValueError(f"more than {XLSX_MAX_ROWS - 1:,} customers do not fit a worksheet: "
                                 "export csv or parquet, or one --branch at a time")
            for column, value in enumerate(row):
                if isinstance(value, str):
                    sheet.write_string(rows, column, spreadsheet_safe(value))
                elif isinstance(value, decimal.Decimal):
                    # Excel holds numbers as doubles: exact to the cent below 10^13 CNY.
                    sheet.write_number(rows, column, float(value), formats[column])
                elif isinstance(value, dt.date):
                    sheet.write_datetime(rows, column, value, formats[column])
                elif value is not None:
                    sheet.write_number(rows, column, value)
        sheet.autofilter(0, 0, rows, len(formats) - 1)
    return rows


WRITERS = {"csv": write_csv, "parquet": write_parquet, "xlsx": write_xlsx}


def grading_snapshot(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """(month_start, grading date) of the grades in force on `as_of`."""
    found = con.execute(SNAPSHOT, {"as_of": as_of}).fetchone()
    if found is None:
        first = con.execute("select min(as_of_date) from marts.credit_grade_monthly").fetchone()[0]
        raise LookupError(f"no credit grading on or before {as_of}: " + (
            f"the first grading date is {first}" if first else "the warehouse holds no credit grades yet"))
    return found


def check_branch(con: duckdb.DuckDBPyConnection, branch: str) -> None:
    if not con.execute("select 1 from marts.dim_branch where branch_code = $branch", {"branch": branch}).fetchone():
        raise LookupError(f"no branch {branch!r} in marts.dim_branch: nothing exported")


def export(warehouse: Path, as_of: dt.date, fmt: str, out: Path | None = None, branch: str | None = None) -> Exported:
    """Write the grades in force on `as_of` (of `branch` and the branches under it) to `out`, or to
    credit_grades_<grading date>[_<branch>].<fmt> when `out` is a folder or not given."""
    with open_read_only(warehouse) as con:
        month, grading_date = grading_snapshot(con, as_of)
        if branch is not None:
            check_branch(con, branch)
        path = Path(out) if out is not None else Path.cwd()
        if path.is_dir():
            path = path / default_name(grading_date, branch, fmt)
        batches = con.execute(GRADES, {"month": month, "branch": branch}).to_arrow_reader(BATCH_ROWS)
        with _replacing(path) as partial:
            customers = WRITERS[fmt](batches, partial)
    return Exported(path, grading_date, customers)
