"""The customers of a period with their CX classes and money: one Ibis table, summed per class.

Everything on the CX-and-money page starts here, so the rules are stated once:

- **Customers of the period**: paying customers (a positive transaction before the period's
  end) who had not churned before its first day — ``cxdata.engine.query.customer_lifecycle``, so the
  global filters narrow them as they narrow retention (segment, region, acquisition channel,
  and the channel filter on the customer's first-contact channel).
- **CX class on a score** (NPS, CSAT, CES): from the customer's latest answer to that score dated
  on or before the period's last day, at any touchpoint; at the same instant the higher score
  wins. NPS: promoter 9–10, passive 7–8, detractor 0–6. CSAT and CES answers are classed on their
  own declared scale (``cxdata.model.rules.classes_on_scale``): CSAT satisfied = the top two
  boxes, dissatisfied = the bottom two, neutral between (on 1–5: 4–5, 1–2, 3); CES (top = least
  effort) easy above the scale's middle, hard below it, neutral at it (on 1–7: 5–7, 1–3, 4). No
  answer: ``no_answer``. A touchpoint driver's poor answer is one below the satisfied / easy class
  of its scale.
- **Complaint status**: ``unresolved`` when a complaint opened on or before the period's last day
  was still open at its end, ``resolved`` when all such complaints were resolved, else ``none``.
- **Active at the start / retained**: as in ``cxdata.questions.metrics`` (bought before the first day and
  no churn event before it / and still no churn event by the last day).
- **Money**: net revenue in the period (refunds negative, any transaction channel), purchases
  (positive transactions) in the period, and net revenue to the as-of date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxdata.engine import money_rollup
from cxdata.engine.query import customer_lifecycle, day_start, period_bounds
from cxdata.engine.router import CUSTOMER_SUMMARY, MONEY, answered_by
from cxdata.model.filters import Filters
from cxdata.model.rules import (  # noqa: F401 (re-exported: the rules above name them)
    COMPLAINT_STATUSES,
    DRIVER_SCORES,
    NO_ANSWER,
    REFERENCE_CLASS,
    SCORE_CLASSES,
    SCORES,
    class_of,
    class_order,
    is_active_at,
    is_poor,
    is_purchase,
    scale_top,
)
from cxdata.questions.funnel import fetch_stage_order


def as_of_bound(as_of: date) -> ir.Scalar:
    """Midnight after the as-of day: everything before it has happened."""
    return ibis.timestamp(day_start(as_of + timedelta(days=1)))


def _latest_answer(surveys: ir.Table, score: str, where: ir.BooleanValue | None = None) -> ir.IntegerValue:
    """The customer's latest answer to ``score`` with its scale (an aggregate over their survey
    rows), as one key: ``answer_of`` and ``top_of`` read the answer and its scale's top from it.

    One max over (time × 256 + answer × 16 + scale top): the latest time wins and, at the same
    instant, the higher answer, so reruns agree; every answer and top (0 … 10) fits below 16.
    """
    answered = surveys[score].notnull() if where is None else surveys[score].notnull() & where
    key = (surveys.responded_at.epoch_seconds().cast("int64") * 256 + surveys[score].cast("int64") * 16
           + scale_top(surveys, score))  # fmt: skip
    return key.max(where=answered)


def answer_of(key: ir.IntegerValue) -> ir.IntegerValue:
    """The answer in a key of ``_latest_answer`` (null for none)."""
    return (key // 16) % 16


def top_of(key: ir.IntegerValue) -> ir.IntegerValue:
    """The top of the answer's scale in a key of ``_latest_answer``."""
    return key % 16


def _net_revenue_from_summary(db, as_of: date) -> ir.Table:
    summary = db.table("customer_summary")
    return summary.filter(summary.customer_id.notnull()).select("customer_id", net_revenue_to_date=summary.net_revenue)


@answered_by(CUSTOMER_SUMMARY, saved=_net_revenue_from_summary)
def fetch_net_revenue_to_date(db, as_of: date) -> ir.Table:
    """``customer_id``, ``net_revenue_to_date`` (Σ amounts before the end of the as-of day); a
    customer without a transaction is absent or has 0.

    Grouping ~10M transactions by customer is the slowest step at scale 1, so the fresh
    ``customer_summary`` rollup answers when it holds nothing after the as-of date; the numbers
    are the same either way (the tests compare both paths).
    """
    transactions = db.table("transactions")
    transactions = transactions.filter(transactions.customer_id.notnull(), transactions.occurred_at < as_of_bound(as_of))
    return transactions.group_by("customer_id").aggregate(net_revenue_to_date=transactions.amount.sum())


def _only(rows: ir.Table, customers: ir.Table | None) -> ir.Table:
    """``rows`` of ``customers`` only (all rows when None)."""
    return rows if customers is None else rows.semi_join(customers, "customer_id")


