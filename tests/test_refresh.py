"""``python -m cxdata refresh``: a database whose rollups were laid out by an older version gets them
rebuilt (atomically, under the upload lock), and the router answers from them again with the
numbers the raw tables gave; the dashboard tells its admins until then."""

from __future__ import annotations

import json
import math
import os
import shutil

import duckdb
import pytest

from cxdata import cli
from cxdata.app import visitors
from cxdata.engine.db import read_meta, write_meta
from cxdata.engine.query import open_backend
from cxdata.engine.rollups import SHAPE, SHAPE_META_KEY, fetch_rollups_out_of_date
from cxdata.engine.router import (
    CURRENT,
    CUSTOMER_SUMMARY,
    JOURNEY_CUSTOMER,
    JOURNEY_FIRST,
    MONEY,
    saved_copy_answers,
)
from cxdata.ingest.locking import upload_lock
from cxdata.questions.funnel import compute_funnel
from cxdata.questions.metrics import compute_metrics
from cxdata.questions.overview import fetch_as_of
from tests.test_app import clear_streamlit_caches, default_filters, open_app  # noqa: F401 - the fixture clears caches
from tests.test_router import STAGES

COPIES = [CURRENT, CUSTOMER_SUMMARY, JOURNEY_FIRST, JOURNEY_CUSTOMER, MONEY]
HINT = "The saved summaries are out of date, so pages take longer: run `python -m cxdata refresh` on the server."


@pytest.fixture
def older_layout(sample_db, tmp_path):
    """A copy of the sample whose rollups say they were laid out by the version before this one."""
    path = tmp_path / "older.duckdb"
    shutil.copy(sample_db, path)
    con = duckdb.connect(str(path))
    write_meta(con, **{SHAPE_META_KEY: str(int(SHAPE) - 1)})
    con.close()
    return path


def run_cli(capsys, *argv) -> tuple[int, dict | None, str]:
    code = cli.main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def read_state(path) -> dict:
    """What the router decides for each saved copy, the numbers it answers, and the data version."""
    db = open_backend(path)
    try:
        as_of = fetch_as_of(db)
        filters = default_filters(path)
        return {
            "answers": [saved_copy_answers(copy, db, as_of=as_of, stages=STAGES) for copy in COPIES],
            "out_of_date": fetch_rollups_out_of_date(db),
            "metrics": {name: value.value for name, value in compute_metrics(db, filters, as_of).items()},
            "funnel": compute_funnel(db, filters, as_of)["customers"].tolist(),
            "data_version": read_meta(db.con)["data_version"],
        }
    finally:
        db.disconnect()


def test_refresh_rebuilds_an_older_layout_and_the_router_reads_the_rollups_again(older_layout, capsys):
    before = read_state(older_layout)
    assert before["answers"] == [False] * len(COPIES) and before["out_of_date"]  # every question reads the raw tables

    code, printed, err = run_cli(capsys, "refresh", "--db", older_layout)

    assert (code, err) == (0, "")
    assert printed["rebuilt"] is True and printed["shape"] == SHAPE and printed["seconds"] >= 0
    after = read_state(older_layout)
    assert after["answers"] == [True] * len(COPIES) and not after["out_of_date"]
    assert after["data_version"] == before["data_version"]  # the data did not change, only its saved copies
    # The rollups answer what the raw tables answered.
    assert after["funnel"] == before["funnel"]
    for name, value in before["metrics"].items():
        assert (value is None and after["metrics"][name] is None) or math.isclose(
            after["metrics"][name], value, rel_tol=1e-9, abs_tol=1e-9), name
    assert not list(older_layout.parent.glob(".older.duckdb.work*"))  # the working copy is gone


def test_a_second_refresh_says_already_current_and_leaves_the_file_alone(older_layout, capsys):
    assert run_cli(capsys, "refresh", "--db", older_layout)[0] == 0
    published = os.stat(older_layout)

    assert run_cli(capsys, "refresh", "--db", older_layout) == (
        0, {"db": str(older_layout), "rebuilt": False, "reason": "already current"}, "")
    assert run_cli(capsys, "refresh", "--db", older_layout, "--lang", "ru")[1]["reason"] == "уже актуальны"
    now = os.stat(older_layout)
    assert (now.st_ino, now.st_mtime_ns) == (published.st_ino, published.st_mtime_ns)  # not published again


def test_refresh_of_a_missing_database_is_a_usage_error(tmp_path, capsys):
    missing = tmp_path / "missing.duckdb"
    assert run_cli(capsys, "refresh", "--db", missing) == (
        2, None, f"error: database not found: {missing} (create it with: python -m cxdata init)\n")
    assert run_cli(capsys, "refresh", "--db", missing, "--lang", "ru") == (
        2, None, f"ошибка: база данных не найдена: {missing} (создайте её командой python -m cxdata init)\n")
    assert not missing.exists()


def test_refresh_waits_for_an_upload_and_changes_nothing_when_it_does_not_finish(older_layout, capsys):
    holder = {"user": "ada", "action": "load", "table": "surveys", "since": "10:02:03"}
    with upload_lock(older_layout, timeout=1, holder=holder):
        code, printed, err = run_cli(capsys, "refresh", "--db", older_layout, "--wait", "0.3")
    assert (code, printed) == (1, None)
    assert err == ("error: Another upload is still running (ada, load of surveys, since 10:02:03); nothing was "
                   "changed. Try again when it has finished.\n")
    assert read_state(older_layout)["out_of_date"]


@pytest.mark.parametrize(("role", "shown"), [("admin", True), ("analyst", False), ("viewer", False)])
def test_the_dashboard_tells_admins_to_refresh_until_it_is_done(older_layout, tmp_path, monkeypatch, capsys, role,
                                                                shown):
    monkeypatch.setattr(visitors, "current_visitor", lambda: visitors.Visitor(user="tester", role=role, local_mode=True))
    app = open_app(tmp_path, monkeypatch, older_layout)
    assert not app.exception
    assert (HINT in [warning.value for warning in app.sidebar.warning]) is shown
    if shown:
        assert run_cli(capsys, "refresh", "--db", older_layout)[0] == 0
        app.run()  # the next rerun opens the published file
        assert not app.exception and HINT not in [warning.value for warning in app.sidebar.warning]
