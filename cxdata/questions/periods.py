"""The periods a metric query answers at once (the overview's period and the one before it, or a
trend's weeks and months): which period a row falls in, grouped sums per period, their totals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxdata.engine.query import period_bounds
from cxdata.model.filters import Filters

# Ibis truncation units of the trend grains (``cxdata.questions.trends``).
GRAIN_UNITS = {"week": "W", "month": "M"}


def span_of(periods: Sequence[Filters]) -> Filters:
    """One selection covering every period (same dimensions): the rows any of them reads."""
    return replace(periods[0], start=min(p.start for p in periods), end=max(p.end for p in periods))


def in_period(column: ir.Value, period: Filters) -> ir.BooleanValue:
    """``column`` (a date, or a timestamp) falls on one of the period's days."""
    if column.type().is_date():
        return (column >= period.start) & (column <= period.end)
    start, end = period_bounds(period)
    return (column >= start) & (column < end)


def period_index(column: ir.Value, periods: Sequence[Filters]) -> ir.IntegerValue:
    """0, 1, … : which of ``periods`` (disjoint) the row's ``column`` falls in; null for none."""
    return ibis.cases(*[(in_period(column, period), index) for index, period in enumerate(periods)], else_=None)


def group_by_period(relation: ir.Table, column: ir.Value, periods: Sequence[Filters], aggregates: dict,
                    grain: str | None = None) -> pd.DataFrame:  # fmt: skip
    """``aggregates`` per period index (``period``) and, with a ``grain``, per trend period
    (``period_start``, the week or month ``column`` falls in)."""
    keys = {"period": period_index(column, periods)}
    if grain is not None:
        keys["period_start"] = column.cast("timestamp").truncate(GRAIN_UNITS[grain])
    return relation.group_by(**keys).aggregate(**aggregates).execute()


def period_totals(counts: pd.DataFrame, index: int) -> dict:
    """Column sums of the rows of period ``index`` (0 for a period without rows).

    Counts add up exactly; float sums (money) are added with ``math.fsum``, correctly rounded.
    """
    rows = counts["period"].to_numpy() == index
    totals = {}
    for column in counts.columns.difference(["period", "period_start"]):
        values = counts[column].to_numpy()[rows]
        if values.dtype.kind == "f":
            totals[column] = math.fsum(values[~np.isnan(values)])
        elif values.dtype.kind in "iub":
            totals[column] = int(values.sum())
        else:  # 128-bit sums arrive as Python numbers, nulls as None
            totals[column] = sum(v for v in values if v is not None and v == v)
    return totals
