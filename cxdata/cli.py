"""Command line: ``python -m cxdata COMMAND``. A stable contract that analysts script.

Exit codes: 0 success, 1 runtime failure, 2 usage error (bad arguments, missing database).
Errors are one line on stderr, never a traceback, in the language of ``--lang`` (every command
takes it); ``--help`` is in English.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from typing import Callable, Sequence

from cxdata.cli_topics import add_topics_command
from cxdata.cli_contract import (
    Parser,
    UsageError,
    iso_date,
    missing_database,
    positive_float,
    run_with_contract,
)
from cxdata.engine.db import remember_database, resolve_db_path
from cxdata.i18n import WordedError, register_text, translate
from cxdata import maturity_cli
from cxdata.ingest import cli as ingest_cli
from cxdata.model.filters import Filters
from cxdata.model.workspace import DEFAULTS

register_text({
    "refresh_already_current": {"en": "already current", "ru": "уже актуальны"},
})


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """The global filters as options (shared by every reporting command)."""
    parser.add_argument("--db", help="DuckDB file (default: $CX_DB or data/cx.duckdb)")
    parser.add_argument("--start", type=iso_date, help="first day (default: 89 days before --end)")
    parser.add_argument("--end", type=iso_date, help="last day (default: the data's as-of date)")
    parser.add_argument("--segment", action="append", default=[], help="repeatable")
    parser.add_argument("--region", action="append", default=[], help="repeatable")
    parser.add_argument("--channel", action="append", default=[], help="repeatable")
    parser.add_argument("--acquisition-channel", action="append", default=[], help="repeatable")
    parser.add_argument("--engine", help="duckdb, polars or spark (default: $CX_ENGINE or duckdb)")


def add_lang_argument(parser: argparse.ArgumentParser,
                      help: str = "language of the texts (reasons a number is not available, headlines) "
                                  "and of the error messages") -> None:
    parser.add_argument("--lang", choices=("en", "ru"), default="en", help=help)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m cxdata", description="CX dashboard data tools")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    init = commands.add_parser("init", help="create the database with the embedded sample (or --empty)")
    init.add_argument("--db", help="DuckDB file (default: $CX_DB or data/cx.duckdb)")
    init.add_argument("--scale", type=positive_float, default=None, help="1 = ~1M customers (default 0.05)")
    init.add_argument("--seed", type=int, default=None, help="random seed (default 42)")
    init.add_argument("--force", action="store_true", help="replace an existing database")
    init.add_argument("--empty", action="store_true", help="the schema and no sample: a workspace for your own data")
    init.add_argument("--currency", help="with --empty: the currency code of its money (default USD)")
    init.add_argument("--name", help="with --empty: the company name shown on every page")
    add_lang_argument(init, help="language of the messages")

    settings = commands.add_parser("settings", help="print the workspace settings as JSON; --set changes them")
    settings.add_argument("--db", help="DuckDB file (default: $CX_DB or data/cx.duckdb)")
    settings.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                          help="repeatable: company_name, currency, locale, fiscal_year_start, time_zone, "
                               "as_of (a date, or latest to follow the data)")
    settings.add_argument("--user", default=None, help="who changes the settings, for the audit log "
                                                       "(default: the login name)")
    add_lang_argument(settings, help="language of the messages")

    metrics = commands.add_parser("metrics", help="print every metric as JSON")
    add_filter_arguments(metrics)
    add_lang_argument(metrics)

    funnel = commands.add_parser("funnel", help="print the journey funnel as JSON")
    add_filter_arguments(funnel)
    funnel.add_argument("--window-days", type=int, default=None, help="conversion window (default 30)")
    funnel.add_argument("--stages", help="comma-separated stage order, overriding journey_stages")
    add_lang_argument(funnel, help="language of the error messages")
    money = commands.add_parser("money", help="print CX economics, revenue at risk and unit economics as JSON")
    add_filter_arguments(money)
    add_lang_argument(money)
    money.add_argument("--horizon-months", type=_horizon_months, default=None,
                       help="months ahead for revenue at risk and drivers (default 12)")
    refresh = commands.add_parser("refresh", help="rebuild the saved summaries (rollups) of a database laid out "
                                                  "by an older version, atomically; JSON on stdout")
    refresh.add_argument("--db", help="DuckDB file (default: $CX_DB or data/cx.duckdb)")
    refresh.add_argument("--wait", type=positive_float, default=60,
                         help="seconds to wait for an upload to finish (default 60)")
    refresh.add_argument("--lang", choices=("en", "ru"), default="en", help="language of the messages")
    health = commands.add_parser("health", help="print what each table holds and what is missing, as JSON")
    health.add_argument("--db", help="DuckDB file (default: $CX_DB or data/cx.duckdb)")
    add_lang_argument(health)
    clv = commands.add_parser("clv", help="print the predicted lifetime value (BG/NBD + Gamma-Gamma) as JSON")
    add_filter_arguments(clv)
    clv.add_argument("--calibration-end", type=iso_date, default=None,
                     help="last day of the calibration period (default: 70%% of the way to the as-of date)")
    clv.add_argument("--time-unit", choices=("days", "weeks"), default="weeks", help="unit of the rates (default weeks)")
    clv.add_argument("--horizon-months", type=_horizon_months, default=None, help="forecast horizon (default 12)")
    churn_risk = commands.add_parser("churn-risk", help="print the churn-risk model's validation, drivers and the "
                                                       "customers most at risk as JSON")
    add_filter_arguments(churn_risk)
    add_lang_argument(churn_risk)
    churn_risk.add_argument("--horizon-days", type=whole_number(1, unit="days"), default=None,
                            help="days ahead the risk is about, 7 to 365 (default 90)")
    churn_risk.add_argument("--top", type=whole_number(0), default=20, help="customers most at risk to list (default 20)")
    refit = commands.add_parser("refit", help="fit the forecast models on the data as it is now, store them beside "
                                              "the database, print JSON")
    refit.add_argument("--db", help="DuckDB file (default: $CX_DB or data/cx.duckdb)")
    refit.add_argument("--force", action="store_true", help="fit again even when this data's fits are stored")
    refit.add_argument("--quiet", action="store_true", help="print nothing (the background refit after a load)")
    refit.add_argument("--owner", help=argparse.SUPPRESS)  # the token start_refit named this refit by
    add_lang_argument(refit, help="language of the error messages")
    add_lang_argument(clv, help="language of the error messages")
    alerts = commands.add_parser("alerts", help="print the early warnings (metrics out of their own weekly "
                                                "control limits) as JSON")
    add_filter_arguments(alerts)
    alerts.add_argument("--since", type=iso_date, default=None,
                        help="list the alerts going on or ended since this day (default: --start, else "
                             "26 weeks before --end)")
    add_lang_argument(alerts, help="language of the error messages")
    add_topics_command(commands, add_filter_arguments, add_lang_argument)
    ingest_cli.add_commands(commands)
    maturity_cli.add_command(commands)
    return parser


def whole_number(low: int, high: int | None = None, unit: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (no upper bound when None) of
    ``unit`` ("", "days" or "months"); its complaints are templates of ``cli_contract.ARGPARSE_TEXT``,
    so that ``--lang ru`` says them in Russian."""
    suffix = f"_{unit}" if unit else ""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(translate(f"cli_not_whole{suffix}", "en", value=repr(text))) from None
        if high is None and value < low:
            raise argparse.ArgumentTypeError(translate(f"cli_at_least{suffix}", "en", low=low, value=repr(text)))
        if high is not None and not low <= value <= high:
            raise argparse.ArgumentTypeError(translate(f"cli_range{suffix}", "en", low=low, high=high,
                                                       value=repr(text)))  # fmt: skip
        return value

    return parse


