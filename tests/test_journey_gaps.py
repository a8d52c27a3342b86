"""The journey's "why they leave" says what to load when the data behind it was never loaded,
instead of an empty "no data" chart or a confident 100% silent loss."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
import streamlit as st

from cxdata.engine.coverage import Gap
from cxdata.engine.query import open_backend
from cxdata.questions.metrics import fetch_gap
from tests.test_app import open_app

JOURNEY_GAPS = ("churn_reasons", "complaint_reasons", "silent_loss")


@pytest.fixture(scope="module")
def without(sample_db, tmp_path_factory):
    """Copies of the sample with one table emptied (a DELETE bumps nothing: coverage reads the rows)."""
    folder = tmp_path_factory.mktemp("journey_gaps")

    def emptied(table: str):
        path = folder / f"no_{table}.duckdb"
        if not path.exists():
            shutil.copy(sample_db, path)
            with duckdb.connect(str(path)) as con:
                con.execute(f"DELETE FROM {table}")
                con.execute("UPDATE meta SET value = value || '-emptied' WHERE key = 'data_version'")
        return path

    return emptied


def gaps(path) -> dict:
    db = open_backend(path)
    return {name: fetch_gap(db, name) for name in JOURNEY_GAPS}


def test_the_sample_has_everything_the_journey_explains(sample_db):
    assert gaps(sample_db) == dict.fromkeys(JOURNEY_GAPS)


@pytest.mark.parametrize("table, expected", [
    ("churn_events", {"churn_reasons": Gap("churn_events")}),
    ("complaints", {"complaint_reasons": Gap("complaints"), "silent_loss": Gap("complaints")}),
    ("surveys", {"silent_loss": Gap("surveys")}),
])  # fmt: skip
def test_each_missing_table_switches_off_what_needs_it(without, table, expected):
    assert gaps(without(table)) == dict.fromkeys(JOURNEY_GAPS) | expected


def chart_texts(app) -> dict[str, str]:
    """Each plotly chart of the page: its title -> the text in its middle (if any)."""
    found = {}
    for element in app.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        layout = spec.get("layout", {})
        title = layout.get("title", {}).get("text", "")
        found[title] = " ".join(a.get("text", "") for a in layout.get("annotations", []))
    return found


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_journey_page_says_what_to_load(without, tmp_path, monkeypatch, lang):
    st.cache_data.clear()
    app = open_app(tmp_path, monkeypatch, without("churn_events"), page="journey")
    if lang == "ru":
        app.sidebar.segmented_control(key="lang").set_value("ru").run()
    assert not app.exception
    texts = chart_texts(app)
    reason_text = Gap("churn_events").text(lang)
    assert any(reason_text in text for text in texts.values()), texts
    silent = [text for title, text in texts.items() if "ilent" in title or "Тих" in title]
    assert silent and reason_text not in silent[0]  # surveys and complaints are there: silent loss is shown
