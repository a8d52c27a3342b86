"""Survival by CX class: the estimators on tables small enough to compute by hand, and the sample's
curves against a computation from the raw tables written out here."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from cxdata.analysis.clv import DAYS_PER_MONTH
from cxdata.analysis.survival import (
    kaplan_meier,
    logrank_test,
    restricted_mean,
    survival_at,
)
from cxdata.engine.query import open_backend
from cxdata.model.filters import Filters
from cxdata.questions.clv import compute_clv_model
from cxdata.questions.survival import RESTRICTED_MONTHS, compute_survival

AS_OF = date(2025, 12, 31)


def test_kaplan_meier_by_hand():
    # Five customers: churned after 1, 2 and 3 months; one still here after 2, one after 4.
    # S(1) = 4/5; at 2, four at risk, one churns: 0.8 · 3/4 = 0.6 (the censored one leaves after);
    # at 3, two at risk, one churns: 0.6 · 1/2 = 0.3; nobody churns at 4.
    curve = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    assert curve["survival"].tolist() == pytest.approx([1.0, 0.8, 0.6, 0.3, 0.3])
    assert curve["at_risk"].tolist() == [5, 5, 4, 2, 1]
    assert [survival_at(curve, t) for t in (0.5, 1, 2.9, 10)] == pytest.approx([1.0, 0.8, 0.6, 0.3])
    # Area under the steps: 1·1 + 1·0.8 + 1·0.6 + 1·0.3 = 2.7 months to 4; to 2.5: 1 + 0.8 + 0.5·0.6 = 2.1.
    assert restricted_mean(curve, 4) == pytest.approx(2.7)
    assert restricted_mean(curve, 2.5) == pytest.approx(2.1)


def test_logrank_by_hand():
    # Group a ends at 1, 2, 3; group b at 4, 5, 6; every end observed. At each of a's ends, a's
    # observed minus expected events and the hypergeometric variance:
    #   t=1: 6 at risk, 3 of a: O−E = 1 − 3/6 = 0.5,  V = 3/6 · 3/6 = 0.25
    #   t=2: 5 at risk, 2 of a: O−E = 1 − 2/5 = 0.6,  V = 2/5 · 3/5 = 0.24
    #   t=3: 4 at risk, 1 of a: O−E = 1 − 1/4 = 0.75, V = 1/4 · 3/4 = 0.1875
    # b's ends add nothing (no a at risk). Chi-square = 1.85² / 0.6775 = 5.0517, 1 degree of freedom.
    test = logrank_test([1, 2, 3, 4, 5, 6], [True] * 6, ["a"] * 3 + ["b"] * 3)
    assert test["statistic"] == pytest.approx(1.85**2 / 0.6775)
    assert test["degrees_of_freedom"] == 1
    assert test["p_value"] == pytest.approx(0.02460, abs=1e-5)
    # Identical groups: no difference at all.
    same = logrank_test([1, 2, 1, 2], [True, False, True, False], ["a", "a", "b", "b"])
    assert same["statistic"] == pytest.approx(0.0) and same["p_value"] == pytest.approx(1.0)


def test_kaplan_meier_refuses_what_is_not_a_lifetime():
    with pytest.raises(ValueError, match="0 or more"):
        kaplan_meier([-1, 2], [True, True])
    with pytest.raises(ValueError, match="same length"):
        kaplan_meier([1, 2], [True])


def promoter_lifetimes_from_sql(path) -> list[tuple[int, bool]]:
    """(days from the first purchase day to the churn day or the as-of day, churned) of every
    paying customer whose latest NPS answer is 9 or 10 (ties at one instant: the higher answer)."""
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute("""
        WITH first AS (SELECT customer_id, min(occurred_at) AS first_at FROM transactions
                       WHERE amount > 0 AND customer_id IS NOT NULL GROUP BY customer_id),
             latest AS (SELECT customer_id, arg_max(nps, (responded_at, nps)) AS nps FROM surveys
                        WHERE nps IS NOT NULL AND customer_id IS NOT NULL AND responded_at < TIMESTAMP '2026-01-01'
                        GROUP BY customer_id),
             churn AS (SELECT customer_id, min(churned_at) AS churned_at FROM churn_events GROUP BY customer_id)
        SELECT date_diff('day', first_at::DATE,
                         CASE WHEN churned_at >= first_at THEN churned_at::DATE ELSE DATE '2025-12-31' END),
               churned_at >= first_at
        FROM first JOIN latest USING (customer_id) LEFT JOIN churn USING (customer_id)
        WHERE latest.nps >= 9
    """).fetchall()  # fmt: skip
    con.close()
    return [(days, bool(churned)) for days, churned in rows]


def test_survival_of_the_samples_promoters_matches_a_product_limit_written_out(sample_db):
    model = compute_clv_model(open_backend(sample_db), AS_OF)
    view = compute_survival(model, Filters(AS_OF, AS_OF))
    lifetimes = sorted(promoter_lifetimes_from_sql(sample_db))
    # The product-limit estimate at 12 months, one customer at a time.
    at_risk, survival, twelve = len(lifetimes), 1.0, 12 * DAYS_PER_MONTH
    for day in sorted({d for d, _ in lifetimes}):
        ending = [churned for d, churned in lifetimes if d == day]
        if day <= twelve:
            survival *= 1 - sum(ending) / at_risk
        at_risk -= len(ending)
    curve = view.curves[(view.curves["dimension"] == "nps") & (view.curves["cx_class"] == "promoter")]
    assert survival_at(curve, 12) == pytest.approx(survival)
    promoters = view.row("nps", "promoter")
    assert promoters["customers"] == len(lifetimes)
    assert promoters["churned"] == sum(churned for _, churned in lifetimes)
    assert view.horizons["nps"] == RESTRICTED_MONTHS
    # The sample's story: promoters stay longer than detractors, and the log-rank test says so.
    detractors = view.row("nps", "detractor")
    assert detractors["months_vs_reference"] > 1
    assert detractors["value_gap"] == pytest.approx(
        detractors["months_vs_reference"] * detractors["monthly_value"] * detractors["customers"])
    assert view.tests["nps"]["p_value"] < 0.001
