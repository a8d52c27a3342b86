"""Charts of the CX-and-money page: pure functions from the metric frames to plotly Figures.

Each chart's title says what it shows and its subtitle is the filters caption, so a screenshot
explains itself; small samples (n < 30) are amber and "not significant" is written on the chart.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from cxdata.charts import COLORS
from cxdata.i18n import format_date, format_value, translate
from cxdata.money_base import class_order
from cxdata.money_text import class_label, driver_label, significance_text
from cxdata.registry import MIN_SAMPLE_SIZE

PALETTE = {
    "reference": "#1f5fa8", "other": "#7f9cc4", "bad": "#c0392b", "muted": "#b0b6bd", "flag": COLORS["flag"],
    "promoter": "#1e8449", "passive": "#7f8c8d", "detractor": "#c0392b", "no_answer": "#b9770e", "all": "#1f5fa8",
}  # fmt: skip
METRIC_UNITS = {
    "customers": ("count", 0), "revenue": ("money", 0), "arpu": ("money", 0), "ltv": ("money", 0),
    "purchase_frequency": ("score", 2), "retention_rate": ("%", 1), "churn_rate": ("%", 2),
}  # fmt: skip


def _layout(figure: go.Figure, title: str, caption: str, lang: str, height: int = 340, **extra) -> go.Figure:
    figure.update_layout(
        title={"text": title, "subtitle": {"text": caption}, "x": 0, "xanchor": "left"},
        margin={"l": 10, "r": 10, "t": 64, "b": 10},
        height=height,
        separators=", " if lang == "ru" else ".,",
        **extra,
    )
    return figure


def _fmt(value, unit: str, decimals: int, lang: str, currency: str = "", compact: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format_value(value, unit, lang, decimals, currency, compact=compact)


def build_class_metric_figure(
    table: pd.DataFrame, dimension: str, metric: str, reference: str, lang: str, caption: str, currency: str = ""
) -> go.Figure:
    """Bars of ``metric`` per class of ``dimension`` with 95% error bars (the economics table).

    The reference class is dark, classes significantly different from it are red, the rest
    light with "not significant" written under the value; amber bars have n < 30.
    """
    unit, decimals = METRIC_UNITS[metric]
    rows = table[(table.dimension == dimension) & (table.metric == metric)].set_index("cx_class")
    classes = [c for c in _classes(dimension) if c in rows.index and rows.at[c, "n"] > 0]
    data = rows.loc[classes]
    colors, labels = [], []
    for cx_class, row in data.iterrows():
        small = row["n"] < MIN_SAMPLE_SIZE
        if cx_class == reference:
            colors.append(PALETTE["flag"] if small else PALETTE["reference"])
            note = translate("money_reference", lang)
        else:
            colors.append(PALETTE["flag"] if small else PALETTE["bad"] if row["is_significant"] else PALETTE["muted"])
            note = translate("money_significant" if row["is_significant"] else "money_not_significant", lang)
        labels.append(f"{_fmt(row['value'], unit, decimals, lang, currency, compact=True)}<br>{note}")
    has_interval = data["low"].notna().any()
    figure = go.Figure(
        go.Bar(
            x=[class_label(dimension, c, lang) for c in classes],
            y=data["value"].tolist(),
            name=translate(f"money_metric_{metric}", lang),
            marker={"color": colors},
            error_y={
                "type": "data", "symmetric": False, "visible": bool(has_interval),
                "array": (data["high"] - data["value"]).fillna(0).tolist(),
                "arrayminus": (data["value"] - data["low"]).fillna(0).tolist(),
                "color": "#555",
            },  # fmt: skip
            text=labels,
            textposition="inside",
            insidetextanchor="start",
            textangle=0,
            customdata=[
                [_fmt(r["low"], unit, decimals, lang, currency), _fmt(r["high"], unit, decimals, lang, currency),
                 int(r["n"]), significance_text(r["p_value"], lang)]
                for _, r in data.iterrows()
            ],  # fmt: skip
            hovertemplate="%{x}<br>%{y}<br>95%: %{customdata[0]} … %{customdata[1]}<br>n = %{customdata[2]}"
            "<br>%{customdata[3]}<extra></extra>",
        )
    )
    title = f"{translate(f'money_metric_{metric}', lang)} · {translate(f'money_dimension_{dimension}', lang)}"
    axis = {"money": currency, "%": "%", "count": "", "score": ""}[unit]
    return _layout(figure, title, caption, lang, showlegend=False, yaxis_title=axis)


def _classes(dimension: str) -> list[str]:
    if dimension == "complaints":
        return ["none", "resolved", "unresolved"]
    return class_order(dimension)


def build_driver_figure(
    drivers: pd.DataFrame, lang: str, caption: str, currency: str, horizon_months: int,
    stage_labels: dict[str, dict[str, str]],
) -> go.Figure:  # fmt: skip
    """Importance × performance: x = % of customers not exposed, y = revenue at stake.

    Red = churn effect significant, grey = not significant; dotted lines at the mean performance
    and mean importance split the chart into quadrants (top left: costly and often poor — fix first).
    """
    figure = go.Figure()
    for significant in (True, False):
        data = drivers[drivers.is_churn_significant == significant]
        if data.empty:
            continue
        names = [driver_label(k, s, lang, stage_labels) for k, s in zip(data.kind, data.subject)]
        word = "money_significant" if significant else "money_not_significant"
        figure.add_trace(
            go.Scatter(
                x=data["performance"].tolist(),
                y=data["revenue_at_stake"].tolist(),
                mode="markers+text",
                name=translate(word, lang),
                text=names,
                # Labels point inwards, so the ones at the right edge stay readable.
                textposition=["middle left" if x > 90 else "middle right" for x in data["performance"]],
                marker={"size": 11, "color": PALETTE["bad"] if significant else PALETTE["muted"],
                        "symbol": ["diamond" if k == "complaint" else "circle" for k in data.kind],
                        "line": {"width": [2 if s else 0 for s in data.is_small_sample], "color": PALETTE["flag"]}},
                customdata=[
                    [_fmt(v, "money", 0, lang, currency, compact=True), significance_text(p, lang), int(n)]
                    for v, p, n in zip(data.revenue_at_stake, data.churn_p_value, data.exposed_customers)
                ],
                hovertemplate="%{text}<br>%{x:.1f}%<br>%{customdata[0]}<br>%{customdata[1]}"
                "<br>n = %{customdata[2]}<extra></extra>",
            )
        )
    if not drivers.empty:  # room for the labels at the edges
        figure.update_xaxes(range=[max(0.0, float(drivers.performance.min()) - 8), 100.5])
        top = float(drivers.revenue_at_stake.max(skipna=True)) if drivers.revenue_at_stake.notna().any() else 0.0
        bottom = float(drivers.revenue_at_stake.min(skipna=True)) if drivers.revenue_at_stake.notna().any() else 0.0
        figure.update_yaxes(range=[min(0.0, bottom) - 0.05 * abs(top), 1.12 * top if top > 0 else 1.0])
    if not drivers.empty:
        figure.add_vline(x=float(drivers.performance.mean()), line={"dash": "dot", "color": "#999", "width": 1})
        figure.add_hline(y=float(drivers.revenue_at_stake.mean()), line={"dash": "dot", "color": "#999", "width": 1})
    return _layout(
        figure, translate("money_drivers_title", lang), caption, lang, height=460,
        xaxis_title=translate("money_drivers_x", lang),
        yaxis_title=translate("money_drivers_y", lang, h=horizon_months, currency=currency),
        legend={"orientation": "h", "y": -0.15},
    )  # fmt: skip


def _month_label(stamp, lang: str) -> str:
    return format_date(pd.Timestamp(stamp).date(), lang).split(" ", 1)[1]


def build_cohort_heatmap(cohorts: pd.DataFrame, measure: str, lang: str, caption: str) -> go.Figure:
    """Cohort month × months since the first purchase, everyone; ``measure`` is
    ``customer_retention`` or ``revenue_retention`` (%)."""
    data = cohorts[cohorts.cx_class == "all"]
    matrix = data.pivot(index="cohort_month", columns="months_since_first_purchase", values=measure).sort_index()
    sizes = data.pivot(index="cohort_month", columns="months_since_first_purchase", values="cohort_customers").sort_index()
    figure = go.Figure(
        go.Heatmap(
            z=matrix.values.tolist(),
            x=[int(k) for k in matrix.columns],
            y=[_month_label(m, lang) for m in matrix.index],
            colorscale="Blues" if measure == "customer_retention" else "Greens",
            zmin=0,
            zmax=100 if measure == "customer_retention" else None,
            texttemplate="%{z:.0f}",
            customdata=sizes.values.tolist(),
            hovertemplate="%{y} · %{x}<br>%{z:.1f}%<br>n = %{customdata}<extra></extra>",
            colorbar={"title": "%"},
            name=translate(f"money_cohort_{measure}", lang),
        )
    )
    title = translate("money_cohort_title", lang, measure=translate(f"money_cohort_{measure}", lang))
    height = max(280, 60 + 26 * len(matrix))
    return _layout(
        figure, title, caption, lang, height=height, xaxis_title=translate("money_cohort_x", lang),
        yaxis={"autorange": "reversed", "type": "category"}, xaxis={"dtick": 1},
    )  # fmt: skip


def build_retention_curves_figure(curves: pd.DataFrame, measure: str, lang: str, caption: str) -> go.Figure:
    """One line per NPS class (cohorts pooled), with the 95% Wilson band for customer retention."""
    figure = go.Figure()
    for cx_class in class_order("nps"):
        data = curves[curves.cx_class == cx_class].sort_values("months_since_first_purchase")
        if data.empty:
            continue
        color = PALETTE[cx_class]
        if measure == "customer_retention":
            figure.add_trace(
                go.Scatter(
                    x=data.months_since_first_purchase.tolist() + data.months_since_first_purchase.tolist()[::-1],
                    y=data.high.tolist() + data.low.tolist()[::-1],
                    mode="lines", fill="toself", fillcolor=_transparent(color), line={"width": 0},
                    hoverinfo="skip", showlegend=False, name=f"{cx_class} 95%",
                )  # fmt: skip
            )
        small = data.cohort_customers < MIN_SAMPLE_SIZE
        figure.add_trace(
            go.Scatter(
                x=data.months_since_first_purchase.tolist(),
                y=data[measure].tolist(),
                mode="lines+markers",
                name=class_label("nps", cx_class, lang),
                line={"color": color, "width": 2},
                marker={"color": [PALETTE["flag"] if s else color for s in small], "size": 6},
                customdata=data.cohort_customers.tolist(),
                hovertemplate="%{x}: %{y:.1f}%<br>n = %{customdata}<extra>%{fullData.name}</extra>",
            )
        )
    title = translate("money_curves_title", lang, measure=translate(f"money_cohort_{measure}", lang))
    return _layout(
        figure, title, caption, lang, height=360, xaxis_title=translate("money_cohort_x", lang), yaxis_title="%",
        legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip


def _transparent(hex_color: str, alpha: float = 0.15) -> str:
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def build_unit_economics_figure(units: pd.DataFrame, lang: str, caption: str) -> go.Figure:
    """LTV / CAC per acquisition channel: the channel's bar, then its promoters, passives and
    detractors; a dashed line at the standard of 3."""
    channels = [c for c in units.acquisition_channel.unique() if c != "all"]
    figure = go.Figure()
    for cx_class in ("all", "promoter", "passive", "detractor"):
        data = units[(units.cx_class == cx_class) & units.acquisition_channel.isin(channels)].set_index("acquisition_channel")
        data = data.reindex(channels)
        figure.add_trace(
            go.Bar(
                x=channels,
                y=data["ltv_cac"].tolist(),
                name=translate("money_channel_total", lang) if cx_class == "all" else class_label("nps", cx_class, lang),
                marker={"color": PALETTE[cx_class], "line": {
                    "width": [2 if s is True else 0 for s in data["is_small_sample"]], "color": PALETTE["flag"]}},
                customdata=data["paying"].fillna(0).astype(int).tolist(),
                hovertemplate="%{x}<br>%{y:.2f}×<br>n = %{customdata}<extra>%{fullData.name}</extra>",
            )  # fmt: skip
        )
    figure.add_hline(y=3, line={"color": COLORS["target"], "dash": "dash", "width": 1})
    return _layout(
        figure, translate("money_units_title", lang), caption, lang, height=380, barmode="group",
        yaxis_title="LTV / CAC", legend={"orientation": "h", "y": -0.15},
    )  # fmt: skip
