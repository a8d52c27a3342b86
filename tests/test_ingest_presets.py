"""Mapping presets saved on the server: a named JSON file beside the database, the same the CLI reads."""

from __future__ import annotations

import doctest
import json

import pytest

from cxdata.ingest import preset_store
from cxdata.ingest.errors import PresetError
from cxdata.ingest.preset import MappingPreset
from cxdata.ingest.preset_store import (
    PresetStoreError,
    delete_preset,
    fetch_preset,
    list_presets,
    preset_folder,
    save_preset,
    validate_preset_name,
)
from cxdata.ingest.publish import load_and_publish, undo_and_publish
from tests.fixtures.ingest.support import (
    cli_json,
    fixture,
    new_database,
    query,
    run_cli,
)

CRM = {"columns": {"Номер чека": "transaction_id", "ID клиента": "customer_id", "Дата покупки": "occurred_at",
                   "Сумма": "amount", "Товар": "product", "Канал": None},
       "constants": {"channel": "branch"}, "encoding": "cp1251", "delimiter": ";", "decimal": ",",
       "date_format": "%d.%m.%Y"}


@pytest.fixture
def db(tmp_path):
    (tmp_path / "data").mkdir()
    return new_database(tmp_path / "data" / "cx.duckdb")


def test_docstring_examples():
    result = doctest.testmod(preset_store)
    assert result.attempted > 0 and result.failed == 0


def test_a_saved_preset_is_a_json_file_beside_the_database_that_reads_back_equal(db):
    path = save_preset(db, "CRM выгрузка 2024", {**CRM, "table": "transactions"})
    assert path == db.parent / "presets" / "CRM выгрузка 2024.json"
    assert json.loads(path.read_text(encoding="utf-8"))["columns"]["ID клиента"] == "customer_id"
    assert fetch_preset(db, " CRM выгрузка 2024 ") == MappingPreset.from_dict({**CRM, "table": "transactions"})
    listed = list_presets(db)
    assert [(p["name"], p["table"]) for p in listed] == [("CRM выгрузка 2024", "transactions")]
    assert list(db.parent.joinpath("presets").iterdir()) == [path]  # no temporary file left behind


def test_presets_are_listed_by_name_and_by_table(db):
    save_preset(db, "b-surveys", {"table": "surveys"})
    save_preset(db, "A crm", {**CRM, "table": "transactions"})
    save_preset(db, "any table", {"missing_values": ["-99"]})
    assert [p["name"] for p in list_presets(db)] == ["A crm", "any table", "b-surveys"]
    assert [p["name"] for p in list_presets(db, "transactions")] == ["A crm", "any table"]
    assert [p["name"] for p in list_presets(db, "surveys")] == ["any table", "b-surveys"]


def test_an_existing_name_is_replaced_only_when_asked(db):
    save_preset(db, "crm", CRM)
    with pytest.raises(PresetStoreError) as error:
        save_preset(db, "crm", {"delimiter": ","})
    assert error.value.message("en") == 'A preset named "crm" exists already: tick "Replace" or choose another name.'
    assert error.value.message("ru") == "Пресет «crm» уже есть: отметьте «Заменить» или выберите другое название."
    assert fetch_preset(db, "crm").delimiter == ";"
    save_preset(db, "crm", {"delimiter": ","}, replace=True)
    assert fetch_preset(db, "crm") == MappingPreset(delimiter=",")


def test_two_saves_of_one_new_name_at_once_do_not_overwrite_each_other(db, monkeypatch):
    save_preset(db, "crm", CRM)
    # The second save checked before the first one wrote: its existence check saw nothing.
    monkeypatch.setattr(preset_store.Path, "exists", lambda self: False)
    with pytest.raises(PresetStoreError, match="exists already"):
        save_preset(db, "crm", {"delimiter": ","})
    monkeypatch.undo()
    assert fetch_preset(db, "crm").delimiter == ";"
    assert [p.name for p in preset_folder(db).iterdir()] == ["crm.json"]  # no temporary file left behind


@pytest.mark.parametrize("name", ["../outside", "..", "a/b", "a\\b", "/etc/passwd", ".hidden", "x" * 65, "", "  ",
                                  "name.", "a..b", "tab\tname", "new\nline", "nul\0byte", "~root", "*.json", None])
