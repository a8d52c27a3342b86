"""The overview's early warnings: computed once per data version and dimension filters (the whole
history is checked whatever the period; the period only picks which alerts to show)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import streamlit as st

from cxdata.analysis.signals import Z_ALERT
from cxdata.app import ui
from cxdata.i18n import format_number, format_period, translate
from cxdata.presentation.alerts_view import (
    alert_chart_title,
    alert_detail,
    alert_title,
    build_alert_figure,
    unwatched_lines,
)
from cxdata.presentation.plaintext import markdown_text
from cxdata.model.filters import Filters
from cxdata.questions.alerts import Alert, fetch_alerts, select_alerts
from cxdata.questions.journey import fetch_stage_labels

@st.cache_data(show_spinner=False, max_entries=16)
def load_alerts(data: ui.DataKey, dimensions: Filters, as_of: date) -> list[Alert]:
    """Every alert of the history for the filters' dimensions (their dates ignored): once per data
    version, whatever the period shown and however often the page reruns."""
    with ui.backend(data) as db:
        return fetch_alerts(db, dimensions, as_of)


def dimensions_only(filters: Filters, as_of: date) -> Filters:
    """The filters without their period (the cache key of ``load_alerts``)."""
    return replace(filters, start=as_of, end=as_of)


_ICONS = {"critical": "🔴", "major": "🟠", "minor": "🟡"}  # emoji: a material icon is a font fetched from outside


def render_alerts(context: ui.PageContext) -> None:
    """What left its normal range in the selected period, where, since when, how far, with the chart."""
    lang, filters = context.lang, context.filters
    # The period is not part of the key: the history is the same whichever days are shown.
    every = load_alerts(context.data, dimensions_only(filters, context.as_of), context.as_of)
    alerts = select_alerts(every, filters.start, filters.end)
    st.subheader(translate("alerts_title", lang),
                 help=translate("alerts_method", lang, z=format_number(Z_ALERT, lang, 0)))  # fmt: skip
    for line in unwatched_lines(ui.load_settings(context.data)["coverage"], lang):
        st.caption(markdown_text(line))
    if not alerts:
        st.caption(translate("alerts_none", lang, period=format_period(filters.start, filters.end, lang)))
        return
    labels = ui.load(fetch_stage_labels, lang)
    caption = filters.caption(lang)
    for index, alert in enumerate(alerts):
        with st.expander(markdown_text(alert_title(alert, lang, labels)), expanded=index == 0,
                         icon=_ICONS[alert.severity]):  # fmt: skip
            st.caption(markdown_text(alert_detail(alert, lang)))
            figure = build_alert_figure(alert, lang, alert_chart_title(alert, lang, labels), caption)
            ui.show_chart(figure, key=f"overview_alert_{index}")
