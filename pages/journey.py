"""Customer journey: where customers drop off, why, what it costs. A click on a funnel stage
narrows the stage detail (reasons, silent loss, time to convert, moments of truth) to it."""

import logging

import streamlit as st

from cxdata.app import ui
from cxdata.app.workspace import show_title
from cxdata.i18n import format_date, translate
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.presentation import journey_charts as charts
from cxdata.presentation import journey_stage_charts as stage_charts
from cxdata.presentation import journey_text
from cxdata.presentation import journey_weekly_chart as weekly_chart
from cxdata.presentation.plaintext import markdown_text
from cxdata.questions import journey, journey_loss, journey_moments, journey_weekly
from cxdata.questions.funnel import DEFAULT_WINDOW_DAYS, compute_funnel
from cxdata.questions.metrics import fetch_gap

_LOGGER = logging.getLogger(__name__)

STAGE_KEY = "journey_stage"  # the stage the detail is narrowed to, kept until cleared
ROUND_KEY = "journey_funnel_round"  # a new funnel chart key per clear, so its old selection is gone


def clear_stage() -> None:
    st.session_state.pop(STAGE_KEY, None)
    st.session_state[ROUND_KEY] = st.session_state.get(ROUND_KEY, 0) + 1


context = ui.page_context()
lang, filters, as_of, currency = context.lang, context.filters, context.as_of, context.currency
caption = filters.caption(lang)

show_title(context, "page_journey")
heading, window_column = st.columns([4, 1], vertical_alignment="bottom")
window_days = int(
    window_column.number_input(
        translate("journey_window", lang), min_value=0, max_value=365, value=DEFAULT_WINDOW_DAYS, step=1,
        key="journey_window_days", help=translate("journey_window_help", lang, default=DEFAULT_WINDOW_DAYS),
    )
)
heading.caption(markdown_text(
    f"{translate('data_as_of', lang, date=format_date(as_of, lang))} · {caption} · "
    f"{translate('journey_window_caption', lang, days=window_days)}"
))

gap = ui.load(fetch_gap, "funnel")
if gap is not None:  # no journey stages or events loaded: say what to load, draw nothing
    st.info(gap.text(lang))
    st.stop()
try:  # every query of the page at once (in parallel)
    funnel, previous_funnel, labels, breakdowns, weekly, reasons, profile, moments, times, *gaps = ui.load_many(
        # The page shows no median per step here (the time-to-convert chart has them): skip them.
        ui.query(compute_funnel, filters, as_of, window_days=window_days, with_medians=False),
        ui.query(compute_funnel, filters.previous(), as_of, window_days=window_days, with_medians=False),
        ui.query(journey.fetch_stage_labels, lang),
        ui.query(journey.compute_funnel_breakdowns, filters, as_of, window_days=window_days),
        ui.query(journey_weekly.compute_weekly_steps, filters, as_of, window_days=window_days),
        ui.query(journey_loss.compute_loss_reasons, filters, as_of, window_days=window_days),
        ui.query(journey_loss.compute_loss_profile, filters, as_of, window_days=window_days),
        ui.query(journey_moments.compute_moments_of_truth, filters),
        ui.query(journey_moments.compute_time_to_convert_summary, filters, as_of, window_days=window_days),
        *(ui.query(fetch_gap, name) for name in ("churn_reasons", "complaint_reasons", "silent_loss")),
    )
except ValueError as error:  # stages that do not fit the events, say: the reason in words, the details in the log
    _LOGGER.warning("journey page: %s", error)
    st.warning(translate("journey_unavailable", lang))
    st.stop()
if funnel["customers"].iloc[0] == 0:
    st.warning(markdown_text(translate("empty_selection", lang, caption=caption)))
    st.stop()

stages = funnel["stage"].tolist()
comparison = ui.derive(journey.compare_funnels, funnel, previous_funnel)  # = compare_with_previous_period
headline = ui.derive(journey_text.build_journey_headline, funnel, comparison, labels, lang, currency,
                     filters.previous())
st.info(f"**{translate('journey_headline_title', lang)}.** {markdown_text(headline)}")

# --- the funnel and the money: a click on a stage bar narrows the detail below -------------------
st.subheader(translate("journey_section_money", lang))
funnel_key = f"journey_funnel_{st.session_state.get(ROUND_KEY, 0)}"
# The click that triggered this run is in the chart's state before the chart is drawn again.
clicked = charts.selected_stage((st.session_state.get(funnel_key) or {}).get("selection", {}).get("points"), stages)
if clicked:
    st.session_state[STAGE_KEY] = clicked
