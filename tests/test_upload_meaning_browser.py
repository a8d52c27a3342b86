"""In the browser, in Russian: the Upload page asks for the scale of a 1–5 score column and offers
to merge a channel spelled two ways, with no English left on those questions; the answers load."""

from __future__ import annotations

import re
import shutil

import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from tests.browser import streamlit_server, wait_for_run
from tests.conftest import ROOT

pytestmark = pytest.mark.browser
REVIEWS = ROOT / "tests" / "fixtures" / "ingest" / "shop_reviews.csv"
# Words on the questions that come from the file or are the scores' own names, not the interface's.
DATA_WORDS = ("score", "Web", "web", "CSAT", "CES")
SUMMARY = ("SELECT count(*), count(nps), sum(csat) FILTER (WHERE csat_scale = 5), count(*) FILTER (WHERE channel = 'Web'), "
           "count(*) FILTER (WHERE channel = 'web'), count(*) FILTER (WHERE channel = 'Shop') FROM surveys")


def stored(db, sql: str):
    from cxdata.engine.db import open_snapshot

    con = open_snapshot(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def interface_text(text: str) -> str:
    for word in DATA_WORDS:
        text = re.sub(rf"\b{word}\b", "", text)
    return text


def test_scale_question_and_merge_offer_in_russian(sample_db, tmp_path, browser):
    db = tmp_path / "upload.duckdb"
    shutil.copy(sample_db, db)
    summary = stored(db, SUMMARY)[0]
    with streamlit_server(db, tmp_path / "server.log") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(f"{url}/upload?lang=ru")
        wait_for_run(page)
        page.locator("[data-testid='stSelectbox']").filter(has_text="Таблица").locator("input").click()
        page.get_by_role("option", name="ответы на опросы", exact=True).click()
        wait_for_run(page)
        page.locator("[data-testid='stFileUploader'] input[type='file']").first.set_input_files(str(REVIEWS))
        wait_for_run(page)

        page.get_by_role("button", name="Проверить (без записи)").click()
        wait_for_run(page)
        assert page.get_by_text("Отклонено: ничего не изменено.").count() == 1
        question = page.locator("[data-testid='stSelectbox']").filter(has_text="Столбец «score»")
        assert question.count() == 1
        assert question.inner_text().strip().startswith("Столбец «score»: какая это оценка и по какой шкале?")
        question.locator("input").click()
        options = [o.inner_text().strip() for o in page.get_by_role("option").all()]
        assert options == ["CSAT, шкала 1–5", "CES, шкала 1–5"]  # never NPS
        for text in [question.inner_text(), *options]:
            assert not re.search("[A-Za-z]", interface_text(text)), text
        page.get_by_role("option", name="CSAT, шкала 1–5", exact=True).click()
        wait_for_run(page)

        page.get_by_role("button", name="Проверить (без записи)").click()
        wait_for_run(page)
        assert page.get_by_text("Проверка пройдена: в таблицу «ответы на опросы» будет загружено строк: 20.").count() == 1
        merge = page.locator("[data-testid='stSelectbox']").filter(has_text="Канал:")
        assert merge.count() == 1
        label = merge.inner_text()
        assert "Канал: «web» / «Web» отличаются только регистром или пробелами" in label
        shown = merge.locator("input").input_value() or merge.locator("input").get_attribute("aria-label") or ""
        assert "объединить в «web»" in shown + merge.inner_html(), merge.inner_html()  # the stored spelling, chosen
        merge.locator("input").click()
        options = [o.inner_text().strip() for o in page.get_by_role("option").all()]
        assert options == ["объединить в «web»", "объединить в «Web»", "оставить раздельно"]
        for text in [label, *options]:
            assert not re.search("[A-Za-z]", interface_text(text)), text
        page.keyboard.press("Escape")
        wait_for_run(page)
        assert stored(db, SUMMARY)[0] == summary  # checks store nothing

        page.get_by_role("button", name="Загрузить", exact=True).click()
        wait_for_run(page)
        assert page.get_by_text("Загружено строк: 20 в таблицу «ответы на опросы»").count() == 1
        after = stored(db, SUMMARY)[0]
        # 20 answers more, none of them NPS, their CSAT (1–5) summing to 7×5 + 5×4 + 3×3 + 2×2 + 3×1 = 71;
        # the 15 "Web"/"web" reviews (11 + 4) all under the stored spelling, the 5 "Shop" ones a new channel.
        assert [a - b for a, b in zip(after, summary)] == [20, 0, 71, 0, 15, 5]
        page.close()


def test_a_file_without_customers_is_refused_until_marked_anonymous(sample_db, tmp_path, browser):
    db = tmp_path / "upload.duckdb"
    shutil.copy(sample_db, db)
    anonymous = "SELECT count(*), sum(amount) FROM transactions WHERE customer_id IS NULL"
    assert stored(db, anonymous) == [(0, None)]
    with streamlit_server(db, tmp_path / "server.log") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(f"{url}/upload?lang=ru")
        wait_for_run(page)
        page.locator("[data-testid='stSelectbox']").filter(has_text="Таблица").locator("input").click()
        page.get_by_role("option", name="транзакции", exact=True).click()
        wait_for_run(page)
        page.locator("[data-testid='stFileUploader'] input[type='file']").first.set_input_files(
            str(ROOT / "tests" / "fixtures" / "ingest" / "transactions_no_customer.csv"))
        wait_for_run(page)
        page.get_by_role("button", name="Загрузить", exact=True).click()
        wait_for_run(page)
        assert page.get_by_text("Отклонено: ничего не изменено.").count() == 1
        assert stored(db, anonymous) == [(0, None)]  # refused: nothing stored

        page.get_by_text("Анонимный файл (намеренно без клиента)").click()
        wait_for_run(page)
        page.get_by_role("button", name="Загрузить", exact=True).click()
        wait_for_run(page)
        assert page.get_by_text("Загружено строк: 4 в таблицу «транзакции»").count() == 1
        assert stored(db, anonymous) == [(4, 160.5)]  # 100 + 50.5 + 20 − 10, belonging to no one
        page.close()
