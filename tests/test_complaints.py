"""The complaints page's numbers: hand-checked on six complaints, and against pandas on the sample."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cxdata.engine.query import open_backend
from cxdata.model.filters import Filters
from cxdata.presentation.complaints_view import build_headline
from cxdata.questions.complaints import fetch_complaints_view, fetch_verbatims
from cxdata.questions.overview import fetch_as_of, fetch_target_table
from tests.conftest import ROOT, insert_rows

AS_OF = date(2025, 3, 31)
Q1 = Filters(date(2025, 1, 1), date(2025, 3, 31))
HOSTILE = "**bold** <img src=http://x>"

CUSTOMERS = [
    # id, signup_at, segment, region, channel
    ("a1", "2024-11-01", "Retail", "Ural", "web"),  # active all quarter
    ("a2", "2024-11-01", "Retail", "Ural", "web"),  # active at the start, churns 15 Feb
    ("a3", "2025-01-20", "Retail", "Siberia", "web"),  # first purchase 1 Feb
    ("a4", "2024-10-01", "Retail", "Siberia", "web"),  # churned before the quarter
    ("a5", "2025-01-05", "Retail", "Ural", "web"),  # a lead: never buys
]
TRANSACTIONS = [
    # id, customer, occurred_at, amount
    ("t1", "a1", "2024-12-01", 100.0), ("t2", "a2", "2024-12-05", 200.0), ("t3", "a3", "2025-02-01", 300.0),
    ("t4", "a3", "2025-03-10", -50.0), ("t5", "a4", "2024-11-01", 80.0),
]  # fmt: skip
CHURN = [("a2", "2025-02-15", "price"), ("a4", "2024-12-20", "price")]
COMPLAINTS = [
    # id, customer, opened_at, resolved_at, touchpoint, channel, category, text
    ("k1", "a1", "2025-01-10 00:00", "2025-01-10 12:00", "repeat_purchase", "web", "billing", "late bill"),  # 12 h
    ("k2", "a1", "2025-01-20 00:00", "2025-01-22 00:00", "repeat_purchase", "web", "billing", "again"),  # 48 h: overdue
    ("k3", "a2", "2025-02-01 00:00", None, "onboarding", "branch", "delivery_delay", "where is it"),  # open: overdue
    ("k4", "a3", "2025-03-01 00:00", "2025-03-02 06:00", "onboarding", "web", "delivery_delay", "ok"),  # 30 h
    ("k5", "a3", "2025-03-31 12:00", None, "repeat_purchase", "web", "staff_rudeness", HOSTILE),  # no standard
    ("k6", None, "2025-03-15 00:00", "2025-04-10 00:00", "repeat_purchase", "web", "billing", None),  # resolved after as-of
    ("k7", "a1", "2024-12-30 00:00", None, "repeat_purchase", "web", "billing", "old"),  # before the quarter
]
TARGETS = [
    # metric, target_value, segment, valid_from, valid_to, category
    ("nps", 30.0, None, "2024-01-01", None, None),
    ("resolution_hours", 24.0, None, "2024-01-01", None, "billing"),
    ("resolution_hours", 48.0, None, "2024-01-01", None, "delivery_delay"),
    ("resolution_hours", 1.0, None, "2023-01-01", "2024-06-30", "staff_rudeness"),  # expired
]


@pytest.fixture
def hand_db(empty_db):
    con = duckdb.connect(str(empty_db))
    for table, rows in (("customers", CUSTOMERS), ("transactions", TRANSACTIONS), ("churn_events", CHURN),
                        ("complaints", COMPLAINTS), ("targets", TARGETS)):  # fmt: skip
        insert_rows(con, table, rows)
    con.execute("INSERT INTO meta VALUES ('as_of', '2025-03-31')")
    con.close()
    return empty_db


def view_of(path, filters=Q1):
    db = open_backend(path)
    return fetch_complaints_view(db, filters, AS_OF, fetch_target_table(db))


def test_hand_checked_numbers(hand_db):
    view = view_of(hand_db)
    values = {name: (value.value, value.n) for name, value in view.metrics.items()}
    assert values["complaints"] == (6.0, 6)  # k1…k6; k7 is older
    # a1, a2, a3 active in the quarter (a4 churned before it, a5 never paid): 1000 × 6 / 3
    assert values["complaint_rate"] == (pytest.approx(2000.0), 3)
    assert values["unresolved_share"] == (pytest.approx(50.0), 6)  # k3, k5 and k6 (resolved after the as-of date)
    assert values["resolution_hours"] == (pytest.approx(30.0), 3)  # median of 12, 48 and 30 hours
    # five have a standard (not staff rudeness: its only one expired); k2 (48 > 24), k3 and k6 are overdue
    assert values["overdue_share"] == (pytest.approx(60.0), 5)
    assert view.targets == {"billing": 24.0, "delivery_delay": 48.0}
    # active on 1 Jan: a1 (no unresolved complaint, stays) and a2 (k3 unresolved, churns 15 Feb)
    assert (view.churn["unresolved"].value, view.churn["unresolved"].n) == (pytest.approx(100.0), 1)
    assert (view.churn["others"].value, view.churn["others"].n) == (pytest.approx(0.0), 1)
    # a3 waits on k5 and has not churned: 300 − 50 of the last 12 months
    assert values["revenue_at_stake"] == (pytest.approx(250.0), 1)


def test_hand_checked_months_and_breakdowns(hand_db):
    view = view_of(hand_db)
    months = view.months.set_index("period_start")
    # Jan: k1, k2 over a1, a2; Feb: k3 over a1, a2, a3; Mar: k4, k5, k6 over a1, a3
    assert months["complaints"].tolist() == [2, 1, 3] and months["active_customers"].tolist() == [2, 3, 2]
    assert months["rate"].tolist() == pytest.approx([1000.0, 1000 / 3, 1500.0])
    rows = view.breakdown.set_index(["dimension", "value"])
    assert rows.loc[("region", "Ural"), "rate"] == pytest.approx(1500.0)  # k1, k2, k3 over a1, a2
    assert rows.loc[("region", "Siberia"), "rate"] == pytest.approx(2000.0)  # k4, k5 over a3
    assert rows.loc[("region", "not_stated"), "complaints"] == 1 and pd.isna(rows.loc[("region", "not_stated"), "rate"])
    billing = rows.loc[("category", "billing")]
    assert (billing["complaints"], billing["overdue"], billing["target_hours"]) == (3, 2, 24.0)
    assert billing["median_hours"] == pytest.approx(30.0)  # 12 and 48 hours
    assert rows.loc[("channel", "branch"), "unresolved_share"] == pytest.approx(100.0)


def test_filters_narrow_the_complaints(hand_db):
    view = view_of(hand_db, Filters(Q1.start, Q1.end, regions=("Siberia",)))
    assert (view.metrics["complaints"].n, view.metrics["unresolved_share"].value) == (2, pytest.approx(50.0))
    texts = fetch_verbatims(open_backend(hand_db), Q1, AS_OF, category="staff_rudeness")
    assert texts["text"].tolist() == [HOSTILE]


def test_siberia_against_pandas_on_the_sample(sample_db):
    db = open_backend(sample_db)
    as_of = fetch_as_of(db)
    filters = Filters(date(2025, 1, 1), as_of, regions=("Siberia",))
    view = fetch_complaints_view(db, filters, as_of, fetch_target_table(db))
    con = duckdb.connect(str(sample_db), read_only=True)
    complaints = con.execute("SELECT c.* FROM complaints c JOIN customers USING (customer_id) "
                             "WHERE region = 'Siberia' AND opened_at >= '2025-01-01' AND opened_at < ?",
                             [pd.Timestamp(as_of) + pd.Timedelta(days=1)]).df()  # fmt: skip
    con.close()
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    unresolved = complaints["resolved_at"].isna() | (complaints["resolved_at"] >= end)
    resolved_hours = (complaints["resolved_at"] - complaints["opened_at"])[~unresolved].dt.total_seconds() / 3600
    assert view.metrics["complaints"].n == len(complaints)
    assert view.metrics["unresolved_share"].value == pytest.approx(100 * unresolved.mean())
    assert 33 < view.metrics["unresolved_share"].value < 43  # the sample resolves fewer in Siberia (~38%)
    assert view.metrics["resolution_hours"].value == pytest.approx(resolved_hours.median(), rel=1e-9)


def test_the_headline_names_siberia_without_a_filter(sample_db):
    """A director opening the page sees where complaints stay open without knowing it: Siberia's
    share against the other regions', both counted here in SQL."""
    db = open_backend(sample_db)
    as_of = fetch_as_of(db)
    view = fetch_complaints_view(db, Filters(date(2025, 1, 1), as_of), as_of, fetch_target_table(db))
    con = duckdb.connect(str(sample_db), read_only=True)
    siberia, others = con.execute(
        "SELECT c.region = 'Siberia', count(*), count(*) FILTER (WHERE resolved_at IS NULL OR resolved_at >= ?) "
        "FROM complaints JOIN customers c USING (customer_id) WHERE opened_at >= '2025-01-01' AND opened_at < ? "
        "GROUP BY 1 ORDER BY 1 DESC", [pd.Timestamp(as_of) + pd.Timedelta(days=1)] * 2).fetchall()
    con.close()
    headline = build_headline(view, "en")
    share, rest = 100 * siberia[2] / siberia[1], 100 * others[2] / others[1]
    assert f"Most left unresolved: Siberia, {share:.1f}% of its {siberia[1]:,} complaints against {rest:.1f}%" in headline
    assert "Больше всего нерешённых: Сибирь" in build_headline(view, "ru")


