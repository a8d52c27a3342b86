"""Every page run through Streamlit's AppTest with the real entrypoint and its global filters.

Trap: with a ``pages/`` folder beside the script, AppTest falls back to folder-based multipage
mode after the first rerun (the entrypoint's filters vanish). So each test runs a one-line entry
script from a temporary folder that has no ``pages/`` beside it; it calls the real
``dashboard.main`` with the page to open, and ``test_filters_survive_reruns`` proves the
filters are still there after reruns.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cxdata.engine.query import open_backend
from cxdata.i18n import format_period, format_value
from cxdata.model.filters import DEFAULT_PRESET, Filters, preset_range
from cxdata.model.registry import METRICS
from cxdata.questions.metrics import compute_metrics
from cxdata.questions.overview import fetch_as_of, fetch_data_start
from tests.conftest import ROOT, shown

PAGES = ["overview", "journey", "money"]
ENTRY = "import sys\nsys.path.insert(0, {root!r})\nimport dashboard\ndashboard.main(default_page={page!r})\n"


@pytest.fixture(autouse=True)
def clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def open_app(tmp_path, monkeypatch, db_path, page="overview") -> AppTest:
    monkeypatch.setenv("CX_DB", str(db_path))
    script = tmp_path / f"entry_{page}.py"
    script.write_text(ENTRY.format(root=str(ROOT), page=page))
    app = AppTest.from_file(str(script), default_timeout=120)
    app.run()
    return app


def tile_values(app) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def expected_tile(db_path, filters: Filters, metric: str, lang="en") -> str:
    db = open_backend(db_path)
    value = compute_metrics(db, filters, fetch_as_of(db))[metric].value
    spec = METRICS[metric]
    return format_value(value, spec.unit, lang, spec.decimals, "RUB")


def default_filters(db_path, **dimensions) -> Filters:
    as_of = fetch_as_of(open_backend(db_path))
    return Filters(*preset_range(DEFAULT_PRESET, as_of), **dimensions)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_the_global_filters(tmp_path, monkeypatch, sample_db, page):
    app = open_app(tmp_path, monkeypatch, sample_db, page)
    assert not app.exception
    assert {w.key for w in app.sidebar.multiselect} == {"f_segment", "f_region", "f_channel", "f_acq"}
    app.sidebar.multiselect(key="f_region").select("Siberia").run()
    assert not app.exception
    app.sidebar.selectbox(key="f_period").select("last_12m").run()
    assert not app.exception


def test_overview_tiles_match_the_metric_layer(tmp_path, monkeypatch, sample_db):
    app = open_app(tmp_path, monkeypatch, sample_db)
    tiles = tile_values(app)
    filters = default_filters(sample_db)
    for metric in ("nps", "csat", "ces", "churn_rate"):
        assert tiles[METRICS[metric].label_en] == expected_tile(sample_db, filters, metric)
    assert app.title[0].value == "Overview"
    assert "Data as of 31 Dec 2025" in shown(app.caption[0].value)


def test_filters_survive_reruns_and_change_the_numbers(tmp_path, monkeypatch, sample_db):
    app = open_app(tmp_path, monkeypatch, sample_db)
    app.sidebar.multiselect(key="f_segment").select("Premium").run()
    app.run()  # a second rerun: the folder-mode fallback would drop the sidebar filters here
    assert app.sidebar.multiselect(key="f_segment").value == ["Premium"]
    filters = default_filters(sample_db, segments=("Premium",))
    assert tile_values(app)["NPS"] == expected_tile(sample_db, filters, "nps")
    assert "Segment: Premium" in shown(app.caption[0].value)


def test_russian_interface_keeps_the_filters(tmp_path, monkeypatch, sample_db):
    app = open_app(tmp_path, monkeypatch, sample_db)
    app.sidebar.multiselect(key="f_channel").select("web").run()
    app.sidebar.segmented_control(key="lang").set_value("ru").run()
    assert not app.exception
    assert app.title[0].value == "Обзор"
    assert app.sidebar.multiselect(key="f_channel").value == ["web"]
    filters = default_filters(sample_db, channels=("web",))
    assert tile_values(app)["CSAT"] == expected_tile(sample_db, filters, "csat", lang="ru")


@pytest.mark.parametrize("page", PAGES)
def test_an_empty_database_welcomes_instead_of_empty_charts(tmp_path, monkeypatch, empty_db, page):
    app = open_app(tmp_path, monkeypatch, empty_db, page)
    assert not app.exception
    assert shown(app.title[0].value) == "Welcome: a workspace for your own data"
    assert not app.metric and not app.get("plotly_chart")
    assert "2. **Transactions** (`transactions`): purchases and refunds" in app.markdown[0].value


def add_one_lead(db_path) -> None:
    """One customer first contacted on 1 Mar 2025 and nothing else: the data's as-of date."""
    con = duckdb.connect(str(db_path))
    con.execute("INSERT INTO customers (customer_id, signup_at) VALUES ('lead-1', TIMESTAMP '2025-03-01 10:00')")
    con.close()


