"""The journey over time: one small chart per step, its conversion by entry week (this period, a
solid line) beside the same weeks a year before (dashed), from ``journey_weekly.compute_weekly_steps``.

Weeks still maturing (customers may yet make the step) are drawn as open markers on a grey band, small samples
as hollow diamonds, and a notable fall against the year before as a red marker, so a step that broke
is seen in the week it broke. Pure: frame in, figure out.
"""

from __future__ import annotations

import math
from datetime import timedelta

import pandas as pd

from cxdata.i18n import format_date, register_text, translate
from cxdata.presentation.charts import COLORS, make_figure
from cxdata.presentation.journey_chart_layout import (
    WORSE,
    build_axis,
    build_empty_figure,
    build_layout,
    format_count,
    step_label,
)

PREVIOUS = "#9aa5b1"
PANEL_HEIGHT = 150
GAP = 0.09  # of the plot's height, between two panels
TOP = 0.95  # the first panel's top: its step label stays clear of the filters caption
MATURING = "rgba(154, 165, 177, 0.15)"
HOVER = "<b>%{customdata[0]}</b><br>%{fullData.name}: %{y:.1%}<br>%{customdata[1]}<extra></extra>"

TEXT = {
    "journey_section_weekly": {"en": "Each step, week by week", "ru": "Каждый переход по неделям"},
    "journey_chart_weekly": {"en": "Step conversion by week of entry, against the same weeks a year before",
                             "ru": "Конверсия перехода по неделе входа против тех же недель годом раньше"},
    "journey_weekly_now": {"en": "This period", "ru": "Этот период"},
    "journey_weekly_before": {"en": "A year before", "ru": "Годом раньше"},
    "journey_weekly_week": {"en": "week of {date}", "ru": "неделя с {date}"},
    "journey_weekly_hover": {"en": "{converted} of {base} · n = {base}", "ru": "{converted} из {base} · n = {base}"},
    "journey_weekly_rule": {
        "en": "Customers belong to the week (from Monday) of their first event at the first stage, and are read up "
              "to the data date. Dashed: the same weeks 52 weeks earlier. Open markers on the grey band: weeks ending less than "
              "{days} days (the conversion window) before the data date, whose customers may still make the step. "
              "Hollow diamonds: fewer than {minimum} customers at the step's start. Red: a fall against the year "
              "before with z ≤ −{z:g} (a stricter bar than for one period, since every week of every step is "
              "compared).",
        "ru": "Клиент относится к неделе (с понедельника) своего первого события на первом этапе; данные — по дату "
              "данных. Пунктир — те же недели 52 недели назад. Полые маркеры на сером фоне — недели, закончившиеся менее чем за "
              "{days} дн. (окно конверсии) до даты данных: их клиенты ещё могут сделать переход. Полые ромбы — "
              "меньше {minimum} клиентов в начале перехода. Красные — падение к прошлому году с z ≤ −{z:g} (порог "
              "строже, чем для одного периода: сравнивается каждая неделя каждого перехода).",
    },
}
register_text(TEXT)


def build_weekly_steps_figure(weekly: pd.DataFrame, labels: dict[str, str], lang: str, caption: str) -> dict:
    """One panel per step (stacked, one shared week axis): this period's weekly conversion and the
    year before's, hover with n; empty weeks are absent, an empty frame says so in words."""
    title = translate("journey_chart_weekly", lang)
    if weekly.empty:
        return build_empty_figure(title, caption, lang, translate("no_value", lang))
    steps = weekly[["position", "from_stage", "stage"]].drop_duplicates().sort_values("position")
    count = len(steps)
    panel = (TOP - GAP * (count - 1)) / count
    weeks = sorted(weekly["week"].unique())
    tick_weeks = weeks[:: max(1, math.ceil(len(weeks) / 8))]
    traces: list[dict] = []
    layout_axes: dict = {}
    annotations: list[dict] = []
    for index, step in enumerate(steps.itertuples(index=False)):
        rows = weekly[weekly["position"] == step.position]
        suffix = "" if index == 0 else str(index + 1)
        top = TOP - index * (panel + GAP)
        week_text = [translate("journey_weekly_week", lang, date=format_date(week, lang)) for week in rows["week"]]
        for period, color, dash in (("previous", PREVIOUS, "dash"), ("now", COLORS["line"], "solid")):
            prefix = "previous_" if period == "previous" else ""
            conversion = rows[f"{prefix}step_conversion"].tolist()
            hover = [[text, translate("journey_weekly_hover", lang, converted=format_count(c, lang),
                                      base=format_count(b, lang))] if pd.notna(b) else [text, "n = 0"]
                     for text, c, b in zip(week_text, rows[f"{prefix}customers"], rows[f"{prefix}base"],
                                           strict=True)]  # fmt: skip
            marker: dict = {"color": color, "size": 6}
            if period == "now":
                marker["symbol"] = [
                    "diamond-open" if small else "circle-open" if maturing else "circle"
                    for small, maturing in zip(rows["is_small_sample"], rows["is_maturing"], strict=True)
                ]
                marker["color"] = [WORSE if fell else COLORS["line"] for fell in rows["is_notable_fall"]]
                marker["size"] = [10 if fell else 6 for fell in rows["is_notable_fall"]]
            traces.append({
                "type": "scatter", "mode": "lines+markers", "x": [week.isoformat() for week in rows["week"]],
                "y": [None if pd.isna(value) else float(value) for value in conversion],
                "name": translate(f"journey_weekly_{'before' if period == 'previous' else 'now'}", lang),
                "legendgroup": period, "showlegend": index == 0, "line": {"color": color, "dash": dash, "width": 2},
                "marker": marker, "customdata": hover, "hovertemplate": HOVER,
                "xaxis": f"x{suffix}", "yaxis": f"y{suffix}", "connectgaps": False,
            })  # fmt: skip
        layout_axes[f"yaxis{suffix}"] = build_axis(domain=[max(top - panel, 0), top], tickformat=".0%",
                                                   range=[0, 1.05], anchor=f"x{suffix}")  # fmt: skip
        annotations.append({"text": step_label(step.from_stage, step.stage, labels, lang), "showarrow": False,
                            "xref": "paper", "yref": "paper", "x": 0, "y": top, "xanchor": "left",
                            "yanchor": "bottom", "font": {"size": 12}})  # fmt: skip
        layout_axes[f"xaxis{suffix}"] = {
            "anchor": f"y{suffix}", "matches": None if index == 0 else "x", "type": "date",
            "tickvals": [week.isoformat() for week in tick_weeks],
            "ticktext": [format_date(week, lang) for week in tick_weeks],
            "showticklabels": index == count - 1,
        }
    layout_axes["xaxis"].pop("matches")
    maturing = sorted(weekly.loc[weekly["is_maturing"], "week"].unique())
    shapes = [{"type": "rect", "xref": "x", "yref": "paper", "x0": (maturing[0] - timedelta(days=3)).isoformat(),
               "x1": (maturing[-1] + timedelta(days=3)).isoformat(), "y0": 0, "y1": TOP, "fillcolor": MATURING,
               "line": {"width": 0}, "layer": "below"}] if maturing else []  # fmt: skip
    height = 90 + count * PANEL_HEIGHT
    return make_figure(traces, build_layout(title, caption, lang, height, legend={"orientation": "h", "y": -0.12},
                                            annotations=annotations, shapes=shapes, **layout_axes))  # fmt: skip