stage = st.session_state.get(STAGE_KEY) if st.session_state.get(STAGE_KEY) in stages else None

funnel_column, money_column = st.columns(2)
ui.show_chart(
    ui.derive(charts.build_funnel_figure, funnel, labels, lang, caption, currency, selected=stage),
    key=funnel_key, where=funnel_column, on_select="rerun", selection_mode="points",
)
ui.show_chart(
    ui.derive(charts.build_lost_value_figure, ui.derive(journey_loss.build_lost_value_steps, funnel), labels, lang,
              caption, currency),
    key="journey_lost_value", where=money_column,
)
money_column.caption(translate("journey_lost_value_rule", lang))
if stage is None:
    st.caption(translate("journey_pick_stage", lang))
else:
    message, warning = journey_text.describe_selected_stage(funnel, stage, labels, lang)
    shown, clear = st.columns([4, 1], vertical_alignment="center")
    shown.success(message)
    clear.button(translate("journey_clear_stage", lang), on_click=clear_stage, key="journey_clear_stage")
    if warning:
        st.warning(warning)
st.caption(markdown_text(translate("journey_cohort_note", lang, first_stage=labels.get(stages[0], stages[0]),
                                   as_of=format_date(as_of, lang), days=window_days)))

# --- which step got worse, and where ----------------------------------------------------------
st.subheader(translate("journey_section_previous", lang))
ui.show_chart(ui.derive(charts.build_period_comparison_figure, comparison, labels, lang, caption),
              key="journey_previous")
st.caption(translate("journey_previous_rule", lang, minimum=MIN_SAMPLE_SIZE))

st.subheader(translate("journey_section_weekly", lang))
ui.show_chart(ui.derive(weekly_chart.build_weekly_steps_figure, weekly, labels, lang, caption), key="journey_weekly")
st.caption(translate("journey_weekly_rule", lang, days=window_days, minimum=MIN_SAMPLE_SIZE,
                     z=journey_weekly.WEEKLY_NOTABLE_Z))

st.subheader(translate("journey_section_breakdowns", lang))
breakdown_columns = st.columns(2) + st.columns(2)
for column, dimension in zip(breakdown_columns, journey.BREAKDOWN_DIMENSIONS):
    ui.show_chart(ui.derive(charts.build_breakdown_figure, breakdowns, dimension, labels, lang, caption),
                  key=f"journey_breakdown_{dimension}", where=column)
st.caption(translate("journey_breakdown_rule", lang, minimum=MIN_SAMPLE_SIZE))

# --- why they leave (narrowed to the clicked stage) ---------------------------------------------
st.subheader(translate("journey_section_why", lang))
shares = ui.derive(journey_loss.summarize_loss_shares, profile)
silent = ui.derive(journey_loss.summarize_silent_loss, profile)
reasons_gap, complaints_gap, silent_gap = gaps  # data never loaded: the chart says what to load
for kind, gap in (("churn_reason", reasons_gap), ("complaint_category", complaints_gap)):
    ui.show_chart(ui.derive(stage_charts.build_reasons_figure, reasons, kind, shares, labels, lang, caption, stage,
                            gap), key=f"journey_{kind}")
ui.show_chart(ui.derive(stage_charts.build_silent_loss_figure, silent, labels, lang, caption, stage, silent_gap),
              key="journey_silent")
st.caption(translate("journey_why_rule", lang, as_of=format_date(as_of, lang)))

# --- how it felt and how long it took -----------------------------------------------------------
st.subheader(translate("journey_section_feel", lang))
ui.show_chart(ui.derive(stage_charts.build_moments_figure, moments, labels, lang, caption, stage),
              key="journey_moments")
st.caption(translate("journey_moments_rule", lang, minimum=MIN_SAMPLE_SIZE))
ui.show_chart(ui.derive(stage_charts.build_time_to_convert_figure, times, labels, lang, caption, stage),
              key="journey_time")
st.caption(translate("journey_time_rule", lang))

# For the analyst who checks the numbers; folded, so the board's screen holds no command line.
with st.expander(translate("journey_cli", lang)):
    st.code(journey_text.build_funnel_command(filters, window_days), language=None)
