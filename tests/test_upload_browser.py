"""End to end: an analyst uploads a Russian CRM extract in the browser, checks it, loads it, undoes it."""

from __future__ import annotations

import shutil

import duckdb
import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from tests.browser import streamlit_server, wait_for_run  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

pytestmark = pytest.mark.browser
EXTRACT = ROOT / "tests" / "fixtures" / "ingest" / "crm_transactions_cp1251.csv"


def transaction_count(db) -> int:
    from cxdata.db import open_snapshot

    con = open_snapshot(db)
    try:
        return con.execute("SELECT count(*) FROM transactions").fetchall()[0][0]
    finally:
        con.close()


def test_upload_check_load_and_undo_in_the_browser(sample_db, tmp_path, browser):
    db = tmp_path / "upload.duckdb"
    shutil.copy(sample_db, db)
    before = transaction_count(db)
    # Bound to every interface like the README's command: the browser on this machine then arrives
    # as an IPv4-mapped IPv6 address, and local mode must still make it admin.
    with streamlit_server(db, tmp_path / "server.log", address="::") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{url}/upload")
        wait_for_run(page)
        assert page.get_by_text("Local mode").count() == 1  # no login configured: shown, not hidden
        page.locator("[data-testid='stSelectbox']").filter(has_text="Table").locator("input").click()
        page.get_by_role("option", name="transactions", exact=True).click()
        wait_for_run(page)
        page.locator("[data-testid='stFileUploader'] input[type='file']").first.set_input_files(str(EXTRACT))
        wait_for_run(page)
        assert page.get_by_text("Column mapping").count() == 1

        page.get_by_role("button", name="Check (dry run)").click()
        wait_for_run(page)
        assert page.get_by_text("Check passed: 5 rows would be loaded into transactions.").count() == 1
        assert page.get_by_text("encoding CP1251").count() == 1
        assert transaction_count(db) == before  # a check changes nothing

        page.get_by_role("button", name="Load", exact=True).click()
        wait_for_run(page)
        assert page.get_by_text("Loaded 5 rows into transactions").count() == 1
        assert transaction_count(db) == before + 5

        page.get_by_role("button", name="Undo the latest upload").click()
        wait_for_run(page)
        assert page.get_by_text("undone").count() >= 1
        assert transaction_count(db) == before
        page.close()
