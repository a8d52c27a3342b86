"""The command line's contract, shared by ``python -m cxdata`` and ``python -m cxdata.ingest``.

Exit codes: 0 success, 1 runtime failure, 2 usage error (bad arguments, missing database).
Errors are one line on stderr, never a traceback, in the language of ``--lang`` (English or
Russian). The language is read from the command line before it is parsed, so that argparse's own
complaints (a missing argument, an unknown choice) are translated too; ``--help`` stays English.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from functools import lru_cache
from typing import Sequence

import duckdb

from cxdata.engine.db import describe_database_error, resolve_db_path
from cxdata.i18n import register_text, translate

LANGUAGES = ("en", "ru")


class UsageError(Exception):
    """Bad arguments: exit code 2. The text is already in the user's language."""


class ArgumentsError(UsageError):
    """argparse's own complaint (English), translated when printed: ``message(lang)``."""

    def __init__(self, prog: str, text: str):
        super().__init__(f"{prog}: {text}")
        self.prog, self.text = prog, text

    def message(self, lang: str) -> str:
        return f"{self.prog}: {translate_argparse_message(self.text, lang)}"


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage + exits; we want one line and code 2
        raise ArgumentsError(self.prog, message)


def wanted_language(argv: Sequence[str] | None) -> str:
    """The language asked by ``--lang ru`` / ``--lang=ru`` anywhere on the command line (else English),
    read before parsing so that parse errors can be given in it.

    >>> wanted_language(["metrics", "--bogus", "--lang", "ru"]), wanted_language(["undo", "--lang=ru"]), wanted_language([])
    ('ru', 'ru', 'en')
    """
    args = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(args):
        value = args[i + 1] if arg == "--lang" and i + 1 < len(args) else arg[7:] if arg.startswith("--lang=") else None
        if value in LANGUAGES:
            return value
    return "en"


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(translate("cli_not_a_date", "en", value=repr(text))) from None


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(translate("cli_not_a_number", "en", value=repr(text))) from None
    if not value > 0:
        raise argparse.ArgumentTypeError(translate("cli_not_positive", "en", value=repr(text)))
    return value


# argparse's messages (Python 3.11) and those of the argument types above, as templates: the
# English one is matched against what argparse says, the Russian one is what the user reads.
ARGPARSE_TEXT = {
    "cli_argument": {"en": "argument {name}: {message}", "ru": "аргумент {name}: {message}"},
    "cli_required": {"en": "the following arguments are required: {names}",
                     "ru": "не хватает обязательных аргументов: {names}"},
    "cli_one_required": {"en": "one of the arguments {names} is required", "ru": "нужен один из аргументов: {names}"},
    "cli_invalid_choice": {"en": "invalid choice: {value} (choose from {choices})",
                           "ru": "недопустимое значение {value} (допустимы: {choices})"},
    "cli_invalid_int": {"en": "invalid int value: {value}", "ru": "{value} — не целое число"},
    "cli_invalid_float": {"en": "invalid float value: {value}", "ru": "{value} — не число"},
    "cli_invalid_value": {"en": "invalid {kind} value: {value}", "ru": "недопустимое значение {value}"},
    "cli_unrecognized": {"en": "unrecognized arguments: {names}", "ru": "неизвестные аргументы: {names}"},
    "cli_expected_one": {"en": "expected one argument", "ru": "после него нужно значение"},
    "cli_expected_at_most_one": {"en": "expected at most one argument", "ru": "после него не больше одного значения"},
    "cli_expected_at_least_one": {"en": "expected at least one argument", "ru": "после него нужно хотя бы одно значение"},
    "cli_expected_count": {"en": "expected {count} argument", "ru": "после него нужно значений: {count}"},
    "cli_expected_counts": {"en": "expected {count} arguments", "ru": "после него нужно значений: {count}"},
    "cli_not_allowed_with": {"en": "not allowed with argument {name}", "ru": "нельзя вместе с аргументом {name}"},
    "cli_ambiguous": {"en": "ambiguous option: {name} could match {matches}",
                      "ru": "неоднозначный параметр {name}: подходят {matches}"},
    "cli_ignored_value": {"en": "ignored explicit argument {value}", "ru": "лишнее значение {value}"},
    "cli_not_a_date": {"en": "not a date in YYYY-MM-DD form: {value}", "ru": "{value} — не дата в виде ГГГГ-ММ-ДД"},
    "cli_not_a_number": {"en": "not a number: {value}", "ru": "{value} — не число"},
    "cli_not_positive": {"en": "must be greater than 0: {value}", "ru": "{value}: нужно число больше 0"},
    "cli_not_whole_months": {"en": "not a whole number of months: {value}", "ru": "{value} — не целое число месяцев"},
    "cli_range_months": {"en": "must be from {low} to {high} months: {value}",
                         "ru": "{value}: нужно от {low} до {high} месяцев"},
    "cli_at_least_months": {"en": "must be {low} months or more: {value}", "ru": "{value}: нужно не меньше {low} мес."},
    "cli_not_whole_days": {"en": "not a whole number of days: {value}", "ru": "{value} — не целое число дней"},
    "cli_range_days": {"en": "must be from {low} to {high} days: {value}", "ru": "{value}: нужно от {low} до {high} дней"},
    "cli_at_least_days": {"en": "must be {low} days or more: {value}", "ru": "{value}: нужно не меньше {low} дн."},
    "cli_not_whole": {"en": "not a whole number: {value}", "ru": "{value} — не целое число"},
    "cli_range": {"en": "must be from {low} to {high}: {value}", "ru": "{value}: нужно от {low} до {high}"},
    "cli_at_least": {"en": "must be {low} or more: {value}", "ru": "{value}: нужно не меньше {low}"},
}
# Names argparse gives positional arguments (their ``dest``), as a Russian reader reads them;
# option names (--start) are what the user types and stay as they are.
ARGUMENT_NAMES_RU = {"command": "команда", "table": "таблица", "file": "файл", "upload_id": "номер загрузки"}

