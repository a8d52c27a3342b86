"""Why customers leave the journey, who leaves in silence, and what the leaks cost. ``Filters`` in,
DataFrames out; no Streamlit. The funnel's rules apply (``cxdata.questions.journey``), and:

- **Lost at stage k** = in the entry cohort, counted at stage k but not at k+1 (the funnel's
  ``dropped``); nobody is lost at the last stage. A customer is lost at exactly one stage.
- **What a lost customer did** is read over their whole history up to the ``as_of`` day, whatever
  the period, channel or touchpoint: their churn event (``churn_events.reason``), their
  complaints (``complaints.category``) and their survey answers. Missing reasons and categories
  are "not_stated".
- **Silent** = lost, never complained and never answered a survey (anonymous answers cannot be
  tied to anyone, so they do not count as answers).
- **Lost value** of a stage = its lost customers × the mean net revenue of the segment's customers
  who reached the next stage (the funnel's ``lost_value``).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import ibis
import pandas as pd

from cxdata.analysis.stats import wilson_interval
from cxdata.engine import journey_rollup
from cxdata.engine.query import day_start
from cxdata.engine.rollups_journey import NOT_STATED
from cxdata.engine.router import JOURNEY_CUSTOMER, answered_by
from cxdata.model.filters import Filters
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.questions.funnel import DEFAULT_WINDOW_DAYS, cohort_last_stages, validate_stages, validate_window_days

LOSS_KINDS = ("churn_reason", "complaint_category")


# ---------------------------------------------------------------- why they leave, silent loss


def _as_of_end(as_of: date):
    return ibis.timestamp(day_start(as_of + timedelta(days=1)))


def _lost_customers(db, filters, as_of, window_days, stages: list[str]):
    """Ibis table of lost cohort customers: ``customer_id``, ``last_position`` (stages validated)."""
    last = cohort_last_stages(db, filters, as_of, window_days=window_days, stages=stages)
    return last.filter(last.last_position < len(stages)).select("customer_id", "last_position")


def _history(db, as_of: date) -> dict:
    """Each table a lost customer's history is read from, cut at the as-of day."""
    end = _as_of_end(as_of)
    churn, complaints, surveys = db.table("churn_events"), db.table("complaints"), db.table("surveys")
    return {
        "churn": churn.filter(churn.churned_at < end),
        "complaints": complaints.filter(complaints.opened_at < end, complaints.customer_id.notnull()),
        "surveys": surveys.filter(surveys.responded_at < end, surveys.customer_id.notnull()),
    }


