"""The engine chosen by configuration: the CLI's three reports print the same numbers on every engine.

DuckDB answers the sample from its rollups (hand-written SQL), polars and Spark from the raw
tables with the portable Ibis definitions, so parity here also checks the fast path against its
reference. The Spark tests run in their own job (``bash scripts/test-spark.sh``, ``pytest -m
spark``); the default suite skips them.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shutil
import subprocess
import sys

import duckdb
import pytest

from cxdata import cli
from cxdata.engine.db import bump_data_version
from cxdata.engine.engines import EXPORT_FOLDER, open_engine, read_backend_meta
from cxdata.engine.router import CURRENT, JOURNEY_CUSTOMER, MONEY, saved_copy_answers
from tests.conftest import ROOT

COMMANDS = ("metrics", "funnel", "money")
FILTER_SETS = {
    "default period": [],
    "custom range, one channel": ["--start", "2025-10-06", "--end", "2025-11-02", "--channel", "mobile_app"],
    "segment and region": ["--segment", "Premium", "--segment", "SMB", "--region", "Siberia"],
}
RELATIVE_TOLERANCE = 1e-9
# Only for a value that is zero on one engine and a rounding residue on another.
ABSOLUTE_TOLERANCE = 0.0


def run_report(capsys, command: str, db_path, engine: str, filters: list[str]):
    """The JSON a report prints on ``engine`` (through the CLI, exit code checked)."""
    code = cli.main([command, "--db", str(db_path), "--engine", engine, *filters])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def differences(expected, actual, path="$") -> list[str]:
    """Where two reports differ: numbers beyond the tolerance, any other value, keys, lengths."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if expected.keys() != actual.keys():
            return [f"{path}: keys {sorted(expected)} != {sorted(actual)}"]
        return [d for key in expected for d in differences(expected[key], actual[key], f"{path}.{key}")]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} items != {len(actual)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, f"{path}[{i}]")]
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(actual, numbers) and not isinstance(expected, bool):
        if isinstance(actual, bool) or not math.isclose(expected, actual, rel_tol=RELATIVE_TOLERANCE,
                                                        abs_tol=ABSOLUTE_TOLERANCE):  # fmt: skip
            return [f"{path}: {expected!r} != {actual!r}"]
        return []
    return [] if expected == actual else [f"{path}: {expected!r} != {actual!r}"]


def test_differences_sees_a_number_beyond_the_tolerance():
    assert differences({"a": [1.0, "x"]}, {"a": [1.0 + 1e-12, "x"]}) == []
    assert differences({"a": [1.0, "x"]}, {"a": [1.0 + 1e-8, "x"]}) == ["$.a[0]: 1.0 != 1.00000001"]
    assert differences({"a": None}, {"a": 0.0}) == ["$.a: None != 0.0"]
    assert differences([{"n": 3}], [{"n": 3}, {"n": 4}]) == ["$: 1 items != 2"]


@pytest.fixture(scope="module")
def duckdb_reports(sample_db):
    """The reference: every report on DuckDB, keyed by (command, filter set)."""
    reports = {}
    for command in COMMANDS:
        for name, filters in FILTER_SETS.items():
            with contextlib.redirect_stdout(io.StringIO()) as out:
                code = cli.main([command, "--db", str(sample_db), "--engine", "duckdb", *filters])
            assert code == 0
            reports[command, name] = json.loads(out.getvalue())
    return reports


def assert_same_reports(capsys, duckdb_reports, db_path, engine: str, command: str, filter_set: str):
    report = run_report(capsys, command, db_path, engine, FILTER_SETS[filter_set])
    expected = duckdb_reports[command, filter_set]
    assert report, "an empty report proves nothing"
    assert differences(expected, report) == []


@pytest.mark.parametrize("filter_set", FILTER_SETS)
@pytest.mark.parametrize("command", COMMANDS)
def test_polars_prints_the_same_reports_as_duckdb(capsys, sample_db, duckdb_reports, command, filter_set):
    pytest.importorskip("polars", reason="the polars engine is not installed (pip install -r requirements-engines.txt)")
    assert_same_reports(capsys, duckdb_reports, sample_db, "polars", command, filter_set)


@pytest.fixture(scope="module")
def spark_ready(request):
    if "spark" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the Spark parity job runs these: bash scripts/test-spark.sh (pytest -m spark)")
    pytest.importorskip("pyspark", reason="the spark engine is not installed (pip install -r requirements-spark.txt)")


@pytest.mark.spark
@pytest.mark.parametrize("filter_set", FILTER_SETS)
@pytest.mark.parametrize("command", COMMANDS)
def test_spark_prints_the_same_reports_as_duckdb(capsys, spark_ready, sample_db, duckdb_reports, command, filter_set):
    assert_same_reports(capsys, duckdb_reports, sample_db, "spark", command, filter_set)


def test_the_filters_change_the_reports(duckdb_reports):
    """The filter sets ask different questions, so equal reports on them mean something."""
    nps = [duckdb_reports["metrics", name]["nps"]["n"] for name in FILTER_SETS]
    assert len(set(nps)) == len(nps)


