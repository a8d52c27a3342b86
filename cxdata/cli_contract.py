"""The command line's contract, shared by ``python -m cxdata`` and ``python -m cxdata.ingest``.

Exit codes: 0 success, 1 runtime failure, 2 usage error (bad arguments, missing database).
Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Sequence

import duckdb

from cxdata.engine.db import describe_database_error, resolve_db_path


class UsageError(Exception):
    """Bad arguments: exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage + exits; we want one line and code 2
        raise UsageError(f"{self.prog}: {message}")


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
    return value


def run_with_contract(parser: argparse.ArgumentParser, commands: dict, argv: Sequence[str] | None) -> int:
    """Parse and run a command under the CLI contract: exit 2 + one line for usage errors,
    1 + one line for failures, never a traceback."""
    args = None
    try:
        args = parser.parse_args(argv)
        return commands[args.command](args)
    except duckdb.Error as error:  # the database itself: what is wrong with it, in words, not the engine's text
        lang = getattr(args, "lang", "en") or "en"
        print(f"error: {describe_database_error(error, resolve_db_path(getattr(args, 'db', None)), lang)}",
              file=sys.stderr)
        return 1
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, BrokenPipeError):
        return 130
    except Exception as error:  # noqa: BLE001 - the contract is one line, no traceback
        message = " ".join(line.strip() for line in str(error).splitlines() if line.strip())  # e.g. a gRPC status
        print(f"error: {type(error).__name__}: {message}", file=sys.stderr)
        return 1
