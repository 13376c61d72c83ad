"""The monthly report as one HTML file: five sections, each a chart with its caption and the
figures beside it (docs/report.md). Nothing is fetched when it is opened: the styles are inline
and the charts are SVG written here, so the file can be mailed or archived as it is.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from html import escape
from pathlib import Path

import duckdb

from .. import settings
from ..warehouse_reader import open_bi
from . import charts, queries
from .charts import Series

# Master-scale notch (1 AAA .. 11 D) -> colour: green for the best grades through amber to red, D darkest.
GRADE_COLOURS = ("#1a7f5a", "#2f9467", "#4fa977", "#84bd6c", "#bccb62", "#e9c85a", "#f0a44a", "#e67e3c",
                 "#d65a36", "#b83a32", "#6b1d1d")
LINE_COLOURS = {"loan": "#1f5fa8", "mortgage": "#6a4fb3", "card": "#1a9aa8"}
SEGMENT_COLOURS = {"A": "#0b4f9c", "B": "#5b9bd5", "C": "#c5d3e3"}
# The empty cells of the migration matrix, by the movement they would be.
MOVEMENT_TINTS = {"upgraded": "#eaf5ee", "unchanged": "#f5f7fa", "downgraded": "#fbeeec", "newly graded": "#f5f7fa"}
SYSTEM_COLOURS = {"deposit": "#0b4f9c", "loan": "#5b9bd5", "card": "#e08e2b", "mortgage": "#8a6bbf"}

STYLE = """
* { box-sizing: border-box; }
body { margin: 0; background: #eef1f5; color: #1f2933;
       font: 14px/1.45 "Segoe UI", "Helvetica Neue", Arial, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC",
             "WenQuanYi Micro Hei", sans-serif; }
