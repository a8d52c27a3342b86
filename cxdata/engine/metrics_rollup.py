"""The overview's counts of ``cxdata.questions.metrics`` on the rollups, as parameterized DuckDB SQL.

``cxdata.questions.metrics`` defines the counts with Ibis expressions, which run on any backend and on the
raw tables. On the rollups (``survey_daily``, ``transaction_daily``, ``customer_summary``) each
is one filtered aggregate by period (and trend period), which DuckDB answers in a few
milliseconds, less than Ibis needs to compile it; so when the rollups are fresh the survey,
revenue, retention and acquisition counts come from here (about 2.5 times faster for the
overview). The rules are the same (``periods.in_period``, ``Filters.predicates``,
``query.customer_lifecycle``, ``query.filter_table``), and ``tests/test_rollups.py`` proves that
both paths give the same metrics, previous-period metrics and trends.

Values always travel as query parameters; the only text put into the SQL is our own column names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pandas as pd

from cxdata.engine.query import day_start
from cxdata.model.filters import Filters
from cxdata.model.rules import customer_churn_sql, not_churned_by_sql

# Trend grain -> DuckDB's date_trunc part (Ibis's "W" and "M": ISO weeks from Monday, months).
TRUNCATE_PARTS = {"week": "week", "month": "month"}

# Count name -> its sum over ``survey_daily``: the rollup holds ``rules.survey_counts`` by name.
SURVEY_SUMS = {name: name for name in (
    "nps_n", "promoters", "detractors", "csat_n", "satisfied", "ces_n", "ces_sum", "ces_sum_squares", "ces_scale_sum",
    "ces_scale_sum_squares")}  # fmt: skip
# Count name -> its sum over ``transaction_daily`` (the names of ``metrics.fetch_revenue_sums``).
REVENUE_SUMS = {"revenue": "amount_sum", "n": "transaction_count", "anonymous_revenue": "anonymous_amount_sum",
                "anonymous_n": "anonymous_transaction_count"}
# Sums that are money (DOUBLE); every other sum is a whole count, returned as int64.
MONEY_COLUMNS = {"amount_sum", "anonymous_amount_sum"}


def _periods_sql(column: str, periods: Sequence[Filters], params: dict, *, is_date: bool) -> tuple[str, list[str]]:
    """(the ``period`` index expression, the predicates of the periods' span) for ``column``, as
    ``periods.in_period`` reads it: a date falls on the period's days, a timestamp in
    [start, midnight after the end); the bounds go into ``params``."""

    def bounds(start: date, end: date) -> tuple:
        return (start, end) if is_date else (day_start(start), day_start(end + timedelta(days=1)))

    end_test = "<=" if is_date else "<"
    params["span_start"], params["span_end"] = bounds(min(p.start for p in periods), max(p.end for p in periods))
    cases = []
    for index, period in enumerate(periods):
        params[f"start_{index}"], params[f"end_{index}"] = bounds(period.start, period.end)
        cases.append(f"WHEN {column} >= $start_{index} AND {column} {end_test} $end_{index} THEN {index}")
    index = f"CAST(CASE {' '.join(cases)} END AS TINYINT)"
    return index, [f"{column} >= $span_start", f"{column} {end_test} $span_end"]


def fetch_daily_sums(con, table: str, periods: Sequence[Filters], sums: dict[str, str],
                     grain: str | None = None) -> pd.DataFrame:  # fmt: skip
    """``sums`` (count name -> rollup column) of ``table`` per period index (``period``: which of
    the disjoint ``periods`` the day falls in) and, with a ``grain``, per trend period
    (``period_start``, the week or month of the day), for the periods' dimensions."""
    params: dict = {}
    index, span = _periods_sql("day", periods, params, is_date=True)
    keys = [f"{index} AS period"]
    if grain is not None:
        keys.append(f"date_trunc('{TRUNCATE_PARTS[grain]}', CAST(day AS TIMESTAMP)) AS period_start")
    measures = [
        f"CAST(sum({column}) AS {'DOUBLE' if column in MONEY_COLUMNS else 'BIGINT'}) AS {name}"
        for name, column in sums.items()
    ]
    predicates = [*span, *periods[0].sql(params)]
    return con.execute(
        f"SELECT {', '.join(keys + measures)} FROM {table} WHERE {' AND '.join(predicates)} GROUP BY ALL",
        params,
    ).df()


def fetch_retention_counts(con, periods: Sequence[Filters], grain: str | None = None) -> pd.DataFrame:
    """``metrics.fetch_retention_counts`` on the ``customer_summary`` rollup: paying customers
    (``customers``), per period index i those active at its start (``active_i``) and still active
    at its end (``retained_i``); with a ``grain`` per (``first_period``, ``churn_period``), the
    periods before the first trend period and after the last folded into one each."""
    params: dict = {}
    measures = ["count(*) AS customers"]
    for index, period in enumerate(periods):
        params[f"start_{index}"] = day_start(period.start)
        params[f"end_{index}"] = day_start(period.end + timedelta(days=1))
        active = f"first_purchase_at < $start_{index} AND {not_churned_by_sql('churned_at', f'$start_{index}')}"
        measures.append(f"count(*) FILTER (WHERE {active}) AS active_{index}")
        retained = f"{active} AND {not_churned_by_sql('churned_at', f'$end_{index}')}"
        measures.append(f"count(*) FILTER (WHERE {retained}) AS retained_{index}")
    keys = []
    if grain is not None:
        part = TRUNCATE_PARTS[grain]
        params["first"] = day_start(periods[0].start)
        params["before"] = day_start(date.min)
        params["after"] = day_start(periods[0].end + timedelta(days=1))
        first = f"date_trunc('{part}', $first)"
        first_period = f"date_trunc('{part}', first_purchase_at)"
        churn_period = f"date_trunc('{part}', churned_at)"
        keys = [
            f"CASE WHEN {first_period} < {first} THEN $before ELSE {first_period} END AS first_period",
            (f"CASE WHEN {churn_period} < {first} THEN $before WHEN {churn_period} > $after THEN $after "
             f"ELSE {churn_period} END AS churn_period"),
        ]
    predicates = ["first_purchase_at IS NOT NULL", *periods[0].sql(params)]
    life = (f"SELECT first_purchase_at, {customer_churn_sql('churned_at', 'first_purchase_at')} AS churned_at "
            f"FROM customer_summary WHERE {' AND '.join(predicates)}")  # fmt: skip
    group = " GROUP BY ALL" if keys else ""
    return con.execute(f"WITH life AS ({life}) SELECT {', '.join(keys + measures)} FROM life{group}", params).df()


def fetch_acquisition_sums(con, periods: Sequence[Filters]) -> pd.DataFrame:
    """``metrics.fetch_acquisition_sums`` on the ``customer_summary`` rollup: people who signed up
    in each period (``contacted``), the paying ones (``paying``), acquisition ``cost`` and the
    paying ones' net ``revenue`` to the as-of date, per period index (``period``)."""
    params: dict = {}
    index, span = _periods_sql("signup_at", periods, params, is_date=False)
    # The channel is the customer's own, matched as stored (as ``query.filter_table`` narrows customers).
    predicates = [*span, *periods[0].sql(params, raw_channel=True)]
    return con.execute(
        f"""SELECT {index} AS period, count(*) AS contacted,
                   CAST(count(*) FILTER (WHERE coalesce(is_paying, false)) AS BIGINT) AS paying,
                   sum(acquisition_cost) AS cost,
                   sum(CASE WHEN coalesce(is_paying, false) THEN net_revenue ELSE 0 END) AS revenue
            FROM customer_summary WHERE {' AND '.join(predicates)} GROUP BY ALL""",
        params,
    ).df()


# The readers of the saved copies behind ``cxdata.questions.metrics``' questions (``cxdata.engine.router``): the
# same arguments and result as the definitions they stand in for.


def survey_counts(db, periods: Sequence[Filters], as_of: date | None = None, grain: str | None = None) -> pd.DataFrame:
    return fetch_daily_sums(db.con, "survey_daily", periods, SURVEY_SUMS, grain)


def revenue_sums(db, periods: Sequence[Filters], as_of: date | None = None, grain: str | None = None) -> pd.DataFrame:
    return fetch_daily_sums(db.con, "transaction_daily", periods, REVENUE_SUMS, grain)


def retention_counts(db, periods: Sequence[Filters], as_of: date | None = None, grain: str | None = None) -> pd.DataFrame:
    return fetch_retention_counts(db.con, periods, grain)


def acquisition_sums(db, periods: Sequence[Filters], as_of: date, grain: str | None = None) -> pd.DataFrame:
    return fetch_acquisition_sums(db.con, periods)