# ---------------------------------------------------------------- choosing the engine


@pytest.mark.parametrize(
    ("variable", "flag", "expected"),
    [(None, None, "duckdb"), ("polars", None, "polars"), ("polars", "duckdb", "duckdb"), (" DuckDB ", "polars", "polars")],
)
def test_the_flag_wins_over_the_variable(monkeypatch, sample_db, variable, flag, expected):
    if expected == "polars":
        pytest.importorskip("polars")
    if variable is None:
        monkeypatch.delenv("CX_ENGINE", raising=False)
    else:
        monkeypatch.setenv("CX_ENGINE", variable)
    args = cli.build_parser().parse_args(["metrics", "--db", str(sample_db), *(["--engine", flag] if flag else [])])
    assert cli.open_reporting_backend(args).name == expected


@pytest.mark.parametrize(
    ("argv", "variable", "message"),
    [
        (["funnel", "--engine", "sqlite"], None, "error: unknown engine 'sqlite': choose one of duckdb, polars, spark\n"),
        (["money"], "oracle", "error: unknown engine 'oracle' (from $CX_ENGINE): choose one of duckdb, polars, spark\n"),
    ],
)
def test_an_unknown_engine_is_a_one_line_usage_error(capsys, monkeypatch, sample_db, argv, variable, message):
    if variable:
        monkeypatch.setenv("CX_ENGINE", variable)
    assert cli.main([*argv, "--db", str(sample_db)]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", message)


def test_rollups_answer_only_on_duckdb(sample_db):
    """The rollups' readers are DuckDB SQL: on another engine the Ibis definitions answer."""
    pytest.importorskip("polars")
    from cxdata.questions.funnel import validate_stages
    from cxdata.questions.overview import fetch_as_of

    def routes(db):
        as_of, stages = fetch_as_of(db), validate_stages(db, None)
        return tuple(saved_copy_answers(copy, db, as_of=as_of, stages=stages) for copy in (CURRENT, JOURNEY_CUSTOMER, MONEY))

    assert routes(open_engine("duckdb", sample_db)) == (True, True, True)
    assert routes(open_engine("polars", sample_db)) == (False, False, False)


def test_the_export_follows_the_data_version(tmp_path, capsys, sample_db):
    """A change of the data (a new data_version) is exported anew; the older export is removed."""
    pytest.importorskip("polars")
    path = tmp_path / "copy.duckdb"
    shutil.copy(sample_db, path)
    before = run_report(capsys, "metrics", path, "polars", [])
    first_version = read_backend_meta(open_engine("polars", path))["data_version"]

    con = duckdb.connect(str(path))
    con.execute("DELETE FROM surveys WHERE nps IS NOT NULL")
    bump_data_version(con)
    con.close()

    after = run_report(capsys, "metrics", path, "polars", [])
    assert (before["nps"]["n"] > 0, after["nps"]["n"]) == (True, 0)
    exports = sorted(p.name for p in (tmp_path / EXPORT_FOLDER / path.name).iterdir())
    assert first_version not in exports and len(exports) == 1


def test_the_dashboard_never_imports_another_engine(sample_db):
    """Every cxdata module, the entrypoint and the server's warm-up (the overview's queries) run
    without importing polars or pyspark, even with CX_ENGINE naming one."""
    pytest.importorskip("polars")  # otherwise nothing could import it and the test proves nothing
    script = (
        "import importlib, pkgutil, sys\n"
        "import cxdata, dashboard\n"
        "for module in pkgutil.walk_packages(cxdata.__path__, 'cxdata.'):\n"
        "    if not module.name.endswith('__main__'):\n"
        "        importlib.import_module(module.name)\n"
        "from cxdata.app import startup\n"
        "startup.warm_up()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('polars', 'pyspark', 'py4j')))\n"
    )
    env = {**os.environ, "CX_DB": str(sample_db), "CX_ENGINE": "polars", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_dashboard_says_it_reads_duckdb_whatever_cx_engine_says(tmp_path, monkeypatch, sample_db):
    from tests.test_app import open_app

    monkeypatch.setenv("CX_ENGINE", "spark")
    app = open_app(tmp_path, monkeypatch, sample_db)
    assert not app.exception
    notes = [caption.value for caption in app.sidebar.caption]
    assert "CX_ENGINE=spark applies to the command line; the dashboard reads DuckDB." in notes
    assert app.metric, "the overview's tiles are shown, from DuckDB"


@pytest.mark.spark
def test_spark_connect_is_used_when_configured(spark_ready, sample_db):
    """With CX_SPARK_REMOTE the queries go through a Spark Connect session, else a local one."""
    db = open_engine("spark", sample_db)
    is_connect = type(db._session).__module__.startswith("pyspark.sql.connect")  # Ibis keeps the session there
    assert is_connect == bool(os.environ.get("CX_SPARK_REMOTE"))
