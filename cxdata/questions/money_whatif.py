"""What-if projections: "+N NPS points" and "−N% drop-off at stage X" in money over a horizon.

Both are arithmetic on measured figures (no query here), with the model stated per function;
``WhatIf`` carries every input the page prints next to the number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from cxdata.analysis.money_stats import (
    DAYS_PER_MONTH,
    expected_active_months,
    is_significant,
    mean_and_sd,
    two_proportion_test,
    validate_horizon_months,
    welch_test,
)
from cxdata.model.filters import Filters
from cxdata.questions.funnel import FUNNEL_COLUMNS, compute_funnel, fetch_stage_order
from cxdata.questions.money import ClassEconomics

NPS_TARGETS = {"passive": 1, "promoter": 2}  # class moved to -> NPS points per 1% of customers moved


@dataclass(frozen=True)
class WhatIf:
    """A projection over ``horizon_months``; money in the database currency, None when unknown.

    ``changed_customers``: detractors moved / leads recovered; ``value_before`` / ``value_after``:
    the horizon value of one such customer before and after; ``revenue_change`` = changed ×
    (after − before); ``ltv_change``: revenue_change per customer of the base (``base_customers``:
    customers with an NPS class / people entering the funnel). ``inputs`` holds the measured
    figures the model used (for the assumptions text).
    """

    scenario: str  # "nps" or "drop_off"
    horizon_months: int
    changed_customers: float
    value_before: float | None
    value_after: float | None
    revenue_change: float | None
    ltv_change: float | None
    base_customers: int
    is_significant: bool | None  # whether the measured gap it rests on is significant (None: not tested)
    inputs: dict = field(default_factory=dict)


def _check(horizon_months: int, percent_or_points: float, name: str, upper: float) -> None:
    validate_horizon_months(horizon_months)
    if not isinstance(percent_or_points, (int, float)) or not 0 <= percent_or_points <= upper:
        raise ValueError(f"{name} must be a number from 0 to {upper:g}, got {percent_or_points!r}")


def project_nps_uplift(economics: ClassEconomics, points: float, horizon_months: int, to_class: str = "passive") -> WhatIf:
    """Raise NPS by ``points`` by moving detractors to ``to_class`` (passive or promoter).

    Model: among the customers with an NPS class (n), moving one detractor to passive raises NPS
    by 100 / n points (to promoter: 200 / n), so ``points`` needs points × n / 100 movers (half
    as many to promoter), at most all detractors. A moved customer takes the monthly revenue per
    customer and the monthly churn measured for the target class: the horizon value of a
    customer of class c is r_c × E(churn_c), r_c = the class's revenue in the period × 30 / days
    / its customers, E(c) = Σ_{m=1..H} (1 − c)^m. Revenue change = movers × (value of the target
    class − value of a detractor). It assumes the measured gaps are caused by the experience.
    """
    if to_class not in NPS_TARGETS:
        raise ValueError(f"to_class must be one of {', '.join(NPS_TARGETS)}, got {to_class!r}")
    _check(horizon_months, points, "points", 200)
    detractors = economics.group_sums("nps", "detractor")
    target = economics.group_sums("nps", to_class)
    classified = economics.nps_customers
    step = NPS_TARGETS[to_class]
    movers = min(points * classified / (100 * step), detractors["customers"])
    value_before, churn_before, monthly_before = _horizon_value(economics, "detractor", horizon_months)
    value_after, churn_after, monthly_after = _horizon_value(economics, to_class, horizon_months)
    revenue_change = None
    if value_before is not None and value_after is not None:
        revenue_change = movers * (value_after - value_before)
    churn_p = two_proportion_test(
        int(detractors["retained"]), int(detractors["active_at_start"]), int(target["retained"]), int(target["active_at_start"])
    )
    revenue_p = welch_test(
        *mean_and_sd(detractors["revenue"], detractors["revenue_squares"], int(detractors["customers"])),
        int(detractors["customers"]),
        *mean_and_sd(target["revenue"], target["revenue_squares"], int(target["customers"])),
        int(target["customers"]),
    )
    return WhatIf(
        scenario="nps",
        horizon_months=horizon_months,
        changed_customers=movers,
        value_before=value_before,
        value_after=value_after,
        revenue_change=revenue_change,
        ltv_change=revenue_change / classified if revenue_change is not None and classified else None,
        base_customers=int(classified),
        is_significant=is_significant(churn_p) or is_significant(revenue_p),
        inputs={
            "points": points, "to_class": to_class,
            "achieved_points": 100 * step * movers / classified if classified else 0.0,
            "churn_before": churn_before, "churn_after": churn_after,
            "monthly_revenue_before": monthly_before, "monthly_revenue_after": monthly_after,
            "churn_p_value": churn_p, "revenue_p_value": revenue_p,
        },  # fmt: skip
    )


def _horizon_value(economics: ClassEconomics, cx_class: str, horizon_months: int):
    """(horizon value per customer, monthly churn %, monthly revenue per customer) of an NPS class."""
    sums = economics.group_sums("nps", cx_class)
    churn = economics.row("nps", cx_class, "churn_rate")["value"]
    if not sums["customers"] or churn is None:
        return None, churn, None
    monthly = sums["revenue"] * DAYS_PER_MONTH / economics.days / sums["customers"]
    return monthly * expected_active_months(churn / 100, horizon_months), churn, monthly


def observed_months(start: date, end: date, as_of: date) -> float:
    """How long, on average, the period's entrants have had to spend: the mean over the period's
    days of the days from that day to the as-of date, in 30-day months (at least 1).

    >>> observed_months(date(2025, 7, 1), date(2025, 12, 31), date(2025, 12, 31))  # (183 + 0) / 2 days
    3.05
    """
    return max(((as_of - start).days + (as_of - end).days) / 2 / DAYS_PER_MONTH, 1.0)


def fetch_what_if_funnel(db, filters: Filters, as_of: date) -> pd.DataFrame:
    """``cxdata.questions.funnel.compute_funnel`` for the drop-off scenario (default window and stages);
    an empty funnel when the database declares no journey stage at all."""
    if not fetch_stage_order(db):
        return pd.DataFrame(columns=list(FUNNEL_COLUMNS))
    return compute_funnel(db, filters, as_of)


def drop_off_steps(funnel: pd.DataFrame) -> dict[str, str]:
    """Stage -> the next stage, for the stages where someone dropped (the scenario's choices)."""
    stages = funnel["stage"].tolist()
    dropped = funnel["dropped"].tolist()
    return {stage: stages[k + 1] for k, stage in enumerate(stages[:-1]) if dropped[k] > 0}


def project_drop_off_reduction(
    funnel: pd.DataFrame, stage: str, percent: float, horizon_months: int, *, start: date, end: date, as_of: date
) -> WhatIf:
    """Cut the drop-off at ``stage`` by ``percent`` % (of those who drop there), in money.

    Model: recovered = percent × dropped at the stage (``cxdata.questions.funnel.compute_funnel``). Each
    is worth what the funnel values a dropped customer at (lost value / dropped: the mean net
    revenue to date of the cohort customers who went on to the next stage, segment-weighted),
    earned over the T months the entry cohort has had on average (``observed_months``); over a
    horizon of H months that value is scaled by H / T (linear, no extra churn).
    """
    _check(horizon_months, percent, "percent", 100)
    rows = funnel[funnel["stage"] == stage]
    if rows.empty:
        raise ValueError(f"unknown stage {stage!r}: the funnel has {', '.join(funnel['stage'])}")
    row = rows.iloc[0]
    position = int(rows.index[0])
    next_stage = funnel["stage"].iloc[position + 1] if position + 1 < len(funnel) else None
    dropped, lost_value = int(row["dropped"]), float(row["lost_value"])
    entrants = int(funnel["customers"].iloc[0]) if len(funnel) else 0
    months = observed_months(start, end, as_of)
    recovered = percent / 100 * dropped
    value_to_date = lost_value / dropped if dropped and not math.isnan(lost_value) else None
    value_after = value_to_date * horizon_months / months if value_to_date is not None else None
    revenue_change = recovered * value_after if value_after is not None else None
    return WhatIf(
        scenario="drop_off",
        horizon_months=horizon_months,
        changed_customers=recovered,
        value_before=0.0,
        value_after=value_after,
        revenue_change=revenue_change,
        ltv_change=revenue_change / entrants if revenue_change is not None and entrants else None,
        base_customers=entrants,
        is_significant=None,
        inputs={
            "stage": stage, "next_stage": next_stage, "percent": percent, "dropped": dropped, "lost_value": lost_value,
            "value_to_date": value_to_date, "observed_months": months,
        },  # fmt: skip
    )
