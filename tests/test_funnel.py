"""The journey funnel: stories on hand-built journeys, then the sample against plain pandas.

Unless a test says otherwise the cohort is everyone first contacted in January 2025, the data is
as of 31 Mar 2025 and the journey is first_contact → registration → first_purchase → onboarding.
"""

from __future__ import annotations

import doctest
from dataclasses import replace
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

import cxdata.questions.funnel
from cxdata.engine.query import open_backend
from cxdata.model.filters import Filters
from cxdata.questions.funnel import (
    DEFAULT_WINDOW_DAYS,
    cohort_last_stages,
    compute_funnel,
    compute_time_to_convert,
    fetch_stage_order,
    summarize_stage_counts,
)
from cxdata.sample.calendar import SAMPLE_AS_OF
from cxdata.sample.journey import INCIDENT_END, INCIDENT_START
from tests.conftest import insert_rows

AS_OF = date(2025, 3, 31)
JANUARY = Filters(date(2025, 1, 1), date(2025, 1, 31))
JOURNEY = ["first_contact", "registration", "first_purchase", "onboarding"]


def journeys_for(path, journeys: dict, *, segments: dict | None = None, payments: dict | None = None):
    """A backend on ``path`` (an empty database) where each named customer walks their journey.

    ``journeys``: name -> [(stage, "YYYY-MM-DD HH:MM"[, channel]), ...], channel "web" by default.
    ``segments``: name -> segment ("Retail" by default; None leaves the customer out of
    ``customers``). ``payments``: name -> [("YYYY-MM-DD", amount), ...] (refunds negative).
    """
    segments = segments or {}
    con = duckdb.connect(str(path))
    insert_rows(con, "journey_stages", [(stage, position, stage, None) for position, stage in enumerate(JOURNEY, 1)])
    people = [name for name in journeys if segments.get(name, "Retail") is not None]
    insert_rows(con, "customers", [(name, None, segments.get(name, "Retail"), "Central", "web", "organic", 100.0)
                                   for name in people])  # fmt: skip
    insert_rows(con, "journey_events", [(name, stage, at, (channel or ["web"])[0])
                                        for name, steps in journeys.items() for stage, at, *channel in steps])  # fmt: skip
    payment_rows = [(name, at, amount) for name, rows in (payments or {}).items() for at, amount in rows]
    insert_rows(con, "transactions", [(f"t{i}", name, at, amount, "Basic", "web")
                                      for i, (name, at, amount) in enumerate(payment_rows, 1)])  # fmt: skip
    con.close()
    return open_backend(path)


def column(funnel: pd.DataFrame, name: str) -> list:
    return funnel[name].tolist()


# ---------------------------------------------------------------- the window


WINDOW_STORY = {
    "alice": [("first_contact", "2025-01-01 10:00"), ("registration", "2025-01-02 10:00"),
              ("first_purchase", "2025-02-01 10:00"),  # exactly 30 days after registering: counts
              ("onboarding", "2025-02-02 10:00")],
    "bob": [("first_contact", "2025-01-01 11:00"), ("registration", "2025-01-02 10:00"),
            ("first_purchase", "2025-02-02 10:00"),  # 31 days: too late
            ("onboarding", "2025-02-03 10:00")],  # so this does not count either
    "carol": [("first_contact", "2025-01-01 12:00"), ("registration", "2025-01-02 10:00"),
              ("first_purchase", "2025-02-01 10:01")],  # 30 days and one minute: too late
}  # fmt: skip


def test_next_stage_counts_within_30_days_inclusive(empty_db):
    funnel = compute_funnel(journeys_for(empty_db, WINDOW_STORY), JANUARY, AS_OF)
    assert column(funnel, "stage") == JOURNEY
    assert column(funnel, "position") == [1, 2, 3, 4]
    assert column(funnel, "customers") == [3, 3, 1, 1]
    assert column(funnel, "dropped") == [0, 2, 0, 0]
    assert column(funnel, "step_conversion") == pytest.approx([1.0, 1.0, 1 / 3, 1.0])
    assert column(funnel, "overall_conversion") == pytest.approx([1.0, 1.0, 1 / 3, 1 / 3])
    assert column(funnel, "drop_rate") == pytest.approx([0.0, 2 / 3, 0.0, 0.0])
    # first contact → registration: alice 24 h, bob 23 h, carol 22 h; then alice alone: 30 days, 1 day
    assert column(funnel, "median_hours_to_next")[:3] == pytest.approx([23.0, 720.0, 24.0])
    assert np.isnan(funnel["median_hours_to_next"].iloc[-1])


