"""`bank360`: the one command users type."""

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np

from . import settings


class UsageError(Exception):
    """A bad argument: reported on one line, exit status 2."""


def business_date(text: str) -> np.datetime64:
    try:
        return np.datetime64(dt.datetime.strptime(text, "%Y%m%d").date(), "D")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYYMMDD") from None


def calendar_date(text: str) -> dt.date:
    for form in ("%Y-%m-%d", "%Y%m%d"):  # the other commands take YYYYMMDD
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD or YYYYMMDD")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} must be between 0 and 1")
    return value


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _simulate(args) -> int:
    from .simulator import Options, simulate

    truth = args.truth or args.raw.resolve().parent / "simulator_truth"
    summary = simulate(Options(
        raw=args.raw, truth=truth, customers=args.customers, start=args.start, days=args.days,
        seed=args.seed, defect_rate=args.defect_rate, redeliver_rate=args.redeliver_rate,
        late_rate=args.late_rate, unready=args.unready, progress=not args.quiet))
    print(f"simulated {summary['persons']} customers, {summary['deliveries']} deliveries, "
          f"{summary['defects']} defective records or files -> {args.raw} (truth: {truth})")
    return 0


def _run(args) -> int:
    from . import runner

    if not args.raw.is_dir():
        raise UsageError(f"--raw {args.raw} is not a directory")
    day = args.date.astype(object) if args.date is not None else None
    summary = runner.run(args.raw, args.warehouse, date=day, everything=args.all, build=not args.load_only,
                         load=not args.build_only, engine=args.engine)
    print(runner.report(summary))
    return summary.exit_status()


def _customer(args) -> int:
    from .customer_lookup import lookup

    try:
        print(lookup(args.warehouse, args.code))
    except LookupError as exc:
        print(f"bank360 customer: {exc}", file=sys.stderr)
        return 1
    return 0


def month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month in the form YYYY-MM") from None


def _credit_fit(args) -> int:
    from .credit import fit

    result = fit.fit(args.warehouse, args.out_of_time_from, args.seeds)
    print(fit.report(result))
    print(f"wrote {result['model_version']} (now active) to {args.seeds}; `bank360 run --build-only` grades with it")
    return 0


def _export_credit_grades(args) -> int:
    from .credit_export import export

    try:
        done = export(args.warehouse, args.as_of, args.format, args.out, args.branch)
    except LookupError as exc:
        print(f"bank360 export credit-grades: {exc}", file=sys.stderr)
        return 1
    scope = f"branch {args.branch} and the branches under it" if args.branch else "every branch"
    print(f"credit grades of the grading date {done.grading_date} (the latest on or before {args.as_of}), "
          f"{scope}: {done.customers:,} customers -> {done.path}")
    return 0


def _waiting(args) -> None:
    print(f"bank360 {args.command}: waiting for the steps writing {args.warehouse} to finish (a load or a build "
          "is running)", file=sys.stderr)


def _backup(args) -> int:
    from .backup import backup, backup_report

    print(backup_report(backup(args.warehouse, args.to, args.wait, lambda: _waiting(args))))
    return 0


def _restore(args) -> int:
    from .backup import restore, restore_report

    manifest = restore(args.source, args.warehouse, args.wait, lambda: _waiting(args))
    print(restore_report(args.source.resolve(), args.warehouse.resolve(), manifest))
    return 0


def _report(args) -> int:
    from . import report
    from .warehouse_reader import open_bi

    with open_bi(args.warehouse) as con:
        try:
            path = report.render(con, args.month, args.out or report.default_dir(args.warehouse))
        except LookupError as exc:
            print(f"bank360 report: {exc}", file=sys.stderr)
            return 1
    print(f"report of {args.month:%Y-%m} -> {path}")
    return 0


def add_warehouse_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--warehouse", type=Path, default=Path("warehouse"),
                         help="warehouse directory (default: warehouse)")


