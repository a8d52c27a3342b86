"""Early warnings in words and charts: ``Alert`` in, text and a plotly figure dict out. No Streamlit.

Dimension values are shown by their display names (channels, complaint categories, journey stages),
never as the codes the data stores; a value without a display name is shown as the data has it.
"""

from __future__ import annotations

import math

import pandas as pd

from cxdata.i18n import format_date, format_number, format_period, plotly_day_format, plotly_separators, register_text, translate
from cxdata.model.signals import SIGNALS
from cxdata.presentation.charts import COLORS, make_figure
from cxdata.presentation.outlook_text import value_label
from cxdata.questions.alerts import Alert

register_text({
    "alerts_title": {"en": "Early warnings", "ru": "Ранние сигналы"},
    "alerts_none": {
        "en": "No metric left its normal range in {period}.",
        "ru": "Ни один показатель не выходил из своего обычного диапазона за {period}.",
    },
    "alerts_method": {
        "en": "Every week of each metric against its own previous 26 weeks (weeks out of control left out), "
              "with exact limits for the week's sample size; flagged from {z} standard deviations in the bad "
              "direction. A metric that varies more from week to week than its samples explain gets wider limits.",
        "ru": "Каждая неделя каждого показателя сравнивается с его же предыдущими 26 неделями (без недель с "
              "отклонениями), с точными границами для размера выборки недели; сигнал — от {z} стандартных "
              "отклонений в худшую сторону. Показателю, который колеблется сильнее, чем объясняет выборка, "
              "границы шире.",
    },
    "alerts_line": {
        "en": "{metric}{where}: {observed} instead of the usual {expected}, {period}",
        "ru": "{metric}{where}: {observed} вместо обычных {expected}, {period}",
    },
    "alerts_detail": {
        "en": "{z} standard deviations from normal ({severity}); sample: {size} {sample_of}.",
        "ru": "{z} стандартных отклонений от нормы ({severity}); выборка: {size} — {sample_of}.",
    },
    "alerts_unwatched": {"en": "{metric} is not watched: {text}", "ru": "{metric} не отслеживается: {text}"},
    "alerts_severity_critical": {"en": "critical", "ru": "критично"},
    "alerts_severity_major": {"en": "major", "ru": "серьёзно"},
    "alerts_severity_minor": {"en": "minor", "ru": "умеренно"},
    "alerts_step_to": {"en": "to {stage}", "ru": "до этапа «{stage}»"},
    "alerts_per_1000": {"en": "{value} per 1,000 purchases", "ru": "{value} на 1000 покупок"},
    "alerts_expected": {"en": "expected", "ru": "ожидалось"},
    "alerts_band": {"en": "normal range", "ru": "обычный диапазон"},
    "alerts_week_of": {"en": "week of", "ru": "неделя с"},
})  # fmt: skip


def where_text(alert: Alert, lang: str, stage_labels: dict[str, str]) -> str:
    """Where the alert is, in words: ' to First purchase · Mobile app', or '' for all customers."""
    stage, others = "", []
    for dimension, value in alert.where:
        if dimension == "stage":
            stage = " " + translate("alerts_step_to", lang, stage=stage_labels.get(value, value))
        else:  # a complaint category, a channel, a region…: its display name (cxdata.i18n.display_name)
            others.append(value_label(dimension, value, lang))
    return stage + "".join(f" · {part}" for part in others)


def unwatched_lines(coverage, lang: str) -> list[str]:
    """'Complaint rate: not available — no complaints loaded; load …' for every watched metric whose
    data was never loaded (``cxdata.engine.coverage``): its silence is not a clean bill of health."""
    lines = []
    for signal in SIGNALS.values():
        gap = next((g for g in map(coverage.gap_in, signal.needs) if g is not None), None)
        if gap is not None:
            lines.append(translate("alerts_unwatched", lang, metric=signal.label(lang), text=gap.text(lang)))
    return lines


def format_signal_value(metric: str, value: float, lang: str) -> str:
    signal = SIGNALS[metric]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    number = format_number(value, lang, signal.decimals)
    if signal.unit == "%":
        return f"{number}\u00a0%" if lang == "ru" else f"{number}%"
    if signal.unit == "per 1000":
        return translate("alerts_per_1000", lang, value=number)
    if signal.unit == "points" and value > 0:
        return f"+{number}"
    return number


