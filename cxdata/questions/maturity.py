"""CEM maturity from the database: the stored assessments, scored, and the evidence the data can
give next to the self-scores. Ibis backend in, JSON-ready dicts out; no Streamlit.

Evidence is about the company, so it reads the period of the filters and none of their other
selections (segment, region, channel):

- **measurement**: survey coverage: the share of journey stages (``journey_stages``) with at least
  one survey answer at that touchpoint in the period, and the share of channels seen in the period
  (journey events and survey answers) with at least one survey answer in that channel; its
  ``value`` puts both together: covered stages and channels over all stages and channels.
- **fixing**: complaint resolution against the standard: the share of the period's complaints
  unresolved on the as-of date (the ``unresolved_share`` metric) against its target in
  ``targets``; without a target, not available (load one).
- **knowledge**: the share of active customers (at least one transaction in the period) with any CX
  signal in the period: a survey answer or a complaint.
- **strategy**: which CX metrics have a target valid on the period's last day (a strategy in numbers).

The other elements (new services, culture) have no trace in these tables: their self-score stands
alone.
"""

from __future__ import annotations

import ibis
import pandas as pd

from cxdata.analysis.maturity import score_assessment
from cxdata.i18n import register_text, translate
from cxdata.ingest.maturity_store import ASSESSMENTS, has_table
from cxdata.model.filters import Filters
from cxdata.model.maturity import ELEMENTS, QUESTION_IDS
from cxdata.model.registry import METRICS
from cxdata.questions.metrics import compute_metrics
from cxdata.questions.periods import in_period
from cxdata.questions.overview import fetch_target_table, select_targets

ANSWER_COLUMNS = ("assessment_id", "respondent", "answered_at", "question_id", "score")
CX_METRICS = ("nps", "csat", "ces", "churn_rate", "retention_rate", "unresolved_share")


def fetch_maturity_answers(db) -> pd.DataFrame:
    """Every stored answer (``maturity_assessments``), one row per answer; no rows when the table
    was never made (no assessment stored yet)."""
    if not has_table(db.con, ASSESSMENTS):
        return pd.DataFrame(columns=list(ANSWER_COLUMNS))
    return db.table(ASSESSMENTS).select(*ANSWER_COLUMNS).execute()


def summarize_assessments(answers: pd.DataFrame) -> list[dict]:
    """Each assessment scored, oldest first: ``{"assessment_id", "answered_at"`` (its first answer),
    ``"respondents": [{"respondent", "answered_at"}], "elements": {element: score}, "overall",
    "level", "overall_band", "weakest"}``. A respondent without all thirty answers is left out."""
    summaries = []
    for assessment_id, rows in answers.groupby("assessment_id", sort=True):
        respondents, shown = {}, []
        for respondent, own in rows.groupby("respondent", sort=False):
            scores = dict(zip(own["question_id"], own["score"].astype(int), strict=True))
            if set(QUESTION_IDS) <= set(scores):
                respondents[respondent] = scores
                shown.append({"respondent": respondent, "answered_at": _iso(own["answered_at"].min())})
        if not respondents:
            continue
        placed = score_assessment(respondents)
        summaries.append({
            "assessment_id": int(assessment_id), "answered_at": min(r["answered_at"] for r in shown),
            "respondents": sorted(shown, key=lambda r: r["answered_at"]),
            "elements": {element: round(placed.elements[element], 2) for element in ELEMENTS},
            "overall": round(placed.overall, 2), "level": placed.level, "overall_band": placed.overall_band,
            "weakest": placed.weakest})
    return summaries


def fetch_assessments(db) -> list[dict]:
    """Every stored assessment, scored, oldest first (``summarize_assessments``)."""
    return summarize_assessments(fetch_maturity_answers(db))


def compute_evidence(db, period: Filters, as_of, lang: str = "en") -> dict[str, dict]:
    """What the data shows per element (see the module rules): ``{element: {"available": bool,
    "value": % or None, "reason": text or None, ...details}}`` for measurement, fixing, knowledge and
    strategy; ``reason`` in ``lang``."""
    period = Filters(start=period.start, end=period.end)
    return {"measurement": _survey_coverage(db, period, lang), "fixing": _resolution(db, period, as_of, lang),
            "knowledge": _signal_share(db, period, lang), "strategy": _targets_set(db, period, lang)}


