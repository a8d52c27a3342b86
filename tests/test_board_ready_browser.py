"""End to end: on a tiny and an empty-for-a-metric selection the overview and the money page say in
words that a chart has too little data, instead of drawing broken axes, in English and Russian."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from tests.browser import wait_for_run  # noqa: E402

pytestmark = pytest.mark.browser

# One week of Premium customers of the Ural region at branches: 1 CSAT answer, no NPS or CES answer,
# 17 purchases, 3 customers with an NPS class (the sample, scale 0.02, seed 7).
TINY = "f_period=custom&f_dates=2025-12-25&f_dates=2025-12-31&f_segment=Premium&f_region=Ural&f_channel=branch"


def open_page(page, server, path: str, lang: str) -> None:
    page.goto(f"{server}/{path}?{TINY}" + ("&lang=ru" if lang == "ru" else ""))
    wait_for_run(page, timeout_ms=120_000)
    page.mouse.wheel(0, 30_000)
    wait_for_run(page)


def plot_titles(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(
        p => (p._fullLayout.title.text || '').replace(/<[^>]*>/g, ''))""")


def alerts(page) -> str:
    return "\n".join(page.locator("[data-testid='stMain'] [data-testid='stAlert']").all_inner_texts())


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ["NPS: no data for this selection", "CES: no data for this selection",
            "CSAT: only one point in time has data (n = 1)"]),
    ("ru", ["NPS: нет данных для этого выбора", "CES: нет данных для этого выбора",
            "CSAT: данные есть только за один отрезок времени (n = 1)"]),
])  # fmt: skip
def test_overview_says_which_trends_lack_data(server, page, lang, words):
    open_page(page, server, "overview", lang)
    text = alerts(page)
    for sentence in words:
        assert sentence in text
    titles = plot_titles(page)
    assert not {"NPS", "CES", "CSAT"} & set(titles)  # no axes drawn for them
    assert "23:59:59" not in page.locator("[data-testid='stMain']").inner_text()
    # Churn a month: 0.00% of 11 customers now and before: no "0.00 pp" delta from so few.
    deltas = page.locator("[data-testid='stMetricDelta']").all_inner_texts()
    assert not any("0.00" in delta for delta in deltas)


@pytest.mark.parametrize(("lang", "words", "what_if"), [
    ("en", "too few customers to compare classes", "The what-if needs at least 30 customers with an NPS answer; "
     "this selection has 3."),
    ("ru", "слишком мало клиентов, чтобы сравнивать классы", "Для сценария нужно не меньше 30 клиентов с ответом "
     "NPS; в этом выборе их 3."),
])  # fmt: skip
def test_money_page_says_which_charts_lack_data(server, page, lang, words, what_if):
    open_page(page, server, "money", lang)
    text = alerts(page)
    assert text.count(words) == 2  # churn and LTV by NPS class
    assert what_if in text
    assert plot_titles(page) == []  # drivers, cohorts and LTV/CAC too: words, no chart
    if lang == "ru":
        for english in ("too few", "no data", "Widen", "chart"):
            assert english not in text
