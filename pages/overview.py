"""Overview: the board's first screen. KPIs vs the previous period and targets, what changed, trends."""

import streamlit as st

from cxdata.app import ui
from cxdata.app.alerts_panel import render_alerts
from cxdata.app.chart_slot import show_chart_or_words
from cxdata.app.workspace import show_title
from cxdata.i18n import format_date, translate
from cxdata.model.registry import OVERVIEW_METRICS
from cxdata.presentation.chart_shortage import describe_trend_shortage
from cxdata.presentation.charts import build_trend_figure
from cxdata.presentation.plaintext import markdown_text
from cxdata.presentation.tiles import add_predicted_ratio, build_tile
from cxdata.questions.money_units import fetch_unit_economics
from cxdata.questions.overview import build_headline
from cxdata.questions.predicted_value import PREDICTED_HORIZON_MONTHS, overall_predicted_ltv_cac

TREND_METRICS = ("nps", "csat", "ces", "revenue", "churn_rate")

context = ui.page_context()
lang, filters = context.lang, context.filters
overview = ui.load_overview(context.data, filters, context.as_of)

show_title(context, "page_overview")
st.caption(markdown_text(
    f"{translate('data_as_of', lang, date=format_date(context.as_of, lang))} · {filters.caption(lang)} · "
    + translate("compared_with", lang, period=filters.previous().caption(lang).split(" · ")[0])
))

if overview.is_empty:
    st.warning(markdown_text(translate("empty_selection", lang, caption=filters.caption(lang))))
    st.stop()

st.info(f"**{translate('headline_title', lang)}.** {markdown_text(build_headline(overview, lang, context.currency))}")

# Two rows of three: wide enough for money values on a 1280-px projector.
tile_columns = st.columns(3) + st.columns(3)
# LTV/CAC counts revenue to date, so young cohorts look worthless: the predicted ratio goes beside it.
units = ui.load(fetch_unit_economics, filters, context.as_of)
predicted, forecast_state = ui.load_predicted_units(units, filters, context.as_of)
predicted_ratio = overall_predicted_ltv_cac(predicted) if predicted is not None else None
for column, metric in zip(tile_columns, OVERVIEW_METRICS):
    tile = build_tile(overview, metric, lang, context.currency)
    if metric == "ltv_cac":
        tile = add_predicted_ratio(tile, predicted_ratio, forecast_state, lang, PREDICTED_HORIZON_MONTHS)
    column.metric(tile.label, tile.value, tile.delta, delta_color=tile.delta_color, help=tile.help, border=True)
    column.caption(markdown_text(tile.note))

render_alerts(context)  # early warnings: what left its own normal range in the period

st.subheader(translate("trends", lang))
chart_columns = st.columns(2)
for index, metric in enumerate(TREND_METRICS):
    # A metric whose data was never loaded draws what is missing; one with too little data says so.
    words = None if metric in overview.gaps else describe_trend_shortage(overview.trends, metric, lang)
    show_chart_or_words(
        words, build_trend_figure, overview.trends, metric, lang, filters.caption(lang), overview.targets.get(metric),
        context.currency, overview.gaps.get(metric), key=f"overview_trend_{metric}", where=chart_columns[index % 2],
    )