_horizon_months = whole_number(1, 120, "months")


def open_reporting_backend(args):
    """The read-only Ibis backend for --db on the engine of --engine (else $CX_ENGINE, else DuckDB);
    a missing file or an unknown engine is a usage error."""
    from cxdata.engine.engines import open_engine, resolve_engine

    try:
        engine = resolve_engine(args.engine)
    except WordedError as error:
        raise UsageError(error.message(args.lang)) from None
    path = resolve_db_path(args.db)
    if not path.exists():
        raise missing_database(path, args.lang)
    return open_engine(engine, path)


def filters_from_args(args, as_of: date) -> Filters:
    end = args.end or as_of
    start = args.start or end - timedelta(days=89)
    if start > end:
        raise UsageError(translate("cli_start_after_end", args.lang, start=start, end=end))
    return Filters(
        start=start,
        end=end,
        segments=tuple(args.segment),
        regions=tuple(args.region),
        channels=tuple(args.channel),
        acquisition_channels=tuple(args.acquisition_channel),
    )


def run_init(args) -> int:
    from cxdata.sample import DEFAULT_SCALE, DEFAULT_SEED, build_sample_database

    path = resolve_db_path(args.db)
    if path.exists() and not args.force:
        raise UsageError(translate("cli_database_exists", args.lang, path=path))
    if args.empty:
        return _init_empty(args, path)
    if args.currency is not None or args.name is not None:
        raise UsageError(translate("cli_empty_only", args.lang))
    scale = args.scale if args.scale is not None else DEFAULT_SCALE
    seed = args.seed if args.seed is not None else DEFAULT_SEED
    counts = build_sample_database(path, scale=scale, seed=seed, force=args.force)
    remember_database(path)  # from now on, a dashboard that finds it missing says so
    print(json.dumps({"db": str(path), "scale": scale, "seed": seed, "rows": counts}, ensure_ascii=False))
    return 0


