"""Charts of the CX-and-money page: pure functions from the metric frames to plotly figures (plain
dicts, see ``cxdata.presentation.charts``).

Each chart's title says what it shows and its subtitle is the filters caption, so a screenshot
explains itself; small samples (n < 30) are amber and "not significant" is written on the chart.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from plotly.colors import get_colorscale

from cxdata.i18n import display_name, format_date, format_value, plotly_separators, translate
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.model.rules import LTV_CAC_STANDARD
from cxdata.presentation.charts import COLORS, build_unavailable_figure, make_figure
from cxdata.presentation.money_text import class_label, driver_label, significance_text
from cxdata.questions.money import ClassEconomics
from cxdata.questions.money_base import class_order

PALETTE = {
    "reference": "#1f5fa8", "other": "#7f9cc4", "bad": "#c0392b", "muted": "#b0b6bd", "flag": COLORS["flag"],
    "promoter": "#1e8449", "passive": "#7f8c8d", "detractor": "#c0392b", "no_answer": "#b9770e", "all": "#1f5fa8",
}  # fmt: skip
METRIC_UNITS = {
    "customers": ("count", 0), "revenue": ("money", 0), "arpu": ("money", 0), "ltv": ("money", 0),
    "purchase_frequency": ("score", 2), "retention_rate": ("%", 1), "churn_rate": ("%", 2),
}  # fmt: skip


def _layout(title: str, caption: str, lang: str, height: int = 340, **extra) -> dict:
    return {
        "title": {"text": title, "subtitle": {"text": caption}, "x": 0, "xanchor": "left"},
        "margin": {"l": 10, "r": 10, "t": 64, "b": 10},
        "height": height,
        "separators": plotly_separators(lang),
        **extra,
    }


def _axis(title: str, **extra) -> dict:
    return {"title": {"text": title}, **extra}


def _line(axis: str, value: float, line: dict) -> dict:
    """A line across the plot at ``value`` on the x or y axis (plotly's add_vline / add_hline)."""
    if axis == "x":
        return {"type": "line", "x0": value, "x1": value, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain", "line": line}
    return {"type": "line", "x0": 0, "x1": 1, "xref": "x domain", "y0": value, "y1": value, "yref": "y", "line": line}


def _fmt(value, unit: str, decimals: int, lang: str, currency: str = "", compact: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format_value(value, unit, lang, decimals, currency, compact=compact)


def build_class_metric_figure(
    economics: ClassEconomics, dimension: str, metric: str, reference: str, lang: str, caption: str, currency: str = ""
) -> dict:
    """Bars of ``metric`` per class of ``dimension`` with 95% error bars (the economics table).

    The reference class is dark, classes significantly different from it are red, the rest
    light with "not significant" written under the value; amber bars have n < 30.
    """
    if metric in economics.gaps:  # no churn events loaded: no bars, what is missing instead
        title = translate(f"money_metric_{metric}", lang)
        return build_unavailable_figure(title, caption, economics.gaps[metric].text(lang))
    unit, decimals = METRIC_UNITS[metric]
    rows = {c: economics.row(dimension, c, metric) for c in _classes(dimension)}
    classes = [c for c, row in rows.items() if row["n"] > 0]
    data = [rows[c] for c in classes]
    colors, labels = [], []
    for cx_class, row in zip(classes, data):
        small = row["n"] < MIN_SAMPLE_SIZE
        if cx_class == reference:
            colors.append(PALETTE["flag"] if small else PALETTE["reference"])
            note = translate("money_reference", lang)
        else:
            colors.append(PALETTE["flag"] if small else PALETTE["bad"] if row["is_significant"] else PALETTE["muted"])
            note = translate("money_significant" if row["is_significant"] else "money_not_significant", lang)
        labels.append(f"{_fmt(row['value'], unit, decimals, lang, currency, compact=True)}<br>{note}")
    values, lows, highs = ([math.nan if r[k] is None else r[k] for r in data] for k in ("value", "low", "high"))
    has_interval = any(not math.isnan(low) for low in lows)
    bar = {
        "type": "bar",
        "x": [class_label(dimension, c, lang) for c in classes],
        "y": values,
        "name": translate(f"money_metric_{metric}", lang),
        "marker": {"color": colors},
        "error_y": {
            "type": "data", "symmetric": False, "visible": has_interval,
            "array": [_gap(high, value) for high, value in zip(highs, values)],
            "arrayminus": [_gap(value, low) for value, low in zip(values, lows)],
            "color": "#555",
        },
        "text": labels,
        "textposition": "inside",
        "insidetextanchor": "start",
        "textangle": 0,
        "customdata": [
            [_fmt(low, unit, decimals, lang, currency), _fmt(high, unit, decimals, lang, currency), int(n),
             significance_text(p_value, lang)]
            for low, high, n, p_value in zip(lows, highs, (r["n"] for r in data), (r["p_value"] for r in data))
        ],
        "hovertemplate": "%{x}<br>%{y}<br>95%: %{customdata[0]} … %{customdata[1]}<br>n = %{customdata[2]}"
        "<br>%{customdata[3]}<extra></extra>",
    }  # fmt: skip
    title = class_chart_title(dimension, metric, lang)
    axis = {"money": currency, "%": "%", "count": "", "score": ""}[unit]
    return make_figure([bar], _layout(title, caption, lang, showlegend=False, yaxis=_axis(axis)))


def class_chart_title(dimension: str, metric: str, lang: str) -> str:
    """'Churn a month · NPS class': the title of ``build_class_metric_figure``."""
    return f"{translate(f'money_metric_{metric}', lang)} · {translate(f'money_dimension_{dimension}', lang)}"


def _gap(upper: float, lower: float) -> float:
    """The length of an error bar (0 when either end is unknown, as plotly draws none)."""
    gap = upper - lower
    return 0.0 if math.isnan(gap) else gap


def _classes(dimension: str) -> list[str]:
    if dimension == "complaints":
        return ["none", "resolved", "unresolved"]
    return class_order(dimension)


def build_driver_figure(
    drivers: pd.DataFrame, lang: str, caption: str, currency: str, horizon_months: int,
    stage_labels: dict[str, dict[str, str]],
) -> dict:  # fmt: skip
    """Importance × performance: x = % of customers not exposed, y = revenue at stake.

    Red = churn effect significant, grey = not significant; dotted lines at the mean performance
    and mean importance split the chart into quadrants (top left: costly and often poor — fix first).
    """
    traces = []
    for significant in (True, False):
        data = drivers[drivers.is_churn_significant == significant]
        if data.empty:
            continue
        names = [driver_label(k, s, lang, stage_labels) for k, s in zip(data.kind, data.subject)]
        word = "money_significant" if significant else "money_not_significant"
        traces.append({
            "type": "scatter",
            "x": data["performance"].tolist(),
            "y": data["revenue_at_stake"].tolist(),
            "mode": "markers+text",
            "name": translate(word, lang),
            "text": names,
            # Labels point inwards, so the ones at the right edge stay readable.
            "textposition": ["middle left" if x > 90 else "middle right" for x in data["performance"]],
            "marker": {"size": 11, "color": PALETTE["bad"] if significant else PALETTE["muted"],
                       "symbol": ["diamond" if k == "complaint" else "circle" for k in data.kind],
                       "line": {"width": [2 if s else 0 for s in data.is_small_sample], "color": PALETTE["flag"]}},
            "customdata": [
                [_fmt(v, "money", 0, lang, currency, compact=True), significance_text(p, lang), int(n)]
                for v, p, n in zip(data.revenue_at_stake, data.churn_p_value, data.exposed_customers)
            ],
            "hovertemplate": "%{text}<br>%{x:.1f}%<br>%{customdata[0]}<br>%{customdata[1]}"
            "<br>n = %{customdata[2]}<extra></extra>",
        })  # fmt: skip
    x_axis = _axis(translate("money_drivers_x", lang))
    y_axis = _axis(translate("money_drivers_y", lang, h=horizon_months, currency=currency))
    shapes = []
    if not drivers.empty:  # room for the labels at the edges; dotted lines at the means
        x_axis["range"] = [max(0.0, float(drivers.performance.min()) - 8), 100.5]
        top = float(drivers.revenue_at_stake.max(skipna=True)) if drivers.revenue_at_stake.notna().any() else 0.0
        bottom = float(drivers.revenue_at_stake.min(skipna=True)) if drivers.revenue_at_stake.notna().any() else 0.0
        y_axis["range"] = [min(0.0, bottom) - 0.05 * abs(top), 1.12 * top if top > 0 else 1.0]
        dotted = {"dash": "dot", "color": "#999", "width": 1}
        shapes = [_line("x", float(drivers.performance.mean()), dotted), _line("y", float(drivers.revenue_at_stake.mean()), dotted)]
    layout = _layout(translate("money_drivers_title", lang), caption, lang, height=460, xaxis=x_axis, yaxis=y_axis,
                     legend={"orientation": "h", "y": -0.15})  # fmt: skip
    return make_figure(traces, layout | ({"shapes": shapes} if shapes else {}))


def _month_label(stamp, lang: str) -> str:
    return format_date(pd.Timestamp(stamp).date(), lang).split(" ", 1)[1]


def build_cohort_heatmap(cohorts: pd.DataFrame, measure: str, lang: str, caption: str) -> dict:
    """Cohort month × months since the first purchase, everyone; ``measure`` is
    ``customer_retention`` or ``revenue_retention`` (%)."""
    data = cohorts[cohorts.cx_class == "all"]
    # Cohort month × k grids (NaN where a cohort has not reached k), as a pivot would make them.
    months, row = np.unique(data.cohort_month.to_numpy(), return_inverse=True)
    ks, column = np.unique(data.months_since_first_purchase.to_numpy(), return_inverse=True)
    matrix, sizes = np.full((2, len(months), len(ks)), np.nan)
    matrix[row, column] = data[measure].to_numpy("float64")
    sizes[row, column] = data.cohort_customers.to_numpy("float64")
    heatmap = {
        "type": "heatmap",
        "z": matrix.tolist(),
        "x": [int(k) for k in ks],
        "y": [_month_label(m, lang) for m in months],
        # Expanded here: the bare name would be plotly.js's own "Blues", dark where retention is low.
        "colorscale": get_colorscale("Blues" if measure == "customer_retention" else "Greens"),
        "zmin": 0,
        **({"zmax": 100} if measure == "customer_retention" else {}),
        "texttemplate": "%{z:.0f}",
        "customdata": sizes.tolist(),
        "hovertemplate": "%{y} · %{x}<br>%{z:.1f}%<br>n = %{customdata}<extra></extra>",
        "colorbar": {"title": {"text": "%"}},
        "name": translate(f"money_cohort_{measure}", lang),
    }
    title = translate("money_cohort_title", lang, measure=translate(f"money_cohort_{measure}", lang))
    height = max(280, 60 + 26 * len(matrix))
    return make_figure([heatmap], _layout(
        title, caption, lang, height=height, xaxis=_axis(translate("money_cohort_x", lang), dtick=1),
        yaxis={"autorange": "reversed", "type": "category"},
    ))  # fmt: skip


def build_retention_curves_figure(curves: pd.DataFrame, measure: str, lang: str, caption: str) -> dict:
    """One line per NPS class (cohorts pooled), with the 95% Wilson band for customer retention."""
    traces = []
    by_class = dict(tuple(curves.groupby("cx_class", sort=False)))
    for cx_class in class_order("nps"):
        if cx_class not in by_class:
            continue
        data = by_class[cx_class].sort_values("months_since_first_purchase")
        months = data.months_since_first_purchase.tolist()
        color = PALETTE[cx_class]
        if measure == "customer_retention":
            traces.append({
                "type": "scatter", "x": months + months[::-1], "y": data.high.tolist() + data.low.tolist()[::-1],
                "mode": "lines", "fill": "toself", "fillcolor": _transparent(color), "line": {"width": 0},
                "hoverinfo": "skip", "showlegend": False, "name": f"{cx_class} 95%",
            })  # fmt: skip
        traces.append({
            "type": "scatter",
            "x": months,
            "y": data[measure].tolist(),
            "mode": "lines+markers",
            "name": class_label("nps", cx_class, lang),
            "line": {"color": color, "width": 2},
            "marker": {"color": [PALETTE["flag"] if n < MIN_SAMPLE_SIZE else color for n in data.cohort_customers], "size": 6},
            "customdata": data.cohort_customers.tolist(),
            "hovertemplate": "%{x}: %{y:.1f}%<br>n = %{customdata}<extra>%{fullData.name}</extra>",
        })  # fmt: skip
    title = translate("money_curves_title", lang, measure=translate(f"money_cohort_{measure}", lang))
    return make_figure(traces, _layout(
        title, caption, lang, height=360, xaxis=_axis(translate("money_cohort_x", lang)), yaxis=_axis("%"),
        legend={"orientation": "h", "y": -0.2},
    ))  # fmt: skip


def _transparent(hex_color: str, alpha: float = 0.15) -> str:
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def build_unit_economics_figure(units: pd.DataFrame, lang: str, caption: str) -> dict:
    """LTV / CAC per acquisition channel: the channel's bar, then its promoters, passives and
    detractors; a dashed line at the standard of 3."""
    channels = [c for c in units.acquisition_channel.unique() if c != "all"]
    rows = {(r["acquisition_channel"], r["cx_class"]): r for r in units[["acquisition_channel", "cx_class", "ltv_cac",
            "is_small_sample", "paying"]].to_dict("records")}  # fmt: skip
    missing = {"ltv_cac": math.nan, "is_small_sample": None, "paying": 0}
    traces = []
    for cx_class in ("all", "promoter", "passive", "detractor"):
        data = [rows.get((channel, cx_class), missing) for channel in channels]
        traces.append({
            "type": "bar",
            "x": [display_name("acquisition_channel", channel, lang) for channel in channels],
            "y": [float(r["ltv_cac"]) for r in data],
            "name": translate("money_channel_total", lang) if cx_class == "all" else class_label("nps", cx_class, lang),
            "marker": {"color": PALETTE[cx_class], "line": {
                "width": [2 if r["is_small_sample"] is True else 0 for r in data], "color": PALETTE["flag"]}},
            "customdata": [int(r["paying"]) for r in data],
            "hovertemplate": "%{x}<br>%{y:.2f}×<br>n = %{customdata}<extra>%{fullData.name}</extra>",
        })  # fmt: skip
    return make_figure(traces, _layout(
        translate("money_units_title", lang), caption, lang, height=380, barmode="group", yaxis=_axis("LTV / CAC"),
        legend={"orientation": "h", "y": -0.15},
        shapes=[_line("y", LTV_CAC_STANDARD, {"color": COLORS["target"], "dash": "dash", "width": 1})],
    ))  # fmt: skip
