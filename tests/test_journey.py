"""The journey page's metrics: stories on hand-built journeys, then the sample against plain pandas,
then the page itself through AppTest.

Unless a test says otherwise the cohort is everyone first contacted in January 2025, the data is
as of 31 Mar 2025 and the journey is first_contact → registration → first_purchase → onboarding.
"""

from __future__ import annotations

import doctest
import json
import math
from dataclasses import replace
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import cxdata.presentation.journey_charts
import cxdata.presentation.journey_text
import cxdata.questions.journey
from cxdata import cli
from cxdata.analysis.stats import mean_interval, nps_interval, wilson_interval
from cxdata.engine.query import open_backend
from cxdata.model.filters import Filters
from cxdata.model.schema import create_schema
from cxdata.presentation.journey_charts import (
    build_breakdown_figure,
    build_funnel_figure,
    build_lost_value_figure,
    build_period_comparison_figure,
    selected_stage,
)
from cxdata.presentation.journey_stage_charts import (
    build_moments_figure,
    build_reasons_figure,
    build_silent_loss_figure,
    build_time_to_convert_figure,
    describe_value,
)
from cxdata.presentation.journey_text import build_funnel_command, build_journey_headline
from cxdata.questions.funnel import (
    compute_funnel,
    compute_time_to_convert,
    summarize_stage_counts,
)
from cxdata.questions.journey import (
    BREAKDOWN_DIMENSIONS,
    compare_funnels,
    compute_funnel_breakdowns,
    fetch_stage_labels,
    find_worst_fall,
)
from cxdata.questions.journey_loss import (
    build_lost_value_steps,
    compute_loss_profile,
    compute_loss_reasons,
    summarize_loss_shares,
    summarize_silent_loss,
    find_worst_stage,
)
from cxdata.questions.journey_moments import (
    compute_moments_of_truth,
    compute_time_to_convert_summary,
    find_weakest_stage,
)
from cxdata.sample.calendar import SAMPLE_AS_OF
from cxdata.sample.journey import INCIDENT_END, INCIDENT_START
from tests.conftest import insert_rows, shown
from tests.test_app import clear_streamlit_caches, default_filters, open_app  # noqa: F401 - the fixture clears caches
from tests.test_funnel import SAMPLE_STAGES, pandas_reached

AS_OF = date(2025, 3, 31)
JANUARY = Filters(date(2025, 1, 1), date(2025, 1, 31))
JOURNEY = ["first_contact", "registration", "first_purchase", "onboarding"]
LABELS = {"first_contact": "First contact", "registration": "Registration", "first_purchase": "First purchase",
          "onboarding": "Onboarding"}  # fmt: skip


# The page's compositions of the questions, as one call each for the stories below.
def compute_loss_shares(db, filters, as_of, **options):
    return summarize_loss_shares(compute_loss_profile(db, filters, as_of, **options))


def compute_silent_loss(db, filters, as_of, **options):
    return summarize_silent_loss(compute_loss_profile(db, filters, as_of, **options))


def compare_with_previous_period(db, filters, as_of, **options):
    """This period's funnel against that of ``filters.previous()``, both read up to ``as_of``."""
    return compare_funnels(compute_funnel(db, filters, as_of, **options),
                           compute_funnel(db, filters.previous(), as_of, **options))


def narrow_to_value(filters: Filters, dimension: str, value: str) -> Filters:
    """``filters`` narrowed to one breakdown value (what a breakdown row equals in ``compute_funnel``)."""
    field = {"segment": "segments", "channel": "channels", "region": "regions",
             "acquisition_channel": "acquisition_channels"}[dimension]  # fmt: skip
    return replace(filters, **{field: (value,)})


def story(path, journeys: dict, *, people: dict | None = None, churn: dict | None = None,
          complaints: dict | None = None, surveys: list | None = None, payments: dict | None = None):  # fmt: skip
    """A backend on ``path`` (an empty database) where each named customer walks their journey.

    ``journeys``: name -> [(stage, "YYYY-MM-DD HH:MM"[, channel]), ...] (channel "web" by default).
    ``people``: name -> (segment, region, acquisition channel), default ("Retail", "Central",
    "organic"); None leaves the customer out of ``customers``. ``churn``: name -> (day, reason).
    ``complaints``: name -> [(day, category), ...]. ``surveys``: [(customer or None, day,
    touchpoint, nps, csat, ces), ...]. ``payments``: name -> [(day, amount), ...].
    """
    people = people or {}
    con = duckdb.connect(str(path))
    create_schema(con)  # a no-op on the empty_db fixture, needed on a fresh path
    insert_rows(con, "journey_stages", [(stage, k, LABELS[stage], f"ru:{LABELS[stage]}") for k, stage in enumerate(JOURNEY, 1)])
    customers = [(name, None, *people.get(name, ("Retail", "Central", "organic"))) for name in journeys
                 if people.get(name, ()) is not None]  # fmt: skip
    insert_rows(con, "customers", [(name, signup, segment, region, "web", acquisition, 100.0)
                                   for name, signup, segment, region, acquisition in customers])  # fmt: skip
    insert_rows(con, "journey_events", [(name, stage, at, (channel or ["web"])[0])
                                        for name, steps in journeys.items() for stage, at, *channel in steps])  # fmt: skip
    insert_rows(con, "churn_events", [(name, day, reason) for name, (day, reason) in (churn or {}).items()])
    insert_rows(con, "complaints", [(f"k{i}", name, day, None, None, "web", category, "")
                                    for i, (name, day, category) in enumerate(
                                        [(n, d, c) for n, rows in (complaints or {}).items() for d, c in rows], 1)])  # fmt: skip
    insert_rows(con, "surveys", [(f"s{i}", who, day, touchpoint, "web", nps, csat, ces, None)
                                 for i, (who, day, touchpoint, nps, csat, ces) in enumerate(surveys or [], 1)])  # fmt: skip
    insert_rows(con, "transactions", [(f"t{i}", name, day, amount, "Basic", "web") for i, (name, day, amount) in
                                      enumerate([(n, d, a) for n, rows in (payments or {}).items() for d, a in rows], 1)])  # fmt: skip
    con.close()
    return open_backend(path)