OTHER_TEXT = {
    "cli_error": {"en": "error", "ru": "ошибка"},
    "cli_database_not_found": {"en": "database not found: {path} (create it with: python -m cxdata init)",
                               "ru": "база данных не найдена: {path} (создайте её командой python -m cxdata init)"},
    "cli_database_not_found_empty": {
        "en": "database not found: {path} (create it with: python -m cxdata init --empty)",
        "ru": "база данных не найдена: {path} (создайте её командой python -m cxdata init --empty)"},
}
register_text({**ARGPARSE_TEXT, **OTHER_TEXT})


@lru_cache(maxsize=None)
def _pattern(key: str) -> re.Pattern:
    """The English template of ``key`` as a regular expression with one group per placeholder."""
    parts = re.split(r"\{(\w+)\}", ARGPARSE_TEXT[key]["en"])
    return re.compile("".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)),
                      re.DOTALL)


def translate_argparse_message(text: str, lang: str) -> str:
    """argparse's English ``text`` in ``lang`` (as it is when no template matches it).

    >>> translate_argparse_message("the following arguments are required: table, file", "ru")
    'не хватает обязательных аргументов: таблица, файл'
    >>> translate_argparse_message("argument --start: not a date in YYYY-MM-DD form: '31.12.2025'", "ru")
    "аргумент --start: '31.12.2025' — не дата в виде ГГГГ-ММ-ДД"
    """
    if lang == "en":
        return text
    for key in ARGPARSE_TEXT:
        match = _pattern(key).fullmatch(text)
        if match is None:
            continue
        values = match.groupdict()
        if "message" in values:
            values["message"] = translate_argparse_message(values["message"], lang)
        for name in ("name", "names"):
            if name in values:
                values[name] = ", ".join(_argument_name(n, lang) for n in values[name].split(", "))
        return translate(key, lang, **values)
    return text


def _argument_name(name: str, lang: str) -> str:
    return ARGUMENT_NAMES_RU.get(name, name) if lang == "ru" else name


def missing_database(path, lang: str, *, empty: bool = False) -> UsageError:
    """The usage error for a database file that is not there, with the command that creates it."""
    return UsageError(translate("cli_database_not_found_empty" if empty else "cli_database_not_found", lang,
                                path=path))


def run_with_contract(parser: argparse.ArgumentParser, commands: dict, argv: Sequence[str] | None) -> int:
    """Parse and run a command under the CLI contract: exit 2 + one line for usage errors,
    1 + one line for failures, never a traceback."""
    args = None
    lang = wanted_language(argv)
    prefix = translate("cli_error", lang)
    try:
        args = parser.parse_args(argv)
        return commands[args.command](args)
    except duckdb.Error as error:  # the database itself: what is wrong with it, in words, not the engine's text
        print(f"{prefix}: {describe_database_error(error, resolve_db_path(getattr(args, 'db', None)), lang)}",
              file=sys.stderr)
        return 1
    except ArgumentsError as error:
        print(f"{prefix}: {error.message(lang)}", file=sys.stderr)
        return 2
    except UsageError as error:
        print(f"{prefix}: {error}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, BrokenPipeError):
        return 130
    except Exception as error:  # noqa: BLE001 - the contract is one line, no traceback
        message = " ".join(line.strip() for line in str(error).splitlines() if line.strip())  # e.g. a gRPC status
        print(f"{prefix}: {type(error).__name__}: {message}", file=sys.stderr)
        return 1
