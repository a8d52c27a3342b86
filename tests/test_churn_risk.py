"""Churn risk: the validation measures against plain numpy, the features and labels of a hand-built
database, the model on the sample against the sample's known causes of churn, and the
``churn-risk`` command's contract.

The sample's churn (``cxdata/sample.py``, ``draw_churn``): a paying customer leaves with a monthly
hazard 0.025 × exp(−0.8 × satisfaction), doubled from the opening of a complaint that is never
resolved. Satisfaction is latent; what the data shows of it: NPS (7.2 + 2 × satisfaction), CSAT,
purchase rate (× exp(0.3 × satisfaction)) and amount (× exp(0.15 × satisfaction)), survey answers
mostly from the happier "responders", and the attributes that shift it (Premium +0.25, Siberia
−0.35, partners −0.20). So the drivers must come out as: buying more often and more per purchase
lower the risk; an unresolved complaint, a detractor's answer and no answer raise it; Siberia
raises it and Premium lowers it. Because the churn itself is a random draw from that hazard, even
knowing each customer's latent satisfaction exactly would rank the 90-day churners with an AUC of
about 0.70 on the test sample (computed once from the simulation); the model reaches 0.64.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from cxdata.analysis.churn_risk import (
    build_encoding,
    calibration_table,
    driver_table,
    encode,
    fit_churn_model,
    main_reasons,
    top_share_capture,
    validation_summary,
)
from cxdata.engine.query import open_backend
from cxdata.model.filters import Filters
from cxdata.questions.churn_risk import (
    at_risk_customers,
    compute_churn_risk_model,
    fetch_churn_features,
    rank_customers,
)
from cxdata.questions.clv import compute_clv_model
from tests.conftest import build_rollups, insert_rows
from tests.test_cli import run_cli

AS_OF = date(2025, 12, 31)


# --- the validation measures, on a table small enough to check by hand ----------------------------


def test_top_decile_capture_and_calibration_agree_with_plain_numpy():
    rng = np.random.default_rng(3)
    risk = rng.random(23)
    labels = rng.random(23) < risk
    # Top 10% of 23 customers: the 3 highest risks (ceil(2.3)).
    top = np.argsort(risk)[::-1][:3]
    assert top_share_capture(labels, risk) == pytest.approx(labels[top].sum() / labels.sum())
    table = calibration_table(labels, risk, bins=10)
    # Ten groups by rising risk: 23 = 3 groups of 3 and 7 of 2.
    assert table["customers"].tolist() == [3, 3, 3, 2, 2, 2, 2, 2, 2, 2]
    order = np.argsort(risk)
    edges = np.cumsum([0, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2])
    for index, (start, stop) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        part = order[start:stop]
        assert table.loc[index, "predicted"] == pytest.approx(risk[part].mean())
        assert table.loc[index, "observed"] == pytest.approx(labels[part].mean())
    assert table["churners"].sum() == labels.sum()


def test_validation_summary_by_hand():
    labels = [True, False, False, True, False]
    risk = [0.9, 0.8, 0.1, 0.3, 0.2]
    summary = validation_summary(labels, risk)
    # Pairs (churner, stayer) ranked right: 0.9 beats all 3 stayers, 0.3 beats 0.1 and 0.2: 5 of 6.
    assert summary["auc"] == pytest.approx(5 / 6)
    assert summary["brier"] == pytest.approx(np.mean((np.array(risk) - np.array(labels, dtype=float)) ** 2))
    assert summary["top_decile_capture"] == 0.5  # the top 1 of 5 is one of the two churners
    assert (summary["n"], summary["churners"]) == (5, 2)


def test_odds_ratios_are_per_unit_and_reasons_name_the_feature_that_raises_risk_most():
    rng = np.random.default_rng(11)
    n = 4000
    frame = pd.DataFrame({"days": rng.uniform(0, 300, n), "group": rng.choice(["a", "b"], n)})
    # True log-odds: +0.6 per 30 days, +1.0 for group b.
    logit = -3 + 0.02 * frame["days"] + 1.0 * (frame["group"] == "b")
    labels = rng.random(n) < 1 / (1 + np.exp(-logit))
    encoding = build_encoding(frame, {"days": 30.0}, {"group": "a"})
    fit = fit_churn_model(frame, labels, encoding)
    drivers = driver_table(fit).set_index("feature")
    assert drivers.loc["days", "odds_ratio"] == pytest.approx(math.exp(0.6), rel=0.1)
    assert drivers.loc["group", "odds_ratio"] == pytest.approx(math.exp(1.0), rel=0.15)
    # The model's probabilities are sklearn's logistic function of the standardized columns.
    z = (encode(encoding, frame) - fit.mean) / fit.scale @ fit.coefficients + fit.intercept
    assert fit.predict(frame) == pytest.approx(1 / (1 + np.exp(-z)))
    # A group-b customer with few days: the group raises the risk most; a group-a one with many days: the days.
    probe = pd.DataFrame({"days": [10.0, 290.0, 10.0], "group": ["b", "a", "a"]})
    assert main_reasons(fit, probe).tolist() == ["group", "days", None]


# --- features and labels on a hand-built database --------------------------------------------------


@pytest.fixture
def small_db(tmp_path):
    """Four customers and a cut-off on 30 Jun 2025 (horizon 90 days: to 28 Sep 2025)."""
    from cxdata.model.schema import create_schema

    path = tmp_path / "small.duckdb"
    con = duckdb.connect(str(path))
    create_schema(con)
    insert_rows(con, "customers", [
        ("A", "2024-01-01", "Retail", "Central", "web", "organic", 100.0),
        ("B", "2024-01-01", "Retail", "Central", "web", "organic", 100.0),
        ("C", "2024-01-01", "SMB", "Siberia", "branch", "partners", 100.0),
        ("D", "2024-01-01", "SMB", "Siberia", "branch", "partners", 100.0),
    ])  # fmt: skip
    insert_rows(con, "transactions", [
        ("T1", "A", "2025-01-10 10:00:00", 100.0), ("T2", "A", "2025-06-20 10:00:00", 300.0),
        ("T3", "B", "2025-03-01 10:00:00", 200.0), ("T4", "B", "2025-09-01 10:00:00", 50.0),
        ("T5", "C", "2024-07-01 10:00:00", 1000.0), ("T6", "C", "2025-05-01 10:00:00", -1000.0),
        ("T7", "D", "2025-02-01 10:00:00", 500.0),
    ])  # fmt: skip
    insert_rows(con, "surveys", [
        ("S1", "A", "2025-05-01 10:00:00", "onboarding", "web", 3),  # a detractor before the cut-off
        ("S2", "A", "2025-07-05 10:00:00", "onboarding", "web", 10),  # after it: not seen at the cut-off
    ])  # fmt: skip
    insert_rows(con, "complaints", [
        ("K1", "B", "2025-04-01 10:00:00", "2025-07-10 10:00:00"),  # open at the cut-off
        ("K2", "C", "2025-04-01 10:00:00", "2025-04-02 10:00:00"),  # resolved
    ])  # fmt: skip
    insert_rows(con, "churn_events", [
        ("A", "2025-08-15 10:00:00", "price"),  # within the horizon
        ("C", "2025-10-15 10:00:00", "price"),  # after it
        ("D", "2025-06-30 12:00:00", "price"),  # on the cut-off day: not active at its end
    ])  # fmt: skip
    build_rollups(con, as_of="2025-12-31")
    con.close()
    return path


def test_features_and_labels_at_a_cut_off_use_only_what_was_known_then(small_db):
    features = fetch_churn_features(open_backend(small_db), date(2025, 6, 30), 90).set_index("customer_id")
    assert list(features.index) == ["A", "B", "C"]  # D churned on the cut-off day
    assert features["churned_within_horizon"].to_dict() == {"A": True, "B": False, "C": False}
    assert features["days_since_last_purchase"].to_dict() == {"A": 10.0, "B": 121.0, "C": 364.0}
    assert features["nps_class"].to_dict() == {"A": "detractor", "B": "no_answer", "C": "no_answer"}
    assert features["complaint_status"].to_dict() == {"A": "none", "B": "unresolved", "C": "resolved"}
    # Purchases a month over the last 12 months, or since the first purchase when later (A: 171 days
    # ≈ 5.6 months; C: 364 days, its one purchase on the first day of the 365-day window).
    assert features.loc["A", "purchases_per_month"] == pytest.approx(2 / (171 / (365.25 / 12)))
    assert features.loc["C", "purchases_per_month"] == pytest.approx(1 / (364 / (365.25 / 12)))
    # The average purchase counts purchases only (C's refund is not one); net revenue of the year nets it.
    assert features["average_purchase"].to_dict() == {"A": 200.0, "B": 200.0, "C": 1000.0}
    assert features["revenue_last_year"].to_dict() == {"A": 400.0, "B": 200.0, "C": 0.0}
    # Against the segment's median: A and B are Retail (median rate between theirs), C alone in SMB.
    assert features.loc["C", "average_purchase_vs_segment"] == 0.0
    assert features[["segment", "region"]].loc["C"].tolist() == ["SMB", "Siberia"]


# --- the model on the sample ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model(sample_db):
    return compute_churn_risk_model(open_backend(sample_db), AS_OF)


@pytest.fixture(scope="module")
def clv(sample_db):
    return compute_clv_model(open_backend(sample_db), AS_OF)


def count_active(con, day: str) -> tuple[int, int]:
    """Paying customers active at the end of ``day`` and those of them who churn in the 90 days after."""
    return con.execute("""
        WITH first AS (SELECT customer_id, min(occurred_at) AS first_at FROM transactions
                       WHERE amount > 0 AND customer_id IS NOT NULL GROUP BY customer_id),
             churn AS (SELECT customer_id, min(churned_at) AS churned_at FROM churn_events GROUP BY customer_id),
             life AS (SELECT f.customer_id, f.first_at,
                             CASE WHEN c.churned_at >= f.first_at THEN c.churned_at END AS churned_at
                      FROM first f LEFT JOIN churn c USING (customer_id)),
             bound AS (SELECT CAST(?::DATE + 1 AS TIMESTAMP) AS cut)
        SELECT count(*), count(*) FILTER (WHERE churned_at < cut + INTERVAL 90 DAY)
        FROM life, bound WHERE first_at < cut AND (churned_at IS NULL OR churned_at >= cut)
    """, [day]).fetchone()  # fmt: skip


def test_validation_is_on_later_time_with_its_n_counted_from_the_raw_tables(model, sample_db):
    assert (model.training_cutoff, model.validation_cutoff) == (date(2025, 7, 4), date(2025, 10, 2))
    con = duckdb.connect(str(sample_db), read_only=True)
    training, validation, today = (count_active(con, day) for day in ("2025-07-04", "2025-10-02", "2025-12-31"))
    con.close()
    assert (model.validation_fit.rows, model.validation_fit.churners) == training
    assert (model.validation["n"], model.validation["churners"]) == validation
    assert (model.fit.rows, model.fit.churners) == (training[0] + validation[0], training[1] + validation[1])
    assert len(model.customers) == today[0]
    assert model.calibration["customers"].sum() == validation[0]
    assert model.calibration["churners"].sum() == validation[1]


def test_the_model_ranks_churners_well_above_chance_on_the_sample(model):
    # 0.64 against a ceiling of about 0.70 for a model that knew each customer's latent satisfaction
    # (module docstring); the tolerance covers solver differences, not a change of data.
    assert model.validation["auc"] == pytest.approx(0.643, abs=0.02)
    # The 10% ranked riskiest hold about twice their share of the churners.
    assert model.validation["top_decile_capture"] == pytest.approx(0.217, abs=0.03)
    # Calibrated within a few points: the riskiest group churned most, the safest least.
    calibration = model.calibration
    assert calibration["observed"].iloc[-1] == calibration["observed"].max()
    assert calibration["observed"].iloc[0] < calibration["observed"].iloc[-1] / 3
    assert (calibration["predicted"] - calibration["observed"]).abs().max() < 0.06


def test_the_drivers_found_are_the_samples_causes_of_churn(model):
    drivers = model.drivers
    rank = {(row.feature, None if pd.isna(row.level) else row.level): index
            for index, row in enumerate(drivers.itertuples())}  # fmt: skip
    odds = {key: drivers.loc[index, "odds_ratio"] for key, index in rank.items()}
    # Buying often is the strongest sign of a satisfied customer: it lowers the risk, first of all.
    assert rank[("purchase_rate_vs_segment", None)] == 0 and odds[("purchase_rate_vs_segment", None)] < 0.7
    assert odds[("average_purchase_vs_segment", None)] < 0.8 and rank[("average_purchase_vs_segment", None)] < 5
    # An unresolved complaint doubles the hazard in the sample: the model finds about that.
    assert rank[("complaint_status", "unresolved")] < 4
    assert odds[("complaint_status", "unresolved")] == pytest.approx(2.0, abs=0.5)
    # Detractors and the silent (no answer) leave more than promoters and satisfied customers.
    assert rank[("nps_class", "detractor")] < 8 and odds[("nps_class", "detractor")] > 1.4
    assert rank[("csat_class", "no_answer")] < 4 and odds[("csat_class", "no_answer")] > 1.3
    # Siberia is served worse, Premium better.
    assert odds[("region", "Siberia")] > 1.2 and odds[("segment", "Premium")] < 1


def test_value_at_stake_is_risk_times_the_predicted_value_and_filters_only_select(model, clv):
    everyone = at_risk_customers(model, Filters(AS_OF, AS_OF), clv)
    expected = everyone["customer_id"].map(clv.customers.set_index("customer_id")["expected_value"])
    assert everyone["value_at_stake"].to_numpy() == pytest.approx((everyone["risk"] * expected).to_numpy())
    assert set(everyone["value_basis"]) == {"clv"}
    fallback = at_risk_customers(model, Filters(AS_OF, AS_OF))
    assert fallback["value_at_stake"].to_numpy() == pytest.approx(
        (fallback["risk"] * fallback["revenue_last_year"].clip(lower=0)).to_numpy())
    smb = at_risk_customers(model, Filters(AS_OF, AS_OF, segments=("SMB",)), clv)
    assert set(smb["segment"]) == {"SMB"} and len(smb) == (everyone["segment"] == "SMB").sum()
    # The same scores, not a refit: a filter selects rows of the one model.
    same = everyone.set_index("customer_id").loc[smb["customer_id"], "risk"]
    assert smb["risk"].to_numpy() == pytest.approx(same.to_numpy())
    by_value = rank_customers(everyone, "value_at_stake", 5)
    assert by_value["value_at_stake"].tolist() == sorted(everyone["value_at_stake"], reverse=True)[:5]


# --- the command ------------------------------------------------------------------------------------


def test_cli_churn_risk_prints_the_contract(model, clv, sample_db):
    result = run_cli("churn-risk", "--db", str(sample_db), "--top", "7", "--segment", "SMB")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert set(printed) >= {"validation", "drivers", "customers"}
    assert set(printed["validation"]) >= {"auc", "top_decile_capture", "brier", "n"}
    assert printed["validation"]["auc"] == pytest.approx(model.validation["auc"])
    assert printed["validation"]["n"] == model.validation["n"]  # the model is fitted on everyone, whatever the filters
    assert len(printed["drivers"]) == len(model.drivers)
    first = printed["drivers"][0]
    assert first["feature"] == "purchase_rate_vs_segment" and first["text"].startswith("Buying twice as often")
    customers = printed["customers"]
    assert len(customers) == 7 and all(set(c) == {"customer_id", "risk", "value_at_stake", "reason"} for c in customers)
    smb = rank_customers(at_risk_customers(model, Filters(AS_OF, AS_OF, segments=("SMB",)), clv), "risk", 7)
    assert [c["customer_id"] for c in customers] == smb["customer_id"].tolist()
    assert [c["risk"] for c in customers] == pytest.approx(smb["risk"].tolist(), abs=1e-6)
    assert [c["value_at_stake"] for c in customers] == pytest.approx(smb["value_at_stake"].tolist(), abs=0.01)
    assert printed["value_basis"] == "clv"


def test_cli_churn_risk_in_russian_and_its_usage_errors(sample_db, empty_db):
    result = run_cli("churn-risk", "--db", str(sample_db), "--top", "3", "--lang", "ru", "--horizon-days", "60")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["horizon_days"] == 60 and printed["validation_cutoff"] == "2025-11-01"
    words = " ".join([d["text"] for d in printed["drivers"]] + [c["reason"] for c in printed["customers"]])
    assert "60 дн." in words
    assert sorted(set(re.findall(r"[A-Za-z]+", words)) - {"NPS", "CSAT", "CES", "RUB"}) == []
    for args in (["--horizon-days", "0"], ["--horizon-days", "ninety"], ["--top", "-1"]):
        result = run_cli("churn-risk", "--db", str(sample_db), *args)
        assert result.returncode == 2, args
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    result = run_cli("churn-risk", "--db", str(empty_db))
    assert result.returncode == 2
    assert result.stderr.strip() == "error: not available: no transactions loaded — load transactions"
