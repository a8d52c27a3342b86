"""End to end on the overview: the early warning of the sample's payment incident, in English and
Russian, with the chart that proves it."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from tests.browser import wait_for_run  # noqa: E402

pytestmark = pytest.mark.browser

ALERT_SUMMARY = "[data-testid='stExpander'] summary [data-testid='stMarkdownContainer']"


def alert_titles(page) -> list[str]:
    return [text.strip() for text in page.locator(ALERT_SUMMARY).all_inner_texts()]


def flagged_weeks(page, title_prefix: str) -> list[str]:
    """The weeks the alert's chart marks as flagged (red markers), read from what plotly drew
    after opening the alert (charts draw when they come into view)."""
    expander = page.locator("[data-testid='stExpander']").filter(has_text=title_prefix)
    if expander.locator(".js-plotly-plot").count() == 0:
        expander.locator("summary").click()
    expander.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    page.wait_for_function(
        "(prefix) => [...document.querySelectorAll('.js-plotly-plot')]"
        ".some(p => p._fullData && (p._fullLayout.title.text || '').replace(/<[^>]*>/g, '').startsWith(prefix))",
        arg=title_prefix, timeout=60_000,
    )
    return page.evaluate(
        """(prefix) => {
            const plot = [...document.querySelectorAll('.js-plotly-plot')]
                .find(p => (p._fullLayout.title.text || '').replace(/<[^>]*>/g, '').startsWith(prefix));
            if (!plot) return null;
            const line = plot._fullData[2];
            return Array.from(line.x).filter((x, i) => line.marker.color[i] === '#c0392b').map(String);
        }""",
        title_prefix,
    )


def test_the_overview_shows_the_payment_incident_in_english_and_russian(server, page):
    page.goto(f"{server}/")  # the default view: the last 6 months, no dates typed
    wait_for_run(page, timeout_ms=300_000)  # the first run checks the whole history once (cached after)
    titles = alert_titles(page)
    incident = [t for t in titles if t.startswith("Step conversion to First purchase · Mobile app:")]
    assert len(incident) == 1, titles
    assert "6 Oct 2025" in incident[0] and "instead of the usual" in incident[0]
    weeks = flagged_weeks(page, "Step conversion to First purchase · Mobile app")
    assert weeks and all(w.startswith("2025-10") for w in weeks), weeks

    page.goto(f"{server}/?lang=ru")
    wait_for_run(page)
    titles = alert_titles(page)
    incident = [t for t in titles if t.startswith("Конверсия шага до этапа «Первая покупка» · Мобильное приложение:")]
    assert len(incident) == 1, titles
    assert "6 окт 2025" in incident[0]
    details = page.locator("[data-testid='stExpander'] [data-testid='stCaptionContainer']").all_inner_texts()
    assert details and "стандартных отклонений" in details[0]
    for text in titles + details:  # no English word and no code such as mobile_app on a Russian alert
        assert not re.search(r"[A-Za-z_]", text), text
    assert flagged_weeks(page, "Конверсия шага до этапа «Первая покупка» · Мобильное приложение") == weeks
