"""Settings changes are in the audit log (who, when, which setting, old → new), from the command
line and from the settings page; a page save based on settings another admin changed since is
refused and stores nothing."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from cxdata.app import visitors
from cxdata.ingest.publish import change_settings
from cxdata.ingest.settings_log import list_settings_changes, read_settings_version
from tests.test_cli import run_cli
from tests.test_app import clear_streamlit_caches, open_app  # noqa: F401 - fixture


@pytest.fixture
def db(sample_db, tmp_path):
    path = tmp_path / "cx.duckdb"
    shutil.copy(sample_db, path)
    return path


def meta_of(path) -> dict[str, str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()


def test_a_settings_change_from_the_command_line_is_in_the_log_with_old_and_new(db):
    # The sample is in RUB, pinned to 31 Dec 2025, in UTC.
    assert (meta_of(db)["currency"], meta_of(db)["as_of"]) == ("RUB", "2025-12-31")
    version = read_settings_version(db)
    changed = run_cli("settings", "--db", str(db), "--set", "currency=eur", "--set", "as_of=latest",
                      "--set", "time_zone=UTC", "--user", "ann")
    assert changed.returncode == 0, changed.stderr
    again = run_cli("settings", "--db", str(db), "--set", "currency=EUR")  # no value changes: nothing logged
    assert again.returncode == 0, again.stderr

    listed = run_cli("uploads", "--settings", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    log = json.loads(listed.stdout)
    assert len(log) == 1
    entry = log[0]
    assert entry["changed_by"] == "ann" and entry["changed_at"]
    assert entry["changes"] == {"currency": {"old": "RUB", "new": "EUR"},
                                "as_of": {"old": "2025-12-31", "new": "latest"}}  # time_zone was UTC already
    assert entry["based_on_version"] == version and entry["settings_version"] == read_settings_version(db) != version
    uploads = json.loads(run_cli("uploads", "--db", str(db)).stdout)
    assert all("upload_id" in u for u in uploads)  # the uploads listing itself is unchanged


def test_the_command_line_names_the_login_user_when_no_user_is_given(db):
    import getpass

    assert run_cli("settings", "--db", str(db), "--set", "company_name=Acme").returncode == 0
    [entry] = list_settings_changes(db)
    assert entry["changed_by"] == getpass.getuser()
    assert entry["changes"] == {"company_name": {"old": "", "new": "Acme"}}  # the sample has no company name


def test_a_save_based_on_an_older_version_is_refused_and_changes_nothing(db):
    from cxdata.ingest.settings_log import SettingsChanged

    seen = read_settings_version(db)
    change_settings(db, {"currency": "USD"}, user="boris", seen_version=seen)
    before = meta_of(db)
    with pytest.raises(SettingsChanged) as refused:
        change_settings(db, {"currency": "EUR"}, user="ann", seen_version=seen)
    assert "boris changed the settings" in refused.value.message("en")
    assert "boris изменил(а) настройки" in refused.value.message("ru")
    assert meta_of(db) == before
    assert [e["changed_by"] for e in list_settings_changes(db)] == ["boris"]


def settings_page(tmp_path, monkeypatch, db, user: str):
    monkeypatch.setattr(visitors, "current_visitor", lambda: visitors.Visitor(user=user, role="admin", local_mode=True))
    app = open_app(tmp_path, monkeypatch, db, page="settings")
    assert not app.exception
    return app


def test_a_page_save_is_in_the_log_with_the_admin_who_made_it(tmp_path, monkeypatch, db):
    app = settings_page(tmp_path, monkeypatch, db, "ada@example.com")
    app.text_input(key="settings_currency").set_value("EUR")
    app.text_input(key="settings_company_name").set_value("Acme")
    app.button[0].click().run()  # the form's only button: save
    assert not app.exception
    assert [s.value for s in app.success] == ["Settings saved: every page now follows them."]
    [entry] = list_settings_changes(db)
    assert entry["changed_by"] == "ada@example.com"
    assert entry["changes"] == {"currency": {"old": "RUB", "new": "EUR"},
                                "company_name": {"old": "", "new": "Acme"}}
    assert meta_of(db)["currency"] == "EUR"

    upload = open_app(tmp_path, monkeypatch, db, page="upload")  # the log, where admins see the upload log
    assert not upload.exception
    assert "Settings changes" in [s.value for s in upload.subheader]
    shown = next(f.value for f in upload.dataframe if "Setting" in f.value.columns)
    assert shown.to_dict("records") == [
        {"When": entry["changed_at"][:16], "Who": "ada@example.com", "Setting": "company name", "Was": "", "Now": "Acme"},
        {"When": entry["changed_at"][:16], "Who": "ada@example.com", "Setting": "currency", "Was": "RUB", "Now": "EUR"},
    ]


def test_a_page_save_after_another_admins_change_is_refused_and_stores_nothing(tmp_path, monkeypatch, db):
    app = settings_page(tmp_path, monkeypatch, db, "ada@example.com")  # the form shows RUB
    change_settings(db, {"currency": "USD"}, user="boris", seen_version=read_settings_version(db))  # meanwhile
    after_boris = meta_of(db)
    app.text_input(key="settings_currency").set_value("EUR")
    app.button[0].click().run()
    assert not app.exception
    assert [e.value for e in app.error] == [
        "Nothing was saved: boris changed the settings at "
        f"{list_settings_changes(db)[0]['changed_at'][:16]}, after you opened this page. Look at the settings "
        "as they are now and save again."]
    assert meta_of(db) == after_boris
    assert [e["changed_by"] for e in list_settings_changes(db)] == ["boris"]
    assert app.text_input(key="settings_currency").value == "USD"  # the form shows the settings as they are now
    app.button[0].click().run()  # saved again, now on what it shows: nothing differs, nothing is logged
    assert not app.exception and not app.error
    assert [e["changed_by"] for e in list_settings_changes(db)] == ["boris"]