def test_a_longer_window_lets_the_late_buyers_through(empty_db):
    funnel = compute_funnel(journeys_for(empty_db, WINDOW_STORY), JANUARY, AS_OF, window_days=31)
    # carol (30 days 1 minute) and bob (31 days) now buy; only bob and alice onboard
    assert column(funnel, "customers") == [3, 3, 3, 2]
    assert DEFAULT_WINDOW_DAYS == 30


def test_time_to_convert_lists_every_converting_customer_per_step(empty_db):
    times = compute_time_to_convert(journeys_for(empty_db, WINDOW_STORY), JANUARY, AS_OF)
    assert list(times.columns) == ["from_stage", "to_stage", "hours"]
    assert times.values.tolist() == [
        ["first_contact", "registration", 22.0],  # carol
        ["first_contact", "registration", 23.0],  # bob
        ["first_contact", "registration", 24.0],  # alice
        ["registration", "first_purchase", 720.0],  # alice
        ["first_purchase", "onboarding", 24.0],  # alice
    ]


@pytest.mark.parametrize("window_days", [-1, 1.5, "30", True])
def test_bad_window_is_refused(empty_db, window_days):
    with pytest.raises(ValueError, match="window_days"):
        compute_funnel(journeys_for(empty_db, WINDOW_STORY), JANUARY, AS_OF, window_days=window_days)


# ---------------------------------------------------------------- order, repeats, gaps


def test_out_of_order_event_counts_at_the_previous_stage_time(empty_db):
    db = journeys_for(empty_db, {
        "dave": [("first_contact", "2025-01-05 09:00"), ("first_purchase", "2025-01-06 12:00"),
                 ("registration", "2025-01-06 12:30"),  # the CRM logged the registration late
                 ("onboarding", "2025-01-08 12:30")],
        "fred": [("registration", "2024-12-20 10:00"),  # registered before the logged first contact
                 ("first_contact", "2025-01-10 10:00"), ("first_purchase", "2025-01-11 10:00")],
        "erin": [("first_contact", "2025-01-07 09:00"), ("first_purchase", "2025-01-08 09:00"),
                 ("registration", "2025-03-01 09:00")],  # 53 days late: the chain breaks here
    })  # fmt: skip
    funnel = compute_funnel(db, JANUARY, AS_OF)
    assert column(funnel, "customers") == [3, 2, 2, 1]
    # registration: dave 27.5 h, fred 0 h; purchase: dave 0 h (moved to 12:30), fred 24 h;
    # onboarding: dave 48 h, from the moved purchase time
    assert column(funnel, "median_hours_to_next")[:3] == pytest.approx([13.75, 12.0, 48.0])


def test_only_the_first_event_at_a_stage_counts(empty_db):
    db = journeys_for(empty_db, {
        "gina": [("first_contact", "2025-01-10 10:00"), ("first_contact", "2025-01-20 10:00"),
                 ("registration", "2025-02-15 10:00")],  # 36 days after her first contact
        "hank": [("first_contact", "2025-01-10 10:00"), ("registration", "2025-01-11 10:00"),
                 ("registration", "2025-01-12 10:00"),
                 ("first_purchase", "2025-02-10 12:00")],  # 30 days 2 hours after his first registration
    })  # fmt: skip
    assert column(compute_funnel(db, JANUARY, AS_OF), "customers") == [2, 1, 0, 0]


