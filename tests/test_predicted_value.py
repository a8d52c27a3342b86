"""The predicted LTV and LTV/CAC: revenue to date plus the stored forecast over 24 months, per
slice of the unit economics, checked against the same sum in plain pandas; shown beside the
revenue-to-date figures on the overview and the money page and printed by ``money``; and said
to be on its way, not a number, while the refit after a load runs."""

from __future__ import annotations

import json
import shutil
import time
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from cxdata.analysis.clv import DAYS_PER_MONTH, DAYS_PER_UNIT, predict_customers
from cxdata.cli import main
from cxdata.engine import fit_store
from cxdata.engine.db import open_snapshot, read_meta
from cxdata.engine.query import open_backend
from cxdata.i18n import display_name, format_value
from cxdata.model.filters import Filters
from cxdata.questions.clv import compute_clv_model
from cxdata.questions.money_units import fetch_unit_customers, fetch_unit_economics
from cxdata.questions.predicted_value import PREDICTED_HORIZON_MONTHS, forecast_for_ltv, predict_unit_economics
from tests.conftest import shown
from tests.test_app import clear_streamlit_caches, open_app  # noqa: F401 - the fixture clears caches

AS_OF = date(2025, 12, 31)
START, END = date(2025, 7, 1), date(2025, 12, 31)  # the CLI's and the pages' default half year ends here
CHANNEL = "social"


def fit_key_of(db) -> str:
    con = open_snapshot(db)
    try:
        return fit_store.fit_key(read_meta(con)["data_version"], AS_OF)
    finally:
        con.close()


@pytest.fixture(scope="module")
def stored(sample_db, tmp_path_factory):
    """(a copy of the sample with its CLV fit stored as the refit stores it, the fit)."""
    path = tmp_path_factory.mktemp("predicted") / "fitted.duckdb"
    shutil.copy(sample_db, path)
    model = compute_clv_model(open_backend(path), AS_OF)
    fit_store.write_fit(path, "clv", fit_key_of(path), model)
    return path, model


def pandas_predicted(db, model, channel: str) -> dict:
    """The channel's predicted LTV/CAC from the raw tables and the stored fit, in plain pandas:
    people first contacted in the period through ``channel``; paying = a positive transaction by
    the as-of day; revenue to date = their net amounts to the as-of day; CAC = everyone's cost /
    paying; expected value = BG/NBD purchases × Gamma-Gamma spend over 24 months of the stored
    parameters, 0 for a customer churned by the as-of date."""
    con = duckdb.connect(str(db), read_only=True)
    customers = con.execute("SELECT customer_id, signup_at, acquisition_channel, acquisition_cost FROM customers").df()
    transactions = con.execute("SELECT customer_id, occurred_at, amount FROM transactions").df()
    con.close()
    end_of_as_of = pd.Timestamp(AS_OF + timedelta(days=1))
    cohort = customers[(customers.signup_at >= pd.Timestamp(START)) & (customers.signup_at < pd.Timestamp(END + timedelta(days=1)))
                       & (customers.acquisition_channel == channel)]  # fmt: skip
    to_date = transactions[transactions.occurred_at < end_of_as_of]
    buyers = set(to_date.loc[to_date.amount > 0, "customer_id"])
    paying = cohort[cohort.customer_id.isin(buyers)]
    revenue = to_date[to_date.customer_id.isin(paying.customer_id)].amount.sum()
    cac = cohort.acquisition_cost.sum() / len(paying)

    everyone = model.customers
    horizon = PREDICTED_HORIZON_MONTHS * DAYS_PER_MONTH / DAYS_PER_UNIT[model.time_unit]
    forecast = predict_customers(model.fit, everyone, horizon)
    churned = pd.to_datetime(everyone.churned_at) < end_of_as_of
    expected = pd.Series(np.where(churned, 0.0, forecast.expected_value), index=everyone.customer_id)
    expected_sum = expected.reindex(paying.customer_id).fillna(0.0).sum()
    ltv = (revenue + expected_sum) / len(paying)
    return {"paying": len(paying), "revenue": revenue, "expected": expected_sum, "cac": cac, "predicted_ltv": ltv,
            "predicted_ltv_cac": ltv / cac}  # fmt: skip


def test_predicted_ltv_cac_of_a_channel_is_revenue_to_date_plus_the_forecast_over_cac(stored):
    db, model = stored
    expected = pandas_predicted(db, model, CHANNEL)
    backend = open_backend(db)
    filters = Filters(START, END)
    units = fetch_unit_economics(backend, filters, AS_OF)
    predicted = predict_unit_economics(units, fetch_unit_customers(backend, filters, AS_OF), forecast_for_ltv(model))
    row = predicted[(predicted.acquisition_channel == CHANNEL) & (predicted.cx_class == "all")].iloc[0]
    unit = units[(units.acquisition_channel == CHANNEL) & (units.cx_class == "all")].iloc[0]
    assert unit.paying == expected["paying"] and unit.cac == pytest.approx(expected["cac"], rel=1e-9)
    assert row.expected_value == pytest.approx(expected["expected"], rel=1e-9)
    assert row.predicted_ltv == pytest.approx(expected["predicted_ltv"], rel=1e-9)
    assert row.predicted_ltv_cac == pytest.approx(expected["predicted_ltv_cac"], rel=1e-9)
    assert row.predicted_ltv_cac > unit.ltv_cac  # the forecast only adds


