"""The Outlook page through Streamlit's AppTest: it runs in both languages, its tiles are the
forecast's numbers, filters narrow them, and its charts are valid plotly figures."""

from __future__ import annotations

from datetime import date

import numpy as np
import plotly.graph_objects as go
import pytest

from cxdata.engine.query import open_backend
from cxdata.i18n import format_value
from cxdata.model.filters import Filters
from cxdata.analysis.churn_risk import calibration_table
from cxdata.presentation.outlook_charts import (
    build_calibration_figure,
    build_equity_figure,
    build_survival_figure,
    build_validation_figure,
)
from cxdata.questions.clv import (
    compute_clv_model,
    equity_by,
    select_customers,
    validation_table,
)
from cxdata.questions.survival import compute_survival
from tests.test_app import clear_streamlit_caches, open_app  # noqa: F401 - the fixture clears caches

AS_OF = date(2025, 12, 31)


@pytest.fixture(scope="module")
def model(sample_db):
    return compute_clv_model(open_backend(sample_db), AS_OF)


def equity_text(model, lang: str, **dimensions) -> str:
    customers = select_customers(model, Filters(AS_OF, AS_OF, **dimensions))
    return format_value(float(customers["expected_value"].sum()), "money", lang, 0, "RUB", compact=True)


def test_outlook_page_shows_the_forecast_and_follows_the_filters(tmp_path, monkeypatch, sample_db, model):
    app = open_app(tmp_path, monkeypatch, sample_db, "outlook")
    assert not app.exception
    assert app.title[0].value == "Outlook"
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["Customer equity, 12 months"] == equity_text(model, "en")
    app.sidebar.multiselect(key="f_segment").select("SMB").run()
    assert not app.exception
    assert {m.label: m.value for m in app.metric}["Customer equity, 12 months"] == equity_text(model, "en", segments=("SMB",))
    for key in ("outlook_dimension", "outlook_survival_dimension"):
        for option in app.segmented_control(key=key).options:
            app.segmented_control(key=key).set_value(option).run()
            assert not app.exception
    app.sidebar.segmented_control(key="lang").set_value("ru").run()
    assert not app.exception
    assert app.title[0].value == "Прогноз"
    assert {m.label: m.value for m in app.metric}["Ценность базы, 12 мес."] == equity_text(model, "ru", segments=("SMB",))


def test_outlook_page_on_an_empty_database_says_why(tmp_path, monkeypatch, empty_db):
    app = open_app(tmp_path, monkeypatch, empty_db, "outlook")
    assert not app.exception
    assert [i.value for i in app.info] == ["not available: no transactions loaded — load transactions"]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_outlook_charts_are_valid_plotly_figures(model, lang):
    everyone = Filters(AS_OF, AS_OF)
    survival = compute_survival(model, everyone)
    figures = [build_equity_figure(equity_by(model, everyone, d), d, lang, "caption", "RUB", 12)
               for d in ("segment", "channel", "acquisition_channel", "nps_class")]
    figures += [build_survival_figure(survival.curves, survival.table, d, lang, "caption") for d in ("nps", "csat", "complaints")]
    figures.append(build_validation_figure(validation_table(model, everyone), model.calibration_end, lang, "caption"))
    figures.append(build_calibration_figure(calibration_table([True, False, False, True] * 10, np.linspace(0, 1, 40)),
                                            90, AS_OF, lang, "caption"))  # fmt: skip
    for figure in figures:
        go.Figure(figure)  # raises on any property plotly does not know


def test_outlook_page_shows_the_churn_risk_of_the_selection(tmp_path, monkeypatch, sample_db, model):
    from cxdata.i18n import format_number
    from cxdata.questions.churn_risk import at_risk_customers, compute_churn_risk_model

    risk_model = compute_churn_risk_model(open_backend(sample_db), AS_OF)

    def stake_text(lang: str, **dimensions) -> str:
        customers = at_risk_customers(risk_model, Filters(AS_OF, AS_OF, **dimensions), model)
        return format_value(float(customers["value_at_stake"].sum()), "money", lang, 0, "RUB", compact=True)

    app = open_app(tmp_path, monkeypatch, sample_db, "outlook")
    assert not app.exception
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["Value at stake"] == stake_text("en")
    assert tiles["Model accuracy (AUC)"] == format_number(risk_model.validation["auc"], "en", 2)
    assert "At risk within 90 days" in [h.value for h in app.header]
    assert len(app.get("download_button")) >= 2  # the list's CSV beside its XLSX
    app.sidebar.multiselect(key="f_segment").select("SMB").run()
    assert {m.label: m.value for m in app.metric}["Value at stake"] == stake_text("en", segments=("SMB",))
    app.segmented_control(key="outlook_risk_order").set_value("value_at_stake").run()
    app.number_input(key="outlook_risk_top").set_value(10).run()
    assert not app.exception
    assert "Keeping the top 10 would keep" in {m.label for m in app.metric}
    app.sidebar.segmented_control(key="lang").set_value("ru").run()
    assert not app.exception
    assert {m.label: m.value for m in app.metric}["Ценность под риском"] == stake_text("ru", segments=("SMB",))