def test_a_missing_stage_breaks_the_chain(empty_db):
    db = journeys_for(empty_db, {
        "ivan": [("first_contact", "2025-01-03 10:00"), ("first_purchase", "2025-01-04 10:00"),
                 ("onboarding", "2025-01-05 10:00")],  # never registered
        "jane": [("first_contact", "2025-01-03 10:00"), ("registration", "2025-01-03 11:00"),
                 ("first_purchase", "2025-01-04 10:00"), ("onboarding", "2025-01-05 10:00")],
    })  # fmt: skip
    funnel = compute_funnel(db, JANUARY, AS_OF)
    assert column(funnel, "customers") == [2, 1, 1, 1]
    assert column(funnel, "dropped") == [1, 0, 0, 0]


# ---------------------------------------------------------------- each customer's last stage


def last_stages(db, f=JANUARY, **options) -> pd.DataFrame:
    return cohort_last_stages(db, f, AS_OF, **options).execute().set_index("customer_id").sort_index()


def test_last_stage_is_where_the_chain_ends_under_the_same_rules(empty_db):
    db = journeys_for(empty_db, {**WINDOW_STORY, "dave": [
        ("first_contact", "2025-01-05 09:00"), ("first_purchase", "2025-01-06 12:00"),
        ("registration", "2025-01-06 12:30"), ("onboarding", "2025-01-08 12:30")]})  # fmt: skip
    last = last_stages(db)
    # alice walks all four stages; bob and carol buy too late; dave's late-logged registration
    # counts at his purchase time, so he goes all the way.
    assert last["last_position"].to_dict() == {"alice": 4, "bob": 2, "carol": 2, "dave": 4}
    assert last["last_reached_at"].to_dict() == {
        "alice": pd.Timestamp("2025-02-02 10:00"), "bob": pd.Timestamp("2025-01-02 10:00"),
        "carol": pd.Timestamp("2025-01-02 10:00"), "dave": pd.Timestamp("2025-01-08 12:30"),
    }  # fmt: skip
    # customers whose last stage is k < n are exactly the funnel's dropped at k
    funnel = compute_funnel(db, JANUARY, AS_OF)
    per_position = last["last_position"].value_counts().reindex([1, 2, 3], fill_value=0).tolist()
    assert per_position == column(funnel, "dropped")[:3] == [0, 2, 0]
    assert last_stages(db, window_days=31)["last_position"].to_dict() == {"alice": 4, "bob": 4, "carol": 3, "dave": 4}
    assert last_stages(db, stages=["first_contact", "onboarding"])["last_position"].to_dict() == {
        "alice": 1, "bob": 1, "carol": 1, "dave": 2}  # alice onboarded 32 days after first contact


def test_last_stages_carry_the_entry_channel_the_channel_filter_reads(empty_db):
    db = journeys_for(empty_db, {
        "anna": [("first_contact", "2025-01-02 10:00", "web"), ("first_contact", "2025-01-03 10:00", "mobile_app")],
        "dan": [("first_contact", "2025-01-06 10:00", "web"), ("first_contact", "2025-01-06 10:00", "branch")],
    })  # fmt: skip
    assert last_stages(db, with_entry_channel=True)["entry_channel"].to_dict() == {"anna": "web", "dan": "branch"}
    narrowed = last_stages(db, Filters(JANUARY.start, JANUARY.end, channels=("web",)), with_entry_channel=True)
    assert narrowed["entry_channel"].to_dict() == {"anna": "web"}
    assert "entry_channel" not in last_stages(db).columns


def test_stage_counts_become_conversions_and_drops():
    summary = summarize_stage_counts(["a", "b", "c"], [10, 4, 0])
    assert summary["step_conversion"].tolist() == [1.0, 0.4, 0.0]
    assert summary["overall_conversion"].tolist() == [1.0, 0.4, 0.0]
    assert summary["dropped"].tolist() == [6, 4, 0]
    assert summary["drop_rate"].tolist()[:2] == [0.6, 1.0] and np.isnan(summary["drop_rate"].iloc[2])
    with pytest.raises(ValueError, match="one count per stage"):
        summarize_stage_counts(["a", "b"], [1])


# ---------------------------------------------------------------- who is in the cohort


