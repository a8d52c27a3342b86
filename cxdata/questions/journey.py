"""The customer journey beyond the funnel: breakdowns, the previous period, moments of truth, why
customers leave, silent loss and lost value. ``Filters`` in, DataFrames out; no Streamlit.

Every function follows the funnel's rules (``cxdata.questions.funnel``: entry cohort, window, out-of-order
and repeat rules) and takes the same ``window_days`` and ``stages``. The rules added here:

- **Lost at stage k** = in the entry cohort, counted at stage k but not at k+1 (the funnel's
  ``dropped``); nobody is lost at the last stage. A customer is lost at exactly one stage.
- **What a lost customer did** is read over their whole history up to the ``as_of`` day, whatever
  the period, channel or touchpoint: their churn event (``churn_events.reason``), their
  complaints (``complaints.category``) and their survey answers. Missing reasons and categories
  are "not_stated".
- **Silent** = lost, never complained and never answered a survey (anonymous answers cannot be
  tied to anyone, so they do not count as answers).
- **Moments of truth** are the survey answers dated in the period (the same selection as the KPI
  tiles), grouped by ``touchpoint``; touchpoints that are not funnel stages are left out.
- **Weakest stage**: the lowest CSAT among stages with at least ``MIN_SAMPLE_SIZE`` CSAT answers;
  when no stage has that many, the lowest CES among stages with at least ``MIN_SAMPLE_SIZE`` CES
  answers; otherwise none. CSAT (a share) and CES (a 1–7 mean) are never ranked against each other.
- **Small samples** (n < ``MIN_SAMPLE_SIZE``) are flagged; they never decide a headline.
"""

from __future__ import annotations

import math
import shlex
from datetime import date, timedelta
from itertools import accumulate

import ibis
import pandas as pd

from cxdata.analysis.stats import mean_interval, nps_interval, wilson_interval
from cxdata.engine import journey_rollup
from cxdata.engine.query import day_start
from cxdata.engine.router import CURRENT, JOURNEY_CUSTOMER, answered_by
from cxdata.i18n import (
    format_compact,
    format_number,
    format_period,
    register_text,
    translate,
)
from cxdata.model.filters import UNKNOWN, Filters
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.model.rules import common_scale_top
from cxdata.presentation.plaintext import markdown_text
from cxdata.questions.funnel import (
    DEFAULT_WINDOW_DAYS,
    FUNNEL_COLUMNS,
    STAGE_COUNT_DTYPES,
    cohort_last_stages,
    compute_funnel,
    stage_count_rows,
    time_to_convert_table,
    validate_stages,
    validate_window_days,
)
from cxdata.questions.metrics import ces_stats, survey_aggregates

# Breakdown dimension -> where its value comes from (the channel is the entry event's, as in the filter).
BREAKDOWN_DIMENSIONS = ("segment", "channel", "region", "acquisition_channel")
SURVEY_METRICS = ("nps", "csat", "ces")
LOSS_KINDS = ("churn_reason", "complaint_category")
NOT_STATED = "not_stated"
# A fall in step conversion is called out as real when its two-proportion |z| reaches this.
NOTABLE_Z = 2.0

