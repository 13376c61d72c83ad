"""`bank360 export credit-grades` and the credit section of `bank360 customer`, on a real build of a
small simulated bank graded in two months (docs/credit-export.md)."""

import csv
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import query

from dagster_project import cli
from dagster_project.credit_export import FORMULA_STARTS, spreadsheet_safe

AMOUNTS = ("recommended_limit_cny", "exposure_cny")
ORDER = "order by branch_code, final_notch desc, exposure_cny desc, customer_id"


def _gradings(warehouse: Path) -> list[tuple[dt.date, dt.date]]:
    return query(warehouse, "select distinct month_start, as_of_date from marts.credit_grade_monthly order by 1")


def _export(capsys, warehouse: Path, *args: str) -> tuple[int, str, str]:
    status = cli.main(["export", "credit-grades", "--warehouse", str(warehouse), *args])
    out, err = capsys.readouterr()
    return status, out, err


def _csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_holds_the_snapshot_to_the_cent(graded_bank, tmp_path, monkeypatch, capsys):
    month, grading_date = _gradings(graded_bank)[-1]
    monkeypatch.chdir(tmp_path)
    status, out, _ = _export(capsys, graded_bank, "--as-of", grading_date.isoformat(), "--format", "csv")
    path = tmp_path / f"credit_grades_{grading_date}.csv"
    assert status == 0 and f"grading date {grading_date}" in out and str(path) in out
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Chinese names
    rows = _csv_rows(path)
    expected = query(graded_bank, f"""
        select customer_id, branch_code, final_grade, score, {", ".join(AMOUNTS)}, final_pd
        from marts.credit_grade_monthly where month_start = '{month}' {ORDER}""")
    assert [r["customer_id"] for r in rows] == [e[0] for e in expected]  # same rows, worst grade first
    for row, (_, branch, grade, score, limit, exposure, pd) in zip(rows, expected, strict=True):
        assert (row["branch_code"], row["final_grade"], int(row["score"])) == (branch, grade, score)
        assert (Decimal(row["recommended_limit_cny"]), Decimal(row["exposure_cny"])) == (limit, exposure)
        assert Decimal(row["final_pd"]) == pd and row["as_of_date"] == grading_date.isoformat()
    names = dict(query(graded_bank, f"""select customer_id, customer_name from marts.dim_customer
                                        where date '{grading_date}' between valid_from and valid_to"""))
    assert all(row["customer_name"] == names[row["customer_id"]] for row in rows)
    warnings = dict(query(graded_bank, f"""select customer_id, list(rule_code order by rule_code)
                                           from marts.credit_watch_list_monthly where month_start = '{month}'
                                           group by all"""))
    assert warnings, "no early warning fired: the test would not see them exported"
    assert {r["customer_id"]: r["early_warnings"].split(", ") for r in rows if r["early_warnings"]} == warnings
    # The risk officer's override, its formula-like reason defused.
    overridden = [r for r in rows if r["override_grade"]]
    assert [(r["final_grade"], r["override_approved_by"], r["override_reason"][:2]) for r in overridden] == [
        (overridden[0]["override_grade"], "Chen Jing", "'=")]
    assert "GRADE_DROP" in overridden[0]["early_warnings"]


def test_parquet_keeps_decimals_and_dates(graded_bank, tmp_path, capsys):
    month, grading_date = _gradings(graded_bank)[-1]
    status, _, _ = _export(capsys, graded_bank, "--as-of", str(grading_date), "--format", "parquet",
                           "--out", str(tmp_path))
    assert status == 0
    table = pq.read_table(tmp_path / f"credit_grades_{grading_date}.parquet")
    for amount in AMOUNTS:
        assert table.schema.field(amount).type == pa.decimal128(18, 2)
    for pd in ("system_pd", "final_pd"):
        assert table.schema.field(pd).type == pa.decimal128(9, 6)
    for date in ("as_of_date", "override_effective_date", "override_expiry_date"):
        assert table.schema.field(date).type == pa.date32()
    expected = query(graded_bank, f"""select count(*), sum(exposure_cny), sum(recommended_limit_cny)
                                      from marts.credit_grade_monthly where month_start = '{month}'""")[0]
    assert (table.num_rows, pc.sum(table["exposure_cny"]).as_py(),
            pc.sum(table["recommended_limit_cny"]).as_py()) == expected