header { background: #102a43; color: #fff; padding: 28px 40px 24px; }
header h1 { margin: 0; font-size: 26px; font-weight: 600; }
header p { margin: 6px 0 0; color: #bcccdc; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 32px 40px; }
.kpis { display: grid; grid-template-columns: repeat(6, 1fr); gap: 12px; margin-bottom: 24px; }
.kpi { background: #fff; border-radius: 8px; padding: 14px 16px; border-top: 4px solid #0b4f9c;
       box-shadow: 0 1px 2px rgba(16, 42, 67, .08); }
.kpi b { display: block; font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.kpi span { color: #616e7c; font-size: 12px; }
.kpi.alert { border-top-color: #b83a32; }
section { background: #fff; border-radius: 8px; padding: 22px 26px; margin-bottom: 24px;
          box-shadow: 0 1px 2px rgba(16, 42, 67, .08); }
section h2 { margin: 0 0 4px; font-size: 19px; font-weight: 600; }
p.caption { margin: 0 0 16px; color: #52606d; max-width: 900px; }
.row { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
.row > figure { margin: 0; }
.row + table, .row + .empty { margin-top: 18px; }
figure figcaption { color: #52606d; font-size: 12px; margin-top: 4px; }
svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid #e4e7eb; text-align: left; vertical-align: top; }
th { color: #52606d; font-weight: 600; border-bottom: 2px solid #cbd2d9; }
td.n, th.n { text-align: right; white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid #cbd2d9; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.empty { background: #f5f7fa; border: 1px dashed #cbd2d9; border-radius: 6px; padding: 14px 18px; color: #52606d; }
.facts { display: flex; gap: 28px; flex-wrap: wrap; margin: 0 0 16px; }
.facts div b { display: block; font-size: 18px; font-variant-numeric: tabular-nums; }
.facts div span { color: #616e7c; font-size: 12px; }
.row .facts { flex-direction: column; gap: 18px; margin-top: 24px; }
footer { color: #7b8794; font-size: 12px; text-align: center; padding: 0 0 28px; }
"""


def money(amount: Decimal | float | None) -> str:
    """CNY to the cent, with thousands separators."""
    return f"{Decimal(amount or 0):,.2f}"


def count(value: int | None) -> str:
    return f"{value or 0:,}"


def percent(share: float) -> str:
    return f"{share:.1%}"


NUMERIC = ' class="n"'  # a right-aligned figure


def table(headers: list[str], rows: list[list[str]], numeric_from: int = 1, total: list[str] | None = None,
          name: str = "") -> str:
    """A small table of text already formatted; columns from `numeric_from` on are right-aligned figures."""
    def cells(values: list[str], tag: str) -> str:
        return "".join(f'<{tag}{NUMERIC if i >= numeric_from else ""}>{escape(v)}</{tag}>'
                       for i, v in enumerate(values))
    body = "".join(f"<tr>{cells(r, 'td')}</tr>" for r in rows)
    if total:
        body += f'<tr class="total">{cells(total, "td")}</tr>'
    return (f'<table data-table="{escape(name)}"><thead><tr>{cells(headers, "th")}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def facts(pairs: list[tuple[str, str]], name: str) -> str:
    """Key figures in a line: the value large, what it is beneath."""
    items = "".join(f'<div data-fact="{escape(label)}"><b>{escape(value)}</b><span>{escape(label)}</span></div>'
                    for label, value in pairs)
    return f'<div class="facts" data-facts="{escape(name)}">{items}</div>'


def section(name: str, title: str, caption: str, *parts: str) -> str:
    return (f'<section id="{name}" aria-labelledby="{name}-heading"><h2 id="{name}-heading">{escape(title)}</h2>'
            f'<p class="caption">{escape(caption)}</p>{"".join(parts)}</section>')


def row(*parts: str) -> str:
    return f'<div class="row">{"".join(parts)}</div>'


def figure(chart: str, caption: str) -> str:
    return f"<figure>{chart}<figcaption>{escape(caption)}</figcaption></figure>"


def empty(note: str) -> str:
    return f'<p class="empty" data-empty="true">{escape(note)}</p>'


def _grades(con: duckdb.DuckDBPyConnection, month: dt.date) -> tuple[str, dict]:
    graded = queries.rows(con, queries.GRADE_CUSTOMERS, month)
    exposures = queries.rows(con, queries.GRADE_EXPOSURE, month)
    grades = [grade for grade, _, _ in graded]
    colours = [GRADE_COLOURS[notch - 1] for _, notch, _ in graded]
    by_line: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for grade, _, line, exposure in exposures:
        by_line[line][grade] = exposure
    lines = [line for line in LINE_COLOURS if any(by_line[line].values())]
    exposure_of = {grade: sum((by_line[line].get(grade, 0) for line in by_line), Decimal(0)) for grade in grades}
    customers = sum(n for _, _, n in graded)
    customers_chart = charts.bars(
        "grade-customers", "Customers by final credit grade", "One bar per grade of the master scale, best first.",
        grades, [Series("customers", "#0b4f9c", [n for _, _, n in graded])], value_label="customers",
        category_label="final grade (AAA best, D in default)", width=530, fmt=count, category_colours=colours)
    exposure_chart = charts.bars(
        "grade-exposure", "Exposure by final credit grade and credit line",
        "Exposure in CNY per grade, stacked by loan, mortgage and card.", grades,
        [Series(line, LINE_COLOURS[line], [float(by_line[line].get(g, 0)) for g in grades]) for line in lines],
        value_label="exposure, CNY", category_label="final grade", width=530)
    rows = [[grade, count(n), percent(n / customers), money(exposure_of[grade])] for grade, _, n in graded]
    total_exposure = sum(exposure_of.values(), Decimal(0))
    listing = table(["grade", "customers", "share", "exposure, CNY"], rows, name="grades",
                    total=["total", count(customers), percent(1), money(total_exposure)])
    defaulted = sum(n for grade, _, n in graded if grade == "D")
    html = section(
        "grades", "1. Credit grade distribution",
        "Every customer's final grade this month (after risk officers' overrides), on the bank's master scale "
        "from AAA to C, and D for customers in default. Exposure is what customers owe on loans, mortgages "
        "and cards. Sources: marts.credit_grade_monthly (customers), marts.credit_grade_distribution_monthly "
        "(exposure by credit line).",
        row(figure(customers_chart, "Customers per grade."), figure(exposure_chart, "Exposure per grade, CNY.")),
        listing)
    return html, {"customers": customers, "exposure": total_exposure, "defaulted": defaulted}


def _movement(from_notch: int | None, to_notch: int) -> str:
    if from_notch is None:
        return "newly graded"
    return "unchanged" if from_notch == to_notch else "upgraded" if to_notch < from_notch else "downgraded"


def _migration(con: duckdb.DuckDBPyConnection, month: dt.date) -> tuple[str, int]:
    cells = queries.rows(con, queries.MIGRATION, month)
    title, caption = "2. Grade migration since last month", (
        "Customers by last month's final grade (rows) and this month's (columns); the outlined diagonal is "
        "an unchanged grade, cells right of it (tinted red) are downgrades, left of it (tinted green) "
        "upgrades. NR: not graded last month. Source: marts.credit_migration_monthly.")
    if not any(from_notch is not None for _, from_notch, *_ in cells):
        rated = sum(c[4] for c in cells)
        return section("migration", title, caption, empty(
            f"No data for this month: no customer was graded the month before, so nothing migrated "
            f"({count(rated)} customers graded for the first time).")), 0
    moves = {kind: [0, Decimal(0)] for kind in MOVEMENT_TINTS}  # customers and exposure by movement
    for _, from_notch, _, to_notch, customers, exposure in cells:
        kind = _movement(from_notch, to_notch)
        moves[kind][0] += customers
        moves[kind][1] += exposure or 0
    notch_of = {grade: notch for grade, notch, *_ in cells if notch is not None}
    notch_of |= {grade: notch for *_, grade, notch, _, _ in cells}
    froms = sorted({c[0] for c in cells}, key=lambda g: notch_of.get(g, 0))
    tos = sorted({c[2] for c in cells}, key=lambda g: notch_of[g])
    matrix = {(f, t): (n, f"{f} -> {t}: {count(n)} customers, CNY {money(e)}") for f, _, t, _, n, e in cells}
    chart = charts.heatmap("migration", "Grade migration matrix",
                           "Customers by last month's grade and this month's; deeper blue is more customers.",
                           froms, tos, matrix, row_label="last month's grade", column_label="this month's grade",
                           diagonal=lambda f, t: f == t,
                           background=lambda f, t: MOVEMENT_TINTS[_movement(notch_of.get(f), notch_of[t])])
    rows = [[kind, count(n), money(e)] for kind, (n, e) in moves.items()]
    html = section("migration", title, caption, row(
        figure(chart, "Customers per pair of grades; hover a cell for its exposure."),
        table(["movement", "customers", "exposure, CNY"], rows, name="migration")))
    return html, moves["downgraded"][0]


def _pareto(con: duckdb.DuckDBPyConnection, month: dt.date) -> tuple[str, float | None]:
    points = queries.rows(con, queries.PARETO, month)
    title, caption = "3. Contribution concentration (Pareto)", (
        "The share of the month's positive risk-adjusted contribution earned from the best customers, best "
        "first: the further the curve bows above the dotted diagonal, the more the bank depends on few "
        "customers. Source: marts.contribution_pareto_monthly.")
    if not points:
        return section("pareto", title, caption, empty("No data for this month: no contribution was computed.")), None
    top_fifth = max((p for p in points if p[1] <= Decimal("0.2")), key=lambda p: p[1], default=points[0])
    eighty = next((p for p in points if p[2] >= Decimal("0.8")), points[-1])
    chart = charts.curve(
        "pareto", "Cumulative contribution share by customer percentile",
        "Customers sorted by contribution, best first, against the share of contribution they earn.",
        [(float(share), float(earned), f"best {float(share):.0%} ({count(n)} customers): {float(earned):.1%}")
         for _, share, earned, n in points],
        x_label="customers, best first (cumulative share)", y_label="contribution earned (cumulative share)",
        x_mark=0.2, y_mark=0.8, width=560)
    numbers = facts([
        (f"of contribution from the best {percent(top_fifth[1])} of customers", percent(top_fifth[2])),
        ("of customers earn 80% of contribution", percent(eighty[1])),
        ("customers", count(points[-1][3])),
    ], "pareto")
    return section("pareto", title, caption, row(figure(chart, "Hover a point for its figures."),
                                                 f"<div>{numbers}</div>")), float(top_fifth[2])


def _segments(con: duckdb.DuckDBPyConnection, month: dt.date) -> str:
    mix = queries.rows(con, queries.SEGMENTS, month)
    title, caption = "4. Segment mix by branch", (
        "Customers of each owning branch by ABC segment: A earns the first 70% of the month's positive "
        "contribution, B the next 20%, C the rest. Source: marts.customer_contribution_monthly.")
    if not mix:
        return section("segments", title, caption, empty("No data for this month: no customer was segmented."))
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for code, name, segment, customers in mix:
        counts[f"{code} {name}".strip()][segment] = customers
    branches = list(counts)
    series = [Series(s, SEGMENT_COLOURS[s], [counts[b].get(s, 0) for b in branches]) for s in SEGMENT_COLOURS]
    chart = charts.bars("segments", "Customers by branch and ABC segment",
                        "One bar per branch, customers stacked by segment A, B and C.", branches, series,
                        value_label="customers", category_label="branch", horizontal=True, width=600, fmt=count)
    rows = [[b, *(count(counts[b].get(s, 0)) for s in SEGMENT_COLOURS), count(sum(counts[b].values()))]
            for b in branches]
    totals = [sum(counts[b].get(s, 0) for b in branches) for s in SEGMENT_COLOURS]
    listing = table(["branch", *SEGMENT_COLOURS, "customers"], rows, name="segments",
                    total=["all branches", *map(count, totals), count(sum(totals))])
    return section("segments", title, caption, row(figure(chart, "Customers per branch."), listing))


def _quality(con: duckdb.DuckDBPyConnection, month: dt.date) -> tuple[str, int]:
    outcomes = queries.rows(con, queries.OUTCOMES, month)
    rejected = queries.rows(con, queries.REJECTED_FILES, month)
    held = queries.rows(con, queries.HELD, month)
    title, caption = "5. Data quality of the month's deliveries", (
        "What became of the records the source systems delivered for the month's business dates (the latest "
        "delivery of each date): loaded, quarantined by a record rule, or in a file rejected whole. Sources: "
        "marts.data_quality_daily, marts.data_quality_files.")
    if not outcomes:
        return section("quality", title, caption, empty("No data for this month: nothing was delivered.")), 0
    by_system: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_reason: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for system, outcome, reason, records in outcomes:
        by_system[system][outcome] += records or 0
        if outcome == "quarantined":
            by_reason[reason][system] += records
    totals = {o: sum(s[o] for s in by_system.values()) for o in ("loaded", "quarantined", "rejected")}
    delivered = sum(totals.values())
    parts = [facts([("records delivered", count(delivered)), ("loaded", count(totals["loaded"])),
                    ("quarantined", count(totals["quarantined"])),
                    ("in rejected files", count(totals["rejected"])), ("files rejected", count(len(rejected)))],
                   "quality")]
    systems = [s for s in SYSTEM_COLOURS if s in by_system]
    system_rows = [[s, count(sum(by_system[s].values())), *(count(by_system[s][o]) for o in totals)] for s in systems]
    system_table = table(["system", "delivered", "loaded", "quarantined", "rejected"], system_rows, name="systems",
                         total=["all", count(delivered), *map(count, totals.values())])
    if by_reason:
        reasons = sorted(by_reason, key=lambda r: (-sum(by_reason[r].values()), r))
        chart = charts.bars(
            "quarantine", "Records quarantined by reason and source system",
            "One bar per record rule, records stacked by the source system that delivered them.", reasons,
            [Series(s, SYSTEM_COLOURS[s], [by_reason[r].get(s, 0) for r in reasons]) for s in systems
             if any(by_reason[r].get(s) for r in reasons)],
            value_label="records quarantined", category_label="reason", horizontal=True, width=600, fmt=count)
        parts.append(row(figure(chart, "Quarantined records per reason."), system_table))
    else:
        parts.append(row(empty("No record was quarantined this month."), system_table))
    if rejected:
        parts.append("<h3>Rejected files</h3>" + table(
            ["system", "business date", "delivery", "file", "reason", "message", "records delivered"],
            [[system, str(day), str(delivery), file, reason or "", message or "",
              "unreadable" if records is None else count(records)]
             for system, day, delivery, file, reason, message, records in rejected],
            numeric_from=6, name="rejected"))
    else:
        parts.append(empty("No file was rejected this month."))
    if held:
        parts.append(empty("Held deliveries (a critical expectation failed; the warehouse reads the date's "
                           "previous delivery): " + ", ".join(f"{s} {d} #{n}" for s, d, n in held) + "."))
    return section("quality", title, caption, *parts), totals["quarantined"] + totals["rejected"]


def file_name(month: dt.date) -> str:
    return f"bank360_report_{month:%Y-%m}.html"


def render(con: duckdb.DuckDBPyConnection, month: dt.date, out_dir: Path) -> Path:
    """Write the report of `month` (any day of it) into out_dir; LookupError when the month was not graded."""
    month = month.replace(day=1)
    graded = queries.months_graded(con)
    if month not in graded:
        available = ", ".join(f"{m:%Y-%m}" for m in graded) or "none yet"
        raise LookupError(f"no credit grading for {month:%Y-%m}; the months graded are: {available}")
    grades, totals = _grades(con, month)
    migration, downgraded = _migration(con, month)
    pareto, top_fifth = _pareto(con, month)
    quality, refused = _quality(con, month)
    kpis = [("customers graded", count(totals["customers"]), ""),
            ("exposure, CNY", charts.short(float(totals["exposure"])), ""),
            ("customers in default (D)", count(totals["defaulted"]), "alert" if totals["defaulted"] else ""),
            ("downgraded since last month", count(downgraded), "alert" if downgraded else ""),
            ("contribution from the best 20% of customers", "n/a" if top_fifth is None else percent(top_fifth), ""),
            ("records refused (quarantined or rejected)", count(refused), "alert" if refused else "")]
    tiles = "".join(f'<div class="kpi {css}" data-kpi="{escape(label)}"><b>{escape(value)}</b>'
                    f"<span>{escape(label)}</span></div>" for label, value, css in kpis)
    as_of = queries.grading_date(con, month)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>bank360 risk report {month:%Y-%m}</title><style>{STYLE}</style></head>
<body><header><h1>Credit risk and customer report &middot; {month:%B %Y}</h1>
<p>Grades as of {as_of} &middot; bank360 customer-360 warehouse, published marts &middot; amounts in CNY</p></header>
<main><div class="kpis">{tiles}</div>
{grades}{migration}{pareto}{_segments(con, month)}{quality}</main>
<footer>Generated by <code>bank360 report --month {month:%Y-%m}</code>. Every figure is read from the published
BI file's marts; docs/report.md says which mart feeds which chart.</footer></body></html>
"""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / file_name(month)
    path.write_text(page, encoding="utf-8")
    return path


def default_dir(warehouse: Path) -> Path:
    return Path(warehouse) / settings.REPORTS_DIR


def write_latest(warehouse: Path, out_dir: Path | None = None) -> Path | None:
    """The report of the latest graded month, for `bank360 run` after a publish; None when nothing is graded yet."""
    with open_bi(warehouse) as con:
        graded = queries.months_graded(con)
        return render(con, graded[-1], out_dir or default_dir(warehouse)) if graded else None
