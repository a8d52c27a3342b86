"""The CX-and-money page's queries on the ``cxdata.engine.rollups_money`` tables, as parameterized SQL.

``cxdata.questions.money_base``, ``cxdata.questions.money_cohorts`` and ``cxdata.questions.money_units`` state the rules with
Ibis expressions over the raw tables, which group millions of transactions and survey answers by
customer on every filter change. When the rollups answer (``cxdata.engine.router``, with ``holds`` and
``holds_period`` for the conditions of these tables) the functions here stand in for them, which read one row per customer (or customer × month) and return the
same sums; ``tests/test_rollups_money.py`` proves both paths give the same numbers.

Values always travel as query parameters; the only text put into the SQL is column names made
from window numbers and the fixed dimension names below.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from cxdata.engine.db import read_meta
from cxdata.engine.query import day_start
from cxdata.engine.rollups_money import (
    CX_STATE_JOINS,
    cx_state_expressions,
    cx_state_sql,
)
from cxdata.model.filters import UNKNOWN, Filters
from cxdata.model.rules import is_purchase_sql, not_churned_by_sql

_SECONDS_PER_MONTH = 30 * 86_400  # cxdata.analysis.money_stats.DAYS_PER_MONTH days


def holds(db, **_) -> bool:
    """True when the money rollups exist and were built by the refresh of the current data (the
    router checks that no fact is dated after the period's end or the as-of date)."""
    if not _has_tables(db):
        return False
    # Tables built by an older refresh (one that did not know them) hold older data.
    built_for = db.con.execute("SELECT max(data_version) FROM money_windows").fetchall()[0][0]
    return built_for is not None and built_for == read_meta(db.con).get("data_version")


def _has_tables(db) -> bool:
    names = {"money_windows", "money_drivers", "money_customer", "money_customer_month"}
    found = db.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name IN (SELECT unnest($names))", {"names": sorted(names)}
    ).fetchall()[0][0]
    return found == len(names)


def fetch_window(db, filters: Filters, as_of: date) -> int | None:
    """The number of the preset window (``money_windows``) that is exactly this period, or None."""
    rows = db.con.execute(
        "SELECT window_number FROM money_windows WHERE as_of = $as_of AND start_day = $start AND end_day = $end",
        {"as_of": as_of, "start": filters.start, "end": filters.end},
    ).fetchall()
    return int(rows[0][0]) if rows else None


def holds_every_driver(db, **_) -> bool:
    """``holds``, and every driver has its bit in the customer masks."""
    return holds(db) and all(bit is not None for bit in fetch_driver_bits(db).values())


def fetch_driver_bits(db) -> dict[tuple[str, str], int | None]:
    """(kind, subject) -> the driver's bit in the customer masks (None: it has none)."""
    rows = db.con.execute("SELECT kind, subject, bit FROM money_drivers").fetchall()
    return {(kind, subject): bit for kind, subject, bit in rows}


def _customers_at_end(filters: Filters, as_of: date, params: dict, where: list[str], *,
                      period_sums: bool = False, narrow: bool = True) -> tuple[str, str]:  # fmt: skip
    """(CTEs, relation): the ``money_customer`` rows matching ``where``, with their CX state as of
    the period's end (the rollup's own state when the period ends on the as-of date, else the same
    state computed from the facts before the end, ``rollups_money.cx_state_sql``) and, with
    ``period_sums``, ``period_revenue``, ``period_transactions``, ``period_purchases`` of the
    period's transactions. With ``narrow`` the facts are read for those customers only: worth it
    when ``where`` keeps few of them (a cohort, a segment), not when it keeps most."""
    ctes, columns, joins = [], "m.*", ""
    among = f"SELECT customer_id FROM money_customer WHERE {' AND '.join(where)}" if narrow else None
    if filters.end < as_of:
        # Only customers who answered a survey or whose complaints changed on or after the end have
        # another state then than the stored one; theirs is computed from the facts before the end.
        ctes.append(
            """changed AS (
            SELECT customer_id FROM surveys WHERE responded_at >= $end AND customer_id IS NOT NULL
            UNION SELECT customer_id FROM complaints
            WHERE customer_id IS NOT NULL AND (opened_at >= $end OR resolved_at >= $end))"""
        )
        changed = "SELECT customer_id FROM changed" + (f" WHERE customer_id IN ({among})" if among else "")
        ctes.append(cx_state_sql("$end", changed))
        state = cx_state_expressions()
        columns = f"m.* EXCLUDE ({', '.join(state)}), " + ", ".join(
            f"CASE WHEN c.customer_id IS NULL THEN m.{name} ELSE {sql} END AS {name}" for name, sql in state.items()
        )
        joins = f"LEFT JOIN changed AS c USING (customer_id) {CX_STATE_JOINS}"
    if period_sums:
        params["as_of_end"] = day_start(as_of + timedelta(days=1))
        ctes.append(
            f"""period_sums AS (
            SELECT customer_id, fsum(amount) AS period_revenue, count(*) AS period_transactions,
                   count(*) FILTER (WHERE {is_purchase_sql()}) AS period_purchases
            FROM transactions
            WHERE occurred_at >= $start AND occurred_at < $end AND occurred_at < $as_of_end
              AND customer_id IS NOT NULL{f" AND customer_id IN ({among})" if among else ""}
            GROUP BY customer_id)"""
        )
        columns += (", coalesce(p.period_revenue, 0) AS period_revenue, coalesce(p.period_transactions, 0) "
                    "AS period_transactions, coalesce(p.period_purchases, 0) AS period_purchases")
        joins += " LEFT JOIN period_sums AS p USING (customer_id)"
    ctes.append(f"customers AS (SELECT {columns} FROM money_customer AS m {joins} WHERE {' AND '.join(where)})")
    return "WITH " + ",\n".join(ctes), "customers"


