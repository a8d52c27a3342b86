"""The CEM maturity radar: element scores of the latest assessment (and the one before it, for
comparison) on the 0–10 scale. A pure function to a plotly figure (plain dicts, ``charts.make_figure``)."""

from __future__ import annotations

from datetime import date

from cxdata.i18n import format_date, format_number, plotly_separators, register_text, translate
from cxdata.model.maturity import ELEMENTS, SCORE_MAX, SCORE_MIN, element_name
from cxdata.presentation.charts import COLORS, make_figure

PREVIOUS_COLOR = "#9aa5b1"


def build_maturity_radar(latest: dict, previous: dict | None, lang: str, caption: str) -> dict:
    """A closed polygon of ``latest["elements"]`` (``questions.maturity.summarize_assessments``)
    per element, 0 in the centre and 10 at the rim; ``previous`` (or None) drawn grey beneath it."""
    labels = [element_name(element, lang) for element in ELEMENTS]
    traces = []
    for summary, color, fill in ((previous, PREVIOUS_COLOR, "none"), (latest, COLORS["line"], "toself")):
        if summary is None:
            continue
        scores = [summary["elements"][element] for element in ELEMENTS]
        name = translate("maturity_radar_trace", lang, id=summary["assessment_id"], date=format_date(date.fromisoformat(summary["answered_at"][:10]), lang))
        closed_labels, closed_scores = [*labels, labels[0]], [*scores, scores[0]]
        traces.append({
            "type": "scatterpolar", "r": closed_scores, "theta": closed_labels, "name": name,
            "mode": "lines+markers", "fill": fill, "line": {"color": color},
            "hovertext": [f"{label}: {format_number(score, lang, 1)}"
                          for label, score in zip(closed_labels, closed_scores, strict=True)],
            "hoverinfo": "text+name"})
    layout = {
        "title": {"text": translate("maturity_radar_title", lang), "subtitle": {"text": caption}, "x": 0,
                  "xanchor": "left"},
        "margin": {"l": 60, "r": 60, "t": 80, "b": 30}, "height": 460, "separators": plotly_separators(lang),
        "polar": {"radialaxis": {"range": [SCORE_MIN, SCORE_MAX], "tickvals": [0, 2, 4, 6, 8, 10]}},
        "showlegend": True, "legend": {"orientation": "h", "y": -0.08},
    }
    return make_figure(traces, layout)


register_text({
    "maturity_radar_title": {"en": "CEM maturity by element, 0–10", "ru": "Зрелость управления опытом по элементам, 0–10"},
    "maturity_radar_trace": {"en": "Assessment {id} ({date})", "ru": "Оценка {id} ({date})"},
})