def _fetch_customer_money(db, customers: ir.Table | None, start: ir.Scalar, end: ir.Scalar, as_of: date) -> ir.Table:
    """Per customer: ``net_revenue_to_date`` and, from the period's transactions (of ``customers``
    when given), ``revenue_in_period``, ``transactions_in_period``, ``purchases_in_period``."""
    transactions = db.table("transactions")
    period = _only(transactions.filter(
        transactions.customer_id.notnull(), transactions.occurred_at >= start, transactions.occurred_at < end,
        transactions.occurred_at < as_of_bound(as_of),
    ), customers)  # fmt: skip
    period = period.group_by("customer_id").aggregate(
        revenue_in_period=period.amount.sum(),
        transactions_in_period=period.count(),
        purchases_in_period=is_purchase(period.amount).cast("int64").sum(),
    )
    to_date = fetch_net_revenue_to_date(db, as_of)
    return to_date.left_join(period, "customer_id").select(
        to_date, *(period[c] for c in period.columns if c != "customer_id")
    )


def fetch_nps_classes(db, filters: Filters) -> ir.Table:
    """``customer_id``, ``nps_class`` for every customer with an NPS answer on or before the
    period's end (module rules); customers without one are absent (``no_answer`` on a left join)."""
    _, end = period_bounds(filters)
    surveys = db.table("surveys")
    surveys = surveys.filter(surveys.customer_id.notnull(), surveys.responded_at < end, surveys.nps.notnull())
    latest = surveys.group_by("customer_id").aggregate(nps=_latest_answer(surveys, "nps"))
    return latest.select("customer_id", nps_class=class_of(answer_of(latest.nps), "nps"))


def fetch_customer_table(
    db,
    filters: Filters,
    as_of: date,
    *,
    touchpoints: tuple[str, ...] = (),
    complaint_categories: tuple[str, ...] = (),
) -> ir.Table:
    """One row per customer of the period (module rules); an Ibis table, nothing executed.

    Columns: ``customer_id``, ``first_purchase_at``, ``churned_at``; ``nps_class``,
    ``csat_class``, ``ces_class``, ``complaint_status`` (strings); ``is_active_at_start``,
    ``is_retained`` (booleans); ``revenue_in_period``, ``net_revenue_to_date`` (money, 0 when
    none), ``transactions_in_period``, ``purchases_in_period`` (counts). For the key drivers,
    per touchpoint k (1-based position in ``touchpoints``): ``csat_at_k``, ``ces_at_k`` (the latest
    answer there, null when none) and ``csat_scale_at_k``, ``ces_scale_at_k`` (the top of its
    scale); per complaint category k: ``has_complaint_k`` (boolean).
    """
    start, end = period_bounds(filters)
    life = customer_lifecycle(db, filters)
    life = life.filter(life.first_purchase_at < end, life.churned_at.isnull() | (life.churned_at >= start))

    # A view narrowed by customer attributes groups only its customers' rows; without such a
    # filter the semi-join would cost more than it saves (most rows belong to the customers).
    ids = life.select("customer_id") if filters.dimension_values() else None
    money = _fetch_customer_money(db, ids, start, end, as_of)

    surveys = db.table("surveys")
    surveys = _only(surveys.filter(surveys.customer_id.notnull(), surveys.responded_at < end), ids)
    latest = {score: _latest_answer(surveys, score) for score in SCORES}
    for k, touchpoint in enumerate(touchpoints, 1):
        for score in DRIVER_SCORES:
            latest[f"{score}_at_{k}"] = _latest_answer(surveys, score, surveys.touchpoint == touchpoint)
    answers = surveys.group_by("customer_id").aggregate(**latest)

    complaints = db.table("complaints")
    complaints = _only(complaints.filter(complaints.customer_id.notnull(), complaints.opened_at < end), ids)
    is_open_at_end = complaints.resolved_at.isnull() | (complaints.resolved_at >= end)
    complaint_flags = {"has_unresolved": is_open_at_end.any()}
    for k, category in enumerate(complaint_categories, 1):
        complaint_flags[f"has_complaint_{k}"] = (complaints.category == category).any()
    complained = complaints.group_by("customer_id").aggregate(**complaint_flags)

    joined = (
        life.left_join(money, "customer_id")
        .left_join(answers, "customer_id")
        .left_join(complained, "customer_id")
    )
    is_active_at_start = is_active_at(joined.first_purchase_at, joined.churned_at, start)
    extra = {}
    for k in range(1, len(touchpoints) + 1):
        for score in DRIVER_SCORES:
            key = joined[f"{score}_at_{k}"]
            extra |= {f"{score}_at_{k}": answer_of(key), f"{score}_scale_at_{k}": top_of(key)}
    extra |= {
        f"has_complaint_{k}": joined[f"has_complaint_{k}"].fill_null(False) for k in range(1, len(complaint_categories) + 1)
    }
    return joined.select(
        customer_id=joined.customer_id,
        first_purchase_at=joined.first_purchase_at,
        churned_at=joined.churned_at,
        **{f"{score}_class": class_of(answer_of(joined[score]), score, top_of(joined[score])) for score in SCORES},
        complaint_status=ibis.cases(
            (joined.has_unresolved, "unresolved"), (joined.has_unresolved.notnull(), "resolved"), else_="none"
        ),
        is_active_at_start=is_active_at_start,
        is_retained=is_active_at_start & is_active_at(joined.first_purchase_at, joined.churned_at, end),
        revenue_in_period=joined.revenue_in_period.fill_null(0.0),
        net_revenue_to_date=joined.net_revenue_to_date.fill_null(0.0),
        transactions_in_period=joined.transactions_in_period.fill_null(0),
        purchases_in_period=joined.purchases_in_period.fill_null(0),
        **extra,
    )


