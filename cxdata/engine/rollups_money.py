"""The CX-and-money page's rollups: one row per customer with everything the page asks of them.

The page's raw queries group ~10M transactions and ~2M survey answers by customer on every filter
change; these tables do that once per load. All of it is all-time, so it answers "as of the
period's end" only when no fact is dated after that day (``cxdata.engine.router.MONEY``); then
``cxdata.engine.money_rollup`` reads them, and otherwise the page reads the raw tables.

Grains:

- ``money_windows``: one row per period preset (``cxdata.model.filters.PERIOD_PRESETS`` but custom),
  with its first and last day for the as-of date stored in ``meta`` when the rollup was built
  (``as_of``, ``start_day``, ``end_day``) and the ``data_version`` it was built for. A period that is not one of them sums
  its revenue from ``money_month_sums`` and the transactions of its partial months.
- ``money_drivers``: one row per key-driver candidate (``kind`` csat / ces with a touchpoint as
  ``subject``, or complaint with a category) and its ``bit`` in the customer masks below.
- ``money_customer``: one row per customer of ``customer_summary``, sorted by first purchase.
  Attributes (``segment``, ``region``, ``channel``, ``acquisition_channel``, "Unknown" when
  missing), ``signup_at``, ``acquisition_cost``, ``first_purchase_at``, ``churned_at`` (only a
  churn at or after the first purchase, as ``cxdata.engine.query.customer_lifecycle``), ``net_revenue``
  (all time); ``nps_class``, ``csat_class``, ``ces_class`` (latest answer on its own scale,
  ``no_answer`` without one) and ``complaint_status`` (``cxdata.questions.money_base`` rules); ``answered_mask`` /
  ``poor_answer_mask`` (bit of a csat / ces driver set when the customer's latest answer at that
  touchpoint exists / is poor) and ``complaint_mask`` (bit of a category set when the customer
  complained of it); per preset window k (``money_windows.window_number``): ``revenue_k``,
  ``transactions_k``, ``purchases_k`` (net amount, transactions and positive transactions dated
  in the window).
- ``money_customer_month``: one row per paying customer × calendar month from the first-purchase
  month on, with the customer's attributes, ``nps_class``, ``first_purchase_at`` and ``revenue`` (net amount of the month at or after the first purchase); and one row per
  transaction dated before the first purchase in its month, with its time in
  ``before_first_purchase_at`` (null on the monthly rows), so a cohort that starts mid-month
  counts exactly the transactions on or after the period's first day.
- ``money_month_sums``: one row per customer × calendar month with a transaction: ``revenue``,
  ``transactions``, ``purchases`` (as the windows' sums), so a custom period sums its whole months
  here and reads the transactions of its partial first and last months only.
- ``money_answer_spans``: one row per survey answer that a later one replaced, for each thing the
  CX state takes a latest answer of (``touchpoint`` null: the customer's latest ``score``; else the
  latest at that touchpoint, for the driver masks), with the top of its scale (``scale_top``), plus
  one row before each first answer (``answer``, ``scale_top`` and ``answered_at`` null): the answer stood from ``answered_at`` until
  ``superseded_at``, the time of the next answer in the order of ``_latest_answer_sql``. Sorted by
  ``superseded_at``. The answers that stood at an earlier end E are the rows with ``answered_at <
  E <= superseded_at`` (and those of the stored state where no row matches), so the state at E
  reads the few rows replaced since E, not every answer of the customers who answered since.
"""

from __future__ import annotations

import ibis

from cxdata.engine.db import read_meta
from cxdata.engine.workspace import decide_as_of, fetch_data_span, fetch_settings
from cxdata.model.filters import UNKNOWN, preset_range
from cxdata.model.rules import (
    DRIVER_SCORES,
    SCORES,
    class_of_sql,
    customer_churn_sql,
    is_poor_sql,
    is_purchase_sql,
    scale_top_sql,
)

TABLES = ("money_windows", "money_drivers", "money_customer", "money_customer_month", "money_month_sums",
          "money_answer_spans")
WINDOWS = ("last_30", "last_quarter", "last_6m", "last_12m", "all")
# Bits of a BIGINT mask that stay positive; drivers beyond them have no bit (the raw path answers).
MASK_BITS = 62


def _answer_key_sql(score: str) -> str:
    """The order of answers: latest time first, then the higher answer, then the higher scale
    (``// 16 % 16`` gives the answer, ``% 16`` the top of its scale)."""
    return (f"CAST(EPOCH(CAST(responded_at AS TIMESTAMP)) AS BIGINT) * 256 + CAST({score} AS BIGINT) * 16 "
            f"+ {scale_top_sql(score)}")


