"""Unit economics by acquisition channel, and the same split by NPS class.

For the people first contacted in the period (the registry's acquisition cohort), per
acquisition channel — the registry's definitions, computed per channel in one query:

- ``cac`` = acquisition cost of everyone contacted (buyers or not) / those who became paying
  customers by the as-of date;
- ``ltv`` = net revenue to the as-of date per paying customer (historical, no forecast);
- ``ltv_cac`` = ltv / cac (healthy ≥ 3);
- ``payback_months`` = cac / monthly net revenue per paying customer, where monthly net revenue =
  their net revenue to date / their customer-months (30-day months from the first purchase to
  churn or the end of the as-of day): how many months of an average paying customer's revenue
  recover what it cost to acquire one. None when that revenue is not positive (never pays back).
- ``expected_lifetime_months`` = customer-months / churn events among the paying customers (a
  constant monthly hazard);
- ``payback_status`` (``cxdata.model.rules.payback_status``, the one definition): ``paid_back``
  (LTV/CAC ≥ 1), ``expected`` (not yet, within the expected lifetime capped at 10 years) or
  ``never``; ``pays_back`` = it has paid back (``paid_back``), so "pays back" never stands beside an
  LTV/CAC under 1; ``lifetime_note``: why the lifetime is no plain number (``no_churn``,
  ``over_cap``); ``is_below_standard``: LTV/CAC under the standard of 3.

By NPS class (latest NPS answer on or before the period's end): the class is known only after
the customer is acquired, so every class of a channel carries the channel's CAC; LTV, monthly
revenue, payback and lifetime are the class's own. A detractor acquired through a channel
"never pays back" when its payback is longer than its expected lifetime.

Coverage per channel: a channel none of whose contacted people has an acquisition cost has no
CAC, LTV/CAC, payback nor "pays back" (not a CAC of 0), and its ``cost_gap`` says so; the other
channels keep their numbers (``GAP_COLUMNS``, ``gap_of``). The total of the channels ("all") has
no CAC either when one of its channels has none: its costs would be understated.
"""

from __future__ import annotations

import math
from datetime import date

import ibis
import numpy as np
import pandas as pd

from cxdata.analysis.money_stats import DAYS_PER_MONTH
from cxdata.engine import money_rollup
from cxdata.engine.query import customer_lifecycle, filter_table
from cxdata.engine.coverage import Gap
from cxdata.engine.router import MONEY, answered_by
from cxdata.model.filters import UNKNOWN, Filters
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.model.rules import is_below_standard, lifetime_note, payback_status
from cxdata.questions.metrics import fetch_gap
from cxdata.questions.money_base import (
    NO_ANSWER,
    as_of_bound,
    class_order,
    fetch_net_revenue_to_date,
    fetch_nps_classes,
)

ALL = "all"
# ``costed``: the contacted people with an acquisition cost.
UNIT_SUMS = ["contacted", "paying", "acquisition_cost", "costed", "net_revenue", "customer_months", "churned"]
UNIT_COLUMNS = [
    "acquisition_channel", "cx_class", *UNIT_SUMS, "cac", "ltv", "ltv_cac", "monthly_revenue_per_customer",
    "payback_months", "expected_lifetime_months", "pays_back", "payback_status", "lifetime_note", "is_below_standard",
    "is_small_sample",
]  # fmt: skip
_COUNTS = ("contacted", "paying", "costed", "churned")
# The gaps of a row (``cxdata.engine.coverage.Gap`` or None) and the values each leaves without a
# number: no acquisition costs (in the database or in the row's channel), no churn events.
GAP_COLUMNS = {
    "cost_gap": ("cac", "ltv_cac", "payback_months", "pays_back", "payback_status", "is_below_standard"),
    "payback_gap": ("payback_months", "expected_lifetime_months", "pays_back", "payback_status", "lifetime_note"),
}
_SECONDS_PER_MONTH = DAYS_PER_MONTH * 86_400
_OBJECT_COLUMNS = ("pays_back", "payback_status", "lifetime_note", "is_below_standard")


