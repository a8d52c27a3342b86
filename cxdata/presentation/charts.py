"""Charts: pure functions from DataFrames to plotly figures. They never query.

A figure here is the plain dict plotly.js draws, ``{"data": [...], "layout": {...}}``, with the
default template filled in: exactly what ``plotly.graph_objects.Figure(...).to_dict()`` returns,
without building the Figure object. ``go.Figure(figure)`` validates one (the tests do).
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import plotly.io as pio

from cxdata.i18n import format_value, plotly_day_format, plotly_separators, translate
from cxdata.model.registry import METRICS
from cxdata.presentation.plaintext import plain_figure

COLORS = {"line": "#1f5fa8", "band": "rgba(31, 95, 168, 0.15)", "target": "#c0392b", "flag": "#b9770e"}
SMALL_SAMPLE = 30


def build_trend_figure(
    trends: pd.DataFrame, metric: str, lang: str, caption: str, target: float | None = None, currency: str = "",
    gap=None,
) -> dict:
    """A line of ``metric`` per period with its 95% band, target line and small-sample markers.

    ``trends`` is the long frame of ``cxdata.questions.trends.fetch_trends``; the caption (the filters in
    words) is the subtitle, so a screenshot of the chart says what it shows. With a ``gap`` (the
    data the metric needs was never loaded, ``cxdata.engine.coverage.Gap``) the chart draws no line,
    only what is missing.
    """
    spec = METRICS[metric]
    if gap is not None:
        return build_unavailable_figure(spec.label(lang), caption, gap.text(lang))
    data = trends[trends["metric"] == metric].sort_values("period_start")
    traces = []
    if data["low"].notna().any():
        traces.append({
            "type": "scatter",
            "x": list(data["period_start"]) + list(data["period_start"][::-1]),
            "y": list(data["high"]) + list(data["low"][::-1]),
            "fill": "toself",
            "fillcolor": COLORS["band"],
            "line": {"width": 0},
            "hoverinfo": "skip",
            "name": "95%",
            "showlegend": False,
        })
    partial_label = translate("partial_period", lang)
    text = [
        format_value(v, spec.unit, lang, spec.decimals, currency) + (f" ({partial_label})" if partial else "")
        for v, partial in zip(data["value"], data["is_partial"])
    ]
    traces.append({
        "type": "scatter",
        "x": list(data["period_start"]),
        "y": list(data["value"]),
        "mode": "lines+markers",
        "name": spec.label(lang),
        "line": {"color": COLORS["line"], "width": 2},
        # Small samples in amber; periods cut by the selection as open circles.
        "marker": {
            "color": [COLORS["flag"] if n < SMALL_SAMPLE else COLORS["line"] for n in data["n"]],
            "symbol": ["circle-open" if p else "circle" for p in data["is_partial"]],
            "size": 7,
        },
        "customdata": [list(pair) for pair in zip(text, data["n"].tolist())],
        "hovertemplate": f"%{{x|{plotly_day_format(lang)}}}<br>%{{customdata[0]}}<br>n = %{{customdata[1]}}<extra></extra>",
    })
    layout = {
        "title": {"text": spec.label(lang), "subtitle": {"text": caption}, "x": 0, "xanchor": "left"},
        "margin": {"l": 10, "r": 10, "t": 60, "b": 10},
        "height": 300,
        "showlegend": False,
        "yaxis": {"title": {"text": _axis_title(spec, currency)}},
        "separators": plotly_separators(lang),
    }
    if target is not None:
        layout["shapes"] = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": target, "y1": target,
                             "line": {"color": COLORS["target"], "dash": "dash", "width": 1}}]  # fmt: skip
    return make_figure(traces, layout)


def build_unavailable_figure(title: str, caption: str, text: str) -> dict:
    """An empty chart that says in its middle why there is nothing to draw."""
    layout = {
        "title": {"text": title, "subtitle": {"text": caption}, "x": 0, "xanchor": "left"},
        "margin": {"l": 10, "r": 10, "t": 60, "b": 10},
        "height": 300,
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
        "annotations": [{"text": text, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False}],
    }
    return make_figure([], layout)


def make_figure(traces: list[dict], layout: dict) -> dict:
    """The figure of ``traces`` and ``layout`` (plain dicts), as plotly would serialize it.

    Building a ``go.Figure`` validates every property (~20 ms a trace) and copies the whole
    template; a page of a dozen charts spent most of a warm rerun there. The specs here are fixed
    by our code, ``tests/test_charts.py`` proves them valid and serialized like plotly's own, and
    the browser tests read what plotly.js really drew. Every text in it is shown as text, never
    as plotly's HTML-ish markup (``cxdata.presentation.plaintext``): labels and categories come from the data.
    """
    return {"data": plain_figure(traces), "layout": {"template": default_template(), **plain_figure(layout)}}


def default_template() -> dict:
    """The current default plotly template (Streamlit's, in the app) as plain dicts, built once."""
    return _template(pio.templates.default)


@lru_cache(maxsize=4)
def _template(name: str) -> dict:
    return pio.templates[name].to_plotly_json()


def _axis_title(spec, currency: str) -> str:
    return {"money": currency, "%": "%", "points": "NPS", "score": "1–7"}.get(spec.unit, "")
