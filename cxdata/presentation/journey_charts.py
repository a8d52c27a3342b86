"""Charts of the customer journey's funnel: customers per stage, where the money leaves, and which
step got worse (against the previous period, and by segment, channel, region and acquisition
channel). Pure functions from the frames of ``cxdata.questions.funnel`` and
``cxdata.questions.journey`` to plotly Figures; they never query. The stage detail below the
funnel is ``journey_stage_charts``; what both share, ``journey_chart_layout``.
"""

from __future__ import annotations

import math

import pandas as pd

from cxdata.i18n import display_name, format_compact, translate
from cxdata.presentation.charts import COLORS, make_figure
from cxdata.presentation.journey_chart_layout import (
    PALETTE,
    WORSE,
    build_axis,
    build_empty_figure,
    build_layout,
    format_count,
    format_percent,
    step_label,
)
from cxdata.presentation.journey_text import format_share_change
from cxdata.presentation.plaintext import chart_text
from cxdata.questions.journey import find_worst_fall

MUTED = "#b8c7da"
PREVIOUS = "#9aa5b1"
NBSP = "\u00a0"
# Hover of a bar of step conversion: customdata = (converted of base, base).
CONVERSION_HOVER = (
    "<b>%{x}</b> · %{fullData.name}<br>%{y:.1%}<br>%{customdata[0]}<br>n = %{customdata[1]:,}<extra></extra>"
)


# ---------------------------------------------------------------- helpers


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


def _money(value: float, lang: str, currency: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{format_compact(value, lang)}{NBSP}{currency}".strip()


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
    text = [f"{format_count(c, lang)} · {format_percent(s, lang)}"
            for c, s in zip(funnel["customers"], funnel["step_conversion"])]  # fmt: skip
    hover = [
        translate("journey_hover_funnel", lang, customers=format_count(row.customers, lang),
                  step=format_percent(row.step_conversion, lang), overall=format_percent(row.overall_conversion, lang),
                  dropped=format_count(row.dropped, lang), rate=format_percent(row.drop_rate, lang),
                  value=_money(row.lost_value, lang, currency))  # fmt: skip
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
    x_axis = build_axis(translate("journey_axis_customers", lang),
                        **compact_ticks(float(funnel["customers"].max()), lang, count=4))
    return make_figure([bars], build_layout(translate("journey_chart_funnel", lang), caption, lang, 110 + 52 * len(names),
                                            showlegend=False, clickmode="event+select", xaxis=x_axis,
                                            yaxis={"autorange": "reversed"}))  # fmt: skip


def build_lost_value_figure(steps: pd.DataFrame, labels: dict[str, str], lang: str, caption: str,
                            currency: str = "") -> dict:  # fmt: skip
    """A waterfall of ``build_lost_value_steps``: each stage's lost value, then the total."""
    title = translate("journey_chart_lost_value", lang)
    y = [step_label(r.stage, r.next_stage, labels, lang).replace(" → ", " →<br>") for r in steps.itertuples()]
    values = steps["lost_value"].fillna(0.0).tolist()
    hover = [
        translate("journey_hover_lost_value", lang, dropped=format_count(r.dropped, lang),
                  value=_money(r.lost_value, lang, currency), share=format_percent(r.lost_value_share, lang))  # fmt: skip
        for r in steps.itertuples()
    ]
    total = sum(values)
    total_hover = translate("journey_hover_lost_value", lang, dropped=format_count(steps["dropped"].sum(), lang),
                            value=_money(total, lang, currency),
                            share=format_percent(1.0 if total else math.nan, lang))  # fmt: skip
    waterfall = {
        "type": "waterfall", "orientation": "h", "y": [*y, translate("journey_total_lost", lang)], "x": [*values, total],
        "measure": ["relative"] * len(values) + ["total"],
        "text": [_money(v, lang, currency) for v in [*values, total]], "textposition": "auto",
        "customdata": [list(pair) for pair in zip([*hover, total_hover], [*steps["dropped"].tolist(), int(steps["dropped"].sum())])],
        "hovertemplate": "<b>%{y}</b><br>n = %{customdata[1]:,}<br>%{customdata[0]}<extra></extra>",
        "increasing": {"marker": {"color": WORSE}}, "totals": {"marker": {"color": "#7b241c"}}, "cliponaxis": False,
        "connector": {"line": {"color": "#999", "width": 1}},
    }  # fmt: skip
    x_axis = build_axis(currency, **({"range": [0, total * 1.35]} if total > 0 else {}), **compact_ticks(total, lang))
    return make_figure([waterfall], build_layout(title, caption, lang, 110 + 52 * (len(values) + 1), showlegend=False,
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
        hover = [translate("journey_hover_conversion", lang, converted=format_count(c, lang), base=format_count(b, lang))
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
    y_axis = build_axis(translate("journey_axis_step_conversion", lang), tickformat=".0%", range=[0, 1.12])
    return make_figure(traces, build_layout(title, caption, lang, 380, barmode="group", legend={"orientation": "h", "y": -0.2},
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
        return build_empty_figure(title, caption, lang, translate("no_value", lang))
    traces = []
    for index, (value, part) in enumerate(parts.items()):
        base = [customers_at.get((value, r["position"] - 1), math.nan) for r in part]
        hover = [translate("journey_hover_conversion", lang, converted=format_count(r["customers"], lang),
                           base=format_count(b, lang))
                 for r, b in zip(part, base)]  # fmt: skip
        traces.append({
            "type": "bar", "x": [wrap_label(labels.get(r["stage"], r["stage"]), 12) for r in part],
            "y": [r["step_conversion"] for r in part], "name": display_name(dimension, value, lang),
            "marker": {"color": PALETTE[index % len(PALETTE)],
                       "pattern": {"shape": ["/" if r["is_small_sample"] else "" for r in part]}},
            "customdata": [list(pair) for pair in zip(hover, base)], "hovertemplate": CONVERSION_HOVER,
        })  # fmt: skip
    y_axis = build_axis(translate("journey_axis_step_conversion", lang), tickformat=".0%", range=[0, 1])
    return make_figure(traces, build_layout(title, caption, lang, 380, barmode="group", showlegend=True,
                                            legend={"orientation": "h", "yanchor": "top", "y": -0.3, "x": 0},
                                            xaxis={"tickangle": 0, "tickfont": {"size": 10}}, yaxis=y_axis))  # fmt: skip
