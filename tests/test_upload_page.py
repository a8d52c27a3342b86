"""The Upload page: analysts and admins get the form, viewers are refused by the page itself."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cxdata.app import ui, visitors
from cxdata.model.filters import Filters
from tests.conftest import ROOT, shown
from tests.test_app import clear_streamlit_caches, open_app  # noqa: F401 - fixture


def run_page_as(role: str, sample_db, monkeypatch) -> AppTest:
    monkeypatch.setenv("CX_DB", str(sample_db))
    monkeypatch.setattr(visitors, "current_visitor", lambda: visitors.Visitor(user="tester", role=role, local_mode=True))
    app = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60)
    from datetime import date

    app.session_state["_page_context"] = ui.PageContext(
        filters=Filters(date(2025, 7, 1), date(2025, 12, 31)), lang="en",
        data=ui.DataKey(path=str(sample_db), version="test"), as_of=date(2025, 12, 31), currency="RUB",
    )
    app.run()
    return app


def test_a_viewer_is_refused_by_the_page_itself(sample_db, monkeypatch):
    app = run_page_as("viewer", sample_db, monkeypatch)
    assert not app.exception
    assert any("need the analyst or admin role" in e.value for e in app.error)
    assert not app.selectbox  # no upload controls at all
    assert not app.get("file_uploader")  # so nothing of a viewer's is ever received as an upload


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analysts_and_admins_get_the_form(sample_db, monkeypatch, role):
    app = run_page_as(role, sample_db, monkeypatch)
    assert not app.exception
    assert app.selectbox(key="upload_table").value == "customers"
    assert any("No uploads yet" in c.value for c in app.caption)


def test_local_mode_shows_the_mode_and_offers_the_upload_page(tmp_path, monkeypatch, sample_db):
    # AppTest has no real client address; in a browser on localhost it is None (see cxdata.model.roles).
    monkeypatch.setattr(visitors, "current_visitor", lambda: visitors.Visitor(user="ann", role="admin", local_mode=True))
    app = open_app(tmp_path, monkeypatch, sample_db, page="upload")
    assert not app.exception
    assert any("Local mode" in c.value for c in app.sidebar.caption)
    assert app.title[0].value == "Upload data"


def test_a_viewer_does_not_see_the_upload_page_in_the_navigation(tmp_path, monkeypatch, sample_db):
    # Local mode, a browser on another machine: a viewer (with a login, see tests/test_auth_browser.py).
    monkeypatch.setattr(visitors, "current_visitor", lambda: visitors.Visitor(user="", role="viewer", local_mode=True))
    app = open_app(tmp_path, monkeypatch, sample_db, page="upload")
    assert not app.exception
    assert app.title[0].value == "Overview"  # the upload page is not offered, so the default opens


def test_with_a_login_configured_nobody_signed_in_gets_the_prompt_and_no_data(tmp_path, monkeypatch, sample_db):
    monkeypatch.setattr(visitors, "current_visitor", lambda: visitors.Visitor(user="", role="viewer", local_mode=False))
    app = open_app(tmp_path, monkeypatch, sample_db, page="upload")
    assert not app.exception
    assert [t.value for t in app.title] == ["CX dashboard"]
    assert app.info[0].value.startswith("Log in to see the dashboard.")
    assert [b.label for b in app.button] == ["Log in"]
    assert not app.metric and not app.dataframe and not app.sidebar.selectbox  # no data, not even the filters


def test_tables_shown_are_safe_to_download():
    app = AppTest.from_string(
        "import sys\nsys.path.insert(0, %r)\nfrom cxdata.app import ui\n"
        "ui.show_table({'text': ['=HYPERLINK(\"http://x\")', 'fine'], 'amount': [-5.0, 3.0]})" % str(ROOT)
    )
    app.run()
    shown = app.dataframe[0].value
    assert shown["text"].tolist() == ["'=HYPERLINK(\"http://x\")", "fine"]
    assert shown["amount"].tolist() == [-5.0, 3.0]
    assert [b.proto.label for b in app.get("download_button")] == ["Download XLSX"]  # its content: test_ingest_export


def test_every_table_of_a_page_gets_its_own_xlsx_button():
    app = AppTest.from_string(
        "import sys\nsys.path.insert(0, %r)\nfrom cxdata.app import ui\n"
        "ui.show_table({'a': [1]}, name='log')\nui.show_table({'a': [1]})\nui.show_table({'a': [2]})" % str(ROOT)
    )
    app.run()
    assert not app.exception  # no duplicate-key error although two tables share the default name
    assert len(app.get("download_button")) == 3


def test_saved_presets_of_the_table_are_offered_and_can_be_deleted(sample_db, monkeypatch, tmp_path):
    import shutil

    from cxdata.ingest.preset_store import list_presets, save_preset

    db = tmp_path / "cx.duckdb"
    shutil.copy(sample_db, db)
    save_preset(db, "CRM cp1251", {"encoding": "cp1251", "table": "transactions"})
    save_preset(db, "Опросы", {"table": "surveys"})
    app = run_page_as("analyst", db, monkeypatch)
    assert app.selectbox(key="upload_saved_preset").options == ["none (detect)"]  # customers: none saved for it
    app.selectbox(key="upload_table").set_value("transactions").run()
    assert app.selectbox(key="upload_saved_preset").options == ["none (detect)", "CRM cp1251"]
    assert app.button(key="upload_delete_preset").disabled
    app.selectbox(key="upload_saved_preset").set_value("CRM cp1251").run()
    assert app.session_state["upload_preset_name"] == "CRM cp1251"  # ready to be saved again under its name
    app.button(key="upload_delete_preset").click().run()
    assert not app.exception
    assert [shown(s.value) for s in app.success] == ['Preset "CRM cp1251" deleted.']
    assert app.selectbox(key="upload_saved_preset").options == ["none (detect)"]
    assert [p["name"] for p in list_presets(db)] == ["Опросы"]


def test_preset_controls_check_the_role_themselves(tmp_path):
    from cxdata.ingest.preset_store import list_presets, save_preset
    from cxdata.presentation.upload_view import (
        fetch_saved_preset,
        remove_preset,
        store_preset,
    )

    db = tmp_path / "cx.duckdb"
    save_preset(db, "crm", {"delimiter": ";"})
    refused = "Загрузка доступна ролям «аналитик» и «администратор»; ваша роль — просмотр."
    assert store_preset("viewer", db, "mine", {}, table="transactions", replace=True, lang="ru") == ("error", refused)
    assert remove_preset("viewer", db, "crm", lang="ru") == ("error", refused)
    with pytest.raises(PermissionError):
        fetch_saved_preset("viewer", db, "crm", "en")
    assert [p["name"] for p in list_presets(db)] == ["crm"]  # nothing written, nothing deleted
    assert store_preset("analyst", db, "../mine", {}, table="transactions", replace=False, lang="en")[0] == "error"
    assert store_preset("analyst", db, "mine", {"delimiter": ";"}, table="transactions", replace=False,
                        lang="ru") == ("success", "Пресет «mine» сохранён для таблицы «транзакции».")
    assert fetch_saved_preset("analyst", db, "mine", "en") == {"delimiter": ";", "table": "transactions"}


@pytest.mark.parametrize(("lang", "running", "done"), [
    ("en", "Refitting the forecast for the new data: step 1 of 1 — predicted lifetime value (20%).",
     "The forecast is refitted for the latest data (took 1 min 52 s)."),
    ("ru", "Пересчитываем прогноз по новым данным: шаг 1 из 1 — прогноз ценности клиентов (20\u00a0%).",
     "Прогноз пересчитан по последним данным (заняло 1 мин 52 с)."),
])  # fmt: skip
def test_the_page_shows_the_refit_after_a_load_and_when_it_is_done(sample_db, tmp_path, monkeypatch, lang, running,
                                                                   done):  # fmt: skip
    import shutil
    import time
    from datetime import date

    from cxdata.engine import fit_store

    db = tmp_path / "loaded.duckdb"
    shutil.copy(sample_db, db)
    monkeypatch.setenv("CX_DB", str(db))
    monkeypatch.setattr(visitors, "current_visitor", lambda: visitors.Visitor(user="tester", role="analyst", local_mode=True))

    def open_page() -> AppTest:
        app = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60)
        app.session_state["_page_context"] = ui.PageContext(
            filters=Filters(date(2025, 7, 1), date(2025, 12, 31)), lang=lang,
            data=ui.DataKey(path=str(db), version="test"), as_of=date(2025, 12, 31), currency="RUB",
        )  # fmt: skip
        app.run()
        assert not app.exception
        return app

    assert not open_page().get("progress")  # no refit ever ran: nothing to say
    now = time.time()
    status = fit_store.RefitStatus(owner="t", state="running", steps=["clv"], step=1, fraction=0.2, started_at=now - 30,
                                   heartbeat_at=now)  # fmt: skip
    fit_store.write_status(db, status)
    progress = open_page().get("progress")
    assert [p.proto.text for p in progress] == [running] and progress[0].proto.value == 20
    status.state, status.finished_at = "done", status.started_at + 112.4
    fit_store.write_status(db, status)
    app = open_page()
    assert not app.get("progress") and [s.value for s in app.success] == [done]
def all_texts(app: AppTest) -> list[str]:
    """Every text the page shows (AppTest reports markdown sources) and every table's headings and cells."""
    texts = [e.value for kind in ("title", "subheader", "caption", "markdown", "success", "info", "warning", "error")
             for e in getattr(app, kind)]
    texts += [e.label for e in [*app.selectbox, *app.button, *app.checkbox, *app.text_input]]
    for frame in app.dataframe:  # tables and the mapping editor, whose "header" column is hidden
        value = frame.value.drop(columns=["header"], errors="ignore")
        texts += [str(c) for c in value.columns] + [str(v) for v in value.astype(str).to_numpy().ravel()]
    return texts


