"""End to end: the "What customers write" page in a real Chromium, in English and Russian, on a copy
of the sample where one customer's complaint holds markup that must be shown as typed."""

from __future__ import annotations

import shutil

import duckdb
import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from tests.browser import read_plot, streamlit_server, wait_for_plots, wait_for_run  # noqa: E402

pytestmark = pytest.mark.browser

HOSTILE = "**bold** <img src=http://x>"
FIND_MARKUP = """() => {
    const found = [];
    // The page bolds each topic's words itself ("bold, http, img, src"); markup from the text would bold "bold" alone.
    for (const el of document.querySelectorAll('strong, b')) if (el.textContent.trim() === 'bold') found.push(el.outerHTML);
    for (const el of document.querySelectorAll('img, image')) {
        const src = el.getAttribute('src') || el.getAttribute('href') || '';
        if (src.includes('http://x')) found.push(el.outerHTML);
    }
    return found;
}"""


@pytest.fixture(scope="module")
def voice_server(sample_db, tmp_path_factory):
    """The dashboard on a copy of the sample with 1,000 complaints (the largest topic of the period) that read ``HOSTILE`` (December 2025)."""
    folder = tmp_path_factory.mktemp("voice")
    path = shutil.copy(sample_db, folder / "hostile.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("""
            INSERT INTO complaints (complaint_id, customer_id, opened_at, touchpoint, channel, category, text)
            SELECT 'HOSTILE-' || i, customer_id, TIMESTAMP '2025-12-01 10:00:00' + i * INTERVAL 1 HOUR,
                   'repeat_purchase', 'web', 'billing', $text
            FROM (SELECT customer_id, row_number() OVER (ORDER BY customer_id) AS i FROM customers) WHERE i <= 1000
        """, {"text": HOSTILE})  # fmt: skip
    with streamlit_server(path, folder / "streamlit.log") as url:
        yield url


def open_voice(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    wait_for_run(page, timeout_ms=240_000)
    wait_for_plots(page, 1, timeout_ms=60_000)
    return context, page


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_page_shows_topics_and_the_hostile_text_as_typed(voice_server, browser, lang):
    context, page = open_voice(browser, f"{voice_server}/voice" + ("?lang=ru" if lang == "ru" else ""))
    try:
        main = page.locator("[data-testid='stMain']")
        title, examples, method = {
            "en": ("What customers write", "Examples", "Topics are found once per data load"),
            "ru": ("О чём пишут клиенты", "Примеры", "Темы находятся один раз после каждой загрузки"),
        }[lang]
        assert main.get_by_role("heading", name=title).count() == 1
        assert main.get_by_role("heading", name=examples).count() == 1
        text = main.inner_text()
        assert method in text
        assert HOSTILE in text  # as typed: no bold, no image
        assert "Товар пришёл с браком" in text  # the sample's most frequent complaint is an example
        assert page.evaluate(FIND_MARKUP) == []
        trend = read_plot(page, {"en": "Texts per month", "ru": "Тексты по месяцам"}[lang])
        assert trend is not None and len(trend["traces"]) == 6
        assert all(sum(trace["y"]) > 0 for trace in trend["traces"])
        if lang == "ru":  # the labels around the data are Russian
            assert main.get_by_text("Жалобы", exact=True).count() >= 1
            assert "What customers write" not in text and "Examples" not in text
    finally:
        context.close()
