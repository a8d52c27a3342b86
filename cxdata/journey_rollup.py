"""The journey page's queries on the ``journey_customer`` rollup, as parameterized DuckDB SQL.

``cxdata.funnel`` and ``cxdata.journey`` define the funnel with Ibis expressions, which run on
any backend and on the raw tables. Compiling those expressions costs ~100-200 ms per query, more
than DuckDB needs to answer it from the rollup, so when the rollup answers (see
``funnel.journey_rollup_answers``) they call the functions here instead. The rules are the same
(module docstring of ``cxdata.funnel``), and ``tests/test_rollups_journey.py`` proves that both
paths return identical frames.

Values always travel as query parameters; the only text put into the SQL is column names made
from stage positions and the fixed dimension names below.
"""

from __future__ import annotations

import pandas as pd

from cxdata.filters import UNKNOWN, Filters
from cxdata.query import dimension_sql, period_params

# Breakdown dimension -> its column in ``journey_customer``.
DIMENSION_COLUMNS = {"segment": "segment", "channel": "entry_channel", "region": "region",
                     "acquisition_channel": "acquisition_channel"}  # fmt: skip


def _chain(filters: Filters, stage_count: int, window_days: int, columns: tuple[str, ...] = ()) -> tuple[str, dict]:
    """(SQL of the CTEs ending in ``chain``, parameters): one row per entry-cohort customer with
    the rollup's ``columns``, ``r1`` .. ``rn`` (the time the customer counts at stage k, or null)
    and ``last_position`` (the number of stages counted). Only the columns a query needs are
    read: the lists of reasons and categories are the widest part of the rollup."""
    params = period_params(filters) | {"window_days": int(window_days)}
    predicates = ["first_at_1 >= $start", "first_at_1 < $end", *dimension_sql(filters, params, channel_column="entry_channel")]
    firsts = ", ".join(f"first_at_{k}" for k in range(1, stage_count + 1))
    kept = "".join(f"{column}, " for column in columns)
    steps = [f"step_1 AS (SELECT {kept}{firsts}, first_at_1 AS r1 FROM journey_customer "
             f"WHERE {' AND '.join(predicates)})"]  # fmt: skip
    for k in range(2, stage_count + 1):
        # Null when either time is null or the window is exceeded; an earlier event is moved to
        # the previous stage's time (funnel rules).
        steps.append(
            f"step_{k} AS (SELECT *, CASE WHEN first_at_{k} <= r{k - 1} + to_days($window_days) "
            f"THEN greatest(first_at_{k}, r{k - 1}) END AS r{k} FROM step_{k - 1})"
        )
    counted = " + ".join(f"(r{k} IS NOT NULL)::BIGINT" for k in range(1, stage_count + 1))
    # Materialized: a query that reads the chain several times computes it once.
    reached = ", ".join(f"r{k}" for k in range(1, stage_count + 1))
    steps.append(f"chain AS MATERIALIZED (SELECT {kept}{reached}, {counted} AS last_position FROM step_{stage_count})")
    return "WITH " + ",\n".join(steps), params


def fetch_touchpoint_sums(con, filters: Filters, stages: list[str]) -> pd.DataFrame:
    """Survey counts of the period per touchpoint among ``stages``, from the ``survey_daily``
    rollup (fresh rollups only): ``nps_n``, ``promoters``, ``detractors``, ``csat_n``,
    ``satisfied``, ``ces_n``, ``ces_sum``, ``ces_sum_squares``; indexed by ``touchpoint``."""
    params: dict = {"start_day": filters.start, "end_day": filters.end, "stages": list(stages)}
    predicates = ["day >= $start_day", "day <= $end_day", "list_contains($stages, touchpoint)",
                  *dimension_sql(filters, params)]  # fmt: skip
    return con.execute(
        f"""SELECT touchpoint, sum(nps_count) AS nps_n, sum(promoter_count) AS promoters,
                   sum(detractor_count) AS detractors, sum(csat_count) AS csat_n,
                   sum(satisfied_count) AS satisfied, sum(ces_count) AS ces_n, sum(ces_sum) AS ces_sum,
                   sum(ces_sum_squares) AS ces_sum_squares
            FROM survey_daily WHERE {" AND ".join(predicates)} GROUP BY touchpoint""",
        params,
    ).df().set_index("touchpoint")


def _hours(k: int) -> str:
    return f"(epoch(r{k + 1}) - epoch(r{k})) / 3600"


def fetch_stage_sums(con, filters: Filters, stage_count: int, window_days: int) -> tuple[pd.DataFrame, list[float]]:
    """What ``funnel._fetch_stage_sums`` returns: (per segment ``customers_k`` and ``revenue_k``,
    median hours k → k+1), from one query."""
    ctes, params = _chain(filters, stage_count, window_days, ("segment", "net_revenue"))
    measures = ", ".join(
        f"count(r{k}) AS customers_{k}, coalesce(sum(net_revenue) FILTER (WHERE r{k} IS NOT NULL), 0) AS revenue_{k}"
        for k in range(1, stage_count + 1)
    )
    params["unknown"] = UNKNOWN
    medians = ", ".join(f"quantile_cont({_hours(k)}, 0.5) AS median_{k}" for k in range(1, stage_count))
    frame = con.execute(
        f"""{ctes},
        sums AS (SELECT coalesce(segment, $unknown) AS segment, {measures} FROM chain GROUP BY 1),
        medians AS (SELECT {medians or "NULL AS median_0"} FROM chain)
        SELECT * FROM sums CROSS JOIN medians ORDER BY segment""",
        params,
    ).df()
    counts = [f"customers_{k}" for k in range(1, stage_count + 1)]
    revenues = [f"revenue_{k}" for k in range(1, stage_count + 1)]
    frame[counts] = frame[counts].astype("int64")
    frame[revenues] = frame[revenues].astype("float64")
    # Every row carries the same medians; an empty cohort has no rows and no medians.
    median_hours = [frame[f"median_{k}"].iloc[0] if len(frame) else None for k in range(1, stage_count)]
    return frame[["segment", *counts, *revenues]], [float("nan") if pd.isna(h) else float(h) for h in median_hours]


