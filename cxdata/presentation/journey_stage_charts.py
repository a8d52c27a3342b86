"""Charts of the journey's stage detail: why the lost customers left (churn reasons, complaints),
who left in silence, how each stage felt (moments of truth) and how long each step took. Pure
functions from the frames of ``cxdata.questions.journey_loss`` and
``cxdata.questions.journey_moments`` to plotly Figures; they never query. A ``stage`` argument
(the stage clicked on the funnel) narrows each chart to it.
"""

from __future__ import annotations

import pandas as pd

from cxdata.i18n import display_name, format_number, translate
from cxdata.model.registry import METRICS
from cxdata.presentation.charts import COLORS, build_unavailable_figure, make_figure
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
from cxdata.questions.journey_loss import LOSS_KINDS
from cxdata.questions.journey_moments import find_weakest_stage


def describe_value(value: str, lang: str) -> str:
    """A churn reason or complaint category for people (``cxdata.i18n.display_name``)."""
    return display_name("reason", value, lang)


# ---------------------------------------------------------------- how long it took, how it felt


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
        return build_empty_figure(title, caption, lang, translate("no_value", lang))
    traces = []
    for row in rows.itertuples(index=False):
        days = {k: getattr(row, f"{k}_hours") / 24 for k in ("p10", "q1", "median", "q3", "p90", "mean")}
        median = translate("journey_median_days", lang, days=format_number(days["median"], lang, 1))
        name = f"{step_label(row.from_stage, row.to_stage, labels, lang)}<br>{median} · n = {format_count(row.count, lang)}"
        traces.append({
            "type": "box", "y": [name], "q1": [days["q1"]], "median": [days["median"]], "q3": [days["q3"]],
            "lowerfence": [days["p10"]], "upperfence": [days["p90"]], "mean": [days["mean"]], "orientation": "h",
            "name": name, "marker": {"color": COLORS["line"]}, "hoverinfo": "x+name",
        })  # fmt: skip
    x_axis = build_axis(translate("journey_axis_days", lang), rangemode="tozero")
    return make_figure(traces, build_layout(title, caption, lang, 110 + 70 * len(rows), showlegend=False, xaxis=x_axis,
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
    return make_figure(traces, build_layout(title, caption, lang, 130 + 45 * moments["stage"].nunique(), showlegend=False,
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


# ---------------------------------------------------------------- why they leave


def build_reasons_figure(reasons: pd.DataFrame, kind: str, loss_shares: pd.DataFrame, labels: dict[str, str],
                         lang: str, caption: str, stage: str | None = None, gap=None) -> dict:  # fmt: skip
    """100% stacked bars per stage of the churn reasons (``kind`` = "churn_reason") or complaint
    categories ("complaint_category") of the customers lost after it (``compute_loss_reasons``).
    Churn-reason rows are labelled with the stage's share of all refusals (``journey_loss.summarize_loss_shares``),
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
        return build_empty_figure(title, caption, lang, translate("no_value", lang))
    shares = dict(zip(loss_shares["stage"], loss_shares["churned_share"]))
    y_of = {}
    by_value: dict[str, list[dict]] = {}
    for r in rows.to_dict("records"):  # plain records: this runs on every rerun of the page
        if r["stage"] not in y_of:
            note = f"n = {format_count(r['total_count'], lang)}"
            if kind == "churn_reason" and r["stage"] in shares:
                note = f"{translate('journey_of_refusals', lang, share=format_percent(shares[r['stage']], lang))} · {note}"
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
            "text": [format_percent(r["share"], lang) if r["share"] >= 0.08 else "" for r in part], "textposition": "inside",
            "customdata": [[translate("journey_hover_share", lang, count=format_count(r["count"], lang),
                                      total=format_count(r["total_count"], lang)), r["total_count"]] for r in part],
            "hovertemplate": ("<b>%{fullData.name}</b><br>%{y}<br>%{x:.1%}: %{customdata[0]}<br>"
                              "n = %{customdata[1]:,}<extra></extra>"),
        })  # fmt: skip
    y_axis = {"autorange": "reversed", "categoryorder": "array", "categoryarray": list(y_of.values())}
    x_axis = build_axis(translate("journey_axis_share", lang), tickformat=".0%", range=[0, 1])
    return make_figure(traces, build_layout(title, caption, lang, max(260, 130 + 62 * len(y_of)), barmode="stack",
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
        return build_empty_figure(title, caption, lang, translate("no_value", lang))
    hover = [
        translate("journey_hover_silent", lang, silent=format_count(r.silent_count, lang),
                  lost=format_count(r.lost_count, lang), low=format_percent(r.low, lang), high=format_percent(r.high, lang),
                  complained=format_count(r.complained_count, lang), answered=format_count(r.answered_count, lang))  # fmt: skip
        for r in rows.itertuples(index=False)
    ]
    bars = {
        "type": "bar", "orientation": "h", "x": rows["silent_share"].tolist(),
        "y": [step_label(s, n, labels, lang) for s, n in zip(rows["stage"], rows["next_stage"])],
        "marker": {"color": [COLORS["flag"] if s else COLORS["line"] for s in rows["is_small_sample"]]},
        "error_x": {"type": "data", "symmetric": False, "array": (rows["high"] - rows["silent_share"]).tolist(),
                    "arrayminus": (rows["silent_share"] - rows["low"]).tolist(), "color": "#555"},
        "text": [format_percent(s, lang) for s in rows["silent_share"]], "textposition": "inside", "insidetextanchor": "start",
        "customdata": [list(pair) for pair in zip(hover, rows["lost_count"].tolist())],
        "hovertemplate": "<b>%{y}</b><br>%{customdata[0]}<br>n = %{customdata[1]:,}<extra></extra>",
    }  # fmt: skip
    x_axis = build_axis(translate("journey_axis_share", lang), tickformat=".0%", range=[0, 1])
    return make_figure([bars], build_layout(title, caption, lang, 110 + 50 * len(rows), showlegend=False, xaxis=x_axis,
                                            yaxis={"autorange": "reversed"}))  # fmt: skip
