"""The CEM maturity page: viewers read the results and get no questionnaire; analysts answer it; a
questionnaire with a question unanswered, or from someone who already answered that assessment,
stores nothing and says why."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from cxdata.app import ui, visitors
from cxdata.engine.query import open_backend
from cxdata.ingest.maturity_store import list_maturity_log, record_answers
from cxdata.model.filters import Filters
from cxdata.model.maturity import QUESTIONS
from cxdata.questions.maturity import fetch_assessments
from tests.conftest import ROOT, shown
from tests.test_app import clear_streamlit_caches  # noqa: F401 - fixture


@pytest.fixture
def db(sample_db, tmp_path):
    path = tmp_path / "cx.duckdb"
    shutil.copy(sample_db, path)
    # The sample holds assessment 1 (two answers in the log); these are assessment 2.
    assert record_answers(path, {q.id: 6 for q in QUESTIONS}, respondent="Anna", user="ann")["assessment_id"] == 2
    return path


def run_page_as(role: str, db, monkeypatch) -> AppTest:
    monkeypatch.setenv("CX_DB", str(db))
    monkeypatch.setattr(visitors, "current_visitor", lambda: visitors.Visitor(user="tester", role=role, local_mode=True))
    app = AppTest.from_file(str(ROOT / "pages" / "maturity.py"), default_timeout=60)
    app.session_state["_page_context"] = ui.PageContext(
        filters=Filters(date(2025, 10, 3), date(2025, 12, 31)), lang="en",
        data=ui.DataKey(path=str(db), version="test"), as_of=date(2025, 12, 31), currency="RUB")
    app.run()
    return app


def test_a_viewer_reads_the_results_without_the_questionnaire(db, monkeypatch):
    app = run_page_as("viewer", db, monkeypatch)
    assert not app.exception
    assert any(s.value == "Proactive relationship management" for s in app.subheader)  # all 6s: level 4
    assert any("you see the results (you are viewer)" in i.value for i in app.info)
    assert not app.number_input and not app.text_input  # no questionnaire at all


def test_an_analyst_gets_30_questions_and_an_incomplete_form_stores_nothing(db, monkeypatch):
    app = run_page_as("analyst", db, monkeypatch)
    assert not app.exception
    assert len(app.number_input) == 30
    app.number_input(key=f"maturity_q_{QUESTIONS[0].id}").set_value(7)
    app.button[0].click().run()
    assert [shown(e.value) for e in app.error] == ["Nothing was stored: answer every question (no answer yet: "
                                                  + ", ".join(str(n) for n in range(2, 31)) + ")."]
    assert len(list_maturity_log(db)) == 3


def test_someone_who_answered_an_assessment_cannot_answer_it_again(db, monkeypatch):
    app = run_page_as("analyst", db, monkeypatch)
    app.selectbox(key="maturity_assessment").set_value(2)
    app.text_input(key="maturity_respondent").input("anna")
    for question in QUESTIONS:
        app.number_input(key=f"maturity_q_{question.id}").set_value(3)
    app.button[0].click().run()
    assert not app.exception
    (error,) = app.error
    assert shown(error.value).startswith("Nothing was stored: Anna already answered assessment 2 at ")
    assert len(list_maturity_log(db)) == 3

    app.text_input(key="maturity_respondent").input("Boris")
    app.button[0].click().run()
    assert not app.exception and not app.error
    assert [(e["assessment_id"], e["respondent"], e["recorded_by"]) for e in list_maturity_log(db)][:2] == [
        (2, "Boris", "tester"), (2, "Anna", "ann")]
    assert any(s.value == "The answers are stored." for s in app.success)
    # Anna's 6s and Boris's 3s: every element 4.5, level "extended" (the page's context here is fixed,
    # so its cached results are checked in the browser test; here the stored assessment is).
    db_backend = open_backend(db)
    try:
        _sample, assessment = fetch_assessments(db_backend)
    finally:
        db_backend.disconnect()
    assert (assessment["overall"], assessment["level"]) == (4.5, "extended")