@pytest.fixture
def clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def test_page_shows_a_hostile_text_literally_and_in_russian(hand_db, tmp_path, monkeypatch, clear_caches):
    monkeypatch.setenv("CX_DB", str(hand_db))
    script = tmp_path / "entry.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport dashboard\n"
                      "dashboard.main(default_page='complaints')\n")  # fmt: skip
    app = AppTest.from_file(str(script), default_timeout=120)
    app.query_params["f_period"] = "custom"
    app.query_params["f_dates"] = ["2025-01-01", "2025-03-31"]
    app.run()
    assert not app.exception
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["Complaints"] == "6" and tiles["Unresolved complaints"] == "50.0%"
    assert tiles["Median resolution time"] == "30.0 h" and tiles["Overdue complaints"] == "60.0%"
    texts = app.dataframe[-1].value
    assert HOSTILE in texts["Complaint"].tolist()  # the table cell holds the text as it is
    shown = [element.value for element in [*app.markdown, *app.caption, *app.info]]
    assert not any("<img" in text or "**bold**" in text for text in shown)
    app.session_state["lang"] = "ru"
    app.run()
    assert not app.exception
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["Нерешённые жалобы"] == "50,0\u00a0%" and tiles["Медианное время решения"] == "30,0 ч"
    table = app.dataframe[-1].value
    assert set(table["Категория"]) == {"Списания и счета", "Задержка доставки", "Грубость персонала"}


def test_values_are_named_for_the_reader():
    from cxdata.presentation.complaints_view import display_value

    assert display_value("category", "not_stated", "ru", {}) == "Не указано"  # a complaint without a category
    assert display_value("touchpoint", "not_stated", "en", {}) == "Not stated"
    assert display_value("category", "billing", "ru", {}) == "Списания и счета"
    assert display_value("region", "Siberia", "ru", {}) == "Сибирь"
    assert display_value("touchpoint", "payment", "ru", {"payment": "Оплата"}) == "Оплата"
