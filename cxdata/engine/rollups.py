"""Rollup tables maintained at load time, so a filter change reads summaries, not the facts.

At scale 1 the facts are ~10M transactions and ~2M survey answers; the rollups are ~1M customer
rows and a few hundred thousand day × dimension rows. The metric layer reads a rollup only when
it is fresh (``meta.rollup_version`` equals ``meta.data_version``) and otherwise falls back to the
raw tables (``cxdata.engine.router`` decides), so numbers are the same either way.

Grains:
- ``customer_summary``: one row per customer id in ``customers`` or ``transactions``, with the
  customer's attributes, first purchase, all-time net revenue and first churn event.
- ``transaction_daily``: one row per day × transaction channel × customer segment, region and
  acquisition channel: net amount and transaction count, of all and of the anonymous transactions.
- ``survey_daily``: one row per day × touchpoint × survey channel × customer segment, region and
  acquisition channel: the counts and sums that NPS, CSAT and CES are made of.
- ``journey_first``: one row per customer × stage reached: the first time (``first_at``) and the
  channel of that first event (``first_channel``; the alphabetically first one at a tie), which is
  all the funnel reads of the journey events.
"""

from __future__ import annotations

from datetime import date
from importlib import import_module

import ibis

from cxdata.engine.db import is_duckdb, read_meta, write_meta
from cxdata.model.rules import is_anonymous_sql, is_purchase_sql, survey_counts

# Modules that add rollups for one page each. Each holds ``TABLES`` (names) and ``STATEMENTS``
# (SQL strings, or functions taking the connection, run in order after the base rollups below,
# so they may read them) and imports nothing from this module, so the metric code can import both.
EXTENSIONS = ("cxdata.engine.rollups_journey", "cxdata.engine.rollups_money")
BASE_TABLES = ("customer_summary", "transaction_daily", "survey_daily", "journey_first")
ROLLUP_TABLES = BASE_TABLES + tuple(name for module in EXTENSIONS for name in import_module(module).TABLES)
# The layout of the rollup tables: bump it when a rollup gains or changes columns, so the next
# load or undo rebuilds every rollup (not only those reading the changed table).
# 2: journey_customer stores the funnel chain (reached_at_k, min_window_days_k); 3: survey_daily
# holds the counts under the names of ``rules.survey_counts``; 4: money_customer_month keeps the
# customer id; 5: survey_daily adds the CES answers' scale tops (ces_scale_sum, ces_scale_sum_squares)
# and counts satisfied answers on each answer's own scale;
# 6: money_month_sums and money_answer_spans (custom money periods); 7: money_customer classes each
# CSAT / CES answer on its own scale and money_answer_spans keeps the answer's scale_top; 8:
# transaction_daily adds the anonymous transactions' sum and count (anonymous_amount_sum,
# anonymous_transaction_count).
SHAPE = "8"
SHAPE_META_KEY = "rollup_shape"

# The latest day of any fact: an all-time rollup answers "up to as_of" when nothing happened after it.
_LATEST_FACT_DAY = """
SELECT CAST(max(day) AS DATE) FROM (
    SELECT max(occurred_at) AS day FROM transactions
    UNION ALL SELECT max(occurred_at) FROM journey_events
    UNION ALL SELECT max(responded_at) FROM surveys
    UNION ALL SELECT greatest(max(opened_at), max(resolved_at)) FROM complaints
    UNION ALL SELECT max(churned_at) FROM churn_events
)
"""

_CUSTOMER_SUMMARY = f"""
CREATE OR REPLACE TABLE customer_summary AS
WITH purchases AS (
    SELECT customer_id,
           min(occurred_at) FILTER (WHERE {is_purchase_sql()}) AS first_purchase_at,
           fsum(amount) AS net_revenue,  -- compensated: the same bits whatever the thread order
           bool_or({is_purchase_sql()}) AS is_paying
    FROM transactions
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
),
churn AS (
    SELECT customer_id, min(churned_at) AS churned_at FROM churn_events GROUP BY customer_id
),
ids AS (
    SELECT customer_id FROM customers UNION SELECT customer_id FROM purchases
)
SELECT ids.customer_id, c.signup_at, c.segment, c.region, c.channel, c.acquisition_channel,
       c.acquisition_cost, p.first_purchase_at, coalesce(p.net_revenue, 0) AS net_revenue,
       coalesce(p.is_paying, false) AS is_paying, churn.churned_at
FROM ids
LEFT JOIN customers AS c USING (customer_id)
LEFT JOIN purchases AS p USING (customer_id)
LEFT JOIN churn USING (customer_id)
"""

_ANONYMOUS = is_anonymous_sql("t.customer_id")
_TRANSACTION_DAILY = f"""
CREATE OR REPLACE TABLE transaction_daily AS
SELECT CAST(t.occurred_at AS DATE) AS day, t.channel, c.segment, c.region, c.acquisition_channel,
       fsum(t.amount) AS amount_sum, count(*) AS transaction_count,
       fsum(t.amount) FILTER (WHERE {_ANONYMOUS}) AS anonymous_amount_sum,
       count(*) FILTER (WHERE {_ANONYMOUS}) AS anonymous_transaction_count
FROM transactions AS t
LEFT JOIN customers AS c ON c.customer_id = t.customer_id
GROUP BY ALL
"""

