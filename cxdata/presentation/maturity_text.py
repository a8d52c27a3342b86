"""CEM maturity in words and tables: the latest assessment's level and next steps, the evidence
beside each element, and the history of assessments. Pure functions, no Streamlit."""

from __future__ import annotations

from datetime import date

import pandas as pd

from cxdata.analysis.maturity import level_of
from cxdata.i18n import format_date, format_number, format_value, register_text, translate
from cxdata.model.maturity import (
    ELEMENTS,
    LEVELS,
    element_name,
    level_description,
    level_name,
    next_step,
)


def describe_latest(summary: dict, evidence: dict[str, dict], lang: str) -> dict:
    """The latest assessment for the command line and the page: ``{"assessment_id", "answered_at",
    "respondents", "elements", "overall", "level", "level_name", "level_description", "weakest",
    "capped", "element_levels", "next_steps": {element: text}, "evidence"}`` (texts in ``lang``)."""
    element_levels = {element: level_of(summary["elements"][element]) for element in ELEMENTS}
    return {
        "assessment_id": summary["assessment_id"], "answered_at": summary["answered_at"],
        "respondents": [r["respondent"] for r in summary["respondents"]],
        "elements": summary["elements"], "overall": summary["overall"], "level": summary["level"],
        "level_number": LEVELS.index(summary["level"]) + 1,
        "level_name": level_name(summary["level"], lang), "level_description": level_description(summary["level"], lang),
        "weakest": summary["weakest"], "capped": summary["level"] != summary["overall_band"],
        "element_levels": element_levels,
        "next_steps": {element: next_step(element, element_levels[element], lang) for element in ELEMENTS},
        "evidence": evidence,
    }


def describe_level(latest: dict, lang: str) -> str:
    """'Level 2 of 5: Regular service. Overall score 5.0 of 10; the weakest element, Culture (0.0),
    holds the level one above its own.' (the second sentence only when it did)."""
    text = translate("maturity_level_line", lang, number=latest["level_number"], name=latest["level_name"],
                     overall=format_number(latest["overall"], lang, 1))
    if latest["capped"]:
        weakest = latest["weakest"]
        text += " " + translate("maturity_level_capped", lang, element=element_name(weakest, lang),
                                score=format_number(latest["elements"][weakest], lang, 1))
    return text


def describe_evidence(element: str, evidence: dict | None, lang: str, stage_labels: dict[str, str]) -> str | None:
    """What the data shows about ``element`` in one or two sentences; None when the data cannot show it."""
    if evidence is None:
        return None
    if not evidence["available"]:
        return translate("maturity_evidence_prefix", lang, text=evidence["reason"])
    pct = lambda value: format_value(value, "%", lang, 0)  # noqa: E731
    if element == "measurement":
        text = translate("maturity_evidence_measurement", lang, stages=evidence["stages_covered"],
                         stages_total=evidence["stages_total"], stage_share=pct(evidence["stage_share"]),
                         channels=evidence["channels_covered"], channels_total=evidence["channels_total"],
                         channel_share=pct(evidence["channel_share"]))
        missing = [stage_labels.get(stage, stage) for stage in evidence["stages_without_answers"]]
        if missing:
            text += " " + translate("maturity_evidence_no_answers_at", lang, stages=", ".join(missing))
        return text
    if element == "fixing":
        key = "maturity_evidence_fixing_met" if evidence["meets_target"] else "maturity_evidence_fixing_missed"
        return translate(key, lang, resolved=pct(evidence["value"]), standard=pct(evidence["resolved_standard"]),
                         n=format_number(evidence["complaints"], lang))
    if element == "knowledge":
        return translate("maturity_evidence_knowledge", lang, share=pct(evidence["value"]),
                         signal=format_number(evidence["with_signal"], lang),
                         active=format_number(evidence["active_customers"], lang))
    if element == "strategy":
        return translate("maturity_evidence_strategy", lang, count=len(evidence["metrics_with_target"]),
                         total=evidence["metrics_total"], metrics=", ".join(evidence["metric_labels"]))
    return None