# ---------------------------------------------------------------- the cells


CELL_KEYS = ["nps_class", "csat_class", "ces_class", "complaint_status"]
# Additive sums per cell; a group's figures are sums over its cells.
CELL_SUMS = [
    "customers", "active_at_start", "retained", "buyers", "revenue", "revenue_squares",
    "purchases", "purchases_squares", "ltv_total", "ltv_squares",
]  # fmt: skip
# Per driver (prefix ``driver_k_``), among customers active at the start: the measured ones
# (answered there / everyone for complaint categories) and the exposed ones (a poor answer / a
# complaint of the category), each with churned count and revenue in the period.
DRIVER_SUMS = [
    f"{group}_{measure}"
    for group in ("measured", "exposed")
    for measure in ("customers", "churned", "revenue", "revenue_squares")
]


@dataclass(frozen=True)
class Driver:
    """A candidate driver of churn and revenue: a poor score at a touchpoint, or a complaint category."""

    kind: str  # "csat" or "ces" (a touchpoint score), or "complaint"
    subject: str  # the touchpoint (journey stage) or the complaint category


@dataclass(frozen=True)
class MoneyCells:
    """Everything the CX-and-money page computes per customer, summed per class combination.

    ``frame``: one row per (``CELL_KEYS``) combination present, with ``CELL_SUMS`` — small (≤ 192
    rows) whatever the number of customers. ``driver_sums``: per driver k (1-based position in
    ``drivers``), ``driver_k_<DRIVER_SUMS>`` over all the customers of the period.
    """

    filters: Filters
    as_of: date
    drivers: tuple[Driver, ...]
    frame: pd.DataFrame
    driver_sums: pd.Series

    @property
    def days(self) -> int:
        return self.filters.days

    @property
    def customers(self) -> int:
        return int(self.frame["customers"].sum()) if len(self.frame) else 0


def fetch_driver_candidates(db) -> tuple[Driver, ...]:
    """Touchpoints (journey order) with CSAT or CES answers, then complaint categories (by name)."""
    surveys = db.table("surveys")
    answered = (
        surveys.group_by("touchpoint")
        .aggregate(csat=surveys.csat.count(), ces=surveys.ces.count())
        .execute()
        .set_index("touchpoint")
    )
    answered = answered[answered.index.notna()]
    touchpoints = {score: {t for t in answered.index if answered.at[t, score] > 0} for score in ("csat", "ces")}
    complaints = db.table("complaints")
    categories = complaints.filter(complaints.category.notnull()).select("category").distinct().execute()["category"]
    return order_drivers(touchpoints, categories, fetch_stage_order(db))


def order_drivers(touchpoints: dict[str, set[str]], categories, stage_order: list[str]) -> tuple[Driver, ...]:
    """The drivers in display order: CSAT then CES per answered touchpoint (journey stages in
    ``stage_order`` first, then the other touchpoints by name), then complaint categories by name."""
    answered = set().union(*touchpoints.values())
    order = stage_order + sorted(t for t in answered if t not in stage_order)
    drivers = [Driver(score, t) for score in ("csat", "ces") for t in order if t in touchpoints.get(score, ())]
    return tuple(drivers) + tuple(Driver("complaint", c) for c in sorted(categories))


