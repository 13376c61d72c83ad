"""The bench's results as Markdown: stage by stage, against the floors, against the targets."""

from statistics import mean

# The bank's targets for the pipeline (docs/performance.md): the bench says which it meets.
BANK_SCALE = 1_000_000  # customers: the size the day-one target is set for
DAY_ONE_SECONDS = 8 * 60  # two cores
PEAK_GB = 6
LATER_DAY_RATIO = 1.2  # a later day against day one
INGEST_FLOOR_RATIO = 2.0  # ingestion against the bare read of the same files
BUILD_OVERHEAD = 0.30  # orchestration and checks on top of the SQL script


def end_to_end(day: dict) -> float:
    return day["ingest"]["seconds"] + day["build"]["seconds"]


def build_work(day: dict) -> float:
    """The build without publishing and the report: dbt, the checks, and orchestrating them."""
    steps = day["build"]["steps"]
    return day["build"]["seconds"] - steps.get("publish", 0) - steps.get("report", 0)


def peak(day: dict) -> float:
    return max(day["ingest"]["peak_gb"], day["build"]["peak_gb"])


def _stage_row(label: str, days: list[dict]) -> str:
    def avg(value) -> float:
        return mean(value(day) for day in days)

    def step(name):
        return lambda day: day["build"]["steps"].get(name, 0)

    cells = [label, f"{avg(lambda d: d['records']):,.0f}", f"{avg(lambda d: d['ingest']['seconds']):.1f}",
             f"{avg(step('dbt')):.1f}", f"{avg(step('validation')):.1f}",
             f"{avg(lambda d: d['build']['orchestration']):.1f}", f"{avg(step('publish')):.1f}",
             f"{avg(step('report')):.1f}", f"**{avg(end_to_end):.1f}**", f"{max(peak(d) for d in days):.2f}",
             f"{avg(lambda d: d['records'] / end_to_end(d)):,.0f}", f"{days[-1]['sizes_mb']['duckdb']:,.0f}",
             f"{days[-1]['sizes_mb']['bi']:,.0f}"]
    return "| " + " | ".join(cells) + " |"


def measured_days(summary: dict) -> list[dict]:
    """The days measured whole: a day interrupted and resumed measured only what was left of it."""
    return [day for day in summary["days_run"] if not day.get("interrupted")]


def stages_table(summary: dict) -> str:
    days = measured_days(summary)
    rows = [_stage_row(f"day {day['day']}", [day]) for day in days[:2]]
    if len(days) > 2:
        rows += [_stage_row(f"days {days[1]['day']}-{days[-1]['day']}, mean of {len(days) - 1}", days[1:]),
                 _stage_row(f"day {days[-1]['day']}", days[-1:])]
    return "\n".join([
        "| day | records | ingest s | dbt s | validation s | orchestration s | publish s | report s | end to end s "
        "| peak GB | records/s | DuckDB MB | BI MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |", *rows])


def floors_table(summary: dict) -> str:
    rows = []
    for day in measured_days(summary):
        floors = day["floors"]
        if not floors:
            continue
        ingest, script = day["ingest"]["seconds"], floors["sql_script"]["seconds"]
        rows.append(
            f"| {day['day']} | {ingest:.1f} | {floors['bare_read_seconds']:.1f} | "
            f"{ingest / floors['bare_read_seconds']:.1f}x | {floors['pandas']['seconds']:.1f} | "
            f"{ingest / floors['pandas']['seconds']:.2f}x | {build_work(day):.1f} | {script:.1f} | "
            f"{build_work(day) / script:.2f}x | {floors['pandas']['peak_gb']:.2f} | "
            f"{floors['sql_script']['peak_gb']:.2f} |")
    return "\n".join([
        "| day | ingest s | bare DuckDB read s | ratio | pandas load s | ratio | build s (dbt, checks, orchestration) "
        "| SQL script s | ratio | pandas peak GB | script peak GB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |", *rows])