def _latest_answer_sql(score: str) -> str:
    """``{score}`` and ``{score}_top``: the latest answer to ``score`` among the grouped survey rows
    and the top of its scale; the same expression as ``cxdata.questions.money_base._latest_answer``
    (latest time wins, then the higher answer)."""
    latest = f"MAX({_answer_key_sql(score)}) FILTER (WHERE {score} IS NOT NULL)"
    return f"{latest} // 16 % 16 AS {score}, {latest} % 16 AS {score}_top"


def build_windows(con) -> None:
    """``money_windows``: each preset's days (``filters.preset_range``, the sidebar's own rule) for
    the as-of date (``workspace.fetch_as_of``, the one rule) and the data's first day."""
    db = ibis.duckdb.from_connection(con)
    settings = fetch_settings(db)
    data_start, latest = fetch_data_span(db)
    as_of = decide_as_of(settings, latest)
    data_version = read_meta(con).get("data_version")
    con.execute(
        "CREATE OR REPLACE TABLE money_windows (window_number INTEGER, preset VARCHAR, as_of DATE, start_day DATE, "
        "end_day DATE, data_version VARCHAR)"
    )
    if as_of is not None:
        rows = [(k, name, as_of, *preset_range(name, as_of, data_start), data_version) for k, name in enumerate(WINDOWS, 1)]
        con.executemany("INSERT INTO money_windows VALUES (?, ?, ?, ?, ?, ?)", rows)


_DRIVERS = f"""
CREATE OR REPLACE TABLE money_drivers AS
WITH candidates AS (
    SELECT DISTINCT 'csat' AS kind, touchpoint AS subject FROM surveys WHERE csat IS NOT NULL AND touchpoint IS NOT NULL
    UNION ALL
    SELECT DISTINCT 'ces', touchpoint FROM surveys WHERE ces IS NOT NULL AND touchpoint IS NOT NULL
    UNION ALL
    SELECT DISTINCT 'complaint', category FROM complaints WHERE category IS NOT NULL
),
numbered AS (SELECT kind, subject, CAST(row_number() OVER (ORDER BY kind, subject) - 1 AS INTEGER) AS bit FROM candidates)
SELECT kind, subject, CASE WHEN bit < {MASK_BITS} THEN bit END AS bit FROM numbered
"""


def _window_filter(k: int) -> str:
    return f"t.occurred_at >= w.start_{k} AND t.occurred_at < w.end_{k}"


def _window_sums_sql() -> str:
    """Per customer with a transaction: net amount, transactions and purchases in each window.

    Money is summed with ``fsum`` (compensated): a plain parallel sum of doubles may differ in the
    last bit from one build to the next, and a rebuild should give the same table."""
    sums = ", ".join(
        f"coalesce(fsum(t.amount) FILTER (WHERE {_window_filter(k)}), 0) AS revenue_{k}, "
        f"count(*) FILTER (WHERE {_window_filter(k)}) AS transactions_{k}, "
        f"count(*) FILTER (WHERE {_window_filter(k)} AND {is_purchase_sql('t.amount')}) AS purchases_{k}"
        for k in range(1, len(WINDOWS) + 1)
    )
    bounds = ", ".join(
        f"max(CAST(start_day AS TIMESTAMP)) FILTER (WHERE window_number = {k}) AS start_{k}, "
        f"max(CAST(end_day + 1 AS TIMESTAMP)) FILTER (WHERE window_number = {k}) AS end_{k}"
        for k in range(1, len(WINDOWS) + 1)
    )
    return (f"SELECT t.customer_id, {sums} FROM transactions AS t CROSS JOIN (SELECT {bounds} FROM money_windows) AS w "
            "WHERE t.customer_id IS NOT NULL GROUP BY t.customer_id")


def _build_customer(con) -> None:
    con.execute(_customer_sql())


