"""CX and money: golden numbers on a hand-built database, statistics against independent
computations, the sample's story, the page (AppTest) and the CLI.

The hand-built period is Q1 2025 (1 Jan – 31 Mar, 90 days), data as of 31 Mar 2025; every
number below can be checked with pencil and paper from the rows.
"""

from __future__ import annotations

import doctest
import importlib
import json
import math
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from cxdata.analysis.money_stats import (
    expected_active_months,
    odds_ratio,
    two_proportion_test,
    welch_test,
)
from cxdata.cli import main as cli_main
from cxdata.engine.query import open_backend
from cxdata.i18n import format_value
from cxdata.model.filters import DEFAULT_PRESET, Filters, preset_range
from cxdata.model.schema import create_schema
from cxdata.presentation.money_tables import build_economics_table, describe_economics_gaps
from cxdata.presentation.plaintext import markdown_text
from cxdata.questions.metrics import compute_metrics
from cxdata.questions.money import build_class_economics, compute_revenue_at_risk
from cxdata.questions.money_base import fetch_money_cells
from cxdata.questions.money_cohorts import (
    fetch_cohort_retention,
    summarise_retention_curves,
)
from cxdata.questions.money_drivers import compute_drivers
from cxdata.questions.money_report import (
    build_money_headline,
    build_money_report,
    fetch_stage_labels,
    rank_levers,
)
from cxdata.questions.money_units import fetch_unit_economics
from cxdata.questions.money_whatif import (
    drop_off_steps,
    fetch_what_if_funnel,
    project_drop_off_reduction,
    project_nps_uplift,
)
from cxdata.questions.overview import fetch_as_of
from tests.conftest import build_rollups, insert_rows, shown
from tests.test_app import clear_streamlit_caches, open_app  # noqa: F401 - the fixture clears caches here too
from tests.test_cli import run_cli

AS_OF = date(2025, 3, 31)
Q1 = Filters(date(2025, 1, 1), date(2025, 3, 31))
DAYS = 90
# Monthly churn of a group that kept half its customers over Q1, and the months such a customer
# stays over 12 months: Σ q^m for q = 0.5^(1/3) (q^12 = 0.5^4).
HALF_CHURN = 1 - 0.5 ** (30 / 90)
Q = 0.5 ** (30 / 90)
E_HALF = Q * (1 - 0.5**4) / (1 - Q)

CUSTOMERS = [
    # id, signup_at, segment, region, channel, acquisition_channel, acquisition_cost
    ("p1", "2024-11-01", "Retail", "Ural", "web", "organic", 10.0),
    ("p2", "2024-11-01", "SMB", "Volga", "web", "organic", 10.0),
    ("d1", "2024-12-01", "Retail", "Ural", "branch", "partners", 10.0),
    ("d2", "2024-12-01", "Retail", "Ural", "web", "partners", 10.0),
    ("n1", "2025-01-20", "SMB", "Volga", "web", "partners", 300.0),  # new in Q1, passive
    ("n2", "2025-01-02", "Retail", "Ural", "web", "organic", 100.0),  # new in Q1, silent, churns in March
    ("x1", "2024-09-01", "Retail", "Siberia", "web", "social", 10.0),  # silent, unresolved complaint, churns
    ("o1", "2024-05-01", "Retail", "Ural", "web", "social", 10.0),  # churned before Q1: not a customer of it
    ("L", "2025-01-10", "Retail", "Ural", "web", "partners", 200.0),  # a lead who never buys
]
TRANSACTIONS = [
    # id, customer, occurred_at, amount, product, channel
    ("t1", "p1", "2024-12-01 00:00", 1000.0, "Basic", "web"),
    ("t2", "p1", "2025-01-10 00:00", 200.0, "Basic", "web"),
    ("t3", "p1", "2025-02-10 00:00", 200.0, "Basic", "web"),
    ("t4", "p2", "2024-11-15 00:00", 500.0, "Basic", "web"),
    ("t5", "p2", "2025-03-01 00:00", 300.0, "Basic", "web"),
    ("t6", "d1", "2024-12-20 00:00", 400.0, "Basic", "branch"),
    ("t7", "d1", "2025-01-05 00:00", 100.0, "Basic", "branch"),
    ("t8", "d2", "2024-12-10 00:00", 300.0, "Basic", "web"),
    ("t9", "d2", "2025-02-15 00:00", 100.0, "Basic", "web"),
    ("t10", "d2", "2025-02-20 00:00", -50.0, "Basic", "web"),  # refund
    ("t11", "n1", "2025-02-01 00:00", 600.0, "Basic", "web"),
    ("t12", "n1", "2025-04-02 00:00", 999.0, "Basic", "web"),  # after the as-of date
    ("t13", "n2", "2025-01-15 00:00", 100.0, "Basic", "web"),
    ("t14", "n2", "2025-02-10 00:00", 200.0, "Basic", "web"),
    ("t15", "x1", "2024-10-01 00:00", 800.0, "Basic", "web"),
    ("t16", "o1", "2024-06-01 00:00", 700.0, "Basic", "web"),
]
CHURN = [
    ("d1", "2025-02-01", "price"),
    ("x1", "2025-03-15", "poor_service"),
    ("n2", "2025-03-20", "competitor"),
    ("o1", "2024-09-01", "price"),
    ("L", "2025-01-20", "just_browsing"),
]
SURVEYS = [
    # id, customer, responded_at, touchpoint, channel, nps, csat, ces, comment
    ("s1", "p1", "2024-12-02", "repeat_purchase", "web", 3, None, None, None),  # overridden by s2
    ("s2", "p1", "2025-01-11", "repeat_purchase", "web", 10, 5, None, None),
    ("s3", "p2", "2025-03-02", "repeat_purchase", "web", 9, 4, None, None),
    ("s4", "p2", "2025-04-05", "repeat_purchase", "web", 0, 1, None, None),  # after the period: ignored
    ("s10", "p2", "2025-03-02", "repeat_purchase", "web", 5, None, None, None),  # same instant as s3: 9 wins
    ("s5", "d1", "2025-01-06", "repeat_purchase", "branch", 2, 2, None, None),
    ("s6", "d2", "2025-02-16", "repeat_purchase", "web", 6, 3, None, None),
    ("s7", "d2", "2025-02-17", "onboarding", "web", None, None, 3, None),
    ("s8", "n1", "2025-02-02", "first_purchase", "web", 8, 5, None, None),
    ("s9", None, "2025-02-02", "registration", "web", 0, 1, 1, None),  # anonymous: nobody's class
]
COMPLAINTS = [
    # id, customer, opened_at, resolved_at, touchpoint, channel, category, text
    ("k1", "x1", "2025-02-01", None, "repeat_purchase", "web", "billing", "x"),
    ("k2", "d2", "2025-01-20", "2025-01-21", "repeat_purchase", "web", "staff_rudeness", "x"),
    ("k3", "p1", "2025-03-20", "2025-04-10", "repeat_purchase", "web", "product_quality", "x"),  # open on 31 Mar
]
STAGES = [
    ("first_contact", 1, "First contact", "Первый контакт"),
    ("registration", 2, "Registration", "Регистрация"),
    ("first_purchase", 3, "First purchase", "Первая покупка"),
    ("onboarding", 4, "Onboarding", "Онбординг"),
    ("repeat_purchase", 5, "Repeat purchase", "Повторная покупка"),
]


