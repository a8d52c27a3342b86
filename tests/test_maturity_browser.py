"""End to end: an admin (local mode) answers the CEM maturity questionnaire on the page in English;
the answers are stored and logged, and the page shows the level and the radar of the element scores.
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
        wait_for_run(page)
        main = page.locator("[data-testid='stMain']")
        assert "No assessment has been stored yet." in main.inner_text()
        page.get_by_label("Respondent").fill("Анна")  # a name in Cyrillic: the Russian page below quotes it
        for number, question in enumerate(QUESTIONS, 1):
            page.get_by_label(f"{number}. {question.text_en}", exact=True).fill(str(SCORES[question.element]))
        page.get_by_role("button", name="Store the answers").click()
        wait_for_run(page)
        text = main.inner_text()
        assert "The answers are stored." in text
        assert "Regular service" in text and "Level 2 of 5: Regular service. Overall score 5.0 of 10." in text
        wait_for_plots(page, 1)
        (trace,) = page.evaluate(READ_RADAR)
        assert trace["r"] == [2, 4, 6, 8, 10, 0, 2]
        assert trace["theta"][:6] == ["Measurement", "Fixing problems", "Customer knowledge",
                                      "New services and products", "Strategy", "Culture"]

        con = duckdb.connect(str(db), read_only=True)
        stored = con.execute("SELECT assessment_id, respondent, count(*), sum(score) FROM maturity_assessments "
                             "GROUP BY ALL").fetchall()
        con.close()
        assert stored == [(1, "Анна", 30, 150)]  # 5 questions x (2 + 4 + 6 + 8 + 10 + 0)
        (entry,) = list_maturity_log(db)
        assert (entry["recorded_by"], entry["respondent"], entry["assessment_id"]) == (getpass.getuser(), "Анна", 1)

        page.goto(f"{url}/maturity?lang=ru")
        wait_for_run(page)
        wait_for_plots(page, 1)
        text, icons = page.evaluate("""() => {
            const main = document.querySelector("[data-testid='stMain']");
            return [main.innerText, [...main.querySelectorAll("[data-testid='stIconMaterial']")].map(i => i.innerText)];
        }""")
        assert "Регулярное обслуживание" in text and "Анкета" in text
        latin = set(re.findall(r"[A-Za-z]+", text)) - ALLOWED_LATIN - set(icons)
        assert not latin, latin
        (trace,) = page.evaluate(READ_RADAR)
        assert trace["theta"][0] == "Измерение" and not re.search(r"[A-Za-z]", trace["name"])
        page.close()
