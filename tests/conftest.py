"""Shared fixtures: databases built by hand (golden numbers) and from the sample (cross-checks)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cxdata.model.schema import create_schema  # noqa: E402

# No background refit after the suite's many loads (cxdata.engine.fit_store): tests that check it
# turn it on themselves and wait for it. Set here, so the servers and commands the tests start
# inherit it.
os.environ["CX_BACKGROUND_REFIT"] = "0"

# The small sample every test session shares (built once; ~0.5 s).
SAMPLE_SCALE = 0.02
SAMPLE_SEED = 7


def shown(markdown: str) -> str:
    """What a reader sees of a page text made literal by ``cxdata.presentation.plaintext.markdown_text``
    (AppTest reports the markdown source): its backslash escapes and word joiners removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def insert_rows(con, table: str, rows: list[tuple]) -> None:
    """Insert literal rows; the tests read like tables. A row shorter than the table fills its
    first columns (the rest stay empty: a survey answer without a stored scale is on the default)."""
    if rows:
        from cxdata.model.schema import TABLES

        placeholders = ", ".join("?" * len(rows[0]))
        names = ", ".join(f'"{c}"' for c in TABLES[table].column_names[: len(rows[0])]) if table in TABLES else None
        into = f"{table} ({names})" if names else table
        con.executemany(f"INSERT INTO {into} VALUES ({placeholders})", rows)


def build_rollups(con, as_of: str | None = None) -> None:
    """Give hand-built data a version and build its rollups, as a load does, so the router reads
    the saved copies wherever they hold the exact answer."""
    from cxdata.engine.db import bump_data_version, write_meta
    from cxdata.engine.rollups import refresh_rollups

    if as_of is not None:
        write_meta(con, as_of=as_of)
    bump_data_version(con)
    refresh_rollups(con)


@pytest.fixture(scope="session", autouse=True)
def no_refit_left_running():
    """Every refit a test started in this process has ended when the session does."""
    yield
    from cxdata.engine.fit_store import wait_for_started_refits

    wait_for_started_refits(timeout=120)


@pytest.fixture
def empty_db(tmp_path):
    """A path to a new database with the schema and nothing else."""
    path = tmp_path / "empty.duckdb"
    con = duckdb.connect(str(path))
    create_schema(con)
    con.close()
    return path


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """A small embedded sample, built once per test session."""
    from cxdata.sample import build_sample_database

    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    build_sample_database(path, scale=SAMPLE_SCALE, seed=SAMPLE_SEED)
    return path


def copy_with_stale_rollups(source: Path, path: Path) -> Path:
    """Copy the database ``source`` to ``path`` and mark its rollups stale, so every query on the
    copy reads the raw tables."""
    import shutil

    from cxdata.engine.db import write_meta

    shutil.copy(source, path)
    con = duckdb.connect(str(path))
    write_meta(con, rollup_version="stale")
    con.close()
    return path


@pytest.fixture(scope="session")
def stale_rollups_db(sample_db, tmp_path_factory) -> Path:
    """A copy of the sample whose rollups are marked stale, so every query reads the raw tables."""
    return copy_with_stale_rollups(sample_db, tmp_path_factory.mktemp("stale") / "stale.duckdb")


# --- end-to-end fixtures (Playwright is imported only by the browser tests that use them) ---


@pytest.fixture(scope="module")
def server(sample_db, tmp_path_factory):
    """A real ``streamlit run dashboard.py`` on the sample, one per test module."""
    from tests.browser import streamlit_server

    with streamlit_server(sample_db, tmp_path_factory.mktemp("server") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, shared by every browser test."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies, no state) and page per test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()
