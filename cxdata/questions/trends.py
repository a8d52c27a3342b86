"""Metric time series over the selected period, by week or month.

One long DataFrame per selection: ``period_start`` (timestamp), ``metric``, ``value``, ``n``,
``low``, ``high`` — the same units and intervals as the KPI tiles, from the same counts
(``cxdata.questions.metrics.fetch_metric_counts`` split by trend period).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxdata.analysis.stats import monthly_rate
from cxdata.model.filters import Filters
from cxdata.questions.metrics import (
    fetch_metric_counts,
    revenue_metrics,
    survey_metrics,
)

TREND_COLUMNS = ["period_start", "metric", "value", "n", "low", "high"]
TREND_METRICS = ("nps", "csat", "ces", "revenue", "churn_rate")
# build_trends adds ``is_partial``: the period sticks out of the selected days (sums look low there).
# Periods up to this many days are shown by week (a planted 4-week incident stays visible).
WEEKLY_UP_TO_DAYS = 200
_GRAIN_DAYS = {"week": 7, "month": 30.4375}


def choose_grain(filters: Filters) -> str:
    """'week' for periods up to ~6.5 months, else 'month'."""
    return "week" if filters.days <= WEEKLY_UP_TO_DAYS else "month"


def _rows(period_start, metric: str, value) -> dict:
    return {"period_start": period_start, "metric": metric, "value": value.value, "n": value.n,
            "low": value.low, "high": value.high}  # fmt: skip


def _by_period_start(counts: pd.DataFrame, index: int) -> list[tuple]:
    """(trend period start, its counts as a dict) for the rows of period ``index``, in time order."""
    rows = counts[counts["period"] == index].drop(columns="period").sort_values("period_start")
    return [(row.pop("period_start"), row) for row in rows.to_dict("records")]


def build_survey_trends(counts: pd.DataFrame, index: int = 0) -> pd.DataFrame:
    """NPS, CSAT and CES per trend period (periods without answers of a kind have no row)."""
    rows = []
    for period_start, sums in _by_period_start(counts, index):
        for name, value in survey_metrics(sums).items():
            if value.n:
                rows.append(_rows(period_start, name, value))
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def build_revenue_trend(sums: pd.DataFrame, index: int = 0) -> pd.DataFrame:
    """Net revenue per trend period (n = transactions)."""
    rows = [_rows(start, "revenue", revenue_metrics(row)["revenue"]) for start, row in _by_period_start(sums, index)]
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def build_churn_trend(matrix: pd.DataFrame, filters: Filters, grain: str) -> pd.DataFrame:
    """Churn per trend period as a monthly rate, for customers active at each period's start.

    ``matrix`` counts customers by (first-purchase period × churn period), so the database scans
    the customers once whatever the number of periods.
    """
    first = pd.to_datetime(matrix["first_period"]).to_numpy()
    churn = pd.to_datetime(matrix["churn_period"]).to_numpy()
    customers = matrix["customers"].to_numpy(dtype="int64")
    not_churned = np.isnat(churn)
    rows = []
    for period in _period_starts(filters, grain):
        moment = period.to_datetime64()
        # Bought before the period and not churned before it (NaT compares False: never churned).
        still_there = (first < moment) & (not_churned | (churn >= moment))
        active = int(customers[still_there].sum())
        churned = int(customers[still_there & (churn == moment)].sum())
        value = 100 * monthly_rate(churned / active, _GRAIN_DAYS[grain]) if active else None
        rows.append({"period_start": period, "metric": "churn_rate", "value": value, "n": active, "low": None, "high": None})
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def _period_starts(filters: Filters, grain: str) -> list[pd.Timestamp]:
    start, end = pd.Timestamp(filters.start), pd.Timestamp(filters.end)
    if grain == "week":
        first = start - pd.Timedelta(days=start.weekday())
        return list(pd.date_range(first, end, freq="7D"))
    return list(pd.date_range(start.replace(day=1), end, freq="MS"))


def build_trends(counts: dict[str, pd.DataFrame], filters: Filters, grain: str, index: int = 0) -> pd.DataFrame:
    """All overview trends of period ``index`` of ``fetch_metric_counts(..., grain=grain)``."""
    parts = [
        build_survey_trends(counts["survey"], index),
        build_revenue_trend(counts["revenue"], index),
        build_churn_trend(counts["retention"], filters, grain),
    ]
    parts = [p for p in parts if not p.empty]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=TREND_COLUMNS)
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    next_start = frame["period_start"] + (pd.Timedelta(days=7) if grain == "week" else pd.offsets.MonthBegin(1))
    frame["is_partial"] = (frame["period_start"] < pd.Timestamp(filters.start)) | (
        next_start > pd.Timestamp(filters.end) + pd.Timedelta(days=1)
    )
    return frame


def fetch_trends(db, filters: Filters, grain: str | None = None) -> pd.DataFrame:
    """All overview trends for the selection, long format (see module docstring)."""
    grain = grain or choose_grain(filters)
    return build_trends(fetch_metric_counts(db, [filters], None, TREND_METRICS, grain), filters, grain)
