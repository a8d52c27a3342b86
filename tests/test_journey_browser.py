"""End to end on the journey page: a real Streamlit server, Debian's Chromium, real links and clicks."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from cxdata.engine.query import open_backend  # noqa: E402
from cxdata.model.filters import DEFAULT_PRESET, Filters, preset_range  # noqa: E402
from cxdata.questions.funnel import compute_funnel  # noqa: E402
from cxdata.questions.overview import fetch_as_of  # noqa: E402
from tests.browser import (  # noqa: E402
    choose_in_multiselect,
    read_plot,
    streamlit_server,
    wait_for_plots,
    wait_for_run,
)

pytestmark = pytest.mark.browser

JOURNEY_CHARTS = 13  # funnel, lost value, previous period, weeks, 4 breakdowns, reasons, complaints, silent, moments, time


@pytest.fixture
def fresh_server(sample_db, tmp_path):
    """A server nobody has asked anything yet: its very first request decides Streamlit's page mode."""
    with streamlit_server(sample_db, tmp_path / "streamlit.log") as url:
        yield url


def expected_funnel(sample_db, **dimensions) -> list[int]:
    db = open_backend(sample_db)
    as_of = fetch_as_of(db)
    return compute_funnel(db, Filters(*preset_range(DEFAULT_PRESET, as_of), **dimensions), as_of)["customers"].tolist()


def open_journey(page, url: str) -> None:
    page.goto(url)
    wait_for_run(page)
    wait_for_plots(page, JOURNEY_CHARTS)


def funnel_counts(page) -> list[int]:
    return read_plot(page, "Funnel")["traces"][0]["x"]


def test_a_link_to_the_journey_opens_it_on_a_fresh_server(fresh_server, page, sample_db):
    open_journey(page, f"{fresh_server}/journey")
    assert page.locator("h1").first.inner_text().strip() == "Customer journey"
    assert page.url.split("?")[0].endswith("/journey")
    # the entrypoint ran: the global filters are in the sidebar
    assert page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").count() == 4
    plot = read_plot(page, "Funnel")
    assert plot["traces"][0]["x"] == expected_funnel(sample_db)
    assert plot["subtitle"] == "1 Jul 2025 – 31 Dec 2025 · all customers"
    assert "Registration" in page.locator("[data-testid='stAlertContentInfo']").first.inner_text()


def test_the_segment_survives_the_switch_from_overview_to_journey(server, page, sample_db):
    page.goto(f"{server}/")
    wait_for_run(page)
    choose_in_multiselect(page, "Segment", "Premium")
    assert "f_segment=Premium" in page.url
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Customer journey").click()
    wait_for_run(page)
    wait_for_plots(page, JOURNEY_CHARTS)
    assert page.locator("h1").first.inner_text().strip() == "Customer journey"
    assert "/journey" in page.url and "f_segment=Premium" in page.url
    segment = page.locator("[data-testid='stMultiSelect']").filter(has_text="Segment")
    assert "Premium" in segment.inner_text()
    assert funnel_counts(page) == expected_funnel(sample_db, segments=("Premium",))
    assert read_plot(page, "Funnel")["subtitle"] == "1 Jul 2025 – 31 Dec 2025 · Segment: Premium"


def click_funnel_bar(page, index: int) -> None:
    """Click the middle of the ``index``-th bar of the funnel chart, as a person would."""
    plot = page.locator(".js-plotly-plot").filter(has_text="Funnel: customers at each stage")
    bar = plot.locator(".trace.bars .point path").nth(index)
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_for_run(page)


def test_clicking_a_funnel_bar_narrows_the_stage_detail(server, page):
    open_journey(page, f"{server}/journey")
    assert len(read_plot(page, "Silent loss")["traces"][0]["y"]) == 5
    click_funnel_bar(page, 1)  # Registration
    wait_for_plots(page, JOURNEY_CHARTS)
    assert page.get_by_text("Showing stage Registration").count() == 1
    assert read_plot(page, "Silent loss")["traces"][0]["y"] == ["Registration → First purchase"]
    assert len(read_plot(page, "Time to convert")["traces"]) == 1
    page.get_by_role("button", name="Clear — all stages").click()
    wait_for_run(page)
    wait_for_plots(page, JOURNEY_CHARTS)
    assert page.get_by_text("Showing stage").count() == 0
    assert len(read_plot(page, "Silent loss")["traces"][0]["y"]) == 5


def test_the_steps_by_week_show_the_incident_in_russian(server, page, sample_db):
    """The weekly chart draws, per step, this period and the year before as the question computes
    them (the incident's weeks among them), with Russian week ticks."""
    from cxdata.questions.journey_weekly import compute_weekly_steps

    db = open_backend(sample_db)
    as_of = fetch_as_of(db)
    weekly = compute_weekly_steps(db, Filters(*preset_range(DEFAULT_PRESET, as_of)), as_of)
    open_journey(page, f"{server}/journey?lang=ru")
    plot = read_plot(page, "Конверсия перехода по неделе входа")
    steps = sorted(weekly["position"].unique())
    assert len(plot["traces"]) == 2 * len(steps)  # the year before and this period, per step
    purchase = weekly[weekly["stage"] == "first_purchase"]
    drawn = plot["traces"][2 * (steps.index(purchase["position"].iloc[0])) + 1]
    assert drawn["name"] == "Этот период"
    assert drawn["y"] == pytest.approx(purchase["step_conversion"].tolist())
    ticks = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')]
            .filter(p => p._fullLayout.title.text.includes('по неделе входа'))
            .flatMap(p => [...p.querySelectorAll('g[class^=x][class$=tick] text')].map(t => t.textContent))"""
    )  # the week axis of the bottom panel (its class is x5tick, say)
    assert ticks and all(any(month in tick for month in ("июн", "июл", "авг", "сен", "окт", "ноя", "дек"))
                         for tick in ticks), ticks  # fmt: skip
