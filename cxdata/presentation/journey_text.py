"""EN/RU strings of the customer-journey page, registered with ``cxdata.i18n``, and its texts: the
headline, the line about the stage clicked, the equivalent command line. Frames in, text out; no
database.
"""

from __future__ import annotations

import shlex

import pandas as pd

from cxdata.i18n import (
    format_compact,
    format_number,
    format_period,
    register_text,
    translate,
)
from cxdata.model.filters import Filters
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.presentation.plaintext import markdown_text
from cxdata.questions.journey import NOTABLE_Z, find_worst_fall
from cxdata.questions.journey_loss import find_worst_stage

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
        "en": "The same funnel from the command line",
        "ru": "Та же воронка из командной строки",
    },
    "journey_unavailable": {
        "en": "The journey cannot be drawn for this data: check that the journey stages and the journey "
              "events loaded name the same stages.",
        "ru": "Путь клиента не построить по этим данным: проверьте, что в загруженных этапах и событиях "
              "пути клиента одни и те же этапы.",
    },
}
register_text(JOURNEY_TEXT)
# The charts' own strings (``journey_charts``, ``journey_stage_charts``).
CHART_TEXT = {
    "journey_chart_funnel": {"en": "Funnel: customers at each stage", "ru": "Воронка: клиенты на каждом этапе"},
    "journey_chart_lost_value": {"en": "Where the money leaves", "ru": "Где уходят деньги"},
    "journey_chart_comparison": {
        "en": "Step conversion vs the previous period", "ru": "Конверсия переходов к предыдущему периоду",
    },
    "journey_chart_breakdown": {"en": "Step conversion by {dimension}", "ru": "Конверсия переходов: {dimension}"},
    "journey_chart_time": {"en": "Time to convert, days", "ru": "Время до перехода, дни"},
    "journey_chart_moments": {"en": "Moments of truth by stage", "ru": "Моменты истины по этапам"},
    "journey_chart_moments_weakest": {
        "en": "Moments of truth by stage — weakest: {stage} (lowest {metric})",
        "ru": "Моменты истины по этапам — слабейший: {stage} (самый низкий {metric})",
    },
    "journey_chart_reasons": {
        "en": "Why they leave: churn reasons of the lost", "ru": "Почему уходят: причины оттока потерянных",
    },
    "journey_chart_complaints": {
        "en": "What the lost complained about", "ru": "На что жаловались потерянные",
    },
    "journey_chart_silent": {
        "en": "Silent loss: lost without a complaint or a survey answer",
        "ru": "Тихие потери: ушли без жалоб и без ответов на опросы",
    },
    "journey_total_lost": {"en": "Total lost", "ru": "Всего потеряно"},
    "journey_scale_nps": {"en": "−100 … +100", "ru": "−100 … +100"},
    "journey_scale_csat": {"en": "% of 4–5 on 1–5", "ru": "% ответов 4–5 из 1–5"},
    "journey_scale_ces": {"en": "1–7, 7 = easiest", "ru": "1–7, 7 = легче всего"},
    "journey_axis_customers": {"en": "customers", "ru": "клиенты"},
    "journey_axis_step_conversion": {"en": "step conversion", "ru": "конверсия перехода"},
    "journey_axis_share": {"en": "share", "ru": "доля"},
    "journey_axis_days": {"en": "days", "ru": "дни"},
    "journey_current_period": {"en": "this period", "ru": "этот период"},
    "journey_previous_period": {"en": "previous period", "ru": "предыдущий период"},
    "journey_step": {"en": "{from_stage} → {to_stage}", "ru": "{from_stage} → {to_stage}"},
    "journey_of_refusals": {"en": "{share} of refusals", "ru": "{share} отказов"},
    "journey_hover_funnel": {
        "en": "customers: {customers}<br>step conversion: {step}<br>overall conversion: {overall}<br>"
        "did not reach the next stage: {dropped} ({rate})<br>lost value: {value}",
        "ru": "клиенты: {customers}<br>конверсия перехода: {step}<br>общая конверсия: {overall}<br>"
        "не дошли до следующего этапа: {dropped} ({rate})<br>упущенная ценность: {value}",
    },
    "journey_hover_lost_value": {
        "en": "lost: {dropped} customers<br>lost value: {value} ({share} of the total)",
        "ru": "потеряно: {dropped} клиентов<br>упущенная ценность: {value} ({share} от всей)",
    },
    "journey_hover_conversion": {
        "en": "{converted} of {base} converted",
        "ru": "перешли {converted} из {base}",
    },
    "journey_hover_share": {"en": "{count} of {total}", "ru": "{count} из {total}"},
    "journey_median_days": {"en": "median {days} d", "ru": "медиана {days} дн."},
    "journey_hover_silent": {
        "en": "silent: {silent} of {lost} lost<br>95% interval {low} … {high}<br>complained: {complained}, "
        "answered a survey: {answered}",
        "ru": "тихо ушли: {silent} из {lost} потерянных<br>95% интервал {low} … {high}<br>жаловались: "
        "{complained}, отвечали на опросы: {answered}",
    },
}
register_text(CHART_TEXT)


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

    >>> from datetime import date
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
