"""Golden numbers: every metric on a hand-built database, checkable with pencil and paper.

The period is Q1 2025 (1 Jan – 31 Mar, 90 days); the data is as of 31 Mar 2025. Every number is
checked on every path: the definitions on the raw tables, the saved copies (rollups) that the
router reads when they are current, and the definitions on a second engine (polars).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from cxdata.engine.engines import open_engine
from cxdata.engine.query import open_backend
from cxdata.engine.router import CURRENT, saved_copy_answers
from cxdata.model.filters import Filters
from cxdata.questions.metrics import compute_metrics
from cxdata.questions.overview import (
    build_headline,
    fetch_overview,
    fetch_target_table,
    select_targets,
    target_status,
)
from tests.conftest import build_rollups, insert_rows

AS_OF = date(2025, 3, 31)
Q1 = Filters(date(2025, 1, 1), date(2025, 3, 31))

CUSTOMERS = [
    # id, signup_at, segment, region, channel, acquisition_channel, acquisition_cost
    ("c1", "2024-11-20", "Retail", "Ural", "web", "organic", 50.0),
    ("c2", "2024-12-01", "SMB", "Volga", "branch", "partners", 80.0),
    ("c3", "2024-10-01", "Retail", "Ural", "web", "organic", 10.0),
    ("c4", "2025-01-10", "Retail", "Ural", "mobile_app", "paid_search", 100.0),
    ("c5", "2025-02-01", "SMB", "Volga", "web", "paid_search", 200.0),  # never buys
    ("c6", "2025-03-01", "SMB", "Volga", "web", "partners", 300.0),
]
TRANSACTIONS = [
    # id, customer, occurred_at, amount, product, channel
    ("t1", "c1", "2024-12-01 10:00", 1000.0, "Basic", "web"),  # before Q1: first purchase of c1
    ("t2", "c2", "2024-12-15 10:00", 500.0, "Pro", "branch"),
    ("t3", "c3", "2024-11-01 10:00", 70.0, "Basic", "web"),
    ("t4", "c1", "2025-01-05 12:00", 100.0, "Basic", "web"),
    ("t5", "c4", "2025-01-15 09:00", 300.0, "Basic", "mobile_app"),
    ("t6", "c1", "2025-02-01 18:00", -50.0, "Basic", "web"),  # refund
    ("t7", "c6", "2025-03-02 11:00", 500.0, "Pro", "web"),
    ("t8", "c6", "2025-03-20 11:00", -100.0, "Pro", "web"),  # refund
    ("t9", "c2", "2025-03-31 23:59", 250.0, "Pro", "branch"),  # last minute of the period
    ("t10", "c1", "2025-04-01 00:00", 9999.0, "Basic", "web"),  # after the period and the as-of date
]
CHURN = [
    ("c3", "2024-12-20", "price"),  # churned before Q1: not active at start
    ("c2", "2025-02-10", "competitor"),  # active at start, churned during Q1
    ("c5", "2025-03-03", "changed_mind"),  # a lead, never a customer
]
SURVEYS = [
    # id, customer, responded_at, touchpoint, channel, nps, csat, ces, comment
    ("s1", "c1", "2025-01-02", "repeat_purchase", "web", 10, 5, 7, None),
    ("s2", "c2", "2025-01-03", "repeat_purchase", "branch", 10, 4, None, None),
    ("s3", "c4", "2025-01-16", "first_purchase", "mobile_app", 9, 3, 5, None),
    ("s4", "c6", "2025-03-05", "first_purchase", "web", 8, 2, 3, "долго"),
    ("s5", "c1", "2025-03-10", "repeat_purchase", "web", 7, 5, None, None),
    ("s6", None, "2025-03-11", "registration", "web", 3, None, None, "anonymous"),  # no customer
    ("s7", "c1", "2024-12-31", "repeat_purchase", "web", 0, 1, 1, None),  # before Q1
]
COMPLAINTS = [
    # id, customer, opened_at, resolved_at, touchpoint, channel, category, text
    ("k1", "c1", "2025-01-10", "2025-01-11", "repeat_purchase", "web", "billing", "x"),
    ("k2", "c4", "2025-01-20", None, "first_purchase", "mobile_app", "payment_failed", "x"),
    ("k3", "c6", "2025-03-10", "2025-04-15", "first_purchase", "web", "billing", "x"),  # resolved after as-of
    ("k4", "c2", "2025-02-01", "2025-02-02", "repeat_purchase", "branch", "staff_rudeness", "x"),
    ("k5", "c2", "2024-12-30", None, "repeat_purchase", "branch", "billing", "x"),  # before Q1
]
TARGETS = [
    ("nps", 30.0, None, "2024-01-01", None),
    ("nps", 60.0, "SMB", "2024-01-01", None),
    ("csat", 80.0, None, "2024-01-01", "2024-12-31"),  # expired
    ("csat", 50.0, None, "2025-01-01", None),
    ("churn_rate", 5.0, None, "2024-01-01", None),
]


@pytest.fixture(params=["raw tables", "rollups", "polars"])
def db(empty_db, request):
    con = duckdb.connect(str(empty_db))
    insert_rows(con, "customers", CUSTOMERS)
    insert_rows(con, "transactions", TRANSACTIONS)
    insert_rows(con, "churn_events", CHURN)
    insert_rows(con, "surveys", SURVEYS)
    insert_rows(con, "complaints", COMPLAINTS)
    insert_rows(con, "targets", TARGETS)
    if request.param != "raw tables":
        build_rollups(con, AS_OF.isoformat())
    con.close()
    if request.param == "polars":  # a second engine: the same definitions on the raw tables
        pytest.importorskip("polars")
        return open_engine("polars", empty_db)
    backend = open_backend(empty_db)
    assert saved_copy_answers(CURRENT, backend) is (request.param == "rollups")
    return backend


def values(db, filters=Q1):
    return {name: (m.value, m.n) for name, m in compute_metrics(db, filters, AS_OF).items()}


def test_survey_metrics_by_hand(db):
    got = values(db)
    # s1..s6 in Q1: promoters s1 s2 s3, detractors s6 (anonymous counts) -> (3 - 1) / 6
    assert got["nps"] == (pytest.approx(100 * (3 - 1) / 6), 6)
    # CSAT answers 5 4 3 2 5 -> three of five are 4-5
    assert got["csat"] == (pytest.approx(60.0), 5)
    # CES answers 7 5 3 -> mean 5
    assert got["ces"] == (pytest.approx(5.0), 3)


def test_nps_interval_by_hand(db):
    nps = compute_metrics(db, Q1, AS_OF)["nps"]
    p, d = 3 / 6, 1 / 6
    half = 1.959964 * ((p + d - (p - d) ** 2) / 6) ** 0.5 * 100
    assert (nps.low, nps.high) == (pytest.approx(nps.value - half, abs=1e-3), pytest.approx(nps.value + half, abs=1e-3))
    assert nps.is_small_sample


def test_revenue_and_arpu_by_hand(db):
    got = values(db)
    # t4 + t5 + t6 + t7 + t8 + t9 = 100 + 300 - 50 + 500 - 100 + 250 (t9 at 23:59 on the last day counts)
    assert got["revenue"] == (pytest.approx(1000.0), 6)
    # buyers in Q1: c1, c4, c6, c2
    assert got["arpu"] == (pytest.approx(250.0), 4)


def test_retention_and_churn_by_hand(db):
    got = values(db)
    # active on 1 Jan: c1 and c2 (c3 churned in Dec, c4/c6 bought later); c2 churned in Feb
    assert got["retention_rate"] == (pytest.approx(50.0), 2)
    # 50% lost over 90 days = 1 - 0.5 ** (30 / 90) per month
    assert got["churn_rate"] == (pytest.approx(100 * (1 - 0.5 ** (30 / 90))), 2)


def test_acquisition_by_hand(db):
    got = values(db)
    # first contacted in Q1: c4 (cost 100, paid 300), c5 (cost 200, never paid), c6 (cost 300, 500 - 100)
    assert got["conversion_rate"] == (pytest.approx(100 * 2 / 3), 3)
    assert got["ltv"] == (pytest.approx((300 + 400) / 2), 2)
    assert got["cac"] == (pytest.approx((100 + 200 + 300) / 2), 2)
    assert got["ltv_cac"] == (pytest.approx(350 / 300), 2)


def test_complaints_by_hand(db):
    got = values(db)
    # k1..k4 opened in Q1; k2 unresolved, k3 resolved only after the as-of date
    assert got["complaints"] == (4.0, 4)
    assert got["unresolved_share"] == (pytest.approx(50.0), 4)


def test_segment_filter_applies_to_every_table(db):
    got = values(db, Filters(Q1.start, Q1.end, segments=("SMB",)))
    assert got["nps"] == (pytest.approx(100 * (1 - 0) / 2), 2)  # s2 (10), s4 (8)
    assert got["revenue"] == (pytest.approx(500 - 100 + 250), 3)  # t7, t8, t9
    assert got["retention_rate"] == (pytest.approx(0.0), 1)  # c2 churned
    assert got["conversion_rate"] == (pytest.approx(50.0), 2)  # c5, c6
    assert got["complaints"] == (2.0, 2)  # k3, k4


def test_unknown_segment_matches_rows_without_a_known_customer(db):
    got = values(db, Filters(Q1.start, Q1.end, segments=("Unknown",)))
    assert got["nps"] == (pytest.approx(-100.0), 1)  # only the anonymous s6
    assert got["revenue"] == (None, 0)


def test_channel_filter_uses_each_tables_channel(db):
    got = values(db, Filters(Q1.start, Q1.end, channels=("web",)))
    assert got["nps"] == (pytest.approx(0.0), 4)  # web answers s1 (10), s4 (8), s5 (7), s6 (3)
    assert got["revenue"] == (pytest.approx(100 - 50 + 500 - 100), 4)
    # customers' own (first-contact) channel for retention: c1 is web, c2 is branch
    assert got["retention_rate"] == (pytest.approx(100.0), 1)


def test_previous_period_and_empty_selection(db):
    got = values(db, Q1.previous())  # 3 Oct - 31 Dec 2024
    assert got["nps"] == (pytest.approx(-100.0), 1)  # s7 scored 0
    assert got["revenue"] == (pytest.approx(1570.0), 3)
    empty = values(db, Filters(date(2020, 1, 1), date(2020, 1, 31)))
    # Counts of complaints are a true 0 there; every other metric has no value.
    counts = {"complaints", "anonymous_complaints"}
    assert all(value is None or (name in counts and value == 0) for name, (value, n) in empty.items())


def test_targets_valid_at_period_end_and_segment_override(db):
    assert select_targets(fetch_target_table(db), Q1) == {"nps": 30.0, "csat": 50.0, "churn_rate": 5.0}
    assert select_targets(fetch_target_table(db), Filters(Q1.start, Q1.end, segments=("SMB",)))["nps"] == 60.0
    assert target_status("nps", 33.3, 30.0) == "met"
    assert target_status("churn_rate", 20.6, 5.0) == "missed"  # lower is better
    assert target_status("nps", None, 30.0) is None


def test_overview_headline_names_the_biggest_change(db):
    overview = fetch_overview(db, Q1, AS_OF)
    assert overview.status("churn_rate") == "missed"
    headline = build_headline(overview, "en", "RUB")
    assert "Below target: Churn rate." in headline
    assert "previous period (3 Oct 2024 – 31 Dec 2024)" in headline
    assert "Ниже цели: Отток." in build_headline(overview, "ru", "RUB")