def build_history_table(assessments: list[dict], lang: str) -> pd.DataFrame:
    """One row per assessment, newest first: its number, date, respondents, overall score, level and
    the six element scores (column names in ``lang``)."""
    t = lambda key: translate(key, lang)  # noqa: E731
    rows = [{
        t("maturity_col_assessment"): summary["assessment_id"],
        t("maturity_col_date"): format_date(date.fromisoformat(summary["answered_at"][:10]), lang),
        t("maturity_col_respondents"): len(summary["respondents"]),
        t("maturity_col_overall"): summary["overall"],
        t("maturity_col_level"): level_name(summary["level"], lang),
        **{element_name(element, lang): summary["elements"][element] for element in ELEMENTS},
    } for summary in reversed(assessments)]
    columns = [t(f"maturity_col_{c}") for c in ("assessment", "date", "respondents", "overall", "level")]
    return pd.DataFrame(rows, columns=[*columns, *(element_name(e, lang) for e in ELEMENTS)])


register_text({
    "maturity_level_line": {"en": "Level {number} of 5: {name}. Overall score {overall} of 10.",
                            "ru": "Уровень {number} из 5: {name}. Общий балл {overall} из 10."},
    "maturity_level_capped": {
        "en": "The weakest element, {element} ({score}), keeps the level at most one above its own: one element "
              "far behind keeps the others from giving customers a truly good experience.",
        "ru": "Самый слабый элемент, «{element}» ({score}), удерживает уровень не выше чем на одну ступень над "
              "своим: сильно отстающий элемент не даёт остальным создать по-настоящему хороший опыт для клиентов."},
    "maturity_evidence_prefix": {"en": "Data: {text}", "ru": "Данные: {text}"},
    "maturity_evidence_measurement": {
        "en": "Data: survey answers in the period at {stages} of {stages_total} journey stages ({stage_share}) and "
              "in {channels} of {channels_total} channels ({channel_share}).",
        "ru": "Данные: ответы на опросы за период есть на {stages} из {stages_total} этапов пути ({stage_share}) и "
              "в {channels} из {channels_total} каналов ({channel_share})."},
    "maturity_evidence_no_answers_at": {"en": "No answers at: {stages}.", "ru": "Нет ответов на этапах: {stages}."},
    "maturity_evidence_fixing_met": {
        "en": "Data: {resolved} of the period's {n} complaints are resolved; the standard is at least {standard}: met.",
        "ru": "Данные: решено {resolved} из {n} жалоб за период; стандарт — не меньше {standard}: выполнен."},
    "maturity_evidence_fixing_missed": {
        "en": "Data: {resolved} of the period's {n} complaints are resolved; the standard is at least {standard}: "
              "not met.",
        "ru": "Данные: решено {resolved} из {n} жалоб за период; стандарт — не меньше {standard}: не выполнен."},
    "maturity_evidence_knowledge": {
        "en": "Data: {share} of active customers ({signal} of {active}) left a signal in the period: a survey answer "
              "or a complaint.",
        "ru": "Данные: {share} активных клиентов ({signal} из {active}) оставили за период сигнал: ответ на опрос "
              "или жалобу."},
    "maturity_evidence_strategy": {
        "en": "Data: {count} of {total} customer experience metrics have a target: {metrics}.",
        "ru": "Данные: у {count} из {total} показателей клиентского опыта есть цель: {metrics}."},
    "maturity_col_assessment": {"en": "Assessment", "ru": "Оценка"},
    "maturity_col_date": {"en": "Date", "ru": "Дата"},
    "maturity_col_respondents": {"en": "Respondents", "ru": "Отвечавших"},
    "maturity_col_overall": {"en": "Overall, 0–10", "ru": "Общий балл, 0–10"},
    "maturity_col_level": {"en": "Level", "ru": "Уровень"},
})