def test_a_selection_without_data_shows_a_message_not_a_traceback(tmp_path, monkeypatch, empty_db):
    add_one_lead(empty_db)
    app = open_app(tmp_path, monkeypatch, empty_db)
    assert not app.exception
    app.sidebar.selectbox(key="f_period").select("last_fy").run()  # the calendar year 2024: nothing
    assert not app.exception
    assert [shown(w.value) for w in app.warning] == [
        "No data for this selection (1 Jan 2024 – 31 Dec 2024 · all customers). Widen the period or remove some filters."]


def test_unreadable_database_shows_a_message(tmp_path, monkeypatch):
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"this is not a database")
    app = open_app(tmp_path, monkeypatch, broken)
    assert not app.exception
    assert [e.value for e in app.error] == ["The database file broken.duckdb is damaged and cannot be read; no numbers "
                                            "are shown rather than wrong ones. Ask an administrator to restore it "
                                            "from a backup."]


def test_custom_dates_and_reset(tmp_path, monkeypatch, sample_db):
    app = open_app(tmp_path, monkeypatch, sample_db)
    app.sidebar.selectbox(key="f_period").select("custom").run()
    app.sidebar.date_input(key="f_dates").set_value((date(2025, 10, 6), date(2025, 11, 2))).run()
    assert not app.exception
    assert "6 Oct 2025 – 2 Nov 2025" in shown(app.caption[0].value)
    app.sidebar.date_input(key="f_dates").set_value((date(2025, 10, 6),)).run()  # half-picked range
    assert not app.exception and app.metric
    app.sidebar.multiselect(key="f_segment").select("SMB").run()
    app.sidebar.button(key="f_reset").click().run()
    assert app.sidebar.selectbox(key="f_period").value == "last_6m"
    assert app.sidebar.multiselect(key="f_segment").value == []
    assert "1 Jul 2025 – 31 Dec 2025 · all customers" in shown(app.caption[0].value)


@pytest.mark.parametrize(("page", "message"), [
    ("journey", "not available: no journey stages loaded — load journey stages"),
    ("money", "No paying customers"),
])  # fmt: skip
def test_pages_of_a_database_without_their_data_say_so(tmp_path, monkeypatch, empty_db, page, message):
    """The pages run their queries together (``ui.load_many``, in threads); on a database with one
    lead and nothing else the page says what is missing (and what to load), never a traceback."""
    add_one_lead(empty_db)
    app = open_app(tmp_path, monkeypatch, empty_db, page)
    assert not app.exception
    said = [shown(element.value) for element in (*app.warning, *app.info)]
    assert any(message in text for text in said), said


def test_query_backends_are_reused_per_snapshot_and_dropped_after_an_error(sample_db, empty_db):
    from cxdata.app import ui
    from cxdata.app.ui import DataKey

    data = DataKey(path=str(sample_db), version="")
    with ui.backend(data) as first, ui.backend(data) as second:  # the first is busy: another one
        assert second is not first
    with ui.backend(data) as again:
        assert again is first or again is second  # an idle one comes back
    with pytest.raises(ZeroDivisionError), ui.backend(data) as failed:
        failed.con.execute("SELECT 1").fetchall()
        raise ZeroDivisionError
    for _ in range(3):
        with ui.backend(data) as db:
            assert db is not failed  # a backend whose work raised is never handed out again
    with ui.backend(DataKey(path=str(empty_db), version="")) as other:
        assert other is not first and other is not second  # each database file has its own
        assert other.con.execute("SELECT count(*) FROM transactions").fetchall() == [(0,)]


def test_a_snapshot_backend_looks_each_table_up_once(sample_db, monkeypatch):
    from cxdata.engine.db import open_snapshot, snapshot_cursor
    from cxdata.engine.query import SnapshotBackend, open_snapshot_backend

    lookups = []
    original = SnapshotBackend.get_schema
    monkeypatch.setattr(SnapshotBackend, "get_schema", lambda self, name, **kw: lookups.append(name) or original(self, name, **kw))
    db = open_snapshot_backend(snapshot_cursor(open_snapshot(str(sample_db))))
    surveys = db.table("surveys")
    assert db.table("surveys") is surveys and lookups == ["surveys"]
    expected = open_backend(sample_db).table("surveys").count().execute()
    assert db.table("surveys").count().execute() == expected > 0


def open_link(tmp_path, monkeypatch, db_path, query: dict) -> AppTest:
    """The overview opened from a link (``query``: the URL's parameters)."""
    monkeypatch.setenv("CX_DB", str(db_path))
    script = tmp_path / "entry_link.py"
    script.write_text(ENTRY.format(root=str(ROOT), page="overview"))
    app = AppTest.from_file(str(script), default_timeout=120)
    for key, value in query.items():
        app.query_params[key] = value
    app.run()
    return app


