"""Charts of the customer-journey page: pure functions from the frames of ``cxdata.questions.journey`` and
``cxdata.questions.funnel`` to plotly Figures. They never query.

Every chart's subtitle is the filters caption, and every hover states n. ``labels`` maps stage
names to their labels in the page's language (``cxdata.questions.journey.fetch_stage_labels``); stages it
does not know are shown by name. A ``stage`` argument narrows a stage-specific chart to the
customers lost after that stage (reached it, not the next one).
"""

from __future__ import annotations

import math

import pandas as pd

from cxdata.i18n import (
    format_compact,
    format_number,
    plotly_separators,
    register_text,
    translate,
)
from cxdata.model.registry import METRICS
from cxdata.presentation.charts import COLORS, build_unavailable_figure, make_figure
from cxdata.presentation.plaintext import chart_text
from cxdata.questions.journey import (
    LOSS_KINDS,
    find_weakest_stage,
    find_worst_fall,
    format_share,
    format_share_change,
)

PALETTE = ("#1f5fa8", "#e07b39", "#3c9d5d", "#8e5ea2", "#c9a227", "#4bacc6", "#a0522d", "#d46a92", "#6b8e23",
           "#7f7f7f", "#17becf", "#bcbd22")  # fmt: skip
MUTED = "#b8c7da"
PREVIOUS = "#9aa5b1"
WORSE = COLORS["target"]
NBSP = "\u00a0"
# Hover of a bar of step conversion: customdata = (converted of base, base).
CONVERSION_HOVER = (
    "<b>%{x}</b> · %{fullData.name}<br>%{y:.1%}<br>%{customdata[0]}<br>n = %{customdata[1]:,}<extra></extra>"
)

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
    "journey_value_registration_too_complex": {"en": "Registration too complex", "ru": "Сложная регистрация"},
    "journey_value_just_browsing": {"en": "Just browsing", "ru": "Просто смотрели"},
    "journey_value_price": {"en": "Price", "ru": "Цена"},
    "journey_value_payment_failed": {"en": "Payment failed", "ru": "Сбой оплаты"},
    "journey_value_changed_mind": {"en": "Changed their mind", "ru": "Передумали"},
    "journey_value_poor_service": {"en": "Poor service", "ru": "Плохой сервис"},
    "journey_value_product_quality": {"en": "Product quality", "ru": "Качество продукта"},
    "journey_value_payment_problems": {"en": "Payment problems", "ru": "Проблемы с оплатой"},
    "journey_value_competitor": {"en": "Went to a competitor", "ru": "Ушли к конкуренту"},
    "journey_value_no_longer_needed": {"en": "No longer needed", "ru": "Больше не нужно"},
    "journey_value_unknown": {"en": "Unknown", "ru": "Неизвестно"},
    "journey_value_not_stated": {"en": "Not stated", "ru": "Не указано"},
    "journey_value_registration_problem": {"en": "Registration problem", "ru": "Проблема с регистрацией"},
    "journey_value_billing": {"en": "Billing", "ru": "Списания и счета"},
    "journey_value_delivery_delay": {"en": "Delivery delay", "ru": "Задержка доставки"},
    "journey_value_staff_rudeness": {"en": "Staff rudeness", "ru": "Грубость персонала"},
}
register_text(CHART_TEXT)


# ---------------------------------------------------------------- helpers


def describe_value(value: str, lang: str) -> str:
    """A churn reason or complaint category for people: the sample's codes are translated, other
    codes shown with spaces ('late_refund' -> 'Late refund')."""
    key = f"journey_value_{value}"
    try:
        return translate(key, lang)
    except KeyError:
        text = str(value).replace("_", " ").strip()
        return text[:1].upper() + text[1:]