def fetch_unit_economics(db, filters: Filters, as_of: date) -> pd.DataFrame:
    """One row per (acquisition channel, cx_class) (``UNIT_COLUMNS``), money in the database
    currency: every channel with ``cx_class`` "all" and per NPS class, plus the channel "all".
    Channels with nobody contacted in the period are absent. The ``cxdata.engine.rollups_money`` tables
    answer when they hold nothing after the period's end or the as-of date.

    Without acquisition costs, CAC, LTV/CAC and payback have no value (not a CAC of 0); without
    churn events, neither have the expected lifetime and whether a customer pays back
    (``cxdata.model.registry.MEASURES``: ``unit_economics``, ``payback``). The same holds for a
    channel without a single acquisition cost, alone. ``cost_gap`` and ``payback_gap`` (objects:
    a ``Gap`` or None) say why a row's values are missing (``GAP_COLUMNS``).
    """
    units = summarise_unit_economics(_fetch_unit_sums(db, filters, as_of))
    cost_gap, payback_gap = fetch_gap(db, "unit_economics"), fetch_gap(db, "payback")
    costed = dict(zip(units.acquisition_channel[units.cx_class == ALL], units.costed[units.cx_class == ALL], strict=True))
    # The total's CAC divides the costs loaded by every paying customer: with a channel's costs
    # missing it would be understated, so it has no value either (a partial total is not a total).
    partial = any(not count for channel, count in costed.items() if channel != ALL)

    def channel_gap(channel: str) -> Gap | None:
        if cost_gap is not None:
            return cost_gap
        if channel != ALL:
            return None if costed[channel] else Gap("customers", "acquisition_cost", within="channel")
        if not costed[ALL]:
            return Gap("customers", "acquisition_cost", within="selection")
        return Gap("customers", "acquisition_cost", within="partial") if partial else None

    units["cost_gap"] = pd.Series([channel_gap(channel) for channel in units.acquisition_channel], dtype=object,
                                  index=units.index)  # fmt: skip
    units["payback_gap"] = pd.Series([payback_gap] * len(units), dtype=object, index=units.index)
    for gap_column, columns in GAP_COLUMNS.items():
        missing = units[gap_column].notna().to_numpy(bool)
        if not missing.any():
            continue
        for column in columns:
            if column in _OBJECT_COLUMNS:  # True, False, a word or None (not known)
                units[column] = units[column].astype(object)
                units.loc[missing, column] = None
            else:
                units.loc[missing, column] = math.nan
    return units


def gap_of(row, column: str) -> Gap | None:
    """Why ``column`` of a row of ``fetch_unit_economics`` (a dict or a named tuple) has no value,
    or None when it has its number.

    >>> gap_of({"cost_gap": Gap("customers", "acquisition_cost", within="channel"), "payback_gap": None},
    ...        "payback_months").reason("en")
    'no acquisition costs for this channel'
    """
    for gap_column, columns in GAP_COLUMNS.items():
        gap = row[gap_column] if isinstance(row, dict) else getattr(row, gap_column)
        if column in columns and gap is not None:
            return gap
    return None


@answered_by(MONEY, saved=money_rollup.fetch_unit_sums, extra=money_rollup.holds)
def _fetch_unit_sums(db, filters: Filters, as_of: date) -> pd.DataFrame:
    """The per (acquisition_channel, cx_class) sums of ``UNIT_SUMS`` for ``summarise_unit_economics``."""
    joined = _unit_cohort(db, filters, as_of)
    bound = as_of_bound(as_of)
    is_paying = joined.first_purchase_at.notnull()
    has_churned = is_paying & joined.churned_at.notnull() & (joined.churned_at < bound)
    until = ibis.ifelse(has_churned, joined.churned_at, bound)
    months = (until.epoch_seconds() - joined.first_purchase_at.epoch_seconds()) / _SECONDS_PER_MONTH
    return (
        joined.group_by(["acquisition_channel", "cx_class"])
        .aggregate(
            contacted=joined.count(),
            paying=is_paying.cast("int64").sum(),
            acquisition_cost=joined.acquisition_cost.sum(),
            costed=joined.acquisition_cost.count(),
            net_revenue=joined.net_revenue.sum(where=is_paying),
            customer_months=months.sum(where=is_paying),
            churned=has_churned.cast("int64").sum(),
        )
        .execute()
    )


@answered_by(MONEY, saved=money_rollup.fetch_unit_customers, extra=money_rollup.holds)
def fetch_unit_customers(db, filters: Filters, as_of: date) -> pd.DataFrame:
    """One row per paying customer of the unit economics' cohort (first contacted in the period,
    paying by the as-of date): ``customer_id``, ``acquisition_channel``, ``cx_class`` — the
    slices ``fetch_unit_economics`` sums them into (the predicted LTV adds their forecasts)."""
    joined = _unit_cohort(db, filters, as_of)
    paying = joined.filter(joined.first_purchase_at.notnull())
    return paying.select("customer_id", "acquisition_channel", "cx_class").execute()


def _unit_cohort(db, filters: Filters, as_of: date):
    """The people first contacted in the period whom the filters select, one row each, with their
    acquisition channel, NPS class at the period's end, cost, first purchase (null unless before
    the end of the as-of day), churn and net revenue to date."""
    contacted = filter_table(db, "customers", filters)
    life = customer_lifecycle(db, filters)
    life = life.filter(life.first_purchase_at < as_of_bound(as_of))
    revenue = fetch_net_revenue_to_date(db, as_of)
    classes = fetch_nps_classes(db, filters)
    return (
        contacted.left_join(life, "customer_id")
        .left_join(revenue, "customer_id")
        .left_join(classes, "customer_id")
        .select(
            customer_id=contacted.customer_id,
            acquisition_channel=contacted.acquisition_channel.fill_null(UNKNOWN),
            cx_class=classes.nps_class.fill_null(NO_ANSWER),
            acquisition_cost=contacted.acquisition_cost,
            first_purchase_at=life.first_purchase_at,
            churned_at=life.churned_at,
            net_revenue=revenue.net_revenue_to_date.fill_null(0.0),
        )
    )