@pytest.fixture(params=["raw tables", "rollups"])
def db(empty_db, request):
    """The hand-built data, on the definitions alone or with its rollups built (the money copies
    do not answer here: complaint k3 is resolved after the as-of date; the customer summary does)."""
    con = duckdb.connect(str(empty_db))
    for table, rows in (("customers", CUSTOMERS), ("transactions", TRANSACTIONS), ("churn_events", CHURN),
                        ("surveys", SURVEYS), ("complaints", COMPLAINTS), ("journey_stages", STAGES)):  # fmt: skip
        insert_rows(con, table, rows)
    con.execute("INSERT INTO meta VALUES ('as_of', '2025-03-31'), ('currency', 'RUB'), ('data_version', 'golden')")
    if request.param == "rollups":
        build_rollups(con)
    con.close()
    return open_backend(empty_db)


@pytest.fixture
def economics(db):
    return build_class_economics(fetch_money_cells(db, Q1, AS_OF))


def value(economics, dimension, cx_class, metric):
    row = economics.row(dimension, cx_class, metric)
    return row["value"], row["n"]


# ---------------------------------------------------------------- golden numbers


def test_economics_by_nps_class_by_hand(economics):
    # Customers of Q1: p1 p2 d1 d2 n1 n2 x1 (o1 churned in 2024, L never bought).
    assert value(economics, "all", "all", "customers") == (7, 7)
    # Promoters p1 (latest answer 10; the earlier 3 is overridden) and p2 (the April 0 is after the
    # period; its 9 and 5 share an instant, and the higher answer wins).
    assert value(economics, "nps", "promoter", "customers") == (2, 2)
    assert value(economics, "nps", "promoter", "revenue") == (pytest.approx(400 + 300), 2)
    assert value(economics, "nps", "promoter", "arpu") == (pytest.approx(350.0), 2)
    assert value(economics, "nps", "promoter", "ltv") == (pytest.approx((1400 + 800) / 2), 2)
    assert value(economics, "nps", "promoter", "purchase_frequency") == (pytest.approx((2 + 1) / 2 * 30 / DAYS), 2)
    assert value(economics, "nps", "promoter", "retention_rate") == (pytest.approx(100.0), 2)
    assert value(economics, "nps", "promoter", "churn_rate") == (pytest.approx(0.0), 2)
    # Detractors d1 (2) and d2 (6): d1 churned in February; d2's refund counts.
    assert value(economics, "nps", "detractor", "revenue") == (pytest.approx(100 + 100 - 50), 2)
    assert value(economics, "nps", "detractor", "arpu") == (pytest.approx(75.0), 2)
    assert value(economics, "nps", "detractor", "ltv") == (pytest.approx((500 + 350) / 2), 2)
    assert value(economics, "nps", "detractor", "retention_rate") == (pytest.approx(50.0), 2)
    assert value(economics, "nps", "detractor", "churn_rate") == (pytest.approx(100 * HALF_CHURN), 2)
    # The passive n1 bought first in February: not active at the start, so no retention.
    assert value(economics, "nps", "passive", "ltv") == (pytest.approx(600.0), 1)  # the April purchase is after as-of
    assert value(economics, "nps", "passive", "retention_rate") == (None, 0)
    # No answer: n2 (bought in Q1) and x1 (active at the start, churned, bought nothing in Q1).
    assert value(economics, "nps", "no_answer", "arpu") == (pytest.approx(300.0), 1)
    assert value(economics, "nps", "no_answer", "ltv") == (pytest.approx((300 + 800) / 2), 2)
    assert value(economics, "nps", "no_answer", "retention_rate") == (pytest.approx(0.0), 1)


