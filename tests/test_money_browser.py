"""End to end: the CX-and-money page in a real Chromium against a real Streamlit server."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from cxdata.engine.query import open_backend  # noqa: E402
from cxdata.i18n import format_value  # noqa: E402
from cxdata.model.filters import DEFAULT_PRESET, Filters, preset_range  # noqa: E402
from cxdata.questions.money import build_class_economics, compute_revenue_at_risk  # noqa: E402
from cxdata.questions.money_base import class_order, fetch_money_cells  # noqa: E402
from cxdata.questions.overview import fetch_as_of  # noqa: E402
from tests.browser import read_plot, read_tiles, wait_for_plots, wait_for_run  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(server, browser):
    """One money page, opened once for the module's read-only checks."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{server}/money")
    wait_for_run(page, timeout_ms=120_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def economics(sample_db):
    db = open_backend(sample_db)
    as_of = fetch_as_of(db)
    return build_class_economics(fetch_money_cells(db, Filters(*preset_range(DEFAULT_PRESET, as_of)), as_of))


def test_money_page_renders_at_its_url(page, economics):
    assert page.locator("h1").first.inner_text().strip() == "CX and money"
    assert "The CX change worth most." in page.locator("[data-testid='stMain'] [data-testid='stAlert']").first.inner_text()
    tiles = read_tiles(page)
    expected = compute_revenue_at_risk(economics, 12).set_index("group").at["detractor", "revenue_at_risk"]
    assert tiles["Detractors, RUB"] == format_value(expected, "money", "en", 0, compact=True)


def test_churn_chart_draws_the_metric_layers_numbers(page, economics):
    wait_for_plots(page, 2)
    plot = read_plot(page, "Churn a month · NPS class")
    assert plot is not None and plot["subtitle"] == "1 Jul 2025 – 31 Dec 2025 · all customers"
    bars = plot["traces"][0]
    classes = [c for c in class_order("nps") if economics.row("nps", c, "churn_rate")["n"] > 0]
    assert bars["x"] == ["Promoters (9–10)", "Passives (7–8)", "Detractors (0–6)", "No answer"][: len(classes)]
    assert bars["y"] == pytest.approx([economics.row("nps", c, "churn_rate")["value"] for c in classes])