def _init_empty(args, path) -> int:
    from cxdata.engine.workspace import create_empty_database

    if args.scale is not None or args.seed is not None:
        raise UsageError(translate("cli_sample_only", args.lang))
    assignments = [f"currency={args.currency or DEFAULTS['currency']}"]
    if args.name is not None:
        assignments.append(f"company_name={args.name}")
    changes = _parse_assignments(assignments, args.lang)
    counts = create_empty_database(path, settings=changes, force=args.force)
    remember_database(path)
    print(json.dumps({"db": str(path), "source": "empty", "settings": changes, "rows": counts}, ensure_ascii=False))
    return 0


def _parse_assignments(assignments: Sequence[str], lang: str) -> dict[str, str]:
    """KEY=VALUE texts -> stored values; the first refused one is a usage error (nothing changes)."""
    from cxdata.model.workspace import SettingError, parse_assignment

    changes = {}
    for text in assignments:
        try:
            key, value = parse_assignment(text)
        except SettingError as error:
            raise UsageError(error.message(lang)) from None
        changes[key] = value
    return changes


def run_settings(args) -> int:
    from cxdata.engine.query import open_backend
    from cxdata.engine.workspace import describe_workspace
    from cxdata.ingest.publish import change_settings

    path = resolve_db_path(args.db)
    if not path.exists():
        raise missing_database(path, args.lang, empty=True)
    changes = _parse_assignments(args.set, args.lang)
    if changes:
        from cxdata.ingest.errors import ChangeRefused
        from cxdata.ingest.settings_log import read_settings_version

        # The version read before waiting for the lock: a change that lands meanwhile refuses this one.
        try:
            change_settings(path, changes, user=args.user or ingest_cli.default_user(),
                            seen_version=read_settings_version(path))
        except ChangeRefused as error:
            print(f"{translate('cli_error', args.lang)}: {error.message(args.lang)}", file=sys.stderr)
            return 1
    db = open_backend(path)
    try:
        print(json.dumps(describe_workspace(db), ensure_ascii=False))
    finally:
        db.disconnect()
    return 0


def run_metrics(args) -> int:
    from cxdata.model.registry import CLI_METRICS
    from cxdata.questions.metrics import compute_metrics
    from cxdata.questions.overview import fetch_as_of

    db = open_reporting_backend(args)
    as_of = fetch_as_of(db)
    values = compute_metrics(db, filters_from_args(args, as_of), as_of, CLI_METRICS)
    print(json.dumps({name: value.to_dict(args.lang) for name, value in values.items()}, ensure_ascii=False))
    return 0


