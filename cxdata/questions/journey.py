"""The customer journey beyond the funnel: the funnel broken down by dimension, and compared with
the previous period. ``Filters`` in, DataFrames out; no Streamlit.

The journey page's other questions are ``journey_loss`` (why customers leave, silent loss, lost
value) and ``journey_moments`` (moments of truth, time to convert); its texts and headline are
``cxdata.presentation.journey_text``. Every function follows the funnel's rules
(``cxdata.questions.funnel``: entry cohort, window, out-of-order and repeat rules) and takes the
same ``window_days`` and ``stages``. The rules added here:

- **Small samples** (n < ``MIN_SAMPLE_SIZE``) are flagged; they never decide a headline.
- **A fall in step conversion** is called out as real when its two-proportion |z| reaches
  ``NOTABLE_Z``.
"""

from __future__ import annotations

from datetime import date
from itertools import accumulate

import ibis
import pandas as pd

from cxdata.analysis.stats import two_proportion_z
from cxdata.engine import journey_rollup
from cxdata.engine.router import JOURNEY_CUSTOMER, answered_by
from cxdata.model.filters import UNKNOWN, Filters
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.questions.funnel import (
    DEFAULT_WINDOW_DAYS,
    FUNNEL_COLUMNS,
    STAGE_COUNT_DTYPES,
    cohort_last_stages,
    stage_count_rows,
    validate_stages,
    validate_window_days,
)

# Breakdown dimension -> where its value comes from (the channel is the entry event's, as in the filter).
BREAKDOWN_DIMENSIONS = ("segment", "channel", "region", "acquisition_channel")
# A fall in step conversion is called out as real when its two-proportion |z| reaches this.
NOTABLE_Z = 2.0


# ---------------------------------------------------------------- labels and helpers


def fetch_stage_labels(db, lang: str) -> dict[str, str]:
    """Stage name -> its label in ``lang`` from ``journey_stages`` (the name when a label is missing).

    Stages the table does not know (an extract's own names) are absent: use ``labels.get(s, s)``.
    """
    stages = db.table("journey_stages").execute()
    column = "label_ru" if lang == "ru" else "label_en"
    return {row.stage: (getattr(row, column) or row.stage) if isinstance(getattr(row, column), str) else row.stage
            for row in stages.itertuples(index=False)}  # fmt: skip


# ---------------------------------------------------------------- breakdowns and the previous period