def walk(day: int, last_stage: str, month: int = 1, year: int = 2025) -> list[tuple[str, str]]:
    """A customer who walks the journey up to ``last_stage``, one hour a stage, from 10:00 that day."""
    steps = JOURNEY[: JOURNEY.index(last_stage) + 1]
    return [(stage, f"{year}-{month:02d}-{day:02d} {10 + hour}:00") for hour, stage in enumerate(steps)]


# ---------------------------------------------------------------- why they leave, silent loss


LOSS_STORY = {
    "ann": walk(2, "first_contact"),  # complained about sign-up, then churned
    "bob": walk(3, "first_contact"),  # churned without a word: silent
    "cat": walk(4, "first_contact"),  # answered the exit survey, never churned
    "dan": walk(5, "registration"),  # registered, churned on price: silent
    "eve": walk(6, "onboarding"),  # went all the way: not lost
    "fay": walk(7, "first_purchase") + [("onboarding", "2025-02-20 10:00")],  # onboarded 44 days later: lost
    "gus": walk(3, "first_contact", month=2),  # February: not in the cohort
    "hal": walk(9, "first_contact"),  # churned and answered only after as-of: silent, no churn yet
}
LOSS_CHURN = {
    "ann": ("2025-02-10", "registration_too_complex"), "bob": ("2025-02-11", "registration_too_complex"),
    "dan": ("2025-02-12", "price"), "fay": ("2025-03-01", None), "gus": ("2025-03-05", "price"),
    "hal": ("2025-04-10", "price"),
}  # fmt: skip
LOSS_COMPLAINTS = {
    "ann": [("2025-01-02", "registration_problem")],
    "fay": [("2025-01-08", "billing"), ("2025-01-09", "billing"), ("2025-01-20", "product_quality"),
            ("2025-04-15", "delivery_delay")],  # the last one after as-of
    "gus": [("2025-02-04", "billing")],
}  # fmt: skip
LOSS_SURVEYS = [("cat", "2025-01-04", "registration", None, None, 2), ("hal", "2025-04-02", "registration", None, None, 3),
                (None, "2025-01-09", "registration", None, None, 1)]  # fmt: skip


@pytest.fixture
def loss_db(empty_db):
    return story(empty_db, LOSS_STORY, churn=LOSS_CHURN, complaints=LOSS_COMPLAINTS, surveys=LOSS_SURVEYS)


def test_loss_shares_say_where_the_lost_and_the_refusals_come_from(loss_db):
    shares = compute_loss_shares(loss_db, JANUARY, AS_OF)
    assert shares["stage"].tolist() == JOURNEY[:3]
    assert shares["next_stage"].tolist() == JOURNEY[1:]
    # lost: ann bob cat hal | dan | fay; refusals (churn event by as-of): ann bob | dan | fay
    assert shares["lost_count"].tolist() == [4, 1, 1]
    assert shares["lost_count"].tolist() == compute_funnel(loss_db, JANUARY, AS_OF)["dropped"].tolist()[:3]
    assert shares["lost_share"].tolist() == pytest.approx([4 / 6, 1 / 6, 1 / 6])
    assert shares["churned_count"].tolist() == [2, 1, 1]
    assert shares["churned_share"].tolist() == pytest.approx([0.5, 0.25, 0.25])


def test_silent_loss_counts_the_lost_who_never_complained_nor_answered(loss_db):
    silent = compute_silent_loss(loss_db, JANUARY, AS_OF)
    # first contact: ann complained, cat answered, bob and hal silent (hal's answer came after as-of)
    assert silent[["lost_count", "complained_count", "answered_count", "silent_count"]].values.tolist() == [
        [4, 1, 1, 2], [1, 0, 0, 1], [1, 1, 0, 0]]  # fmt: skip
    assert silent["silent_share"].tolist() == pytest.approx([0.5, 1.0, 0.0])
    low, high = wilson_interval(2, 4)[1:]
    assert (silent["low"].iloc[0], silent["high"].iloc[0]) == pytest.approx((low / 100, high / 100))
    assert silent["is_small_sample"].all()  # n < 30 everywhere


