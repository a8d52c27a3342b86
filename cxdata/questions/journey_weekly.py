"""Time on the journey: each step's conversion by entry week, beside the same weeks a year before.

A step that broke last month shows where it broke: the week its conversion fell, against that
week's own history (the same weeks 52 weeks earlier, so weekdays and the season line up).

Grain of the result: one row per (entry week, step). The funnel's rules apply unchanged
(``cxdata.questions.funnel``): a customer belongs to the week of their first event at the first
stage (weeks start on Monday), counts at stage k under the window, out-of-order and repeat
rules, and is read up to ``as_of``. The rules added here:

- **Step k** is the move from stage k−1 to stage k: its conversion is the customers of the week
  at k over those at k−1 (``base``).
- **The year before** is the period moved back 364 days (52 weeks), same dimensions, read up to the
  same ``as_of``; its week ``w`` is shown beside week ``w + 52 weeks``.
- **Still maturing**: a week that ends less than ``window_days`` before ``as_of`` has customers
  who may still make the step; it is flagged (``is_maturing``), not hidden.
- **Small samples** (base < ``MIN_SAMPLE_SIZE``) are flagged.
- **A notable fall** is a week whose conversion is below the same week's a year before with a
  two-proportion z at or below −``WEEKLY_NOTABLE_Z`` (3), neither side a small sample and the
  week not still maturing. Stricter than the 2 of one period against the previous one: half a
  year of weeks times four steps is about a hundred comparisons, where z ≤ −2 flags two or
  three quiet weeks by chance and z ≤ −3 about one in ten views.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from cxdata.analysis.stats import two_proportion_z
from cxdata.engine import journey_rollup
from cxdata.engine.router import JOURNEY_CUSTOMER, answered_by
from cxdata.model.filters import Filters
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.questions.funnel import DEFAULT_WINDOW_DAYS, cohort_last_stages, validate_stages, validate_window_days

WEEKLY_NOTABLE_Z = 3.0
YEAR_BACK = timedelta(days=364)  # 52 weeks: the same weekday a year before
WEEKLY_COLUMNS = ("week", "position", "from_stage", "stage", "base", "customers", "step_conversion",
                  "is_small_sample", "is_maturing", "previous_week", "previous_base", "previous_customers",
                  "previous_step_conversion", "previous_is_small_sample", "z", "is_notable_fall")  # fmt: skip


def year_before(filters: Filters) -> Filters:
    """The same period 52 weeks earlier, same dimensions."""
    return replace(filters, start=filters.start - YEAR_BACK, end=filters.end - YEAR_BACK)


@answered_by(JOURNEY_CUSTOMER, saved=journey_rollup.weekly_positions)
def _fetch_weekly_positions(db, filters: Filters, as_of: date, window_days: int, stages: list[str]) -> pd.DataFrame:
    """Cohort customers per (entry ``week``, ``last_position``): ``customer_count``."""
    last = cohort_last_stages(db, filters, as_of, window_days=window_days, stages=stages, with_entered_at=True)
    week = last.entered_at.truncate("W")
    return last.group_by(week=week, last_position=last.last_position).aggregate(customer_count=last.count()).execute()


def weekly_steps(counts: pd.DataFrame, stages: list[str]) -> pd.DataFrame:
    """Per (week, step k = 2..n): ``base`` (customers at k−1), ``customers`` (at k),
    ``step_conversion`` (NaN without a base) and ``is_small_sample``, from the counts of
    ``_fetch_weekly_positions`` (a customer at last position p counts at every stage up to p).

    >>> counts = pd.DataFrame({"week": [pd.Timestamp("2025-01-06")] * 3, "last_position": [1, 2, 3],
    ...                        "customer_count": [5, 3, 2]})
    >>> weekly_steps(counts, ["visit", "signup", "buy"])[["position", "base", "customers", "step_conversion"]]
       position  base  customers  step_conversion
    0         2    10          5              0.5
    1         3     5          2              0.4
    """
    n = len(stages)
    rows = []
    for week, of_week in counts.groupby("week", sort=True):
        last = np.zeros(n, dtype="int64")
        for position, count in zip(of_week["last_position"], of_week["customer_count"], strict=True):
            last[int(position) - 1] += int(count)
        at = np.cumsum(last[::-1])[::-1]  # customers at stage k: last position k or later
        for k in range(2, n + 1):
            base, customers = int(at[k - 2]), int(at[k - 1])
            rows.append({"week": pd.Timestamp(week).date(), "position": k, "from_stage": stages[k - 2],
                         "stage": stages[k - 1], "base": base, "customers": customers,
                         "step_conversion": customers / base if base else float("nan"),
                         "is_small_sample": base < MIN_SAMPLE_SIZE})  # fmt: skip
    return pd.DataFrame(rows, columns=list(WEEKLY_COLUMNS[:8]))


def compute_weekly_steps(db, filters: Filters, as_of: date, *, window_days: int = DEFAULT_WINDOW_DAYS,
                         stages: list[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """Each step's conversion per entry week of the period, with the same week a year before.

    Columns: ``WEEKLY_COLUMNS``: the week's own (``week`` the Monday, ``position`` k, ``from_stage``,
    ``stage``, ``base``, ``customers``, ``step_conversion``, ``is_small_sample``,
    ``is_maturing``) and the year before's (``previous_week`` = week − 52 weeks,
    ``previous_base``, ``previous_customers``, ``previous_step_conversion``,
    ``previous_is_small_sample``; NaN / null where nobody entered that week), ``z`` of the
    change and ``is_notable_fall``. Weeks in order, then steps; only weeks where someone entered.
    """
    stages = validate_stages(db, stages)
    window_days = validate_window_days(window_days)
    now = weekly_steps(_fetch_weekly_positions(db, filters, as_of, window_days, stages), stages)
    before = weekly_steps(_fetch_weekly_positions(db, year_before(filters), as_of, window_days, stages), stages)
    before = before.rename(columns={"week": "previous_week", "base": "previous_base",
                                    "customers": "previous_customers",
                                    "step_conversion": "previous_step_conversion",
                                    "is_small_sample": "previous_is_small_sample"})  # fmt: skip
    now["previous_week"] = [week - YEAR_BACK for week in now["week"]]
    merged = now.merge(before.drop(columns=["from_stage", "stage"]), on=["previous_week", "position"], how="left")
    maturing_from = as_of - timedelta(days=window_days + 6)  # a week starting after this ends within the window
    merged["is_maturing"] = [week > maturing_from for week in merged["week"]]
    merged["previous_base"] = merged["previous_base"].astype("Int64")
    merged["previous_customers"] = merged["previous_customers"].astype("Int64")
    merged["previous_is_small_sample"] = merged["previous_is_small_sample"].astype("boolean")
    merged["z"] = [two_proportion_z(c, b, pc, pb) if pd.notna(pb) else float("nan")
                   for c, b, pc, pb in zip(merged["customers"], merged["base"], merged["previous_customers"],
                                           merged["previous_base"], strict=True)]  # fmt: skip
    merged["is_notable_fall"] = ((merged["z"] <= -WEEKLY_NOTABLE_Z) & ~merged["is_small_sample"]
                                 & ~merged["previous_is_small_sample"].fillna(True) & ~merged["is_maturing"])  # fmt: skip
    return merged[list(WEEKLY_COLUMNS)].sort_values(["week", "position"], ignore_index=True)
