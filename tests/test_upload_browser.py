"""End to end: an analyst uploads a Russian CRM extract in the browser, checks it, loads it, undoes it."""

from __future__ import annotations

import shutil

import duckdb
import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from tests.browser import streamlit_server, wait_for_run  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

pytestmark = pytest.mark.browser
EXTRACT = ROOT / "tests" / "fixtures" / "ingest" / "crm_transactions_cp1251.csv"


def transaction_count(db) -> int:
    from cxdata.engine.db import open_snapshot

    con = open_snapshot(db)
    try:
        return con.execute("SELECT count(*) FROM transactions").fetchall()[0][0]
    finally:
        con.close()


def test_upload_check_load_and_undo_in_the_browser(sample_db, tmp_path, browser):
    db = tmp_path / "upload.duckdb"
    shutil.copy(sample_db, db)
    before = transaction_count(db)
    # Bound to loopback, as .streamlit/config.toml does: local mode makes the browser on this
    # machine admin (the server reads the connection's own peer address, 127.0.0.1).
    with streamlit_server(db, tmp_path / "server.log", address="127.0.0.1") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{url}/upload")
        wait_for_run(page)
        assert page.get_by_text("Local mode").count() == 1  # no login configured: shown, not hidden
        page.locator("[data-testid='stSelectbox']").filter(has_text="Table").locator("input").click()
        page.get_by_role("option", name="transactions", exact=True).click()
        wait_for_run(page)
        page.locator("[data-testid='stFileUploader'] input[type='file']").first.set_input_files(str(EXTRACT))
        wait_for_run(page)
        assert page.get_by_text("Column mapping").count() == 1

        page.get_by_role("button", name="Check (dry run)").click()
        wait_for_run(page)
        assert page.get_by_text("Check passed: 5 rows would be loaded into transactions.").count() == 1
        assert page.get_by_text("encoding CP1251").count() == 1
        assert transaction_count(db) == before  # a check changes nothing

        page.get_by_role("button", name="Load", exact=True).click()
        wait_for_run(page)
        assert page.get_by_text("Loaded 5 rows into transactions").count() == 1
        assert transaction_count(db) == before + 5

        page.get_by_role("button", name="Undo upload 1").click()  # the one this page shows and offers
        wait_for_run(page)
        assert page.get_by_text("Upload 1 undone (transactions: 5 rows removed, 0 restored).").count() == 1
        assert transaction_count(db) == before
        page.close()


FIXTURES = ROOT / "tests" / "fixtures" / "ingest"


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` and wait for the rerun."""
    page.locator("[data-testid='stSelectbox']").filter(has_text=label).locator("input").click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_run(page)


def open_upload(page, url: str, table: str) -> None:
    page.goto(f"{url}/upload")
    wait_for_run(page)
    choose(page, "Table", table)


def upload_file(page, path, which: int = 0) -> None:
    """``which``: 0 = the extract, 1 = the JSON preset."""
    page.locator("[data-testid='stFileUploader'] input[type='file']").nth(which).set_input_files(str(path))
    wait_for_run(page)


def click(page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    wait_for_run(page)


def save_preset_as(page, name: str) -> None:
    """Type the preset's name (Enter commits it), then press the save button."""
    page.get_by_label("Preset name").fill(name)
    page.get_by_label("Preset name").press("Enter")
    wait_for_run(page)
    click(page, "Save preset on the server")


def test_a_preset_saved_on_the_server_is_picked_by_name_next_time(sample_db, tmp_path, browser):
    import json

    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "cx.duckdb"
    shutil.copy(sample_db, db)
    with streamlit_server(db, tmp_path / "server.log") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        # First time: the analyst got a JSON preset (declared missing codes) and saves it under a name.
        open_upload(page, url, "surveys")
        upload_file(page, FIXTURES / "surveys_missing_codes.csv")
        upload_file(page, FIXTURES / "preset_missing_codes.json", which=1)
        save_preset_as(page, "Опрос с кодами")
        assert page.get_by_text('Preset "Опрос с кодами" saved for surveys.').count() == 1
        saved = json.loads((tmp_path / "data" / "presets" / "Опрос с кодами.json").read_text(encoding="utf-8"))
        assert saved["missing_values"] == ["-99", "n/a"] and saved["table"] == "surveys"
        assert saved["columns"]["nps"] == "nps"  # the mapping as it stood on the page

        click(page, "Save preset on the server")  # the same name again, "Replace" not ticked
        assert page.get_by_text('A preset named "Опрос с кодами" exists already').count() == 1
        save_preset_as(page, "../../etc/cron.d/x")
        assert page.get_by_text("use letters, digits, spaces, _ . - only").count() == 1
        assert sorted(p.name for p in (tmp_path / "data" / "presets").iterdir()) == ["Опрос с кодами.json"]
        page.close()

        # Next time, a fresh session: without the preset the codes -99 are out of range ...
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        open_upload(page, url, "surveys")
        upload_file(page, FIXTURES / "surveys_missing_codes.csv")
        click(page, "Check (dry run)")
        assert page.get_by_text("Rejected: nothing was changed.").count() == 1
        # ... picked by name, the saved preset makes the same file pass.
        choose(page, "Saved preset", "Опрос с кодами")
        click(page, "Check (dry run)")
        assert page.get_by_text("Check passed: 4 rows would be loaded into surveys.").count() == 1

        click(page, "Delete preset")
        assert page.get_by_text('Preset "Опрос с кодами" deleted.').count() == 1
        assert list((tmp_path / "data" / "presets").iterdir()) == []
        page.close()


def test_the_xlsx_download_of_a_table_holds_no_formula(sample_db, tmp_path, browser):
    import openpyxl

    db = tmp_path / "cx.duckdb"
    shutil.copy(sample_db, db)
    with streamlit_server(db, tmp_path / "server.log") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1400}, accept_downloads=True)
        open_upload(page, url, "transactions")
        upload_file(page, FIXTURES / "transactions_formulas.csv")
        click(page, "Check (dry run)")
        assert page.get_by_text("Check passed: 4 rows").count() == 1
        buttons = page.locator("[data-testid='stDownloadButton']").filter(has_text="Download XLSX")
        with page.expect_download() as download_info:
            buttons.nth(1).click()  # problems and notes, then the preview
        download = download_info.value
        assert download.suggested_filename == "upload-preview.xlsx"
        path = tmp_path / "preview.xlsx"
        download.save_as(path)
        page.close()

    sheet = openpyxl.load_workbook(path).active
    rows = [[cell for cell in row] for row in sheet.iter_rows()]
    header = [cell.value for cell in rows[0]]
    product, amount = header.index("product"), header.index("amount")
    assert [row[product].value for row in rows[1:]] == [
        "'=HYPERLINK(\"http://evil.example\",\"click\")", "+1", "'-2+3", "'@SUM(A1)"]
    assert [row[product].data_type for row in rows[1:]] == ["s"] * 4  # text cells, not formulas
    assert not [cell.coordinate for row in rows for cell in row if cell.data_type == "f"]
    assert [row[amount].value for row in rows[1:]] == [-2.5, 10, 3, 4]  # the refund is still a number
    assert rows[1][amount].data_type == "n"