def test_cohort_is_who_first_reached_the_first_stage_in_the_period(empty_db):
    db = journeys_for(empty_db, {
        "kate": [("first_contact", "2024-12-31 23:59"), ("first_contact", "2025-01-10 10:00")],  # came in December
        "liam": [("first_contact", "2025-01-31 23:59")],  # last minute of January
        "mia": [("first_contact", "2025-02-01 00:00")],  # first minute of February
        "noah": [("registration", "2025-01-10 10:00")],  # no first contact at all
    })  # fmt: skip
    assert column(compute_funnel(db, JANUARY, AS_OF), "customers") == [1, 0, 0, 0]
    assert column(compute_funnel(db, Filters(date(2024, 12, 1), date(2025, 2, 28)), AS_OF), "customers") == [3, 0, 0, 0]


def test_events_after_as_of_have_not_happened_yet(empty_db):
    db = journeys_for(empty_db, {
        "olga": [("first_contact", "2025-03-30 10:00"), ("registration", "2025-04-01 10:00")],
        "pete": [("first_contact", "2025-04-01 09:00")],
    })  # fmt: skip
    march = Filters(date(2025, 3, 1), date(2025, 4, 30))
    assert column(compute_funnel(db, march, date(2025, 3, 31)), "customers") == [1, 0, 0, 0]
    assert column(compute_funnel(db, march, date(2025, 4, 1)), "customers") == [2, 1, 0, 0]


def test_dimension_filters_use_the_customer_and_channel_uses_the_entry_event(empty_db):
    db = journeys_for(
        empty_db,
        {
            "anna": [("first_contact", "2025-01-02 10:00", "web"), ("first_contact", "2025-01-03 10:00", "mobile_app"),
                     ("registration", "2025-01-03 11:00", "mobile_app")],
            "boris": [("first_contact", "2025-01-02 10:00", "mobile_app")],
            "cara": [("first_contact", "2025-01-05 10:00", "web")],  # not in customers: segment Unknown
            "dan": [("first_contact", "2025-01-06 10:00", "web"), ("first_contact", "2025-01-06 10:00", "branch")],
        },
        segments={"anna": "SMB", "boris": "Retail", "cara": None, "dan": "Retail"},
    )  # fmt: skip

    def counts(**narrowing):
        return column(compute_funnel(db, Filters(JANUARY.start, JANUARY.end, **narrowing), AS_OF), "customers")[:2]

    assert counts() == [4, 1]
    assert counts(segments=("SMB",)) == [1, 1]
    assert counts(segments=("Unknown",)) == [1, 0]
    assert counts(regions=("Volga",)) == [0, 0]
    assert counts(channels=("mobile_app",)) == [1, 0]  # boris; anna came in through the web
    assert counts(channels=("web",)) == [2, 1]  # anna, cara
    assert counts(channels=("branch",)) == [1, 0]  # dan: a tie at the same instant goes to "branch"
    assert counts(segments=("Retail",), channels=("mobile_app", "branch")) == [2, 0]


# ---------------------------------------------------------------- stages


CHECKOUT = ["home", "search", "payment", "confirmation"]
CHECKOUT_STORY = {
    "u1": [("home", "2025-01-02 10:00"), ("search", "2025-01-02 10:05"), ("payment", "2025-01-02 10:20"),
           ("confirmation", "2025-01-02 10:21")],
    "u2": [("home", "2025-01-03 10:00"), ("search", "2025-01-03 10:30"), ("payment", "2025-01-03 12:00")],
    "u3": [("home", "2025-01-04 10:00"), ("search", "2025-01-04 10:01")],
    "u4": [("home", "2025-01-05 10:00")],
}  # fmt: skip


def test_stages_override_walks_an_extract_with_other_stage_names(empty_db):
    db = journeys_for(empty_db, CHECKOUT_STORY)
    assert fetch_stage_order(db) == JOURNEY  # the stored order knows nothing of the extract's names
    funnel = compute_funnel(db, JANUARY, AS_OF, stages=CHECKOUT)
    assert column(funnel, "stage") == CHECKOUT
    assert column(funnel, "customers") == [4, 3, 2, 1]
    assert column(funnel, "dropped") == [1, 1, 1, 0]
    # search: u1 5 min, u2 30 min, u3 1 min -> 5 min; payment: 15 and 90 min; confirmation: 1 min
    assert column(funnel, "median_hours_to_next")[:3] == pytest.approx([5 / 60, (15 + 90) / 2 / 60, 1 / 60])
    assert column(compute_funnel(db, JANUARY, AS_OF, stages=["home", "payment"]), "customers") == [4, 2]
    alone = compute_funnel(db, JANUARY, AS_OF, stages=["search"])  # a one-stage funnel: its own cohort
    assert alone[["customers", "dropped", "lost_value"]].values.tolist() == [[3, 0, 0.0]]
    assert compute_time_to_convert(db, JANUARY, AS_OF, stages=["search"]).empty