def compute_loss_profile(db, filters: Filters, as_of: date, *, window_days: int = DEFAULT_WINDOW_DAYS,
                         stages: list[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """What the customers lost at each stage did, in one query: one row per stage that can lose
    anyone (all but the last), in journey order.

    Columns: ``stage``, ``next_stage``, ``position``, ``lost_count`` (= the funnel's ``dropped``),
    ``churned_count`` (with a churn event up to as_of: the refusals), ``complained_count``,
    ``answered_count`` (answered a survey) and ``silent_count`` (neither complained nor answered).
    ``summarize_loss_shares`` and ``summarize_silent_loss`` turn it into what the page shows.
    """
    stages = validate_stages(db, stages)
    sums = _fetch_loss_sums(db, filters, as_of, validate_window_days(window_days), stages)
    positions = range(1, len(stages))
    profile = sums.reindex(positions).fillna(0).astype("int64").rename_axis("position").reset_index()
    profile.insert(0, "stage", [stages[k - 1] for k in positions])
    profile.insert(1, "next_stage", [stages[k] for k in positions])
    return profile


@answered_by(JOURNEY_CUSTOMER, saved=journey_rollup.loss_sums)
def _fetch_loss_sums(db, filters, as_of, window_days, stages) -> pd.DataFrame:
    """``compute_loss_profile``'s counts per ``last_position`` of the lost, from the raw tables."""
    lost = _lost_customers(db, filters, as_of, window_days, stages)
    history = _history(db, as_of)
    flagged = lost.mutate(
        is_churned=lost.customer_id.isin(history["churn"].customer_id),
        has_complained=lost.customer_id.isin(history["complaints"].customer_id),
        has_answered=lost.customer_id.isin(history["surveys"].customer_id),
    )
    is_silent = ~flagged.has_complained & ~flagged.has_answered
    return (
        flagged.group_by("last_position")
        .aggregate(
            lost_count=flagged.count(), churned_count=flagged.is_churned.sum(),
            complained_count=flagged.has_complained.sum(), answered_count=flagged.has_answered.sum(),
            silent_count=is_silent.sum(),
        )  # fmt: skip
        .execute()
        .set_index("last_position")
    )


def summarize_loss_shares(profile: pd.DataFrame) -> pd.DataFrame:
    """Where the lost customers were lost, from ``compute_loss_profile``: one row per stage.

    Columns: ``stage``, ``next_stage``, ``position``, ``lost_count``, ``lost_share`` (of all lost
    customers), ``churned_count`` (the refusals), ``churned_share`` (of all refusals), so
    "40% of refusals come from registration" reads off ``churned_share``. NaN shares when nobody.
    """
    result = profile[["stage", "next_stage", "position", "lost_count", "churned_count"]].copy()
    lost_total, churned_total = result["lost_count"].sum(), result["churned_count"].sum()
    result["lost_share"] = result["lost_count"] / lost_total if lost_total else math.nan
    result["churned_share"] = result["churned_count"] / churned_total if churned_total else math.nan
    return result[["stage", "next_stage", "position", "lost_count", "lost_share", "churned_count", "churned_share"]]


def summarize_silent_loss(profile: pd.DataFrame) -> pd.DataFrame:
    """The silent share of each stage's lost customers, from ``compute_loss_profile``.

    One row per stage: ``stage``, ``next_stage``, ``position``, ``lost_count``,
    ``complained_count``, ``answered_count``, ``silent_count``, ``silent_share`` (silent / lost,
    NaN when nobody was lost), ``low``/``high`` (95% Wilson interval, as shares),
    ``is_small_sample`` (lost_count < ``MIN_SAMPLE_SIZE``).
    """
    result = profile[["stage", "next_stage", "position", "lost_count", "complained_count", "answered_count",
                      "silent_count"]].copy()  # fmt: skip
    intervals = [wilson_interval(int(s), int(n)) for s, n in zip(result["silent_count"], result["lost_count"])]
    result["silent_share"] = [i[0] / 100 if i else math.nan for i in intervals]
    result["low"] = [i[1] / 100 if i else math.nan for i in intervals]
    result["high"] = [i[2] / 100 if i else math.nan for i in intervals]
    result["is_small_sample"] = result["lost_count"] < MIN_SAMPLE_SIZE
    return result


def compute_loss_reasons(db, filters: Filters, as_of: date, *, window_days: int = DEFAULT_WINDOW_DAYS,
                         stages: list[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """Why the customers lost at each stage left: churn reasons and complaint categories as shares.

    One row per (stage, kind, value): ``stage``, ``next_stage``, ``position``, ``kind``
    (``churn_reason``: one per lost customer with a churn event; ``complaint_category``: one per
    complaint the lost customers filed), ``value`` (the reason or category, "not_stated" when
    missing), ``count``, ``total_count`` (the stage's churned lost customers, or their complaints)
    and ``share`` = count / total_count. Within a stage and kind, values come largest first; stages
    where nobody churned or complained have no rows of that kind.
    """
    stages = validate_stages(db, stages)
    counts = _fetch_reason_counts(db, filters, as_of, validate_window_days(window_days), stages)
    columns = ["stage", "next_stage", "position", "kind", "value", "count", "total_count", "share"]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    counts["count"] = counts["count"].astype("int64")
    counts["total_count"] = counts.groupby(["position", "kind"])["count"].transform("sum")
    counts["share"] = counts["count"] / counts["total_count"]
    counts["stage"] = [stages[k - 1] for k in counts["position"]]
    counts["next_stage"] = [stages[k] for k in counts["position"]]
    counts["kind_order"] = counts["kind"].map(LOSS_KINDS.index)
    ordered = counts.sort_values(["position", "kind_order", "count", "value"], ascending=[True, True, False, True])
    return ordered[columns].reset_index(drop=True)


@answered_by(JOURNEY_CUSTOMER, saved=journey_rollup.reason_counts)
def _fetch_reason_counts(db, filters, as_of, window_days, stages) -> pd.DataFrame:
    """``position``, ``value``, ``count``, ``kind`` of the lost customers' churn events and
    complaints, from the raw tables."""
    lost = _lost_customers(db, filters, as_of, window_days, stages)
    history = _history(db, as_of)
    parts = []
    for kind, table, column in (("churn_reason", history["churn"], "reason"),
                                ("complaint_category", history["complaints"], "category")):  # fmt: skip
        joined = lost.join(table, "customer_id")
        parts.append(
            joined.group_by(position=joined.last_position, value=joined[column].fill_null(NOT_STATED))
            .aggregate(count=joined.count())
            .mutate(kind=ibis.literal(kind))
        )
    return ibis.union(*parts, distinct=False).execute()


# ---------------------------------------------------------------- lost value


def build_lost_value_steps(funnel: pd.DataFrame) -> pd.DataFrame:
    """Where the money leaves, from a ``compute_funnel`` frame: one row per stage that can lose anyone.

    Columns: ``stage``, ``next_stage``, ``position``, ``dropped``, ``lost_value`` (as in the funnel:
    dropped × the mean net revenue of the segment's customers who reached the next stage),
    ``cumulative_lost_value`` (running total in journey order, NaN values counted as 0) and
    ``lost_value_share`` (of the total). A waterfall draws these plus the total.
    """
    steps = funnel.iloc[:-1][["stage", "position", "dropped", "lost_value"]].copy()
    steps.insert(1, "next_stage", funnel["stage"].iloc[1:].tolist())
    known = steps["lost_value"].fillna(0.0)
    steps["cumulative_lost_value"] = known.cumsum()
    total = known.sum()
    steps["lost_value_share"] = known / total if total else math.nan
    return steps.reset_index(drop=True)


def find_worst_stage(funnel: pd.DataFrame) -> pd.Series | None:
    """The funnel row that loses the most money (largest ``lost_value``; the most ``dropped`` when no
    value is known); None when nobody was lost."""
    candidates = funnel.iloc[:-1]
    candidates = candidates[candidates["dropped"] > 0]
    if candidates.empty:
        return None
    if candidates["lost_value"].fillna(0).gt(0).any():
        return candidates.loc[candidates["lost_value"].fillna(0).idxmax()]
    return candidates.loc[candidates["dropped"].idxmax()]
