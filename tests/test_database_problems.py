"""A missing or broken database is an error in words, never a reason to build the sample; the
sample is built on a first start only and says so on every page; a link with reversed dates is
explained, not a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from cxdata.engine import db as cxdb
from tests.conftest import ROOT
from tests.test_app import (  # noqa: F401
    ENTRY,
    clear_streamlit_caches,
    default_filters,
    expected_tile,
    open_app,
    tile_values,
)

SAMPLE_NOTE = "Sample data: generated for demonstration, not your company's numbers."


def run_entry(tmp_path, page="overview", query=None) -> AppTest:
    script = tmp_path / f"entry_{page}.py"
    script.write_text(ENTRY.format(root=str(ROOT), page=page))
    app = AppTest.from_file(str(script), default_timeout=120)
    for key, value in (query or {}).items():
        app.query_params[key] = value
    app.run()
    return app


def sidebar_warnings(app) -> list[str]:
    return [w.value for w in app.sidebar.warning]


def test_a_first_start_builds_the_sample_and_a_later_disappearance_is_an_error(tmp_path, monkeypatch):
    default = tmp_path / "data" / "cx.duckdb"
    monkeypatch.setattr(cxdb, "DEFAULT_DB_PATH", default)
    monkeypatch.delenv("CX_DB", raising=False)
    app = run_entry(tmp_path)
    assert not app.exception and default.exists()
    assert cxdb.first_start_marker(default).exists()  # remembered: this place had a database
    assert tile_values(app)["NPS"] == expected_tile(default, default_filters(default), "nps")
    assert SAMPLE_NOTE in sidebar_warnings(app)

    default.unlink()  # the file disappears under the running dashboard
    app.run()
    assert not app.exception and not default.exists()  # no sample built in its place
    assert [e.value for e in app.error] == ["The database file cx.duckdb is missing, so there is nothing to show. "
                                            "Ask an administrator to restore it from a backup."]
    assert not app.metric
    fresh = run_entry(tmp_path, page="money")  # a new visit, even after the caches are gone
    assert not default.exists() and "is missing" in fresh.error[0].value and not fresh.metric


def test_a_configured_database_that_is_missing_is_an_error_on_every_page(tmp_path, monkeypatch, sample_db):
    live = tmp_path / "live.duckdb"
    shutil.copy(sample_db, live)
    app = open_app(tmp_path, monkeypatch, live)
    assert app.metric and not app.error
    live.unlink()
    for page in ("overview", "journey", "money", "upload"):
        for lang in ("en", "ru"):
            visit = run_entry(tmp_path, page=page, query={"lang": lang} if lang == "ru" else None)
            assert not visit.exception, page
            assert not visit.metric and not visit.dataframe
            expected = ("The database file live.duckdb is missing" if lang == "en"
                        else "Файл базы данных live.duckdb отсутствует")
            assert [e.value for e in visit.error if e.value.startswith(expected)], (page, lang)
            assert str(tmp_path) not in " ".join(e.value for e in visit.error)  # no server path
    assert not live.exists() and not list(tmp_path.glob("*.duckdb"))  # nothing was created


def damage(path, *, offset_fraction: float) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(int(size * offset_fraction))
        handle.write(os.urandom(size // 4))


def test_a_database_damaged_in_place_is_not_shown_from_the_cache(tmp_path, monkeypatch, sample_db):
    live = tmp_path / "live.duckdb"
    shutil.copy(sample_db, live)
    app = open_app(tmp_path, monkeypatch, live)
    assert app.metric  # the overview's numbers are cached now
    damage(live, offset_fraction=0.3)  # its header still reads: only the data blocks are garbage
    app.run()
    assert not app.exception
    assert not app.metric  # the numbers cached for the intact file are not shown for the damaged one
    assert [e.value for e in app.error] == ["The database file live.duckdb is damaged and cannot be read; no "
                                            "numbers are shown rather than wrong ones. Ask an administrator to "
                                            "restore it from a backup."]
    for page in ("journey", "money"):
        visit = run_entry(tmp_path, page=page, query={"lang": "ru"})
        assert not visit.exception
        assert any(e.value.startswith("Файл базы данных live.duckdb повреждён") for e in visit.error), page


def test_a_link_with_reversed_custom_dates_is_explained_not_a_traceback(tmp_path, monkeypatch, sample_db):
    monkeypatch.setenv("CX_DB", str(sample_db))
    link = {"f_period": "custom", "f_dates": ["2025-11-02", "2025-10-06"]}
    for page in ("overview", "journey", "money"):
        app = run_entry(tmp_path, page=page, query=link)
        assert not app.exception, page
        assert ("The dates in this link were reversed (the end before the start): showing 6 Oct 2025 – 2 Nov 2025. "
                "Pick the dates above to change them.") in sidebar_warnings(app)
    overview = run_entry(tmp_path, query=link)
    assert "6 Oct 2025 – 2 Nov 2025" in overview.caption[0].value
    russian = run_entry(tmp_path, query={**link, "lang": "ru"})
    assert any(w.startswith("Даты в ссылке были перепутаны") for w in sidebar_warnings(russian))


def test_a_real_database_has_no_sample_note(tmp_path, monkeypatch, sample_db):
    live = tmp_path / "real.duckdb"
    shutil.copy(sample_db, live)
    con = __import__("duckdb").connect(str(live))
    cxdb.write_meta(con, source="crm")
    con.close()
    app = open_app(tmp_path, monkeypatch, live)
    assert not app.exception and app.metric
    assert SAMPLE_NOTE not in sidebar_warnings(app)
    sample = open_app(tmp_path, monkeypatch, sample_db, page="journey")
    assert SAMPLE_NOTE in sidebar_warnings(sample)


@pytest.mark.parametrize(("make", "code", "text"), [
    (lambda path: None, 2, "database not found"),
    (lambda path: path.write_bytes(b"this is not a database"), 1, "is damaged and cannot be read"),
])
def test_the_cli_says_in_one_line_what_is_wrong_with_the_database(tmp_path, make, code, text):
    path = tmp_path / "cx.duckdb"
    make(path)
    result = subprocess.run([sys.executable, "-m", "cxdata", "metrics", "--db", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == code and result.stdout == ""
    assert result.stderr.count("\n") == 1 and text in result.stderr and "Traceback" not in result.stderr
    assert (path.exists()) == (code == 1)  # a missing database is not created by asking about it


def test_init_at_the_default_path_is_remembered_too(tmp_path, monkeypatch):
    from cxdata.cli import main

    default = tmp_path / "data" / "cx.duckdb"
    monkeypatch.setattr(cxdb, "DEFAULT_DB_PATH", default)
    monkeypatch.delenv("CX_DB", raising=False)
    assert cxdb.is_first_start(default)
    assert main(["init", "--scale", "0.001"]) == 0 and default.exists()
    default.unlink()
    assert not cxdb.is_first_start(default)  # gone later: an error for the dashboard, not a first start
