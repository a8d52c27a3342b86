"""End to end: the Outlook page in a real Chromium against a real Streamlit server, in English and
Russian, its numbers compared with the ``clv`` command's."""

from __future__ import annotations

import csv
import json
import re

import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright

from cxdata.i18n import format_number, format_value
from tests.browser import read_plot, read_tiles, wait_for_plots, wait_for_run
from tests.test_cli import run_cli

pytestmark = pytest.mark.browser

# Latin words a Russian reader is meant to see: metric and model names, the currency code, and the
# symbols of sample size, p-value and the models' parameters.
LATIN_ALLOWED = {"NPS", "CSAT", "CES", "CX", "BG", "NBD", "Gamma", "AUC", "CSV", "XLSX", "RUB", "n", "p", "r", "a", "b",
                 "q"}  # fmt: skip


@pytest.fixture(scope="module")
def printed(sample_db):
    result = run_cli("clv", "--db", str(sample_db))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def risk_printed(sample_db):
    result = run_cli("churn-risk", "--db", str(sample_db), "--top", "50")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def open_outlook(server, browser, query: str = ""):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{server}/outlook{query}")
    wait_for_run(page, timeout_ms=180_000)
    wait_for_plots(page, 4, timeout_ms=60_000)
    return context, page


def test_outlook_in_english_shows_the_churn_risk_of_the_command(server, browser, risk_printed):
    context, page = open_outlook(server, browser)
    try:
        main = page.locator("[data-testid='stMain']")
        assert main.get_by_role("heading", name="At risk within 90 days").count() == 1
        tiles = read_tiles(page)
        assert tiles["Value at stake"] == format_value(risk_printed["value_at_stake"], "money", "en", 0, "RUB", compact=True)
        top_stake = sum(c["value_at_stake"] for c in risk_printed["customers"])
        assert tiles["Keeping the top 50 would keep"] == format_value(top_stake, "money", "en", 0, "RUB", compact=True)
        assert tiles["Model accuracy (AUC)"] == format_number(risk_printed["validation"]["auc"], "en", 2)
        text = main.inner_text()
        assert risk_printed["drivers"][0]["text"] in text  # the strongest driver, in the command's words
        calibration = read_plot(page, "Predicted and actual churn within 90 days after 2 Oct 2025")
        predicted, observed = calibration["traces"]
        groups = risk_printed["validation"]["calibration"]
        assert observed["y"] == pytest.approx([g["observed"] for g in groups])
        assert predicted["y"] == pytest.approx([g["predicted"] for g in groups])
        assert calibration["traces"][0]["x"][0].endswith(f"n = {format_number(groups[0]['customers'], 'en')}")
        download = main.get_by_role("button", name="Download the list (CSV)")
        assert download.count() == 1
        with page.expect_download() as downloaded:
            download.click()
        with open(downloaded.value.path(), encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == ["Customer", "Segment", "Region", "Channel", "Acquisition channel", "Risk, %",
                           "Predicted value, RUB", "Value at stake, RUB", "Main reason"]  # fmt: skip
        assert len(rows) == 1 + 50
        first = risk_printed["customers"][0]
        assert rows[1][0] == first["customer_id"] and rows[1][-1] == first["reason"]
        assert float(rows[1][5]) == pytest.approx(100 * first["risk"], abs=0.05)
    finally:
        context.close()


def test_outlook_in_english_shows_the_commands_numbers(server, browser, printed):
    context, page = open_outlook(server, browser)
    try:
        assert page.locator("h1").first.inner_text().strip() == "Outlook"
        tiles = read_tiles(page)
        assert tiles["Customer equity, 12 months"] == format_value(printed["equity"], "money", "en", 0, "RUB", compact=True)
        assert tiles["Expected purchases, 12 months"] == format_number(printed["expected_purchases"], "en")
        headline = page.locator("[data-testid='stMain'] [data-testid='stAlert']").first.inner_text()
        assert f"The {format_number(printed['customers'], 'en')} paying customers" in headline
        validation = read_plot(page, "Repeat purchases after 1 Apr 2025")
        assert validation is not None
        predicted, actual = validation["traces"]
        n = printed["validation"]["customers"]
        # The last pair of bars is everyone: the command's totals a customer.
        assert actual["y"][-1] == pytest.approx(printed["validation"]["actual_repeat_purchases"] / n)
        assert predicted["y"][-1] == pytest.approx(printed["validation"]["predicted_repeat_purchases"] / n)
        survival = read_plot(page, "Customers still with us · NPS class")
        promoters = next(t for t in survival["traces"] if t["name"].startswith("Promoters (9–10)"))
        assert promoters["name"] == f"Promoters (9–10) · n = {format_number(printed['by_class']['promoter']['customers'], 'en')}"
        assert promoters["y"][0] == 1.0 and min(promoters["y"]) > 0.5
    finally:
        context.close()


def test_outlook_in_russian_has_no_english_left(server, browser, printed):
    context, page = open_outlook(server, browser, "?lang=ru")
    try:
        assert page.locator("h1").first.inner_text().strip() == "Прогноз"
        tiles = read_tiles(page)
        assert tiles["Ценность базы, 12 мес."] == format_value(printed["equity"], "money", "ru", 0, "RUB", compact=True)
        texts, icons = page.evaluate("""() => [[document.querySelector("[data-testid='stMain']").innerText,
            ...[...document.querySelectorAll('.js-plotly-plot text')].map(t => t.textContent)].join('\\n'),
            [...document.querySelectorAll("[data-testid='stMain'] [data-testid='stIconMaterial']")].map(i => i.innerText)]""")
        # Material icons are ligature names drawn as pictures (the download arrow), not words.
        english = sorted(set(re.findall(r"[A-Za-z]+", texts)) - LATIN_ALLOWED - set(icons))
        assert english == [], english
        assert "Доля оставшихся клиентов · Класс NPS" in texts
        assert "Под риском ухода в ближайшие 90 дн." in texts and "Прогноз и факт ухода за 90 дн. после 2 окт 2025" in texts
        assert page.locator("[data-testid='stMain']").get_by_role("button", name="Скачать список (CSV)").count() == 1
    finally:
        context.close()
