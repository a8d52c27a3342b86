"""The journey page's rollup: one row per customer who reached the first journey stage.

Grain of ``journey_customer``: one row per customer with an event at the first stage of
``journey_stages`` (in ``position`` order, as ``cxdata.funnel`` reads it), sorted by the time of
that first event, so a period filter on it reads only the matching blocks. Columns:

- ``first_at_1`` .. ``first_at_n``: the customer's first time at the k-th stage (null if never),
  from the ``journey_first`` rollup; positional names, because stage names are data.
- ``entry_channel``: the channel of the first first-stage event (``journey_first.first_channel``).
- ``segment``, ``region``, ``acquisition_channel``: from ``customers`` (null when unknown).
- ``net_revenue``: all-time net revenue (``customer_summary``; 0 without transactions).
- ``churn_reasons``: one item per churn event, the reason or "not_stated"; empty without one.
- ``complaint_categories``: one item per complaint, the category or "not_stated".
- ``churn_count``, ``complaint_count``: the lengths of those lists (read without the lists).
- ``has_answered``: the customer answered at least one survey.

Everything is all-time, so it answers "up to as_of" only when no fact is dated after as_of
(``rollups_are_fresh(db, as_of, facts="fact")``); the stage order it was built for is stored in
``meta.rollup_journey_stages`` (JSON), and a funnel over other stages reads the raw tables.
"""

from __future__ import annotations

import json

from cxdata.db import write_meta

NOT_STATED = "not_stated"  # the value of a missing churn reason or complaint category
TABLES = ("journey_customer",)
STAGES_META_KEY = "rollup_journey_stages"


def _build_journey_customer(con) -> None:
    stages = [row[0] for row in con.execute("SELECT stage FROM journey_stages ORDER BY position, stage").fetchall()]
    # Column names come from positions (integers we generate), never from the data.
    firsts = ",\n           ".join(
        f"min(f.first_at) FILTER (WHERE f.stage = ${k}) AS first_at_{k}" for k in range(1, len(stages) + 1)
    )
    first_columns = ", ".join(f"p.first_at_{k}" for k in range(1, max(len(stages), 1) + 1))
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
        SELECT p.customer_id, {first_columns}, p.entry_channel,
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
    write_meta(con, **{STAGES_META_KEY: json.dumps(stages, ensure_ascii=False)})


STATEMENTS = (_build_journey_customer,)
# What it reads, directly or through customer_summary and journey_first (see cxdata.rollups).
SOURCES = ({"journey_events", "journey_stages", "customers", "transactions", "churn_events", "complaints", "surveys"},)