def test_loss_reasons_are_shares_per_stage_of_churn_reasons_and_complaints(loss_db):
    reasons = compute_loss_reasons(loss_db, JANUARY, AS_OF)
    rows = [tuple(r) for r in reasons[["stage", "kind", "value", "count", "total_count"]].itertuples(index=False)]
    assert rows == [
        ("first_contact", "churn_reason", "registration_too_complex", 2, 2),  # hal's churn is after as-of
        ("first_contact", "complaint_category", "registration_problem", 1, 1),
        ("registration", "churn_reason", "price", 1, 1),
        ("first_purchase", "churn_reason", "not_stated", 1, 1),  # fay gave no reason
        ("first_purchase", "complaint_category", "billing", 2, 3),  # per complaint, not per customer
        ("first_purchase", "complaint_category", "product_quality", 1, 3),  # delivery_delay came after as-of
    ]
    assert reasons["share"].tolist() == pytest.approx([1.0, 1.0, 1.0, 1.0, 2 / 3, 1 / 3])
    assert reasons["next_stage"].tolist()[-1] == "onboarding"


def test_a_narrower_window_moves_customers_to_an_earlier_stage(loss_db):
    # With a 0-day window only same-instant steps count: everybody is lost after first contact.
    shares = compute_loss_shares(loss_db, JANUARY, AS_OF, window_days=0)
    assert shares["lost_count"].tolist() == [7, 0, 0]
    # silent: bob, dan, eve and hal; ann and fay complained, cat answered
    assert compute_silent_loss(loss_db, JANUARY, AS_OF, window_days=0)["silent_count"].tolist() == [4, 0, 0]


def test_nobody_lost_gives_empty_reasons_and_undefined_shares(empty_db):
    db = story(empty_db, {"eve": walk(6, "onboarding")})
    assert compute_loss_reasons(db, JANUARY, AS_OF).empty
    shares = compute_loss_shares(db, JANUARY, AS_OF)
    assert shares["lost_count"].tolist() == [0, 0, 0] and shares["lost_share"].isna().all()
    assert compute_silent_loss(db, JANUARY, AS_OF)["silent_share"].isna().all()


# ---------------------------------------------------------------- breakdowns and the previous period


def test_breakdowns_give_one_funnel_per_value(empty_db):
    db = story(
        empty_db,
        {"a1": walk(2, "first_purchase"), "a2": [(s, t, "mobile_app") for s, t in walk(3, "registration")],
         "a3": walk(4, "first_contact"), "a4": walk(5, "onboarding")},
        people={"a1": ("Retail", "Central", "organic"), "a2": ("Retail", "Volga", "partners"),
                "a3": ("SMB", "Central", "organic"), "a4": None},
    )  # fmt: skip
    breakdowns = compute_funnel_breakdowns(db, JANUARY, AS_OF)
    assert breakdowns["dimension"].unique().tolist() == list(BREAKDOWN_DIMENSIONS)

    def funnels(dimension):
        rows = breakdowns[breakdowns["dimension"] == dimension]
        return {value: part["customers"].tolist() for value, part in rows.groupby("value", sort=False)}

    # largest entry cohort first; a4 is not in customers: Unknown
    assert list(funnels("segment").items()) == [("Retail", [2, 2, 1, 0]), ("SMB", [1, 0, 0, 0]), ("Unknown", [1, 1, 1, 1])]
    assert funnels("channel") == {"web": [3, 2, 2, 1], "mobile_app": [1, 1, 0, 0]}  # a2 entered through the app
    assert funnels("region") == {"Central": [2, 1, 1, 0], "Unknown": [1, 1, 1, 1], "Volga": [1, 1, 0, 0]}
    assert funnels("acquisition_channel") == {"organic": [2, 1, 1, 0], "Unknown": [1, 1, 1, 1], "partners": [1, 1, 0, 0]}
    retail = breakdowns[(breakdowns["dimension"] == "segment") & (breakdowns["value"] == "Retail")]
    assert retail["step_conversion"].tolist() == [1.0, 1.0, 0.5, 0.0]
    assert retail["dropped"].tolist() == [0, 1, 1, 0]
    assert breakdowns["is_small_sample"].all()
    with pytest.raises(ValueError, match="unknown breakdown dimensions: city"):
        compute_funnel_breakdowns(db, JANUARY, AS_OF, dimensions=("city",))


def test_previous_period_comparison_finds_the_step_that_fell(empty_db):
    # December 2024 (the 31 days before January): 40 contacts, 30 register, 24 buy.
    # January: 40 contacts, 30 register, 12 buy. Registration holds, first purchase falls.
    journeys = {}
    for i in range(40):
        december = "registration" if i < 30 else "first_contact"
        journeys[f"d{i}"] = walk(1 + i % 28, "first_purchase" if i < 24 else december, month=12, year=2024)
        journeys[f"j{i}"] = walk(1 + i % 28, "first_purchase" if i < 12 else "registration" if i < 30 else "first_contact")
    comparison = compare_with_previous_period(story(empty_db, journeys), JANUARY, AS_OF)
    assert comparison["stage"].tolist() == JOURNEY[1:]
    assert comparison["from_stage"].tolist() == JOURNEY[:-1]
    assert comparison[["current_base_count", "current_count", "previous_base_count", "previous_count"]].values.tolist()[:2] == [
        [40, 30, 40, 30], [30, 12, 30, 24]]  # fmt: skip
    assert comparison["change"].tolist()[:2] == pytest.approx([0.0, 0.4 - 0.8])
    # pooled p = 36/60 = 0.6: z = -0.4 / sqrt(0.6 * 0.4 * (2/30))
    assert comparison["z"].iloc[1] == pytest.approx(-0.4 / math.sqrt(0.24 * 2 / 30))
    assert comparison["is_small_sample"].tolist() == [False, False, True]  # 12 buyers now: onboarding step is small
    assert find_worst_fall(comparison)["stage"] == "first_purchase"


