"""End to end on a workspace of your own: ``init --empty`` welcomes (EN and RU) instead of empty charts;
the CDNOW transactions (a US CD shop, dollars, 1997-1998) loaded on the Upload page then show at once,
in USD, over the last 6 months of that data; an admin changes the settings on the page."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from tests.browser import (
    read_plot,
    read_tiles,
    streamlit_server,
    wait_for_plots,
    wait_for_run,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.browser
CDNOW = ROOT / "tests" / "fixtures" / "cdnow" / "cdnow_transactions.csv"


def init_empty(path) -> None:
    result = subprocess.run([sys.executable, "-m", "cxdata", "init", "--empty", "--currency", "USD", "--name", "CDNOW",
                             "--db", str(path)], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def sidebar_text(page) -> str:
    return page.locator("[data-testid='stSidebar']").inner_text()


def test_an_empty_workspace_welcomes_then_shows_the_cdnow_data_in_usd(tmp_path, browser):
    db = tmp_path / "own.duckdb"
    init_empty(db)
    # The default period: the last 6 months of the data (1 Jan - 30 Jun 1998), by hand in pandas.
    frame = pd.read_csv(CDNOW, dtype={"customer_id": str})
    expected_revenue = frame.loc[frame["date"].between("1998-01-01", "1998-06-30"), "amount"].sum()
    assert expected_revenue == pytest.approx(6038.00)
    with streamlit_server(db, tmp_path / "server.log") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        for path in ("", "/journey", "/money"):
            page.goto(f"{url}{path}")
            wait_for_run(page)
            text = main_text(page)
            assert "Welcome to the CX dashboard of CDNOW" in text, path
            assert "Transactions (transactions): purchases and refunds" in text
            assert page.locator(".js-plotly-plot").count() == 0 and page.locator("[data-testid='stMetric']").count() == 0
        assert "no data loaded yet" in sidebar_text(page) and "USD" in sidebar_text(page)
        assert page.get_by_role("link", name="Open the Upload data page").count() == 1
        page.goto(f"{url}/?lang=ru")
        wait_for_run(page)
        text = main_text(page)
        assert "Добро пожаловать в CX-дашборд: CDNOW" in text and "Транзакции: покупки и возвраты" in text and "(transactions)" not in text
        assert "данные ещё не загружены" in sidebar_text(page)

        # An analyst's CSV export, loaded on the Upload page (no transaction id: one is made per row).
        page.goto(f"{url}/upload")
        wait_for_run(page)
        page.locator("[data-testid='stSelectbox']").filter(has_text="Table").locator("input").click()
        page.get_by_role("option", name="transactions", exact=True).click()
        wait_for_run(page)
        page.locator("[data-testid='stFileUploader'] input[type='file']").first.set_input_files(str(CDNOW))
        wait_for_run(page)
        page.get_by_role("button", name="Load", exact=True).click()
        wait_for_run(page)
        assert page.get_by_text("Loaded 1198 rows into transactions").count() == 1

        page.goto(url)
        wait_for_run(page)
        assert "Overview · CDNOW" in main_text(page)
        assert "CDNOW · USD · as of 30 Jun 1998, the latest data" in sidebar_text(page)
        assert "1 Jan 1998 – 30 Jun 1998" in main_text(page)  # the default period follows the data
        tiles = read_tiles(page)
        assert tiles["Revenue, USD"] == "6.0\u00a0k"
        wait_for_plots(page, 5)
        plot = read_plot(page, "Revenue")
        line = next(t for t in plot["traces"] if t["name"] == "Revenue")
        assert sum(line["y"]) == pytest.approx(expected_revenue, abs=1e-6)
        assert plot["subtitle"].startswith("1 Jan 1998 – 30 Jun 1998")
        for path in ("/journey", "/money"):  # the other pages show it too, no welcome left
            page.goto(f"{url}{path}")
            wait_for_run(page)
            assert "Welcome" not in main_text(page) and "1 Jan 1998 – 30 Jun 1998" in main_text(page), path
        page.close()


def test_an_admin_changes_the_settings_on_the_page_and_every_page_follows(tmp_path, browser):
    db = tmp_path / "own.duckdb"
    init_empty(db)
    load = subprocess.run([sys.executable, "-m", "cxdata", "load", "transactions", str(CDNOW), "--db", str(db)],
                          check=False, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert load.returncode == 0, load.stderr
    with streamlit_server(db, tmp_path / "server.log") as url:  # loopback: local mode, admin
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(f"{url}/settings")
        wait_for_run(page)
        assert "Workspace settings · CDNOW" in main_text(page)
        page.get_by_label("Company name (in the sidebar and page titles)").fill("CDNOW Inc.")
        page.get_by_label("Currency code (after every amount of money)").fill("EUR")
        page.locator("[data-testid='stSelectbox']").filter(has_text="Number and date format").locator("input").click()
        page.get_by_role("option", name="en-US: 1,234.5 · 12/31/2025").click()
        page.locator("[data-testid='stSelectbox']").filter(has_text="Fiscal year starts in").locator("input").click()
        page.get_by_role("option", name="April", exact=True).click()
        page.get_by_role("button", name="Save settings").click()
        wait_for_run(page)
        assert page.get_by_text("Settings saved: every page now follows them.").count() == 1
        con = duckdb.connect(str(db), read_only=True)
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        con.close()
        assert (meta["company_name"], meta["currency"], meta["locale"], meta["fiscal_year_start"]) == (
            "CDNOW Inc.", "EUR", "en-US", "4")

        # The fiscal year from April: "Last fiscal year" is 1 Apr 1997 - 31 Mar 1998, dates as en-US.
        page.goto(f"{url}/?f_period=last_fy")
        wait_for_run(page)
        assert "Overview · CDNOW Inc." in main_text(page)
        assert "04/01/1997 – 03/31/1998" in main_text(page)
        frame = pd.read_csv(CDNOW, dtype={"customer_id": str})
        fiscal = frame.loc[frame["date"].between("1997-04-01", "1998-03-31"), "amount"].sum()
        wait_for_plots(page, 5)
        line = next(t for t in read_plot(page, "Revenue")["traces"] if t["name"] == "Revenue")
        assert sum(line["y"]) == pytest.approx(fiscal, abs=1e-6)
        assert "Revenue, EUR" in read_tiles(page)
        page.close()
    printed = subprocess.run([sys.executable, "-m", "cxdata", "settings", "--db", str(db)], check=False, cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert json.loads(printed.stdout)["fiscal_year_start"] == 4
