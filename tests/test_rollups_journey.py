"""The journey page on the ``journey_customer`` rollup gives the same frames as on the raw tables.

The rollup path is parameterized SQL (``cxdata.engine.journey_rollup``); the raw path is the Ibis
definition (``cxdata.questions.funnel``, ``cxdata.questions.journey``). Every journey figure is compared on several
filter sets and windows, on the sample and on hand-built journeys whose waits sit exactly on the
window boundaries; the chain the rollup stores is checked against the chain walked step by step
in pandas, and the cases where the rollup must not answer are checked too.
"""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pandas as pd
import pytest

from cxdata.engine.db import bump_data_version, read_meta, write_meta
from cxdata.engine.query import open_backend
from cxdata.engine.rollups import refresh_rollups
from cxdata.engine.rollups_journey import STAGES_META_KEY
from cxdata.engine.router import JOURNEY_CUSTOMER, saved_copy_answers
from cxdata.model.filters import Filters
from cxdata.model.schema import create_schema
from cxdata.questions import journey, journey_loss, journey_moments
from cxdata.questions.funnel import compute_funnel, validate_stages
from cxdata.sample.calendar import SAMPLE_AS_OF
from tests.conftest import insert_rows

SELECTIONS = [
    Filters(date(2025, 7, 1), date(2025, 12, 31)),
    Filters(date(2024, 1, 1), date(2025, 12, 31), segments=("SMB", "Unknown"), channels=("web",)),
    Filters(date(2025, 10, 6), date(2025, 11, 2), regions=("Siberia",), acquisition_channels=("partners", "social")),
    Filters(date(2023, 7, 1), date(2023, 7, 1)),
]
FIGURES = {
    "funnel": lambda db, f, w: compute_funnel(db, f, SAMPLE_AS_OF, window_days=w),
    "breakdowns": lambda db, f, w: journey.compute_funnel_breakdowns(db, f, SAMPLE_AS_OF, window_days=w),
    "reasons": lambda db, f, w: journey_loss.compute_loss_reasons(db, f, SAMPLE_AS_OF, window_days=w),
    "profile": lambda db, f, w: journey_loss.compute_loss_profile(db, f, SAMPLE_AS_OF, window_days=w),
    "time_to_convert": lambda db, f, w: journey_moments.compute_time_to_convert_summary(db, f, SAMPLE_AS_OF, window_days=w),
    "moments": lambda db, f, w: journey_moments.compute_moments_of_truth(db, f),
}


@pytest.fixture(scope="module")
def both_paths(sample_db, stale_rollups_db):
    """The sample with fresh rollups, and a copy whose rollups are marked stale."""
    fresh_db, stale_db = open_backend(sample_db), open_backend(stale_rollups_db)
    stages = validate_stages(fresh_db, None)
    assert saved_copy_answers(JOURNEY_CUSTOMER, fresh_db, as_of=SAMPLE_AS_OF, stages=stages)
    assert not saved_copy_answers(JOURNEY_CUSTOMER, stale_db, as_of=SAMPLE_AS_OF, stages=stages)
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


@pytest.mark.parametrize("window_days", [0, 1, 7, 365, 100_000])
@pytest.mark.parametrize("filters", SELECTIONS[:2], ids=lambda f: f.caption())
def test_other_windows_are_identical_on_both_paths(both_paths, filters, window_days):
    fresh_db, stale_db = both_paths
    for figure in ("funnel", "breakdowns", "reasons", "profile", "time_to_convert"):
        assert_same(FIGURES[figure](fresh_db, filters, window_days), FIGURES[figure](stale_db, filters, window_days))


@pytest.mark.parametrize("filters", SELECTIONS[:2], ids=lambda f: f.caption())
def test_a_funnel_without_medians_differs_only_in_its_medians(both_paths, filters):
    """``with_medians=False`` (the journey page's funnels) leaves the medians out on both paths and
    changes nothing else; the medians of the full funnel are the time-to-convert medians."""
    for db in both_paths:
        full = compute_funnel(db, filters, SAMPLE_AS_OF)
        lean = compute_funnel(db, filters, SAMPLE_AS_OF, with_medians=False)
        assert lean["median_hours_to_next"].isna().all()
        assert full["median_hours_to_next"].iloc[:-1].notna().all()
        assert_same(lean.drop(columns="median_hours_to_next"), full.drop(columns="median_hours_to_next"))
        times = journey_moments.compute_time_to_convert_summary(db, filters, SAMPLE_AS_OF)
        assert times["median_hours"].tolist() == pytest.approx(full["median_hours_to_next"].iloc[:-1].tolist())