def test_small_samples_never_decide_which_step_fell_most():
    stages = ["a", "b", "c"]
    now, before = summarize_stage_counts(stages, [100, 50, 5]), summarize_stage_counts(stages, [100, 60, 20])
    comparison = compare_funnels(now, before)
    assert comparison["change"].tolist() == pytest.approx([-0.1, 0.1 - 20 / 60])
    assert comparison["is_small_sample"].tolist() == [False, False]
    assert find_worst_fall(comparison)["stage"] == "c"  # 50 and 60 at b: big enough
    small = compare_funnels(summarize_stage_counts(stages, [100, 20, 1]), before)  # 20 at b now
    assert small["is_small_sample"].tolist() == [False, True]
    assert find_worst_fall(small)["stage"] == "b"
    assert find_worst_fall(compare_funnels(before, now)) is None  # every step got better
    with pytest.raises(ValueError, match="same stages"):
        compare_funnels(now, summarize_stage_counts(["a", "b"], [1, 1]))


# ---------------------------------------------------------------- moments of truth


def answers(touchpoint: str, day: str = "2025-01-15", **scores) -> list[tuple]:
    """Survey rows: for each metric, a list of (score, how many)."""
    rows = []
    for metric, counts in scores.items():
        for score, how_many in counts:
            values = {"nps": None, "csat": None, "ces": None, metric: score}
            rows += [(None, day, touchpoint, values["nps"], values["csat"], values["ces"])] * how_many
    return rows


def test_moments_of_truth_score_each_stage_and_flag_the_weakest(empty_db):
    surveys = (
        answers("registration", ces=[(3, 20), (5, 20)], csat=[(1, 10)])  # CSAT 0% but only 10 answers
        + answers("first_purchase", csat=[(5, 30), (2, 10)])  # 75%
        + answers("onboarding", nps=[(10, 20), (8, 10), (3, 10)], csat=[(4, 21), (1, 14)])  # NPS +25, CSAT 60%
        + answers("onboarding", day="2025-02-01", csat=[(1, 50)])  # outside the period
        + answers("checkout", csat=[(1, 50)])  # not a funnel stage
    )
    moments = compute_moments_of_truth(story(empty_db, {"eve": walk(6, "onboarding")}, surveys=surveys), JANUARY)
    assert moments["stage"].unique().tolist() == JOURNEY
    assert moments["metric"].tolist()[:3] == ["nps", "csat", "ces"]
    value = moments.set_index(["stage", "metric"])
    assert value.loc[("first_purchase", "csat"), ["value", "low", "high"]].tolist() == pytest.approx(wilson_interval(30, 40))
    assert value.loc[("onboarding", "nps"), ["value", "low", "high"]].tolist() == pytest.approx(nps_interval(20, 10, 40))
    assert value.loc[("onboarding", "csat"), "value"] == pytest.approx(60.0)
    sd = float(np.std([3] * 20 + [5] * 20, ddof=1))
    assert value.loc[("registration", "ces"), ["value", "low", "high"]].tolist() == pytest.approx(mean_interval(4.0, sd, 40))
    assert value.loc[("registration", "csat"), ["n", "is_small_sample"]].tolist() == [10, True]
    assert value.loc[("first_contact", "nps"), "n"] == 0 and np.isnan(value.loc[("first_contact", "nps"), "value"])
    # lowest CSAT among stages with 30+ CSAT answers: onboarding (60%), not registration (0% of 10)
    assert find_weakest_stage(moments) == ("onboarding", "csat")
    assert moments.loc[moments["is_weakest"], "stage"].unique().tolist() == ["onboarding"]


def test_without_enough_csat_the_lowest_ces_decides(empty_db):
    surveys = answers("registration", ces=[(3, 30)]) + answers("onboarding", ces=[(6, 30)], csat=[(1, 29)])
    moments = compute_moments_of_truth(story(empty_db, {"eve": walk(6, "onboarding")}, surveys=surveys), JANUARY)
    assert find_weakest_stage(moments) == ("registration", "ces")
    nothing = compute_moments_of_truth(story(empty_db.parent / "none.duckdb", {"eve": walk(6, "onboarding")},
                                             surveys=answers("registration", ces=[(3, 29)])), JANUARY)  # fmt: skip
    assert find_weakest_stage(nothing) is None and not nothing["is_weakest"].any()


# ---------------------------------------------------------------- time, lost value, headline


