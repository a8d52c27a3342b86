"""``python -m cxdata maturity``: the CEM maturity assessments as JSON, and storing one respondent's
answers from a file. Wired into ``cxdata/cli.py`` with ``add_command`` and ``COMMANDS``; the
contract is the project's (``cxdata.cli_contract``).

The answer file is a JSON object ``{question id: score}`` with all thirty questions of
``cxdata.model.maturity.QUESTION_IDS`` ("measurement_1" … "culture_5"), each a whole number 0–10.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

from cxdata.cli_contract import UsageError, iso_date, missing_database
from cxdata.engine.db import resolve_db_path
from cxdata.i18n import WordedError, register_text, translate
from cxdata.model.filters import Filters

DEFAULT_PERIOD_DAYS = 90


def add_command(subparsers) -> None:
    maturity = subparsers.add_parser(
        "maturity", help="print the CEM maturity assessments (scores, level, evidence from the data) as JSON; "
                         "--answer FILE --respondent NAME stores one respondent's answers first")
    maturity.add_argument("--db", help="DuckDB file (default: $CX_DB or data/cx.duckdb)")
    maturity.add_argument("--start", type=iso_date, help="first day of the evidence period (default: 89 days before --end)")
    maturity.add_argument("--end", type=iso_date, help="last day of the evidence period (default: the as-of date)")
    maturity.add_argument("--answer", metavar="FILE.json",
                          help="a JSON object {question id: score 0-10} answering all 30 questions")
    maturity.add_argument("--respondent", help="with --answer: who gave the answers")
    maturity.add_argument("--assessment", type=int, default=None,
                          help="with --answer: add the answers to this assessment (default: a new assessment)")
    maturity.add_argument("--user", default=None, help="who stores the answers, for the audit log "
                                                       "(default: the login name)")
    maturity.add_argument("--lang", choices=("en", "ru"), default="en",
                          help="language of the level names, next steps, reasons and messages")


def run_maturity(args) -> int:
    from cxdata.engine.query import open_backend
    from cxdata.ingest import cli as ingest_cli
    from cxdata.ingest.errors import ChangeRefused
    from cxdata.ingest.maturity_store import record_answers

    path = resolve_db_path(args.db)
    if not path.exists():
        raise missing_database(path, args.lang)
    stored = None
    if args.answer is not None or args.respondent is not None or args.assessment is not None:
        answers = _read_answer_file(args)
        try:
            stored = record_answers(path, answers, respondent=args.respondent,
                                    user=args.user or ingest_cli.default_user(), assessment_id=args.assessment)
        except WordedError as error:  # the file's answers or the name: the user's input
            raise UsageError(error.message(args.lang)) from None
        except ChangeRefused as error:  # the assessment is gone, or this respondent answered it already
            print(f"{translate('cli_error', args.lang)}: {error.message(args.lang)}", file=sys.stderr)
            return 1
    db = open_backend(path)
    try:
        report = build_report(db, args.start, args.end, args.lang)
    finally:
        db.disconnect()
    print(json.dumps({"db": str(path), **({"stored": stored} if stored else {}), **report}, ensure_ascii=False))
    return 0


def build_report(db, start, end, lang: str) -> dict:
    """``{"period", "assessments", "latest"}``: every assessment scored (oldest first) and the latest
    with its level, next steps and the evidence of ``start``–``end`` (default: the 90 days to the
    as-of date)."""
    from cxdata.presentation.maturity_text import describe_latest
    from cxdata.questions.maturity import compute_evidence, fetch_maturity_answers, summarize_assessments
    from cxdata.questions.overview import fetch_as_of

    as_of = fetch_as_of(db)
    end = end or as_of
    start = start or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if start > end:
        raise UsageError(translate("cli_start_after_end", lang, start=start, end=end))
    assessments = summarize_assessments(fetch_maturity_answers(db))
    evidence = compute_evidence(db, Filters(start=start, end=end), as_of, lang)
    latest = describe_latest(assessments[-1], evidence, lang) if assessments else None
    return {"period": {"start": start.isoformat(), "end": end.isoformat()}, "assessments": assessments,
            "latest": latest}


def _read_answer_file(args) -> dict:
    if args.answer is None or args.respondent is None:
        raise UsageError(translate("maturity_cli_answer_and_respondent", args.lang))
    try:
        return json.loads(Path(args.answer).read_text(encoding="utf-8"))
    except OSError:
        raise UsageError(translate("maturity_cli_unreadable", args.lang, file=args.answer)) from None
    except ValueError as error:
        raise UsageError(translate("maturity_cli_not_json", args.lang, file=args.answer,
                                   line=getattr(error, "lineno", "?"))) from None


COMMANDS = {"maturity": run_maturity}

register_text({
    "maturity_cli_answer_and_respondent": {
        "en": "--answer FILE.json and --respondent NAME go together (--assessment ID with them)",
        "ru": "--answer и --respondent задаются вместе (--assessment — только вместе с ними)"},
    "maturity_cli_unreadable": {"en": "cannot read the answer file {file}", "ru": "не удаётся прочитать файл ответов {file}"},
    "maturity_cli_not_json": {"en": "{file} is not valid JSON (line {line})",
                              "ru": "файл {file} не удаётся разобрать: ошибка в строке {line}"},
})