def test_the_rollup_path_has_something_to_compare(both_paths):
    """Guard against comparing two empty frames: the sample's half-year has a real funnel."""
    fresh_db, _ = both_paths
    funnel = compute_funnel(fresh_db, SELECTIONS[0], SAMPLE_AS_OF)
    assert funnel["customers"].iloc[0] > 100 and funnel["dropped"].sum() > 0
    reasons = journey_loss.compute_loss_reasons(fresh_db, SELECTIONS[0], SAMPLE_AS_OF)
    assert set(reasons["kind"]) == {"churn_reason", "complaint_category"}


def test_the_rollup_does_not_answer_for_other_stages_or_an_earlier_as_of(both_paths):
    fresh_db, stale_db = both_paths
    stages = validate_stages(fresh_db, None)
    assert not saved_copy_answers(JOURNEY_CUSTOMER, fresh_db, as_of=SAMPLE_AS_OF, stages=stages[:3])
    assert not saved_copy_answers(JOURNEY_CUSTOMER, fresh_db, as_of=date(2025, 6, 30), stages=stages)
    # And the answers there are still right: the raw path, the same on both files.
    assert_same(
        compute_funnel(fresh_db, SELECTIONS[0], SAMPLE_AS_OF, stages=stages[:3]),
        compute_funnel(stale_db, SELECTIONS[0], SAMPLE_AS_OF, stages=stages[:3]),
    )
    earlier = Filters(date(2025, 1, 1), date(2025, 3, 31))
    assert_same(
        compute_funnel(fresh_db, earlier, date(2025, 6, 30)), compute_funnel(stale_db, earlier, date(2025, 6, 30))
    )


# ---------------------------------------------------------------- the stored chain

STAGE_COUNT = 6  # the sample's journey