def _build_survey_daily(con) -> None:
    """``survey_daily``: the metrics' survey counts (``rules.survey_counts``, the same expression
    the definitions run) per day × touchpoint × channel × customer segment, region and
    acquisition channel."""
    db = ibis.duckdb.from_connection(con)
    surveys, customers = db.table("surveys"), db.table("customers")
    joined = surveys.left_join(customers, surveys.customer_id == customers.customer_id).select(
        surveys, segment=customers.segment, region=customers.region, acquisition_channel=customers.acquisition_channel
    )
    daily = joined.group_by(
        day=joined.responded_at.date(), touchpoint=joined.touchpoint, channel=joined.channel, segment=joined.segment,
        region=joined.region, acquisition_channel=joined.acquisition_channel,
    ).aggregate(**survey_counts(joined))  # fmt: skip
    con.execute(f"CREATE OR REPLACE TABLE survey_daily AS {ibis.to_sql(daily, dialect='duckdb')}")


_JOURNEY_FIRST = """
CREATE OR REPLACE TABLE journey_first AS
SELECT customer_id, stage, min(occurred_at) AS first_at,
       min(channel) FILTER (WHERE occurred_at = first_event_at) AS first_channel
FROM (
    SELECT customer_id, stage, occurred_at, channel,
           min(occurred_at) OVER (PARTITION BY customer_id, stage) AS first_event_at
    FROM journey_events
)
GROUP BY customer_id, stage
"""


# Base rollup -> the tables it reads: a load that changed none of them leaves it as it is.
# Extension statements are rebuilt on every refresh unless their module lists ``SOURCES``
# (one set of table names per statement, or None for "all").
_BASE_STATEMENTS = (
    (_CUSTOMER_SUMMARY, {"customers", "transactions", "churn_events"}),
    (_TRANSACTION_DAILY, {"transactions", "customers"}),
    (_build_survey_daily, {"surveys", "customers"}),
    (_JOURNEY_FIRST, {"journey_events"}),
)


def _statements() -> list[tuple[object, set[str] | None]]:
    statements = list(_BASE_STATEMENTS)
    for name in EXTENSIONS:
        module = import_module(name)
        sources = getattr(module, "SOURCES", (None,) * len(module.STATEMENTS))
        statements += list(zip(module.STATEMENTS, sources, strict=True))
    return statements


def refresh_rollups(con, changed: set[str] | None = None) -> None:
    """Rebuild the rollups from the facts and mark them fresh for the current data version.

    ``changed``: the tables a load or undo changed; rollups that read none of them are kept
    (all are rebuilt when it is None, or when a rollup table is missing). Call it inside the same
    transaction as the load that changed the facts, so readers never see new facts with old
    rollups marked fresh.
    """
    if changed is not None and not _laid_out_as_today(con):
        changed = None  # a rollup is missing or was built by code that laid it out differently
    for statement, sources in _statements():
        if changed is not None and sources is not None and not (sources & changed):
            continue
        if callable(statement):
            statement(con)
        else:
            con.execute(statement)
    latest = {
        "transaction": con.execute("SELECT CAST(max(occurred_at) AS DATE) FROM transactions").fetchall()[0][0],
        "event": con.execute("SELECT CAST(max(occurred_at) AS DATE) FROM journey_events").fetchall()[0][0],
        "fact": con.execute(_LATEST_FACT_DAY).fetchall()[0][0],
    }
    meta = read_meta(con)
    write_meta(
        con,
        rollup_version=meta.get("data_version", ""),
        **{SHAPE_META_KEY: SHAPE},
        **{f"rollup_max_{kind}_day": day.isoformat() if day else "" for kind, day in latest.items()},
    )


def _laid_out_as_today(con) -> bool:
    """True when every rollup table exists and was built by code of today's ``SHAPE``."""
    existing = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    return existing.issuperset(ROLLUP_TABLES) and read_meta(con).get(SHAPE_META_KEY) == SHAPE


def rollups_are_current(con) -> bool:
    """True when the rollups on ``con`` (a DuckDB connection) answer for its data as today's code
    lays them out: every rollup table there, built by code of this ``SHAPE``, for the current data
    version. Otherwise the router reads the raw tables (the same numbers, slower) until the next
    load or undo, or ``python -m cxdata refresh``, rebuilds them."""
    return _laid_out_as_today(con) and meta_says_fresh(read_meta(con))


def fetch_rollups_out_of_date(db) -> bool:
    """True when the DuckDB database behind the Ibis backend ``db`` holds rollups that are not
    current (``rollups_are_current``): the dashboard then tells its admins to refresh them."""
    return is_duckdb(db) and not rollups_are_current(db.con)


def meta_says_fresh(meta: dict[str, str], as_of: date | None = None, *, facts: str = "transaction") -> bool:
    """True when the rollups match the data and, given ``as_of``, hold no ``facts`` after it.

    ``facts`` is "transaction" (all-time revenue), "event" (first journey events) or "fact" (any
    fact table: transactions, journey events, surveys, complaints opened or resolved, churn): an
    all-time rollup equals the rollup "up to as_of" only if nothing of that kind happened after
    as_of. ``cxdata.engine.router`` is the one reader.
    """
    version = meta.get("rollup_version")
    if not version or version != meta.get("data_version"):
        return False
    if as_of is not None:
        latest = meta.get(f"rollup_max_{facts}_day")
        if latest is None:  # rollups built before this kind was tracked
            return False
        return not latest or date.fromisoformat(latest) <= as_of
    return True
