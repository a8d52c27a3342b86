"""Anonymous revenue and complaints: loaded on purpose without a customer, counted and shown as such.

Three anonymous purchases of known amounts (12,000,000.50 + 8,000,000 + 4,999,999.50 = 25,000,000)
and two anonymous complaints are loaded into a copy of the test sample through the CLI, as an
analyst would. Their part of revenue must be that hand sum on both paths: the rollups (fresh after
the load) and the definitions on the raw tables (rollups marked stale); the share is checked
against revenue summed by pandas from the raw rows; the overview's revenue tile says it in
English and Russian.
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import duckdb
import pytest
import streamlit as st

from cxdata.cli import main
from cxdata.engine.query import open_backend
from cxdata.engine.router import CURRENT, saved_copy_answers
from cxdata.model.filters import Filters
from cxdata.questions.metrics import compute_metrics
from tests.conftest import copy_with_stale_rollups, shown
# The AppTest entry and its fixture that clears Streamlit's caches around each test.
from tests.test_app import clear_streamlit_caches, open_app  # noqa: F401

ANONYMOUS_PURCHASES = """transaction_id,occurred_at,amount,channel
anon-1,2025-10-20 12:00,12000000.50,web
anon-2,2025-11-05 09:30,8000000.00,branch
anon-3,2025-12-10 18:45,4999999.50,web
"""
ANONYMOUS_COMPLAINTS = """complaint_id,opened_at,category,channel
anon-k1,2025-11-03 10:00,billing,web
anon-k2,2025-12-01 11:00,billing,web
"""
Q4 = Filters(date(2025, 10, 1), date(2025, 12, 31))
DECEMBER = Filters(date(2025, 12, 1), date(2025, 12, 31))
# The dashboard's default view of the sample (last 6 months to the as-of date, 31 Dec 2025).
HALF_YEAR = Filters(date(2025, 7, 1), date(2025, 12, 31))
AS_OF = date(2025, 12, 31)


@pytest.fixture(scope="module")
def anonymous_db(sample_db, tmp_path_factory):
    """The sample with the anonymous extracts loaded (rollups refreshed by the load)."""
    folder = tmp_path_factory.mktemp("anonymous")
    path = folder / "anonymous.duckdb"
    shutil.copy(sample_db, path)
    (folder / "purchases.csv").write_text(ANONYMOUS_PURCHASES)
    (folder / "complaints.csv").write_text(ANONYMOUS_COMPLAINTS)
    for table, name in (("transactions", "purchases.csv"), ("complaints", "complaints.csv")):
        assert main(["load", table, str(folder / name), "--db", str(path), "--anonymous"]) == 0
    return path


@pytest.fixture(scope="module")
def anonymous_stale_db(anonymous_db, tmp_path_factory):
    return copy_with_stale_rollups(anonymous_db, tmp_path_factory.mktemp("anonymous_stale") / "stale.duckdb")


def revenue_by_pandas(path, period: Filters) -> float:
    """Net revenue of the period from the raw rows, summed in pandas."""
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute("SELECT occurred_at, amount FROM transactions").df()
    con.close()
    day = rows["occurred_at"].dt.date
    return float(rows.loc[(day >= period.start) & (day <= period.end), "amount"].sum())


@pytest.mark.parametrize("path", ["rollups", "raw tables"])
@pytest.mark.parametrize(("period", "amount", "count"), [
    (Q4, 25_000_000.0, 3),
    (DECEMBER, 4_999_999.5, 1),
    (Filters(date(2025, 1, 1), date(2025, 6, 30)), 0.0, 0),
])
def test_anonymous_revenue_is_the_hand_sum_on_both_paths(anonymous_db, anonymous_stale_db, path, period, amount,
                                                         count):  # fmt: skip
    db = open_backend(anonymous_db if path == "rollups" else anonymous_stale_db)
    assert saved_copy_answers(CURRENT, db) == (path == "rollups")
    values = compute_metrics(db, period, AS_OF)
    assert values["anonymous_revenue"].value == pytest.approx(amount, abs=1e-6)
    assert values["anonymous_revenue"].n == count
    revenue = revenue_by_pandas(anonymous_db, period)
    assert values["revenue"].value == pytest.approx(revenue, rel=1e-12)
    assert values["anonymous_revenue_share"].value == pytest.approx(100 * amount / revenue, rel=1e-9)


@pytest.mark.parametrize("path", ["rollups", "raw tables"])
def test_cli_metrics_print_the_anonymous_parts(anonymous_db, anonymous_stale_db, path, capsys):
    db = anonymous_db if path == "rollups" else anonymous_stale_db
    assert main(["metrics", "--db", str(db), "--start", "2025-10-01", "--end", "2025-12-31"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed)[3:6] == ["revenue", "anonymous_revenue", "anonymous_revenue_share"]
    assert printed["anonymous_revenue"] == {"value": pytest.approx(25_000_000.0), "n": 3, "low": None, "high": None}
    share = 100 * 25_000_000.0 / revenue_by_pandas(anonymous_db, Q4)
    assert printed["anonymous_revenue_share"]["value"] == pytest.approx(share, rel=1e-9)
    assert printed["anonymous_complaints"]["value"] == 2 and printed["anonymous_complaints"]["n"] == 2


def test_arpu_leaves_the_anonymous_revenue_out(sample_db, anonymous_db):
    before = compute_metrics(open_backend(sample_db), Q4, AS_OF)
    after = compute_metrics(open_backend(anonymous_db), Q4, AS_OF)
    assert after["revenue"].value == pytest.approx(before["revenue"].value + 25_000_000.0)
    assert (after["arpu"].value, after["arpu"].n) == (before["arpu"].value, before["arpu"].n)


def test_no_anonymous_rows_no_anonymous_part(sample_db):
    values = compute_metrics(open_backend(sample_db), Q4, AS_OF)
    assert (values["anonymous_revenue"].value, values["anonymous_revenue"].n) == (0.0, 0)
    assert (values["anonymous_complaints"].value, values["anonymous_complaints"].n) == (0.0, 0)


# --- the overview says it --------------------------------------------------------------------------


def plain_notes(app) -> list[str]:
    """The captions as read, with no-break spaces as spaces."""
    return [shown(c.value).replace("\xa0", " ").replace("\u202f", " ") for c in app.caption]


def test_overview_revenue_tile_says_the_anonymous_part(anonymous_db, sample_db, tmp_path, monkeypatch):
    share = 100 * 25_000_000.0 / revenue_by_pandas(anonymous_db, HALF_YEAR)
    app = open_app(tmp_path, monkeypatch, anonymous_db)
    assert not app.exception
    english = f"of which 25,000,000 RUB ({share:.1f}%) anonymous — loaded without a customer"
    assert sum(english in note for note in plain_notes(app)) == 1
    revenue = next(m for m in app.metric if m.label.startswith("Revenue"))
    assert "**Anonymous revenue**" in revenue.help

    app.sidebar.segmented_control(key="lang").set_value("ru").run()
    assert not app.exception
    russian = f"в том числе 25 000 000 RUB ({share:.1f} %) анонимно — загружено без клиента".replace(".", ",")
    assert sum(russian in note for note in plain_notes(app)) == 1
    assert not any("anonymous" in note for note in plain_notes(app))
    revenue = next(m for m in app.metric if m.label.startswith("Выручка"))
    assert "**Анонимная выручка**" in revenue.help

    st.cache_data.clear()
    st.cache_resource.clear()
    plain = open_app(tmp_path, monkeypatch, sample_db)
    assert not any("anonymous" in note for note in plain_notes(plain))


@pytest.mark.browser
def test_the_browser_shows_the_anonymous_part_under_the_revenue_tile(anonymous_db, tmp_path, browser):
    """What a person sees in Chromium: the note under the revenue tile, in English and in Russian."""
    from tests.browser import streamlit_server, wait_for_run

    share = 100 * 25_000_000.0 / revenue_by_pandas(anonymous_db, HALF_YEAR)
    english = f"of which 25,000,000 RUB ({share:.1f}%) anonymous — loaded without a customer"
    russian = f"в том числе 25 000 000 RUB ({share:.1f} %) анонимно — загружено без клиента".replace(".", ",")
    with streamlit_server(anonymous_db, tmp_path / "server.log", address="127.0.0.1") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        for lang, label, note in (("en", "Revenue", english), ("ru", "Выручка", russian)):
            page.goto(f"{url}/?lang={lang}")
            wait_for_run(page)
            tile = page.locator("[data-testid='stColumn']").filter(
                has=page.locator("[data-testid='stMetricLabel']", has_text=label)).last
            text = tile.inner_text().replace("\xa0", " ").replace("\u202f", " ").replace("\u2060", "")
            assert note in text, text
        page.close()