@pytest.mark.parametrize(
    "stages, message",
    [
        (["home", "serch", "payment", "checkout"], "unknown stages: serch, checkout"),
        (["home", "search", "home"], "more than once: home"),
        ([], "stages is empty"),
        ("home", "list of stage names"),
    ],
)
def test_bad_stages_are_refused_by_name(empty_db, stages, message):
    db = journeys_for(empty_db, CHECKOUT_STORY)
    with pytest.raises(ValueError, match=message):
        compute_funnel(db, JANUARY, AS_OF, stages=stages)


def test_no_stored_stages_is_refused(empty_db):
    with pytest.raises(ValueError, match="journey_stages is empty"):
        compute_funnel(open_backend(empty_db), JANUARY, AS_OF)


def test_empty_cohort_gives_zero_customers_and_undefined_ratios(empty_db):
    funnel = compute_funnel(journeys_for(empty_db, WINDOW_STORY), Filters(date(2020, 1, 1), date(2020, 1, 31)), AS_OF)
    assert column(funnel, "customers") == [0, 0, 0, 0]
    assert funnel["step_conversion"].isna().all() and funnel["drop_rate"].isna().all()
    assert column(funnel, "lost_value") == [0.0, 0.0, 0.0, 0.0]


# ---------------------------------------------------------------- lost value


def test_lost_value_weights_the_next_stage_value_by_the_dropped_segment_mix(empty_db):
    def walk(day: int, last_stage: str) -> list[tuple[str, str]]:
        steps = JOURNEY[: JOURNEY.index(last_stage) + 1]
        return [(stage, f"2025-01-{day:02d} {10 + hour}:00") for hour, stage in enumerate(steps)]

    db = journeys_for(
        empty_db,
        {
            "r1": walk(2, "first_purchase"), "r2": walk(3, "first_purchase"), "r3": walk(4, "registration"),
            "r4": walk(5, "first_contact"), "s1": walk(6, "first_purchase"), "s2": walk(7, "registration"),
            "s3": walk(8, "first_contact"), "p1": walk(9, "registration"),
        },
        segments={"r1": "Retail", "r2": "Retail", "r3": "Retail", "r4": "Retail",
                  "s1": "SMB", "s2": "SMB", "s3": "SMB", "p1": "Premium"},
        payments={
            "r1": [("2025-02-15", 1000.0), ("2025-04-01", 9999.0)],  # the second is after as-of
            "r2": [("2025-02-15", 500.0), ("2025-03-01", -100.0)],  # a refund: net 400
            "s1": [("2025-02-15", 3000.0)],
        },
    )  # fmt: skip
    funnel = compute_funnel(db, JANUARY, AS_OF, stages=JOURNEY[:3])
    assert column(funnel, "customers") == [8, 6, 3]
    assert column(funnel, "dropped") == [2, 3, 0]
    # Dropped after first contact: r4 (Retail), s3 (SMB). Registered Retail r1 r2 r3 are worth
    # (1000 + 400 + 0) / 3 each, registered SMB s1 s2 (3000 + 0) / 2.
    # Dropped after registration: r3 (Retail), s2 (SMB), p1 (Premium). Buyers: Retail r1 r2
    # (1000 + 400) / 2, SMB s1 3000, and no Premium buyer, so p1 takes all buyers' mean 4400 / 3.
    assert column(funnel, "lost_value") == pytest.approx([1400 / 3 + 1500, 700 + 3000 + 4400 / 3, 0.0])


