"""The metrics early signals watch, each defined once: what it counts, its kind of test, its unit.

NPS, CSAT and CES are the registry's own metrics (``cxdata.model.registry``), counted by week; the
others exist only as signals and are defined here. ``factor`` turns the tested value (a share, a
rate per purchase, a mean) into the unit shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from cxdata.model.registry import METRICS

# A step counts as made when the next stage follows within this many days of the previous one;
# cohorts younger than that on the as-of date are left out (their conversion is not final yet).
STEP_WINDOW_DAYS = 14
# The early steps of the journey, where a two-week window sees the whole step (the first N+1 stages).
STEPS_CHECKED = 3


@dataclass(frozen=True)
class Signal:
    name: str
    label_en: str
    label_ru: str
    description_en: str
    description_ru: str
    kind: str  # "proportion", "rate" or "mean" (cxdata.analysis.signals)
    unit: str  # as in the registry: "%", "points", "score", "per 1000"
    factor: float
    decimals: int
    higher_is_better: bool
    sample_of_en: str
    sample_of_ru: str
    # The "table.column"s it is made of (as ``Metric.needs``): without one it is not watched.
    needs: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.label_ru if lang == "ru" else self.label_en

    def description(self, lang: str) -> str:
        return self.description_ru if lang == "ru" else self.description_en

    def sample_of(self, lang: str) -> str:
        return self.sample_of_ru if lang == "ru" else self.sample_of_en


def _from_registry(name: str, kind: str, factor: float, sample_ru: str) -> Signal:
    metric = METRICS[name]
    return Signal(name, metric.label_en, metric.label_ru, metric.description_en, metric.description_ru, kind,
                  metric.unit, factor, metric.decimals, metric.higher_is_better, metric.sample_of, sample_ru,
                  metric.needs)  # fmt: skip


SIGNALS: dict[str, Signal] = {
    s.name: s
    for s in (
        # NPS is the mean of +1 (promoter), 0 (passive), −1 (detractor), × 100.
        _from_registry("nps", "mean", 100.0, "ответы с оценкой NPS"),
        _from_registry("csat", "proportion", 100.0, "ответы с оценкой CSAT"),
        _from_registry("ces", "mean", 1.0, "ответы с оценкой CES"),
        Signal(
            "step_conversion", "Step conversion", "Конверсия шага",
            f"Share of the customers who reached a stage in the week (their first time there) and reached the "
            f"next stage within {STEP_WINDOW_DAYS} days; by the channel of first contact.",
            f"Доля клиентов, впервые дошедших до этапа за неделю, которые дошли до следующего этапа за "
            f"{STEP_WINDOW_DAYS} дней; по каналу первого контакта.",
            "proportion", "%", 100.0, 1, True, "customers who reached the previous stage",
            "клиенты, дошедшие до предыдущего этапа", ("journey_stages.stage", "journey_events.customer_id"),
        ),
        Signal(
            "complaint_rate", "Complaint rate", "Частота жалоб",
            "Complaints opened in the week per 1,000 purchases (positive transactions) of the week.",
            "Жалобы, открытые за неделю, на 1000 покупок (положительных транзакций) той же недели.",
            "rate", "per 1000", 1000.0, 2, False, "purchases", "покупки", ("complaints.category", "transactions.amount"),
        ),
        Signal(
            "refund_rate", "Refund rate", "Доля возвратов",
            "Refunds (negative transactions) of the week per 100 purchases (positive transactions) of the week.",
            "Возвраты (отрицательные транзакции) за неделю на 100 покупок (положительных транзакций) той же недели.",
            "rate", "%", 100.0, 1, False, "purchases", "покупки", ("transactions.amount",),
        ),
    )
}  # fmt: skip
