"""The journey page's queries on the ``journey_customer`` rollup, as parameterized DuckDB SQL.

``cxdata.questions.funnel`` and ``cxdata.questions.journey`` define the funnel with Ibis expressions, which run on
any backend and on the raw tables. Compiling those expressions costs ~100-200 ms per query, more
than DuckDB needs to answer it from the rollup, so when the rollup answers (``cxdata.engine.router``) the
readers at the end of this module stand in for them. The rules are the same
(module docstring of ``cxdata.questions.funnel``), and ``tests/test_rollups_journey.py`` proves that both
paths return identical frames.

The rollup stores the funnel's chain for every window (``cxdata.engine.rollups_journey``): a customer
counts at stage k, at ``reached_at_k``, exactly when ``min_window_days_k`` <= the window, so no
query walks the chain stage by stage.

Values always travel as query parameters; the only text put into the SQL is column names made
from stage positions and the fixed dimension names below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxdata.model.filters import UNKNOWN, Filters

# Breakdown dimension -> its column in ``journey_customer``.
DIMENSION_COLUMNS = {"segment": "segment", "channel": "entry_channel", "region": "region",
                     "acquisition_channel": "acquisition_channel"}  # fmt: skip


def _cohort(filters: Filters, window_days: int) -> tuple[str, dict]:
    """(``FROM journey_customer WHERE ...`` for the entry cohort, parameters: ``$start``, ``$end``,
    the dimensions' allow-lists and ``$window_days``)."""
    params = filters.period_params() | {"window_days": int(window_days)}
    predicates = ["first_at_1 >= $start", "first_at_1 < $end",
                  *filters.sql(params, channel_column="entry_channel")]  # fmt: skip
    return f"FROM journey_customer WHERE {' AND '.join(predicates)}", params


def _counts_at(k: int) -> str:
    """True when the customer counts at stage k; null (never reached) is not true."""
    return f"min_window_days_{k} <= $window_days"


def _last_position(stage_count: int) -> str:
    """The number of stages counted: the stages counted are always the first ones, and the first
    always counts (``min_window_days_1`` is 0)."""
    return f"CASE {' '.join(f'WHEN {_counts_at(k)} THEN {k}' for k in range(stage_count, 0, -1))} END"


def _hours_to_next(k: int) -> str:
    """Hours from stage k to k+1 of a customer counted at k+1, else null: the raw path's arithmetic
    (``funnel._hours_between``), so every step's hours are the same numbers."""
    return f"CASE WHEN {_counts_at(k + 1)} THEN (epoch(reached_at_{k + 1}) - epoch(reached_at_{k})) / 3600 END"


def fetch_touchpoint_sums(con, filters: Filters, stages: list[str]) -> pd.DataFrame:
    """Survey counts of the period per touchpoint among ``stages``, from the ``survey_daily``
    rollup (fresh rollups only): ``nps_n``, ``promoters``, ``detractors``, ``csat_n``,
    ``satisfied``, ``ces_n``, ``ces_sum``, ``ces_sum_squares``, ``ces_scale_sum``,
    ``ces_scale_sum_squares``; indexed by ``touchpoint``."""
    params: dict = {"start_day": filters.start, "end_day": filters.end, "stages": list(stages)}
    predicates = ["day >= $start_day", "day <= $end_day", "list_contains($stages, touchpoint)",
                  *filters.sql(params)]  # fmt: skip
    frame = con.execute(
        f"""SELECT touchpoint, sum(nps_n) AS nps_n, sum(promoters) AS promoters,
                   sum(detractors) AS detractors, sum(csat_n) AS csat_n,
                   sum(satisfied) AS satisfied, sum(ces_n) AS ces_n, sum(ces_sum) AS ces_sum,
                   sum(ces_sum_squares) AS ces_sum_squares, sum(ces_scale_sum) AS ces_scale_sum,
                   sum(ces_scale_sum_squares) AS ces_scale_sum_squares
            FROM survey_daily WHERE {" AND ".join(predicates)} GROUP BY touchpoint""",
        params,
    ).df()
    return frame.set_index("touchpoint")


def fetch_stage_sums(con, filters: Filters, stage_count: int, window_days: int, *,
                     with_medians: bool = True) -> tuple[pd.DataFrame, list[float]]:  # fmt: skip
    """What ``funnel._fetch_stage_sums`` returns: (per segment ``customers_k`` and ``revenue_k``,
    median hours k → k+1, all NaN without ``with_medians``).

    The cohort is scanned once, into customers and revenue per segment and last stage counted (a
    customer counts at stage k exactly when the last stage counted is k or later); stage k's
    figures are then the sums over last stages >= k, on those few rows. That is about twice as
    fast as a filtered count and sum per stage over the cohort.
    """
    cohort, params = _cohort(filters, window_days)
    params["unknown"] = UNKNOWN
    rows = con.execute(
        f"""SELECT coalesce(segment, $unknown), {_last_position(stage_count)}, count(*), sum(net_revenue)
        {cohort} GROUP BY 1, 2""",
        params,
    ).fetchall()
    positions = range(1, stage_count + 1)
    # segment -> customers and revenue whose last stage counted is k, for k = 1..n.
    last = {segment: ([0] * stage_count, [0.0] * stage_count) for segment in sorted({row[0] for row in rows})}
    for segment, position, customers, revenue in rows:
        last[segment][0][position - 1] += customers
        last[segment][1][position - 1] += revenue or 0.0
    columns: dict[str, object] = {"segment": pd.array(list(last), dtype="str")}
    for k in positions:  # stage k: the customers whose last stage counted is k or later
        columns[f"customers_{k}"] = np.array([sum(customers[k - 1:]) for customers, _ in last.values()], dtype="int64")
    for k in positions:
        columns[f"revenue_{k}"] = np.array([sum(revenue[k - 1:]) for _, revenue in last.values()], dtype="float64")
    frame = pd.DataFrame(columns)
    median_hours = [float("nan")] * (stage_count - 1)
    if with_medians and stage_count > 1 and len(frame):
        cohort, params = _cohort(filters, window_days)
        medians = ", ".join(f"quantile_cont({_hours_to_next(k)}, 0.5)" for k in range(1, stage_count))
        row = con.execute(f"SELECT {medians} {cohort}", params).fetchall()[0]
        median_hours = [float("nan") if hours is None else float(hours) for hours in row]
    return frame, median_hours


def fetch_last_positions(con, filters: Filters, stage_count: int, window_days: int,
                         dimensions: tuple[str, ...]) -> pd.DataFrame:  # fmt: skip
    """Cohort customers per (dimension, value, last position): ``dimension``, ``value``,
    ``last_position``, ``customer_count`` — the counts ``compute_funnel_breakdowns`` pivots."""
    if not dimensions:
        return pd.DataFrame(columns=["dimension", "value", "last_position", "customer_count"])
    cohort, params = _cohort(filters, window_days)
    params["unknown"] = UNKNOWN
    kept = "".join(f"{DIMENSION_COLUMNS[d]}, " for d in dimensions)
    parts = []
    for index, dimension in enumerate(dimensions):
        params[f"dimension_{index}"] = dimension
        parts.append(
            f"SELECT $dimension_{index} AS dimension, coalesce({DIMENSION_COLUMNS[dimension]}, $unknown) AS value, "
            f"last_position, count(*) AS customer_count FROM positions GROUP BY 2, 3"
        )
    return con.execute(
        f"WITH positions AS (SELECT {kept}{_last_position(stage_count)} AS last_position {cohort}) "
        f"{' UNION ALL '.join(parts)}",
        params,
    ).df()


def fetch_weekly_positions(con, filters: Filters, stage_count: int, window_days: int) -> pd.DataFrame:
    """Cohort customers per (entry ``week``, ``last_position``): ``customer_count`` — the counts
    ``journey_weekly.weekly_steps`` turns into each step's conversion by week."""
    cohort, params = _cohort(filters, window_days)
    return con.execute(
        f"""SELECT date_trunc('week', first_at_1) AS week, {_last_position(stage_count)} AS last_position,
                   count(*) AS customer_count
        {cohort} GROUP BY 1, 2""",
        params,
    ).df()


def _lost(filters: Filters, stage_count: int, window_days: int, columns: tuple[str, ...]) -> tuple[str, dict]:
    """(The CTE ``lost``: ``columns`` and ``last_position`` of the cohort customers who did not
    reach the last stage, parameters)."""
    cohort, params = _cohort(filters, window_days)
    kept = "".join(f"{column}, " for column in columns)
    return (f"lost AS (SELECT {kept}{_last_position(stage_count)} AS last_position {cohort} "
            f"AND NOT coalesce({_counts_at(stage_count)}, false))"), params  # fmt: skip


def fetch_loss_profile(con, filters: Filters, stage_count: int, window_days: int) -> pd.DataFrame:
    """Per last position of the lost (< n): ``lost_count``, ``churned_count``,
    ``complained_count``, ``answered_count``, ``silent_count``; indexed by ``last_position``."""
    lost, params = _lost(filters, stage_count, window_days, ("churn_count", "complaint_count", "has_answered"))
    frame = con.execute(
        f"""WITH {lost}
        SELECT last_position, count(*) AS lost_count,
               count(*) FILTER (WHERE churn_count > 0) AS churned_count,
               count(*) FILTER (WHERE complaint_count > 0) AS complained_count,
               count(*) FILTER (WHERE has_answered) AS answered_count,
               count(*) FILTER (WHERE complaint_count = 0 AND NOT has_answered) AS silent_count
        FROM lost GROUP BY 1""",
        params,
    ).df()
    return frame.set_index("last_position")


def fetch_loss_reasons(con, filters: Filters, stage_count: int, window_days: int) -> pd.DataFrame:
    """Per (position, kind, value) of the lost: ``position``, ``value``, ``count``, ``kind`` —
    one per churn event (``churn_reason``) or complaint (``complaint_category``)."""
    lost, params = _lost(filters, stage_count, window_days, ("churn_reasons", "complaint_categories"))
    return con.execute(
        f"""WITH {lost}
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
    columns = ["position", "count", "p10_hours", "q1_hours", "median_hours", "q3_hours", "p90_hours", "mean_hours"]
    if stage_count < 2:
        return pd.DataFrame(columns=columns)
    cohort, params = _cohort(filters, window_days)
    hours = ", ".join(f"{_hours_to_next(k)} AS hours_{k}" for k in range(1, stage_count))
    steps = " UNION ALL ".join(
        f"SELECT {k} AS position, hours_{k} AS hours FROM made WHERE hours_{k} IS NOT NULL"
        for k in range(1, stage_count)
    )
    # Only a customer who made the first step made any. One list of quantiles per step: DuckDB
    # orders the hours once for all five.
    return con.execute(
        f"""WITH made AS (SELECT {hours} {cohort} AND {_counts_at(2)}), steps AS ({steps}),
        summary AS (SELECT position, count(*) AS count, quantile_cont(hours, [0.1, 0.25, 0.5, 0.75, 0.9]) AS q,
                           avg(hours) AS mean_hours
                    FROM steps GROUP BY 1)
        SELECT position, count, q[1] AS p10_hours, q[2] AS q1_hours, q[3] AS median_hours, q[4] AS q3_hours,
               q[5] AS p90_hours, mean_hours
        FROM summary""",
        params,
    ).df()


# The readers of the saved copies behind the journey questions (``cxdata.engine.router``): the same
# arguments and result as the definitions they stand in for (``cxdata.questions.funnel``, ``cxdata.questions.journey``).


def stage_sums(db, filters: Filters, as_of, window_days: int, stages: list[str], with_medians: bool):
    return fetch_stage_sums(db.con, filters, len(stages), window_days, with_medians=with_medians)


def last_positions(db, filters: Filters, as_of, window_days: int, stages: list[str], dimensions) -> pd.DataFrame:
    return fetch_last_positions(db.con, filters, len(stages), window_days, tuple(dimensions))


def weekly_positions(db, filters: Filters, as_of, window_days: int, stages: list[str]) -> pd.DataFrame:
    return fetch_weekly_positions(db.con, filters, len(stages), window_days)


def loss_sums(db, filters: Filters, as_of, window_days: int, stages: list[str]) -> pd.DataFrame:
    return fetch_loss_profile(db.con, filters, len(stages), window_days)


def reason_counts(db, filters: Filters, as_of, window_days: int, stages: list[str]) -> pd.DataFrame:
    return fetch_loss_reasons(db.con, filters, len(stages), window_days)


def time_sums(db, filters: Filters, as_of, window_days: int, stages: list[str]) -> pd.DataFrame:
    return fetch_time_quantiles(db.con, filters, len(stages), window_days).set_index("position")


def touchpoint_sums(db, filters: Filters, stages: list[str]) -> pd.DataFrame:
    return fetch_touchpoint_sums(db.con, filters, stages)
