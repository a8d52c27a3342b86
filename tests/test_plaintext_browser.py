"""End to end: labels, categories, channels, regions, segments and comments that hold markup, and
a link that selects them, are shown as text on every page (issue 18, item 4).

Nothing from the data may turn into bold text, a link or an image, a formula, a coloured span, or a
request to another server when the page opens.
"""

from __future__ import annotations

import json
import shutil
from urllib.parse import quote, urlsplit

import duckdb
import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from tests.browser import streamlit_server, wait_for_plots, wait_for_run  # noqa: E402

pytestmark = pytest.mark.browser

OUTSIDE = "example.invalid"
HOSTILE = (f"**B1** [L1](http://{OUTSIDE}/l) ![I1](http://{OUTSIDE}/i.png) <a href=\"http://{OUTSIDE}/a\">A1</a> "
           f"<b>H1</b> <img src=\"http://{OUTSIDE}/x.png\"> $x^2$ :red[R1] :fire: www.{OUTSIDE}")
SEGMENT = f"SMB {HOSTILE}"
UPLOAD = "hostile.csv"
PRESET_KEY = f"**B1** [L1](http://{OUTSIDE}/l)"  # short enough to be quoted whole

# Everything that markup from the data could have produced, read from the live DOM.
FIND_MARKUP = """(outside) => {
    const markers = ['B1', 'L1', 'I1', 'A1', 'H1', 'R1', 'x^2', 'x2'];
    const fromData = (el) => markers.some(m => (el.textContent || '').includes(m));
    const found = [];
    for (const el of document.querySelectorAll('strong, b')) if (fromData(el)) found.push('bold: ' + el.outerHTML);
    for (const el of document.querySelectorAll('a')) {
        const href = el.getAttribute('href') || el.getAttribute('xlink:href') || '';
        if (href.includes(outside)) found.push('link: ' + el.outerHTML);
    }
    for (const el of document.querySelectorAll('img, image')) {
        const src = el.getAttribute('src') || el.getAttribute('href') || el.getAttribute('xlink:href') || '';
        if (src.includes(outside)) found.push('image: ' + el.outerHTML);
    }
    for (const el of document.querySelectorAll('.katex, .katex-html, math')) found.push('formula: ' + el.outerHTML);
    for (const el of document.querySelectorAll('tspan')) {  // a chart title is bold as a whole: look for "H1" alone
        const style = el.getAttribute('style') || '';
        if (style.includes('bold') && ['B1', 'H1'].includes(el.textContent.trim())) found.push('chart bold: ' + el.outerHTML);
    }
    for (const el of document.querySelectorAll('span[style*="color"], span[class*="Color"]')) {
        if ((el.textContent || '').includes('R1') && !(el.textContent || '').includes(':red[')) found.push('colour: ' + el.outerHTML);
    }
    return found;
}"""
# The page's text as a reader sees it (the invisible word joiners that break shortcodes removed).
VISIBLE_TEXT = """() => {
    const svg = [...document.querySelectorAll('.js-plotly-plot text')].map(t => t.textContent).join('\\n');
    return (document.body.innerText + '\\n' + svg).replaceAll('\\u2060', '');
}"""


@pytest.fixture(scope="module")
def hostile_db(sample_db, tmp_path_factory):
    """The sample with markup in every kind of text the data brings to the pages."""
    from cxdata.engine.db import bump_data_version
    from cxdata.engine.rollups import refresh_rollups

    path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    shutil.copy(sample_db, path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE journey_stages SET label_en = ? || ' #' || position, label_ru = ? || ' #' || position",
                [HOSTILE, HOSTILE])
    con.execute("UPDATE customers SET segment = ? WHERE segment = 'SMB'", [SEGMENT])
    con.execute("UPDATE customers SET region = 'Siberia ' || ? WHERE region = 'Siberia'", [HOSTILE])
    con.execute("UPDATE customers SET acquisition_channel = 'partners ' || ? WHERE acquisition_channel = 'partners'",
                [HOSTILE])
    for table in ("customers", "transactions", "surveys", "complaints", "journey_events"):
        con.execute(f"UPDATE {table} SET channel = 'web ' || ? WHERE channel = 'web'", [HOSTILE])
    con.execute("UPDATE complaints SET category = ? || ' ' || category", [HOSTILE])
    con.execute("UPDATE churn_events SET reason = ? || ' ' || reason", [HOSTILE])
    con.execute("UPDATE surveys SET comment = ?", [HOSTILE])
    refresh_rollups(con)
    bump_data_version(con)
    con.close()
    return path


