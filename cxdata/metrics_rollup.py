"""The survey and revenue counts of ``cxdata.metrics`` on the daily rollups, as parameterized
DuckDB SQL.

``cxdata.metrics`` defines the counts with Ibis expressions, which run on any backend and on the
raw tables. On the ``survey_daily`` and ``transaction_daily`` rollups the query is a filtered sum
by period (and trend period), which DuckDB answers in a few milliseconds, less than Ibis needs to
compile it; so when the rollups are fresh ``fetch_survey_counts`` and ``fetch_revenue_sums`` call
``fetch_daily_sums`` instead. The rules are the same (``metrics.in_period``,
``query.filter_daily_rollup``), and ``tests/test_rollups.py`` proves that both paths give the same
metrics and trends.

Values always travel as query parameters; the only text put into the SQL is our own column names.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cxdata.filters import Filters
from cxdata.query import dimension_sql

# Trend grain -> DuckDB's date_trunc part (Ibis's "W" and "M": ISO weeks from Monday, months).
TRUNCATE_PARTS = {"week": "week", "month": "month"}

# Count name -> its sum over ``survey_daily`` (the names of ``metrics.survey_aggregates``).
SURVEY_SUMS = {
    "nps_n": "nps_count", "promoters": "promoter_count", "detractors": "detractor_count", "csat_n": "csat_count",
    "satisfied": "satisfied_count", "ces_n": "ces_count", "ces_sum": "ces_sum", "ces_sum_squares": "ces_sum_squares",
}  # fmt: skip
# Count name -> its sum over ``transaction_daily`` (the names of ``metrics.fetch_revenue_sums``).
REVENUE_SUMS = {"revenue": "amount_sum", "n": "transaction_count"}
# Sums that are money (DOUBLE); every other sum is a whole count, returned as int64.
MONEY_COLUMNS = {"amount_sum"}


def fetch_daily_sums(con, table: str, periods: Sequence[Filters], sums: dict[str, str],
                     grain: str | None = None) -> pd.DataFrame:  # fmt: skip
    """``sums`` (count name -> rollup column) of ``table`` per period index (``period``: which of
    the disjoint ``periods`` the day falls in) and, with a ``grain``, per trend period
    (``period_start``, the week or month of the day), for the periods' dimensions."""
    params: dict = {"span_start": min(p.start for p in periods), "span_end": max(p.end for p in periods)}
    cases = []
    for index, period in enumerate(periods):
        params[f"start_{index}"], params[f"end_{index}"] = period.start, period.end
        cases.append(f"WHEN day >= $start_{index} AND day <= $end_{index} THEN {index}")
    keys = [f"CAST(CASE {' '.join(cases)} END AS TINYINT) AS period"]
    if grain is not None:
        keys.append(f"date_trunc('{TRUNCATE_PARTS[grain]}', CAST(day AS TIMESTAMP)) AS period_start")
    measures = [
        f"CAST(sum({column}) AS {'DOUBLE' if column in MONEY_COLUMNS else 'BIGINT'}) AS {name}"
        for name, column in sums.items()
    ]
    predicates = ["day >= $span_start", "day <= $span_end", *dimension_sql(periods[0], params)]
    return con.execute(
        f"SELECT {', '.join(keys + measures)} FROM {table} WHERE {' AND '.join(predicates)} GROUP BY ALL",
        params,
    ).df()
