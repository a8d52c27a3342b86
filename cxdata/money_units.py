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
  constant monthly hazard); ``pays_back`` = payback_months ≤ expected_lifetime_months.

By NPS class (latest NPS answer on or before the period's end): the class is known only after
the customer is acquired, so every class of a channel carries the channel's CAC; LTV, monthly
revenue, payback and lifetime are the class's own. A detractor acquired through a channel
"never pays back" when its payback is longer than its expected lifetime.
"""

from __future__ import annotations

import math
from datetime import date

import ibis
import pandas as pd

from cxdata import money_rollup
from cxdata.filters import UNKNOWN, Filters
from cxdata.money_base import NO_ANSWER, as_of_bound, class_order, fetch_net_revenue_to_date, fetch_nps_classes
from cxdata.money_stats import DAYS_PER_MONTH
from cxdata.query import customer_lifecycle, filter_table
from cxdata.registry import MIN_SAMPLE_SIZE

ALL = "all"
UNIT_SUMS = ["contacted", "paying", "acquisition_cost", "net_revenue", "customer_months", "churned"]
UNIT_COLUMNS = [
    "acquisition_channel", "cx_class", *UNIT_SUMS, "cac", "ltv", "ltv_cac", "monthly_revenue_per_customer",
    "payback_months", "expected_lifetime_months", "pays_back", "is_small_sample",
]  # fmt: skip
_SECONDS_PER_MONTH = DAYS_PER_MONTH * 86_400


def fetch_unit_economics(db, filters: Filters, as_of: date) -> pd.DataFrame:
    """One row per (acquisition channel, cx_class) (``UNIT_COLUMNS``), money in the database
    currency: every channel with ``cx_class`` "all" and per NPS class, plus the channel "all".
    Channels with nobody contacted in the period are absent. The ``cxdata.rollups_money`` tables
    answer when they hold nothing after the period's end or the as-of date.
    """
    if money_rollup.rollup_answers(db, filters, as_of):
        return summarise_unit_economics(money_rollup.fetch_unit_sums(db, filters, as_of))
    contacted = filter_table(db, "customers", filters)
    life = customer_lifecycle(db, filters)
    bound = as_of_bound(as_of)
    life = life.filter(life.first_purchase_at < bound)
    revenue = fetch_net_revenue_to_date(db, as_of)
    classes = fetch_nps_classes(db, filters)
    joined = (
        contacted.left_join(life, "customer_id")
        .left_join(revenue, "customer_id")
        .left_join(classes, "customer_id")
        .select(
            acquisition_channel=contacted.acquisition_channel.fill_null(UNKNOWN),
            cx_class=classes.nps_class.fill_null(NO_ANSWER),
            acquisition_cost=contacted.acquisition_cost,
            first_purchase_at=life.first_purchase_at,
            churned_at=life.churned_at,
            net_revenue=revenue.net_revenue_to_date.fill_null(0.0),
        )
    )
    is_paying = joined.first_purchase_at.notnull()
    has_churned = is_paying & joined.churned_at.notnull() & (joined.churned_at < bound)
    until = ibis.ifelse(has_churned, joined.churned_at, bound)
    months = (until.epoch_seconds() - joined.first_purchase_at.epoch_seconds()) / _SECONDS_PER_MONTH
    sums = (
        joined.group_by(["acquisition_channel", "cx_class"])
        .aggregate(
            contacted=joined.count(),
            paying=is_paying.cast("int64").sum(),
            acquisition_cost=joined.acquisition_cost.sum(),
            net_revenue=joined.net_revenue.sum(where=is_paying),
            customer_months=months.sum(where=is_paying),
            churned=has_churned.cast("int64").sum(),
        )
        .execute()
    )
    return summarise_unit_economics(sums)


def summarise_unit_economics(sums: pd.DataFrame) -> pd.DataFrame:
    """``UNIT_COLUMNS`` from the per (channel, class) sums of ``fetch_unit_economics``."""
    if sums.empty:
        return pd.DataFrame(columns=UNIT_COLUMNS)
    sums = sums.copy()
    sums[UNIT_SUMS] = sums[UNIT_SUMS].astype("float64").fillna(0.0)
    by_channel = sums.groupby("acquisition_channel", as_index=False)[UNIT_SUMS].sum().assign(cx_class=ALL)
    everyone = by_channel[UNIT_SUMS].sum().to_frame().T.assign(acquisition_channel=ALL, cx_class=ALL)
    per_class_all = sums.groupby("cx_class", as_index=False)[UNIT_SUMS].sum().assign(acquisition_channel=ALL)
    frame = pd.concat([by_channel, sums, everyone, per_class_all], ignore_index=True)
    cac = {row.acquisition_channel: _ratio(row.acquisition_cost, row.paying)
           for row in pd.concat([by_channel, everyone]).itertuples()}  # fmt: skip
    frame["cac"] = frame["acquisition_channel"].map(cac)
    frame["ltv"] = [_ratio(r, p) for r, p in zip(frame.net_revenue, frame.paying)]
    frame["ltv_cac"] = [_ratio(ltv, c) for ltv, c in zip(frame.ltv, frame.cac)]
    frame["monthly_revenue_per_customer"] = [_ratio(r, m) for r, m in zip(frame.net_revenue, frame.customer_months)]
    frame["payback_months"] = [
        c / r if r is not None and r > 0 and c is not None else None
        for c, r in zip(frame.cac, frame.monthly_revenue_per_customer)
    ]
    frame["expected_lifetime_months"] = [
        m / n if n > 0 else (math.inf if m > 0 else None) for m, n in zip(frame.customer_months, frame.churned)
    ]
    frame["pays_back"] = [
        _pays_back(payback, lifetime, revenue, paying)
        for payback, lifetime, revenue, paying in zip(
            frame.payback_months, frame.expected_lifetime_months, frame.monthly_revenue_per_customer, frame.paying
        )
    ]
    frame["is_small_sample"] = frame["paying"] < MIN_SAMPLE_SIZE
    order = {name: i for i, name in enumerate([ALL, *class_order("nps")])}
    frame = frame.assign(_channel=frame.acquisition_channel == ALL, _class=frame.cx_class.map(order))
    frame = frame.sort_values(["_channel", "acquisition_channel", "_class"]).drop(columns=["_channel", "_class"])
    for column in ("contacted", "paying", "churned"):
        frame[column] = frame[column].astype("int64")
    for column in ("cac", "ltv", "ltv_cac", "monthly_revenue_per_customer", "payback_months", "expected_lifetime_months"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame[UNIT_COLUMNS].reset_index(drop=True)


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else None


def _pays_back(payback, lifetime, monthly_revenue, paying) -> bool | None:
    """Whether the average paying customer earns back the CAC within their expected lifetime."""
    if not paying:
        return None
    if monthly_revenue is None or monthly_revenue <= 0:
        return False
    if payback is None or lifetime is None:
        return None
    return bool(payback <= lifetime)