def test_time_to_convert_summary_gives_quantiles_per_step(empty_db):
    db = story(empty_db, {f"c{i}": [("first_contact", "2025-01-02 00:00"), ("registration", f"2025-01-02 {h:02d}:00")]
                          for i, h in enumerate([1, 2, 3, 4, 10])})  # fmt: skip
    summary = compute_time_to_convert_summary(db, JANUARY, AS_OF)
    assert summary[["from_stage", "to_stage", "count"]].values.tolist() == [
        ["first_contact", "registration", 5], ["registration", "first_purchase", 0], ["first_purchase", "onboarding", 0]]
    first = summary.iloc[0]
    assert [first.q1_hours, first.median_hours, first.q3_hours, first.mean_hours] == pytest.approx([2, 3, 4, 4])
    assert first.p10_hours == pytest.approx(1.4) and first.p90_hours == pytest.approx(7.6)  # linear interpolation
    assert summary["median_hours"].iloc[1:].isna().all()


def test_lost_value_steps_and_the_worst_stage():
    funnel = summarize_stage_counts(JOURNEY, [100, 40, 30, 30])
    funnel["lost_value"] = [6000.0, 2000.0, math.nan, 0.0]
    steps = build_lost_value_steps(funnel)
    assert steps[["stage", "next_stage", "dropped"]].values.tolist() == [
        ["first_contact", "registration", 60], ["registration", "first_purchase", 10], ["first_purchase", "onboarding", 0]]
    assert steps["cumulative_lost_value"].tolist() == [6000.0, 8000.0, 8000.0]
    assert steps["lost_value_share"].tolist() == pytest.approx([0.75, 0.25, 0.0])
    assert find_worst_stage(funnel)["stage"] == "first_contact"
    funnel["lost_value"] = math.nan  # no value known: the biggest drop decides
    assert find_worst_stage(funnel)["stage"] == "first_contact"
    assert find_worst_stage(summarize_stage_counts(JOURNEY, [5, 5, 5, 5]).assign(lost_value=0.0)) is None


def headline_inputs():
    funnel = summarize_stage_counts(JOURNEY, [1000, 520, 330, 300])
    funnel["lost_value"] = [3_596_000.0, 1_990_000.0, 500_000.0, 0.0]
    comparison = compare_funnels(funnel, summarize_stage_counts(JOURNEY, [1000, 520, 360, 300]))
    return funnel, comparison


def test_headline_names_the_costliest_step_and_the_step_that_fell():
    funnel, comparison = headline_inputs()
    previous = Filters(date(2024, 12, 1), date(2024, 12, 31))
    assert build_journey_headline(funnel, comparison, LABELS, "en", "RUB", previous) == (
        "The costliest leak is the step from First contact to Registration: 480 of 1,000 (48.0%) did not go on, "
        "about 3.6\u00a0M\u00a0RUB of lost value. Compared with 1 Dec 2024 – 31 Dec 2024, step conversion fell most "
        "into First purchase: 69.2% → 63.5% (−5.8 pp; n = 520 now, 520 before). This fall is within sampling noise."
    )
    ru = build_journey_headline(funnel, comparison, {"first_contact": "Первый контакт", "registration": "Регистрация",
                                                     "first_purchase": "Первая покупка"}, "ru", "RUB", previous)  # fmt: skip
    assert ru.startswith("Самая дорогая потеря — переход от этапа «Первый контакт» к этапу «Регистрация»: 480 из 1\u00a0000 (48,0\u00a0%)")
    assert "3,6\u00a0млн\u00a0RUB" in ru and "«Первая покупка»: 69,2\u00a0% → 63,5\u00a0% (−5,8 п.п.;" in ru


def test_headline_without_a_fall_or_without_anyone():
    funnel, _ = headline_inputs()
    previous = Filters(date(2024, 12, 1), date(2024, 12, 31))
    same = compare_funnels(funnel, funnel)
    assert build_journey_headline(funnel, same, LABELS, "en", "RUB", previous).endswith(
        "No step converted worse than in 1 Dec 2024 – 31 Dec 2024.")
    tiny = summarize_stage_counts(JOURNEY, [9, 5, 1, 0]).assign(lost_value=[10.0, 5.0, 0.0, 0.0])
    assert build_journey_headline(tiny, compare_funnels(tiny, tiny), LABELS, "en", "", previous).endswith(
        "Too few customers to compare the steps with 1 Dec 2024 – 31 Dec 2024 (n < 30).")
    empty = summarize_stage_counts(JOURNEY, [0, 0, 0, 0]).assign(lost_value=0.0)
    assert build_journey_headline(empty, compare_funnels(empty, empty), LABELS, "en", "", previous) == (
        "Nobody entered the journey in this selection.")


def test_funnel_command_reproduces_the_selection_for_the_cli():
    f = Filters(date(2025, 10, 6), date(2025, 11, 2), channels=("mobile_app",), regions=("North-West", "Ural"))
    assert build_funnel_command(f, 14) == ("python -m cxdata funnel --start 2025-10-06 --end 2025-11-02 "
                                           "--region North-West --region Ural --channel mobile_app --window-days 14")  # fmt: skip
    assert narrow_to_value(f, "channel", "web").channels == ("web",)  # what a breakdown row equals


def test_docstring_examples():
    for module in (cxdata.presentation.journey_text, cxdata.presentation.journey_charts):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0


# ---------------------------------------------------------------- charts


