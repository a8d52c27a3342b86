"""Cohort retention: monthly acquisition cohorts × months since the first purchase.

- **Cohort**: the calendar month of a customer's first purchase (first positive transaction),
  for first purchases inside the period; the global filters narrow the customers as for
  retention (``cxdata.engine.query.customer_lifecycle``).
- **Month k** of a cohort is the k-th calendar month after its first-purchase month (k = 0 is
  that month); it is shown only once it has ended on or before the as-of date.
- **Customer retention at k** = cohort customers still active at the end of month k (no churn
  event by then, as ``active`` in ``cxdata.questions.metrics``) / cohort customers, in %.
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

from cxdata.analysis.stats import wilson_interval
from cxdata.engine import money_rollup
from cxdata.engine.query import customer_lifecycle, period_bounds
from cxdata.engine.router import MONEY, answered_by
from cxdata.model.filters import Filters
from cxdata.questions.money_base import (
    NO_ANSWER,
    as_of_bound,
    class_order,
    fetch_nps_classes,
)

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
    The ``cxdata.engine.rollups_money`` tables answer when they hold nothing after the period's end.
    """
    return assemble_cohorts(*_fetch_cohort_sums(db, filters, as_of), as_of)


@answered_by(MONEY, saved=money_rollup.fetch_cohort_sums, extra=money_rollup.holds)
def _fetch_cohort_sums(db, filters: Filters, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cx_class, cohort_month, churn_month, customers) and (cx_class, cohort_month, month, revenue)
    of the period's cohorts, for ``assemble_cohorts``."""
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
    return counts, revenue


