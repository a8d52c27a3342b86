"""The command line contract: JSON on stdout, exit 2 and one line on stderr for usage errors."""

import json
import subprocess
import sys

import duckdb

from cxdata.model.registry import METRICS
from tests.conftest import ROOT


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "cxdata", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_metrics_prints_every_metric_with_n(sample_db):
    result = run_cli("metrics", "--db", str(sample_db), "--start", "2025-07-01", "--end", "2025-12-31", "--segment", "SMB")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert list(printed) == list(METRICS)
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