def targets(summary: dict) -> str:
    days = measured_days(summary)
    first = days[0]
    floor_days = [day for day in days if day["floors"]]
    lines = [_verdict(f"peak memory {max(peak(d) for d in days):.2f} GB", max(peak(d) for d in days) < PEAK_GB,
                      f"under {PEAK_GB} GB")]
    if summary["customers"] >= BANK_SCALE:
        lines.insert(0, _verdict(f"day one end to end {end_to_end(first):.0f} s", end_to_end(first) <= DAY_ONE_SECONDS,
                                 f"at most {DAY_ONE_SECONDS} s"))
    if len(days) > 1:
        worst = max(days[1:], key=end_to_end)
        lines.append(_verdict(f"later days at most {end_to_end(worst) / end_to_end(first):.2f}x day one "
                              f"(day {worst['day']})", end_to_end(worst) <= LATER_DAY_RATIO * end_to_end(first),
                              f"at most {LATER_DAY_RATIO}x"))
    for day in floor_days:
        ratio = day["ingest"]["seconds"] / day["floors"]["bare_read_seconds"]
        overhead = build_work(day) / day["floors"]["sql_script"]["seconds"] - 1
        lines += [_verdict(f"day {day['day']}: ingest {ratio:.1f}x its floor", ratio <= INGEST_FLOOR_RATIO,
                           f"at most {INGEST_FLOOR_RATIO}x"),
                  _verdict(f"day {day['day']}: orchestration and checks +{overhead:.0%} on the SQL script",
                           overhead <= BUILD_OVERHEAD, f"at most +{BUILD_OVERHEAD:.0%}")]
    return "\n".join(lines)


def _verdict(measured: str, met: bool, target: str) -> str:
    return f"- {'met' if met else 'MISSED'}: {measured} (target {target})"


def markdown(summary: dict) -> str:
    versions = ", ".join(f"{name} {version}" for name, version in summary["versions"].items())
    simulated = summary["simulate"]
    return "\n\n".join([
        f"bank360 bench: {summary['customers']:,} customers, {len(summary['days_run'])} of {summary['days']} days, "
        f"{summary['date']}, {summary['machine']}, Python {summary['python']}, {versions}",
        f"simulate: {simulated['seconds']:.1f} s, peak {simulated['peak_gb']:.2f} GB, {simulated['raw_mb']:,.0f} MB",
        *[f"day {day['day']} was interrupted and resumed: left out of the tables" for day in summary["days_run"]
          if day.get("interrupted")],
        stages_table(summary), floors_table(summary) if any(d["floors"] for d in summary["days_run"]) else
        "no floors measured (--floor-days)", targets(summary)])


def sizes_table(summaries: list[dict]) -> str:
    """One line per bench: day one, later days and the floor ratios, side by side (docs/performance.md)."""
    rows = []
    for summary in sorted(summaries, key=lambda s: (s["customers"], s["days"])):
        days = measured_days(summary)
        first, later = days[0], days[1:]
        floored = [day for day in days if day["floors"]]
        ingest = " / ".join(f"{d['ingest']['seconds'] / d['floors']['bare_read_seconds']:.0f}x" for d in floored)
        pandas = " / ".join(f"{d['ingest']['seconds'] / d['floors']['pandas']['seconds']:.1f}x" for d in floored)
        script = " / ".join(f"{build_work(d) / d['floors']['sql_script']['seconds']:.2f}x" for d in floored)
        mean_later = f"{mean(end_to_end(d) for d in later) / end_to_end(first):.2f}x" if later else ""
        worst = f"{max(end_to_end(d) for d in later) / end_to_end(first):.2f}x" if later else ""
        rows.append(f"| {summary['date']} | {summary['customers']:,} | {len(days)} | {first['raw_mb']:,.0f} | "
                    f"{first['records']:,} | {end_to_end(first):.0f} s | {max(peak(d) for d in days):.2f} | "
                    f"{mean_later} | {worst} | {ingest} | {pandas} | {script} | "
                    f"{days[-1]['sizes_mb']['duckdb']:,.0f} | {days[-1]['sizes_mb']['bi']:,.0f} | "
                    f"{mean(d['load_average'] for d in days):.1f} |")
    return "\n".join([
        "| date | customers | days | raw MB a day | records a day | day one end to end | peak GB "
        "| later days / day one, mean | worst | ingest / bare read | ingest / pandas | build / SQL script "
        "| DuckDB MB | BI MB | load average |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |", *rows])