def data_range(db_path) -> tuple[date, date]:
    db = open_backend(db_path)
    return fetch_data_start(db), fetch_as_of(db)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_link_reaching_past_the_data_is_cut_to_it_and_says_so(tmp_path, monkeypatch, sample_db, lang):
    data_start, as_of = data_range(sample_db)
    app = open_link(tmp_path, monkeypatch, sample_db,
                    {"f_period": "custom", "f_dates": ["1990-01-01", "2030-12-31"], "lang": lang})
    assert not app.exception
    data = format_period(data_start, as_of, lang)
    expected = {
        "en": f"The link asked for 1 Jan 1990 – 31 Dec 2030; the data covers {data}, so shown: {data}.",
        "ru": f"Ссылка запрашивала период 1 янв 1990 – 31 дек 2030; данные есть за {data}, поэтому показан период {data}.",
    }[lang]
    assert expected in [w.value for w in app.sidebar.warning]
    assert app.sidebar.date_input(key="f_dates").value == (data_start, as_of)
    clamped = Filters(data_start, as_of)
    assert data in shown(app.caption[0].value)
    assert tile_values(app)["NPS"] == expected_tile(sample_db, clamped, "nps", lang)
    app.run()  # still said on a rerun, while the range is the link's
    assert expected in [w.value for w in app.sidebar.warning]


def test_a_link_starting_before_the_data_keeps_its_end(tmp_path, monkeypatch, sample_db):
    data_start, as_of = data_range(sample_db)
    app = open_link(tmp_path, monkeypatch, sample_db, {"f_period": "custom", "f_dates": ["1990-01-01", "2025-11-02"]})
    assert not app.exception
    assert (f"The link asked for 1 Jan 1990 – 2 Nov 2025; the data covers {format_period(data_start, as_of, 'en')}, "
            f"so shown: {format_period(data_start, date(2025, 11, 2), 'en')}.") in [w.value for w in app.sidebar.warning]
    assert tile_values(app)["NPS"] == expected_tile(sample_db, Filters(data_start, date(2025, 11, 2)), "nps")
    app.sidebar.date_input(key="f_dates").set_value((date(2025, 10, 6), date(2025, 11, 2))).run()
    assert not any(w.value.startswith("The link asked") for w in app.sidebar.warning)  # a range picked by hand


@pytest.mark.parametrize(("dates", "en", "ru"), [
    (["2025-13-01", "**x** :red[y]"], "The dates in this link (2025\\-13\\-01 – \\*\\*x\\*\\* \\:\u2060red\\[y\\]) "
     "could not be read; they were ignored, shown: 1 Jul 2025 – 31 Dec 2025.",
     "Даты в ссылке (2025\\-13\\-01 – \\*\\*x\\*\\* \\:\u2060red\\[y\\]) не удалось прочитать; они не применены, "
     "показан период 1 июл 2025 – 31 дек 2025."),
    (["2031-01-01", "2031-02-01"], "The link asked for 1 Jan 2031 – 1 Feb 2031, when there is no data (the data covers "
     "{data}); it was ignored, shown: 1 Jul 2025 – 31 Dec 2025.", "Ссылка запрашивала период 1 янв 2031 – 1 фев 2031, "
     "за который нет данных (данные есть за {data}); он не применён, показан период 1 июл 2025 – 31 дек 2025."),
    (["2025-11-02", "2025-10-06"], "The dates in this link were reversed (the end before the start): showing "
     "6 Oct 2025 – 2 Nov 2025. Pick the dates above to change them.", "Даты в ссылке были перепутаны (конец раньше "
     "начала): показан период 6 окт 2025 – 2 ноя 2025. Выберите даты выше, чтобы изменить его."),
], ids=["malformed", "outside", "reversed"])
def test_a_link_with_dates_that_cannot_be_shown_says_what_is_shown_instead(tmp_path, monkeypatch, sample_db, dates,
                                                                           en, ru):
    data_start, as_of = data_range(sample_db)
    for lang, text in (("en", en), ("ru", ru)):
        st.cache_data.clear()
        app = open_link(tmp_path, monkeypatch, sample_db, {"f_period": "custom", "f_dates": dates, "lang": lang})
        assert not app.exception
        expected = text.format(data=format_period(data_start, as_of, lang))
        assert expected in [w.value for w in app.sidebar.warning]
        start, end = sorted(app.sidebar.date_input(key="f_dates").value)  # a reversed link stays so in the widget
        assert format_period(start, end, lang) in expected
        assert tile_values(app)["NPS"] == expected_tile(sample_db, Filters(start, end), "nps", lang)