def fetch_last_positions(con, filters: Filters, stage_count: int, window_days: int,
                         dimensions: tuple[str, ...]) -> pd.DataFrame:  # fmt: skip
    """Cohort customers per (dimension, value, last position): ``dimension``, ``value``,
    ``last_position``, ``customer_count`` — the counts ``compute_funnel_breakdowns`` pivots."""
    ctes, params = _chain(filters, stage_count, window_days, tuple(DIMENSION_COLUMNS[d] for d in dimensions))
    params["unknown"] = UNKNOWN
    parts = []
    for index, dimension in enumerate(dimensions):
        params[f"dimension_{index}"] = dimension
        parts.append(
            f"SELECT $dimension_{index} AS dimension, coalesce({DIMENSION_COLUMNS[dimension]}, $unknown) AS value, "
            f"last_position, count(*) AS customer_count FROM chain GROUP BY 2, 3"
        )
    if not parts:
        return pd.DataFrame(columns=["dimension", "value", "last_position", "customer_count"])
    return con.execute(f"{ctes} {' UNION ALL '.join(parts)}", params).df()


def fetch_loss_profile(con, filters: Filters, stage_count: int, window_days: int) -> pd.DataFrame:
    """Per last position of the lost (< n): ``lost_count``, ``churned_count``,
    ``complained_count``, ``answered_count``, ``silent_count``; indexed by ``last_position``."""
    ctes, params = _chain(filters, stage_count, window_days, ("churn_count", "complaint_count", "has_answered"))
    params["stage_count"] = stage_count
    return con.execute(
        f"""{ctes}
        SELECT last_position, count(*) AS lost_count,
               count(*) FILTER (WHERE churn_count > 0) AS churned_count,
               count(*) FILTER (WHERE complaint_count > 0) AS complained_count,
               count(*) FILTER (WHERE has_answered) AS answered_count,
               count(*) FILTER (WHERE complaint_count = 0 AND NOT has_answered) AS silent_count
        FROM chain WHERE last_position < $stage_count GROUP BY 1""",
        params,
    ).df().set_index("last_position")


def fetch_loss_reasons(con, filters: Filters, stage_count: int, window_days: int) -> pd.DataFrame:
    """Per (position, kind, value) of the lost: ``position``, ``value``, ``count``, ``kind`` —
    one per churn event (``churn_reason``) or complaint (``complaint_category``)."""
    ctes, params = _chain(filters, stage_count, window_days, ("churn_reasons", "complaint_categories"))
    params["stage_count"] = stage_count
    return con.execute(
        f"""{ctes},
        lost AS (SELECT last_position, churn_reasons, complaint_categories FROM chain
                 WHERE last_position < $stage_count)
        SELECT last_position AS position, value, count(*) AS count, 'churn_reason' AS kind
        FROM (SELECT last_position, unnest(churn_reasons) AS value FROM lost) GROUP BY 1, 2
        UNION ALL
        SELECT last_position, value, count(*), 'complaint_category'
        FROM (SELECT last_position, unnest(complaint_categories) AS value FROM lost) GROUP BY 1, 2""",
        params,
    ).df()


def fetch_time_quantiles(con, filters: Filters, stage_count: int, window_days: int) -> pd.DataFrame:
    """Per step k → k+1 made by someone: ``position`` (k), ``count``, ``p10_hours``,
    ``q1_hours``, ``median_hours``, ``q3_hours``, ``p90_hours``, ``mean_hours``."""
    ctes, params = _chain(filters, stage_count, window_days)
    columns = ["position", "count", "p10_hours", "q1_hours", "median_hours", "q3_hours", "p90_hours", "mean_hours"]
    if stage_count < 2:
        return pd.DataFrame(columns=columns)
    steps = " UNION ALL ".join(
        f"SELECT {k} AS position, {_hours(k)} AS hours FROM chain WHERE r{k + 1} IS NOT NULL"
        for k in range(1, stage_count)
    )
    # One list of quantiles per step: DuckDB orders the hours once for all five.
    return con.execute(
        f"""{ctes}, steps AS ({steps}),
        summary AS (SELECT position, count(*) AS count, quantile_cont(hours, [0.1, 0.25, 0.5, 0.75, 0.9]) AS q,
                           avg(hours) AS mean_hours
                    FROM steps GROUP BY 1)
        SELECT position, count, q[1] AS p10_hours, q[2] AS q1_hours, q[3] AS median_hours, q[4] AS q3_hours,
               q[5] AS p90_hours, mean_hours
        FROM summary""",
        params,
    ).df()
