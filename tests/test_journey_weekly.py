"""Each step's conversion by entry week: the funnel's own numbers per week, the year before beside
them, and the planted payment incident seen in the weeks it happened."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from cxdata.engine.query import open_backend
from cxdata.model.filters import Filters
from cxdata.questions.funnel import compute_funnel
from cxdata.questions.journey_weekly import YEAR_BACK, compute_weekly_steps, weekly_steps, year_before
from cxdata.sample.calendar import SAMPLE_AS_OF
from tests.conftest import copy_with_stale_rollups

PERIOD = Filters(date(2025, 7, 1), date(2025, 12, 31))


@pytest.fixture(scope="module")
def weekly(sample_db):
    return compute_weekly_steps(open_backend(sample_db), PERIOD, SAMPLE_AS_OF)


def test_a_week_of_three_customers_by_hand():
    counts = pd.DataFrame({"week": [pd.Timestamp("2025-01-06")] * 2 + [pd.Timestamp("2025-01-13")],
                           "last_position": [1, 3, 2], "customer_count": [1, 2, 4]})  # fmt: skip
    steps = weekly_steps(counts, ["visit", "signup", "buy"]).set_index(["week", "position"])
    # Week of 6 Jan: 3 entered, 2 signed up (last position 3 counts at 2), both bought.
    assert steps.loc[(date(2025, 1, 6), 2), ["base", "customers"]].tolist() == [3, 2]
    assert steps.loc[(date(2025, 1, 6), 3), "step_conversion"] == 1.0
    # Week of 13 Jan: 4 entered and signed up, nobody bought.
    assert steps.loc[(date(2025, 1, 13), 2), "step_conversion"] == 1.0
    assert steps.loc[(date(2025, 1, 13), 3), ["base", "customers"]].tolist() == [4, 0]
    assert steps["is_small_sample"].all()  # bases of 3 and 4


def test_every_week_is_the_funnel_of_the_customers_who_entered_that_week(sample_db, weekly):
    db = open_backend(sample_db)
    for week in sorted(weekly["week"].unique())[::5]:
        days = Filters(max(week, PERIOD.start), min(week + timedelta(days=6), PERIOD.end))
        funnel = compute_funnel(db, days, SAMPLE_AS_OF, with_medians=False)["customers"].tolist()
        rows = weekly[weekly["week"] == week].sort_values("position")
        assert rows["base"].tolist() == funnel[:-1] and rows["customers"].tolist() == funnel[1:], week
        before = compute_funnel(db, year_before(days), SAMPLE_AS_OF, with_medians=False)["customers"].tolist()
        assert rows["previous_base"].tolist() == before[:-1], week
        assert (rows["previous_week"] == week - YEAR_BACK).all()


def test_the_saved_copy_and_the_raw_tables_give_the_same_weeks(sample_db, weekly, tmp_path):
    raw = copy_with_stale_rollups(sample_db, tmp_path / "raw.duckdb")
    pd.testing.assert_frame_equal(compute_weekly_steps(open_backend(raw), PERIOD, SAMPLE_AS_OF), weekly)


def test_weeks_whose_customers_may_still_convert_are_marked_maturing(weekly):
    last_mature = SAMPLE_AS_OF - timedelta(days=30 + 6)  # the week ends 30 days (the window) before the data date
    assert not weekly.loc[weekly["week"] <= last_mature, "is_maturing"].any()
    assert weekly.loc[weekly["week"] > last_mature, "is_maturing"].all()


def test_the_payment_incident_shows_in_its_weeks_against_the_year_before(sample_db):
    """Mobile app, 6 Oct – 2 Nov 2025: registration → first purchase converts about half as well as
    in the same weeks of 2024 (the sample plants ~70% → ~33%)."""
    mobile = Filters(PERIOD.start, PERIOD.end, channels=("mobile_app",))
    steps = compute_weekly_steps(open_backend(sample_db), mobile, SAMPLE_AS_OF)
    purchase = steps[steps["stage"] == "first_purchase"]
    during = purchase[(purchase["week"] >= date(2025, 10, 6)) & (purchase["week"] <= date(2025, 10, 27))]
    quiet = purchase[(purchase["week"] >= date(2025, 7, 7)) & (purchase["week"] <= date(2025, 9, 15))]
    rate = lambda rows, prefix="": rows[f"{prefix}customers"].sum() / rows[f"{prefix}base"].sum()  # noqa: E731
    assert rate(during) < 0.45 < 0.6 < rate(during, "previous_")
    assert rate(quiet) > 0.6 and abs(rate(quiet) - rate(quiet, "previous_")) < 0.1
