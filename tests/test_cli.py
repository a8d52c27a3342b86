"""The command line contract: JSON on stdout, exit 2 and one line on stderr for usage errors."""

import json
import re
import subprocess
import sys

import duckdb
import pytest

from cxdata.model.registry import CLI_METRICS
from tests.conftest import ROOT


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "cxdata", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_metrics_prints_every_metric_with_n(sample_db):
    result = run_cli("metrics", "--db", str(sample_db), "--start", "2025-07-01", "--end", "2025-12-31", "--segment", "SMB")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert list(printed) == list(CLI_METRICS)
    assert all(set(v) >= {"value", "n"} for v in printed.values())
    assert printed["nps"]["n"] > 0


def test_cli_usage_errors_exit_2_with_one_line():
    for args in (["metrics", "--start", "31.12.2025"], ["metrics", "--db", "/nonexistent/cx.duckdb"], ["bogus"],
                 ["init", "--scale", "-1"]):
        result = run_cli(*args)
        assert result.returncode == 2, args
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stdout == ""


def test_cli_init_builds_a_database_and_refuses_to_overwrite_it(tmp_path):
    path = tmp_path / "cli.duckdb"
    result = run_cli("init", "--db", str(path), "--scale", "0.002", "--seed", "3")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM customers").fetchall()[0][0] == rows["customers"] == 2000
    con.close()
    again = run_cli("init", "--db", str(path))
    assert again.returncode == 2 and "--force" in again.stderr


def test_cli_funnel_reproduces_the_metric_layer(sample_db):
    from datetime import date

    from cxdata.engine.query import open_backend
    from cxdata.model.filters import Filters
    from cxdata.questions.funnel import compute_funnel

    result = run_cli("funnel", "--db", str(sample_db), "--start", "2025-07-01", "--end", "2025-12-31", "--window-days", "14")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    expected = compute_funnel(open_backend(sample_db), Filters(date(2025, 7, 1), date(2025, 12, 31)), date(2025, 12, 31), window_days=14)
    assert [row["stage"] for row in printed] == expected["stage"].tolist()
    assert [row["customers"] for row in printed] == expected["customers"].tolist()
    assert [row["dropped"] for row in printed] == expected["dropped"].tolist()
    unknown = run_cli("funnel", "--db", str(sample_db), "--stages", "home,search")
    assert unknown.returncode == 2 and "home" in unknown.stderr


def test_a_failure_with_a_message_of_many_lines_is_still_one_line(capsys):
    """Engines report some failures over several lines (a Spark Connect gRPC status, for one)."""
    from cxdata.cli import build_parser
    from cxdata.cli_contract import run_with_contract

    def fail(args):
        raise RuntimeError("<RPC that terminated with:\n\tstatus = StatusCode.UNKNOWN\n\tdetails = \"Java heap space\"\n>")

    assert run_with_contract(build_parser(), {"metrics": fail}, ["metrics"]) == 1
    assert capsys.readouterr().err == (
        'error: RuntimeError: <RPC that terminated with: status = StatusCode.UNKNOWN details = "Java heap space" >\n'
    )


# Bad invocations of every command, each with --lang ru: the usage error must be one Russian line.
# "{db}" is the sample database, "{missing}" a path where there is none.
RUSSIAN_USAGE_ERRORS = [
    ["--lang", "ru"],  # no command
    ["bogus", "--lang", "ru"],  # argparse: invalid choice
    ["metrics", "--bogus", "--lang", "ru"],  # argparse: unrecognized arguments
    ["metrics", "--start", "31.12.2025", "--lang", "ru"],  # our argument type
    ["metrics", "--db", "{missing}", "--lang", "ru"],
    ["metrics", "--db", "{db}", "--start", "2025-12-01", "--end", "2025-01-01", "--lang=ru"],
    ["metrics", "--db", "{db}", "--engine", "sqlite", "--lang", "ru"],
    ["funnel", "--db", "{db}", "--stages", "home,nowhere", "--lang", "ru"],  # an unknown filter value
    ["funnel", "--db", "{db}", "--window-days", "-3", "--lang", "ru"],
    ["funnel", "--window-days", "x", "--lang", "ru"],
    ["money", "--horizon-months", "500", "--lang", "ru"],
    ["health", "--db", "--lang", "ru"],  # argparse: expected one argument
    ["clv", "--db", "{db}", "--calibration-end", "1990-01-01", "--lang", "ru"],
    ["clv", "--time-unit", "years", "--lang", "ru"],
    ["init", "--scale", "-1", "--lang", "ru"],
    ["init", "--db", "{db}", "--lang", "ru"],  # exists
    ["init", "--db", "{missing}", "--name", "X", "--lang", "ru"],  # --name without --empty
    ["settings", "--db", "{missing}", "--lang", "ru"],
    ["settings", "--db", "{db}", "--set", "bogus=1", "--lang", "ru"],
    ["load", "--lang", "ru"],  # argparse: the following arguments are required
    ["load", "bogus", "file.csv", "--lang", "ru"],
    ["load", "customers", "{missing}", "--lang", "ru"],
    ["load", "surveys", "{csv}", "--db", "{db}", "--scale", "score", "--dry-run", "--lang", "ru"],
    ["uploads", "--db", "{missing}", "--lang", "ru"],
    ["presets", "--db", "{missing}", "--lang", "ru"],
    ["undo", "--db", "{missing}", "--lang", "ru"],
    ["undo", "--db", "{db}", "--lang", "ru"],  # no id named
    ["topics", "--source", "letters", "--lang", "ru"],
    ["topics", "--db", "{missing}", "--lang", "ru"],
    ["topics", "--db", "{db}", "--start", "2026-03-01", "--lang", "ru"],  # after the as-of date
]
# Codes a Russian line may quote although the user did not type them: the choices offered.
CODES = {"python", "cxdata", "duckdb", "polars", "spark", "init", "undo", "score", "currency", "locale"}


@pytest.mark.parametrize("args", RUSSIAN_USAGE_ERRORS, ids=lambda args: " ".join(args)[:40])
def test_usage_errors_are_in_russian_with_lang_ru(args, sample_db, tmp_path, capsys):
    from cxdata.cli import main

    csv = tmp_path / "answers.csv"
    csv.write_text("customer_id,score\nC1,9\n", encoding="utf-8")
    argv = [a.format(db=sample_db, missing=tmp_path / "none" / "cx.duckdb", csv=csv) for a in args]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = captured.err
    assert line.count("\n") == 1 and "Traceback" not in line, line
    assert line.startswith("ошибка: ")
    typed = {word.lower() for word in re.findall(r"[A-Za-z]+", " ".join(argv))}
    # Quoted values, options, identifiers (company_name, csat_1_5) and the command are what one types.
    rest = re.sub(r"'[^']*'|--[\w-]+|\w+_\w+|python -m cxdata(?: \w+)?", " ", line)
    english = [w for w in re.findall(r"[A-Za-z]+", rest) if w.lower() not in typed | CODES]
    assert not english, line
    assert re.search("[а-яА-Я]{3}", rest), line