def parser() -> argparse.ArgumentParser:
    top = OneLineParser(prog="bank360", description="bank360: the customer-360 warehouse")
    commands = top.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    sim = commands.add_parser("simulate", help="write simulated source-system deliveries")
    sim.add_argument("--raw", type=Path, required=True, help="landing zone to write into")
    sim.add_argument("--customers", type=positive_int, required=True)
    sim.add_argument("--start", type=business_date, required=True, help="first business date, YYYYMMDD")
    sim.add_argument("--days", type=positive_int, required=True)
    sim.add_argument("--seed", type=int, required=True)
    sim.add_argument("--defect-rate", type=share, default=0.0)
    sim.add_argument("--redeliver-rate", type=share, default=0.0)
    sim.add_argument("--late-rate", type=share, default=0.0)
    sim.add_argument("--unready", type=int, default=0, choices=range(0, 4), metavar="K",
                     help="leave K deliveries of the last date without _READY (0-3)")
    sim.add_argument("--truth", type=Path, help="where the ground truth goes (default: beside --raw)")
    sim.add_argument("--quiet", action="store_true", help="no progress bar")
    sim.set_defaults(handler=_simulate)

    run = commands.add_parser("run", help="load pending deliveries and build the warehouse")
    run.add_argument("--raw", type=Path, default=Path("raw"), help="landing zone (default: raw)")
    add_warehouse_option(run)
    which = run.add_mutually_exclusive_group()
    which.add_argument("--date", type=business_date,
                       help="reload every complete delivery of this business date, YYYYMMDD")
    which.add_argument("--all", action="store_true", help="reload every complete delivery")
    stage = run.add_mutually_exclusive_group()
    stage.add_argument("--load-only", action="store_true",
                       help="load deliveries into staging and audit Parquet, but do not rebuild the DuckDB file")
    stage.add_argument("--build-only", action="store_true",
                       help="rebuild the DuckDB file from what is loaded, without loading anything")
    run.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                     help="build the models on DuckDB (default) or on a local Spark session, whose tables go to "
                          "<warehouse>/spark (docs/scale-out.md)")
    run.set_defaults(handler=_run)

    customer = commands.add_parser("customer", help="show the whole customer behind any customer code")
    customer.add_argument("code", help="customer number, source customer id, account or contract number, "
                                       "or identity number")
    add_warehouse_option(customer)
    customer.set_defaults(handler=_customer)

    credit = commands.add_parser("credit", help="credit grading: fit the individual scorecard")
    credit_commands = credit.add_subparsers(dest="credit_command", required=True, parser_class=OneLineParser)
    fit = credit_commands.add_parser(
        "fit", help="fit the individual scorecard on the warehouse's history and write it as the next version")
    add_warehouse_option(fit)
    fit.add_argument("--out-of-time-from", type=month, required=True, metavar="YYYY-MM",
                     help="first observation month of the out-of-time test; earlier months are the development sample")
    fit.add_argument("--seeds", type=Path, default=settings.DBT_DIR / "seeds" / "credit",
                     help="where the scorecard seeds are (default: the dbt project's seeds/credit)")
    fit.set_defaults(handler=_credit_fit)

    export = commands.add_parser("export", help="write a mart's rows to a file for its users")
    exports = export.add_subparsers(dest="export", required=True, parser_class=OneLineParser)
    grades = exports.add_parser("credit-grades", help="the credit grades in force on a date, for risk officers")
    grades.add_argument("--as-of", type=calendar_date, required=True,
                        help="YYYY-MM-DD (or YYYYMMDD): the latest grading on or before it is exported")
    grades.add_argument("--branch", help="only this branch and the branches under it (branch_code)")
    grades.add_argument("--format", choices=("csv", "parquet", "xlsx"), required=True)
    grades.add_argument("--out", type=Path, help="file or folder to write (default: "
                                                 "credit_grades_<grading date>[_<branch>].<format> here)")
    add_warehouse_option(grades)
    grades.set_defaults(handler=_export_credit_grades)

    wait = {"type": positive_int, "metavar": "SECONDS",
            "help": "give up when running loads or builds still hold the warehouse after SECONDS (default: wait)"}
    save = commands.add_parser("backup", help="write the whole warehouse to one archive file (docs/backup.md)")
    save.add_argument("--to", type=Path, required=True,
                      help="file to write, or a folder to write bank360_backup_<UTC time>.tar in")
    add_warehouse_option(save)
    save.add_argument("--wait", **wait)
    save.set_defaults(handler=_backup)

    back = commands.add_parser("restore", help="replace the warehouse by a backup, once the whole backup checks out")
    back.add_argument("--from", dest="source", type=Path, required=True, help="the backup archive")
    add_warehouse_option(back)
    back.add_argument("--wait", **wait)
    back.set_defaults(handler=_restore)

    monthly = commands.add_parser("report", help="the month's credit, contribution and data-quality charts as one "
                                                 "HTML file, from the published BI file")
    monthly.add_argument("--month", type=month, required=True, metavar="YYYY-MM", help="a graded month")
    monthly.add_argument("--out", type=Path, help="folder to write bank360_report_<YYYY-MM>.html into "
                                                  "(default: <warehouse>/serving/reports)")
    add_warehouse_option(monthly)
    monthly.set_defaults(handler=_report)

    bench = commands.add_parser("bench", help="simulate a bank and time the whole pipeline on it, stage by stage, "
                                              "against floors measured in the same run (docs/performance.md)")
    bench.add_argument("--customers", type=positive_int, required=True)
    bench.add_argument("--days", type=positive_int, required=True, help="business days to simulate and run")
    bench.add_argument("--seed", type=int, default=1)
    bench.add_argument("--out", type=Path, help="write every day's measurements here, as JSON")
    bench.add_argument("--work", type=Path, help="keep the extracts and the warehouse here; a bench stopped part-way "
                                                 "resumes from its last finished day (default: a temporary folder)")
    bench.add_argument("--floor-days", type=positive_int, nargs="*", metavar="DAY",
                       help="measure the floors on these days (default: the first, the second and the last; "
                            "none: never)")
    bench.set_defaults(handler=_bench)
    return top


def _bench(args) -> int:
    from .bench import scale, tables

    floor_days = set(args.floor_days) if args.floor_days is not None else None
    print(tables.markdown(scale.bench(args.customers, args.days, args.seed, args.work, args.out, floor_days)))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except (UsageError, ValueError, OSError) as exc:
        print(f"bank360 {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
