"""The one router: which saved copy answers which question, and when (a table, read top to bottom)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from cxdata.engine import query
from cxdata.engine.query import open_backend
from cxdata.engine.router import (
    CURRENT,
    CUSTOMER_SUMMARY,
    JOURNEY_CUSTOMER,
    JOURNEY_FIRST,
    MONEY,
    saved_copy_answers,
)
from cxdata.questions import (
    funnel,
    journey,
    journey_loss,
    journey_moments,
    metrics,
    money_base,
    money_cohorts,
    money_units,
    overview,
)

AS_OF = date(2025, 12, 31)  # the sample's as-of day: its last fact
STAGES = ["first_contact", "registration", "first_purchase", "onboarding", "repeat_purchase", "loyalty"]


@pytest.fixture(scope="module")
def fresh(sample_db):
    return open_backend(sample_db)


@pytest.fixture(scope="module")
def stale(stale_rollups_db):
    return open_backend(stale_rollups_db)


# (saved copy, database, as_of, stages) -> does the copy answer?
DECISIONS = [
    (CURRENT, "fresh", None, None, True),
    (CURRENT, "stale", None, None, False),
    (CURRENT, "another engine", None, None, False),
    (CUSTOMER_SUMMARY, "fresh", AS_OF, None, True),
    (CUSTOMER_SUMMARY, "fresh", date(2024, 6, 30), None, False),  # transactions after that day
    (CUSTOMER_SUMMARY, "stale", AS_OF, None, False),
    (JOURNEY_FIRST, "fresh", AS_OF, None, True),
    (JOURNEY_FIRST, "fresh", date(2025, 6, 30), None, False),
    (JOURNEY_CUSTOMER, "fresh", AS_OF, STAGES, True),
    (JOURNEY_CUSTOMER, "fresh", AS_OF, STAGES[:3], False),  # built for another stage order
    (JOURNEY_CUSTOMER, "fresh", date(2025, 6, 30), STAGES, False),
    (JOURNEY_CUSTOMER, "stale", AS_OF, STAGES, False),
    (MONEY, "fresh", AS_OF, None, True),
    (MONEY, "fresh", date(2025, 11, 2), None, False),  # facts after an earlier as-of day
    (MONEY, "another engine", AS_OF, None, False),
]


@pytest.mark.parametrize(("copy", "database", "as_of", "stages", "expected"), DECISIONS)
def test_saved_copy_answers(copy, database, as_of, stages, expected, fresh, stale):
    db = {"fresh": fresh, "stale": stale, "another engine": SimpleNamespace(name="polars")}[database]
    assert saved_copy_answers(copy, db, as_of=as_of, stages=stages) is expected


# Every question with a saved copy, and the copy that may answer it: the routing table.
ROUTES = [
    (metrics.fetch_survey_counts, CURRENT),
    (metrics.fetch_revenue_sums, CURRENT),
    (metrics.fetch_retention_counts, CURRENT),
    (metrics.fetch_acquisition_sums, CUSTOMER_SUMMARY),
    (query.customer_lifecycle, CURRENT),
    (overview._channel_tables, CURRENT),
    (funnel.fetch_stage_order, CURRENT),
    (funnel._stage_events, JOURNEY_FIRST),
    (funnel._customer_values, CUSTOMER_SUMMARY),
    (funnel._stage_sums, JOURNEY_CUSTOMER),
    (journey._fetch_last_positions, JOURNEY_CUSTOMER),
    (journey_moments._touchpoint_sums, CURRENT),
    (journey_loss._fetch_loss_sums, JOURNEY_CUSTOMER),
    (journey_loss._fetch_reason_counts, JOURNEY_CUSTOMER),
    (journey_moments._fetch_time_sums, JOURNEY_CUSTOMER),
    (money_base.fetch_net_revenue_to_date, CUSTOMER_SUMMARY),
    (money_base.fetch_money_cells, MONEY),
    (money_cohorts._fetch_cohort_sums, MONEY),
    (money_units._fetch_unit_sums, MONEY),
]


@pytest.mark.parametrize(("question", "copy"), ROUTES, ids=[q.__qualname__ for q, _ in ROUTES])
def test_each_question_names_its_saved_copy(question, copy):
    assert question.copy is copy