def fetch_customer_groups(db, filters: Filters, as_of: date, window: int | None) -> pd.DataFrame:
    """The customers of the period summed per class combination, activity and driver masks.

    One row per (``nps_class``, ``csat_class``, ``ces_class``, ``complaint_status``,
    ``is_active_at_start``, ``is_retained``, ``answered_mask``, ``poor_answer_mask``,
    ``complaint_mask``) with ``cxdata.questions.money_base.CELL_SUMS``; the masks are 0 for customers not
    active at the start (drivers measure only those). ``sum_by`` gives the cells, ``sum_drivers``
    the drivers. A preset ``window`` reads its stored sums; any other period sums its transactions.
    """
    params = filters.period_params()
    where = ["first_purchase_at < $end", not_churned_by_sql("churned_at", "$start"), *filters.sql(params)]
    # The customers active in a period are most of them: their facts are read for narrowed views only.
    ctes, source = _customers_at_end(filters, as_of, params, where, period_sums=window is None,
                                     narrow=bool(filters.dimension_values()))  # fmt: skip
    if window is None:
        revenue, transactions, purchases = "period_revenue", "period_transactions", "period_purchases"
    else:
        revenue, transactions, purchases = f"revenue_{window}", f"transactions_{window}", f"purchases_{window}"
    masks = ", ".join(f"CASE WHEN is_active_at_start THEN {mask} ELSE 0 END AS {mask}"
                      for mask in ("answered_mask", "poor_answer_mask", "complaint_mask"))  # fmt: skip
    return db.con.execute(
        f"""
        {ctes},
        period AS (SELECT *, first_purchase_at < $start AS is_active_at_start FROM {source})
        SELECT nps_class, csat_class, ces_class, complaint_status, is_active_at_start,
               is_active_at_start AND {not_churned_by_sql("churned_at", "$end")} AS is_retained, {masks},
               count(*) AS customers,
               count(*) FILTER (WHERE is_active_at_start) AS active_at_start,
               count(*) FILTER (WHERE is_active_at_start AND {not_churned_by_sql("churned_at", "$end")}) AS retained,
               count(*) FILTER (WHERE {transactions} > 0) AS buyers,
               sum({revenue}) AS revenue, sum({revenue} * {revenue}) AS revenue_squares,
               sum({purchases}) AS purchases, sum({purchases} * {purchases}) AS purchases_squares,
               sum(net_revenue) AS ltv_total, sum(net_revenue * net_revenue) AS ltv_squares
        FROM period GROUP BY ALL
        """,
        params,
    ).df()


def sum_by(frame: pd.DataFrame, keys: list[str], sums: list[str]) -> pd.DataFrame:
    """``sums`` of ``frame`` per combination of ``keys`` (numpy; pandas' groupby costs ~20 ms on
    these few thousand rows)."""
    codes = [pd.factorize(frame[key].to_numpy(object)) for key in keys]
    combined = np.zeros(len(frame), dtype="int64")
    for key_codes, uniques in codes:
        combined = combined * (len(uniques) + 1) + key_codes
    first, group = np.unique(combined, return_index=True, return_inverse=True)[1:]
    return pd.DataFrame({
        **{key: frame[key].to_numpy(object)[first] for key in keys},
        **{c: np.bincount(group, weights=frame[c].to_numpy("float64"), minlength=len(first)) for c in sums},
    })  # fmt: skip


