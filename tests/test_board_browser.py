"""Board-ready, end to end in Chromium: what a presenter meets on the sample in front of the board.

Reset clears every filter; a Russian screen holds no code and no English word; month ticks read
Russian; ``/overview`` opens the overview; no page asks anything of a server but the dashboard's own.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from tests.browser import wait_for_run  # noqa: E402

pytestmark = pytest.mark.browser

MAIN_PAGES = ("overview", "journey", "money", "outlook")
ALL_PAGES = (*MAIN_PAGES, "upload", "health", "settings")
# Latin words a Russian screen keeps, each for a reason:
ALLOWED_LATIN = {
    # the CX and unit-economics metrics, named so in Russian business writing too
    "NPS", "CSAT", "CES", "CX", "LTV", "CAC", "ARPU", "AUC",
    # the workspace's currency, an ISO code the admin chose (the sample's: RUB)
    "RUB",
    # file formats on download buttons
    "XLSX", "CSV",
    # the published models the forecast names (Fader, Hardie, Lee 2005)
    "BG", "NBD", "Gamma",
}  # fmt: skip
# One Latin letter is a mathematical symbol: n = 1 234, p < 0,001, the models' r, a, b, q.
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")

# Streamlit draws its own icons (an expander's arrow) as ligatures of its bundled icon font, whose
# text is the icon's name ("keyboard_arrow_right"): not words anybody reads, so left out.
MAIN_TEXT = """() => {
    const main = document.querySelector("[data-testid='stMain']");
    const icons = new Set([...main.querySelectorAll("[data-testid='stIconMaterial']")].map(i => i.textContent.trim()));
    const charts = [...main.querySelectorAll('.js-plotly-plot text')].map(t => t.textContent);
    return [...main.innerText.split('\\n'), ...charts].filter(line => !icons.has(line.trim())).join('\\n');
}"""


# At least, once a page is drawn. The money page's narrow selection below (one segment, region and
# two channels) has too few customers for most of its charts, which then say so in words.
CHARTS = {"overview": 5, "journey": 13, "money": 0, "outlook": 2}


def settle(page, name: str = "") -> None:
    """Wait for the run, scroll through the page and wait until every chart on it is drawn."""
    wait_for_run(page)
    page.wait_for_function("(n) => document.querySelectorAll(\"[data-testid='stPlotlyChart']\").length >= n",
                           arg=CHARTS.get(name, 0), timeout=60_000)
    for _ in range(12):
        page.mouse.wheel(0, 1500)
        page.wait_for_timeout(100)
    page.wait_for_function(
        """() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")].every(chart => {
            const plot = chart.querySelector('.js-plotly-plot'); return plot && plot._fullData; })""",
        timeout=60_000,
    )


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the sidebar filter labelled exactly ``label`` ("Channel", not "Acquisition channel")."""
    page.locator("[data-testid='stSidebar']").get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    wait_for_run(page)


def caption_of_overview(page) -> str:
    return page.locator("[data-testid='stMain'] [data-testid='stCaptionContainer']").first.inner_text()


def test_reset_clears_segment_region_and_channel_in_the_link_and_the_caption(server, page):
    page.goto(f"{server}/?lang=en")
    wait_for_run(page)
    choose(page, "Segment", "Premium")
    choose(page, "Region", "Siberia")
    choose(page, "Channel", "Mobile app")  # the name shown; the link keeps the value
    assert "f_segment=Premium" in page.url and "f_region=Siberia" in page.url and "f_channel=mobile_app" in page.url
    assert "Segment: Premium · Region: Siberia · Channel: Mobile app" in caption_of_overview(page)

    page.locator("[data-testid='stSidebar']").get_by_role("button", name="Reset filters").click()
    wait_for_run(page)
    page.wait_for_function("() => !location.search.includes('f_')", timeout=10_000)
    query = urlsplit(page.url).query
    assert not re.search(r"(^|&)f_", query), query
    caption = caption_of_overview(page)
    assert "all customers" in caption and "Segment" not in caption and "Region" not in caption
    assert page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect'] [data-baseweb='tag']").count() == 0


