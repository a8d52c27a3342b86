"""End to end, in Russian: with no churn events loaded, the churn tile and chart say what is missing
and what to load, and the data health page lists the gap, with no English word left on them."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from tests.browser import streamlit_server, wait_for_run  # noqa: E402
from tests.coverage_data import build_partial_db  # noqa: E402

pytestmark = pytest.mark.browser
# Latin words a Russian screen may show: metric names and "CX" used in Russian too, "n =", the file
# format; and the data's own values (channels, categories), which are shown as loaded.
ALLOWED_LATIN = {"NPS", "CSAT", "CES", "LTV", "CAC", "CX", "n", "XLSX"}
DATA_VALUES = {"web", "Web", "Billing", "billing", "Delivery", "Retail", "SMB", "Central", "Volga", "ads", "seo",
               "purchase", "A", "B"}
MISSING_CHURN = "нет данных: события оттока не загружены — загрузите события оттока"


def latin_words(text: str, icons: tuple[str, ...] = ()) -> set[str]:
    return set(re.findall(r"[A-Za-z]+", text)) - ALLOWED_LATIN - DATA_VALUES - set(icons)


def test_missing_churn_events_in_russian(tmp_path, browser):
    db = build_partial_db(tmp_path / "no_churn.duckdb", churn=False)
    with streamlit_server(db, tmp_path / "server.log", address="127.0.0.1") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{url}/?lang=ru&f_period=last_quarter")
        wait_for_run(page)
        churn_tile = page.locator("[data-testid='stColumn']").filter(
            has=page.locator("[data-testid='stMetricLabel']", has_text="Отток")).last
        assert churn_tile.locator("[data-testid='stMetricValue']").inner_text().strip() == "недоступно"
        tile_text = churn_tile.inner_text()
        assert MISSING_CHURN in tile_text and not latin_words(tile_text), tile_text
        # The churn chart (the other trends of this tiny database may say in words that they have too little data).
        page.mouse.wheel(0, 20_000)
        page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')].some(p => p._fullData
            && p._fullLayout.title.text.replace(/<[^>]*>/g, '').replace('\u2060', '') === 'Отток')""", timeout=60_000)
        charts = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(p => ({
            title: p._fullLayout.title.text.replace(/<[^>]*>/g, ''), traces: p._fullData.length,
            notes: (p._fullLayout.annotations || []).map(a => a.text)}))""")  # fmt: skip
        (chart,) = [c for c in charts if c["title"].replace("\u2060", "") == "Отток"]
        assert (chart["traces"], [n.replace("\u2060", "") for n in chart["notes"]]) == (0, [MISSING_CHURN]), charts

        page.goto(f"{url}/health?lang=ru")
        wait_for_run(page)
        main = page.locator("[data-testid='stMain']")
        assert main.locator("h1").first.inner_text().strip() == "Состояние данных"
        main.locator("[data-testid='stDataFrame']").nth(2).wait_for()  # tables, what is missing, spellings
        assert main.locator("[data-testid='stDataFrame']").count() == 3
        # Text a reader sees, the tables' cells included; material icons are ligature names drawn as pictures, not words.
        text, icons = page.evaluate("""() => {
            const main = document.querySelector("[data-testid='stMain']");
            return [main.innerText, [...main.querySelectorAll("[data-testid='stIconMaterial']")].map(i => i.innerText)];
        }""")
        assert "Чего не хватает" in text and not latin_words(text, tuple(icons)), latin_words(text, tuple(icons))