@pytest.fixture(scope="module")
def hostile_server(hostile_db, tmp_path_factory):
    with streamlit_server(hostile_db, tmp_path_factory.mktemp("hostile-server") / "streamlit.log") as url:
        yield url


def open_watched(browser, url: str):
    """A new page that records every request's host."""
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    hosts = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).hostname or request.url.split(":")[0]))
    return page, hosts


def assert_shown_as_text(page, hosts, server: str, expected_text: list[str]) -> None:
    assert page.evaluate(FIND_MARKUP, OUTSIDE) == []
    assert set(hosts) <= {urlsplit(server).hostname, "data", "blob"}, hosts
    text = page.evaluate(VISIBLE_TEXT)
    for expected in expected_text:
        assert expected in text


@pytest.mark.parametrize("path, charts", [("", 5), ("journey", 6), ("money", 5)])
def test_hostile_labels_and_a_crafted_link_show_as_text(hostile_server, browser, path, charts):
    link = f"{hostile_server}/{path}?f_segment={quote(SEGMENT)}"
    page, hosts = open_watched(browser, link)
    try:
        page.goto(link)
        wait_for_run(page)
        wait_for_plots(page, charts)
        page.wait_for_timeout(500)  # any image or font a label asked for would be requested by now
        assert_shown_as_text(page, hosts, hostile_server, [f"Segment: {SEGMENT}"])
        if path == "journey":  # the stage labels, in a caption and in the funnel chart
            assert f"{HOSTILE} #1" in page.evaluate(VISIBLE_TEXT)
            for tick in page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot .ytick text')]"
                                      ".map(t => t.textContent)"):
                assert "<b>" not in tick or "<b>H1</b>" in tick  # literal tags, never a parsed one
    finally:
        page.close()


def test_hostile_stage_click_still_narrows_the_journey_detail():
    from cxdata.presentation.journey_charts import selected_stage
    from cxdata.presentation.plaintext import chart_text

    stages = ["first_contact", f"<b>{HOSTILE}</b>"]
    points = [{"customdata": [chart_text(stages[1]), "hover"]}]
    assert selected_stage(points, stages) == stages[1]


def test_a_hostile_upload_shows_its_headers_and_values_as_text(hostile_db, tmp_path, browser):
    db = tmp_path / "upload.duckdb"
    shutil.copy(hostile_db, db)
    extract = tmp_path / UPLOAD
    header = f"transaction_id;customer_id;occurred_at;amount;{HOSTILE.replace(';', ',')}"
    extract.write_text(f"{header}\nt1;C1;2025-12-01;10;{HOSTILE}\n", encoding="utf-8")
    with streamlit_server(db, tmp_path / "server.log") as url:
        page, hosts = open_watched(browser, f"{url}/upload")
        page.goto(f"{url}/upload")
        wait_for_run(page)
        page.locator("[data-testid='stSelectbox']").filter(has_text="Table").locator("input").click()
        page.get_by_role("option", name="transactions", exact=True).click()
        wait_for_run(page)
        page.locator("[data-testid='stFileUploader'] input[type='file']").first.set_input_files(str(extract))
        wait_for_run(page)
        page.get_by_role("button", name="Check (dry run)").click()
        wait_for_run(page)
        assert page.get_by_text("Check passed").count() == 1
        assert_shown_as_text(page, hosts, url, ["Detected: csv"])
        preset = tmp_path / "preset.json"  # a preset's own text comes back in the refusal
        preset.write_text(json.dumps({PRESET_KEY: 1}), encoding="utf-8")
        page.locator("[data-testid='stFileUploader'] input[type='file']").nth(1).set_input_files(str(preset))
        wait_for_run(page)
        assert_shown_as_text(page, hosts, url, [f"The preset has unknown keys: {PRESET_KEY};"])
        page.close()