def test_reset_keeps_the_language(server, page):
    page.goto(f"{server}/?lang=ru&f_segment=Premium&f_region=Siberia")
    wait_for_run(page)
    assert "Сегмент: Премиум · Регион: Сибирь" in caption_of_overview(page)
    page.locator("[data-testid='stSidebar']").get_by_role("button", name="Сбросить фильтры").click()
    wait_for_run(page)
    page.wait_for_function("() => !location.search.includes('f_')", timeout=10_000)
    assert "lang=ru" in page.url
    assert "все клиенты" in caption_of_overview(page)


@pytest.mark.parametrize("name", MAIN_PAGES)
def test_a_russian_page_holds_no_code_and_no_english_word(server, page, name):
    # Every filter set: their names appear in the captions and subtitles of every chart.
    page.goto(f"{server}/{name}?lang=ru&f_channel=mobile_app&f_channel=call_centre&f_acq=paid_search"
              "&f_acq=offline_ads&f_segment=SMB&f_region=North-West")
    settle(page, name)
    text = page.evaluate(MAIN_TEXT)
    assert "Мобильное приложение" in text  # the filters did apply and are named
    assert CODE.findall(text) == []
    assert sorted(set(LATIN_WORD.findall(text)) - ALLOWED_LATIN) == []


def test_a_russian_trend_chart_names_its_months_in_russian(server, page):
    page.goto(f"{server}/?lang=ru")
    settle(page, "overview")
    ticks = page.evaluate("""() => {
        const plot = [...document.querySelectorAll('.js-plotly-plot')].find(p => (p._fullLayout.title.text || '').replace(/<[^>]*>/g, '').startsWith('NPS'));
        return [...plot.querySelectorAll('.xtick text')].map(t => t.textContent);
    }""")
    # The sample's default view: 1 Jul – 31 Dec 2025, weekly points from Monday 30 Jun.
    assert ticks == ["июл 2025", "авг 2025", "сен 2025", "окт 2025", "ноя 2025", "дек 2025"]


def test_an_english_trend_chart_hovers_days_the_english_way(server, page):
    page.goto(f"{server}/")
    settle(page, "overview")
    template = page.evaluate("""() => {
        const plot = [...document.querySelectorAll('.js-plotly-plot')].find(p => (p._fullLayout.title.text || '').replace(/<[^>]*>/g, '').startsWith('NPS'));
        return plot._fullData.find(t => t.mode === 'lines+markers').hovertemplate;
    }""")
    assert template.startswith("%{x|%-d %b %Y}")


@pytest.mark.parametrize("lang, title", [("en", "Overview"), ("ru", "Обзор")])
def test_the_overview_opens_by_its_name(server, page, lang, title):
    page.goto(f"{server}/overview?lang={lang}")
    wait_for_run(page)
    assert page.locator("h1").first.inner_text().strip() == title
    assert page.locator("[data-testid='stMetric']").count() == 6
    assert "Page not found" not in page.locator("body").inner_text()


def test_an_unknown_page_says_so_in_russian_and_shows_the_overview(server, page):
    page.goto(f"{server}/board?lang=ru")
    wait_for_run(page)
    body = page.locator("body").inner_text()
    assert "Страницы «board» здесь нет" in body and "Page not found" not in body
    assert page.locator("h1").first.inner_text().strip() == "Обзор"


def test_no_page_asks_anything_of_another_server(server, page):
    own = urlsplit(server).netloc
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    for name in ALL_PAGES:
        page.goto(f"{server}/{name}?lang=ru")
        settle(page, name)
    outside = sorted({url for url in requests if urlsplit(url).scheme not in ("data", "blob")
                      and urlsplit(url).netloc != own})
    assert outside == []
    assert sum(urlsplit(url).netloc == own for url in requests) > len(ALL_PAGES)  # the recording did record