def test_lost_value_is_unknown_when_nobody_continues(empty_db):
    db = journeys_for(empty_db, {"zoe": [("first_contact", "2025-01-02 10:00")]}, payments={"zoe": [("2025-01-02", 50.0)]})
    funnel = compute_funnel(db, JANUARY, AS_OF)
    assert column(funnel, "dropped")[0] == 1
    assert np.isnan(funnel["lost_value"].iloc[0])


def test_docstring_examples():
    result = doctest.testmod(cxdata.questions.funnel)
    assert result.attempted > 0 and result.failed == 0


# ---------------------------------------------------------------- the sample, against plain pandas


SAMPLE_STAGES = ["first_contact", "registration", "first_purchase", "onboarding", "repeat_purchase", "loyalty"]
SELECTIONS = [
    Filters(date(2025, 7, 1), date(2025, 12, 31)),
    Filters(date(2024, 1, 1), date(2024, 12, 31), segments=("Premium", "SMB"), channels=("web", "mobile_app")),
    Filters(date(2025, 3, 1), date(2025, 5, 31), regions=("Siberia",), acquisition_channels=("partners", "social")),
]


@pytest.fixture(scope="module")
def frames(sample_db):
    con = duckdb.connect(str(sample_db), read_only=True)
    tables = {name: con.execute(f"SELECT * FROM {name}").df() for name in ("customers", "journey_events", "transactions")}
    con.close()
    return tables


@pytest.fixture(scope="module")
def sample(sample_db):
    return open_backend(sample_db)


def pandas_reached(frames, f: Filters, as_of: date, window_days: int = DEFAULT_WINDOW_DAYS) -> pd.DataFrame:
    """The funnel rules written again in pandas, without any code from cxdata: one row per cohort
    customer (index ``customer_id``), one column per stage, the time they count there (NaT when not)."""
    as_of_end = pd.Timestamp(as_of + timedelta(days=1))
    events = frames["journey_events"]
    events = events[events["occurred_at"] < as_of_end]
    first = events.groupby(["customer_id", "stage"])["occurred_at"].min().unstack()
    first = first.reindex(columns=SAMPLE_STAGES)
    entry = first[SAMPLE_STAGES[0]]
    cohort = first[(entry >= pd.Timestamp(f.start)) & (entry < pd.Timestamp(f.end + timedelta(days=1)))]
    customers = frames["customers"].set_index("customer_id")
    if f.channels:
        entries = events[events["stage"] == SAMPLE_STAGES[0]].sort_values(["customer_id", "occurred_at", "channel"])
        entry_channel = entries.groupby("customer_id")["channel"].first()
        cohort = cohort[entry_channel.reindex(cohort.index).isin(f.channels)]
    for name, allowed in (("segment", f.segments), ("region", f.regions), ("acquisition_channel", f.acquisition_channels)):
        if allowed:
            cohort = cohort[customers[name].reindex(cohort.index).fillna("Unknown").isin(allowed)]

    window = pd.Timedelta(days=window_days)
    reached = [cohort[SAMPLE_STAGES[0]]]
    for stage in SAMPLE_STAGES[1:]:
        previous, at = reached[-1], cohort[stage]
        is_counted = previous.notna() & at.notna() & (at - previous <= window)
        reached.append(at.where(at > previous, previous).where(is_counted))
    return pd.concat(reached, axis=1, keys=SAMPLE_STAGES).rename_axis("customer_id")


def pandas_funnel(frames, f: Filters, as_of: date, window_days: int = DEFAULT_WINDOW_DAYS) -> pd.DataFrame:
    """The funnel rules written again in pandas, without any code from cxdata."""
    as_of_end = pd.Timestamp(as_of + timedelta(days=1))
    cohort = pandas_reached(frames, f, as_of, window_days)
    reached = [cohort[stage] for stage in SAMPLE_STAGES]
    customers = frames["customers"].set_index("customer_id")

    to_date = frames["transactions"][frames["transactions"]["occurred_at"] < as_of_end]
    revenue = to_date.groupby("customer_id")["amount"].sum().reindex(cohort.index).fillna(0.0)
    segment = customers["segment"].reindex(cohort.index).fillna("Unknown")
    rows = []
    for k, stage in enumerate(SAMPLE_STAGES):
        count = int(reached[k].notna().sum())
        if k + 1 < len(SAMPLE_STAGES):
            nxt = reached[k + 1].notna()
            hours = (reached[k + 1] - reached[k]).dt.total_seconds() / 3600
            is_dropped = reached[k].notna() & ~nxt
            segment_value = revenue[nxt].groupby(segment[nxt]).mean()
            value = segment[is_dropped].map(segment_value).fillna(revenue[nxt].mean())
            rows.append((stage, count, int(is_dropped.sum()), hours[nxt].median(), value.sum()))
        else:
            rows.append((stage, count, 0, np.nan, 0.0))
    return pd.DataFrame(rows, columns=["stage", "customers", "dropped", "median_hours_to_next", "lost_value"])


