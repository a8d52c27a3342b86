"""Key drivers in money: which touchpoint scores and complaint categories go with churn and revenue.

Population: the customers active on the first day of the period (the churn population of
``cxdata.questions.metrics``). A driver splits the customers it measures into exposed and unexposed:

- a **touchpoint score** (CSAT or CES at a journey stage) measures the customers whose latest
  answer there is dated on or before the period's end; exposed = a poor answer (CSAT 1–3, i.e.
  not satisfied; CES 1–4, i.e. below the "easy" band and the CES target of 5);
- a **complaint category** measures everyone; exposed = a complaint of that category opened on
  or before the period's end.

Effect on churn: the sample odds ratio of churning in the period (exposed vs unexposed) with
Woolf's 95% interval and the Wald test; effect on revenue: the difference of revenue in the
period per customer with Welch's t-test. Both two-sided at 5%; "not significant" when p ≥ 0.05.

Importance in money = revenue at stake over the horizon: the exposed customers' monthly revenue
× (E(c_unexposed) − E(c_exposed)), E(c) = Σ_{m=1..H} (1 − c)^m, c = monthly churn — the same
model as the revenue at risk: what they would still bring if they churned like the unexposed.
Performance = share of the measured customers not exposed (% satisfied, % easy, % without such
a complaint). Associations, not proof of cause: drivers overlap (a detractor often complains).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cxdata.analysis.money_stats import (
    DAYS_PER_MONTH,
    expected_active_months,
    is_significant,
    mean_and_sd,
    odds_ratio,
    validate_horizon_months,
    welch_test,
)
from cxdata.analysis.stats import monthly_rate
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.questions.money_base import MoneyCells

DRIVER_COLUMNS = [
    "kind", "subject", "measured_customers", "exposed_customers", "performance",
    "exposed_churn_rate", "unexposed_churn_rate", "odds_ratio", "odds_ratio_low", "odds_ratio_high",
    "churn_p_value", "is_churn_significant",
    "exposed_revenue_per_customer", "unexposed_revenue_per_customer", "revenue_p_value", "is_revenue_significant",
    "monthly_revenue", "revenue_at_stake", "is_small_sample",
]  # fmt: skip


def compute_drivers(cells: MoneyCells, horizon_months: int) -> pd.DataFrame:
    """One row per driver measured in the selection (``DRIVER_COLUMNS``), by revenue at stake.

    Churn rates in % per month; revenue per customer is revenue in the period; money in the
    database currency. Drivers nobody was measured on are left out; rows whose exposed or
    unexposed group is below 30 customers have ``is_small_sample``.
    """
    validate_horizon_months(horizon_months)
    totals = cells.driver_sums.to_dict()  # ~100 lookups: a dict, not a Series
    rows = []
    for k, driver in enumerate(cells.drivers, 1):
        sums = {name: float(totals.get(f"driver_{k}_{name}", 0.0)) for name in _SUM_NAMES}
        if sums["measured_customers"] == 0:
            continue
        rows.append({"kind": driver.kind, "subject": driver.subject, **_driver_effects(sums, cells.days, horizon_months)})
    floats = [c for c in DRIVER_COLUMNS[4:] if not c.startswith("is_")]
    # Columns built with their types (an astype of the frame costs more than the statistics).
    if not rows:
        return pd.DataFrame(columns=DRIVER_COLUMNS).astype(dict.fromkeys(floats, "float64"))
    frame = pd.DataFrame({c: np.array([r[c] for r in rows], dtype="float64") if c in floats else [r[c] for r in rows]
                          for c in DRIVER_COLUMNS}, columns=DRIVER_COLUMNS)  # fmt: skip
    frame = frame.sort_values("revenue_at_stake", ascending=False, na_position="last", kind="stable")
    return frame.reset_index(drop=True)


_SUM_NAMES = [
    f"{group}_{measure}" for group in ("measured", "exposed") for measure in ("customers", "churned", "revenue", "revenue_squares")
]


def _driver_effects(s: dict[str, float], days: int, horizon_months: int) -> dict:
    exposed_n = int(s["exposed_customers"])
    unexposed_n = int(s["measured_customers"]) - exposed_n
    exposed_churned = int(s["exposed_churned"])
    unexposed_churned = int(s["measured_churned"]) - exposed_churned
    unexposed_revenue = s["measured_revenue"] - s["exposed_revenue"]
    unexposed_squares = s["measured_revenue_squares"] - s["exposed_revenue_squares"]

    def churn(churned: int, n: int) -> float:
        return 100 * monthly_rate(churned / n, days) if n else math.nan

    exposed_churn, unexposed_churn = churn(exposed_churned, exposed_n), churn(unexposed_churned, unexposed_n)
    ratio = odds_ratio(exposed_churned, exposed_n, unexposed_churned, unexposed_n)
    exposed_mean, exposed_sd = mean_and_sd(s["exposed_revenue"], s["exposed_revenue_squares"], exposed_n)
    unexposed_mean, unexposed_sd = mean_and_sd(unexposed_revenue, unexposed_squares, unexposed_n)
    revenue_p = welch_test(exposed_mean, exposed_sd, exposed_n, unexposed_mean, unexposed_sd, unexposed_n)
    monthly_revenue = s["exposed_revenue"] * DAYS_PER_MONTH / days
    at_stake = math.nan
    if exposed_n and unexposed_n:
        kept = expected_active_months(unexposed_churn / 100, horizon_months)
        at_stake = monthly_revenue * (kept - expected_active_months(exposed_churn / 100, horizon_months))
    churn_p = ratio.p_value if ratio else None
    return {
        "measured_customers": int(s["measured_customers"]),
        "exposed_customers": exposed_n,
        "performance": 100 * unexposed_n / s["measured_customers"],
        "exposed_churn_rate": exposed_churn,
        "unexposed_churn_rate": unexposed_churn,
        "odds_ratio": ratio.value if ratio else math.nan,
        "odds_ratio_low": ratio.low if ratio else math.nan,
        "odds_ratio_high": ratio.high if ratio else math.nan,
        "churn_p_value": math.nan if churn_p is None else churn_p,
        "is_churn_significant": is_significant(churn_p),
        "exposed_revenue_per_customer": math.nan if exposed_mean is None else exposed_mean,
        "unexposed_revenue_per_customer": math.nan if unexposed_mean is None else unexposed_mean,
        "revenue_p_value": math.nan if revenue_p is None else revenue_p,
        "is_revenue_significant": is_significant(revenue_p),
        "monthly_revenue": monthly_revenue,
        "revenue_at_stake": at_stake,
        "is_small_sample": min(exposed_n, unexposed_n) < MIN_SAMPLE_SIZE,
    }
