"""End to end: a real Streamlit server, Debian's Chromium, what a person sees and clicks."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from cxdata.engine.query import open_backend  # noqa: E402
from cxdata.i18n import format_value  # noqa: E402
from cxdata.model.filters import DEFAULT_PRESET, Filters, preset_range  # noqa: E402
from cxdata.questions.metrics import compute_metrics  # noqa: E402
from cxdata.questions.overview import fetch_as_of  # noqa: E402
from cxdata.questions.trends import fetch_trends  # noqa: E402
from tests.browser import (  # noqa: E402
    choose_in_multiselect,
    read_plot,
    read_tiles,
    wait_for_plots,
    wait_for_run,
)

pytestmark = pytest.mark.browser


def expected(sample_db, metric, lang="en", **dimensions) -> str:
    db = open_backend(sample_db)
    as_of = fetch_as_of(db)
    filters = Filters(*preset_range(DEFAULT_PRESET, as_of), **dimensions)
    value = compute_metrics(db, filters, as_of)[metric].value
    from cxdata.model.registry import METRICS

    spec = METRICS[metric]
    return format_value(value, spec.unit, lang, spec.decimals, compact=spec.unit == "money")


def test_overview_shows_the_metric_layers_numbers(server, page, sample_db):
    page.goto(f"{server}/")
    wait_for_run(page)
    tiles = read_tiles(page)
    for label, metric in (("NPS", "nps"), ("CSAT", "csat"), ("CES", "ces"), ("Churn rate", "churn_rate")):
        assert tiles[label] == expected(sample_db, metric)
    assert tiles["Revenue, RUB"] == expected(sample_db, "revenue")
    assert page.get_by_text("Data as of 31 Dec 2025").count() == 1


def test_trend_chart_draws_the_trend_data(server, page, sample_db):
    page.goto(f"{server}/")
    wait_for_run(page)
    wait_for_plots(page, 5)
    plot = read_plot(page, "NPS")
    line = next(t for t in plot["traces"] if t["name"] == "NPS")
    db = open_backend(sample_db)
    as_of = fetch_as_of(db)
    trends = fetch_trends(db, Filters(*preset_range(DEFAULT_PRESET, as_of)))
    nps = trends[trends.metric == "nps"].sort_values("period_start")
    assert line["y"] == pytest.approx(nps["value"].tolist())
    assert plot["subtitle"] == "1 Jul 2025 – 31 Dec 2025 · all customers"


def test_filter_goes_into_the_url_and_a_copied_link_reopens_the_view(server, page, browser, sample_db):
    page.goto(f"{server}/")
    wait_for_run(page)
    choose_in_multiselect(page, "Segment", "Premium")
    assert "f_segment=Premium" in page.url
    assert read_tiles(page)["NPS"] == expected(sample_db, "nps", segments=("Premium",))

    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other.goto(page.url)
    wait_for_run(other)
    assert read_tiles(other)["NPS"] == expected(sample_db, "nps", segments=("Premium",))
    assert other.get_by_text("Segment: Premium").count() >= 1
    other.context.close()


def test_russian_link_formats_numbers_the_russian_way(server, page, sample_db):
    page.goto(f"{server}/?lang=ru&f_channel=web")
    wait_for_run(page)
    assert page.locator("h1").first.inner_text().strip() == "Обзор"
    tiles = read_tiles(page)
    assert tiles["CSAT"] == expected(sample_db, "csat", lang="ru", channels=("web",))
    assert "," in tiles["CES"]  # decimal comma


def test_hover_shows_the_definition(server, page):
    page.goto(f"{server}/")
    wait_for_run(page)
    tile = page.locator("[data-testid='stMetric']").filter(has_text="NPS").first
    tile.locator("[data-testid='stTooltipHoverTarget']").first.hover()
    tooltip = page.locator("[data-testid='stTooltipContent']")
    tooltip.wait_for(timeout=10_000)
    assert "promoters (9–10) minus" in tooltip.inner_text()


def test_a_page_that_stops_early_leaves_no_blank_chart(page, empty_db, tmp_path):
    # The first run sends a blank chart at once so the browser starts loading plotly.js; it goes
    # before the page runs, so a page that stops on an empty selection leaves nothing behind.
    from tests.browser import streamlit_server

    import os
    import shutil

    import duckdb

    with streamlit_server(empty_db, tmp_path / "streamlit.log") as url:
        page.goto(f"{url}/")  # an empty workspace: the welcome, and no blank chart left behind
        wait_for_run(page)
        assert page.get_by_text("Welcome").count() >= 1
        assert page.locator(".js-plotly-plot, [data-testid='stPlotlyChart']").count() == 0
        # One lead (1 Mar 2025) and nothing else, published as a load does (a new file replaces it):
        # the last fiscal year (2024) has no data, so the page stops early.
        copy = tmp_path / "one_lead.duckdb"
        shutil.copyfile(empty_db, copy)
        con = duckdb.connect(str(copy))
        con.execute("INSERT INTO customers (customer_id, signup_at) VALUES ('lead-1', TIMESTAMP '2025-03-01 10:00')")
        con.close()
        os.replace(copy, empty_db)
        page.goto(f"{url}/?f_period=last_fy")
        wait_for_run(page)
        assert page.get_by_text("No data for").count() == 1
        assert page.locator(".js-plotly-plot, [data-testid='stPlotlyChart']").count() == 0