def test_a_column_without_a_header_is_named_in_russian_on_the_russian_page(sample_db, monkeypatch, tmp_path):
    """The file's 4th column has no header; the preset names it as an English reader sees it ('column 4'):
    the Russian page calls it 'столбец 4' in the mapping table, the check's messages and its table."""
    import json
    import shutil

    db = tmp_path / "cx.duckdb"
    shutil.copy(sample_db, db)
    monkeypatch.setenv("CX_DB", str(db))
    monkeypatch.setattr(visitors, "current_visitor", lambda: visitors.Visitor(user="tester", role="analyst", local_mode=True))
    app = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60)
    from datetime import date

    app.session_state["_page_context"] = ui.PageContext(
        filters=Filters(date(2025, 7, 1), date(2025, 12, 31)), lang="ru",
        data=ui.DataKey(path=str(db), version="test"), as_of=date(2025, 12, 31), currency="RUB",
    )
    app.run()
    app.selectbox(key="upload_table").set_value("surveys").run()
    extract = ("response_id,customer_id,responded_at,,channel\nR900001,C000001,2025-12-01,3,web\n"
               "R900002,C000002,2025-12-02,5,app\nR900003,C000003,2025-12-03,1,web\n")
    app.file_uploader(key="upload_file").set_value(("answers.csv", extract.encode(), "text/csv")).run()
    app.file_uploader(key="upload_preset").set_value(
        ("preset.json", json.dumps({"columns": {"column 4": "csat"}}).encode(), "application/json")).run()
    assert not app.exception
    mapping = app.get("data_editor")
    assert len(mapping) == 1
    rows = mapping[0].value
    assert rows["source"].tolist() == ["response_id", "customer_id", "responded_at", "столбец 4", "channel"]
    assert rows["target"].tolist()[3] == "csat"  # the preset, written in English, still maps it

    app.button(key="upload_check").click().run()
    assert not app.exception
    assert [shown(s.value) for s in app.success] == ["Проверка пройдена: в таблицу «ответы на опросы» будет загружено строк: 3."]
    problems = next(f.value for f in app.dataframe if "сообщение" in f.value.columns)
    assert list(problems.columns) == ["строка", "столбец", "важность", "сообщение"]
    assert "столбец 4" in problems["столбец"].tolist()
    assert any("столбец 4" in message for message in problems["сообщение"])
    texts = all_texts(app)
    assert not [t for t in texts if "column" in t.lower()], [t for t in texts if "column" in t.lower()]