def run_funnel(args) -> int:
    from cxdata.questions.funnel import DEFAULT_WINDOW_DAYS, compute_funnel
    from cxdata.questions.overview import fetch_as_of

    db = open_reporting_backend(args)
    as_of = fetch_as_of(db)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()] if args.stages else None
    window = DEFAULT_WINDOW_DAYS if args.window_days is None else args.window_days
    try:
        funnel = compute_funnel(db, filters_from_args(args, as_of), as_of, window_days=window, stages=stages)
    except WordedError as error:  # unknown stages, a negative window: the user's arguments
        raise UsageError(error.message(args.lang)) from None
    columns = ["stage", "customers", "step_conversion", "overall_conversion", "dropped", "lost_value"]
    rows = [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for row in funnel[columns].astype(object).to_dict(orient="records")
    ]
    print(json.dumps(rows, ensure_ascii=False, default=float))
    return 0


def run_money(args) -> int:
    from cxdata.questions.money import DEFAULT_HORIZON_MONTHS
    from cxdata.questions.money_report import build_money_report
    from cxdata.questions.overview import fetch_as_of

    db = open_reporting_backend(args)
    as_of = fetch_as_of(db)
    horizon = DEFAULT_HORIZON_MONTHS if args.horizon_months is None else args.horizon_months
    forecast, state = _read_stored_forecast(db, args, as_of)
    report = build_money_report(db, filters_from_args(args, as_of), as_of, horizon, args.lang, forecast, state)
    print(json.dumps(report, ensure_ascii=False))
    return 0


def _read_stored_forecast(db, args, as_of: date):
    """(the CLV fit the background refit stored for this data, or None; its state)."""
    from cxdata.engine.engines import read_backend_meta
    from cxdata.engine.fit_store import fit_key
    from cxdata.questions.fits import read_stored_fit

    version = read_backend_meta(db).get("data_version") or "none"
    return read_stored_fit(resolve_db_path(args.db), "clv", fit_key(version, as_of))


def run_refresh(args) -> int:
    """Rebuild the rollups when the code lays them out differently than the database holds them
    (the router reads the raw tables meanwhile: the same numbers, slower), under the upload lock
    and through the same publish as a load."""
    from cxdata.ingest.errors import UploadBusyError, describe_failure
    from cxdata.ingest.publish import refresh_and_publish

    path = resolve_db_path(args.db)
    if not path.exists():
        raise missing_database(path, args.lang)
    try:
        result = refresh_and_publish(path, lock_timeout=args.wait)
    except UploadBusyError as error:
        from cxdata.presentation.upload_view import describe_busy  # who holds the lock, in words

        print(f"{translate('cli_error', args.lang)}: {describe_busy(error, args.lang)}", file=sys.stderr)
        return 1
    except OSError as error:  # disk full, a read-only folder: one line, no server path
        print(f"{translate('cli_error', args.lang)}: {describe_failure(error, args.lang)}", file=sys.stderr)
        return 1
    if not result["rebuilt"]:
        result["reason"] = translate("refresh_already_current", args.lang)
    print(json.dumps({"db": str(path), **result}, ensure_ascii=False))
    return 0


def run_health(args) -> int:
    from cxdata.engine.query import open_backend
    from cxdata.questions.health import build_health_report, fetch_health

    path = resolve_db_path(args.db)
    if not path.exists():
        raise missing_database(path, args.lang)
    report = build_health_report(fetch_health(open_backend(path)), args.lang)
    print(json.dumps({"db": str(path), **report}, ensure_ascii=False))
    return 0


def run_clv(args) -> int:
    from cxdata.questions.clv import (
        DEFAULT_HORIZON_MONTHS,
        build_clv_report,
        compute_clv_model,
    )
    from cxdata.questions.overview import fetch_as_of

    db = open_reporting_backend(args)
    as_of = fetch_as_of(db)
    horizon = DEFAULT_HORIZON_MONTHS if args.horizon_months is None else args.horizon_months
    filters = filters_from_args(args, as_of)
    try:
        model = compute_clv_model(db, as_of, args.calibration_end, args.time_unit, horizon)
    except WordedError as error:  # a calibration end outside the data, too few customers to fit
        raise UsageError(error.message(args.lang)) from None
    print(json.dumps(build_clv_report(model, filters), ensure_ascii=False))
    return 0


