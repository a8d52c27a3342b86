"""Every write names what it acts on: undo takes the upload the person saw and chose, an analyst
may undo only their own, and an undo that waited for another upload refuses when the data changed."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from cxdata.app import ui, visitors
from cxdata.ingest import UndoError, list_uploads
from cxdata.ingest.log import read_data_version
from cxdata.ingest.publish import load_and_publish, undo_and_publish
from cxdata.model.filters import Filters
from cxdata.presentation.upload_view import undo_choices, undo_chosen, visible_uploads
from tests.conftest import ROOT, shown
from tests.fixtures.ingest.support import fixture, new_database, query
from tests.test_app import clear_streamlit_caches  # noqa: F401 - fixture


@pytest.fixture
def db(tmp_path):
    """Upload 1 by the admin (transactions, 3 rows), upload 2 by the analyst (surveys)."""
    path = new_database(tmp_path / "cx.duckdb")
    assert load_and_publish(path, "transactions", fixture("transactions.tsv"), user="ada").status == "loaded"
    assert load_and_publish(path, "surveys", fixture("surveys_utf16.txt"), user="ann").status == "loaded"
    return path


def status_of(db, upload_id: int) -> tuple:
    return query(db, "SELECT status, undone_by FROM uploads WHERE upload_id = ?", [upload_id])[0]


def test_an_analyst_sees_and_may_undo_only_their_own_uploads(db):
    version = read_data_version(db)
    log = list_uploads(db)
    assert [u["upload_id"] for u in visible_uploads(log, "ann", "analyst")] == [2]
    assert [u["upload_id"] for u in visible_uploads(log, "ada", "admin")] == [2, 1]
    assert list(undo_choices(visible_uploads(log, "ann", "analyst"), "en")) == [2]

    kind, text = undo_chosen("analyst", "ann", db, 1, version, "en")  # the admin's upload, by id
    assert (kind, text) == ("error", "Upload 1 was made by ada; an analyst may undo only their own uploads "
                                     "(an admin may undo any).")
    assert status_of(db, 1) == ("loaded", None) and query(db, "SELECT count(*) FROM transactions") == [(3,)]
    kind, text = undo_chosen("analyst", "ann", db, 1, version, "ru")
    assert text.startswith("Загрузку 1 сделал(а) ada; аналитик может отменять только свои загрузки")

    assert undo_chosen("analyst", "ann", db, 2, version, "en")[0] == "success"
    assert status_of(db, 2) == ("undone", "ann")  # the audit log names who undid it
    kind, text = undo_chosen("admin", "ada", db, 1, read_data_version(db), "en")  # an admin may undo anyone's
    assert kind == "success" and text == "Upload 1 undone (transactions: 3 rows removed, 0 restored)."
    assert status_of(db, 1) == ("undone", "ada") and query(db, "SELECT count(*) FROM transactions") == [(0,)]


def test_a_viewer_cannot_undo_even_by_calling_the_control(db):
    kind, text = undo_chosen("viewer", "vic", db, 2, read_data_version(db), "en")
    assert kind == "error" and "need the analyst or admin role" in text
    assert status_of(db, 2) == ("loaded", None)


def test_an_undo_refuses_when_the_data_changed_after_it_was_seen(db, tmp_path):
    seen = read_data_version(db)
    load_and_publish(db, "transactions", fixture("transactions_no_id.csv"), user="ada")  # upload 3 lands
    with pytest.raises(UndoError) as refused:
        undo_and_publish(db, 2, user="ann", owner="ann", seen_version=seen)
    assert refused.value.message("en") == (
        "Nothing was undone: the data changed after you looked (upload 3: transactions, loaded by ada). "
        "Look at the upload log again and choose what to undo.")
    assert "загрузка 3: transactions, загружено, ada" in refused.value.message("ru")
    assert status_of(db, 2) == ("loaded", None)


def test_an_undo_that_waited_for_another_upload_rechecks_its_target(db):
    """The undo is asked while another upload holds the lock; that upload lands; the undo, once it
    gets the lock, finds the data changed and refuses instead of acting on what nobody saw."""
    seen = read_data_version(db)
    loading, waiting_started = threading.Event(), threading.Event()
    outcome = {}

    def progress(stage, fraction):
        if not loading.is_set():
            loading.set()
            waiting_started.wait(10)  # hold the lock until the undo is queued behind it
            time.sleep(0.5)

    def undo():
        waiting_started.set()
        try:
            outcome["result"] = undo_and_publish(db, 2, user="ann", owner="ann", seen_version=seen, lock_timeout=30)
        except UndoError as error:
            outcome["error"] = error

    # Another table than the undo's: only the re-check under the lock stops the undo.
    loader = threading.Thread(target=lambda: load_and_publish(
        db, "transactions", fixture("transactions_no_id.csv"), user="ada", progress=progress))
    loader.start()
    assert loading.wait(30)
    undoer = threading.Thread(target=undo)
    undoer.start()
    loader.join(60)
    undoer.join(60)
    assert "result" not in outcome
    assert "the data changed after you looked (upload 3: transactions, loaded by ada)" in str(outcome["error"])
    assert [status_of(db, 2), status_of(db, 3)] == [("loaded", None), ("loaded", None)]  # nobody's work undone


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "cxdata", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_the_cli_undo_names_its_upload(db):
    unnamed = run_cli("undo", "--db", str(db))
    assert unnamed.returncode == 2 and unnamed.stdout == ""
    assert unnamed.stderr == ("error: name the upload to undo: python -m cxdata undo UPLOAD_ID "
                              "(the latest loaded one is 2: surveys from surveys_utf16.txt by ann)\n")
    assert status_of(db, 2) == ("loaded", None)
    undone = run_cli("undo", "1", "--db", str(db), "--user", "ops")  # the file's owner may undo any upload
    assert undone.returncode == 0, undone.stderr
    assert status_of(db, 1) == ("undone", "ops") and status_of(db, 2) == ("loaded", None)
    again = run_cli("undo", "1", "--db", str(db), "--lang", "ru")
    assert again.returncode == 1 and again.stderr == "ошибка: Загрузка 1 уже отменена; отменять нечего.\n"


def test_the_upload_page_offers_only_the_analysts_own_uploads_and_undoes_the_chosen_one(db, monkeypatch):
    monkeypatch.setenv("CX_DB", str(db))
    monkeypatch.setattr(visitors, "current_visitor", lambda: visitors.Visitor(user="ann", role="analyst", local_mode=False))
    app = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60)
    app.session_state["_page_context"] = ui.PageContext(
        filters=Filters(date(2025, 7, 1), date(2025, 12, 31)), lang="en",
        data=ui.DataKey(path=str(db), version=read_data_version(db)), as_of=date(2025, 12, 31), currency="RUB")
    app.run()
    assert not app.exception
    choice = app.selectbox(key="upload_undo_id")
    assert choice.options == ["2 · surveys · surveys_utf16.txt · " + list_uploads(db)[0]["uploaded_at"][:16] + " · ann"]
    assert app.button(key="upload_undo").label == "Undo upload 2"
    load_and_publish(db, "transactions", fixture("transactions_no_id.csv"), user="ada")  # after the page showed
    app.button(key="upload_undo").click().run()
    assert not app.exception
    assert [shown(e.value) for e in app.error] == ["Nothing was undone: the data changed after you looked (upload 3: "
                                            "transactions, loaded by ada). Look at the upload log again and "
                                            "choose what to undo."]
    assert status_of(db, 2) == ("loaded", None)
    app.button(key="upload_undo").click().run()  # the page now shows the data as it is: the same choice goes through
    assert any(shown(s.value).startswith("Upload 2 undone (surveys:") for s in app.success)
    assert status_of(db, 2) == ("undone", "ann") and status_of(db, 1) == ("loaded", None)


def test_a_replace_that_waited_for_another_upload_of_its_table_refuses(db):
    """The overwrite is asked while another upload of the same table runs; once it gets the lock it
    finds the table changed and loads nothing, instead of wiping the rows that just landed."""
    from cxdata.ingest.errors import TargetChanged
    from cxdata.ingest.log import read_table_state

    seen = read_table_state(db, "transactions", "replace")
    load_and_publish(db, "transactions", fixture("transactions_no_id.csv"), user="ada")  # lands meanwhile
    before = query(db, "SELECT count(*) FROM transactions")
    with pytest.raises(TargetChanged) as refused:
        load_and_publish(db, "transactions", fixture("transactions.parquet"), user="ann", mode="replace",
                         seen_state=seen)
    assert refused.value.message("en") == (
        "Nothing was loaded: transactions changed while this load waited for another one (upload 3: "
        "transactions, loaded by ada). Check the file against the table as it is now, then load again.")
    assert query(db, "SELECT count(*) FROM transactions") == before
    # Another table's upload is no reason to refuse; nor is an append, which overwrites nothing.
    seen = read_table_state(db, "transactions", "replace")
    load_and_publish(db, "surveys", fixture("surveys_anonymous.csv"), user="ada")
    assert load_and_publish(db, "transactions", fixture("transactions.parquet"), user="ann", mode="replace",
                            seen_state=seen).status == "loaded"