def sum_drivers(groups: pd.DataFrame, bits: list[tuple[str, int]]) -> dict[str, float]:
    """``driver_k_<DRIVER_SUMS>`` from the groups of ``fetch_customer_groups``; ``bits`` holds
    (kind, bit) per driver k (1-based), as ``cxdata.questions.money_base.fetch_money_cells`` defines them."""
    active = groups["is_active_at_start"].to_numpy(bool)
    churned = active & ~groups["is_retained"].to_numpy(bool)
    customers = groups["customers"].to_numpy("float64")
    revenue = groups["revenue"].to_numpy("float64")
    squares = groups["revenue_squares"].to_numpy("float64")
    masks = {name: groups[name].to_numpy("int64") for name in ("answered_mask", "poor_answer_mask", "complaint_mask")}
    sums: dict[str, float] = {}
    for k, (kind, bit) in enumerate(bits, 1):
        if kind == "complaint":
            measured = active
            exposed = active & _has_bit(masks["complaint_mask"], bit)
        else:
            measured = active & _has_bit(masks["answered_mask"], bit)
            exposed = measured & _has_bit(masks["poor_answer_mask"], bit)
        for group, where in (("measured", measured), ("exposed", exposed)):
            sums[f"driver_{k}_{group}_customers"] = float(customers[where].sum())
            sums[f"driver_{k}_{group}_churned"] = float(customers[where & churned].sum())
            sums[f"driver_{k}_{group}_revenue"] = float(revenue[where].sum())
            sums[f"driver_{k}_{group}_revenue_squares"] = float(squares[where].sum())
    return sums


def fetch_cohort_sums(db, filters: Filters, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two grouped sums of ``cxdata.questions.money_cohorts.assemble_cohorts``: (cx_class, cohort_month,
    churn_month, customers) and (cx_class, cohort_month, month, revenue) for months from the
    cohort's own on (earlier months never show). The classes are as of the period's end."""
    params = filters.period_params()
    conditions = ["first_purchase_at >= $start", "first_purchase_at < $end", *filters.sql(params)]
    ctes, source = _customers_at_end(filters, as_of, params, conditions)
    counts = db.con.execute(
        f"""{ctes}
            SELECT nps_class AS cx_class, date_trunc('month', first_purchase_at) AS cohort_month,
                   date_trunc('month', churned_at) AS churn_month, count(*) AS customers
            FROM {source} GROUP BY ALL""",
        params,
    ).df()
    if filters.end < as_of:  # the rows carry the class as of the as-of date: take the period end's
        rows = (f"{ctes} SELECT c.nps_class, c.first_purchase_at, r.month, r.revenue, r.before_first_purchase_at "
                f"FROM money_customer_month AS r JOIN {source} AS c USING (customer_id)")
    else:
        rows = f"SELECT * FROM money_customer_month WHERE {' AND '.join(conditions)}"
    revenue = db.con.execute(
        f"""SELECT nps_class AS cx_class, date_trunc('month', first_purchase_at) AS cohort_month, month,
                   sum(revenue) AS revenue
            FROM ({rows})
            WHERE before_first_purchase_at IS NULL OR before_first_purchase_at < $start
            GROUP BY ALL""",
        params,
    ).df()
    return counts, revenue


def fetch_unit_sums(db, filters: Filters, as_of: date) -> pd.DataFrame:
    """The per (acquisition_channel, cx_class) sums of ``cxdata.questions.money_units.fetch_unit_economics``."""
    params = filters.period_params() | {"bound": day_start(as_of + timedelta(days=1)), "seconds_per_month": _SECONDS_PER_MONTH,
                                 "unknown": UNKNOWN}
    conditions = ["signup_at >= $start", "signup_at < $end", *filters.sql(params, raw_channel=True)]
    ctes, source = _customers_at_end(filters, as_of, params, conditions)
    return db.con.execute(
        f"""
        {ctes},
        contacted AS (
            SELECT coalesce(acquisition_channel, $unknown) AS acquisition_channel, nps_class AS cx_class,
                   acquisition_cost, net_revenue, first_purchase_at,
                   first_purchase_at < $bound AS is_paying,
                   first_purchase_at < $bound AND churned_at < $bound AS has_churned,
                   churned_at
            FROM {source}
        )
        SELECT acquisition_channel, cx_class, count(*) AS contacted,
               count(*) FILTER (WHERE is_paying) AS paying,
               sum(acquisition_cost) AS acquisition_cost,
               sum(net_revenue) FILTER (WHERE is_paying) AS net_revenue,
               sum((EPOCH(CASE WHEN has_churned THEN churned_at ELSE $bound END) - EPOCH(first_purchase_at))
                   / $seconds_per_month) FILTER (WHERE is_paying) AS customer_months,
               count(*) FILTER (WHERE has_churned) AS churned
        FROM contacted GROUP BY ALL
        """,
        params,
    ).df()


def _has_bit(masks: np.ndarray, bit: int) -> np.ndarray:
    return ((masks >> bit) & 1).astype(bool)
