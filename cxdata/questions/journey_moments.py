"""How each stage of the journey felt, and how long each step took. ``Filters`` in, DataFrames out;
no Streamlit. The funnel's rules apply (``cxdata.questions.journey``), and:

- **Moments of truth** are the survey answers dated in the period (the same selection as the KPI
  tiles), grouped by ``touchpoint``; touchpoints that are not funnel stages are left out.
- **Weakest stage**: the lowest CSAT among stages with at least ``MIN_SAMPLE_SIZE`` CSAT answers;
  when no stage has that many, the lowest CES among stages with at least ``MIN_SAMPLE_SIZE`` CES
  answers; otherwise none. CSAT (a share) and CES (a 1–7 mean) are never ranked against each other.
- **Time to convert** counts the customers who made a step within the window, in hours.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from cxdata.analysis.stats import mean_interval, nps_interval, wilson_interval
from cxdata.engine import journey_rollup
from cxdata.engine.router import CURRENT, JOURNEY_CUSTOMER, answered_by
from cxdata.model.filters import Filters
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.model.rules import common_scale_top
from cxdata.questions.funnel import (
    DEFAULT_WINDOW_DAYS,
    time_to_convert_table,
    validate_stages,
    validate_window_days,
)
from cxdata.questions.metrics import ces_stats, survey_aggregates


# ---------------------------------------------------------------- moments of truth

MOMENTS_COLUMNS = ("stage", "position", "metric", "value", "low", "high", "n", "is_small_sample", "is_weakest")


def compute_moments_of_truth(db, filters: Filters, *, stages: list[str] | None = None) -> pd.DataFrame:
    """NPS, CSAT and CES of the survey answers dated in the period, by touchpoint (= stage).

    One row per (stage, metric), stages in journey order, metrics ``nps`` (points), ``csat`` (%),
    ``ces`` (1–7): ``value``, ``low``/``high`` (95% interval, as the KPI tiles compute it; NaN
    without one), ``n`` (answers), ``is_small_sample`` (n < ``MIN_SAMPLE_SIZE``), ``is_weakest``
    (every row of the weakest stage, see the module rules). A stage without answers has n = 0
    and NaN values.
    """
    stages = validate_stages(db, stages)
    sums = _touchpoint_sums(db, filters, stages)
    # A stage whose CES answers mix scales has no mean (as the KPI tile: rules.common_scale_top).
    ces = [ces_stats(int(n), total, squares)
           if pd.notna(n) and (not n or common_scale_top(int(n), top_sum, top_squares) is not None) else (None, None)
           for n, total, squares, top_sum, top_squares in zip(
               sums["ces_n"], sums["ces_sum"], sums["ces_sum_squares"], sums["ces_scale_sum"],
               sums["ces_scale_sum_squares"])]  # fmt: skip
    sums["ces_mean"] = [mean for mean, _ in ces]
    sums["ces_sd"] = [sd for _, sd in ces]
    rows = []
    for position, stage in enumerate(stages, 1):
        row = sums.loc[stage] if stage in sums.index else None

        def count(name: str) -> int:
            return 0 if row is None or pd.isna(row[name]) else int(row[name])

        def number(name: str) -> float | None:
            return None if row is None or pd.isna(row[name]) else float(row[name])

        results = {
            "nps": (nps_interval(count("promoters"), count("detractors"), count("nps_n")), count("nps_n")),
            "csat": (wilson_interval(count("satisfied"), count("csat_n")), count("csat_n")),
            "ces": (mean_interval(number("ces_mean"), number("ces_sd"), count("ces_n")), count("ces_n")),
        }
        for metric, (result, n) in results.items():
            value, low, high = result if result is not None else (math.nan, math.nan, math.nan)
            rows.append({"stage": stage, "position": position, "metric": metric, "value": value, "low": low,
                         "high": high, "n": n, "is_small_sample": n < MIN_SAMPLE_SIZE,
                         "is_weakest": False})  # fmt: skip
    moments = pd.DataFrame(rows, columns=list(MOMENTS_COLUMNS)).astype({"value": "float64", "low": "float64",
                                                                         "high": "float64", "n": "int64"})  # fmt: skip
    weakest = find_weakest_stage(moments)
    if weakest is not None:
        moments["is_weakest"] = moments["stage"] == weakest[0]
    return moments


@answered_by(CURRENT, saved=journey_rollup.touchpoint_sums)
def _touchpoint_sums(db, filters: Filters, stages: list[str]) -> pd.DataFrame:
    """The KPI tiles' survey counts (``metrics.survey_aggregates``) per touchpoint among ``stages``,
    indexed by ``touchpoint``."""
    relation, aggregates = survey_aggregates(db, filters)
    sums = relation.group_by("touchpoint").aggregate(**aggregates).execute()
    return sums[sums["touchpoint"].isin(stages)].set_index("touchpoint")


def find_weakest_stage(moments: pd.DataFrame) -> tuple[str, str] | None:
    """(stage, metric that decided) by the module rule: lowest CSAT among stages with enough CSAT
    answers, else lowest CES among stages with enough CES answers; None when neither exists."""
    for metric in ("csat", "ces"):
        candidates = moments[(moments["metric"] == metric) & ~moments["is_small_sample"] & moments["value"].notna()]
        if not candidates.empty:
            return str(candidates.loc[candidates["value"].idxmin(), "stage"]), metric
    return None


# ---------------------------------------------------------------- time to convert


def compute_time_to_convert_summary(db, filters: Filters, as_of: date, *, window_days: int = DEFAULT_WINDOW_DAYS,
                                    stages: list[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """The distribution of hours per step, summarised in the database (for a box chart).

    One row per step k → k+1 in journey order: ``from_stage``, ``to_stage``, ``position`` (k),
    ``count`` (customers counted at k+1), ``p10_hours``, ``q1_hours``, ``median_hours``,
    ``q3_hours``, ``p90_hours`` (continuous quantiles), ``mean_hours``; NaN for a step nobody made.
    The median equals ``compute_funnel``'s ``median_hours_to_next``.
    """
    stages = validate_stages(db, stages)
    columns = ["from_stage", "to_stage", "position", "count", "p10_hours", "q1_hours", "median_hours", "q3_hours",
               "p90_hours", "mean_hours"]  # fmt: skip
    if len(stages) < 2:
        return pd.DataFrame(columns=columns)
    sums = _fetch_time_sums(db, filters, as_of, validate_window_days(window_days), stages)
    positions = range(1, len(stages))
    summary = sums.reindex(positions).rename_axis("position").reset_index()
    summary["count"] = summary["count"].fillna(0).astype("int64")
    summary.insert(0, "from_stage", [stages[k - 1] for k in positions])
    summary.insert(1, "to_stage", [stages[k] for k in positions])
    return summary[columns].astype({c: "float64" for c in columns[4:]})


@answered_by(JOURNEY_CUSTOMER, saved=journey_rollup.time_sums)
def _fetch_time_sums(db, filters: Filters, as_of: date, window_days: int, stages: list[str]) -> pd.DataFrame:
    """Per step k → k+1 made by someone, indexed by ``position`` (k): ``count`` and the hours'
    quantiles and mean of ``compute_time_to_convert_summary``."""
    times = time_to_convert_table(db, filters, as_of, window_days=window_days, stages=stages)
    hours = times.hours
    return (
        times.group_by(position=times.step)
        .aggregate(count=times.count(), p10_hours=hours.quantile(0.1), q1_hours=hours.quantile(0.25),
                   median_hours=hours.median(), q3_hours=hours.quantile(0.75), p90_hours=hours.quantile(0.9),
                   mean_hours=hours.mean())  # fmt: skip
        .execute()
        .set_index("position")
    )
