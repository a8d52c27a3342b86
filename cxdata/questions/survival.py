"""Survival by CX class: how long customers of each class stay, and what the gap is worth.

Rules (the estimators are in ``cxdata.analysis.survival``):

- **Lifetime** of a paying customer: from the first purchase to their churn (``rules.customer_churn``,
  an observed end) or, without one, to the end of the as-of day (censored), in months of
  365.25 / 12 days.
- **Classes** as of the as-of date, as on the CX-and-money page (``cxdata.questions.money_base``): the
  latest NPS and CSAT answers, complaint status; compared with promoters, satisfied customers and
  customers whose complaints were all resolved. The class is read at the end, so it describes
  who stayed, not a cause measured in advance.
- **Restricted mean lifetime** to ``RESTRICTED_MONTHS`` (or the longest time every class of the
  dimension was followed, when shorter): the area under each Kaplan–Meier curve. "Promoters stay
  N months longer" is the reference class's restricted mean minus the class's.
- **In money**: those months × the class's predicted monthly value of a living customer (its
  customers' expected value over the horizon / their summed P(alive) / the horizon's months,
  ``cxdata.questions.clv``) × the class's customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from cxdata.analysis.clv import DAYS_PER_MONTH
from cxdata.analysis.survival import kaplan_meier, logrank_test, restricted_mean
from cxdata.engine.query import day_start
from cxdata.model.filters import Filters
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.model.rules import COMPLAINT_STATUSES, REFERENCE_CLASS, class_order
from cxdata.questions.clv import ClvModel, select_customers

RESTRICTED_MONTHS = 24
# Dimension -> (column of the model's customers, classes in display order, reference class).
SURVIVAL_DIMENSIONS = {
    "nps": ("nps_class", class_order("nps"), REFERENCE_CLASS["nps"]),
    "csat": ("csat_class", class_order("csat"), REFERENCE_CLASS["csat"]),
    "complaints": ("complaint_status", list(COMPLAINT_STATUSES), "resolved"),
}
TABLE_COLUMNS = [
    "dimension", "cx_class", "customers", "churned", "restricted_mean_months", "months_vs_reference",
    "monthly_value", "value_gap", "is_small",
]  # fmt: skip


@dataclass(frozen=True)
class SurvivalView:
    """Kaplan–Meier curves, restricted means and log-rank tests of one selection.

    ``curves``: ``dimension``, ``cx_class``, ``time`` (months), ``at_risk``, ``events``, ``survival``.
    ``table``: ``TABLE_COLUMNS``, one row per (dimension, class with customers), display order.
    ``tests``: dimension -> ``logrank_test`` result. ``horizons``: dimension -> restricted months.
    """

    curves: pd.DataFrame
    table: pd.DataFrame
    tests: dict[str, dict]
    horizons: dict[str, float]

    def row(self, dimension: str, cx_class: str) -> dict | None:
        match = self.table[(self.table["dimension"] == dimension) & (self.table["cx_class"] == cx_class)]
        return match.iloc[0].to_dict() if len(match) else None


def customer_lifetimes(model: ClvModel, filters: Filters) -> pd.DataFrame:
    """The selected customers with ``months`` (lifetime so far, whole days in months) and ``churned`` (an observed end)."""
    customers = select_customers(model, filters)
    churned_at = pd.to_datetime(customers["churned_at"])
    churned = (churned_at < pd.Timestamp(day_start(model.as_of + timedelta(days=1)))).fillna(False).to_numpy(dtype=bool)
    # Whole days from the first purchase day to the churn day, or to the as-of day (censored).
    stop = churned_at.dt.normalize().where(churned, pd.Timestamp(model.as_of))
    days = (stop - pd.to_datetime(customers["first_purchase_at"]).dt.normalize()).dt.days
    months = days / DAYS_PER_MONTH
    return customers.assign(months=months.clip(lower=0).to_numpy(), churned=churned)


def compute_survival(model: ClvModel, filters: Filters) -> SurvivalView:
    """Kaplan–Meier per class of every dimension, the log-rank test per dimension, and each class's
    restricted mean lifetime and its gap to the reference class in months and money."""
    lifetimes = customer_lifetimes(model, filters)
    curves, rows, tests, horizons = [], [], {}, {}
    for dimension, (column, classes, reference) in SURVIVAL_DIMENSIONS.items():
        present = [c for c in classes if (lifetimes[column] == c).any()]
        parts = {c: lifetimes[lifetimes[column] == c] for c in present}
        horizon = min([RESTRICTED_MONTHS, *(float(p["months"].max()) for p in parts.values())]) if parts else 0.0
        horizons[dimension] = horizon
        means = {}
        for cx_class, part in parts.items():
            curve = kaplan_meier(part["months"], part["churned"])
            curves.append(curve.assign(dimension=dimension, cx_class=cx_class))
            means[cx_class] = restricted_mean(curve, horizon)
        for cx_class, part in parts.items():
            gap = means[reference] - means[cx_class] if reference in means else np.nan
            monthly = _monthly_value(part, model.horizon_months)
            rows.append({
                "dimension": dimension, "cx_class": cx_class, "customers": len(part),
                "churned": int(part["churned"].sum()), "restricted_mean_months": means[cx_class],
                "months_vs_reference": gap, "monthly_value": monthly,
                "value_gap": gap * monthly * len(part) if cx_class != reference else np.nan,
                "is_small": len(part) < MIN_SAMPLE_SIZE,
            })  # fmt: skip
        tests[dimension] = logrank_test(lifetimes["months"], lifetimes["churned"], lifetimes[column]) if len(parts) > 1 \
            else {"statistic": np.nan, "degrees_of_freedom": 0, "p_value": np.nan}
    curve_columns = ["dimension", "cx_class", "time", "at_risk", "events", "survival"]
    curves_frame = pd.concat(curves, ignore_index=True)[curve_columns] if curves else pd.DataFrame(columns=curve_columns)
    return SurvivalView(curves_frame, pd.DataFrame(rows, columns=TABLE_COLUMNS), tests, horizons)


def _monthly_value(part: pd.DataFrame, horizon_months: int) -> float:
    alive = part["p_alive"].sum()
    return float(part["expected_value"].sum() / alive / horizon_months) if alive > 0 else np.nan
