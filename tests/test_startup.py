"""The server warms up while the first browser loads the page: ``streamlit run dashboard.py`` serves
``dashboard.app``, whose lifespan imports the dashboard and fills the default view's caches in a
thread, so the first session finds them warm."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.web.server.app_discovery import discover_asgi_app

import dashboard
from cxdata.app import startup, ui
from tests.conftest import ROOT
from tests.test_app import clear_streamlit_caches  # noqa: F401 - the fixture clears caches

ENTRY = "import sys\nsys.path.insert(0, {root!r})\nimport dashboard\ndashboard.main()\n"


def run_lifespan(app=None) -> dict:
    """Enter and leave the lifespan as the server does; returns the state it yielded. In a thread
    with its own event loop: the browser tests leave one running in this thread."""

    async def enter_and_leave() -> dict:
        async with startup.warm_up_in_background(app) as state:
            return state

    result = {}
    runner = threading.Thread(target=lambda: result.update(state=asyncio.run(enter_and_leave())))
    runner.start()
    runner.join(30)
    return result["state"]


def count_calls(monkeypatch, module, name: str) -> list:
    calls = []
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_streamlit_run_serves_dashboard_app():
    found = discover_asgi_app(ROOT / "dashboard.py")
    assert found.import_string == "dashboard:app"
    assert isinstance(dashboard.app, st.App)
    assert Path(dashboard.app.script_path) == ROOT / "dashboard.py"


def test_the_first_session_finds_the_default_overview_computed(tmp_path, monkeypatch, sample_db):
    monkeypatch.setenv("CX_DB", str(sample_db))
    overview_queries = count_calls(monkeypatch, ui, "fetch_overview")
    startup.warm_up()
    assert len(overview_queries) == 1
    script = tmp_path / "entry.py"
    script.write_text(ENTRY.format(root=str(ROOT)))
    app = AppTest.from_file(str(script), default_timeout=120).run()
    assert not app.exception
    assert app.title[0].value == "Overview" and len(app.metric) == 6
    assert len(overview_queries) == 1  # the session read the warm-up's result


def test_the_server_does_not_wait_for_the_warm_up(monkeypatch):
    release, finished = threading.Event(), threading.Event()

    def slow_warm_up():
        release.wait(10)
        finished.set()

    monkeypatch.setattr(startup, "warm_up", slow_warm_up)
    state = run_lifespan()
    assert not finished.is_set()  # the lifespan is over, the warm-up is still running
    release.set()
    state["warm_up"].join(10)
    assert finished.is_set()


def test_without_a_database_the_warm_up_builds_nothing(tmp_path, monkeypatch):
    missing = tmp_path / "first.duckdb"
    monkeypatch.setenv("CX_DB", str(missing))
    startup.warm_up()
    # A configured database that is missing is an error every page reports; only a first start
    # (nothing configured, see cxdata.engine.db.is_first_start) builds the sample, in the first visit.
    assert not missing.exists()


def test_a_broken_database_is_left_for_the_session_to_report(tmp_path, monkeypatch, caplog):
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"this is not a database")
    monkeypatch.setenv("CX_DB", str(broken))
    state = run_lifespan()
    state["warm_up"].join(30)
    assert not state["warm_up"].is_alive()
    assert "warm-up skipped" in caplog.text


def test_the_lifespan_spares_the_first_session_streamlits_repl_check(monkeypatch):
    # On the first element a process sends, Streamlit checks whether it runs in a REPL with
    # inspect.stack() (0.8 s once pandas, Ibis and plotly are loaded). Under the server's
    # lifespan the check is marked done; if a Streamlit upgrade renames its flag, this fails.
    from streamlit import delta_generator, env_util

    checks = count_calls(monkeypatch, env_util, "is_repl")
    monkeypatch.setattr(delta_generator, "_use_warning_has_been_displayed", False)
    monkeypatch.setattr(startup, "warm_up", lambda: None)
    run_lifespan()["warm_up"].join(10)
    delta_generator._maybe_print_use_warning()
    assert checks == []
