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

from cxdata.engine.db import read_meta, read_once
from cxdata.engine.query import day_start
from cxdata.engine.rollups_money import TABLES, complained_sql, cx_state_expressions
from cxdata.model.filters import UNKNOWN, Filters
from cxdata.model.rules import (
    DRIVER_SCORES,
    SCORES,
    class_of_sql,
    is_poor_sql,
    is_purchase_sql,
    not_churned_by_sql,
)

_SECONDS_PER_MONTH = 30 * 86_400  # cxdata.analysis.money_stats.DAYS_PER_MONTH days


def holds(db, **_) -> bool:
    """True when the money rollups exist and were built by the refresh of the current data (the
    router checks that no fact is dated after the period's end or the as-of date)."""
    return read_once(db.con, "money_holds", lambda: _holds(db.con))


def _holds(con) -> bool:
    if not _has_tables(con):
        return False
    # Tables built by an older refresh (one that did not know them) hold older data.
    built_for = con.execute("SELECT max(data_version) FROM money_windows").fetchall()[0][0]
    return built_for is not None and built_for == read_meta(con).get("data_version")


def _has_tables(con) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name IN (SELECT unnest($names))", {"names": sorted(TABLES)}
    ).fetchall()[0][0]
    return found == len(TABLES)


def fetch_window(db, filters: Filters, as_of: date) -> int | None:
    """The number of the preset window (``money_windows``) that is exactly this period, or None."""
    windows = read_once(db.con, "money_windows", lambda: {
        (built_as_of, start, end): int(k) for k, built_as_of, start, end in
        db.con.execute("SELECT window_number, as_of, start_day, end_day FROM money_windows").fetchall()
    })  # fmt: skip
    return windows.get((as_of, filters.start, filters.end))


def holds_every_driver(db, **_) -> bool:
    """``holds``, and every driver has its bit in the customer masks."""
    return holds(db) and all(bit is not None for bit in fetch_driver_bits(db).values())


def fetch_driver_bits(db) -> dict[tuple[str, str], int | None]:
    """(kind, subject) -> the driver's bit in the customer masks (None: it has none)."""
    bits = read_once(db.con, "money_driver_bits", lambda: db.con.execute("SELECT kind, subject, bit FROM money_drivers").fetchall())
    return {(kind, subject): bit for kind, subject, bit in bits}


def _customers_at_end(filters: Filters, as_of: date, params: dict, where: list[str], *,
                      period_sums: bool = False, narrow: bool = True) -> tuple[str, str]:  # fmt: skip
    """(CTEs, relation): the ``money_customer`` rows matching ``where``, with their CX state as of
    the period's end (the rollup's own state when the period ends on the as-of date, else that
    state with the answers and complaints that changed since the end taken back, ``_state_at_end``)
    and, with ``period_sums``, ``period_revenue``, ``period_transactions``, ``period_purchases`` of
    the period's transactions (``_period_sums``). With ``narrow`` the facts are read for those
    customers only: worth it when ``where`` keeps few of them (a cohort, a segment), not when it
    keeps most."""
    ctes, columns, joins = [], "m.*", ""
    among = f"SELECT customer_id FROM money_customer WHERE {' AND '.join(where)}" if narrow else None
    if filters.end < as_of:
        state_ctes, columns, joins = _state_at_end(among)
        ctes += state_ctes
    if period_sums:
        ctes.append(_period_sums(filters, as_of, params, among))
        columns += (", coalesce(p.period_revenue, 0) AS period_revenue, coalesce(p.period_transactions, 0) "
                    "AS period_transactions, coalesce(p.period_purchases, 0) AS period_purchases")
        joins += " LEFT JOIN period_sums AS p USING (customer_id)"
    ctes.append(f"customers AS (SELECT {columns} FROM money_customer AS m {joins} WHERE {' AND '.join(where)})")
    return "WITH " + ",\n".join(ctes), "customers"