JOURNEY_TEXT = {
    "journey_headline_title": {"en": "Where customers and money leave", "ru": "Где уходят клиенты и деньги"},
    "journey_headline_worst": {
        "en": "The costliest leak is the step from {from_stage} to {to_stage}: {dropped} of {customers} "
        "({rate}) did not go on, about {cost} of lost value.",
        "ru": "Самая дорогая потеря — переход от этапа «{from_stage}» к этапу «{to_stage}»: {dropped} из "
        "{customers} ({rate}) не пошли дальше, это около {cost} упущенной ценности.",
    },
    "journey_headline_worst_no_value": {
        "en": "The biggest leak is the step from {from_stage} to {to_stage}: {dropped} of {customers} ({rate}) "
        "did not go on.",
        "ru": "Самая большая потеря — переход от этапа «{from_stage}» к этапу «{to_stage}»: {dropped} из "
        "{customers} ({rate}) не пошли дальше.",
    },
    "journey_headline_fell": {
        "en": "Compared with {period}, step conversion fell most into {stage}: {previous} → {current} "
        "({change}; n = {current_n} now, {previous_n} before).",
        "ru": "По сравнению с периодом {period} сильнее всего упала конверсия в этап «{stage}»: "
        "{previous} → {current} ({change}; n = {current_n} сейчас, {previous_n} раньше).",
    },
    "journey_headline_noise": {
        "en": "This fall is within sampling noise.",
        "ru": "Это падение в пределах случайного разброса.",
    },
    "journey_headline_no_fall": {
        "en": "No step converted worse than in {period}.",
        "ru": "Ни один переход не стал конвертироваться хуже, чем в период {period}.",
    },
    "journey_headline_too_few": {
        "en": "Too few customers to compare the steps with {period} (n < {minimum}).",
        "ru": "Слишком мало клиентов, чтобы сравнить переходы с периодом {period} (n < {minimum}).",
    },
    "journey_headline_empty": {
        "en": "Nobody entered the journey in this selection.",
        "ru": "В этой выборке никто не начал путь клиента.",
    },
    "percentage_points": {"en": "{value} pp", "ru": "{value} п.п."},
    # The page's own strings.
    "journey_window": {"en": "Conversion window, days", "ru": "Окно конверсии, дни"},
    "journey_window_help": {
        "en": "A customer counts at the next stage only if they reach it within this many days of the previous "
        "one. Default: {default} days.",
        "ru": "Клиент засчитывается на следующем этапе, только если дошёл до него за это число дней после "
        "предыдущего. По умолчанию: {default} дней.",
    },
    "journey_window_caption": {"en": "conversion window {days} days", "ru": "окно конверсии {days} дн."},
    "journey_cohort_note": {
        "en": "Entry cohort: customers whose first event at the stage “{first_stage}” falls in the period; a stage "
        "counts only after the previous one and within the window; later stages are followed up to {as_of}. "
        "Customers who entered in the last {days} days have had less time to move on.",
        "ru": "Когорта: клиенты, у которых первое событие «{first_stage}» попало в период; этап засчитывается "
        "только после предыдущего и в пределах окна; дальнейшие этапы учитываются до {as_of}. У вошедших за "
        "последние {days} дн. было меньше времени на переход.",
    },
    "journey_pick_stage": {
        "en": "Click a stage bar to narrow the detail below to the customers lost after it.",
        "ru": "Нажмите на столбец этапа, чтобы сузить подробности ниже до клиентов, потерянных после него.",
    },
    "journey_showing_stage": {
        "en": "Showing stage **{stage}**: customers who reached it but not {next_stage}.",
        "ru": "Показан этап **{stage}**: клиенты, дошедшие до него, но не до этапа «{next_stage}».",
    },
    "journey_showing_last_stage": {
        "en": "Showing stage **{stage}**: the last stage loses no one, so there is no loss to explain here.",
        "ru": "Показан этап **{stage}**: на последнем этапе никто не теряется, объяснять здесь нечего.",
    },
    "journey_clear_stage": {"en": "Clear — all stages", "ru": "Сбросить — все этапы"},
    "journey_small_loss": {
        "en": "Only {n} customers were lost after {stage}: the shares below rest on a small sample (n < {minimum}).",
        "ru": "После этапа «{stage}» потеряно всего {n} клиентов: доли ниже — по малой выборке (n < {minimum}).",
    },
    "journey_section_money": {"en": "Funnel and lost value", "ru": "Воронка и упущенная ценность"},
    "journey_section_previous": {"en": "Which step got worse", "ru": "Какой переход ухудшился"},
    "journey_section_breakdowns": {"en": "Breakdowns", "ru": "Разрезы"},
    "journey_section_why": {"en": "Why they leave", "ru": "Почему уходят"},
    "journey_section_feel": {"en": "How it felt and how long it took", "ru": "Впечатления и скорость"},
    "journey_lost_value_rule": {
        "en": "Lost value (an assumption, not a forecast) = customers lost after a stage × the average net revenue "
        "to date of cohort customers of the same segment who reached the next stage.",
        "ru": "Упущенная ценность (допущение, не прогноз) = потерянные после этапа × средняя чистая выручка к "
        "текущей дате у клиентов когорты того же сегмента, дошедших до следующего этапа.",
    },
    "journey_previous_rule": {
        "en": "Step conversion = customers at a stage / customers at the stage before; n = the customers at the "
        "stage before. Red: the step that fell most (samples of {minimum}+ only); hatched: a smaller sample.",
        "ru": "Конверсия перехода = клиенты на этапе / клиенты на предыдущем этапе; n — клиенты на предыдущем "
        "этапе. Красным — переход с наибольшим падением (только выборки от {minimum}); штриховка — выборка меньше.",
    },
    "journey_breakdown_rule": {
        "en": "Each value's own funnel: the channel is the one of the entry event, the rest are the customer's. "
        "Hatched: fewer than {minimum} customers at the stage before.",
        "ru": "Своя воронка для каждого значения: канал — канал входа, остальное — признаки клиента. "
        "Штриховка: меньше {minimum} клиентов на предыдущем этапе.",
    },
    "journey_why_rule": {
        "en": "Lost after a stage = reached it but not the next stage. Churn reasons and complaints are read over "
        "each lost customer's whole history up to {as_of}. Silent = never complained and never answered a survey.",
        "ru": "Потерян после этапа — дошёл до него, но не до следующего. Причины оттока и жалобы — за всю историю "
        "потерянного клиента до {as_of}. Тихо ушедшие — ни жалоб, ни ответов на опросы.",
    },
    "journey_moments_rule": {
        "en": "Survey answers dated in the period, by touchpoint, with 95% intervals. Weakest stage = lowest CSAT "
        "among stages with at least {minimum} CSAT answers (else lowest CES among stages with at least {minimum} "
        "CES answers). Amber open circles: fewer than {minimum} answers.",
        "ru": "Ответы на опросы за период по точкам контакта, с 95% интервалами. Слабейший этап — самый низкий "
        "CSAT среди этапов хотя бы с {minimum} ответами CSAT (иначе самый низкий CES среди этапов хотя бы с "
        "{minimum} ответами CES). Янтарные пустые круги: меньше {minimum} ответов.",
    },
    "journey_time_rule": {
        "en": "Box: quartiles; line: median; whiskers: 10th and 90th percentiles of the customers who made the step.",
        "ru": "Прямоугольник — квартили, линия — медиана, усы — 10-й и 90-й перцентили среди совершивших переход.",
    },
    "journey_cli": {
        "en": "The same funnel from the command line:",
        "ru": "Та же воронка из командной строки:",
    },
    "journey_unavailable": {
        "en": "The journey cannot be drawn for this data: check that the journey stages and the journey "
              "events loaded name the same stages.",
        "ru": "Путь клиента не построить по этим данным: проверьте, что в загруженных этапах и событиях "
              "пути клиента одни и те же этапы.",
    },
}
register_text(JOURNEY_TEXT)