def wrap_label(text: str, width: int = 14) -> str:
    """A label broken into lines of about ``width`` characters at spaces, for category axes.

    >>> wrap_label("Loyal customer (5+ purchases)")
    'Loyal customer<br>(5+ purchases)'
    """
    lines: list[str] = []
    for word in str(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "<br>".join(lines)


def step_label(stage: str, next_stage: str, labels: dict[str, str], lang: str) -> str:
    return translate("journey_step", lang, from_stage=labels.get(stage, stage),
                     to_stage=labels.get(next_stage, next_stage))  # fmt: skip


def selected_stage(points: list[dict], stages: list[str]) -> str | None:
    """The stage a click on the funnel chart selected: the ``customdata`` of the first selected
    point (the funnel carries the stage name there), if it names one of ``stages``."""
    shown = {chart_text(stage): stage for stage in stages}  # the chart holds names as plotly text
    for point in points or []:
        data = point.get("customdata")
        name = data[0] if isinstance(data, (list, tuple)) and data else data
        if isinstance(name, str) and name in shown:
            return shown[name]
    return None


def _layout(title: str, caption: str, lang: str, height: int, **extra) -> dict:
    """The layout every journey chart shares (title, filters caption, language's separators)."""
    return {
        "title": {"text": title, "subtitle": {"text": caption}, "x": 0, "xanchor": "left"},
        "margin": {"l": 10, "r": 10, "t": 70, "b": 10},
        "height": height,
        "separators": plotly_separators(lang),
        "hoverlabel": {"align": "left"},
        **extra,
    }


def _axis(title: str | None = None, **options) -> dict:
    """An axis spec; plotly.js wants the title as ``{"text": ...}``."""
    return {"title": {"text": title}, **options} if title is not None else options


def _money(value: float, lang: str, currency: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{format_compact(value, lang)}{NBSP}{currency}".strip()


def _n(value, lang: str) -> str:
    return format_number(value, lang)


def _pct(share: float, lang: str) -> str:
    return "—" if share is None or (isinstance(share, float) and math.isnan(share)) else format_share(share, lang)


def compact_ticks(largest: float, lang: str, count: int = 5) -> dict:
    """Axis ticks from 0 to ``largest`` at a round step, labelled the language's compact way
    ('200 M' / '200 млн'): plotly's own SI suffixes (G, k) are neither English nor Russian.

    >>> compact_ticks(845e6, "en")["ticktext"]
    ['0', '200 M', '400 M', '600 M', '800 M']
    """
    if not largest or largest <= 0 or math.isnan(largest):
        return {}
    raw = largest / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    values = [step * i for i in range(int(largest // step) + 1)]
    for decimals in (0, 1):  # '2.5 M' needs a decimal, '200 M' does not
        text = [format_compact(v, lang, decimals).replace(NBSP, " ") for v in values]
        if len(set(text)) == len(text):
            break
    return {"tickvals": values, "ticktext": text}


def _empty_figure(title: str, caption: str, lang: str, message: str) -> dict:
    annotation = {"text": message, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper"}
    return make_figure([], _layout(title, caption, lang, 220, annotations=[annotation],
                                   xaxis={"visible": False}, yaxis={"visible": False}))  # fmt: skip


# ---------------------------------------------------------------- the funnel and its money


def build_funnel_figure(funnel: pd.DataFrame, labels: dict[str, str], lang: str, caption: str, currency: str = "",
                        selected: str | None = None) -> dict:  # fmt: skip
    """Horizontal bars of ``compute_funnel``: customers per stage (first stage on top), the bar text
    is the count and the step conversion, the hover adds overall conversion, drop and lost value.

    ``customdata[0]`` of every bar is the stage name, so a click selects a stage; ``selected`` is
    drawn in full colour, the other bars muted.
    """
    names = funnel["stage"].tolist()
    y = [labels.get(stage, stage) for stage in names]
    text = [f"{_n(c, lang)} · {_pct(s, lang)}" for c, s in zip(funnel["customers"], funnel["step_conversion"])]
    hover = [
        translate("journey_hover_funnel", lang, customers=_n(row.customers, lang), step=_pct(row.step_conversion, lang),
                  overall=_pct(row.overall_conversion, lang), dropped=_n(row.dropped, lang),
                  rate=_pct(row.drop_rate, lang), value=_money(row.lost_value, lang, currency))  # fmt: skip
        for row in funnel.itertuples(index=False)
    ]
    colors = [COLORS["line"] if selected in (None, stage) else MUTED for stage in names]
    bars = {
        "type": "bar", "orientation": "h", "x": funnel["customers"].tolist(), "y": y, "text": text,
        "textposition": "auto", "marker": {"color": colors},
        "customdata": [[stage, h] for stage, h in zip(names, hover)],
        "hovertemplate": "<b>%{y}</b><br>n = %{x:,}<br>%{customdata[1]}<extra></extra>",
        "name": translate("journey_axis_customers", lang),
    }  # fmt: skip
    x_axis = _axis(translate("journey_axis_customers", lang), **compact_ticks(float(funnel["customers"].max()), lang, count=4))
    return make_figure([bars], _layout(translate("journey_chart_funnel", lang), caption, lang, 110 + 52 * len(names),
                                       showlegend=False, clickmode="event+select", xaxis=x_axis,
                                       yaxis={"autorange": "reversed"}))  # fmt: skip


def build_lost_value_figure(steps: pd.DataFrame, labels: dict[str, str], lang: str, caption: str,
                            currency: str = "") -> dict:  # fmt: skip
    """A waterfall of ``build_lost_value_steps``: each stage's lost value, then the total."""
    title = translate("journey_chart_lost_value", lang)
    y = [step_label(r.stage, r.next_stage, labels, lang).replace(" → ", " →<br>") for r in steps.itertuples()]
    values = steps["lost_value"].fillna(0.0).tolist()
    hover = [
        translate("journey_hover_lost_value", lang, dropped=_n(r.dropped, lang),
                  value=_money(r.lost_value, lang, currency), share=_pct(r.lost_value_share, lang))  # fmt: skip
        for r in steps.itertuples()
    ]
    total = sum(values)
    total_hover = translate("journey_hover_lost_value", lang, dropped=_n(steps["dropped"].sum(), lang),
                            value=_money(total, lang, currency),
                            share=_pct(1.0 if total else math.nan, lang))  # fmt: skip
    waterfall = {
        "type": "waterfall", "orientation": "h", "y": [*y, translate("journey_total_lost", lang)], "x": [*values, total],
        "measure": ["relative"] * len(values) + ["total"],
        "text": [_money(v, lang, currency) for v in [*values, total]], "textposition": "auto",
        "customdata": [list(pair) for pair in zip([*hover, total_hover], [*steps["dropped"].tolist(), int(steps["dropped"].sum())])],
        "hovertemplate": "<b>%{y}</b><br>n = %{customdata[1]:,}<br>%{customdata[0]}<extra></extra>",
        "increasing": {"marker": {"color": WORSE}}, "totals": {"marker": {"color": "#7b241c"}}, "cliponaxis": False,
        "connector": {"line": {"color": "#999", "width": 1}},
    }  # fmt: skip
    x_axis = _axis(currency, **({"range": [0, total * 1.35]} if total > 0 else {}), **compact_ticks(total, lang))
    return make_figure([waterfall], _layout(title, caption, lang, 110 + 52 * (len(values) + 1), showlegend=False,
                                            xaxis=x_axis, yaxis={"autorange": "reversed"}))  # fmt: skip


# ---------------------------------------------------------------- comparisons


def build_period_comparison_figure(comparison: pd.DataFrame, labels: dict[str, str], lang: str,
                                   caption: str) -> dict:  # fmt: skip
    """Step conversion per step, previous period (grey) beside this one; the bar of the step that
    fell most is red, every current bar is labelled with its change in percentage points, and
    steps with a small sample in either period are hatched."""
    title = translate("journey_chart_comparison", lang)
    x = [wrap_label(labels.get(stage, stage), 18) for stage in comparison["stage"]]
    worst = find_worst_fall(comparison)
    hatches = ["/" if small else "" for small in comparison["is_small_sample"]]
    traces = []
    for period, color in (("previous", PREVIOUS), ("current", COLORS["line"])):
        hover = [translate("journey_hover_conversion", lang, converted=_n(c, lang), base=_n(b, lang))
                 for c, b in zip(comparison[f"{period}_count"], comparison[f"{period}_base_count"])]  # fmt: skip
        colors = color
        text = None
        if period == "current":
            worst_stage = None if worst is None else worst["stage"]
            colors = [WORSE if stage == worst_stage else color for stage in comparison["stage"]]
            text = [format_share_change(change, lang) for change in comparison["change"]]
        bars = {
            "type": "bar", "x": x, "y": comparison[f"{period}_step_conversion"].tolist(),
            "name": translate(f"journey_{period}_period", lang),
            "marker": {"color": colors, "pattern": {"shape": hatches}}, "textposition": "outside",
            "customdata": [list(pair) for pair in zip(hover, comparison[f"{period}_base_count"].tolist())],
            "hovertemplate": CONVERSION_HOVER,
        }  # fmt: skip
        if text is not None:
            bars["text"] = text
        traces.append(bars)
    y_axis = _axis(translate("journey_axis_step_conversion", lang), tickformat=".0%", range=[0, 1.12])
    return make_figure(traces, _layout(title, caption, lang, 380, barmode="group", legend={"orientation": "h", "y": -0.2},
                                       xaxis={"tickangle": 0}, yaxis=y_axis))  # fmt: skip


def build_breakdown_figure(breakdown: pd.DataFrame, dimension: str, labels: dict[str, str], lang: str,
                           caption: str) -> dict:  # fmt: skip
    """Grouped bars of step conversion (steps into stage 2 .. n) for each value of ``dimension``
    (rows of ``compute_funnel_breakdowns``); small samples are hatched."""
    title = translate("journey_chart_breakdown", lang, dimension=translate(dimension, lang).lower())
    # Plain records, not a frame filtered per value: this runs on every rerun of the page.
    records = [r for r in breakdown[breakdown["dimension"] == dimension].to_dict("records") if not pd.isna(r["value"])]
    customers_at = {(r["value"], r["position"]): r["customers"] for r in records}
    parts: dict[str, list[dict]] = {}
    for r in records:
        if r["position"] > 1:
            parts.setdefault(r["value"], []).append(r)
    if not parts:
        return _empty_figure(title, caption, lang, translate("no_value", lang))
    traces = []
    for index, (value, part) in enumerate(parts.items()):
        base = [customers_at.get((value, r["position"] - 1), math.nan) for r in part]
        hover = [translate("journey_hover_conversion", lang, converted=_n(r["customers"], lang), base=_n(b, lang))
                 for r, b in zip(part, base)]  # fmt: skip
        traces.append({
            "type": "bar", "x": [wrap_label(labels.get(r["stage"], r["stage"]), 12) for r in part],
            "y": [r["step_conversion"] for r in part], "name": str(value),
            "marker": {"color": PALETTE[index % len(PALETTE)],
                       "pattern": {"shape": ["/" if r["is_small_sample"] else "" for r in part]}},
            "customdata": [list(pair) for pair in zip(hover, base)], "hovertemplate": CONVERSION_HOVER,
        })  # fmt: skip
    y_axis = _axis(translate("journey_axis_step_conversion", lang), tickformat=".0%", range=[0, 1])
    return make_figure(traces, _layout(title, caption, lang, 380, barmode="group", showlegend=True,
                                       legend={"orientation": "h", "yanchor": "top", "y": -0.3, "x": 0},
                                       xaxis={"tickangle": 0, "tickfont": {"size": 10}}, yaxis=y_axis))  # fmt: skip


# ---------------------------------------------------------------- stage detail


def build_time_to_convert_figure(summary: pd.DataFrame, labels: dict[str, str], lang: str, caption: str,
                                 stage: str | None = None) -> dict:  # fmt: skip
    """Boxes of ``compute_time_to_convert_summary`` in days: the box spans the quartiles, the line
    is the median, the whiskers reach the 10th and 90th percentiles; the median and n are in the
    step's label. ``stage`` keeps only the step out of that stage."""
    title = translate("journey_chart_time", lang)
    rows = summary[summary["count"] > 0]
    if stage is not None:
        rows = rows[rows["from_stage"] == stage]
    if rows.empty:
        return _empty_figure(title, caption, lang, translate("no_value", lang))
    traces = []
    for row in rows.itertuples(index=False):
        days = {k: getattr(row, f"{k}_hours") / 24 for k in ("p10", "q1", "median", "q3", "p90", "mean")}
        median = translate("journey_median_days", lang, days=format_number(days["median"], lang, 1))
        name = f"{step_label(row.from_stage, row.to_stage, labels, lang)}<br>{median} · n = {_n(row.count, lang)}"
        traces.append({
            "type": "box", "y": [name], "q1": [days["q1"]], "median": [days["median"]], "q3": [days["q3"]],
            "lowerfence": [days["p10"]], "upperfence": [days["p90"]], "mean": [days["mean"]], "orientation": "h",
            "name": name, "marker": {"color": COLORS["line"]}, "hoverinfo": "x+name",
        })  # fmt: skip
    x_axis = _axis(translate("journey_axis_days", lang), rangemode="tozero")
    return make_figure(traces, _layout(title, caption, lang, 110 + 70 * len(rows), showlegend=False, xaxis=x_axis,
                                       yaxis={"autorange": "reversed"}))  # fmt: skip


def build_moments_figure(moments: pd.DataFrame, labels: dict[str, str], lang: str, caption: str,
                         stage: str | None = None) -> dict:  # fmt: skip
    """NPS, CSAT and CES per stage side by side (rows of ``compute_moments_of_truth``): the score
    with its 95% interval, the weakest stage in red, small samples in amber open circles; the
    ``stage`` selected on the funnel gets a larger marker. Stages without answers have no point."""
    metrics = list(dict.fromkeys(moments["metric"]))
    weakest = moments[moments["is_weakest"]]
    if weakest.empty:
        title = translate("journey_chart_moments", lang)
    else:
        name, metric = find_weakest_stage(moments)
        title = translate("journey_chart_moments_weakest", lang, stage=labels.get(name, name),
                          metric=METRICS[metric].label(lang))  # fmt: skip
    subplot_titles = [f"{METRICS[m].label(lang)} ({translate(f'journey_scale_{m}', lang)})" for m in metrics]
    traces, axes = [], _side_by_side(len(metrics), subplot_titles, spacing=0.04)
    for column, metric in enumerate(metrics, 1):
        rows = moments[moments["metric"] == metric]
        spec = METRICS[metric]
        small = rows["is_small_sample"].tolist()
        colors = [WORSE if w else COLORS["flag"] if s else COLORS["line"] for w, s in zip(rows["is_weakest"], small)]
        symbols = ["circle-open" if s else "circle" for s in small]
        sizes = [15 if name == stage else 9 for name in rows["stage"]]
        notes = [translate("small_sample", lang) if s and n else "" for s, n in zip(small, rows["n"])]
        suffix = "" if column == 1 else str(column)
        traces.append({
            "type": "scatter", "x": rows["value"].tolist(), "y": [labels.get(s, s) for s in rows["stage"]],
            "mode": "markers", "name": spec.label(lang), "xaxis": f"x{suffix}", "yaxis": f"y{suffix}",
            "marker": {"color": colors, "symbol": symbols, "size": sizes, "line": {"width": 2, "color": colors}},
            "error_x": {"type": "data", "symmetric": False, "array": (rows["high"] - rows["value"]).tolist(),
                        "arrayminus": (rows["value"] - rows["low"]).tolist(), "color": "#888", "thickness": 1.2},
            "customdata": [list(values) for values in zip(rows["n"].tolist(), rows["low"].round(spec.decimals).tolist(),
                                                           rows["high"].round(spec.decimals).tolist(), notes)],
            "hovertemplate": (f"<b>%{{y}}</b> · {spec.label(lang)}<br>%{{x:.{spec.decimals}f}} "
                              "(95%: %{customdata[1]} … %{customdata[2]})<br>"
                              "n = %{customdata[0]:,} %{customdata[3]}<extra></extra>"),
        })  # fmt: skip
    return make_figure(traces, _layout(title, caption, lang, 130 + 45 * moments["stage"].nunique(), showlegend=False,
                                       **axes))  # fmt: skip


def _side_by_side(columns: int, titles: list[str], spacing: float) -> dict:
    """Layout of ``columns`` subplots in one row sharing the y axis (reversed: first category on
    top), each titled above: what ``make_subplots(rows=1, shared_yaxes=True)`` builds, as dicts."""
    width = (1 - spacing * (columns - 1)) / columns
    layout: dict = {"annotations": []}
    for index in range(columns):
        suffix = "" if index == 0 else str(index + 1)
        start = index * (width + spacing)
        end = 1.0 if index == columns - 1 else start + width
        layout[f"xaxis{suffix}"] = {"anchor": f"y{suffix}", "domain": [start, end]}
        y_axis = {"anchor": f"x{suffix}", "domain": [0.0, 1.0], "autorange": "reversed"}
        if index:
            y_axis.update(matches="y", showticklabels=False)
        layout[f"yaxis{suffix}"] = y_axis
        layout["annotations"].append({
            "font": {"size": 12}, "showarrow": False, "text": titles[index], "x": (start + end) / 2,
            "xanchor": "center", "xref": "paper", "y": 1.0, "yanchor": "bottom", "yref": "paper",
        })  # fmt: skip
    return layout


def build_reasons_figure(reasons: pd.DataFrame, kind: str, loss_shares: pd.DataFrame, labels: dict[str, str],
                         lang: str, caption: str, stage: str | None = None, gap=None) -> dict:  # fmt: skip
    """100% stacked bars per stage of the churn reasons (``kind`` = "churn_reason") or complaint
    categories ("complaint_category") of the customers lost after it (``compute_loss_reasons``).
    Churn-reason rows are labelled with the stage's share of all refusals (``compute_loss_shares``),
    so where most refusals come from reads off the labels. ``stage`` keeps that stage's row only."""
    if kind not in LOSS_KINDS:
        raise ValueError(f"kind must be one of {', '.join(LOSS_KINDS)}, got {kind!r}")
    title = translate("journey_chart_reasons" if kind == "churn_reason" else "journey_chart_complaints", lang)
    if gap is not None:  # the reasons were never loaded: say so, not "no data for this selection"
        return build_unavailable_figure(title, caption, gap.text(lang))
    rows = reasons[reasons["kind"] == kind]
    # Colours follow the order over all stages, so a value keeps its colour when narrowed to one.
    order = rows.groupby("value")["count"].sum().sort_values(ascending=False, kind="stable").index.tolist()
    if stage is not None:
        rows = rows[rows["stage"] == stage]
    if rows.empty:
        return _empty_figure(title, caption, lang, translate("no_value", lang))
    shares = dict(zip(loss_shares["stage"], loss_shares["churned_share"]))
    y_of = {}
    by_value: dict[str, list[dict]] = {}
    for r in rows.to_dict("records"):  # plain records: this runs on every rerun of the page
        if r["stage"] not in y_of:
            note = f"n = {_n(r['total_count'], lang)}"
            if kind == "churn_reason" and r["stage"] in shares:
                note = f"{translate('journey_of_refusals', lang, share=_pct(shares[r['stage']], lang))} · {note}"
            y_of[r["stage"]] = f"{step_label(r['stage'], r['next_stage'], labels, lang)}<br>{note}"
        by_value.setdefault(r["value"], []).append(r)
    traces = []
    for index, value in enumerate(order):
        part = by_value.get(value)
        if not part:
            continue
        traces.append({
            "type": "bar", "orientation": "h", "x": [r["share"] for r in part], "y": [y_of[r["stage"]] for r in part],
            "name": describe_value(value, lang), "marker": {"color": PALETTE[index % len(PALETTE)]},
            "text": [_pct(r["share"], lang) if r["share"] >= 0.08 else "" for r in part], "textposition": "inside",
            "customdata": [[translate("journey_hover_share", lang, count=_n(r["count"], lang), total=_n(r["total_count"], lang)),
                            r["total_count"]] for r in part],
            "hovertemplate": ("<b>%{fullData.name}</b><br>%{y}<br>%{x:.1%}: %{customdata[0]}<br>"
                              "n = %{customdata[1]:,}<extra></extra>"),
        })  # fmt: skip
    y_axis = {"autorange": "reversed", "categoryorder": "array", "categoryarray": list(y_of.values())}
    x_axis = _axis(translate("journey_axis_share", lang), tickformat=".0%", range=[0, 1])
    return make_figure(traces, _layout(title, caption, lang, max(260, 130 + 62 * len(y_of)), barmode="stack",
                                       legend={"traceorder": "normal"}, bargap=0.25, xaxis=x_axis, yaxis=y_axis))  # fmt: skip


def build_silent_loss_figure(silent: pd.DataFrame, labels: dict[str, str], lang: str, caption: str,
                             stage: str | None = None, gap=None) -> dict:  # fmt: skip
    """Bars of ``compute_silent_loss``: the share of each stage's lost customers who never complained
    nor answered a survey, with its 95% interval; small samples in amber. ``stage`` keeps one bar."""
    title = translate("journey_chart_silent", lang)
    if gap is not None:  # without complaints or survey answers everyone lost would look silent
        return build_unavailable_figure(title, caption, gap.text(lang))
    rows = silent[silent["lost_count"] > 0]
    if stage is not None:
        rows = rows[rows["stage"] == stage]
    if rows.empty:
        return _empty_figure(title, caption, lang, translate("no_value", lang))
    hover = [
        translate("journey_hover_silent", lang, silent=_n(r.silent_count, lang), lost=_n(r.lost_count, lang),
                  low=_pct(r.low, lang), high=_pct(r.high, lang), complained=_n(r.complained_count, lang),
                  answered=_n(r.answered_count, lang))  # fmt: skip
        for r in rows.itertuples(index=False)
    ]
    bars = {
        "type": "bar", "orientation": "h", "x": rows["silent_share"].tolist(),
        "y": [step_label(s, n, labels, lang) for s, n in zip(rows["stage"], rows["next_stage"])],
        "marker": {"color": [COLORS["flag"] if s else COLORS["line"] for s in rows["is_small_sample"]]},
        "error_x": {"type": "data", "symmetric": False, "array": (rows["high"] - rows["silent_share"]).tolist(),
                    "arrayminus": (rows["silent_share"] - rows["low"]).tolist(), "color": "#555"},
        "text": [_pct(s, lang) for s in rows["silent_share"]], "textposition": "inside", "insidetextanchor": "start",
        "customdata": [list(pair) for pair in zip(hover, rows["lost_count"].tolist())],
        "hovertemplate": "<b>%{y}</b><br>%{customdata[0]}<br>n = %{customdata[1]:,}<extra></extra>",
    }  # fmt: skip
    x_axis = _axis(translate("journey_axis_share", lang), tickformat=".0%", range=[0, 1])
    return make_figure([bars], _layout(title, caption, lang, 110 + 50 * len(rows), showlegend=False, xaxis=x_axis,
                                       yaxis={"autorange": "reversed"}))  # fmt: skip