def summarise_unit_economics(sums: pd.DataFrame) -> pd.DataFrame:
    """``UNIT_COLUMNS`` from the per (channel, class) sums of ``fetch_unit_economics``.

    A few dozen rows: plain Python over records (pandas costs ~1 ms an operation here).
    """
    if sums.empty:
        return pd.DataFrame(columns=UNIT_COLUMNS)
    rows = [
        {"acquisition_channel": r["acquisition_channel"], "cx_class": r["cx_class"], **{n: _number(r[n]) for n in UNIT_SUMS}}
        for r in sums[["acquisition_channel", "cx_class", *UNIT_SUMS]].to_dict("records")
    ]
    by_channel = _grouped_sums(rows, "acquisition_channel", cx_class=ALL)
    everyone = {"acquisition_channel": ALL, "cx_class": ALL,
                **{n: float(np.sum(np.array([r[n] for r in by_channel], dtype="float64"))) for n in UNIT_SUMS}}  # fmt: skip
    per_class_all = _grouped_sums(rows, "cx_class", acquisition_channel=ALL)
    cac = {r["acquisition_channel"]: _ratio(r["acquisition_cost"], r["paying"]) for r in (*by_channel, everyone)}
    order = {name: i for i, name in enumerate([ALL, *class_order("nps")])}
    frame = sorted((*by_channel, *rows, everyone, *per_class_all), key=lambda r: (
        r["acquisition_channel"] == ALL, r["acquisition_channel"], order.get(r["cx_class"], len(order)), r["cx_class"]))
    for r in frame:
        r["cac"] = _nan(cac[r["acquisition_channel"]])
        r["ltv"] = _nan(_ratio(r["net_revenue"], r["paying"]))
        r["ltv_cac"] = _nan(_ratio(r["ltv"], r["cac"]))
        r["monthly_revenue_per_customer"] = _nan(_ratio(r["net_revenue"], r["customer_months"]))
        monthly = r["monthly_revenue_per_customer"]
        r["payback_months"] = r["cac"] / monthly if monthly > 0 else math.nan
        months, churned = r["customer_months"], r["churned"]
        r["expected_lifetime_months"] = months / churned if churned > 0 else (math.inf if months > 0 else math.nan)
        r["payback_status"] = payback_status(r["ltv_cac"], r["payback_months"], r["expected_lifetime_months"], monthly)
        r["pays_back"] = None if r["payback_status"] is None else r["payback_status"] == "paid_back"
        r["lifetime_note"] = lifetime_note(r["expected_lifetime_months"])
        r["is_below_standard"] = is_below_standard(r["ltv_cac"])
        r["is_small_sample"] = r["paying"] < MIN_SAMPLE_SIZE
    columns = {name: [r[name] for r in frame] for name in UNIT_COLUMNS}
    result = pd.DataFrame({
        **{name: pd.array(columns[name], dtype=sums[name].dtype) for name in ("acquisition_channel", "cx_class")},
        **{name: np.array(columns[name], dtype="int64") for name in _COUNTS},
        **{name: np.array(columns[name], dtype="float64") for name in UNIT_COLUMNS if name not in (
            "acquisition_channel", "cx_class", *_COUNTS, *_OBJECT_COLUMNS, "is_small_sample")},
        **{name: pd.Series(columns[name], dtype=object).to_numpy() for name in _OBJECT_COLUMNS},
        "is_small_sample": np.array(columns["is_small_sample"], dtype=bool),
    })  # fmt: skip
    return result[UNIT_COLUMNS]


def _number(value) -> float:
    """A sum as a float, 0 when there was nothing to sum."""
    return 0.0 if value is None or value != value else float(value)


def _nan(value) -> float:
    return math.nan if value is None else value


def _grouped_sums(rows: list[dict], key: str, **constant) -> list[dict]:
    """``UNIT_SUMS`` per value of ``key`` (sorted), each summed in row order with Kahan's
    compensation, as pandas' groupby sums them."""
    totals: dict = {}
    for row in rows:
        total, compensation = totals.setdefault(row[key], ({n: 0.0 for n in UNIT_SUMS}, {n: 0.0 for n in UNIT_SUMS}))
        for name in UNIT_SUMS:
            y = row[name] - compensation[name]
            t = total[name] + y
            compensation[name] = t - total[name] - y
            total[name] = t
    return [{key: value, **constant, **totals[value][0]} for value in sorted(totals)]


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else None