def equity_over(model, months: int, lang: str) -> str:
    """The whole base's equity over ``months`` straight from the predict functions: the stored
    parameters, BG/NBD × Gamma-Gamma per customer, 0 for a customer churned by the as-of date."""
    import numpy as np
    import pandas as pd

    from cxdata.analysis.clv import DAYS_PER_MONTH, DAYS_PER_UNIT, predict_customers

    forecast = predict_customers(model.fit, model.customers, months * DAYS_PER_MONTH / DAYS_PER_UNIT[model.time_unit])
    churned = pd.to_datetime(model.customers["churned_at"]) < pd.Timestamp(2026, 1, 1)
    equity = float(np.where(churned, 0.0, forecast["expected_value"]).sum())
    return format_value(equity, "money", lang, 0, "RUB", compact=True)


def test_the_horizon_changes_the_forecast_from_the_same_fit_and_goes_in_the_link(tmp_path, monkeypatch, sample_db, model):
    app = open_app(tmp_path, monkeypatch, sample_db, "outlook")
    assert not app.exception
    control = app.segmented_control(key="outlook_horizon")
    assert control.options == ["12 months", "24 months", "36 months"] and control.value == "12"
    assert {m.label: m.value for m in app.metric}["Customer equity, 12 months"] == equity_over(model, 12, "en")
    control.set_value("36").run()
    assert not app.exception
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["Customer equity, 36 months"] == equity_over(model, 36, "en") != equity_over(model, 12, "en")
    assert app.query_params["outlook_horizon"] == "36"
    app.sidebar.segmented_control(key="lang").set_value("ru").run()
    assert {m.label: m.value for m in app.metric}["Ценность базы, 36 мес."] == equity_over(model, 36, "ru")


def test_a_link_with_a_horizon_opens_the_page_at_it(tmp_path, monkeypatch, sample_db, model):
    from streamlit.testing.v1 import AppTest

    from tests.test_app import ENTRY, ROOT

    monkeypatch.setenv("CX_DB", str(sample_db))
    script = tmp_path / "entry_outlook.py"
    script.write_text(ENTRY.format(root=str(ROOT), page="outlook"))
    app = AppTest.from_file(str(script), default_timeout=120)
    app.query_params["outlook_horizon"] = "24"
    app.run()
    assert not app.exception
    assert {m.label: m.value for m in app.metric}["Customer equity, 24 months"] == equity_over(model, 24, "en")


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "Refitting the forecast for the new data: step 1 of 1 — predicted lifetime value (55%)."),
    ("ru", "Пересчитываем прогноз по новым данным: шаг 1 из 1 — прогноз ценности клиентов (55\u00a0%)."),
])  # fmt: skip
def test_while_the_refit_runs_the_page_shows_its_progress_not_a_fit_of_its_own(tmp_path, monkeypatch, sample_db, lang,
                                                                               text):  # fmt: skip
    import shutil
    import time

    from cxdata.engine import fit_store

    db = tmp_path / "refitting.duckdb"
    shutil.copy(sample_db, db)
    now = time.time()
    fit_store.write_status(db, fit_store.RefitStatus(owner="t", state="running", steps=["clv"], step=1, fraction=0.55,
                                                     started_at=now, heartbeat_at=now))  # fmt: skip
    app = open_app(tmp_path, monkeypatch, db, "outlook")
    if lang == "ru":
        app.sidebar.segmented_control(key="lang").set_value("ru").run()
    assert not app.exception
    progress = app.get("progress")
    assert [p.proto.text for p in progress] == [text] and progress[0].proto.value == 55
    assert not app.metric  # no tiles until the stored fit is there
