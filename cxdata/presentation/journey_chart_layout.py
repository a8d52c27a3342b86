"""What every chart of the customer-journey page shares: colours, the layout (title, filters
caption, the language's separators), axes, counts and shares as text, the empty chart.

Every chart's subtitle is the filters caption, and every hover states n. ``labels`` maps stage
names to their labels in the page's language (``cxdata.questions.journey.fetch_stage_labels``);
stages it does not know are shown by name. A ``stage`` argument narrows a stage-specific chart to
the customers lost after that stage (reached it, not the next one).
"""

from __future__ import annotations

import math

from cxdata.i18n import format_number, plotly_separators, translate
from cxdata.presentation.charts import COLORS, make_figure
from cxdata.presentation.journey_text import format_share

PALETTE = ("#1f5fa8", "#e07b39", "#3c9d5d", "#8e5ea2", "#c9a227", "#4bacc6", "#a0522d", "#d46a92", "#6b8e23",
           "#7f7f7f", "#17becf", "#bcbd22")  # fmt: skip
WORSE = COLORS["target"]


def step_label(stage: str, next_stage: str, labels: dict[str, str], lang: str) -> str:
    return translate("journey_step", lang, from_stage=labels.get(stage, stage),
                     to_stage=labels.get(next_stage, next_stage))  # fmt: skip


def build_layout(title: str, caption: str, lang: str, height: int, **extra) -> dict:
    """The layout every journey chart shares (title, filters caption, language's separators)."""
    return {
        "title": {"text": title, "subtitle": {"text": caption}, "x": 0, "xanchor": "left"},
        "margin": {"l": 10, "r": 10, "t": 70, "b": 10},
        "height": height,
        "separators": plotly_separators(lang),
        "hoverlabel": {"align": "left"},
        **extra,
    }


def build_axis(title: str | None = None, **options) -> dict:
    """An axis spec; plotly.js wants the title as ``{"text": ...}``."""
    return {"title": {"text": title}, **options} if title is not None else options


def format_count(value, lang: str) -> str:
    return format_number(value, lang)


def format_percent(share: float, lang: str) -> str:
    return "—" if share is None or (isinstance(share, float) and math.isnan(share)) else format_share(share, lang)


def build_empty_figure(title: str, caption: str, lang: str, message: str) -> dict:
    annotation = {"text": message, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper"}
    return make_figure([], build_layout(title, caption, lang, 220, annotations=[annotation],
                                        xaxis={"visible": False}, yaxis={"visible": False}))  # fmt: skip