def test_charts_carry_the_caption_and_n_and_narrow_to_a_stage(loss_db):
    funnel = compute_funnel(loss_db, JANUARY, AS_OF)
    caption = JANUARY.caption()
    reasons = compute_loss_reasons(loss_db, JANUARY, AS_OF)
    shares = compute_loss_shares(loss_db, JANUARY, AS_OF)
    silent = compute_silent_loss(loss_db, JANUARY, AS_OF)
    specs = {
        "funnel": build_funnel_figure(funnel, LABELS, "en", caption, "RUB", selected="registration"),
        "lost": build_lost_value_figure(build_lost_value_steps(funnel), LABELS, "en", caption, "RUB"),
        "previous": build_period_comparison_figure(compare_with_previous_period(loss_db, JANUARY, AS_OF), LABELS, "en", caption),
        "breakdown": build_breakdown_figure(compute_funnel_breakdowns(loss_db, JANUARY, AS_OF), "segment", LABELS, "en", caption),
        "time": build_time_to_convert_figure(compute_time_to_convert_summary(loss_db, JANUARY, AS_OF), LABELS, "en", caption),
        "moments": build_moments_figure(compute_moments_of_truth(loss_db, JANUARY), LABELS, "en", caption),
        "reasons": build_reasons_figure(reasons, "churn_reason", shares, LABELS, "en", caption),
        "silent": build_silent_loss_figure(silent, LABELS, "en", caption),
    }
    figures = {name: go.Figure(spec) for name, spec in specs.items()}  # validated, attribute access
    for name, figure in figures.items():
        assert figure.layout.title.subtitle.text == caption, name
        templates = [trace.hovertemplate or "" for trace in figure.data]
        names = [trace.name or "" for trace in figure.data]
        assert all("n = " in t or "n = " in n for t, n in zip(templates, names)), name
    bars = figures["funnel"].data[0]
    assert list(bars.x) == [7, 3, 2, 1]
    assert [c[0] for c in bars.customdata] == JOURNEY
    assert list(bars.marker.color).count(bars.marker.color[1]) == 1  # only the selected stage stands out
    assert list(figures["lost"].data[0].measure) == ["relative"] * 3 + ["total"]
    # narrowed: one stage left; the last stage narrows to an empty chart with a message
    narrowed = go.Figure(build_reasons_figure(reasons, "churn_reason", shares, LABELS, "en", caption, stage="first_contact"))
    assert {y for trace in narrowed.data for y in trace.y} == {"First contact → Registration<br>50.0% of refusals · n = 2"}
    assert len(build_silent_loss_figure(silent, LABELS, "en", caption, stage="registration")["data"][0]["y"]) == 1
    assert not build_silent_loss_figure(silent, LABELS, "en", caption, stage="onboarding")["data"]
    with pytest.raises(ValueError, match="kind must be one of"):
        build_reasons_figure(reasons, "mood", shares, LABELS, "en", caption)


def test_a_click_on_the_funnel_selects_the_stage_in_its_customdata():
    points = [{"curve_number": 0, "point_index": 1, "y": "Registration", "customdata": ["registration", "hover"]}]
    assert selected_stage(points, JOURNEY) == "registration"
    assert selected_stage([{"customdata": ["nowhere"]}], JOURNEY) is None
    assert selected_stage(None, JOURNEY) is None
    assert describe_value("registration_too_complex", "ru") == "Сложная регистрация"
    assert describe_value("late_refund", "en") == "Late refund"


# ---------------------------------------------------------------- the sample, against plain pandas


SELECTIONS = [
    Filters(date(2025, 7, 1), date(2025, 12, 31)),
    Filters(date(2024, 1, 1), date(2024, 12, 31), segments=("Premium", "SMB"), channels=("web", "mobile_app")),
]


@pytest.fixture(scope="module")
def frames(sample_db):
    con = duckdb.connect(str(sample_db), read_only=True)
    names = ("customers", "journey_events", "transactions", "churn_events", "complaints", "surveys")
    tables = {name: con.execute(f"SELECT * FROM {name}").df() for name in names}
    con.close()
    return tables


@pytest.fixture(scope="module")
def sample(sample_db):
    return open_backend(sample_db)


def pandas_lost(frames, f: Filters) -> pd.Series:
    """Lost cohort customers -> the stage they were lost at, in plain pandas."""
    last = pandas_reached(frames, f, SAMPLE_AS_OF).notna().sum(axis=1)
    last = last[last < len(SAMPLE_STAGES)]
    return last.map(lambda k: SAMPLE_STAGES[k - 1]).rename("stage")


