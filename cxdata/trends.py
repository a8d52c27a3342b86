"""Metric time series over the selected period, by week or month.

One long DataFrame per selection: ``period_start`` (timestamp), ``metric``, ``value``, ``n``,
``low``, ``high`` — the same units and intervals as the KPI tiles.
"""

from __future__ import annotations

import pandas as pd

from cxdata.filters import Filters
from cxdata.metrics import ces_stats, survey_aggregates
from cxdata.query import customer_lifecycle, filter_daily_rollup, filter_table
from cxdata.rollups import rollups_are_fresh
from cxdata.stats import mean_interval, monthly_rate, nps_interval, wilson_interval

TREND_COLUMNS = ["period_start", "metric", "value", "n", "low", "high"]
# fetch_trends adds ``is_partial``: the period sticks out of the selected days (sums look low there).
# Periods up to this many days are shown by week (a planted 4-week incident stays visible).
WEEKLY_UP_TO_DAYS = 200
_GRAIN_UNIT = {"week": "W", "month": "M"}
_GRAIN_DAYS = {"week": 7, "month": 30.4375}


def choose_grain(filters: Filters) -> str:
    """'week' for periods up to ~6.5 months, else 'month'."""
    return "week" if filters.days <= WEEKLY_UP_TO_DAYS else "month"


def _rows(period_start, metric: str, result, n: int) -> dict:
    value, low, high = result if result is not None else (None, None, None)
    return {"period_start": period_start, "metric": metric, "value": value, "n": n, "low": low, "high": high}


def fetch_survey_trends(db, filters: Filters, grain: str) -> pd.DataFrame:
    """NPS, CSAT and CES per period."""
    relation, aggregates = survey_aggregates(db, filters)
    day = relation.day if "day" in relation.columns else relation.responded_at
    by_period = (
        relation.group_by(period_start=day.cast("timestamp").truncate(_GRAIN_UNIT[grain]))
        .aggregate(**aggregates)
        .order_by("period_start")
        .execute()
    )
    rows = []
    for r in by_period.fillna(0).itertuples(index=False):
        nps_n, csat_n, ces_n = int(r.nps_n), int(r.csat_n), int(r.ces_n)
        if nps_n:
            rows.append(_rows(r.period_start, "nps", nps_interval(int(r.promoters), int(r.detractors), nps_n), nps_n))
        if csat_n:
            rows.append(_rows(r.period_start, "csat", wilson_interval(int(r.satisfied), csat_n), csat_n))
        if ces_n:
            mean, sd = ces_stats(ces_n, r.ces_sum, r.ces_sum_squares)
            rows.append(_rows(r.period_start, "ces", mean_interval(mean, sd, ces_n), ces_n))
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def fetch_revenue_trend(db, filters: Filters, grain: str) -> pd.DataFrame:
    """Net revenue per period (n = transactions)."""
    unit = _GRAIN_UNIT[grain]
    if rollups_are_fresh(db):
        d = filter_daily_rollup(db, "transaction_daily", filters)
        grouped = d.group_by(period_start=d.day.cast("timestamp").truncate(unit)).aggregate(
            value=d.amount_sum.sum(), n=d.transaction_count.sum()
        )
    else:
        t = filter_table(db, "transactions", filters)
        grouped = t.group_by(period_start=t.occurred_at.truncate(unit)).aggregate(value=t.amount.sum(), n=t.count())
    by_period = grouped.order_by("period_start").execute()
    by_period["metric"] = "revenue"
    by_period["low"] = by_period["high"] = None
    return by_period[TREND_COLUMNS]


def fetch_churn_trend(db, filters: Filters, grain: str) -> pd.DataFrame:
    """Churn per period as a monthly rate, for customers active at each period's start.

    Computed from a small (first-purchase period × churn period) count matrix, so the database
    scans the customers once whatever the number of periods.
    """
    life = customer_lifecycle(db, filters)
    unit = _GRAIN_UNIT[grain]
    matrix = (
        life.group_by(first_period=life.first_purchase_at.truncate(unit), churn_period=life.churned_at.truncate(unit))
        .aggregate(customers=life.count())
        .execute()
    )
    periods = _period_starts(filters, grain)
    rows = []
    for period in periods:
        before = matrix[matrix.first_period < period]
        still_there = before[before.churn_period.isna() | (before.churn_period >= period)]
        active = int(still_there.customers.sum())
        churned = int(still_there.loc[still_there.churn_period == period, "customers"].sum())
        result = None
        if active:
            share = churned / active
            result = (100 * monthly_rate(share, _GRAIN_DAYS[grain]), None, None)
        rows.append(_rows(period, "churn_rate", result, active))
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def _period_starts(filters: Filters, grain: str) -> list[pd.Timestamp]:
    start, end = pd.Timestamp(filters.start), pd.Timestamp(filters.end)
    if grain == "week":
        first = start - pd.Timedelta(days=start.weekday())
        return list(pd.date_range(first, end, freq="7D"))
    return list(pd.date_range(start.replace(day=1), end, freq="MS"))


def fetch_trends(db, filters: Filters, grain: str | None = None) -> pd.DataFrame:
    """All overview trends for the selection, long format (see module docstring)."""
    grain = grain or choose_grain(filters)
    parts = [
        fetch_survey_trends(db, filters, grain),
        fetch_revenue_trend(db, filters, grain),
        fetch_churn_trend(db, filters, grain),
    ]
    frame = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(not p.empty for p in parts) else pd.DataFrame(columns=TREND_COLUMNS)
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    next_start = frame["period_start"] + (pd.Timedelta(days=7) if grain == "week" else pd.offsets.MonthBegin(1))
    frame["is_partial"] = (frame["period_start"] < pd.Timestamp(filters.start)) | (
        next_start > pd.Timestamp(filters.end) + pd.Timedelta(days=1)
    )
    return frame
