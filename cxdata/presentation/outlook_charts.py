"""Charts of the Outlook page: pure functions from the forecast's frames to plotly figures (plain
dicts, ``cxdata.presentation.charts``). Titles say what is shown, subtitles carry the filters; groups
of fewer than 30 customers are amber and their n is on the chart."""

from __future__ import annotations

import pandas as pd

from cxdata.i18n import format_date, format_number, format_value, translate
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.presentation import churn_risk_text  # noqa: F401 - registers the risk_* texts the charts use
from cxdata.presentation.charts import COLORS, make_figure
from cxdata.presentation.money_charts import (  # the CX-and-money page's chart frame
    PALETTE,
    _layout,
)
from cxdata.presentation.money_text import class_label
from cxdata.presentation.outlook_text import money, value_label

CLASS_COLORS = {
    "promoter": PALETTE["promoter"], "passive": PALETTE["passive"], "detractor": PALETTE["detractor"],
    "no_answer": PALETTE["no_answer"], "satisfied": PALETTE["promoter"], "neutral": PALETTE["passive"],
    "dissatisfied": PALETTE["detractor"], "none": PALETTE["reference"], "resolved": PALETTE["promoter"],
    "unresolved": PALETTE["detractor"],
}  # fmt: skip


def build_equity_figure(equity: pd.DataFrame, dimension: str, lang: str, caption: str, currency: str, horizon: int) -> dict:
    """Horizontal bars of customer equity per value of ``dimension`` (``questions.clv.equity_by``),
    largest on top, each labelled with its amount and n."""
    rows = equity.iloc[::-1]
    labels = [value_label(dimension, str(v), lang) for v in rows["value"]]
    bar = {
        "type": "bar", "orientation": "h", "y": labels, "x": rows["equity"].tolist(),
        "marker": {"color": [COLORS["flag"] if n < MIN_SAMPLE_SIZE else PALETTE["reference"] for n in rows["customers"]]},
        "text": [f"{money(e, lang, currency)} · n = {format_number(n, lang)}" for e, n in zip(rows["equity"], rows["customers"])],
        "textposition": "auto",
        "hovertext": [
            translate("outlook_equity_hover", lang, value=money(e, lang, currency),
                      share=format_value(100 * s, "%", lang, 1), per_customer=money(p, lang, currency), n=format_number(n, lang))
            for e, s, p, n in zip(rows["equity"], rows["share"], rows["equity_per_customer"], rows["customers"])
        ],
        "hoverinfo": "text",
        "name": translate("outlook_tile_equity", lang, h=horizon),
    }  # fmt: skip
    title = translate("outlook_equity_title", lang, h=horizon, dimension=translate(f"outlook_dimension_{dimension}", lang))
    return make_figure([bar], _layout(title, caption, lang, height=max(260, 70 + 42 * len(rows)), showlegend=False,
                                      xaxis={"title": {"text": currency}, "exponentformat": "none", "separatethousands": True},
                                      yaxis={"automargin": True}))  # fmt: skip


def build_survival_figure(curves: pd.DataFrame, table: pd.DataFrame, dimension: str, lang: str, caption: str) -> dict:
    """Kaplan–Meier step curves, one per class of ``dimension``, named with their n (amber dashes
    for fewer than 30 customers)."""
    traces = []
    rows = table[table["dimension"] == dimension]
    for row in rows.to_dict("records"):
        curve = curves[(curves["dimension"] == dimension) & (curves["cx_class"] == row["cx_class"])]
        label = f"{class_label(dimension, row['cx_class'], lang)} · n = {format_number(row['customers'], lang)}"
        traces.append({
            "type": "scatter", "mode": "lines", "x": curve["time"].tolist(), "y": curve["survival"].tolist(),
            "name": label, "line": {"shape": "hv", "width": 2, "color": CLASS_COLORS.get(row["cx_class"], PALETTE["other"]),
                                    "dash": "dash" if row["is_small"] else "solid"},
            "hovertemplate": f"{label}<br>%{{x:.1f}}<br>%{{y:.1%}}<extra></extra>",
        })  # fmt: skip
    title = translate("outlook_survival_title", lang, dimension=translate(f"money_dimension_{dimension}", lang))
    return make_figure(traces, _layout(
        title, caption, lang, height=400, legend={"orientation": "h", "y": -0.2},
        xaxis={"title": {"text": translate("outlook_survival_axis_x", lang)}},
        yaxis={"title": {"text": translate("outlook_survival_axis_y", lang)}, "tickformat": ".0%", "range": [0, 1.02]},
    ))  # fmt: skip


def build_validation_figure(validation: pd.DataFrame, calibration_end, lang: str, caption: str) -> dict:
    """Predicted and actual holdout repeat purchases a customer, per group of calibration repeat
    purchases (0 … 7+) and for everyone, with each group's n."""
    groups = validation.copy()
    names = [translate("outlook_group_all", lang) if g == "all" else g for g in groups["group"]]
    x = [f"{name}<br>n = {format_number(n, lang)}" for name, n in zip(names, groups["customers"])]
    traces = [
        {"type": "bar", "x": x, "y": groups[column].tolist(), "name": translate(key, lang),
         "marker": {"color": color}, "hovertemplate": "%{x}<br>%{y:.2f}<extra>%{fullData.name}</extra>",
         "text": [format_number(v, lang, 1) for v in groups[column]], "textposition": "outside"}
        for column, key, color in (("predicted", "outlook_predicted", PALETTE["other"]),
                                   ("actual", "outlook_actual", PALETTE["reference"]))
    ]  # fmt: skip
    day = format_date(calibration_end, lang)
    return make_figure(traces, _layout(
        translate("outlook_validation_title", lang, date=day), caption, lang, barmode="group",
        legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
        xaxis={"title": {"text": translate("outlook_validation_axis_x", lang, date=day)}, "type": "category"},
        yaxis={"title": {"text": translate("outlook_validation_axis_y", lang)}},
    ))  # fmt: skip


def build_calibration_figure(calibration: pd.DataFrame, horizon_days: int, cutoff, lang: str, caption: str) -> dict:
    """The churn-risk model's calibration: per group of customers by predicted risk
    (``analysis.churn_risk.calibration_table``), the mean predicted risk against the share who left,
    each group labelled with its n."""
    x = [f"{row['bin']}<br>n = {format_number(row['customers'], lang)}" for row in calibration.to_dict("records")]
    traces = [
        {"type": "bar", "x": x, "y": calibration[column].tolist(), "name": translate(key, lang),
         "marker": {"color": color}, "hovertemplate": "%{x}<br>%{y:.1%}<extra>%{fullData.name}</extra>",
         "text": [format_value(100 * v, "%", lang, 1) for v in calibration[column]], "textposition": "outside"}
        for column, key, color in (("predicted", "outlook_predicted", PALETTE["other"]),
                                   ("observed", "outlook_actual", PALETTE["reference"]))
    ]  # fmt: skip
    title = translate("risk_calibration_title", lang, h=horizon_days, date=format_date(cutoff, lang))
    return make_figure(traces, _layout(
        title, caption, lang, barmode="group", height=380,
        legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
        xaxis={"title": {"text": translate("risk_calibration_axis_x", lang)}, "type": "category"},
        yaxis={"title": {"text": translate("risk_calibration_axis_y", lang)}, "tickformat": ".0%"},
    ))  # fmt: skip
