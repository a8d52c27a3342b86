"""End to end: on the sample (which holds one past assessment) an admin (local mode) answers the CEM
maturity questionnaire on the page in English; the answers are stored and logged as assessment 2, and
the page shows its level and the radar of its element scores over the sample's.
The same page in Russian shows no English word in its main area."""

from __future__ import annotations

import getpass
import re
import shutil

import duckdb
import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from cxdata.ingest.maturity_store import list_maturity_log  # noqa: E402
from cxdata.model.maturity import ELEMENTS, QUESTIONS  # noqa: E402
from tests.browser import streamlit_server, wait_for_plots, wait_for_run  # noqa: E402

pytestmark = pytest.mark.browser
# Element scores 2, 4, 6, 8, 10, 0: overall 5.0 (extended), held at "regular" by culture at 0.
SCORES = dict(zip(ELEMENTS, (2, 4, 6, 8, 10, 0), strict=True))
# Latin words a Russian screen may show: metric names used in Russian too, the file format.
ALLOWED_LATIN = {"NPS", "CSAT", "CES", "CX", "XLSX"}
# The first paint loads the form's thirty inputs and the chart's code: on a busy machine that alone
# has taken over a minute, so the waits are generous (they bound a hang; nothing here is timed).
WAIT_MS = 240_000

READ_RADAR = """() => {
    const plot = [...document.querySelectorAll('.js-plotly-plot')].find(
        p => p._fullData && p._fullData.some(t => t.type === 'scatterpolar'));
    return plot ? plot._fullData.map(t => ({name: t.name, r: Array.from(t.r), theta: Array.from(t.theta)})) : null;
}"""


def test_answering_the_questionnaire_stores_an_assessment_and_shows_its_level(sample_db, tmp_path, browser):
    db = tmp_path / "cx.duckdb"
    shutil.copy(sample_db, db)
    with streamlit_server(db, tmp_path / "server.log") as url:  # loopback: local mode, admin
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        page.goto(f"{url}/maturity")
        wait_for_run(page, timeout_ms=WAIT_MS)
        main = page.locator("[data-testid='stMain']")
        assert "Level 3 of 5: Extended service. Overall score 4.2 of 10." in main.inner_text()  # the sample's, 4.25
        page.get_by_label("Respondent").fill("Анна")  # a name in Cyrillic: the Russian page below quotes it
        for number, question in enumerate(QUESTIONS, 1):
            page.get_by_label(f"{number}. {question.text_en}", exact=True).fill(str(SCORES[question.element]))
        page.get_by_role("button", name="Store the answers").click()
        wait_for_run(page, timeout_ms=WAIT_MS)
        text = main.inner_text()
        assert "The answers are stored." in text
        assert "Level 2 of 5: Regular service. Overall score 5.0 of 10." in text
        wait_for_plots(page, 1, timeout_ms=WAIT_MS)
        previous, latest = page.evaluate(READ_RADAR)
        assert latest["r"] == [2, 4, 6, 8, 10, 0, 2] and latest["name"].startswith("Assessment 2 (")
        assert latest["theta"][:6] == ["Measurement", "Fixing problems", "Customer knowledge",
                                       "New services and products", "Strategy", "Culture"]
        assert previous["r"] == [6.5, 2.5, 5, 2.5, 4.5, 4.5, 6.5]  # the sample's assessment, drawn beneath

        con = duckdb.connect(str(db), read_only=True)
        stored = con.execute("SELECT assessment_id, respondent, count(*), sum(score) FROM maturity_assessments "
                             "WHERE assessment_id = 2 GROUP BY ALL").fetchall()
        con.close()
        assert stored == [(2, "Анна", 30, 150)]  # 5 questions x (2 + 4 + 6 + 8 + 10 + 0)
        entry = list_maturity_log(db)[0]
        assert (entry["recorded_by"], entry["respondent"], entry["assessment_id"]) == (getpass.getuser(), "Анна", 2)

        page.goto(f"{url}/maturity?lang=ru")
        wait_for_run(page, timeout_ms=WAIT_MS)
        wait_for_plots(page, 1, timeout_ms=WAIT_MS)
        text, icons = page.evaluate("""() => {
            const main = document.querySelector("[data-testid='stMain']");
            return [main.innerText, [...main.querySelectorAll("[data-testid='stIconMaterial']")].map(i => i.innerText)];
        }""")
        assert "Регулярное обслуживание" in text and "Анкета" in text
        latin = set(re.findall(r"[A-Za-z]+", text)) - ALLOWED_LATIN - set(icons)
        assert not latin, latin
        for trace in page.evaluate(READ_RADAR):
            assert trace["theta"][0] == "Измерение" and not re.search(r"[A-Za-z]", trace["name"])
        page.close()