def test_names_that_could_leave_the_folder_or_confuse_are_refused(db, name, tmp_path):
    with pytest.raises(PresetStoreError):
        save_preset(db, name, CRM)
    with pytest.raises(PresetStoreError):
        fetch_preset(db, name)
    with pytest.raises(PresetStoreError):
        delete_preset(db, name)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".duckdb"]
    assert written == []  # nothing written anywhere


def test_unknown_and_broken_presets_say_what_is_wrong(db):
    with pytest.raises(PresetStoreError, match='no saved preset named "ghost"'):
        fetch_preset(db, "ghost")
    with pytest.raises(PresetStoreError, match='no saved preset named "ghost"'):
        delete_preset(db, "ghost")
    with pytest.raises(PresetError, match='delimiter "#" is not supported'):
        save_preset(db, "bad", {"delimiter": "#"})
    preset_folder(db).mkdir(exist_ok=True)
    (preset_folder(db) / "edited by hand.json").write_text("{not json", encoding="utf-8")
    [entry] = list_presets(db)
    assert entry["name"] == "edited by hand" and "not valid JSON" in entry["error"]
    with pytest.raises(PresetError, match="not valid JSON"):
        fetch_preset(db, "edited by hand")


def test_delete_removes_the_file(db):
    save_preset(db, "crm", CRM)
    delete_preset(db, "crm")
    assert list_presets(db) == [] and not (preset_folder(db) / "crm.json").exists()


def test_presets_survive_loads_and_undos_that_replace_the_database_file(db):
    path = save_preset(db, "crm", {**CRM, "table": "transactions"})
    before = path.read_bytes()
    inode = db.stat().st_ino
    report = load_and_publish(db, "transactions", fixture("crm_transactions_cp1251.csv"),
                              mapping=fetch_preset(db, "crm"))
    assert report.status == "loaded" and report.rows_loaded == 5
    assert db.stat().st_ino != inode  # the database file was replaced by a new one ...
    undo_and_publish(db, report.upload_id)
    assert query(db, "SELECT count(*) FROM transactions") == [(0,)]
    assert path.read_bytes() == before and [p["name"] for p in list_presets(db)] == ["crm"]  # ... the preset stays


def test_a_preset_made_for_another_table_is_refused(db):
    save_preset(db, "crm", {**CRM, "table": "transactions"})
    with pytest.raises(ValueError, match="This mapping preset was made for transactions, not surveys"):
        load_and_publish(db, "surveys", fixture("crm_transactions_cp1251.csv"), mapping=fetch_preset(db, "crm"))


def test_the_table_label_does_not_change_what_counts_as_the_same_upload():
    assert MappingPreset.from_dict({**CRM, "table": "transactions"}).fingerprint() == \
        MappingPreset.from_dict(CRM).fingerprint()


def test_the_cli_takes_a_saved_preset_by_name_or_by_file_and_lists_them(db):
    path = save_preset(db, "CRM выгрузка", {**CRM, "table": "transactions"})
    listed = run_cli("presets", "--db", str(db))
    assert listed.returncode == 0
    assert [(p["name"], p["table"]) for p in cli_json(listed)] == [("CRM выгрузка", "transactions")]

    by_name = run_cli("load", "transactions", str(fixture("crm_transactions_cp1251.csv")), "--db", str(db),
                      "--mapping", "CRM выгрузка", "--dry-run")
    assert by_name.returncode == 0, by_name.stderr
    assert cli_json(by_name)["rows_loaded"] == 5
    by_file = run_cli("load", "transactions", str(fixture("crm_transactions_cp1251.csv")), "--db", str(db),
                      "--mapping", str(path))
    assert by_file.returncode == 0 and cli_json(by_file)["status"] == "loaded"

    wrong_table = run_cli("load", "surveys", str(fixture("crm_transactions_cp1251.csv")), "--db", str(db),
                          "--mapping", "CRM выгрузка")
    assert wrong_table.returncode == 2
    assert wrong_table.stderr.strip().endswith("This mapping preset was made for transactions, not surveys; pick a preset of surveys.")
    unknown = run_cli("load", "transactions", str(fixture("crm_transactions_cp1251.csv")), "--db", str(db),
                      "--mapping", "ghost")
    assert unknown.returncode == 2 and 'nor a saved preset named "ghost"' in unknown.stderr