def test_csat_ces_and_complaint_classes_by_hand(economics):
    assert value(economics, "csat", "satisfied", "customers") == (3, 3)  # p1 5, p2 4, n1 5
    assert value(economics, "csat", "neutral", "customers") == (1, 1)  # d2 3
    assert value(economics, "csat", "dissatisfied", "customers") == (1, 1)  # d1 2
    assert value(economics, "ces", "hard", "customers") == (1, 1)  # d2 3 at onboarding
    assert value(economics, "ces", "no_answer", "customers") == (6, 6)
    # Unresolved on 31 Mar: x1 (never resolved) and p1 (resolved only in April); d2's was resolved.
    assert value(economics, "complaints", "unresolved", "customers") == (2, 2)
    assert value(economics, "complaints", "unresolved", "retention_rate") == (pytest.approx(50.0), 2)
    assert value(economics, "complaints", "resolved", "retention_rate") == (pytest.approx(100.0), 1)
    assert value(economics, "complaints", "none", "customers") == (4, 4)


def test_a_class_nobody_was_a_customer_of_on_the_first_day_says_why(db, economics):
    # The passive n1 first bought in February: retention and churn of passives cannot be measured.
    table = build_economics_table(economics, "nps", "en", "RUB").set_index("Class")
    assert table.loc["Passives (7–8)", "Retention"] == table.loc["Passives (7–8)", "Churn a month"] == "not available"
    assert table.loc["Detractors (0–6)", "Retention"].endswith("50.0%")  # d1 of d1, d2 stayed
    assert describe_economics_gaps(economics, "nps", "en") == [
        "Retention, Churn a month — Passives (7–8): not available: none of them was a customer on the period's "
        "first day — retention follows the customers of the first day: choose an earlier start."]
    assert describe_economics_gaps(economics, "nps", "ru") == [
        "Удержание, Отток в месяц — Нейтралы (7–8): нет данных: никто из них не был клиентом в первый день "
        "периода — удержание считается по клиентам первого дня: выберите более раннее начало."]
    report = build_money_report(db, Q1, AS_OF, lang="en")["economics"]
    assert report["passive"]["churn_rate"] == {"value": None, "n": 0,
                                               "reason": "none of them was a customer on the period's first day"}
    assert report["promoter"]["churn_rate"]["value"] == pytest.approx(0.0)


def test_everyone_matches_the_metric_layer(db, economics):
    reference = compute_metrics(db, Q1, AS_OF)
    for metric in ("retention_rate", "churn_rate"):
        assert value(economics, "all", "all", metric) == (pytest.approx(reference[metric].value), reference[metric].n)
        row = economics.row("all", "all", metric)
        assert (row["low"], row["high"]) == (pytest.approx(reference[metric].low), pytest.approx(reference[metric].high))
    assert value(economics, "all", "all", "revenue")[0] == pytest.approx(reference["revenue"].value) == 1750.0
    assert value(economics, "all", "all", "arpu") == (pytest.approx(reference["arpu"].value), reference["arpu"].n)