def _survey_coverage(db, period: Filters, lang: str) -> dict:
    surveys = db.table("surveys")
    answered = surveys.filter(in_period(surveys.responded_at, period))
    events = db.table("journey_events")
    stages = db.table("journey_stages").order_by("position").stage.execute().tolist()
    touched = set(answered.select("touchpoint").distinct().execute()["touchpoint"].dropna())
    surveyed_channels = set(answered.select("channel").distinct().execute()["channel"].dropna())
    event_channels = events.filter(in_period(events.occurred_at, period)).select("channel").distinct().execute()
    channels = sorted(surveyed_channels | set(event_channels["channel"].dropna()))
    if not stages and not channels:
        return _unavailable("maturity_no_journey", lang)
    covered_stages = [stage for stage in stages if stage in touched]
    return {"available": True, "value": _share(len(covered_stages) + len(surveyed_channels), len(stages) + len(channels)),
            "stages_covered": len(covered_stages), "stages_total": len(stages),
            "stage_share": _share(len(covered_stages), len(stages)),
            "channels_covered": len(surveyed_channels), "channels_total": len(channels),
            "channel_share": _share(len(surveyed_channels), len(channels)),
            "stages_without_answers": [stage for stage in stages if stage not in touched],
            "channels_without_answers": [channel for channel in channels if channel not in surveyed_channels],
            "reason": None}


def _resolution(db, period: Filters, as_of, lang: str) -> dict:
    target = select_targets(fetch_target_table(db), period).get("unresolved_share")
    value = compute_metrics(db, period, as_of, names=["unresolved_share"])["unresolved_share"]
    if value.gap is not None:
        return {"available": False, "value": None, "target": target, "reason": value.gap.reason(lang)}
    if value.value is None or value.n == 0:
        return _unavailable("maturity_no_complaints", lang, target=target)
    if target is None:
        return {**_unavailable("maturity_no_resolution_target", lang), "unresolved_share": round(value.value, 1),
                "complaints": value.n}
    return {"available": True, "value": round(100 - value.value, 1), "unresolved_share": round(value.value, 1),
            "target": target, "resolved_standard": round(100 - target, 1), "meets_target": value.value <= target,
            "complaints": value.n, "reason": None}


def _signal_share(db, period: Filters, lang: str) -> dict:
    transactions, surveys, complaints = db.table("transactions"), db.table("surveys"), db.table("complaints")
    active = (transactions.filter(in_period(transactions.occurred_at, period) & transactions.customer_id.notnull())
              .select("customer_id").distinct())
    signals = ibis.union(
        surveys.filter(in_period(surveys.responded_at, period)).select("customer_id"),
        complaints.filter(in_period(complaints.opened_at, period)).select("customer_id"),
        distinct=True).filter(lambda t: t.customer_id.notnull())
    joined = active.left_join(signals.mutate(has_signal=ibis.literal(1)), "customer_id")
    counts = joined.aggregate(active=joined.count(), with_signal=joined.has_signal.count()).execute()
    active_count, with_signal = int(counts["active"].iloc[0]), int(counts["with_signal"].iloc[0])
    if active_count == 0:
        return _unavailable("maturity_no_active", lang)
    return {"available": True, "value": _share(with_signal, active_count), "active_customers": active_count,
            "with_signal": with_signal, "reason": None}


def _targets_set(db, period: Filters, lang: str) -> dict:
    targets = select_targets(fetch_target_table(db), period)
    chosen = [metric for metric in CX_METRICS if metric in targets]
    if not chosen:
        return _unavailable("maturity_no_targets", lang)
    return {"available": True, "value": _share(len(chosen), len(CX_METRICS)), "metrics_with_target": chosen,
            "metric_labels": [METRICS[m].label(lang) for m in chosen], "metrics_total": len(CX_METRICS),
            "reason": None}


def _unavailable(key: str, lang: str, **details) -> dict:
    return {"available": False, "value": None, **details, "reason": translate(key, lang)}


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _iso(value) -> str:
    return pd.Timestamp(value).isoformat(sep=" ")


register_text({
    "maturity_no_journey": {"en": "not available: no journey stages or channels loaded — load journey stages "
                                  "and survey answers",
                            "ru": "нет данных: этапы пути и каналы не загружены — загрузите этапы пути и ответы на опросы"},
    "maturity_no_complaints": {"en": "not available: no complaints in the period",
                               "ru": "нет данных: за период нет жалоб"},
    "maturity_no_resolution_target": {
        "en": "not available: there is no standard to compare with — load a target for unresolved complaints",
        "ru": "нет данных: не с чем сравнить — загрузите целевое значение доли нерешённых жалоб"},
    "maturity_no_active": {"en": "not available: no customer made a transaction in the period",
                           "ru": "нет данных: за период ни один клиент не совершил транзакцию"},
    "maturity_no_targets": {"en": "not available: no CX metric has a target — load targets",
                            "ru": "нет данных: ни у одного показателя клиентского опыта нет цели — загрузите цели"},
})