# ---------------------------------------------------------------- labels and helpers


def fetch_stage_labels(db, lang: str) -> dict[str, str]:
    """Stage name -> its label in ``lang`` from ``journey_stages`` (the name when a label is missing).

    Stages the table does not know (an extract's own names) are absent: use ``labels.get(s, s)``.
    """
    stages = db.table("journey_stages").execute()
    column = "label_ru" if lang == "ru" else "label_en"
    return {row.stage: (getattr(row, column) or row.stage) if isinstance(getattr(row, column), str) else row.stage
            for row in stages.itertuples(index=False)}  # fmt: skip


def _as_of_end(as_of: date):
    return ibis.timestamp(day_start(as_of + timedelta(days=1)))


def _two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> float:
    """z of p1 − p2 with the pooled variance; NaN when either sample is empty or nothing varies.

    >>> round(_two_proportion_z(30, 100, 50, 100), 2)
    -2.89
    """
    if not n1 or not n2:
        return math.nan
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return (x1 / n1 - x2 / n2) / se if se else math.nan


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
            "z": _two_proportion_z(int(now["customers"]), now_base, int(before["customers"]), before_base),
            "is_small_sample": min(now_base, before_base) < MIN_SAMPLE_SIZE,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def compare_with_previous_period(db, filters: Filters, as_of: date, *, window_days: int = DEFAULT_WINDOW_DAYS,
                                 stages: list[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """``compare_funnels`` of this period's funnel and that of ``filters.previous()`` (the period of
    equal length just before, same dimensions): which step converts worse now, by how much, with n.

    Both cohorts are read up to the same ``as_of``, so customers who entered in the last
    ``window_days`` of a period ending at ``as_of`` have had less time to move on.
    """
    current = compute_funnel(db, filters, as_of, window_days=window_days, stages=stages)
    previous = compute_funnel(db, filters.previous(), as_of, window_days=window_days, stages=stages)
    return compare_funnels(current, previous)


def find_worst_fall(comparison: pd.DataFrame) -> pd.Series | None:
    """The step whose conversion fell most (most negative ``change``) among steps without a small
    sample; None when no such step fell."""
    fell = comparison[~comparison["is_small_sample"] & (comparison["change"] < 0)]
    return None if fell.empty else fell.loc[fell["change"].idxmin()]


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


# ---------------------------------------------------------------- why they leave, silent loss


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


def compute_loss_shares(db, filters: Filters, as_of: date, *, window_days: int = DEFAULT_WINDOW_DAYS,
                        stages: list[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """``summarize_loss_shares`` of this selection: each stage's share of all lost customers and of
    all refusals (lost customers with a churn event up to as_of)."""
    return summarize_loss_shares(compute_loss_profile(db, filters, as_of, window_days=window_days, stages=stages))


def compute_silent_loss(db, filters: Filters, as_of: date, *, window_days: int = DEFAULT_WINDOW_DAYS,
                        stages: list[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """``summarize_silent_loss`` of this selection: the share of the customers lost at each stage
    who never complained and never answered a survey (any time up to as_of), with its interval."""
    return summarize_silent_loss(compute_loss_profile(db, filters, as_of, window_days=window_days, stages=stages))


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


# ---------------------------------------------------------------- lost value and the headline


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


def format_share(share: float, lang: str, decimals: int = 1) -> str:
    """A share (0.482) as a percentage in the language's format: '48.2%' / '48,2 %'."""
    number = format_number(share * 100, lang, decimals)
    return f"{number}\u00a0%" if lang == "ru" else f"{number}%"


def format_share_change(change: float, lang: str) -> str:
    """A change of a share as signed percentage points: −0.058 -> '−5.8 pp' / '−5,8 п.п.'."""
    sign = "+" if change > 0 else ""
    return translate("percentage_points", lang, value=sign + format_number(change * 100, lang, 1))


def build_journey_headline(funnel: pd.DataFrame, comparison: pd.DataFrame, labels: dict[str, str], lang: str,
                           currency: str, previous: Filters) -> str:  # fmt: skip
    """Two sentences: the stage that loses the most money (its drop count, rate and cost), and the
    step whose conversion fell most against ``previous`` (the previous period), with n."""
    label = lambda stage: labels.get(stage, stage)  # noqa: E731
    if funnel["customers"].iloc[0] == 0:
        return translate("journey_headline_empty", lang)
    sentences = []
    worst = find_worst_stage(funnel)
    if worst is not None:
        position = int(worst["position"])
        next_stage = funnel["stage"].iloc[position]
        values = {
            "from_stage": label(worst["stage"]), "to_stage": label(next_stage),
            "dropped": format_number(worst["dropped"], lang), "customers": format_number(worst["customers"], lang),
            "rate": format_share(worst["drop_rate"], lang),
        }  # fmt: skip
        if pd.notna(worst["lost_value"]) and worst["lost_value"] > 0:
            cost = f"{format_compact(worst['lost_value'], lang)}\u00a0{currency}".strip()
            sentences.append(translate("journey_headline_worst", lang, cost=cost, **values))
        else:
            sentences.append(translate("journey_headline_worst_no_value", lang, **values))
    period = format_period(previous.start, previous.end, lang)
    fall = find_worst_fall(comparison)
    if fall is None and (comparison.empty or comparison["is_small_sample"].all()):
        sentences.append(translate("journey_headline_too_few", lang, period=period, minimum=MIN_SAMPLE_SIZE))
    elif fall is None:
        sentences.append(translate("journey_headline_no_fall", lang, period=period))
    else:
        sentences.append(
            translate(
                "journey_headline_fell", lang, period=period, stage=label(fall["stage"]),
                previous=format_share(fall["previous_step_conversion"], lang),
                current=format_share(fall["current_step_conversion"], lang),
                change=format_share_change(fall["change"], lang),
                current_n=format_number(fall["current_base_count"], lang),
                previous_n=format_number(fall["previous_base_count"], lang),
            )  # fmt: skip
        )
        if not abs(fall["z"]) >= NOTABLE_Z:
            sentences.append(translate("journey_headline_noise", lang))
    return " ".join(sentences)


def describe_selected_stage(funnel: pd.DataFrame, stage: str, labels: dict[str, str],
                            lang: str) -> tuple[str, str | None]:  # fmt: skip
    """(what the page shows for the stage clicked on the funnel, a small-sample warning or None),
    as markdown: the stage labels in them are the data's, made literal (``cxdata.presentation.plaintext``)."""
    stages = funnel["stage"].tolist()
    position = stages.index(stage)
    label = markdown_text(labels.get(stage, stage))
    if position == len(stages) - 1:
        return translate("journey_showing_last_stage", lang, stage=label), None
    next_stage = markdown_text(labels.get(stages[position + 1], stages[position + 1]))
    message = translate("journey_showing_stage", lang, stage=label, next_stage=next_stage)
    lost = int(funnel["dropped"].iloc[position])
    if lost < MIN_SAMPLE_SIZE:
        return message, translate("journey_small_loss", lang, n=format_number(lost, lang), stage=label,
                                  minimum=MIN_SAMPLE_SIZE)  # fmt: skip
    return message, None


def build_funnel_command(filters: Filters, window_days: int, stages: list[str] | None = None) -> str:
    """The ``python -m cxdata funnel`` command that prints the same funnel as the page.

    >>> build_funnel_command(Filters(date(2025, 7, 1), date(2025, 12, 31), segments=("SMB",)), 30)
    'python -m cxdata funnel --start 2025-07-01 --end 2025-12-31 --segment SMB --window-days 30'
    """
    parts = ["python", "-m", "cxdata", "funnel", "--start", filters.start.isoformat(), "--end", filters.end.isoformat()]
    options = {"segments": "--segment", "regions": "--region", "channels": "--channel",
               "acquisition_channels": "--acquisition-channel"}  # fmt: skip
    for name, option in options.items():
        for value in getattr(filters, name):
            parts += [option, value]
    parts += ["--window-days", str(window_days)]
    if stages:
        parts += ["--stages", ",".join(stages)]
    return " ".join(shlex.quote(part) for part in parts)