def _money_cells_from_rollup(db, filters: Filters, as_of: date) -> MoneyCells:
    """``fetch_money_cells`` from the per-customer rollup: one query groups the customers by class,
    activity and driver masks (``cxdata.engine.money_rollup.fetch_customer_groups``); the cells and the
    drivers are summed from those groups here."""
    window = money_rollup.fetch_window(db, filters, as_of)  # None: not a preset, the period's own sums
    bits = money_rollup.fetch_driver_bits(db)
    categories = [subject for kind, subject in bits if kind == "complaint"]
    touchpoints = {score: {subject for kind, subject in bits if kind == score} for score in ("csat", "ces")}
    drivers = order_drivers(touchpoints, categories, fetch_stage_order(db))
    groups = money_rollup.fetch_customer_groups(db, filters, as_of, window)
    cells = money_rollup.sum_by(groups, CELL_KEYS, CELL_SUMS)
    sums = money_rollup.sum_drivers(groups, [(d.kind, bits[(d.kind, d.subject)]) for d in drivers])
    return MoneyCells(filters, as_of, drivers, _tidy_cells(cells), pd.Series(sums, dtype="float64"))


@answered_by(MONEY, saved=_money_cells_from_rollup, extra=money_rollup.holds_every_driver)
def fetch_money_cells(db, filters: Filters, as_of: date) -> MoneyCells:
    """The customers of the period summed per class combination, drivers included: one query.

    See ``MoneyCells``; the rules of the module docstring decide who counts and in which class.
    A preset period whose facts all lie on or before its end reads the ``cxdata.engine.rollups_money``
    tables (same numbers, ``tests/test_rollups_money.py``).
    """
    drivers = fetch_driver_candidates(db)
    touchpoints = tuple(dict.fromkeys(d.subject for d in drivers if d.kind != "complaint"))
    categories = tuple(d.subject for d in drivers if d.kind == "complaint")
    table = fetch_customer_table(db, filters, as_of, touchpoints=touchpoints, complaint_categories=categories)
    revenue, purchases, ltv = table.revenue_in_period, table.purchases_in_period, table.net_revenue_to_date
    measures = {
        "customers": table.count(),
        "active_at_start": table.is_active_at_start.cast("int64").sum(),
        "retained": table.is_retained.cast("int64").sum(),
        "buyers": (table.transactions_in_period > 0).cast("int64").sum(),
        "revenue": revenue.sum(),
        "revenue_squares": (revenue * revenue).sum(),
        "purchases": purchases.sum(),
        "purchases_squares": (purchases * purchases).sum(),
        "ltv_total": ltv.sum(),
        "ltv_squares": (ltv * ltv).sum(),
    }
    churned = table.is_active_at_start & ~table.is_retained
    driver_measures = {}
    for k, driver in enumerate(drivers, 1):
        if driver.kind == "complaint":
            measured = table.is_active_at_start
            exposed = measured & table[f"has_complaint_{categories.index(driver.subject) + 1}"]
        else:
            at = touchpoints.index(driver.subject) + 1
            answer = table[f"{driver.kind}_at_{at}"]
            measured = table.is_active_at_start & answer.notnull()
            exposed = measured & is_poor(answer, driver.kind, table[f"{driver.kind}_scale_at_{at}"])
        for group, where in (("measured", measured), ("exposed", exposed)):
            driver_measures[f"driver_{k}_{group}_customers"] = where.cast("int64").sum()
            driver_measures[f"driver_{k}_{group}_churned"] = (where & churned).cast("int64").sum()
            driver_measures[f"driver_{k}_{group}_revenue"] = revenue.sum(where=where)
            driver_measures[f"driver_{k}_{group}_revenue_squares"] = (revenue * revenue).sum(where=where)
    # One query: the drivers need no cells, so they are summed once over everyone (an ungrouped
    # aggregate is much cheaper than ~100 sums per cell) and joined to every cell row.
    cells = table.group_by(CELL_KEYS).aggregate(**measures)
    frame = (cells.cross_join(table.aggregate(**driver_measures)) if driver_measures else cells).execute()
    driver_sums = frame[list(driver_measures)].iloc[0] if len(frame) else pd.Series(0.0, index=list(driver_measures))
    return MoneyCells(filters, as_of, drivers, _tidy_cells(frame.drop(columns=list(driver_measures))),
                      driver_sums.astype("float64").fillna(0.0))  # fmt: skip


def _tidy_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``CELL_KEYS`` + ``CELL_SUMS`` as floats (0 for none), sorted by the keys (numpy: ~4× faster
    than pandas' sort and astype on these few rows)."""
    keys = {column: frame[column].to_numpy(object) for column in CELL_KEYS}
    order = np.lexsort([keys[column] for column in reversed(CELL_KEYS)])
    sums = {column: frame[column].to_numpy("float64")[order] for column in CELL_SUMS}
    return pd.DataFrame({
        **{column: pd.array(keys[column][order], dtype=frame[column].dtype) for column in CELL_KEYS},
        **{column: np.where(np.isnan(values), 0.0, values) for column, values in sums.items()},
    })  # fmt: skip
