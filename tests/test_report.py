"""`bank360 report`: the month's charts as one HTML file, opened in a real headless browser
(Debian's chromium) on the small bank graded in two months (docs/report.md). Every count of
bars and cells, and every figure checked, is computed from the marts here, not written down."""

import datetime as dt
import os
import shutil
import subprocess
from collections import defaultdict
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from PIL import Image

from dagster_project import cli, report, settings
from dagster_project.report import charts

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags chromium hangs trying to reach Google's servers.
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars"]
FEBRUARY, JANUARY = dt.date(2026, 2, 1), dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def bi_warehouse(graded_bank, tmp_path_factory) -> Path:
    """The BI file the small bank's last run published, alone in a warehouse folder of its own: the reports
    the tests write stay out of the shared bank."""
    warehouse = tmp_path_factory.mktemp("report") / "warehouse"
    (warehouse / settings.BI_FILE).parent.mkdir(parents=True)
    shutil.copy(graded_bank / settings.BI_FILE, warehouse / settings.BI_FILE)
    return warehouse


def bi_query(warehouse: Path, sql: str, month: dt.date = FEBRUARY) -> list[tuple]:
    with duckdb.connect(str(warehouse / settings.BI_FILE), read_only=True) as con:
        return con.execute(sql, {"month": month}).fetchall()


