"""Coverage is part of every number: a metric whose data was never loaded says so, in the CLI
and on the pages, instead of a confident 0% or 100%; and the data health report.

The database is ``tests/coverage_data.py``: each case is checked against the same database with
the piece loaded, so every assertion can fail.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cxdata.cli import main
from cxdata.engine.coverage import Gap
from tests.conftest import ROOT, shown
from tests.coverage_data import build_partial_db
from tests.fixtures.ingest.support import CFPB, TELCO, fixture, require_dataset

JAN_JUN = ("--start", "2025-01-01", "--end", "2025-06-30")


def cli(capsys, *args) -> dict:
    assert main(list(args)) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coverage")
    return {
        "full": build_partial_db(folder / "full.duckdb"),
        "no_churn": build_partial_db(folder / "no_churn.duckdb", churn=False),
        "no_resolution": build_partial_db(folder / "no_resolution.duckdb", resolved=False),
        "no_costs": build_partial_db(folder / "no_costs.duckdb", costs=False),
        "no_seo_costs": build_partial_db(folder / "no_seo_costs.duckdb", costless_channels=("seo",)),
    }


@pytest.mark.parametrize("gap, en, ru", [
    (Gap("churn_events"), "not available: no churn events loaded — load churn events",
     "нет данных: события оттока не загружены — загрузите события оттока"),
    (Gap("customers", "acquisition_cost"), "not available: no acquisition costs loaded — load customers with acquisition costs",
     "нет данных: стоимость привлечения не загружена — загрузите клиентов с заполненным полем «стоимость привлечения»"),
    (Gap("customers", "segment"), "not available: the customers have no segments — load customers with segments",
     "нет данных: клиенты: не заполнены сегменты — загрузите клиентов с заполненным полем «сегменты»"),
])  # fmt: skip
def test_gap_texts(gap, en, ru):
    assert (gap.text("en"), gap.text("ru")) == (en, ru)


def test_churn_and_retention_without_churn_events(capsys, databases):
    # Apr–Jun (the default 90 days): c1–c4 bought before 2 Apr; c4 churned on 20 May.
    full = cli(capsys, "metrics", "--db", str(databases["full"]))
    assert full["retention_rate"]["value"] == pytest.approx(75.0) and full["retention_rate"]["n"] == 4
    printed = cli(capsys, "metrics", "--db", str(databases["no_churn"]))
    missing = {"value": None, "n": 0, "reason": "no churn events loaded"}
    assert printed["churn_rate"] == printed["retention_rate"] == missing  # not 0% churn, 100% retention
    # Everything else is measured as before: NPS = 100 × (2 promoters − 1 detractor) / 4.
    assert printed["nps"]["value"] == pytest.approx(25.0) and printed["nps"]["n"] == 4
    assert printed["revenue"] == full["revenue"]
    russian = cli(capsys, "metrics", "--db", str(databases["no_churn"]), "--lang", "ru")
    assert russian["churn_rate"] == {"value": None, "n": 0, "reason": "события оттока не загружены"}


def test_resolution_without_any_resolution_date(capsys, databases):
    full = cli(capsys, "metrics", "--db", str(databases["full"]))
    assert full["unresolved_share"]["value"] == pytest.approx(60.0)  # k3, k4, k5 of 5
    printed = cli(capsys, "metrics", "--db", str(databases["no_resolution"]))
    assert printed["unresolved_share"] == {"value": None, "n": 0, "reason": "no complaint has a resolution date"}
    assert printed["complaints"]["value"] == 5  # counting them needs no resolution date


def test_cac_without_acquisition_costs(capsys, databases):
    # Contacted Jan–Jun: c1–c5, paying c1–c4; cost 400 → CAC 100; revenue 1150 → LTV 287.5.
    full = cli(capsys, "metrics", "--db", str(databases["full"]), *JAN_JUN)
    assert (full["cac"]["value"], full["ltv_cac"]["value"]) == (pytest.approx(100.0), pytest.approx(2.875))
    printed = cli(capsys, "metrics", "--db", str(databases["no_costs"]), *JAN_JUN)
    reason = {"value": None, "n": 0, "reason": "no acquisition costs loaded"}
    assert printed["cac"] == printed["ltv_cac"] == reason
    assert printed["ltv"]["value"] == pytest.approx(287.5)
    russian = cli(capsys, "metrics", "--db", str(databases["no_costs"]), *JAN_JUN, "--lang", "ru")
    assert russian["cac"]["reason"] == "стоимость привлечения не загружена"


def test_money_report_without_churn_events(capsys, databases):
    full = cli(capsys, "money", "--db", str(databases["full"]))
    assert "unavailable" not in full and full["economics"]["promoter"]["churn_rate"]["n"] > 0
    printed = cli(capsys, "money", "--db", str(databases["no_churn"]), "--lang", "ru")
    for cx_class in ("promoter", "passive", "detractor"):
        for metric in ("churn_rate", "retention_rate"):
            assert printed["economics"][cx_class][metric] == {"value": None, "n": 0, "reason": "события оттока не загружены"}
    assert set(printed["unavailable"]) == {"class_retention", "revenue_at_risk", "drivers", "cohort_retention", "payback"}
    assert printed["drivers"] == []
    assert printed["revenue_at_risk"]["detractor"]["revenue_at_risk"] is None
    assert printed["headline"].startswith("нет данных: события оттока не загружены")
    # The economics table says "not available" in its churn cells, and why under it.
    from datetime import date

    from cxdata.engine.query import open_backend
    from cxdata.model.filters import Filters
    from cxdata.presentation.money_tables import build_economics_table, describe_economics_gaps
    from cxdata.questions.money import fetch_class_economics

    economics = fetch_class_economics(open_backend(databases["no_churn"]), Filters(date(2025, 4, 1), date(2025, 6, 30)),
                                      date(2025, 6, 30))  # fmt: skip
    table = build_economics_table(economics, "nps", "en", "RUB")
    assert set(table["Churn a month"]) == set(table["Retention"]) == {"not available"}
    assert describe_economics_gaps(economics, "nps", "en") == [
        "Retention, Churn a month: not available: no churn events loaded — load churn events."]
    assert describe_economics_gaps(economics, "nps", "ru") == [
        "Удержание, Отток в месяц: нет данных: события оттока не загружены — загрузите события оттока."]
    costs = cli(capsys, "money", "--db", str(databases["no_costs"]), *JAN_JUN)
    assert costs["unavailable"] == {"unit_economics": "no acquisition costs loaded", "payback": "no acquisition costs loaded"}
    assert costs["unit_economics"]["ads"]["cac"] is None


def pandas_unit_economics(db_path, start: str, end: str, as_of: str) -> dict[str, dict]:
    """Per acquisition channel of the people first contacted from ``start`` to ``end``: CAC (their
    acquisition costs / those who became paying by the as-of date; None without a single cost) and
    LTV (net revenue to the as-of date per paying customer), in plain pandas."""
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    customers = con.execute("SELECT * FROM customers").df()
    transactions = con.execute("SELECT * FROM transactions").df()
    con.close()
    day = pd.Timedelta(days=1)
    contacted = customers[(customers.signup_at >= pd.Timestamp(start)) & (customers.signup_at < pd.Timestamp(end) + day)]
    to_date = transactions[transactions.occurred_at < pd.Timestamp(as_of) + day]
    paying = set(to_date[to_date.amount > 0].customer_id)
    revenue = to_date.groupby("customer_id").amount.sum()
    result = {}
    for channel, people in contacted.groupby("acquisition_channel"):
        payers = people[people.customer_id.isin(paying)]
        cost = people.acquisition_cost.dropna()
        cac = cost.sum() / len(payers) if len(cost) and len(payers) else None
        ltv = revenue.reindex(payers.customer_id).fillna(0).sum() / len(payers) if len(payers) else None
        result[channel] = {"cac": cac, "ltv": ltv, "ltv_cac": ltv / cac if cac else None, "paying": len(payers)}
    return result


def test_unit_economics_of_a_channel_without_costs(capsys, databases):
    from datetime import date

    from cxdata.engine.query import open_backend
    from cxdata.i18n import display_name
    from cxdata.model.filters import Filters
    from cxdata.presentation.money_tables import build_unit_table
    from cxdata.questions.money_units import fetch_unit_economics

    full = cli(capsys, "money", "--db", str(databases["full"]), *JAN_JUN)["unit_economics"]
    printed = cli(capsys, "money", "--db", str(databases["no_seo_costs"]), *JAN_JUN)
    expected = pandas_unit_economics(databases["no_seo_costs"], "2025-01-01", "2025-06-30", "2025-06-30")
    # ads: c1, c2, c5 contacted (300), c1 and c2 paying: CAC 150; LTV (250 + 200) / 2 = 225.
    ads = printed["unit_economics"]["ads"]
    assert (ads["cac"], ads["ltv"]) == (pytest.approx(expected["ads"]["cac"]), pytest.approx(expected["ads"]["ltv"]))
    assert (ads["cac"], ads["ltv_cac"]) == (pytest.approx(150.0), pytest.approx(1.5))
    assert ads == full["ads"] and "unavailable" not in ads  # the channel with its costs is unchanged
    # seo: c3 and c4 paying, no cost loaded for either: no CAC (not 0), the LTV of 350 stands.
    seo = printed["unit_economics"]["seo"]
    assert expected["seo"]["cac"] is None and seo["ltv"] == pytest.approx(expected["seo"]["ltv"]) == 350.0
    assert seo["cac"] is seo["ltv_cac"] is seo["payback_months"] is seo["pays_back"] is None
    assert full["seo"]["cac"] == pytest.approx(50.0)  # the same channel with its costs has a CAC
    reason = "no acquisition costs for this channel"
    assert seo["unavailable"] == {"cac": reason, "ltv_cac": reason, "payback_months": reason, "pays_back": reason,
                                  "payback_status": reason, "is_below_standard": reason,
                                  "predicted_ltv_cac": reason}  # no CAC to divide the predicted LTV by
    assert all(v["unavailable"]["cac"] == reason for v in seo["by_nps_class"].values())
    assert "unavailable" not in printed  # the database has acquisition costs: only the channel misses them
    russian = cli(capsys, "money", "--db", str(databases["no_seo_costs"]), *JAN_JUN, "--lang", "ru")
    assert russian["unit_economics"]["seo"]["unavailable"]["cac"] == "для этого канала нет стоимости привлечения"
    # A selection of the SMB segment holds only seo's people: no channel and no total has a CAC.
    smb = cli(capsys, "money", "--db", str(databases["no_seo_costs"]), *JAN_JUN, "--segment", "SMB")["unit_economics"]
    assert set(smb) == {"seo", "all"} and smb["all"]["cac"] is None
    assert smb["all"]["unavailable"]["cac"] == "no acquisition costs in this selection"
    # All channels: ads has costs, seo none: a total CAC of ads' 300 over all four paying customers
    # (75) would be understated, so the total has none either, and says why.
    total = printed["unit_economics"]["all"]
    assert total["cac"] is None and total["ltv"] == pytest.approx((250 + 200 + 2 * 350) / 4)
    assert total["unavailable"]["cac"] == "some channels of this selection have no acquisition costs"
    assert full["all"]["cac"] == pytest.approx((300 + 100) / 4)  # with seo's 100, every channel has costs

    def table(name: str, lang: str) -> pd.DataFrame:
        db = open_backend(databases[name])
        units = fetch_unit_economics(db, Filters(date(2025, 1, 1), date(2025, 6, 30)), date(2025, 6, 30))
        return build_unit_table(units, lang, "RUB").set_index("Acquisition channel" if lang == "en" else "Канал привлечения")

    shown_table, full_table = table("no_seo_costs", "en"), table("full", "en")
    seo_en, ads_en = display_name("acquisition_channel", "seo", "en"), display_name("acquisition_channel", "ads", "en")
    assert (seo_en, ads_en) == ("Seo", "Ads")  # codes the product has no name for: readable, as loaded
    assert shown_table.loc[seo_en, "CAC"] == "not available: no acquisition costs for this channel — load acquisition costs for it"
    assert shown_table.loc[seo_en, "LTV / CAC"] == shown_table.loc[seo_en, "Pays back"] == "not available"
    assert shown_table.loc[seo_en, "LTV"] == full_table.loc[seo_en, "LTV"]
    assert shown_table.loc[ads_en].to_dict() == full_table.loc[ads_en].to_dict()
    russian_table = table("no_seo_costs", "ru")
    assert russian_table.loc["seo", "CAC"] == ("нет данных: для этого канала нет стоимости привлечения — "
                                               "загрузите для него стоимость привлечения")


def test_health_counts_a_person_can_check(capsys, databases):
    report = cli(capsys, "health", "--db", str(databases["no_churn"]))
    tables = {t["table"]: t for t in report["tables"]}
    complaints = tables["complaints"]
    # k1 (c1) and k2 (c2) belong to known customers; zz1, zz2 are unknown and k5 has none: 2 of 5.
    assert (complaints["rows"], complaints["linked_rows"], complaints["linked_share"]) == (5, 2, 40.0)
    assert (complaints["first"], complaints["last"]) == ("2025-05-05T00:00:00", "2025-05-09T00:00:00")
    assert complaints["spelling_variants"] == {"category": [["Billing", "billing "]]}
    assert tables["customers"]["spelling_variants"] == {"channel": [["web", "Web"]]}
    assert tables["customers"]["linked_share"] is None and tables["transactions"]["linked_share"] == 100.0
    assert tables["churn_events"]["rows"] == 0
    (missing,) = tables["churn_events"]["missing"]
    assert missing["reason"] == "no churn events loaded" and missing["remedy"] == "load churn events"
    assert missing["switches_off"][:2] == ["Churn rate", "Retention"]
    assert "Revenue at risk" in missing["switches_off"]
    pieces = {name: [m["column"] for m in t["missing"]] for name, t in tables.items() if t["missing"]}
    assert pieces == {"journey_stages": [None], "journey_events": [None], "surveys": ["comment"], "complaints": ["text"],
                      "churn_events": [None], "targets": [None]}  # fmt: skip


def test_health_names_a_column_never_filled_and_what_it_switches_off(capsys, databases):
    report = cli(capsys, "health", "--db", str(databases["no_resolution"]), "--lang", "ru")
    complaints = next(t for t in report["tables"] if t["table"] == "complaints")
    assert complaints["label"] == "жалобы" and complaints["never_filled"] == ["resolved_at", "text"]
    resolution = next(m for m in complaints["missing"] if m["column"] == "resolved_at")
    assert resolution["reason"] == "ни у одной жалобы нет даты решения"
    assert resolution["switches_off"] == ["Нерешённые жалобы", "Медианное время решения", "Просроченные жалобы",
                                          "Ушли за период", "Выручка под угрозой"]
    text = next(m for m in complaints["missing"] if m["column"] == "text")
    assert text["switches_off"] == [] and text["switches_off_text"] == "ни одного показателя"


def test_health_of_the_public_complaints_and_customers(capsys, tmp_path):
    from cxdata.ingest import load_extract

    source = pd.read_csv(require_dataset(CFPB), dtype=str, keep_default_na=False)
    telco = pd.read_csv(require_dataset(TELCO), dtype=str)
    db = tmp_path / "public.duckdb"
    load_extract(db, "customers", TELCO, mapping=fixture("preset_telco_customers.json"), user="anna")
    # The CFPB publishes no consumer id: the file is loaded as anonymous on purpose.
    preset = json.loads(fixture("preset_cfpb_complaints.json").read_text(encoding="utf-8"))
    load_extract(db, "complaints", CFPB, mapping={**preset, "anonymous": True}, user="anna")
    tables = {t["table"]: t for t in cli(capsys, "health", "--db", str(db))["tables"]}
    complaints, customers = tables["complaints"], tables["customers"]
    received = pd.to_datetime(source["Date received"])
    assert complaints["rows"] == len(source) and customers["rows"] == len(telco)
    assert (complaints["first"], complaints["last"]) == (received.min().isoformat(), received.max().isoformat())
    assert (complaints["linked_rows"], complaints["linked_share"]) == (0, 0.0)  # the file has no customer column
    resolution = next(m for m in complaints["missing"] if m["column"] == "resolved_at")
    assert resolution["switches_off"] == ["Unresolved complaints", "Median resolution time", "Overdue complaints",
                                          "Churned in the period", "Revenue at stake"]
    assert "customer_id" in complaints["never_filled"]


# --- the overview page ---------------------------------------------------------------------------

ENTRY = "import sys\nsys.path.insert(0, {root!r})\nimport dashboard\ndashboard.main(default_page={page!r})\n"


@pytest.fixture
def clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def open_page(tmp_path, monkeypatch, db_path, page="overview", lang=None, period=None) -> AppTest:
    monkeypatch.setenv("CX_DB", str(db_path))
    script = tmp_path / f"entry_{page}.py"
    script.write_text(ENTRY.format(root=str(ROOT), page=page))
    app = AppTest.from_file(str(script), default_timeout=120)
    if lang:
        app.query_params["lang"] = lang
    if period:
        app.query_params["f_period"] = period
    app.run()
    return app


def test_overview_tiles_say_what_is_missing(tmp_path, monkeypatch, databases, clear_caches):
    app = open_page(tmp_path, monkeypatch, databases["no_churn"])
    assert not app.exception
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["Churn rate"] == "not available"
    assert tiles["NPS"] != "not available"
    captions = [shown(c.value) for c in app.caption]
    assert "not available: no churn events loaded — load churn events" in captions


def test_overview_tiles_with_churn_events_are_numbers(tmp_path, monkeypatch, databases, clear_caches):
    # Apr–Jun: c1–c4 active on 1 Apr, c4 churned: retention 3/4 over 91 days, churn 1 − 0.75^(30/91) a month.
    app = open_page(tmp_path, monkeypatch, databases["full"], period="last_quarter")
    assert not app.exception
    assert {m.label: m.value for m in app.metric}["Churn rate"] == f"{100 * (1 - 0.75 ** (30 / 91)):.2f}%"
    no_churn = open_page(tmp_path, monkeypatch, databases["no_churn"], period="last_quarter", lang="ru")
    assert {m.label: m.value for m in no_churn.metric}["Отток"] == "недоступно"
    assert "нет данных: события оттока не загружены — загрузите события оттока" in [shown(c.value) for c in no_churn.caption]


def run_health_page(db_path, monkeypatch, role: str, lang: str) -> AppTest:
    """pages/health.py alone, as ``role`` in local mode, on ``db_path`` (as the upload page's tests do)."""
    from datetime import date

    from cxdata.app import ui, visitors
    from cxdata.model.filters import Filters

    monkeypatch.setenv("CX_DB", str(db_path))
    monkeypatch.setattr(visitors, "current_visitor", lambda: visitors.Visitor(user="tester", role=role, local_mode=True))
    app = AppTest.from_file(str(ROOT / "pages" / "health.py"), default_timeout=60)
    app.session_state["_page_context"] = ui.PageContext(
        filters=Filters(date(2025, 1, 1), date(2025, 6, 30)), lang=lang,
        data=ui.DataKey(path=str(db_path), version="test"), as_of=date(2025, 6, 30), currency="RUB",
    )  # fmt: skip
    app.run()
    return app


def test_health_page_in_russian(monkeypatch, databases, clear_caches):
    app = run_health_page(databases["no_churn"], monkeypatch, "analyst", "ru")
    assert not app.exception
    assert app.title[0].value == "Состояние данных"
    tables, missing, variants = (frame.value for frame in app.dataframe)
    complaints = tables[tables["Таблица"] == "жалобы"].iloc[0]
    assert (complaints["Строк"], complaints["Связано с известным клиентом"]) == ("5", "40,0%")
    churn = missing[missing["Не хватает"] == "события оттока не загружены"].iloc[0]
    assert churn["Из-за этого недоступно"].startswith("Отток, Удержание")
    assert churn["Что сделать"] == "загрузите события оттока"
    assert variants["Значения"].tolist() == ["«web» · «Web»", "«Billing» · «billing »"]


def test_health_page_is_not_for_viewers(monkeypatch, databases, clear_caches):
    app = run_health_page(databases["no_churn"], monkeypatch, "viewer", "en")
    assert not app.exception
    assert [w.value for w in app.warning] == ["The data health view is for analysts and admins."]
    assert not app.dataframe