def test_the_paying_customers_are_the_same_from_the_saved_copy_and_the_raw_tables(stored):
    db, _ = stored
    backend = open_backend(db)
    for filters in (Filters(START, END), Filters(date(2025, 1, 1), date(2025, 6, 30), segments=("SMB",))):
        saved = fetch_unit_customers(backend, filters, AS_OF).sort_values("customer_id", ignore_index=True)
        raw = fetch_unit_customers.definition(backend, filters, AS_OF).sort_values("customer_id", ignore_index=True)
        pd.testing.assert_frame_equal(saved, raw, check_dtype=False)


def test_money_prints_the_predicted_fields(stored, capsys):
    db, model = stored
    expected = pandas_predicted(db, model, CHANNEL)
    assert main(["money", "--db", str(db), "--start", START.isoformat(), "--end", END.isoformat()]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["predicted"] == {"method": "predicted: revenue to date + BG/NBD/Gamma-Gamma forecast over 24 months",
                                   "horizon_months": 24, "state": "ready", "reason": None}  # fmt: skip
    channel = report["unit_economics"][CHANNEL]
    assert channel["predicted_ltv_cac"] == pytest.approx(expected["predicted_ltv_cac"], rel=1e-9)
    assert channel["ltv_cac"] < channel["predicted_ltv_cac"]
    assert all("predicted_ltv" in row for row in channel["by_nps_class"].values())


def test_money_says_why_there_is_no_predicted_value_yet(sample_db, tmp_path, capsys):
    db = tmp_path / "unfitted.duckdb"
    shutil.copy(sample_db, db)
    assert main(["money", "--db", str(db), "--lang", "ru"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["predicted"]["state"] == "missing" and report["predicted"]["reason"].startswith("прогнозная LTV: недоступна")
    assert report["unit_economics"][CHANNEL]["predicted_ltv"] is None
    # A refit is running for the new data: "being computed", still no number.
    now = time.time()
    fit_store.write_status(db, fit_store.RefitStatus(owner="t", state="running", steps=["clv"], step=1,
                                                     started_at=now, heartbeat_at=now))  # fmt: skip
    assert main(["money", "--db", str(db)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["predicted"]["reason"] == "predicted LTV: being computed after the latest load"
    assert report["unit_economics"]["all"]["predicted_ltv_cac"] is None
    assert report["unit_economics"]["all"]["ltv_cac"] is not None  # revenue to date stays


def test_the_overview_tile_shows_the_predicted_ratio_beside_the_historical_one(stored, tmp_path, monkeypatch):
    db, model = stored
    backend = open_backend(db)
    filters = Filters(START, END)
    units = fetch_unit_economics(backend, filters, AS_OF)
    predicted = predict_unit_economics(units, fetch_unit_customers(backend, filters, AS_OF), forecast_for_ltv(model))
    ratio = predicted[(predicted.acquisition_channel == "all") & (predicted.cx_class == "all")].predicted_ltv_cac.iloc[0]
    app = open_app(tmp_path, monkeypatch, db, "overview")
    assert not app.exception
    notes = [shown(c.value) for c in app.caption]
    assert any(f"predicted {format_value(ratio, 'ratio', 'en', 2)} (revenue to date + BG/NBD/Gamma-Gamma forecast "
               "over 24 months)" in note for note in notes), notes  # fmt: skip
    assert any("Predicted: revenue to date" in m.help for m in app.metric if m.label == "LTV / CAC")
    app.sidebar.segmented_control(key="lang").set_value("ru").run()
    notes = [shown(c.value) for c in app.caption]
    assert any(f"прогноз {format_value(ratio, 'ratio', 'ru', 2)} (выручка на сегодня" in note for note in notes), notes


def test_the_money_page_adds_the_predicted_columns(stored, tmp_path, monkeypatch):
    db, model = stored
    expected = pandas_predicted(db, model, CHANNEL)
    app = open_app(tmp_path, monkeypatch, db, "money")
    assert not app.exception
    table = next(d.value for d in app.dataframe if "Predicted LTV / CAC" in d.value.columns
                 and "Class" not in d.value.columns)  # fmt: skip
    row = table[table["Acquisition channel"] == display_name("acquisition_channel", CHANNEL, "en")].iloc[0]  # "Social"
    assert row["Predicted LTV / CAC"] == format_value(expected["predicted_ltv_cac"], "ratio", "en", 2)
    columns = list(table.columns)
    assert columns.index("Predicted LTV") == columns.index("LTV / CAC") + 1  # next to the revenue-to-date one


def test_the_pages_say_the_predicted_value_is_on_its_way_while_the_refit_runs(sample_db, tmp_path, monkeypatch):
    db = tmp_path / "refitting.duckdb"
    shutil.copy(sample_db, db)
    now = time.time()
    fit_store.write_status(db, fit_store.RefitStatus(owner="t", state="running", steps=["clv"], step=1, fraction=0.2,
                                                     started_at=now, heartbeat_at=now))  # fmt: skip
    app = open_app(tmp_path, monkeypatch, db, "overview")
    assert not app.exception
    assert any("predicted LTV: being computed after the latest load" in shown(c.value) for c in app.caption)
    app = open_app(tmp_path, monkeypatch, db, "money")
    assert not app.exception
    assert "predicted LTV: being computed after the latest load" in [c.value for c in app.caption]
    assert not any("Predicted LTV" in d.value.columns for d in app.dataframe)