def _state_at_end(among: str | None) -> tuple[list[str], str, str]:
    """(CTEs, columns, joins) of the CX state as of ``$end`` on ``money_customer AS m``.

    The answers that stood at the end but were replaced since are the ``money_answer_spans`` rows
    around it (``changed_answers``: per customer, the classes and masks they set back); the
    complaints of customers with one opened or resolved since are read again up to the end
    (``rollups_money.complained_sql``, the rule of the stored state). Everyone else keeps the
    stored state, which is the state at the end when nothing of theirs happened since.
    """
    only = f" AND customer_id IN ({among})" if among else ""
    reverted = {score: f"bool_or(s.touchpoint IS NULL AND s.score = '{score}')" for score in SCORES}
    bit = "CAST(1 AS BIGINT) << d.bit"
    ctes = [
        f"""changed_answers AS (
            SELECT s.customer_id,
                   {", ".join(f"{flag} AS {score}_reverted, max(s.answer) FILTER (WHERE s.touchpoint IS NULL AND "
                              f"s.score = '{score}') AS {score}, max(s.scale_top) FILTER (WHERE s.touchpoint IS NULL "
                              f"AND s.score = '{score}') AS {score}_top" for score, flag in reverted.items())},
                   coalesce(bit_or({bit}), 0) AS reverted_mask,
                   coalesce(bit_or({bit}) FILTER (WHERE s.answer IS NOT NULL), 0) AS answered_mask,
                   coalesce(bit_or({bit}) FILTER (WHERE {_is_poor_sql("s")}), 0) AS poor_answer_mask
            FROM money_answer_spans AS s
            LEFT JOIN money_drivers AS d ON s.touchpoint IS NOT NULL AND d.kind = s.score AND d.subject = s.touchpoint
                                            AND d.bit IS NOT NULL
            WHERE s.superseded_at >= $end AND (s.answered_at IS NULL OR s.answered_at < $end){only}
            GROUP BY s.customer_id)""",
        f"""complaint_changed AS (
            SELECT DISTINCT customer_id FROM complaints
            WHERE customer_id IS NOT NULL AND (opened_at >= $end OR resolved_at >= $end){only})""",
        complained_sql("$end", "SELECT customer_id FROM complaint_changed"),
    ]
    state = cx_state_expressions()
    expressions = {
        **{f"{score}_class": f"CASE WHEN a.{score}_reverted THEN {class_of_sql(f'a.{score}', score, f'a.{score}_top')} "
                             f"ELSE m.{score}_class END" for score in SCORES},
        **{mask: f"CASE WHEN a.customer_id IS NULL THEN m.{mask} "
                 f"ELSE (m.{mask} & ~a.reverted_mask) | a.{mask} END" for mask in ("answered_mask", "poor_answer_mask")},
        **{name: f"CASE WHEN k.customer_id IS NULL THEN m.{name} ELSE {state[name]} END"
           for name in ("complaint_status", "complaint_mask")},
    }  # fmt: skip
    assert set(expressions) == set(state)
    columns = f"m.* EXCLUDE ({', '.join(state)}), " + ", ".join(f"{sql} AS {name}" for name, sql in expressions.items())
    joins = ("LEFT JOIN changed_answers AS a USING (customer_id) LEFT JOIN complaint_changed AS k USING (customer_id) "
             "LEFT JOIN complained USING (customer_id)")
    return ctes, columns, joins


def _is_poor_sql(alias: str) -> str:
    return " OR ".join(f"({alias}.score = '{score}' AND {is_poor_sql(f'{alias}.answer', score, f'{alias}.scale_top')})"
                       for score in DRIVER_SCORES)  # fmt: skip


def _period_sums(filters: Filters, as_of: date, params: dict, among: str | None) -> str:
    """The CTE ``period_sums``: per customer, the net amount, transactions and purchases dated in
    the period (and up to the as-of day): its whole calendar months from ``money_month_sums`` (the
    router reads the rollups only when no fact is dated after the as-of day), the days of its
    partial first and last months from the transactions."""
    first_month = filters.start if filters.start.day == 1 else _next_month(filters.start)
    after = filters.end + timedelta(days=1)
    after_months = date(after.year, after.month, 1)
    first_month = min(first_month, after_months)  # no whole month: the transactions of the period only
    params |= {"as_of_end": day_start(as_of + timedelta(days=1)), "first_month": day_start(first_month),
               "after_months": day_start(after_months)}  # fmt: skip
    only = f" AND customer_id IN ({among})" if among else ""
    return f"""period_sums AS (
            SELECT customer_id, fsum(revenue) AS period_revenue, CAST(sum(transactions) AS BIGINT) AS period_transactions,
                   CAST(sum(purchases) AS BIGINT) AS period_purchases
            FROM (
                SELECT customer_id, revenue, transactions, purchases FROM money_month_sums
                WHERE month >= $first_month AND month < $after_months
                UNION ALL
                SELECT customer_id, amount, 1, CASE WHEN {is_purchase_sql()} THEN 1 ELSE 0 END FROM transactions
                WHERE occurred_at >= $start AND occurred_at < $end AND occurred_at < $as_of_end
                  AND (occurred_at < $first_month OR occurred_at >= $after_months)
            )
            WHERE customer_id IS NOT NULL{only}
            GROUP BY customer_id)"""


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


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
    ctes, source, params = _unit_cohort(filters, as_of)
    params["seconds_per_month"] = _SECONDS_PER_MONTH
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
               sum(acquisition_cost) AS acquisition_cost, count(acquisition_cost) AS costed,
               sum(net_revenue) FILTER (WHERE is_paying) AS net_revenue,
               sum((EPOCH(CASE WHEN has_churned THEN churned_at ELSE $bound END) - EPOCH(first_purchase_at))
                   / $seconds_per_month) FILTER (WHERE is_paying) AS customer_months,
               count(*) FILTER (WHERE has_churned) AS churned
        FROM contacted GROUP BY ALL
        """,
        params,
    ).df()


def fetch_unit_customers(db, filters: Filters, as_of: date) -> pd.DataFrame:
    """The paying customers of ``cxdata.questions.money_units.fetch_unit_customers``."""
    ctes, source, params = _unit_cohort(filters, as_of)
    return db.con.execute(
        f"""
        {ctes}
        SELECT customer_id, coalesce(acquisition_channel, $unknown) AS acquisition_channel, nps_class AS cx_class
        FROM {source} WHERE first_purchase_at < $bound
        """,
        params,
    ).df()


def _unit_cohort(filters: Filters, as_of: date) -> tuple[str, str, dict]:
    """(CTEs, relation, params): the people first contacted in the period whom the filters
    select, with their state at the period's end (``_customers_at_end``)."""
    params = filters.period_params() | {"bound": day_start(as_of + timedelta(days=1)), "unknown": UNKNOWN}
    conditions = ["signup_at >= $start", "signup_at < $end", *filters.sql(params, raw_channel=True)]
    ctes, source = _customers_at_end(filters, as_of, params, conditions)
    return ctes, source, params


def _has_bit(masks: np.ndarray, bit: int) -> np.ndarray:
    return ((masks >> bit) & 1).astype(bool)