def test_xlsx_has_numbers_dates_and_a_frozen_header(graded_bank, tmp_path, capsys):
    month, grading_date = _gradings(graded_bank)[-1]
    path = tmp_path / "grades.xlsx"
    status, _, _ = _export(capsys, graded_bank, "--as-of", str(grading_date), "--format", "xlsx", "--out", str(path))
    assert status == 0
    sheet = openpyxl.load_workbook(path).active
    assert sheet.freeze_panes == "A2"
    header, *rows = sheet.iter_rows()
    column = {cell.value: cell.column - 1 for cell in header}
    expected = query(graded_bank, f"""select customer_id, {", ".join(AMOUNTS)} from marts.credit_grade_monthly
                                      where month_start = '{month}' {ORDER}""")
    assert [r[column["customer_id"]].value for r in rows] == [e[0] for e in expected]
    for row, (_, *amounts) in zip(rows, expected, strict=True):
        for name, amount in zip(AMOUNTS, amounts, strict=True):
            cell = row[column[name]]
            assert cell.data_type == "n" and cell.number_format == "#,##0.00", (name, cell.value)
            assert Decimal(str(cell.value)).quantize(Decimal("0.01")) == amount
        date = row[column["as_of_date"]]
        assert date.is_date and date.value.date() == grading_date


def test_an_as_of_before_the_first_grading_fails_clearly(graded_bank, tmp_path, capsys):
    first = _gradings(graded_bank)[0][1]
    status, _, err = _export(capsys, graded_bank, "--as-of", str(first - dt.timedelta(days=1)), "--format", "csv",
                             "--out", str(tmp_path))
    assert status == 1
    assert "no credit grading on or before" in err and f"the first grading date is {first}" in err
    assert not any(tmp_path.iterdir())


def test_an_as_of_between_gradings_takes_the_earlier(graded_bank, tmp_path, capsys):
    (month, earlier), (_, later) = _gradings(graded_bank)
    assert later - earlier > dt.timedelta(days=1), "no date lies between the two gradings"
    between = earlier + dt.timedelta(days=1)
    status, out, _ = _export(capsys, graded_bank, "--as-of", f"{between:%Y%m%d}", "--format", "csv",
                             "--out", str(tmp_path))
    assert status == 0 and f"grading date {earlier}" in out
    rows = _csv_rows(tmp_path / f"credit_grades_{earlier}.csv")
    graded = query(graded_bank, f"select count(*) from marts.credit_grade_monthly where month_start = '{month}'")
    assert len(rows) == graded[0][0] and {r["as_of_date"] for r in rows} == {earlier.isoformat()}