def compute_funnel_breakdowns(db, filters: Filters, as_of: date, *, window_days: int = DEFAULT_WINDOW_DAYS,
                              stages: list[str] | None = None,
                              dimensions: tuple[str, ...] = BREAKDOWN_DIMENSIONS) -> pd.DataFrame:  # fmt: skip
    """The funnel once per value of each dimension, side by side.

    One row per (dimension, value, stage): ``dimension`` (one of ``BREAKDOWN_DIMENSIONS``),
    ``value``, then the count columns of ``compute_funnel`` (``stage``, ``position``, ``customers``,
    ``step_conversion``, ``overall_conversion``, ``dropped``, ``drop_rate``) and
    ``is_small_sample`` (fewer than ``MIN_SAMPLE_SIZE`` customers at the previous stage, the
    base of the step conversion). Values are the customer's segment / region / acquisition channel
    ("Unknown" when missing) and the channel of the entry event, so a value's rows equal
    ``compute_funnel`` with the filter narrowed to that value. Values come in order of entry
    cohort size, largest first; only values with someone in the cohort appear.
    """
    stages = validate_stages(db, stages)
    unknown = [d for d in dimensions if d not in BREAKDOWN_DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown breakdown dimensions: {', '.join(unknown)} (use {', '.join(BREAKDOWN_DIMENSIONS)})")
    counts = _fetch_last_positions(db, filters, as_of, validate_window_days(window_days), stages, tuple(dimensions))
    n = len(stages)
    rows = []
    for dimension in dimensions:
        of_dimension = counts[counts["dimension"] == dimension]
        last_counts: dict[str, list[int]] = {}  # value -> customers whose last stage is k, per k
        for value, position, count in zip(of_dimension["value"], of_dimension["last_position"],
                                          of_dimension["customer_count"]):  # fmt: skip
            last_counts.setdefault(value, [0] * n)[int(position) - 1] += int(count)
        # Customers at stage k = those whose last stage is k or later.
        reached = {value: list(accumulate(per_stage[::-1]))[::-1] for value, per_stage in last_counts.items()}
        for value in sorted(sorted(reached), key=lambda v: -reached[v][0]):  # largest cohort first, then by name
            for row in stage_count_rows(stages, reached[value]):
                base = reached[value][row["position"] - 2] if row["position"] > 1 else row["customers"]
                rows.append({"dimension": dimension, "value": value, **row, "is_small_sample": base < MIN_SAMPLE_SIZE})
    columns = ["dimension", "value", *FUNNEL_COLUMNS[:7], "is_small_sample"]
    result = pd.DataFrame(rows, columns=columns)
    return result.astype(STAGE_COUNT_DTYPES | {"is_small_sample": "bool"})


@answered_by(JOURNEY_CUSTOMER, saved=journey_rollup.last_positions)
def _fetch_last_positions(db, filters, as_of, window_days, stages, dimensions) -> pd.DataFrame:
    """Cohort customers per (``dimension``, ``value``, ``last_position``): ``customer_count``."""
    last = cohort_last_stages(db, filters, as_of, window_days=window_days, stages=stages, with_entry_channel=True)
    people = db.table("customers")
    joined = last.left_join(people, "customer_id").select(last, *(people[d] for d in dimensions if d != "channel"))
    parts = []
    for dimension in dimensions:
        value = joined.entry_channel if dimension == "channel" else joined[dimension]
        parts.append(
            joined.group_by(value=value.fill_null(UNKNOWN), last_position=joined.last_position)
            .aggregate(customer_count=joined.count())
            .mutate(dimension=ibis.literal(dimension))
        )
    return ibis.union(*parts, distinct=False).execute() if parts else pd.DataFrame()


COMPARISON_COLUMNS = (
    "stage", "position", "from_stage", "current_base_count", "current_count", "current_step_conversion",
    "previous_base_count", "previous_count", "previous_step_conversion", "change", "z", "is_small_sample",
)  # fmt: skip


def compare_funnels(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Step conversions of two funnels over the same stages, one row per step into stage k ≥ 2.

    Columns: ``stage`` (k), ``position``, ``from_stage`` (k−1); per period ``*_base_count``
    (customers at k−1), ``*_count`` (at k) and ``*_step_conversion``; ``change`` (current −
    previous, as a share: −0.05 is five percentage points worse); ``z`` (two-proportion z of the
    change, pooled variance); ``is_small_sample`` (either base < ``MIN_SAMPLE_SIZE``).
    """
    if current["stage"].tolist() != previous["stage"].tolist():
        raise ValueError("the two funnels must have the same stages in the same order")
    rows = []
    for k in range(1, len(current)):
        now, before = current.iloc[k], previous.iloc[k]
        now_base, before_base = int(current.iloc[k - 1]["customers"]), int(previous.iloc[k - 1]["customers"])
        rows.append({
            "stage": now["stage"], "position": int(now["position"]), "from_stage": current.iloc[k - 1]["stage"],
            "current_base_count": now_base, "current_count": int(now["customers"]),
            "current_step_conversion": float(now["step_conversion"]),
            "previous_base_count": before_base, "previous_count": int(before["customers"]),
            "previous_step_conversion": float(before["step_conversion"]),
            "change": float(now["step_conversion"]) - float(before["step_conversion"]),
            "z": two_proportion_z(int(now["customers"]), now_base, int(before["customers"]), before_base),
            "is_small_sample": min(now_base, before_base) < MIN_SAMPLE_SIZE,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def find_worst_fall(comparison: pd.DataFrame) -> pd.Series | None:
    """The step whose conversion fell most (most negative ``change``) among steps without a small
    sample; None when no such step fell."""
    fell = comparison[~comparison["is_small_sample"] & (comparison["change"] < 0)]
    return None if fell.empty else fell.loc[fell["change"].idxmin()]
