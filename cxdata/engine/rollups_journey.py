"""The journey page's rollup: one row per customer who reached the first journey stage.

Grain of ``journey_customer``: one row per customer with an event at the first stage of
``journey_stages`` (in ``position`` order, as ``cxdata.questions.funnel`` reads it), sorted by the time of
that first event, so a period filter on it reads only the matching blocks. Columns:

- ``first_at_1`` .. ``first_at_n``: the customer's first time at the k-th stage (null if never),
  from the ``journey_first`` rollup; positional names, because stage names are data.
- ``reached_at_1`` .. ``reached_at_n`` (R_k): the time the customer counts at stage k when the
  window allows, the latest of ``first_at_1`` .. ``first_at_k`` (an event logged before the
  previous stage's counts at that stage's time); null from the first stage never reached.
- ``min_window_days_1`` .. ``min_window_days_n``: the shortest window, in whole days, in which the
  customer counts at stage k (0 at the first stage); null where R_k is. See below.
- ``entry_channel``: the channel of the first first-stage event (``journey_first.first_channel``).
- ``segment``, ``region``, ``acquisition_channel``: from ``customers`` (null when unknown).
- ``net_revenue``: all-time net revenue (``customer_summary``; 0 without transactions).
- ``churn_reasons``: one item per churn event, the reason or "not_stated"; empty without one.
- ``complaint_categories``: one item per complaint, the category or "not_stated".
- ``churn_count``, ``complaint_count``: the lengths of those lists (read without the lists).
- ``has_answered``: the customer answered at least one survey.

The chain of ``cxdata.questions.funnel`` counts stage k at greatest(first_at_k, r_(k-1)) when
first_at_k <= r_(k-1) + W days, and no stage after one missed. While no step has failed,
r_(k-1) = R_(k-1), so step k passes exactly when its wait first_at_k - R_(k-1) is at most W days,
and stages 1..k all count exactly when the longest of those waits, M_k, is (M_1 = 0; an event
logged early waits a negative time). Timestamps have no time zone, so W days are exactly
W * 86 400 000 000 microseconds, and as W is a whole number, M_k <= W days exactly when
ceil(M_k / 1 day) <= W: that ceiling is ``min_window_days_k``. So for any window W, stage k
counts at R_k when ``min_window_days_k <= W``, and the customer's last stage is the number of k
for which that holds (the column never decreases along k).

Everything is all-time, so it answers "up to as_of" only when no fact is dated after as_of
(``cxdata.engine.router.JOURNEY_CUSTOMER``); the stage order it was built for is stored in
``meta.rollup_journey_stages_v2`` (JSON), and a funnel over other stages reads the raw tables.
"""

from __future__ import annotations

import json

import ibis

from cxdata.engine.db import write_meta
from cxdata.model.rules import stage_order

NOT_STATED = "not_stated"  # the value of a missing churn reason or complaint category
TABLES = ("journey_customer",)
# The key's suffix is the table's shape. A table built before reached_at_k and
# min_window_days_k existed wrote the key without it, so the code that reads them finds no key
# there and reads the raw tables (``cxdata.engine.router``) until the next
# refresh_rollups rebuilds it. Bump the suffix whenever a column the queries read changes.
STAGES_META_KEY = "rollup_journey_stages_v2"
_EARLIER_STAGES_META_KEYS = ("rollup_journey_stages",)  # removed on rebuild: they describe no table
_MICROSECONDS_PER_DAY = 86_400_000_000


def _all_present(k: int) -> str:
    return " AND ".join(f"p.first_at_{j} IS NOT NULL" for j in range(1, k + 1))


def _reached_sql(k: int) -> str:
    """R_k, for a row where first_at_1 .. first_at_k are all present (greatest() skips nulls)."""
    return f"greatest({', '.join(f'p.first_at_{j}' for j in range(1, k + 1))})"


def _min_window_days_sql(k: int) -> str:
    """ceil(M_k / 1 day), for a row where first_at_1 .. first_at_k are all present. In integer
    microseconds, so exact: two times of the years 1-9999 are less than 2**63 microseconds apart."""
    waits = [f"epoch_us(p.first_at_{j}) - epoch_us({_reached_sql(j - 1)})" for j in range(2, k + 1)]
    longest = f"greatest({', '.join(['0', *waits])})"
    return f"CAST(({longest} + {_MICROSECONDS_PER_DAY - 1}) // {_MICROSECONDS_PER_DAY} AS INTEGER)"


def _build_journey_customer(con) -> None:
    stages = stage_order(ibis.duckdb.from_connection(con))
    # Column names come from positions (integers we generate), never from the data.
    firsts = ",\n           ".join(
        f"min(f.first_at) FILTER (WHERE f.stage = ${k}) AS first_at_{k}" for k in range(1, len(stages) + 1)
    )
    positions = range(1, max(len(stages), 1) + 1)
    first_columns = ", ".join(f"p.first_at_{k}" for k in positions)
    reached_columns = ", ".join(
        f"CASE WHEN {_all_present(k)} THEN {_reached_sql(k)} END AS reached_at_{k}" for k in positions
    )
    window_columns = ", ".join(
        f"CASE WHEN {_all_present(k)} THEN {_min_window_days_sql(k)} END AS min_window_days_{k}" for k in positions
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE journey_customer AS
        WITH pivoted AS (
            SELECT f.customer_id,
                   {firsts if stages else "NULL::TIMESTAMP AS first_at_1"},
                   min(f.first_channel) FILTER (WHERE f.stage = $1) AS entry_channel
            FROM journey_first AS f
            GROUP BY f.customer_id
            HAVING first_at_1 IS NOT NULL
        ),
        churn AS (
            SELECT customer_id, list(coalesce(reason, '{NOT_STATED}') ORDER BY churned_at, reason) AS churn_reasons
            FROM churn_events GROUP BY customer_id
        ),
        complained AS (
            SELECT customer_id, list(coalesce(category, '{NOT_STATED}') ORDER BY opened_at, category)
                   AS complaint_categories
            FROM complaints WHERE customer_id IS NOT NULL GROUP BY customer_id
        ),
        answered AS (SELECT DISTINCT customer_id FROM surveys WHERE customer_id IS NOT NULL)
        SELECT p.customer_id, {first_columns}, {reached_columns}, {window_columns}, p.entry_channel,
               c.segment, c.region, c.acquisition_channel,
               coalesce(s.net_revenue, 0) AS net_revenue,
               coalesce(churn.churn_reasons, []) AS churn_reasons,
               coalesce(complained.complaint_categories, []) AS complaint_categories,
               len(coalesce(churn.churn_reasons, [])) AS churn_count,
               len(coalesce(complained.complaint_categories, [])) AS complaint_count,
               answered.customer_id IS NOT NULL AS has_answered
        FROM pivoted AS p
        LEFT JOIN customers AS c USING (customer_id)
        LEFT JOIN customer_summary AS s USING (customer_id)
        LEFT JOIN churn USING (customer_id)
        LEFT JOIN complained USING (customer_id)
        LEFT JOIN answered USING (customer_id)
        ORDER BY p.first_at_1, p.customer_id
        """,
        stages or [None],
    )
    con.execute("DELETE FROM meta WHERE list_contains(?, key)", [list(_EARLIER_STAGES_META_KEYS)])
    write_meta(con, **{STAGES_META_KEY: json.dumps(stages, ensure_ascii=False)})


STATEMENTS = (_build_journey_customer,)
# What it reads, directly or through customer_summary and journey_first (see cxdata.engine.rollups).
SOURCES = ({"journey_events", "journey_stages", "customers", "transactions", "churn_events", "complaints", "surveys"},)
