"""The risk officers' credit-grade overrides (raw/manual/credit_overrides.csv, docs/credit-overrides.md)
through the real pipeline: every version of the file kept, each row judged in dbt with its rejection
code and shown in the run summary, a row removed from the file kept as WITHDRAWN, and a file that
cannot be read reported without crashing anything."""

import datetime as dt

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import query
from dagster import build_sensor_context
from simbank import simulate

from dagster_project import runner
from dagster_project.ingest import manual
from dagster_project.ingest.records import FileRejected
from dagster_project.resources import Landing

HEADER = "customer_code,new_grade,reason,approved_by,effective_date,expiry_date"
REQUESTS = """
    select line_no, customer_code, customer_id, new_grade, effective_date, expiry_date, first_received_at,
           in_latest_file, rejection_reason
    from intermediate.int_credit__override_requests order by line_no, customer_code"""


def _write(raw, lines: list[str]) -> None:
    path = manual.source_path(raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")


def _by_code_and_grade(warehouse, sql: str) -> dict[str, dict]:
    """Rows of a query on the warehouse, by customer code and grade."""
    with duckdb.connect(str(warehouse / "bank360.duckdb"), read_only=True) as con:
        cursor = con.execute(sql)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    return {f"{row['customer_code']} {row['new_grade']}": row for row in rows}


@pytest.fixture(scope="module")
def overrides_bank(tmp_path_factory) -> dict:
    """A small bank built without an overrides file; then the file's first version (valid rows and one of
    each invalid kind, customers taken from marts.customer_xref), built; the file edited (a row removed,
    one added), built; run again unchanged; then saved not as UTF-8, then without a required column.
    Returns per step the run summary, its report and the override requests after it."""
    root = tmp_path_factory.mktemp("overrides_bank")
    raw, warehouse = root / "raw", root / "warehouse"
    simulate(raw, root / "truth", "--customers", "200", "--start", "20260130", "--days", "2", "--seed", "3")
    steps = {}

    def step(name: str) -> None:
        summary = runner.run(raw, warehouse)
        steps[name] = {"summary": summary, "report": runner.report(summary),
                       "requests": _by_code_and_grade(warehouse, REQUESTS),
                       "log": _by_code_and_grade(warehouse, "select * from marts.credit_override_log")}

    step("no file")
    # Two customers each known by one source record: one named by its customer number, one by its source id.
    (first, _), (second, source_id), (third, _), (fourth, _), (fifth, _), (sixth, _) = query(warehouse, """
        select customer_id, min(source_customer_id) from marts.customer_xref
        where source_customer_id in (select source_customer_id from marts.customer_xref
                                     group by all having count(distinct customer_id) = 1)
        group by customer_id having count(*) = 1 order by customer_id limit 6""")
    # Grades one notch and four notches from the fifth's and sixth's system grades (the limit is three).
    scale = dict(query(warehouse, "select notch, grade from reference.credit_master_scale"))
    notch = dict(query(warehouse, """select customer_id, system_notch from marts.credit_grade_monthly
                                     where month_start = (select max(month_start) from marts.credit_grade_monthly)"""))
    near = scale[notch[fifth] + 1 if notch[fifth] < 10 else notch[fifth] - 1]
    far = scale[notch[sixth] + 4 if notch[sixth] <= 6 else notch[sixth] - 4]
    steps["customers"] = {"first": first, "second": second, "source_id": source_id, "third": third,
                          "fourth": fourth, "fifth": fifth, "sixth": sixth, "near": near, "far": far}
    first_version = [
        f'{first},BBB,"Restructured, new collateral",Li Wei,2026-01-15,',  # line 2
        f'{source_id},A,"Two-line',  # lines 3-4: a quoted field may span lines
        'reason",Zhang Min,2026-01-01,2026-12-31',
        "CU9999999999,BBB,No such customer,Li Wei,2026-01-15,",  # line 5
        "",  # line 6: blank, not a row
        f"{first},AA+,Not a grade,Li Wei,2026-01-15,",  # line 7
        f"{first},BB,Nobody approved, ,2026-01-15,",  # line 8
        f"{first},CC,Slashes,Li Wei,2026/01/15,",  # line 9
        f"{first},B,No such day,Li Wei,2026-01-15,2026-02-30",  # line 10
        f"{first},CCC,Backwards,Li Wei,2026-03-01,2026-02-01",  # line 11
        f"{third},AA,To be withdrawn,Li Wei,2026-01-20,",  # line 12
        f"{fifth},{near},Within reach,Wang Fang,2026-01-15,",  # line 13: applies
        f"{sixth},{far},Too far,Wang Fang,2026-01-15,",  # line 14: four notches from the system grade
        f"{fifth},D,Over,Wang Fang,2026-01-01,2026-01-20",  # line 15: expired before the grading dates
    ]
    _write(raw, first_version)
    step("first version")
    _write(raw, [line for line in first_version if "withdrawn" not in line] + [f"{fourth},BB,Added,Li Wei,2026-02-01,"])
    step("edited")
    step("unchanged")
    manual.source_path(raw).write_bytes(f"{HEADER}\n{first},BBB,重组,Li Wei,2026-01-15,\n".encode("gbk"))
    step("not UTF-8")
    manual.source_path(raw).write_text("customer_code,new_grade,reason,effective_date\n", encoding="utf-8")
    step("missing column")
    return steps


def test_no_overrides_file_builds_an_empty_relation(overrides_bank):
    step = overrides_bank["no file"]
    assert step["summary"].failed_runs == [] and step["summary"].overrides is None, step["report"]
    assert step["requests"] == {} and "credit overrides" not in step["report"]
    assert "override rejected" not in step["report"]


def test_each_row_is_judged_and_each_rejected_row_reported(overrides_bank):
    step, customers = overrides_bank["first version"], overrides_bank["customers"]
    summary, report, requests = step["summary"], step["report"], step["requests"]
    # The changed file alone (no delivery pending) was received and rebuilt the warehouse.
    assert summary.loads == [] and summary.overrides_loaded and summary.overrides["rows_loaded"] == 12
    assert summary.failed_runs == [] and summary.exit_status() == 0, report
    first = customers["first"]
    expected = {
        f"{first} BBB": (2, None), f"{customers['source_id']} A": (3, None),
        "CU9999999999 BBB": (5, "UNKNOWN_CUSTOMER"), f"{first} AA+": (7, "UNKNOWN_GRADE"),
        f"{first} BB": (8, "NO_APPROVER"), f"{first} CC": (9, "BAD_DATE"), f"{first} B": (10, "BAD_DATE"),
        f"{first} CCC": (11, "EXPIRY_BEFORE_EFFECTIVE"), f"{customers['third']} AA": (12, None),
        f"{customers['fifth']} {customers['near']}": (13, None), f"{customers['sixth']} {customers['far']}": (14, None),
        f"{customers['fifth']} D": (15, None),
    }
    assert {key: (row["line_no"], row["rejection_reason"]) for key, row in requests.items()} == expected
    for key, (line, reason) in expected.items():
        if line >= 13:  # judged against the grades: the next test
            continue
        code, grade = key.split()
        listed = f"override rejected: line {line}, customer {code}, grade {grade}: {reason}"
        assert (listed in report) == (reason is not None), report
    valid = requests[f"{first} BBB"]
    assert (valid["customer_id"], valid["effective_date"], valid["expiry_date"]) == (first, dt.date(2026, 1, 15), None)
    assert requests[f"{first} CCC"]["expiry_date"] == dt.date(2026, 2, 1)
    assert all(row["in_latest_file"] for row in requests.values())


def test_an_override_applies_only_in_force_and_near_the_system_grade(overrides_bank):
    """Final grade = the override in force within max_override_notches of the system grade, both kept
    with who approved it; one too far from it, or expired, is rejected with its reason in the summary."""
    step, customers = overrides_bank["first version"], overrides_bank["customers"]
    fifth, sixth, near, far = (customers[k] for k in ("fifth", "sixth", "near", "far"))
    log = step["log"]
    assert (log[f"{fifth} {near}"]["status"], log[f"{fifth} {near}"]["status_reason"]) == ("applied", None)
    assert (log[f"{sixth} {far}"]["status"], log[f"{sixth} {far}"]["status_reason"]) == (
        "rejected", "TOO_FAR_FROM_SYSTEM_GRADE")
    assert (log[f"{fifth} D"]["status"], log[f"{fifth} D"]["status_reason"]) == ("expired", "EXPIRED")
    for code, grade, line, reason in ((sixth, far, 14, "TOO_FAR_FROM_SYSTEM_GRADE"), (fifth, "D", 15, "EXPIRED")):
        assert f"override rejected: line {line}, customer {code}, grade {grade}: {reason}" in step["report"]
    latest = "(select max(month_start) from marts.credit_grade_monthly)"
    grades = {row[0]: row[1:] for row in query(step["summary"].warehouse, f"""
        select customer_id, system_grade, override_grade, final_grade, override_approved_by, override_reason
        from marts.credit_grade_monthly where month_start = {latest} and customer_id in ('{fifth}', '{sixth}')""")}
    system = grades[fifth][0]
    assert grades[fifth] == (system, near, near, "Wang Fang", "Within reach")
    assert grades[sixth][1:3] == (None, grades[sixth][0])  # the system grade stands


def test_a_source_customer_id_resolves_to_its_customer(overrides_bank):
    customers = overrides_bank["customers"]
    row = overrides_bank["first version"]["requests"][f"{customers['source_id']} A"]
    assert row["customer_id"] == customers["second"] and row["expiry_date"] == dt.date(2026, 12, 31)
    assert overrides_bank["first version"]["requests"]["CU9999999999 BBB"]["customer_id"] is None


def test_a_row_removed_from_the_file_stays_withdrawn(overrides_bank):
    before, after, customers = overrides_bank["first version"], overrides_bank["edited"], overrides_bank["customers"]
    assert after["summary"].overrides_loaded and after["summary"].failed_runs == [], after["report"]
    withdrawn, added = f"{customers['third']} AA", f"{customers['fourth']} BB"
    assert after["requests"][withdrawn]["rejection_reason"] == "WITHDRAWN"
    assert not after["requests"][withdrawn]["in_latest_file"]
    assert "WITHDRAWN" not in after["report"]  # removing a row is the officers' own doing
    # Every row kept its first receipt; the added one is of the new version.
    for key, row in before["requests"].items():
        assert after["requests"][key]["first_received_at"] == row["first_received_at"], key
    assert after["requests"][added]["first_received_at"] == after["summary"].overrides["received_at"]
    assert after["requests"][added]["rejection_reason"] is None and after["requests"][added]["line_no"] == 15
    assert set(after["requests"]) == set(before["requests"]) | {added}


def test_an_unchanged_file_costs_nothing(overrides_bank):
    step = overrides_bank["unchanged"]
    assert not step["summary"].overrides_received and step["summary"].override_rejections == []  # no build
    assert step["requests"] == overrides_bank["edited"]["requests"]


@pytest.mark.parametrize(("name", "reason", "says"), [
    ("not UTF-8", "NOT_UTF8", "is not UTF-8"),
    ("missing column", "MISSING_COLUMN", "lacks column(s) approved_by, expiry_date"),
])
def test_an_unreadable_file_is_reported_and_crashes_nothing(overrides_bank, name, reason, says):
    step = overrides_bank[name]
    summary, report = step["summary"], step["report"]
    assert summary.failed_runs == [] and summary.overrides_received and summary.exit_status() == 1
    line = next(line for line in report.splitlines() if line.startswith("REJECTED credit overrides"))
    assert f"{reason}: " in line and "manual/credit_overrides.csv" in line and says in line
    # Nothing of it is used: the warehouse keeps reading the version loaded before it.
    assert step["requests"] == overrides_bank["edited"]["requests"]


def test_every_version_is_on_record(overrides_bank):
    warehouse = overrides_bank["missing column"]["summary"].warehouse

    def versions(folder):
        return sorted(path for path in (warehouse / folder).glob("*.parquet") if path.name != manual.ANCHOR)

    assert [pq.read_table(path)["status"][0].as_py() for path in versions(manual.LOADS)] == [
        "loaded", "loaded", "rejected", "rejected"]
    assert [path.name for path in versions(manual.STAGING)] == [path.name for path in versions(manual.LOADS)[:2]]
    # The rejected versions reach the table with the next build: none was needed for them.
    assert query(warehouse, "select status from audit.manual_loads order by received_at") == [("loaded",), ("loaded",)]


def test_parse_keeps_every_row_with_the_line_it_starts_on():
    text = f'\ufeff{HEADER},comment\nC1,AA,"a\nb",Li,2026-01-01,,x\n\n,,,,,,\n C2 , B ,r,Li,2026-01-02,2026-02-01,\n'
    rows, drift = manual.parse(text.encode("utf-8"), "overrides.csv")
    assert [(r["line_no"], r["customer_code"], r["new_grade"], r["reason"]) for r in rows] == [
        (2, "C1", "AA", "a\nb"), (6, "C2", "B", "r")]
    assert drift == "column(s) comment of overrides.csv are not part of the interface: ignored"


@pytest.mark.parametrize(("text", "reason", "says"), [
    (f"{HEADER}\nC1,AA,a, b,Li,2026-01-01,\n", "BAD_CSV", "overrides.csv line 2: 7 fields, the header has 6"),
    (f'{HEADER}\nC1,AA,"a"b,Li,2026-01-01,\n', "BAD_CSV", "overrides.csv line 2: not valid CSV"),
    (f'{HEADER}\nC1,AA,"open,Li,2026-01-01,\n', "BAD_CSV", "overrides.csv line 2: not valid CSV (unexpected end"),
    ("", "MISSING_COLUMN", "header: (none)"),
    (HEADER.replace("reason", "customer_code"), "MISSING_COLUMN", "lacks column(s) customer_code, reason"),
])
def test_parse_rejects_what_is_not_the_interface(text, reason, says):
    with pytest.raises(FileRejected) as rejected:
        manual.parse(text.encode("utf-8"), "overrides.csv")
    assert rejected.value.code == reason and says in rejected.value.message


def test_the_sensor_asks_for_a_run_when_the_file_changed(tmp_path):
    from dagster_project.automation import overrides_changed

    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    landing = Landing(raw_dir=str(raw), warehouse_dir=str(warehouse))

    def requests() -> list:
        return list(overrides_changed(build_sensor_context(resources={"landing": landing})) or [])

    assert requests() == []  # no file
    _write(raw, ["C1,AA,r,Li,2026-01-01,"])
    assert len(requests()) == 1
    manual.receive(raw, warehouse)
    assert requests() == []