def walk_chain(firsts: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """The funnel's chain the slow way, one stage after the other (``funnel._fetch_chain``):
    ``r1`` .. ``rn``, the time each customer counts at stage k under ``window_days``, or NaT."""
    window = pd.Timedelta(days=window_days)
    chain = {"r1": firsts["first_at_1"]}
    for k in range(2, STAGE_COUNT + 1):
        previous, first = chain[f"r{k - 1}"], firsts[f"first_at_{k}"]
        passes = previous.notna() & first.notna() & (first <= previous + window)
        chain[f"r{k}"] = first.where(first > previous, previous).where(passes)
    return pd.DataFrame(chain)


def test_the_stored_chain_is_the_chain_for_every_window(sample_db):
    """On every sample customer: stage k counts at reached_at_k exactly when min_window_days_k
    <= W, for each window up to two months and some longer ones."""
    con = duckdb.connect(str(sample_db), read_only=True)
    rollup = con.execute("SELECT * FROM journey_customer").df()
    con.close()
    firsts = rollup[[f"first_at_{k}" for k in range(1, STAGE_COUNT + 1)]]
    # The sample has events logged before the previous stage's, so greatest() has work to do.
    assert (firsts["first_at_3"] < firsts["first_at_2"]).sum() > 10
    for window_days in [*range(61), 90, 365, 100_000]:
        walked = walk_chain(firsts, window_days)
        windows = rollup[[f"min_window_days_{k}" for k in range(1, STAGE_COUNT + 1)]]
        counts = windows.le(window_days).fillna(False).to_numpy(dtype=bool)  # null: never reached
        stored = rollup[[f"reached_at_{k}" for k in range(1, STAGE_COUNT + 1)]].where(counts)
        stored.columns = walked.columns
        pd.testing.assert_frame_equal(stored, walked, check_dtype=False)
        assert (counts.sum(axis=1) == walked.notna().sum(axis=1)).all()


JOURNEY = ["first_contact", "registration", "first_purchase", "onboarding"]
AS_OF = date(2025, 3, 31)
JANUARY = Filters(date(2025, 1, 1), date(2025, 1, 31))
# Waits that sit on the window boundaries (all in January 2025).
BOUNDARY_JOURNEYS = {
    "exact": [("first_contact", "01-01 10:00"), ("registration", "01-02 10:00"),  # 1 day
              ("first_purchase", "01-04 10:00"), ("onboarding", "01-04 10:00")],  # 2 days, then 0
    "a_microsecond_late": [("first_contact", "01-01 10:00"), ("registration", "01-02 10:00:00.000001")],
    "early": [("first_contact", "01-01 10:00"), ("registration", "01-02 10:00"),  # 1 day
              ("first_purchase", "01-01 08:00"),  # before both: counts at registration's time
              ("onboarding", "01-03 10:00")],  # 1 day after that time, 2 days 2 hours after buying
    "slow_then_fast": [("first_contact", "01-01 10:00"), ("registration", "01-04 10:00"),  # 3 days
                       ("first_purchase", "01-04 11:00"), ("onboarding", "01-04 12:00")],
    "skips_registration": [("first_contact", "01-01 10:00"), ("first_purchase", "01-01 11:00"),
                           ("onboarding", "01-01 12:00")],
    "all_at_once": [("first_contact", "01-01 09:00"), ("registration", "01-01 09:00"),
                    ("first_purchase", "01-01 09:00")],
}  # fmt: skip
# Customer -> min_window_days_1 .. 4, worked out by hand from the journeys above.
BOUNDARY_WINDOWS = {
    "exact": [0, 1, 2, 2],
    "a_microsecond_late": [0, 2, None, None],
    "early": [0, 1, 1, 1],  # the purchase waits a negative time; onboarding waits 1 day from 01-02 10:00
    "slow_then_fast": [0, 3, 3, 3],  # the short waits after the long one do not lower it
    "skips_registration": [0, None, None, None],
    "all_at_once": [0, 0, 0, None],
}
# Window -> customers per stage: who has min_window_days_k <= window.
BOUNDARY_FUNNELS = {0: [6, 1, 1, 0], 1: [6, 3, 2, 1], 2: [6, 4, 3, 2], 3: [6, 5, 4, 3], 365: [6, 5, 4, 3]}


def build_both_paths(folder, stages: list[str], journeys: dict) -> tuple:
    """Backends on a database in ``folder`` where each customer walks their journey ("MM-DD HH:MM"
    in 2025), with fresh rollups, and on a copy whose rollups are marked stale."""
    fresh_path, stale_path = folder / "fresh.duckdb", folder / "stale.duckdb"
    con = duckdb.connect(str(fresh_path))
    create_schema(con)
    insert_rows(con, "journey_stages", [(stage, position, stage, None) for position, stage in enumerate(stages, 1)])
    insert_rows(con, "customers", [(name, None, "Retail", "Central", "web", "organic", 100.0) for name in journeys])
    insert_rows(con, "journey_events", [(name, stage, f"2025-{at}", "web")
                                        for name, steps in journeys.items() for stage, at in steps])  # fmt: skip
    write_meta(con, as_of=AS_OF.isoformat())
    bump_data_version(con)
    refresh_rollups(con)
    con.close()
    shutil.copy(fresh_path, stale_path)
    con = duckdb.connect(str(stale_path))
    write_meta(con, rollup_version="stale")
    con.close()
    fresh_db, stale_db = open_backend(fresh_path), open_backend(stale_path)
    assert saved_copy_answers(JOURNEY_CUSTOMER, fresh_db, as_of=AS_OF, stages=stages)
    assert not saved_copy_answers(JOURNEY_CUSTOMER, stale_db, as_of=AS_OF, stages=stages)
    return fresh_db, stale_db


@pytest.fixture(scope="module")
def boundary_paths(tmp_path_factory):
    return build_both_paths(tmp_path_factory.mktemp("boundary"), JOURNEY, BOUNDARY_JOURNEYS)


def test_the_rollup_stores_the_hand_worked_windows_and_times(boundary_paths):
    fresh_db, _ = boundary_paths
    rows = fresh_db.con.execute("SELECT * FROM journey_customer ORDER BY customer_id").df().set_index("customer_id")
    windows = rows[[f"min_window_days_{k}" for k in range(1, 5)]].astype(object)
    assert {name: [None if pd.isna(v) else int(v) for v in row] for name, row in windows.iterrows()} == BOUNDARY_WINDOWS
    # The early purchase counts at registration's time, and onboarding a day after that.
    early = rows.loc["early", [f"reached_at_{k}" for k in range(1, 5)]].tolist()
    assert early == [pd.Timestamp(f"2025-01-0{day} 10:00") for day in (1, 2, 2, 3)]
    assert rows.loc["skips_registration", "first_at_3"] == pd.Timestamp("2025-01-01 11:00")
    assert pd.isna(rows.loc["skips_registration", "reached_at_3"])  # the chain broke at registration


@pytest.mark.parametrize("window_days", list(BOUNDARY_FUNNELS))
def test_boundary_waits_count_the_same_on_both_paths(boundary_paths, window_days):
    fresh_db, stale_db = boundary_paths
    funnel = compute_funnel(fresh_db, JANUARY, AS_OF, window_days=window_days)
    assert funnel["customers"].tolist() == BOUNDARY_FUNNELS[window_days]
    for figure in ("funnel", "breakdowns", "reasons", "profile", "time_to_convert"):
        assert_same(FIGURES[figure](fresh_db, JANUARY, window_days), FIGURES[figure](stale_db, JANUARY, window_days))


def test_a_one_stage_journey_is_the_same_on_both_paths(tmp_path):
    fresh_db, stale_db = build_both_paths(tmp_path, ["first_contact"], {
        "ann": [("first_contact", "01-01 10:00")], "bob": [("first_contact", "01-02 10:00")],
    })  # fmt: skip
    assert compute_funnel(fresh_db, JANUARY, AS_OF)["customers"].tolist() == [2]
    for figure in ("funnel", "breakdowns", "reasons", "profile", "time_to_convert"):
        assert_same(FIGURES[figure](fresh_db, JANUARY, 30), FIGURES[figure](stale_db, JANUARY, 30))


def test_a_rollup_built_before_the_stored_chain_is_not_read(sample_db, stale_rollups_db, tmp_path):
    """A database whose journey_customer has no reached_at_k / min_window_days_k (built by the
    previous version) reads the raw tables, with the same numbers, until the rollups are rebuilt."""
    path = tmp_path / "old.duckdb"
    shutil.copy(sample_db, path)
    con = duckdb.connect(str(path))
    stored = [f"{name}_{k}" for name in ("reached_at", "min_window_days") for k in range(1, STAGE_COUNT + 1)]
    con.execute(f"CREATE OR REPLACE TABLE journey_customer AS SELECT * EXCLUDE ({', '.join(stored)}) FROM journey_customer")  # fmt: skip
    stages = read_meta(con)[STAGES_META_KEY]
    con.execute("DELETE FROM meta WHERE key = ?", [STAGES_META_KEY])
    write_meta(con, rollup_journey_stages=stages)  # the key the previous version wrote
    con.close()

    old_db, stale_db = open_backend(path), open_backend(stale_rollups_db)
    assert not saved_copy_answers(JOURNEY_CUSTOMER, old_db, as_of=SAMPLE_AS_OF, stages=validate_stages(old_db, None))
    for compute in FIGURES.values():
        assert_same(compute(old_db, SELECTIONS[0], 30), compute(stale_db, SELECTIONS[0], 30))
    old_db.con.close()

    con = duckdb.connect(str(path))
    refresh_rollups(con)
    meta = read_meta(con)
    con.close()
    assert "rollup_journey_stages" not in meta and meta[STAGES_META_KEY] == stages
    rebuilt_db = open_backend(path)
    assert saved_copy_answers(JOURNEY_CUSTOMER, rebuilt_db, as_of=SAMPLE_AS_OF, stages=validate_stages(rebuilt_db, None))
    rebuilt, raw = (compute_funnel(db, SELECTIONS[0], SAMPLE_AS_OF) for db in (rebuilt_db, stale_db))
    assert_same(rebuilt, raw)
