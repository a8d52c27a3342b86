"""Cohort retention: monthly acquisition cohorts × months since the first purchase.

- **Cohort**: the calendar month of a customer's first purchase (first positive transaction),
  for first purchases inside the period; the global filters narrow the customers as for
  retention (``cxdata.query.customer_lifecycle``).
- **Month k** of a cohort is the k-th calendar month after its first-purchase month (k = 0 is
  that month); it is shown only once it has ended on or before the as-of date.
- **Customer retention at k** = cohort customers still active at the end of month k (no churn
  event by then, as ``active`` in ``cxdata.metrics``) / cohort customers, in %.
- **Revenue retention at k** = the cohort's net revenue in month k / its net revenue in month 0,
  in % (can pass 100% as customers buy again).
- **By NPS class**: the same, per class of the cohort customers (latest NPS answer on or before
  the period's end; ``no_answer`` without one), and pooled over cohorts as curves.

Two small queries (customers and revenue, each grouped by class × cohort month × month); the
matrices are assembled from their sums, so the work does not grow with the customers.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from cxdata import money_rollup
from cxdata.filters import Filters
from cxdata.money_base import NO_ANSWER, as_of_bound, class_order, fetch_nps_classes
from cxdata.query import customer_lifecycle, period_bounds
from cxdata.stats import wilson_interval

ALL = "all"
COHORT_COLUMNS = [
    "cx_class", "cohort_month", "months_since_first_purchase", "cohort_customers", "active_customers",
    "customer_retention", "revenue", "revenue_retention",
]  # fmt: skip
CURVE_COLUMNS = [
    "cx_class", "months_since_first_purchase", "cohorts", "cohort_customers", "active_customers",
    "customer_retention", "low", "high", "revenue_retention",
]  # fmt: skip


def fetch_cohort_retention(db, filters: Filters, as_of: date) -> pd.DataFrame:
    """The cohort matrices, long format (``COHORT_COLUMNS``), for everyone (``cx_class`` "all")
    and per NPS class; one row per (class, cohort month, month k) with k's month ended by as_of.
    The ``cxdata.rollups_money`` tables answer when they hold nothing after the period's end.
    """
    if money_rollup.rollup_answers(db, filters, as_of):
        return assemble_cohorts(*money_rollup.fetch_cohort_sums(db, filters), as_of)
    start, end = period_bounds(filters)
    life = customer_lifecycle(db, filters)
    life = life.filter(life.first_purchase_at >= start, life.first_purchase_at < end)
    classes = fetch_nps_classes(db, filters)
    cohort = life.left_join(classes, "customer_id").select(
        life.customer_id,
        cx_class=classes.nps_class.fill_null(NO_ANSWER),
        cohort_month=life.first_purchase_at.truncate("M"),
        churn_month=life.churned_at.truncate("M"),
    )
    counts = cohort.group_by(["cx_class", "cohort_month", "churn_month"]).aggregate(customers=cohort.count()).execute()
    transactions = db.table("transactions")
    transactions = transactions.filter(transactions.occurred_at >= start, transactions.occurred_at < as_of_bound(as_of))
    bought = transactions.join(cohort.select("customer_id", "cx_class", "cohort_month"), "customer_id")
    revenue = (
        bought.group_by(["cx_class", "cohort_month", bought.occurred_at.truncate("M").name("month")])
        .aggregate(revenue=bought.amount.sum())
        .execute()
    )
    return assemble_cohorts(counts, revenue, as_of)


def fetch_cohort_view(db, filters: Filters, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(``fetch_cohort_retention``, its ``summarise_retention_curves``): what the page shows."""
    cohorts = fetch_cohort_retention(db, filters, as_of)
    return cohorts, summarise_retention_curves(cohorts)


def _month_index(values) -> pd.Series:
    stamps = pd.to_datetime(pd.Series(values))
    return stamps.dt.year * 12 + stamps.dt.month - 1


