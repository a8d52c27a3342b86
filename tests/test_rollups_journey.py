"""The journey page on the ``journey_customer`` rollup gives the same frames as on the raw tables.

The rollup path is parameterized SQL (``cxdata.journey_rollup``); the raw path is the Ibis
definition (``cxdata.funnel``, ``cxdata.journey``). Every journey figure is compared on several
filter sets and windows, and the cases where the rollup must not answer are checked too.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from cxdata import journey
from cxdata.filters import Filters
from cxdata.funnel import compute_funnel, journey_rollup_answers, validate_stages
from cxdata.query import open_backend
from cxdata.sample import SAMPLE_AS_OF

SELECTIONS = [
    Filters(date(2025, 7, 1), date(2025, 12, 31)),
    Filters(date(2024, 1, 1), date(2025, 12, 31), segments=("SMB", "Unknown"), channels=("web",)),
    Filters(date(2025, 10, 6), date(2025, 11, 2), regions=("Siberia",), acquisition_channels=("partners", "social")),
    Filters(date(2023, 7, 1), date(2023, 7, 1)),
]
FIGURES = {
    "funnel": lambda db, f, w: compute_funnel(db, f, SAMPLE_AS_OF, window_days=w),
    "breakdowns": lambda db, f, w: journey.compute_funnel_breakdowns(db, f, SAMPLE_AS_OF, window_days=w),
    "reasons": lambda db, f, w: journey.compute_loss_reasons(db, f, SAMPLE_AS_OF, window_days=w),
    "profile": lambda db, f, w: journey.compute_loss_profile(db, f, SAMPLE_AS_OF, window_days=w),
    "time_to_convert": lambda db, f, w: journey.compute_time_to_convert_summary(db, f, SAMPLE_AS_OF, window_days=w),
    "moments": lambda db, f, w: journey.compute_moments_of_truth(db, f),
}


@pytest.fixture(scope="module")
def both_paths(sample_db, stale_rollups_db):
    """The sample with fresh rollups, and a copy whose rollups are marked stale."""
    fresh_db, stale_db = open_backend(sample_db), open_backend(stale_rollups_db)
    stages = validate_stages(fresh_db, None)
    assert journey_rollup_answers(fresh_db, SAMPLE_AS_OF, stages)
    assert not journey_rollup_answers(stale_db, SAMPLE_AS_OF, stages)
    return fresh_db, stale_db


def assert_same(fresh: pd.DataFrame, stale: pd.DataFrame) -> None:
    assert list(fresh.columns) == list(stale.columns)
    assert len(fresh) == len(stale)
    pd.testing.assert_frame_equal(
        fresh.reset_index(drop=True), stale.reset_index(drop=True), check_dtype=False, rtol=1e-9
    )


@pytest.mark.parametrize("figure", list(FIGURES))
@pytest.mark.parametrize("filters", SELECTIONS, ids=lambda f: f.caption())
def test_every_journey_figure_is_identical_on_both_paths(both_paths, figure, filters):
    fresh_db, stale_db = both_paths
    compute = FIGURES[figure]
    assert_same(compute(fresh_db, filters, 30), compute(stale_db, filters, 30))


@pytest.mark.parametrize("window_days", [0, 7, 365])
def test_other_windows_are_identical_on_both_paths(both_paths, window_days):
    fresh_db, stale_db = both_paths
    filters = SELECTIONS[0]
    for figure in ("funnel", "breakdowns", "profile", "time_to_convert"):
        assert_same(FIGURES[figure](fresh_db, filters, window_days), FIGURES[figure](stale_db, filters, window_days))


def test_the_rollup_path_has_something_to_compare(both_paths):
    """Guard against comparing two empty frames: the sample's half-year has a real funnel."""
    fresh_db, _ = both_paths
    funnel = compute_funnel(fresh_db, SELECTIONS[0], SAMPLE_AS_OF)
    assert funnel["customers"].iloc[0] > 100 and funnel["dropped"].sum() > 0
    reasons = journey.compute_loss_reasons(fresh_db, SELECTIONS[0], SAMPLE_AS_OF)
    assert set(reasons["kind"]) == {"churn_reason", "complaint_category"}


def test_the_rollup_does_not_answer_for_other_stages_or_an_earlier_as_of(both_paths):
    fresh_db, stale_db = both_paths
    stages = validate_stages(fresh_db, None)
    assert not journey_rollup_answers(fresh_db, SAMPLE_AS_OF, stages[:3])
    assert not journey_rollup_answers(fresh_db, date(2025, 6, 30), stages)
    # And the answers there are still right: the raw path, the same on both files.
    assert_same(
        compute_funnel(fresh_db, SELECTIONS[0], SAMPLE_AS_OF, stages=stages[:3]),
        compute_funnel(stale_db, SELECTIONS[0], SAMPLE_AS_OF, stages=stages[:3]),
    )
    earlier = Filters(date(2025, 1, 1), date(2025, 3, 31))
    assert_same(
        compute_funnel(fresh_db, earlier, date(2025, 6, 30)), compute_funnel(stale_db, earlier, date(2025, 6, 30))
    )