def cx_state_sql(bound: str | None = None, among: str | None = None) -> str:
    """The CTEs of every customer's CX state: ``latest`` (latest answer per score), ``answer_masks``
    and ``complained`` (``complaint_status`` and masks), from the facts dated before ``bound`` (an
    SQL expression such as ``$end``; all of them when None). The rollup is this state as of its
    build; ``cxdata.engine.money_rollup`` runs the same CTEs with the period's end for any other period,
    ``among`` the customers of a query (an SQL subquery of customer ids).
    """
    answered = (f" AND responded_at < {bound}" if bound else "") + (f" AND customer_id IN ({among})" if among else "")
    return f"""
latest AS (
    SELECT customer_id, {", ".join(_latest_answer_sql(score) for score in SCORES)}
    FROM surveys WHERE customer_id IS NOT NULL{answered} GROUP BY customer_id
),
at_touchpoint AS (
    SELECT customer_id, touchpoint, {", ".join(_latest_answer_sql(score) for score in DRIVER_SCORES)}
    FROM surveys WHERE customer_id IS NOT NULL AND touchpoint IS NOT NULL{answered} GROUP BY customer_id, touchpoint
),
answers AS (
    {" UNION ALL ".join(
        f"SELECT customer_id, touchpoint AS subject, '{score}' AS kind, {score} AS answer, "
        f"{is_poor_sql(score, score, f'{score}_top')} AS is_poor FROM at_touchpoint WHERE {score} IS NOT NULL"
        for score in DRIVER_SCORES
    )}
),
answer_masks AS (
    SELECT a.customer_id,
           bit_or(CAST(1 AS BIGINT) << d.bit) AS answered_mask,
           bit_or(CASE WHEN a.is_poor THEN CAST(1 AS BIGINT) << d.bit ELSE 0 END) AS poor_answer_mask
    FROM answers AS a JOIN money_drivers AS d ON d.kind = a.kind AND d.subject = a.subject AND d.bit IS NOT NULL
    GROUP BY a.customer_id
),
{complained_sql(bound, among)}"""


def complained_sql(bound: str | None = None, among: str | None = None) -> str:
    """The CTE ``complained`` of ``cx_state_sql``: per customer who complained before ``bound``,
    whether a complaint was unresolved then and the mask of the categories."""
    opened = (f" AND c.opened_at < {bound}" if bound else "") + (f" AND c.customer_id IN ({among})" if among else "")
    is_open = f"c.resolved_at IS NULL OR c.resolved_at >= {bound}" if bound else "c.resolved_at IS NULL"
    return f"""complained AS (
    SELECT c.customer_id, bool_or({is_open}) AS has_unresolved,
           bit_or(CASE WHEN d.bit IS NOT NULL THEN CAST(1 AS BIGINT) << d.bit ELSE 0 END) AS complaint_mask
    FROM complaints AS c LEFT JOIN money_drivers AS d ON d.kind = 'complaint' AND d.subject = c.category
    WHERE c.customer_id IS NOT NULL{opened}
    GROUP BY c.customer_id
)"""


def cx_state_expressions() -> dict[str, str]:
    """Column -> SQL expression of the CX state of a customer row joined to the CTEs of
    ``cx_state_sql`` (``CX_STATE_JOINS``)."""
    classes = {f"{score}_class": class_of_sql(f"latest.{score}", score, f"latest.{score}_top") for score in SCORES}
    return classes | {
        "complaint_status": "CASE WHEN complained.has_unresolved THEN 'unresolved' "
                            "WHEN complained.has_unresolved IS NOT NULL THEN 'resolved' ELSE 'none' END",
        "answered_mask": "coalesce(answer_masks.answered_mask, 0)",
        "poor_answer_mask": "coalesce(answer_masks.poor_answer_mask, 0)",
        "complaint_mask": "coalesce(complained.complaint_mask, 0)",
    }  # fmt: skip


CX_STATE_JOINS = "LEFT JOIN latest USING (customer_id) LEFT JOIN answer_masks USING (customer_id) " \
                 "LEFT JOIN complained USING (customer_id)"


def _customer_sql() -> str:
    return f"""
CREATE OR REPLACE TABLE money_customer AS
WITH {cx_state_sql()},
windows AS ({_window_sums_sql()})
SELECT s.customer_id,
       coalesce(s.segment, '{UNKNOWN}') AS segment, coalesce(s.region, '{UNKNOWN}') AS region,
       coalesce(s.channel, '{UNKNOWN}') AS channel, coalesce(s.acquisition_channel, '{UNKNOWN}') AS acquisition_channel,
       s.signup_at, s.acquisition_cost, s.first_purchase_at,
       {customer_churn_sql("s.churned_at", "s.first_purchase_at")} AS churned_at,
       s.net_revenue, {', '.join(f'{sql} AS {name}' for name, sql in cx_state_expressions().items())},
       {", ".join(f"coalesce(windows.{m}_{k}, 0) AS {m}_{k}" for k in range(1, len(WINDOWS) + 1)
                  for m in ("revenue", "transactions", "purchases"))}
FROM customer_summary AS s
{CX_STATE_JOINS}
LEFT JOIN windows USING (customer_id)
ORDER BY s.first_purchase_at NULLS LAST
"""