def run_churn_risk(args) -> int:
    from cxdata.engine.workspace import fetch_settings
    from cxdata.presentation.churn_risk_text import build_churn_risk_report
    from cxdata.questions.churn_risk import (
        DEFAULT_HORIZON_DAYS,
        at_risk_customers,
        compute_churn_risk_model,
        rank_customers,
        validate_horizon_days,
    )
    from cxdata.questions.clv import compute_clv_model
    from cxdata.questions.metrics import fetch_gap
    from cxdata.questions.overview import fetch_as_of

    db = open_reporting_backend(args)
    as_of = fetch_as_of(db)
    filters = filters_from_args(args, as_of)
    gap = fetch_gap(db, "churn_risk")
    if gap is not None:  # no purchases or no churn events: nothing to learn from
        raise UsageError(gap.text(args.lang))
    try:
        horizon = validate_horizon_days(DEFAULT_HORIZON_DAYS if args.horizon_days is None else args.horizon_days)
        model = compute_churn_risk_model(db, as_of, horizon)
    except WordedError as error:  # a horizon out of range, too little history for two cut-offs
        raise UsageError(error.message(args.lang)) from None
    try:
        clv = compute_clv_model(db, as_of)
    except ValueError:  # no lifetime-value forecast: the value at stake falls back to last year's revenue
        clv = None
    customers = rank_customers(at_risk_customers(model, filters, clv), "risk")
    currency = fetch_settings(db).currency
    print(json.dumps(build_churn_risk_report(model, customers, args.top, args.lang, currency), ensure_ascii=False))
    return 0


def run_alerts(args) -> int:
    from cxdata.questions.alerts import ALERT_WEEKS_BY_DEFAULT, fetch_alerts, select_alerts
    from cxdata.questions.overview import fetch_as_of

    db = open_reporting_backend(args)
    as_of = fetch_as_of(db)
    end = args.end or as_of
    since = args.since or args.start or end - timedelta(weeks=ALERT_WEEKS_BY_DEFAULT)
    if since > end:
        raise UsageError(translate("cli_since_after_end", args.lang, since=since, end=end))
    filters = Filters(start=since, end=end, segments=tuple(args.segment), regions=tuple(args.region),
                      channels=tuple(args.channel), acquisition_channels=tuple(args.acquisition_channel))
    alerts = select_alerts(fetch_alerts(db, filters, end), since, end)
    print(json.dumps([alert.to_dict() for alert in alerts], ensure_ascii=False))
    return 0


def run_topics(args) -> int:
    from cxdata.cli_topics import print_topics
    from cxdata.questions.overview import fetch_as_of

    db = open_reporting_backend(args)
    as_of = fetch_as_of(db)
    return print_topics(db, args.db, filters_from_args(args, as_of), as_of, args.source, args.lang)


def run_refit(args) -> int:
    from cxdata.questions.fits import run_refit as refit

    path = resolve_db_path(args.db)
    if not path.exists():
        raise missing_database(path, args.lang)
    result = refit(path, owner=args.owner, force=args.force)
    if not args.quiet:
        print(json.dumps(result, ensure_ascii=False))
    return 1 if any("error" in fit for fit in result["fits"].values()) else 0


COMMANDS = {"init": run_init, "metrics": run_metrics, "funnel": run_funnel, "money": run_money, "health": run_health,
            "clv": run_clv, "churn-risk": run_churn_risk, "refit": run_refit, "settings": run_settings,
            "refresh": run_refresh, "alerts": run_alerts, "topics": run_topics, **ingest_cli.COMMANDS,
            **maturity_cli.COMMANDS}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    return run_with_contract(build_parser(), COMMANDS, argv)




register_text({
    "cli_since_after_end": {"en": "--since {since} is after the last day checked ({end})",
                            "ru": "--since {since} позже последнего проверяемого дня ({end})"},
    "cli_start_after_end": {"en": "--start {start} is after --end {end}", "ru": "--start {start} позже, чем --end {end}"},
    "cli_database_exists": {"en": "{path} already exists; add --force to replace it",
                            "ru": "{path} уже существует; добавьте --force, чтобы заменить её"},
    "cli_empty_only": {"en": "--currency and --name go with --empty (the sample's own are fixed)",
                       "ru": "--currency и --name задаются только вместе с --empty (у демонстрационной базы они свои)"},
    "cli_sample_only": {"en": "--scale and --seed are the sample's; an --empty database has no sample",
                        "ru": "--scale и --seed относятся к демонстрационной базе; в базе с --empty её нет"},
})