def alert_title(alert: Alert, lang: str, stage_labels: dict[str, str]) -> str:
    """'Step conversion to First purchase · Mobile app: 24.4% instead of the usual 63.7%, 6 Oct – 26 Oct 2025'."""
    return translate("alerts_line", lang, metric=SIGNALS[alert.metric].label(lang),
                     where=where_text(alert, lang, stage_labels),
                     observed=format_signal_value(alert.metric, alert.observed, lang),
                     expected=format_signal_value(alert.metric, alert.expected, lang),
                     period=format_period(alert.start, alert.end, lang))  # fmt: skip


def alert_detail(alert: Alert, lang: str) -> str:
    """How far from normal, how bad, and the sample behind it."""
    signal = SIGNALS[alert.metric]
    z = format_number(alert.z, lang, 1)
    return translate("alerts_detail", lang, z=("+" + z if alert.z > 0 else z),
                     severity=translate(f"alerts_severity_{alert.severity}", lang),
                     size=format_number(alert.size, lang, 0), sample_of=signal.sample_of(lang))  # fmt: skip


def build_alert_figure(alert: Alert, lang: str, title: str, caption: str) -> dict:
    """The metric's weekly series around the alert: its normal range (the band a week can move in
    without a flag), the expected value, the weeks themselves, the flagged window shaded."""
    data = alert.chart
    signal = SIGNALS[alert.metric]
    weeks = list(data["period_start"])
    known = data["low"].notna()
    band_x = [w for w, k in zip(weeks, known, strict=True) if k]
    traces = [
        {"type": "scatter", "x": band_x + band_x[::-1],
         "y": list(data["high"][known]) + list(data["low"][known][::-1]), "fill": "toself",
         "fillcolor": COLORS["band"], "line": {"width": 0}, "hoverinfo": "skip",
         "name": translate("alerts_band", lang), "showlegend": True},
        {"type": "scatter", "x": weeks, "y": list(data["expected"]), "mode": "lines",
         "line": {"color": COLORS["line"], "dash": "dot", "width": 1}, "name": translate("alerts_expected", lang),
         "hoverinfo": "skip"},
        {"type": "scatter", "x": weeks, "y": list(data["value"]), "mode": "lines+markers",
         "name": signal.label(lang), "line": {"color": COLORS["line"], "width": 2},
         "marker": {"color": [COLORS["target"] if f else COLORS["line"] for f in data["is_flagged"]], "size": 7},
         "customdata": [[format_signal_value(alert.metric, v, lang), format_number(n, lang, 0)]
                        for v, n in zip(data["value"], data["size"], strict=True)],
         "hovertemplate": f"{translate('alerts_week_of', lang)} %{{x|{plotly_day_format(lang)}}}<br>"
                          "%{customdata[0]}<br>n = %{customdata[1]}<extra></extra>"},
    ]  # fmt: skip
    flagged = data[data["is_flagged"]]
    shapes = [{"type": "rect", "xref": "x", "yref": "paper", "y0": 0, "y1": 1, "layer": "below",
               "x0": flagged["period_start"].min(), "x1": flagged["period_start"].max() + _WEEK,
               "fillcolor": "rgba(192, 57, 43, 0.12)", "line": {"width": 0}}]  # fmt: skip
    layout = {
        "title": {"text": title, "subtitle": {"text": caption}, "x": 0, "xanchor": "left"},
        "margin": {"l": 10, "r": 10, "t": 60, "b": 10},
        "height": 300,
        "legend": {"orientation": "h", "y": -0.15},
        "shapes": shapes,
        "xaxis": _month_ticks(data["period_start"], lang),
        "yaxis": {"title": {"text": _axis_unit(signal, lang)}},
        "separators": plotly_separators(lang),
    }
    return make_figure(traces, layout)


def alert_chart_title(alert: Alert, lang: str, stage_labels: dict[str, str]) -> str:
    """'Step conversion to First purchase · Mobile app, since 6 Oct 2025'."""
    return (SIGNALS[alert.metric].label(lang) + where_text(alert, lang, stage_labels)
            + f" · {format_date(alert.start, lang)}")  # fmt: skip


def _month_ticks(weeks: pd.Series, lang: str) -> dict:
    """Ticks on the first of each month, written in the reader's language (plotly's own are English)."""
    months = pd.date_range(weeks.min(), weeks.max() + _WEEK, freq="MS")
    step = max(1, math.ceil(len(months) / 8))
    months = months[::step]
    return {"tickmode": "array", "tickvals": list(months),
            "ticktext": [format_date(month.date(), lang) for month in months]}  # fmt: skip


def _axis_unit(signal, lang: str) -> str:
    if signal.unit == "per 1000":
        return translate("alerts_per_1000", lang, value="").strip()
    return {"%": "%", "points": "NPS", "score": "CES"}.get(signal.unit, "")


_WEEK = pd.Timedelta(days=7)