class Elements(HTMLParser):
    """Every element's tag and attributes, and the text of each table's rows (by its data-table)."""

    def __init__(self, page: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.tables: dict[str, list[list[str]]] = defaultdict(list)
        self._table, self._cell = None, None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "table":
            self._table = attributes.get("data-table")
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append(self._cell)
            self._cell = None
        elif tag == "table":
            self._table = None

    def marks(self, chart: str) -> list[dict]:
        """The data marks (bars, cells, points) of the chart named so."""
        inside, out = False, []
        for tag, attributes in self.elements:
            if tag == "svg":
                inside = attributes.get("data-chart") == chart
            elif inside and "mark" in attributes.get("class", "").split():
                out.append(attributes)
        return out

    def charts(self) -> set[str]:
        return {a["data-chart"] for tag, a in self.elements if tag == "svg"}


def browser(*args: str, user_data: Path) -> subprocess.CompletedProcess:
    if not CHROMIUM.exists():
        if os.environ.get("BANK360_REPORT_BROWSER") == "off":
            pytest.skip("BANK360_REPORT_BROWSER=off: the report is not opened in a browser")
        pytest.fail(f"{CHROMIUM} is missing: the report test opens the report in Debian's chromium. Install it with "
                    "`sudo apt-get install -y --no-install-recommends chromium` (.ci/run does), or set "
                    "BANK360_REPORT_BROWSER=off to skip this test on a machine without it.")
    return subprocess.run([str(CHROMIUM), *BROWSER_FLAGS, f"--user-data-dir={user_data}", *args],
                          capture_output=True, text=True, timeout=120, check=True)


def png_colours(path: Path) -> int:
    """How many distinct colours a screenshot holds."""
    with Image.open(path) as image:
        return len(image.convert("RGB").getcolors(maxcolors=1 << 24))


def _report(capsys, warehouse: Path, month: str, *args: str) -> tuple[int, str, str]:
    status = cli.main(["report", "--month", month, "--warehouse", str(warehouse), *args])
    out, err = capsys.readouterr()
    return status, out, err


def money(amount) -> str:
    return f"{Decimal(amount):,.2f}"


def test_report_renders_every_chart_with_the_marts_figures(bi_warehouse, tmp_path, capsys):
    status, out, _ = _report(capsys, bi_warehouse, "2026-02")
    path = bi_warehouse / "serving" / "reports" / "bank360_report_2026-02.html"
    assert status == 0 and str(path) in out
    page = path.read_text(encoding="utf-8")
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")

    screenshot = tmp_path / "report.png"  # kept with the test's files: look at it
    browser(f"--screenshot={screenshot}", "--window-size=1280,4000", path.as_uri(), user_data=tmp_path / "profile")
    assert screenshot.stat().st_size > 50_000 and png_colours(screenshot) > 200, "a blank or nearly blank page"
    dom = Elements(browser("--dump-dom", path.as_uri(), user_data=tmp_path / "profile").stdout)
    assert dom.charts() == {"grade-customers", "grade-exposure", "migration", "pareto", "segments"}

    # 1. Grades: a bar per grade, in master-scale order, and the exposure of every line of every grade.
    graded = bi_query(bi_warehouse, """select final_grade, count(*) from marts.credit_grade_monthly
                                       where month_start = $month group by final_grade, final_notch
                                       order by final_notch""")
    assert [(m["data-category"], int(m["data-value"])) for m in dom.marks("grade-customers")] == graded
    exposures = bi_query(bi_warehouse, """select final_grade, product_line, sum(exposure_cny)
                                          from marts.credit_grade_distribution_monthly where month_start = $month
                                          group by all having sum(exposure_cny) <> 0 order by all""")
    assert sorted((m["data-category"], m["data-series"], Decimal(m["data-value"]).quantize(Decimal("0.01")))
                  for m in dom.marks("grade-exposure")) == exposures
    total = sum(e for *_, e in exposures)
    assert dom.tables["grades"][-1] == ["total", f"{sum(n for _, n in graded):,}", "100.0%", money(total)]

    # 2. Migration: a cell per row of the matrix, and the movements it sums to.
    cells = bi_query(bi_warehouse, """select from_grade, to_grade, customers, from_notch, to_notch, exposure_cny
                                      from marts.credit_migration_monthly where month_start = $month""")
    assert sorted((m["data-from"], m["data-to"], int(m["data-value"])) for m in dom.marks("migration")) == sorted(
        c[:3] for c in cells)
    downgraded = [c for c in cells if c[3] is not None and c[4] > c[3]]
    movements = {row[0]: row[1:] for row in dom.tables["migration"][1:]}
    assert movements["downgraded"] == [f"{sum(c[2] for c in downgraded):,}", money(sum(c[5] for c in downgraded))]
    assert f"<b>{sum(c[2] for c in downgraded):,}</b><span>downgraded since last month</span>" in page

    # 3. Pareto: a point per percentile, and the best fifth's share.
    curve = bi_query(bi_warehouse, """select customer_share, contribution_share from marts.contribution_pareto_monthly
                                      where month_start = $month order by customer_percentile""")
    assert [(Decimal(m["data-x"]), Decimal(m["data-y"])) for m in dom.marks("pareto")] == curve
    fifth = max(c for c in curve if c[0] <= Decimal("0.2"))
    assert (f"<b>{float(fifth[1]):.1%}</b><span>of contribution from the best {float(fifth[0]):.1%} "
            "of customers</span>") in page

    # 4. Segments: a bar part per branch and segment, customers counted once.
    mix = bi_query(bi_warehouse, """select branch_code, abc_segment, count(*) from marts.customer_contribution_monthly
                                    where month_start = $month group by all order by all""")
    assert sorted((m["data-category"].split()[0], m["data-series"], int(m["data-value"]))
                  for m in dom.marks("segments")) == mix
    assert dom.tables["segments"][-1][-1] == f"{sum(n for *_, n in mix):,}"

    # 5. Data quality: the clean bank quarantined and rejected nothing; its totals reconcile.
    loaded = bi_query(bi_warehouse, """select system, sum(records) from marts.data_quality_daily
                                       where month_start = $month and outcome = 'loaded' group by all""")
    systems = {row[0]: row[1:] for row in dom.tables["systems"][1:]}
    assert {s: systems[s][1] for s, _ in loaded} == {s: f"{n:,}" for s, n in loaded}
    assert "No record was quarantined this month." in page and "No file was rejected this month." in page


def test_a_first_month_has_no_migration_to_show(bi_warehouse, tmp_path, capsys):
    status, _, _ = _report(capsys, bi_warehouse, "2026-01", "--out", str(tmp_path))
    assert status == 0
    page = (tmp_path / "bank360_report_2026-01.html").read_text(encoding="utf-8")
    dom = Elements(page)
    assert "migration" not in dom.charts() and {"grade-customers", "pareto", "segments"} <= dom.charts()
    rated = bi_query(bi_warehouse, "select count(*) from marts.credit_grade_monthly where month_start = $month",
                     JANUARY)[0][0]
    assert ("No data for this month: no customer was graded the month before, so nothing migrated "
            f"({rated:,} customers graded for the first time).") in page


def test_quarantine_and_rejected_files_are_charted_and_escaped(bi_warehouse, tmp_path):
    """Seeded into a copy of the BI file (the small bank was delivered clean): quarantined records of
    two systems, a rejected file whose message carries markup, and a held delivery."""
    warehouse = tmp_path / "warehouse"
    (warehouse / "serving").mkdir(parents=True)
    shutil.copyfile(bi_warehouse / settings.BI_FILE, warehouse / settings.BI_FILE)  # writable: no mode copied
    with duckdb.connect(str(warehouse / settings.BI_FILE)) as con:
        con.execute("""insert into marts.data_quality_daily values
            ('2026-02-01', '2026-02-01', 'deposit', 1, false, 'CUSTOMER', 'quarantined', 'ID_CHECK', 3),
            ('2026-02-01', '2026-02-01', 'loan', 1, false, 'CONTRACT', 'quarantined', 'ID_CHECK', 2),
            ('2026-02-02', '2026-02-01', 'loan', 1, false, 'POSITION', 'quarantined', 'ORPHAN', 5),
            ('2026-02-02', '2026-02-01', 'card', 2, true, 'card_txn', 'rejected', 'CHECKSUM_MISMATCH', 40)""")
        con.execute("""insert into marts.data_quality_files values
            ('card', '2026-02-02', '2026-02-01', 2, 'card_txn.parquet', 'card_txn', 'rejected', 'CHECKSUM_MISMATCH',
             'card_txn.parquet <script>alert(1)</script> & sha256 differs', 40, 0, 0, true)""")
        path = report.render(con, FEBRUARY, tmp_path / "out")
    page = path.read_text(encoding="utf-8")
    dom = Elements(page)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; sha256 differs" in page
    assert sorted((m["data-category"], m["data-series"], int(m["data-value"])) for m in dom.marks("quarantine")) == [
        ("ID_CHECK", "deposit", 3), ("ID_CHECK", "loan", 2), ("ORPHAN", "loan", 5)]
    assert [m["data-category"] for m in dom.marks("quarantine")][0] == "ID_CHECK"  # the most records first
    assert dom.tables["rejected"][1] == ["card", "2026-02-02", "2", "card_txn.parquet", "CHECKSUM_MISMATCH",
                                         "card_txn.parquet <script>alert(1)</script> & sha256 differs", "40"]
    assert "card 2026-02-02 #2" in page  # the held delivery named
    assert dom.tables["systems"][-1][3:] == ["10", "40"]  # quarantined and rejected, all systems


def test_a_month_without_grading_fails_clearly(bi_warehouse, tmp_path, capsys):
    status, _, err = _report(capsys, bi_warehouse, "2025-12", "--out", str(tmp_path))
    assert status == 1
    assert err.strip() == "bank360 report: no credit grading for 2025-12; the months graded are: 2026-01, 2026-02"
    assert not any(tmp_path.iterdir())
    status, _, err = _report(capsys, tmp_path / "nothing", "2026-02")
    assert status == 2 and "no published BI file" in err and "run `bank360 run` first" in err


def test_the_run_can_write_the_latest_months_report(bi_warehouse, tmp_path):
    path = report.write_latest(bi_warehouse, tmp_path)
    assert path == tmp_path / "bank360_report_2026-02.html" and "February 2026" in path.read_text(encoding="utf-8")


def test_short_labels_read_as_thousands_millions_and_billions():
    assert [charts.short(v) for v in (999, 12_345, 300_000, 1_000_000, 2_500_000_000)] == [
        "999", "12.3k", "300.0k", "1.0m", "2.5bn"]