_CUSTOMER_MONTH = f"""
CREATE OR REPLACE TABLE money_customer_month AS
WITH paying AS (
    SELECT customer_id, segment, region, channel, acquisition_channel, nps_class, first_purchase_at
    FROM money_customer WHERE first_purchase_at IS NOT NULL
),
monthly AS (
    SELECT customer_id, date_trunc('month', occurred_at) AS month, fsum(amount) AS revenue,
           CAST(NULL AS TIMESTAMP) AS before_first_purchase_at
    FROM transactions WHERE customer_id IS NOT NULL GROUP BY ALL
),
corrections AS (  -- a purchase is positive, so what came before it in its month is not
    SELECT customer_id, date_trunc('month', occurred_at) AS month, -amount AS revenue, occurred_at
    FROM transactions WHERE customer_id IS NOT NULL AND NOT ({is_purchase_sql()})
)
SELECT p.customer_id, p.segment, p.region, p.channel, p.acquisition_channel, p.nps_class, p.first_purchase_at, r.month,
       r.revenue, r.before_first_purchase_at
FROM (SELECT * FROM monthly UNION ALL SELECT * FROM corrections) AS r
JOIN paying AS p USING (customer_id)
WHERE r.month >= date_trunc('month', p.first_purchase_at)
  AND (r.before_first_purchase_at IS NULL OR r.before_first_purchase_at < p.first_purchase_at)
ORDER BY p.first_purchase_at
"""

_MONTH_SUMS = f"""
CREATE OR REPLACE TABLE money_month_sums AS
SELECT customer_id, date_trunc('month', occurred_at) AS month, fsum(amount) AS revenue, count(*) AS transactions,
       count(*) FILTER (WHERE {is_purchase_sql()}) AS purchases
FROM transactions WHERE customer_id IS NOT NULL GROUP BY ALL
ORDER BY month
"""


def _answer_spans_sql() -> str:
    def spans(score: str, touchpoint: str) -> str:
        partition = "customer_id" + (", touchpoint" if touchpoint != "NULL" else "")
        return f"""
    SELECT customer_id, {touchpoint} AS touchpoint, '{score}' AS score, {score} AS answer,
           {scale_top_sql(score)} AS scale_top, CAST(responded_at AS TIMESTAMP) AS answered_at,
           lead(CAST(responded_at AS TIMESTAMP)) OVER (PARTITION BY {partition} ORDER BY {_answer_key_sql(score)})
               AS superseded_at
    FROM surveys WHERE customer_id IS NOT NULL AND {score} IS NOT NULL
          {"AND touchpoint IS NOT NULL" if touchpoint != "NULL" else ""}
    UNION ALL
    SELECT customer_id, {touchpoint}, '{score}', NULL, NULL, NULL, min(CAST(responded_at AS TIMESTAMP))
    FROM surveys WHERE customer_id IS NOT NULL AND {score} IS NOT NULL
          {"AND touchpoint IS NOT NULL" if touchpoint != "NULL" else ""}
    GROUP BY {partition}"""

    parts = [spans(score, "NULL") for score in SCORES] + [spans(score, "touchpoint") for score in DRIVER_SCORES]
    return f"""
CREATE OR REPLACE TABLE money_answer_spans AS
SELECT * FROM ({" UNION ALL ".join(parts)}) WHERE superseded_at IS NOT NULL
ORDER BY superseded_at
"""


STATEMENTS = (build_windows, _DRIVERS, _build_customer, _CUSTOMER_MONTH, _MONTH_SUMS, _answer_spans_sql())
# What each statement reads, directly or through customer_summary (see cxdata.engine.rollups): a load of
# another table keeps it. The windows and drivers (a few rows) are rebuilt on every refresh, so
# the windows' ``data_version`` says the money tables are current; the bounds change only with
# as_of or the data's first day, and the driver bits only with surveys or complaints, whose loads
# rebuild the customer rows too.
_CUSTOMER_SOURCES = {"customers", "transactions", "churn_events", "surveys", "complaints"}
SOURCES = (None, None, _CUSTOMER_SOURCES, _CUSTOMER_SOURCES - {"complaints"}, {"transactions"}, {"surveys"})