def fetch_cohort_view(db, filters: Filters, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(``fetch_cohort_retention``, its ``summarise_retention_curves``): what the page shows."""
    cohorts = fetch_cohort_retention(db, filters, as_of)
    return cohorts, summarise_retention_curves(cohorts)


# The dtype pandas gives a column of Timestamps (its resolution differs between pandas versions).
_TIMESTAMPS = pd.Series([pd.Timestamp(2000, 1, 1)]).dtype


def _month_index(values) -> np.ndarray:
    """Calendar month of each timestamp as year × 12 + month − 1 (floats; NaN for a missing one)."""
    stamps = values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    if stamps.dtype.kind != "M":
        stamps = pd.to_datetime(pd.Series(stamps)).to_numpy()
    months = stamps.astype("datetime64[M]")
    index = months.astype("int64").astype("float64") + 1970 * 12
    index[np.isnat(months)] = np.nan
    return index


def _class_codes(classes, order: list[str]) -> np.ndarray:
    return pd.Categorical(classes, categories=order).codes.astype("int64")


def assemble_cohorts(counts: pd.DataFrame, revenue: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The long cohort frame from the two grouped sums of ``fetch_cohort_retention``.

    ``counts``: cx_class, cohort_month, churn_month (NaT = never churned), customers.
    ``revenue``: cx_class, cohort_month, month, revenue.
    """
    if counts.empty:
        return pd.DataFrame(columns=COHORT_COLUMNS)
    # Every row counts for its class and again for everyone ("all"), which is shown first.
    order = [ALL, *class_order("nps")]
    order += sorted((set(counts.cx_class) | set(revenue.cx_class)) - set(order))
    codes = np.concatenate([_class_codes(counts.cx_class, order), np.zeros(len(counts), "int64")])
    cohorts, churns = (np.tile(_month_index(counts[c]), 2) for c in ("cohort_month", "churn_month"))
    customers = np.tile(counts.customers.to_numpy("int64"), 2)
    # The last month that has ended by the as-of date (the as-of month only if as_of is its last day).
    last_month = as_of.year * 12 + as_of.month - 1 - (0 if (as_of + pd.Timedelta(days=1)).day == 1 else 1)
    revenue_months = [_month_index(revenue[c]) for c in ("cohort_month", "month")]
    first = int(np.nanmin(np.concatenate([cohorts, *revenue_months])))
    span = max(int(np.nanmax(np.concatenate([cohorts, *revenue_months]))), last_month) - first + 1
    # Groups (class, cohort) in display order: class order, then cohort month.
    group_keys, group_of_row = np.unique(codes * span + (cohorts - first).astype("int64"), return_inverse=True)
    group_class, group_cohort = group_keys // span, group_keys % span + first
    sizes = np.bincount(group_of_row, weights=customers, minlength=len(group_keys)).astype("int64")
    lengths = np.maximum(last_month - group_cohort + 1, 0)
    # One row per (class, cohort, k) for the months k that have ended, k = 0, 1, ...
    group = np.repeat(np.arange(len(group_keys)), lengths)
    k = np.arange(len(group)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    cohort, size = group_cohort[group], sizes[group]
    # Churned by the end of month k: the customers whose churn month is at most the cohort's + k.
    width = int(lengths.max()) if len(lengths) else 0
    churned = np.zeros((len(group_keys), width + 1))
    has_churned = ~np.isnan(churns)
    offset = (churns[has_churned] - cohorts[has_churned]).astype("int64").clip(0, width)
    np.add.at(churned, (group_of_row[has_churned], offset), customers[has_churned])
    active = size - np.cumsum(churned, axis=1)[group, k].astype("int64")
    # Revenue per (class, cohort, month), looked up for month k and month 0 of every row.
    revenue_codes = np.concatenate([_class_codes(revenue.cx_class, order), np.zeros(len(revenue), "int64")])
    revenue_cohorts, revenue_in = (np.tile(m - first, 2).astype("int64") for m in revenue_months)
    sums_keys, sum_of_row = np.unique((revenue_codes * span + revenue_cohorts) * span + revenue_in, return_inverse=True)
    sums = np.bincount(sum_of_row, weights=np.tile(revenue.revenue.to_numpy("float64"), 2), minlength=len(sums_keys))

    def revenue_at(month: np.ndarray) -> np.ndarray:
        keys = (group_class[group] * span + cohort - first) * span + month - first
        position = np.searchsorted(sums_keys, keys).clip(0, max(len(sums_keys) - 1, 0))
        found = sums_keys[position] == keys if len(sums_keys) else np.zeros(len(keys), bool)
        return np.where(found, sums[position] if len(sums) else 0.0, 0.0)

    month_revenue, first_revenue = revenue_at(cohort + k), revenue_at(cohort)
    with np.errstate(divide="ignore", invalid="ignore"):
        revenue_retention = np.where(first_revenue > 0, 100 * month_revenue / first_revenue, np.nan)
    return pd.DataFrame({
        "cx_class": np.asarray(order, dtype=object)[group_class[group]],
        "cohort_month": (cohort - 1970 * 12).astype("datetime64[M]").astype(_TIMESTAMPS),
        "months_since_first_purchase": k.astype("int64"),
        "cohort_customers": size,
        "active_customers": active,
        "customer_retention": 100 * active / size,
        "revenue": month_revenue.astype("float64"),
        "revenue_retention": revenue_retention,
    }, columns=COHORT_COLUMNS)  # fmt: skip


def summarise_retention_curves(cohorts: pd.DataFrame) -> pd.DataFrame:
    """Retention by months since the first purchase, pooled over the cohorts that reached month k
    (``CURVE_COLUMNS``): customer retention = Σ active / Σ cohort customers with a 95% Wilson
    interval; revenue retention = Σ revenue in month k / Σ revenue in month 0 of those cohorts.
    """
    if cohorts.empty:
        return pd.DataFrame(columns=CURVE_COLUMNS)
    classes, class_of_row = np.unique(cohorts.cx_class.to_numpy(object), return_inverse=True)
    months = _month_index(cohorts.cohort_month).astype("int64")
    k = cohorts.months_since_first_purchase.to_numpy("int64")
    # Month 0 revenue of each row's cohort (every cohort has a month 0 row).
    cohort_keys, cohort_of_row = np.unique(class_of_row * (months.max() + 1) + months, return_inverse=True)
    base = np.zeros(len(cohort_keys))
    base[cohort_of_row[k == 0]] = cohorts.revenue.to_numpy("float64")[k == 0]
    # Groups (class, k) in the order they first appear, as the cohort frame lists them.
    codes, group_keys = pd.factorize(class_of_row * (k.max() + 1) + k)
    n = len(group_keys)

    def total(values) -> np.ndarray:
        return np.bincount(codes, weights=np.asarray(values, dtype="float64"), minlength=n)

    size = total(cohorts.cohort_customers).astype("int64")
    active = total(cohorts.active_customers).astype("int64")
    revenue, first_revenue = total(cohorts.revenue), total(base[cohort_of_row])
    intervals = [wilson_interval(int(a), int(m))[1:] for a, m in zip(active, size)]
    with np.errstate(divide="ignore", invalid="ignore"):
        revenue_retention = np.where(first_revenue > 0, 100 * revenue / first_revenue, np.nan)
    return pd.DataFrame({
        "cx_class": classes[group_keys // (k.max() + 1)], "months_since_first_purchase": group_keys % (k.max() + 1),
        "cohorts": np.bincount(codes, minlength=n), "cohort_customers": size, "active_customers": active,
        "customer_retention": 100 * active / size,
        "low": [low for low, _ in intervals], "high": [high for _, high in intervals],
        "revenue_retention": revenue_retention,
    }, columns=CURVE_COLUMNS)  # fmt: skip