def test_intervals_and_tests_by_hand(economics):
    # ARPU of promoters: 400 and 300 -> mean 350, sd 70.71, normal interval.
    row = economics.row("nps", "promoter", "arpu")
    half = 1.959964 * math.sqrt(((400 - 350) ** 2 + (300 - 350) ** 2) / 1) / math.sqrt(2)
    assert (row["low"], row["high"]) == (pytest.approx(350 - half, abs=1e-3), pytest.approx(350 + half, abs=1e-3))
    # Retention of detractors (1 of 2) vs promoters (2 of 2): pooled z-test by hand.
    pooled = 3 / 4
    z = (0.5 - 1.0) / math.sqrt(pooled * (1 - pooled) * (1 / 2 + 1 / 2))
    detractor_churn = economics.row("nps", "detractor", "churn_rate")
    assert detractor_churn["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert not detractor_churn["is_significant"]  # two customers each: not significant
    assert economics.row("nps", "promoter", "churn_rate")["p_value"] is None  # the reference


def test_revenue_at_risk_by_hand(economics):
    risk = compute_revenue_at_risk(economics, 12).set_index("group")
    # Detractors: monthly revenue 150 × 30 / 90 = 50; promoters keep 12 months, detractors E_HALF.
    assert risk.at["detractor", "monthly_revenue"] == pytest.approx(50.0)
    assert risk.at["detractor", "revenue_at_risk"] == pytest.approx(50 * (12 - E_HALF))
    assert risk.at["detractor", "churn_rate"] == pytest.approx(100 * HALF_CHURN)
    assert math.isnan(risk.at["passive", "revenue_at_risk"])  # no passive was active at the start
    # Unresolved (p1 400 + x1 0 in Q1, half churned) vs resolved (d2, stayed).
    assert risk.at["unresolved", "revenue_at_risk"] == pytest.approx(400 * 30 / 90 * (12 - E_HALF))
    assert risk.at["unresolved", "reference"] == "resolved"
    assert compute_revenue_at_risk(economics, 1).at[0, "revenue_at_risk"] == pytest.approx(50 * (1 - Q))


def test_drivers_by_hand(db):
    drivers = compute_drivers(fetch_money_cells(db, Q1, AS_OF), 12).set_index(["kind", "subject"])
    # Active at the start: p1 p2 d1 d2 x1; churned d1 x1. CSAT at repeat purchase: p1 5, p2 4, d1 2, d2 3.
    csat = drivers.loc[("csat", "repeat_purchase")]
    assert (csat.measured_customers, csat.exposed_customers, csat.performance) == (4, 2, 50.0)
    assert csat.exposed_churn_rate == pytest.approx(100 * HALF_CHURN)
    assert csat.unexposed_churn_rate == pytest.approx(0.0)
    # An empty cell: 0.5 added to every cell (1.5 · 2.5) / (1.5 · 0.5).
    assert csat.odds_ratio == pytest.approx(5.0)
    assert csat.revenue_at_stake == pytest.approx((100 + 50) * 30 / 90 * (12 - E_HALF))
    assert csat.exposed_revenue_per_customer == pytest.approx(75.0)
    assert not csat.is_churn_significant and csat.is_small_sample
    billing = drivers.loc[("complaint", "billing")]  # x1 only, churned
    assert (billing.measured_customers, billing.exposed_customers) == (5, 1)
    assert billing.exposed_churn_rate == pytest.approx(100.0)
    assert ("csat", "first_purchase") not in drivers.index  # n1 answered there but was not active at the start
    ces = drivers.loc[("ces", "onboarding")]  # d2 only: nobody unexposed to compare with
    assert ces.exposed_customers == 1 and math.isnan(ces.revenue_at_stake) and math.isnan(ces.odds_ratio)


def test_cohorts_by_hand(db):
    cohorts = fetch_cohort_retention(db, Q1, AS_OF)
    everyone = cohorts[cohorts.cx_class == "all"]
    january = everyone[everyone.cohort_month == pd.Timestamp("2025-01-01")]
    # n2: first purchase 15 Jan (100), 200 in February, churned 20 March.
    assert january.customer_retention.tolist() == [100.0, 100.0, 0.0]
    assert january.revenue_retention.tolist() == pytest.approx([100.0, 200.0, 0.0])
    february = everyone[everyone.cohort_month == pd.Timestamp("2025-02-01")]
    assert february.customer_retention.tolist() == [100.0, 100.0]  # n1; March is the last complete month
    assert february.revenue_retention.tolist() == pytest.approx([100.0, 0.0])
    assert set(cohorts[cohorts.cx_class == "passive"].cohort_month) == {pd.Timestamp("2025-02-01")}
    curves = summarise_retention_curves(cohorts).set_index(["cx_class", "months_since_first_purchase"])
    assert curves.at[("all", 1), "customer_retention"] == 100.0
    assert curves.at[("all", 1), "revenue_retention"] == pytest.approx(100 * (200 + 0) / (100 + 600))
    assert curves.at[("all", 2), "cohorts"] == 1


def test_unit_economics_by_hand(db):
    units = fetch_unit_economics(db, Q1, AS_OF).set_index(["acquisition_channel", "cx_class"])
    # Contacted in Q1: n1 and L via partners (300 + 200), n2 via organic (100).
    partners = units.loc[("partners", "all")]
    assert (partners.contacted, partners.paying) == (2, 1)
    assert (partners.cac, partners.ltv, partners.ltv_cac) == (pytest.approx(500.0), pytest.approx(600.0), pytest.approx(1.2))
    months = 59 / 30  # 1 Feb 00:00 to the end of 31 Mar
    assert partners.payback_months == pytest.approx(500 / (600 / months))
    # No churn among partners' paying customers: no lifetime to measure; LTV/CAC 1.2 ≥ 1: paid back.
    assert math.isinf(partners.expected_lifetime_months) and partners.lifetime_note == "no_churn"
    assert partners.payback_status == "paid_back" and partners.pays_back and partners.is_below_standard
    organic = units.loc[("organic", "all")]  # n2: 15 Jan to its churn on 20 Mar, 64 days
    assert organic.payback_months == pytest.approx(100 / (300 / (64 / 30)))
    assert organic.expected_lifetime_months == pytest.approx(64 / 30)
    assert units.loc[("partners", "passive")].cac == pytest.approx(500.0)  # the channel's CAC
    assert units.loc[("partners", "no_answer")].paying == 0
    everyone = units.loc[("all", "all")]
    reference = compute_metrics(db, Q1, AS_OF, ("cac", "ltv", "ltv_cac"))
    for metric in ("cac", "ltv", "ltv_cac"):
        assert everyone[metric] == pytest.approx(reference[metric].value)


def test_unit_economics_per_channel_equal_the_metric_layer_on_the_sample(sample_db):
    db = open_backend(sample_db)
    filters = Filters(date(2024, 1, 1), date(2024, 12, 31))
    units = fetch_unit_economics(db, filters, fetch_as_of(db)).set_index(["acquisition_channel", "cx_class"])
    for channel in ("organic", "partners"):
        reference = compute_metrics(db, Filters(filters.start, filters.end, acquisition_channels=(channel,)),
                                    fetch_as_of(db), ("cac", "ltv", "ltv_cac"))  # fmt: skip
        for metric in ("cac", "ltv", "ltv_cac"):
            assert units.loc[(channel, "all"), metric] == pytest.approx(reference[metric].value)
    # The sample's story: partners below the standard of 3, organic far above it.
    assert units.loc[("partners", "all"), "ltv_cac"] < 3 < units.loc[("organic", "all"), "ltv_cac"]


def test_what_if_nps_by_hand(economics):
    # 5 customers with a class; +20 points to promoters moves 20 × 5 / 200 = 0.5 detractors.
    whatif = project_nps_uplift(economics, 20, 12, "promoter")
    promoter_value = 700 * 30 / 90 / 2 * 12  # 116.67 a month, no churn
    detractor_value = 150 * 30 / 90 / 2 * E_HALF
    assert whatif.changed_customers == pytest.approx(0.5)
    assert (whatif.value_before, whatif.value_after) == (pytest.approx(detractor_value), pytest.approx(promoter_value))
    assert whatif.revenue_change == pytest.approx(0.5 * (promoter_value - detractor_value))
    assert whatif.ltv_change == pytest.approx(whatif.revenue_change / 5)
    assert whatif.inputs["achieved_points"] == pytest.approx(20.0)
    assert project_nps_uplift(economics, 200, 12, "passive").changed_customers == 2  # at most every detractor
    assert project_nps_uplift(economics, 20, 12, "passive").revenue_change is None  # passives have no churn measured
    with pytest.raises(ValueError, match="to_class"):
        project_nps_uplift(economics, 5, 12, "detractor")


def test_what_if_drop_off_by_hand():
    funnel = pd.DataFrame({"stage": ["visit", "sign_up", "buy"], "customers": [40, 30, 10],
                           "dropped": [10, 20, 0], "lost_value": [5000.0, 8000.0, 0.0]})  # fmt: skip
    whatif = project_drop_off_reduction(funnel, "visit", 20, 12, start=Q1.start, end=Q1.end, as_of=AS_OF)
    months = (89 + 0) / 2 / 30  # the mean of 89 … 0 days from Q1's days to 31 Mar
    assert whatif.changed_customers == pytest.approx(2.0)
    assert whatif.value_after == pytest.approx(500 * 12 / months)
    assert whatif.revenue_change == pytest.approx(0.2 * 5000 * 12 / months)
    assert whatif.ltv_change == pytest.approx(whatif.revenue_change / 40)
    with pytest.raises(ValueError, match="unknown stage"):
        project_drop_off_reduction(funnel, "nowhere", 20, 12, start=Q1.start, end=Q1.end, as_of=AS_OF)


def test_the_drop_off_scenario_needs_a_funnel(db, tmp_path):
    # The hand-built database declares stages but logs no journey event: nobody drops anywhere.
    assert drop_off_steps(fetch_what_if_funnel(db, Q1, AS_OF)) == {}
    con = duckdb.connect(str(tmp_path / "no_stages.duckdb"))
    create_schema(con)
    assert fetch_what_if_funnel(open_backend(connection=con), Q1, AS_OF).empty  # no stage declared at all


def test_a_tiny_selection_says_not_significant(db, economics):
    risk = compute_revenue_at_risk(economics, 12)
    drivers = compute_drivers(economics.cells, 12)
    assert not risk.is_significant.any() and not drivers.is_churn_significant.any()
    headline = build_money_headline(risk, drivers, "en", "RUB", 12, fetch_stage_labels(db))
    assert "No CX difference in this selection is statistically significant (p ≥ 0.05)" in headline
    assert "не значимо статистически" in build_money_headline(risk, drivers, "ru", "RUB", 12, {})


def test_empty_selection_gives_empty_results(db):
    nothing = Filters(date(2020, 1, 1), date(2020, 1, 31))
    cells = fetch_money_cells(db, nothing, AS_OF)
    assert cells.customers == 0
    economics = build_class_economics(cells)
    assert economics.is_empty and math.isnan(compute_revenue_at_risk(economics, 12).revenue_at_risk.iloc[0])
    assert compute_drivers(cells, 12).empty
    assert fetch_cohort_retention(db, nothing, AS_OF).empty and fetch_unit_economics(db, nothing, AS_OF).empty


# ---------------------------------------------------------------- statistics, independently


def test_statistics_match_scipy_and_hand_formulas():
    rng = np.random.default_rng(3)
    a, b = rng.gamma(2.0, 100.0, 60), rng.gamma(2.5, 100.0, 45)
    expected = stats.ttest_ind(a, b, equal_var=False).pvalue
    assert welch_test(a.mean(), a.std(ddof=1), 60, b.mean(), b.std(ddof=1), 45) == pytest.approx(expected)
    # Pooled two-proportion z-test = Pearson chi-square without continuity correction.
    chi2 = stats.chi2_contingency([[30, 70], [15, 85]], correction=False)
    assert two_proportion_test(30, 100, 15, 100) == pytest.approx(chi2.pvalue)
    # Woolf interval = scipy's sample odds ratio interval.
    ratio = odds_ratio(12, 40, 20, 110)
    scipy_ratio = stats.contingency.odds_ratio([[12, 28], [20, 90]], kind="sample")
    assert ratio.value == pytest.approx(scipy_ratio.statistic)
    interval = scipy_ratio.confidence_interval()
    assert (ratio.low, ratio.high) == (pytest.approx(interval.low, rel=1e-4), pytest.approx(interval.high, rel=1e-4))
    assert expected_active_months(0.1, 12) == pytest.approx(0.9 * (1 - 0.9**12) / 0.1)


@pytest.mark.parametrize("name", ["cxdata.analysis.money_stats", "cxdata.questions.money_whatif"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0


# ---------------------------------------------------------------- the sample, cross-checked

H2 = Filters(date(2025, 7, 1), date(2025, 12, 31))
YEAR = Filters(date(2025, 1, 1), date(2025, 12, 31))

INDEPENDENT_SQL = """
WITH life AS (
    SELECT customer_id, min(occurred_at) FILTER (WHERE amount > 0) AS first_purchase_at,
           sum(amount) FILTER (WHERE occurred_at >= $start AND occurred_at < $end) AS revenue,
           count(*) FILTER (WHERE occurred_at >= $start AND occurred_at < $end) AS transactions,
           sum(amount) AS ltv
    FROM transactions WHERE occurred_at < $as_of_end GROUP BY customer_id),
churn AS (SELECT customer_id, min(churned_at) AS churned_at FROM churn_events GROUP BY customer_id),
answers AS (
    SELECT customer_id, arg_max(nps, responded_at) AS nps
    FROM surveys WHERE nps IS NOT NULL AND customer_id IS NOT NULL AND responded_at < $end GROUP BY customer_id),
repeat_csat AS (
    SELECT customer_id, arg_max(csat, responded_at) AS csat FROM surveys
    WHERE csat IS NOT NULL AND touchpoint = 'repeat_purchase' AND responded_at < $end GROUP BY customer_id),
open_complaints AS (
    SELECT customer_id, bool_or(resolved_at IS NULL OR resolved_at >= $end) AS is_open
    FROM complaints WHERE opened_at < $end GROUP BY customer_id)
SELECT l.customer_id, coalesce(l.revenue, 0) AS revenue, l.transactions, l.ltv, a.nps, r.csat, o.is_open,
       l.first_purchase_at < $start AS is_active_at_start,
       CASE WHEN c.churned_at >= l.first_purchase_at THEN c.churned_at END AS churned_at
FROM life l LEFT JOIN churn c USING (customer_id) LEFT JOIN answers a USING (customer_id)
LEFT JOIN repeat_csat r USING (customer_id) LEFT JOIN open_complaints o USING (customer_id)
WHERE l.first_purchase_at < $end
"""


def fetch_independent_customers(path, filters: Filters, as_of: date) -> pd.DataFrame:
    """The customers of the period straight from SQL, with pandas doing the classes."""
    con = duckdb.connect(str(path), read_only=True)
    day = pd.Timedelta(days=1)
    params = {"start": pd.Timestamp(filters.start), "end": pd.Timestamp(filters.end) + day, "as_of_end": pd.Timestamp(as_of) + day}
    frame = con.execute(INDEPENDENT_SQL, params).df()
    con.close()
    frame = frame[frame.churned_at.isna() | (frame.churned_at >= pd.Timestamp(filters.start))].copy()
    frame["nps_class"] = pd.cut(frame.nps, [-1, 6, 8, 10], labels=["detractor", "passive", "promoter"]).astype(object)
    frame["nps_class"] = frame["nps_class"].fillna("no_answer")
    frame["is_retained"] = frame.is_active_at_start & (frame.churned_at.isna() | (frame.churned_at >= params["end"]))
    return frame


def test_class_economics_equal_an_independent_pandas_computation(sample_db):
    db = open_backend(sample_db)
    as_of = fetch_as_of(db)
    economics = build_class_economics(fetch_money_cells(db, H2, as_of))
    frame = fetch_independent_customers(sample_db, H2, as_of)
    promoters = frame[frame.nps_class == "promoter"]
    for cx_class, group in frame.groupby("nps_class"):
        assert value(economics, "nps", cx_class, "customers")[0] == len(group)
        assert value(economics, "nps", cx_class, "revenue")[0] == pytest.approx(group.revenue.sum())
        assert value(economics, "nps", cx_class, "ltv")[0] == pytest.approx(group.ltv.mean())
        active = group[group.is_active_at_start]
        assert value(economics, "nps", cx_class, "retention_rate")[0] == pytest.approx(100 * active.is_retained.mean())
        if cx_class == "promoter":
            continue
        # Welch on the raw per-customer values; the retention test as a 2×2 chi-square.
        welch = stats.ttest_ind(group.ltv, promoters.ltv, equal_var=False).pvalue
        assert economics.row("nps", cx_class, "ltv")["p_value"] == pytest.approx(welch, rel=1e-6, abs=1e-300)
        reference = promoters[promoters.is_active_at_start]
        table = [[active.is_retained.sum(), (~active.is_retained).sum()],
                 [reference.is_retained.sum(), (~reference.is_retained).sum()]]  # fmt: skip
        chi2 = stats.chi2_contingency(table, correction=False).pvalue
        assert economics.row("nps", cx_class, "churn_rate")["p_value"] == pytest.approx(chi2, rel=1e-6, abs=1e-300)


def fit_logistic_regression(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(odds ratio of x, Wald p-value) of logit P(y) = a + b·x, fitted by maximum likelihood."""
    design = np.column_stack([np.ones_like(x), x])

    def negative_log_likelihood(beta):
        eta = design @ beta
        return np.sum(np.logaddexp(0, eta) - y * eta)

    beta = optimize.minimize(negative_log_likelihood, np.zeros(2), method="BFGS", options={"gtol": 1e-10}).x
    p = 1 / (1 + np.exp(-design @ beta))
    information = design.T @ (design * (p * (1 - p))[:, None])
    se = math.sqrt(np.linalg.inv(information)[1, 1])
    return math.exp(beta[1]), 2 * stats.norm.sf(abs(beta[1] / se))


def test_driver_odds_ratio_equals_a_logistic_regression(sample_db):
    db = open_backend(sample_db)
    as_of = fetch_as_of(db)
    drivers = compute_drivers(fetch_money_cells(db, H2, as_of), 12).set_index(["kind", "subject"])
    frame = fetch_independent_customers(sample_db, H2, as_of)
    measured = frame[frame.is_active_at_start & frame.csat.notna()]
    exposed = (measured.csat < 4).astype(float).to_numpy()
    churned = (~measured.is_retained).astype(float).to_numpy()
    ratio, p_value = fit_logistic_regression(exposed, churned)
    driver = drivers.loc[("csat", "repeat_purchase")]
    assert driver.exposed_customers == int(exposed.sum())
    assert driver.odds_ratio == pytest.approx(ratio, rel=1e-4)
    assert driver.churn_p_value == pytest.approx(p_value, rel=1e-3)


# ---------------------------------------------------------------- the sample's story


@pytest.fixture(scope="module")
def sample_year(sample_db):
    db = open_backend(sample_db)
    as_of = fetch_as_of(db)
    cells = fetch_money_cells(db, YEAR, as_of)
    return db, build_class_economics(cells)


def test_detractors_churn_more_and_spend_less_than_promoters(sample_year):
    _, economics = sample_year
    churn = economics.row("nps", "detractor", "churn_rate")
    assert churn["value"] > economics.row("nps", "promoter", "churn_rate")["value"] and churn["is_significant"]
    for metric in ("arpu", "ltv"):
        spend = economics.row("nps", "detractor", metric)
        assert spend["value"] < economics.row("nps", "promoter", metric)["value"] and spend["is_significant"], metric


def test_unresolved_complaints_raise_churn(sample_year):
    _, economics = sample_year
    unresolved = economics.row("complaints", "unresolved", "churn_rate")
    assert unresolved["value"] > economics.row("complaints", "resolved", "churn_rate")["value"]
    assert unresolved["is_significant"]
    risk = compute_revenue_at_risk(economics, 12).set_index("group")
    assert risk.at["unresolved", "revenue_at_risk"] > 0 and risk.at["unresolved", "is_significant"]
    assert risk.at["detractor", "revenue_at_risk"] > 0 and risk.at["detractor", "is_significant"]


def test_the_headline_names_the_lever_worth_most(sample_year):
    db, economics = sample_year
    risk = compute_revenue_at_risk(economics, 12)
    drivers = compute_drivers(economics.cells, 12)
    top = rank_levers(risk, drivers)[0]
    headline = build_money_headline(risk, drivers, "en", "RUB", 12, fetch_stage_labels(db))
    assert headline.startswith({"unresolved": "Resolve open complaints", "detractor": "Keep detractors"}.get(top.kind, ""))
    assert "over 12 months" in headline and "RUB" in headline
    assert "за 12 мес." in build_money_headline(risk, drivers, "ru", "RUB", 12, fetch_stage_labels(db))


def test_a_tiny_sample_selection_is_not_significant(sample_db):
    db = open_backend(sample_db)
    as_of = fetch_as_of(db)
    tiny = Filters(date(2025, 12, 2), as_of, segments=("Premium",), regions=("Siberia",), acquisition_channels=("referral",))
    economics = build_class_economics(fetch_money_cells(db, tiny, as_of))
    risk = compute_revenue_at_risk(economics, 12)
    assert 0 < economics.cells.customers < 200
    assert not risk.is_significant.any()
    headline = build_money_headline(risk, compute_drivers(economics.cells, 12), "en", "RUB", 12, {})
    assert "not significant" in headline or "No CX difference" in headline


# ---------------------------------------------------------------- the page and the CLI


def expected_money(db_path, **dimensions):
    db = open_backend(db_path)
    as_of = fetch_as_of(db)
    filters = Filters(*preset_range(DEFAULT_PRESET, as_of), **dimensions)
    cells = fetch_money_cells(db, filters, as_of)
    economics = build_class_economics(cells)
    risk = compute_revenue_at_risk(economics, 12)
    return db, filters, economics, risk, compute_drivers(cells, 12)


def risk_tile(risk, group, lang="en"):
    amount = risk.set_index("group").at[group, "revenue_at_risk"]
    return format_value(amount, "money", lang, 0, compact=True)


def test_money_page_shows_the_metric_layers_numbers(tmp_path, monkeypatch, sample_db):
    app = open_app(tmp_path, monkeypatch, sample_db, page="money")
    assert not app.exception
    db, _, _, risk, drivers = expected_money(sample_db)
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["Detractors, RUB"] == risk_tile(risk, "detractor")
    assert tiles["Unresolved complaints, RUB"] == risk_tile(risk, "unresolved")
    headline = build_money_headline(risk, drivers, "en", "RUB", 12, fetch_stage_labels(db))
    assert app.info[0].value == f"**The CX change worth most.** {markdown_text(headline)}"
    assert app.title[0].value == "CX and money"


def test_money_page_follows_filters_language_and_widgets(tmp_path, monkeypatch, sample_db):
    app = open_app(tmp_path, monkeypatch, sample_db, page="money")
    app.sidebar.multiselect(key="f_region").select("Siberia").run()
    app.sidebar.segmented_control(key="lang").set_value("ru").run()
    assert not app.exception
    _, _, _, risk, _ = expected_money(sample_db, regions=("Siberia",))
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["Критики, RUB"] == risk_tile(risk, "detractor", "ru")
    # Every page-local widget at once, then one rerun.
    app.number_input(key="money_horizon").set_value(24)
    app.segmented_control(key="money_dimension").set_value("complaints")
    app.segmented_control(key="money_cohort_measure").set_value("revenue_retention")
    app.segmented_control(key="money_scenario").set_value("drop_off").run()
    assert not app.exception
    assert any("Допущения" in c.value for c in app.caption)
    assert any("за 24 мес." in shown(m.label) for m in app.metric)


def test_money_page_on_an_empty_database_shows_a_message(tmp_path, monkeypatch, empty_db):
    con = duckdb.connect(str(empty_db))  # one lead and nothing else: an empty workspace would welcome instead
    con.execute("INSERT INTO customers (customer_id, signup_at) VALUES ('lead-1', TIMESTAMP '2025-03-01 10:00')")
    con.close()
    app = open_app(tmp_path, monkeypatch, empty_db, page="money")
    assert not app.exception
    assert any("No paying customers in this selection" in w.value for w in app.warning)


def test_money_page_on_a_tiny_selection_warns_and_says_not_significant(tmp_path, monkeypatch, sample_db):
    app = open_app(tmp_path, monkeypatch, sample_db, page="money")
    app.sidebar.selectbox(key="f_period").select("last_30")
    app.sidebar.multiselect(key="f_segment").select("Premium")
    app.sidebar.multiselect(key="f_region").select("Siberia").run()
    assert not app.exception
    assert any("customers with an NPS answer" in w.value for w in app.warning)
    assert "not significant" in app.info[0].value or "No CX difference" in app.info[0].value


def assert_same_numbers(got, expected, path="report"):
    if isinstance(expected, dict):
        assert set(got) == set(expected), path
        for key in expected:
            assert_same_numbers(got[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(got) == len(expected), path
        for index, (a, b) in enumerate(zip(got, expected)):
            assert_same_numbers(a, b, f"{path}[{index}]")
    elif isinstance(expected, float) and not isinstance(expected, bool):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), path
    else:
        assert got == expected, path


def test_cli_money_reproduces_the_metric_layer(sample_db):
    result = run_cli("money", "--db", str(sample_db), "--start", "2025-01-01", "--end", "2025-12-31", "--horizon-months", "6")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    expected = build_money_report(open_backend(sample_db), YEAR, date(2025, 12, 31), 6)
    # Float sums may differ in the last bits between two runs (parallel aggregation order).
    assert_same_numbers(printed, json.loads(json.dumps(expected)))
    for cx_class in ("promoter", "passive", "detractor"):
        assert set(printed["economics"][cx_class]) >= {"customers", "revenue", "ltv", "churn_rate", "retention_rate"}
    db = open_backend(sample_db)
    economics = build_class_economics(fetch_money_cells(db, YEAR, date(2025, 12, 31)))
    assert printed["economics"]["detractor"]["customers"] == economics.row("nps", "detractor", "customers")["value"]
    assert printed["economics"]["detractor"]["churn_rate"]["value"] == pytest.approx(economics.row("nps", "detractor", "churn_rate")["value"])
    units = fetch_unit_economics(db, YEAR, date(2025, 12, 31)).set_index(["acquisition_channel", "cx_class"])
    for field in ("cac", "ltv", "ltv_cac", "payback_months"):
        assert printed["unit_economics"]["partners"][field] == pytest.approx(units.loc[("partners", "all"), field])
    assert printed["revenue_at_risk"]["detractor"]["revenue_at_risk"] > 0


def test_cli_money_usage_errors_exit_2_with_one_line(sample_db, capsys):
    # In-process (the subprocess contract is covered above and in tests/test_cli.py): same main().
    for args in (["money", "--start", "31.12.2025"], ["money", "--db", "/nonexistent/cx.duckdb"],
                 ["money", "--db", str(sample_db), "--horizon-months", "0"],
                 ["money", "--db", str(sample_db), "--start", "2025-12-31", "--end", "2025-01-01"]):  # fmt: skip
        assert cli_main(args) == 2, args
        printed = capsys.readouterr()
        assert printed.err.count("\n") == 1 and printed.err.startswith("error: "), printed.err
        assert printed.out == ""