def assemble_cohorts(counts: pd.DataFrame, revenue: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The long cohort frame from the two grouped sums of ``fetch_cohort_retention``.

    ``counts``: cx_class, cohort_month, churn_month (NaT = never churned), customers.
    ``revenue``: cx_class, cohort_month, month, revenue.
    """
    if counts.empty:
        return pd.DataFrame(columns=COHORT_COLUMNS)
    counts = pd.concat([counts, counts.assign(cx_class=ALL)], ignore_index=True)
    revenue = pd.concat([revenue, revenue.assign(cx_class=ALL)], ignore_index=True)
    counts = counts.assign(cohort=_month_index(counts.cohort_month), churn=_month_index(counts.churn_month))
    revenue = revenue.assign(cohort=_month_index(revenue.cohort_month), month=_month_index(revenue.month))
    # The last month that has ended by the as-of date (the as-of month only if as_of is its last day).
    last_month = as_of.year * 12 + as_of.month - 1 - (0 if (as_of + pd.Timedelta(days=1)).day == 1 else 1)
    sizes = counts.groupby(["cx_class", "cohort"], sort=True)["customers"].sum()
    lengths = np.maximum(last_month - sizes.index.get_level_values("cohort").to_numpy() + 1, 0)
    # One row per (class, cohort, k) for the months k that have ended, k = 0, 1, ...
    group = np.repeat(np.arange(len(sizes)), lengths)
    k = np.arange(len(group)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    cohort = sizes.index.get_level_values("cohort").to_numpy()[group]
    cx_class = sizes.index.get_level_values("cx_class").to_numpy()[group]
    size = sizes.to_numpy()[group]
    # Churned by the end of month k: the customers whose churn month is at most the cohort's + k.
    width = int(lengths.max()) if len(lengths) else 0
    churned = np.zeros((len(sizes), width + 1))
    churns = counts[counts.churn.notna()]
    position = sizes.index.get_indexer(pd.MultiIndex.from_arrays([churns.cx_class, churns.cohort]))
    offset = (churns.churn - churns.cohort).to_numpy(int).clip(0, width)
    np.add.at(churned, (position, offset), churns.customers.to_numpy("float64"))
    active = size - np.cumsum(churned, axis=1)[group, k].astype("int64")
    revenue_by_month = revenue.groupby(["cx_class", "cohort", "month"])["revenue"].sum()
    month_revenue = revenue_by_month.reindex(pd.MultiIndex.from_arrays([cx_class, cohort, cohort + k])).fillna(0.0).to_numpy()
    first_revenue = revenue_by_month.reindex(pd.MultiIndex.from_arrays([cx_class, cohort, cohort])).fillna(0.0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        revenue_retention = np.where(first_revenue > 0, 100 * month_revenue / first_revenue, np.nan)
    frame = pd.DataFrame({
        "cx_class": cx_class.astype(object),
        "cohort_month": pd.to_datetime({"year": cohort // 12, "month": cohort % 12 + 1, "day": 1}),
        "months_since_first_purchase": k.astype("int64"),
        "cohort_customers": size.astype("int64"),
        "active_customers": active,
        "customer_retention": 100 * active / size,
        "revenue": month_revenue.astype("float64"),
        "revenue_retention": revenue_retention,
    }, columns=COHORT_COLUMNS)  # fmt: skip
    order = {name: i for i, name in enumerate([ALL, *class_order("nps")])}
    frame = frame.sort_values(["cx_class", "cohort_month", "months_since_first_purchase"], key=lambda c: c.map(order) if c.name == "cx_class" else c)
    return frame.reset_index(drop=True)


def summarise_retention_curves(cohorts: pd.DataFrame) -> pd.DataFrame:
    """Retention by months since the first purchase, pooled over the cohorts that reached month k
    (``CURVE_COLUMNS``): customer retention = Σ active / Σ cohort customers with a 95% Wilson
    interval; revenue retention = Σ revenue in month k / Σ revenue in month 0 of those cohorts.
    """
    if cohorts.empty:
        return pd.DataFrame(columns=CURVE_COLUMNS)
    first = cohorts[cohorts.months_since_first_purchase == 0].set_index(["cx_class", "cohort_month"])["revenue"]
    base = first.reindex(pd.MultiIndex.from_frame(cohorts[["cx_class", "cohort_month"]])).to_numpy()
    pooled = (
        cohorts.assign(base=base)
        .groupby(["cx_class", "months_since_first_purchase"], sort=False)
        .agg(cohorts=("cohort_customers", "size"), cohort_customers=("cohort_customers", "sum"),
             active_customers=("active_customers", "sum"), revenue=("revenue", "sum"), base=("base", "sum"))
        .reset_index()
    )  # fmt: skip
    size, active = pooled.cohort_customers.to_numpy("int64"), pooled.active_customers.to_numpy("int64")
    intervals = [wilson_interval(int(a), int(n))[1:] for a, n in zip(active, size)]
    with np.errstate(divide="ignore", invalid="ignore"):
        revenue_retention = np.where(pooled.base > 0, 100 * pooled.revenue / pooled.base, np.nan)
    return pd.DataFrame({
        "cx_class": pooled.cx_class, "months_since_first_purchase": pooled.months_since_first_purchase.astype("int64"),
        "cohorts": pooled.cohorts.astype("int64"), "cohort_customers": size, "active_customers": active,
        "customer_retention": 100 * active / size,
        "low": [low for low, _ in intervals], "high": [high for _, high in intervals],
        "revenue_retention": revenue_retention,
    }, columns=CURVE_COLUMNS)  # fmt: skip