def test_a_branch_takes_the_branches_under_it(graded_bank, tmp_path, capsys):
    grading_date = _gradings(graded_bank)[-1][1]
    branches = query(graded_bank, f"""
        select branches.branch_code, branches.branch_level, list(distinct grades.branch_code)
        from marts.dim_branch as branches
        join marts.dim_branch as under
            on branches.branch_code in (under.branch_code, under.tier2_branch_code, under.tier1_branch_code)
        join marts.credit_grade_monthly as grades
            on grades.branch_code = under.branch_code and grades.as_of_date = '{grading_date}'
        where branches.branch_level in ('TIER1', 'SUB')
        group by all order by all""")
    province = next(b for b in branches if b[1] == "TIER1")
    sub_branch = next(b for b in branches if b[1] == "SUB")
    assert len(province[2]) > 1
    for code, _, graded_in in (province, sub_branch):
        status, out, _ = _export(capsys, graded_bank, "--as-of", str(grading_date), "--branch", code,
                                 "--format", "csv", "--out", str(tmp_path))
        assert status == 0 and f"branch {code} and the branches under it" in out
        rows = _csv_rows(tmp_path / f"credit_grades_{grading_date}_{code}.csv")
        in_branch = query(graded_bank, f"""select count(*) from marts.credit_grade_monthly
                                           where as_of_date = '{grading_date}'
                                               and branch_code in ('{"', '".join(graded_in)}')""")
        assert {r["branch_code"] for r in rows} == set(graded_in) and len(rows) == in_branch[0][0]
    status, _, err = _export(capsys, graded_bank, "--as-of", str(grading_date), "--branch", "999999",
                             "--format", "csv", "--out", str(tmp_path / "none.csv"))
    assert status == 1 and "no branch '999999'" in err and not (tmp_path / "none.csv").exists()


@pytest.mark.parametrize(("value", "safe"), [
    ("=1+1", "'=1+1"),
    ("+86 138 0000 0000", "'+86 138 0000 0000"),
    ("-5", "'-5"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=cmd", "'\t=cmd"),
    ("\r=cmd", "'\r=cmd"),
    ("＝1+1", "'＝1+1"),  # full width, as a Chinese input method types it
    ("张三", "张三"),
    ("A-1", "A-1"),
    ("", ""),
])
def test_text_that_would_start_a_formula_gets_an_apostrophe(value, safe):
    assert spreadsheet_safe(value) == safe


def test_no_exported_cell_starts_a_formula(graded_bank, tmp_path, capsys):
    grading_date = _gradings(graded_bank)[-1][1]
    for fmt in ("csv", "parquet", "xlsx"):
        assert _export(capsys, graded_bank, "--as-of", str(grading_date), "--format", fmt,
                       "--out", str(tmp_path))[0] == 0
    name = f"credit_grades_{grading_date}"
    schema = pq.read_schema(tmp_path / f"{name}.parquet")
    text = {field.name for field in schema if pa.types.is_string(field.type)}
    for row in _csv_rows(tmp_path / f"{name}.csv"):
        for column, value in row.items():
            if column in text:
                assert not value.startswith(FORMULA_STARTS), (column, value)
            else:  # a number or a date, which spreadsheets read as such
                assert re.fullmatch(r"(-?\d+(\.\d+)?|\d{4}-\d\d-\d\d)?", value), (column, value)
    for row in openpyxl.load_workbook(tmp_path / f"{name}.xlsx").active.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            assert not (isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS)), cell.coordinate


def test_customer_command_shows_the_credit_standing(graded_bank, capsys):
    customer, grade, pd, xay, warnings = query(graded_bank, """
        select customer_id, credit_grade, credit_pd, credit_xay, credit_warnings from marts.customer_360
        where credit_warnings is not null order by customer_id limit 1""")[0]
    assert cli.main(["customer", customer, "--warehouse", str(graded_bank)]) == 0
    out = capsys.readouterr().out
    standing = out.split("== Credit standing")[1].split("\n== ")[0]
    assert re.search(rf"credit_grade\s+{re.escape(grade)}\n", standing)
    assert re.search(rf"credit_xay\s+{xay}\n", standing) and f"{pd * 100:.4f} %" in standing
    assert re.search(rf"credit_warnings\s+{re.escape(warnings)}\n", standing)
    history = out.split("== Credit grades by month ==\n")[1].split("\n\n")[0].splitlines()
    months = query(graded_bank, f"select month_start, final_grade from marts.credit_grade_monthly "
                                f"where customer_id = '{customer}' order by month_start")
    assert len(history) == 1 + len(months)  # the header, then a line per month
    for line, (month, final_grade) in zip(history[1:], months, strict=True):
        assert (line.split()[0], line.split()[2]) == (str(month), final_grade)