def upto_as_of(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame[frame[column] < pd.Timestamp(SAMPLE_AS_OF + timedelta(days=1))]


@pytest.mark.parametrize("f", SELECTIONS, ids=lambda f: f.caption())
def test_sample_reasons_match_plain_pandas(frames, sample, f):
    lost = pandas_lost(frames, f).reset_index()
    churn = lost.merge(upto_as_of(frames["churn_events"], "churned_at"), on="customer_id")
    complaints = lost.merge(upto_as_of(frames["complaints"], "opened_at"), on="customer_id")
    expected = pd.concat([
        churn.assign(kind="churn_reason", value=churn["reason"].fillna("not_stated")),
        complaints.assign(kind="complaint_category", value=complaints["category"].fillna("not_stated")),
    ]).groupby(["stage", "kind", "value"]).size()  # fmt: skip
    expected_share = expected / expected.groupby(level=["stage", "kind"]).transform("sum")
    got = compute_loss_reasons(sample, f, SAMPLE_AS_OF).set_index(["stage", "kind", "value"])
    assert expected.sum() > 500  # worth comparing
    assert got["count"].sort_index().to_dict() == expected.sort_index().to_dict()
    pd.testing.assert_series_equal(got["share"].sort_index(), expected_share.sort_index(), check_names=False)


@pytest.mark.parametrize("f", SELECTIONS, ids=lambda f: f.caption())
def test_sample_silent_loss_matches_plain_pandas(frames, sample, f):
    lost = pandas_lost(frames, f)
    complained = set(upto_as_of(frames["complaints"], "opened_at")["customer_id"].dropna())
    answered = set(upto_as_of(frames["surveys"], "responded_at")["customer_id"].dropna())
    is_silent = ~lost.index.isin(list(complained | answered))
    expected = pd.Series(is_silent, index=lost.index).groupby(lost).agg(["size", "sum"])
    got = compute_silent_loss(sample, f, SAMPLE_AS_OF).set_index("stage")
    assert got["lost_count"].to_dict() == expected["size"].to_dict()
    assert got["silent_count"].to_dict() == expected["sum"].to_dict()
    assert got["silent_share"].tolist() == pytest.approx((expected["sum"] / expected["size"]).reindex(got.index).tolist())


def test_sample_breakdowns_equal_the_funnel_narrowed_to_each_value(sample):
    f = SELECTIONS[0]
    breakdowns = compute_funnel_breakdowns(sample, f, SAMPLE_AS_OF)
    for dimension, value in (("segment", "Premium"), ("channel", "mobile_app"), ("region", "Siberia"),
                             ("acquisition_channel", "partners")):  # fmt: skip
        rows = breakdowns[(breakdowns["dimension"] == dimension) & (breakdowns["value"] == value)]
        funnel = compute_funnel(sample, narrow_to_value(f, dimension, value), SAMPLE_AS_OF)
        assert rows["customers"].tolist() == funnel["customers"].tolist(), (dimension, value)
        assert rows["step_conversion"].tolist() == pytest.approx(funnel["step_conversion"].tolist(), nan_ok=True)
    segments = breakdowns[breakdowns["dimension"] == "segment"]
    total = compute_funnel(sample, f, SAMPLE_AS_OF)["customers"].tolist()
    assert segments.groupby("position")["customers"].sum().tolist() == total


def test_sample_time_summary_matches_the_converting_customers(sample):
    f = SELECTIONS[0]
    times = compute_time_to_convert(sample, f, SAMPLE_AS_OF).groupby("to_stage", sort=False)["hours"]
    summary = compute_time_to_convert_summary(sample, f, SAMPLE_AS_OF)
    assert summary["count"].tolist() == times.size().tolist()
    assert summary["q1_hours"].tolist() == pytest.approx(times.quantile(0.25).tolist())
    assert summary["p90_hours"].tolist() == pytest.approx(times.quantile(0.9).tolist())
    assert summary["median_hours"].tolist() == pytest.approx(compute_funnel(sample, f, SAMPLE_AS_OF)["median_hours_to_next"].tolist()[:-1])


def test_sample_story_registration_leaks_most_money_and_feels_worst(sample):
    f = SELECTIONS[0]
    funnel = compute_funnel(sample, f, SAMPLE_AS_OF)
    worst = find_worst_stage(funnel)
    assert (worst["stage"], funnel["stage"].iloc[int(worst["position"])]) == ("first_contact", "registration")
    assert find_weakest_stage(compute_moments_of_truth(sample, f))[0] == "registration"
    reasons = compute_loss_reasons(sample, f, SAMPLE_AS_OF)
    first = reasons[(reasons["stage"] == "first_contact") & (reasons["kind"] == "churn_reason")]
    assert first["value"].iloc[0] == "registration_too_complex" and first["share"].iloc[0] > 0.5
    shares = compute_loss_shares(sample, f, SAMPLE_AS_OF).set_index("stage")
    assert shares.loc["first_contact", "churned_share"] > 0.4  # the refusals mostly come from sign-up
    labels = fetch_stage_labels(sample, "en")
    headline = build_journey_headline(funnel, compare_with_previous_period(sample, f, SAMPLE_AS_OF), labels, "en",
                                      "RUB", f.previous())  # fmt: skip
    assert headline.startswith("The costliest leak is the step from First contact to Registration:")


def test_sample_incident_is_the_step_that_fell_most(sample):
    incident = Filters(INCIDENT_START, INCIDENT_END, channels=("mobile_app",))
    comparison = compare_with_previous_period(sample, incident, SAMPLE_AS_OF)
    fall = find_worst_fall(comparison)
    assert fall["stage"] == "first_purchase" and fall["change"] < -0.15 and fall["z"] < -2
    reasons = compute_loss_reasons(sample, incident, SAMPLE_AS_OF)
    at_registration = reasons[(reasons["stage"] == "registration") & (reasons["kind"] == "churn_reason")]
    assert at_registration.set_index("value")["share"].idxmax() == "payment_failed"


# ---------------------------------------------------------------- the page (AppTest)


def funnel_chart(app) -> dict:
    """The funnel figure the page drew (the first plotly chart)."""
    return json.loads(app.get("plotly_chart")[0].proto.spec)


def headline(app) -> str:
    return app.info[0].value


def test_journey_page_runs_with_filters_and_window(tmp_path, monkeypatch, sample_db):
    app = open_app(tmp_path, monkeypatch, sample_db, page="journey")
    assert not app.exception
    assert app.title[0].value == "Customer journey"
    assert "Registration" in headline(app) and "costliest leak" in headline(app)
    assert app.number_input(key="journey_window_days").value == 30
    assert "conversion window 30 days" in shown(app.caption[0].value)
    app.sidebar.multiselect(key="f_segment").select("SMB").run()
    app.sidebar.multiselect(key="f_channel").select("web").run()
    app.sidebar.selectbox(key="f_period").select("last_12m").run()
    assert not app.exception
    assert "Segment: SMB · Channel: Web" in shown(app.caption[0].value)
    app.number_input(key="journey_window_days").set_value(7).run()
    assert not app.exception
    assert "conversion window 7 days" in shown(app.caption[0].value)
    assert "--window-days 7" in app.code[0].value
    assert len(app.get("plotly_chart")) == 13


def test_page_funnel_equals_the_cli(tmp_path, monkeypatch, sample_db, capsys):
    app = open_app(tmp_path, monkeypatch, sample_db, page="journey")
    app.sidebar.multiselect(key="f_region").select("Siberia").run()
    app.number_input(key="journey_window_days").set_value(14).run()
    command = app.code[0].value.split()
    assert command[:4] == ["python", "-m", "cxdata", "funnel"]
    assert cli.main([*command[3:], "--db", str(sample_db)]) == 0
    printed = json.loads(capsys.readouterr().out)
    bars = funnel_chart(app)["data"][0]
    assert bars["x"] == [row["customers"] for row in printed]
    assert [c[0] for c in bars["customdata"]] == [row["stage"] for row in printed]
    expected = compute_funnel(open_backend(sample_db), default_filters(sample_db, regions=("Siberia",)),
                              SAMPLE_AS_OF, window_days=14)  # fmt: skip
    assert bars["x"] == expected["customers"].tolist()


def test_a_selected_stage_narrows_the_detail_and_clears(tmp_path, monkeypatch, sample_db):
    app = open_app(tmp_path, monkeypatch, sample_db, page="journey")
    app.session_state["journey_stage"] = "registration"  # what a click on the Registration bar stores
    app.run()
    assert not app.exception
    assert "Showing stage **Registration**" in app.success[0].value
    charts = {json.loads(c.proto.spec)["layout"]["title"]["text"].split(":")[0]: json.loads(c.proto.spec)
              for c in app.get("plotly_chart")}  # fmt: skip
    silent = charts["Silent loss"]["data"][0]
    assert silent["y"] == ["Registration → First purchase"]
    reason_rows = {y for trace in charts["Why they leave"]["data"] for y in trace["y"]}
    assert len(reason_rows) == 1 and next(iter(reason_rows)).startswith("Registration → First purchase<br>")
    assert len(charts["Time to convert, days"]["data"]) == 1
    app.button(key="journey_clear_stage").click().run()
    assert not app.exception and not app.success
    assert len(json.loads(app.get("plotly_chart")[-1].proto.spec)["data"]) == 5  # every step again


def test_last_stage_and_russian(tmp_path, monkeypatch, sample_db):
    app = open_app(tmp_path, monkeypatch, sample_db, page="journey")
    app.session_state["journey_stage"] = "loyalty"
    app.sidebar.segmented_control(key="lang").set_value("ru").run()
    assert not app.exception
    assert app.title[0].value == "Путь клиента"
    assert "«Регистрация»" in headline(app)
    assert "последнем этапе никто не теряется" in app.success[0].value


def test_tiny_and_empty_selections_show_messages(tmp_path, monkeypatch, sample_db, empty_db):
    app = open_app(tmp_path, monkeypatch, sample_db, page="journey")
    app.sidebar.selectbox(key="f_period").select("custom").run()
    app.sidebar.date_input(key="f_dates").set_value((date(2025, 12, 30), date(2025, 12, 31))).run()
    app.sidebar.multiselect(key="f_region").select("Siberia").run()
    app.session_state["journey_stage"] = "first_purchase"
    app.run()
    assert not app.exception
    assert any("small sample" in w.value or "No data" in w.value for w in app.warning)
    con = duckdb.connect(str(empty_db))  # one lead and nothing else: an empty workspace would welcome instead
    con.execute("INSERT INTO customers (customer_id, signup_at) VALUES ('lead-1', TIMESTAMP '2025-03-01 10:00')")
    con.close()
    empty = open_app(tmp_path, monkeypatch, empty_db, page="journey")
    assert not empty.exception
    # No journey stages or events loaded: what to load, not a library's reason.
    assert [i.value for i in empty.info] == ["not available: no journey stages loaded — load journey stages"]
