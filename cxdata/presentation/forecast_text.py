"""Texts of the stored forecast: the refit's progress (Upload and Outlook pages) and the predicted
LTV's method or the reason it is not shown yet (overview tile, unit economics, CLI). Plain data in,
words out (EN/RU); no database."""

from __future__ import annotations

import math

from cxdata.engine.fit_store import RefitStatus
from cxdata.i18n import format_value, register_text, translate

register_text({
    "refit_starting": {
        "en": "Refitting the forecast for the new data: starting…",
        "ru": "Пересчитываем прогноз по новым данным: запуск…",
    },
    "refit_running": {
        "en": "Refitting the forecast for the new data: step {step} of {steps} — {label} ({percent}).",
        "ru": "Пересчитываем прогноз по новым данным: шаг {step} из {steps} — {label} ({percent}).",
    },
    "refit_done": {
        "en": "The forecast is refitted for the latest data (took {duration}).",
        "ru": "Прогноз пересчитан по последним данным (заняло {duration}).",
    },
    "refit_failed": {
        "en": "The forecast could not be refitted for the latest data; the Outlook page fits it when opened.",
        "ru": "Прогноз по последним данным пересчитать не удалось; страница «Прогноз» построит его при открытии.",
    },
    "refit_stopped": {
        "en": "The last refit of the forecast stopped before it finished; the Outlook page fits it when opened.",
        "ru": "Последний пересчёт прогноза остановился, не закончив; страница «Прогноз» построит его при открытии.",
    },
    "refit_seconds": {"en": "{n} s", "ru": "{n} с"},
    "refit_minutes": {"en": "{m} min {s} s", "ru": "{m} мин {s} с"},
    "predicted_ltv_label": {"en": "Predicted LTV", "ru": "Прогнозная LTV"},
    "predicted_ltv_cac_label": {"en": "Predicted LTV / CAC", "ru": "Прогнозная LTV / CAC"},
    "predicted_method": {"en": "predicted: {how}", "ru": "прогноз: {how}"},
    "predicted_method_how": {
        "en": "revenue to date + BG/NBD/Gamma-Gamma forecast over {h} months",
        "ru": "выручка на сегодня + ожидаемая по моделям BG/NBD и Gamma-Gamma за {h} мес.",
    },
    "predicted_computing": {
        "en": "predicted LTV: being computed after the latest load",
        "ru": "прогнозная LTV: пересчитывается после последней загрузки",
    },
    "predicted_failed": {
        "en": "predicted LTV: not available: the forecast could not be fitted on this data — see the Outlook page",
        "ru": "прогнозная LTV: недоступна: прогноз не удалось построить по этим данным — см. страницу «Прогноз»",
    },
    "predicted_missing": {
        "en": "predicted LTV: not available: no forecast fitted for this data yet — open the Outlook page or run "
              "python -m cxdata refit",
        # No command on a Russian screen: the Outlook page fits it too.
        "ru": "прогнозная LTV: недоступна: прогноз по этим данным ещё не построен — откройте страницу «Прогноз», "
              "он будет построен там",
    },
    "predicted_tile_note": {"en": "predicted {value} ({how})", "ru": "прогноз {value} ({how})"},
})  # fmt: skip


def describe_duration(seconds: float, lang: str) -> str:
    """'45 s', '1 min 52 s'.

    >>> describe_duration(112.4, "en")
    '1 min 52 s'
    """
    whole = int(round(seconds))
    if whole < 60:
        return translate("refit_seconds", lang, n=whole)
    return translate("refit_minutes", lang, m=whole // 60, s=whole % 60)


def describe_refit(status: RefitStatus, lang: str, labels: dict[str, str]) -> str:
    """The refit's state in one sentence; ``labels`` name the fits (``fits.fit_label``)."""
    if status.state == "done":
        return translate("refit_done", lang, duration=describe_duration(status.seconds or 0.0, lang))
    if status.state == "failed":
        return translate("refit_failed", lang)
    if not status.is_alive:
        return translate("refit_stopped", lang)
    if status.state == "starting" or status.step == 0:
        return translate("refit_starting", lang)
    name = status.steps[status.step - 1] if status.step <= len(status.steps) else ""
    return translate("refit_running", lang, step=status.step, steps=len(status.steps), label=labels.get(name, name),
                     percent=format_value(100 * status.progress, "%", lang, 0))  # fmt: skip


def describe_predicted_method(lang: str, horizon_months: int) -> str:
    """'predicted: revenue to date + BG/NBD/Gamma-Gamma forecast over 24 months'."""
    return translate("predicted_method", lang, how=translate("predicted_method_how", lang, h=horizon_months))


def describe_predicted_gap(state: str, lang: str) -> str:
    """Why the predicted LTV is not shown: ``computing``, ``failed`` or ``missing`` (``fits``)."""
    return translate(f"predicted_{state}", lang)


def describe_predicted_ratio(value: float | None, lang: str, horizon_months: int) -> str:
    """The predicted LTV/CAC with its method, for the overview tile's note."""
    shown = "—" if value is None or (isinstance(value, float) and math.isnan(value)) else format_value(value, "ratio", lang, 2)
    return translate("predicted_tile_note", lang, value=shown, how=translate("predicted_method_how", lang, h=horizon_months))



def predicted_column_help(lang: str, horizon_months: int = 24) -> dict[str, dict]:
    """The unit-economics tables' column settings (``st.dataframe``'s ``column_config``, as plain
    dicts): the predicted columns' hover help names the method."""
    method = describe_predicted_method(lang, horizon_months)
    method = f"{method[:1].upper()}{method[1:]}."
    return {translate(key, lang): {"help": method} for key in ("predicted_ltv_label", "predicted_ltv_cac_label")}