@pytest.mark.parametrize("f", SELECTIONS, ids=lambda f: f.caption())
def test_sample_funnel_matches_plain_pandas(frames, sample, f):
    expected = pandas_funnel(frames, f, SAMPLE_AS_OF)
    got = compute_funnel(sample, f, SAMPLE_AS_OF)
    assert expected["customers"].iloc[0] > 50  # a selection worth comparing
    assert column(got, "stage") == SAMPLE_STAGES
    assert column(got, "customers") == column(expected, "customers")
    assert column(got, "dropped") == column(expected, "dropped")
    pd.testing.assert_series_equal(got["median_hours_to_next"], expected["median_hours_to_next"], rtol=1e-9)
    pd.testing.assert_series_equal(got["lost_value"], expected["lost_value"], rtol=1e-9)


def test_sample_last_stages_match_plain_pandas(frames, sample):
    f = SELECTIONS[1]  # with a channel filter: the entry channel matters
    expected = pandas_reached(frames, f, SAMPLE_AS_OF).notna().sum(axis=1).sort_index()
    got = cohort_last_stages(sample, f, SAMPLE_AS_OF).execute().set_index("customer_id")["last_position"].sort_index()
    assert got.index.tolist() == expected.index.tolist()
    assert got.tolist() == expected.tolist()


def test_sample_time_to_convert_agrees_with_the_funnel(sample):
    f = SELECTIONS[0]
    funnel = compute_funnel(sample, f, SAMPLE_AS_OF)
    times = compute_time_to_convert(sample, f, SAMPLE_AS_OF)
    per_step = times.groupby("to_stage", sort=False)["hours"]
    assert per_step.size().tolist() == column(funnel, "customers")[1:]
    assert per_step.median().tolist() == pytest.approx(column(funnel, "median_hours_to_next")[:-1])
    assert times["hours"].between(0, 24 * DEFAULT_WINDOW_DAYS).all()


# ---------------------------------------------------------------- the sample's story


def test_sample_biggest_leak_is_the_step_into_registration(sample):
    funnel = compute_funnel(sample, SELECTIONS[0], SAMPLE_AS_OF)
    # ``dropped`` sits on the stage people were lost after: the leak into registration shows on
    # first_contact (contacted, never registered).
    biggest = funnel["dropped"].idxmax()
    assert funnel.loc[biggest, "stage"] == "first_contact"
    assert funnel.loc[biggest + 1, "stage"] == "registration"
    assert funnel.loc[biggest, "lost_value"] == funnel["lost_value"].max()


def test_sample_app_payment_incident_shows_in_first_purchase_conversion(sample):
    incident = Filters(INCIDENT_START, INCIDENT_END, channels=("mobile_app",))
    before = incident.previous()  # the 4 weeks before
    assert (before.start, before.end) == (date(2025, 9, 8), date(2025, 10, 5))

    def purchase_conversion(f: Filters) -> float:
        funnel = compute_funnel(sample, f, SAMPLE_AS_OF).set_index("stage")
        assert funnel.loc["registration", "customers"] >= 50  # enough registrants to compare
        return funnel.loc["first_purchase", "step_conversion"]

    # about 0.6 before and 0.35 during the incident on this sample; the margin is ~4 standard errors
    assert purchase_conversion(before) - purchase_conversion(incident) > 0.15
    # web entrants were not hit
    web = ("web",)
    assert abs(purchase_conversion(replace(before, channels=web)) - purchase_conversion(replace(incident, channels=web))) < 0.15
