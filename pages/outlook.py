"""Outlook: what the customer base is worth ahead, how much of it is at risk and where, what keeping
the customers most at risk would return, and how much longer good CX keeps customers; then who is
at risk and why, and how well the forecasts held on the past."""

import logging
from datetime import timedelta

import streamlit as st

from cxdata.app import ui
from cxdata.i18n import format_date, format_number, translate
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.presentation.churn_risk_text import (
    build_at_risk_csv,
    build_at_risk_table,
    build_risk_headline,
    build_risk_tiles,
    describe_driver,
    describe_list,
    describe_risk_validation,
)
from cxdata.presentation.outlook_charts import (
    build_calibration_figure,
    build_equity_figure,
    build_survival_figure,
    build_validation_figure,
)
from cxdata.presentation.outlook_text import (
    build_outlook_headline,
    build_outlook_tiles,
    describe_method,
    describe_survival,
    describe_validation,
)
from cxdata.presentation.plaintext import markdown_text
from cxdata.questions.clv import (
    EQUITY_DIMENSIONS,
    HORIZON_CHOICES,
    equity_by,
    reforecast,
    select_customers,
    validation_table,
)
from cxdata.questions.churn_risk import (
    DEFAULT_HORIZON_DAYS,
    MIN_CHURNERS,
    at_risk_customers,
    rank_customers,
    risk_by,
)
from cxdata.questions.metrics import fetch_gap
from cxdata.questions.survival import SURVIVAL_DIMENSIONS, compute_survival

_LOGGER = logging.getLogger(__name__)
DRIVERS_SHOWN = 8
DEFAULT_TOP = 50

context = ui.page_context()
lang, filters, currency, as_of = context.lang, context.filters, context.currency, context.as_of
# The models read the whole history to the as-of date; the period filter does not apply here.
caption = " · ".join([translate("outlook_scope", lang, date=format_date(as_of, lang)), *filters.caption(lang).split(" · ")[1:]])

st.title(translate("page_outlook", lang))
st.caption(markdown_text(caption))

gap = ui.load(fetch_gap, "clv")
if gap is not None:  # no purchases loaded: say what to load
    st.info(gap.text(lang))
    st.stop()
# Fitted once per data version, whatever the filters: by the background refit after a load
# (cxdata.questions.fits), else here.
try:  # seconds on the sample, about two minutes at scale 1
    stored, state = ui.load_fit("clv", as_of, translate("outlook_fitting", lang))
except ValueError as error:  # too little purchase history to fit: the reason in words, the details in the log
    _LOGGER.info("outlook page: %s", error)
    st.info(translate("outlook_no_fit", lang))
    st.stop()
if state == "computing":  # the refit after the latest load is running: its progress, then the page
    ui.show_refit_progress(lang, rerun_when_done=True)
    st.stop()
# The horizon only changes the forecast from the same fitted parameters (no refit); it goes in the link.
ui.bind_page_setting("outlook_horizon", str(stored.horizon_months), HORIZON_CHOICES)
horizon_text = st.segmented_control(
    translate("outlook_horizon", lang), options=list(HORIZON_CHOICES), required=True, key="outlook_horizon",
    format_func=lambda months: translate("outlook_horizon_months", lang, h=months),
)  # fmt: skip
ui.mirror_page_setting("outlook_horizon", horizon_text, str(stored.horizon_months))
horizon_months = int(horizon_text)
model = stored if horizon_months == stored.horizon_months else ui.derive(reforecast, stored, horizon_months)
customers = ui.derive(select_customers, model, filters)
if customers.empty:
    st.warning(markdown_text(translate("outlook_no_customers", lang, caption=caption)))
    st.stop()
survival = ui.derive(compute_survival, model, filters)
horizon = model.horizon_months

# --- One screen: what the base is worth, how many still buy, and the CX gap in months and money.
headline = ui.derive(build_outlook_headline, customers, survival, lang, currency, horizon)
st.info(f"**{translate('outlook_headline_title', lang)}.** {markdown_text(headline)}")
if len(customers) < MIN_SAMPLE_SIZE:
    st.warning(translate("outlook_too_small", lang, n=len(customers)))
tiles = ui.derive(build_outlook_tiles, customers, survival, lang, currency, horizon)
# Two rows of two: wide enough for a money value and a Russian label on a 1280-px projector.
for column, (label, value, help_text) in zip(st.columns(2) + st.columns(2), tiles, strict=True):
    column.metric(label, value, help=help_text, border=True)
st.caption(translate("outlook_n", lang, n=format_number(len(customers), lang)))

# --- How much of it is at risk, where, and what keeping the customers most at risk would keep.
horizon_days = DEFAULT_HORIZON_DAYS  # the model's default; the page has no horizon control
st.header(translate("risk_section", lang, h=horizon_days))
risk_model, at_risk = None, None
risk_gap = ui.load(fetch_gap, "churn_risk")
if risk_gap is not None:  # no churn events loaded: nothing to learn who leaves from
    st.info(risk_gap.text(lang))
else:
    try:  # fitted once per data version at the default horizon: by the refit after a load, else here
        risk_model, _ = ui.load_fit("churn_risk", as_of, translate("risk_fitting", lang), while_refitting=True)
    except ValueError as error:  # too little history for two past cut-offs: the reason in words
        _LOGGER.info("outlook page, churn risk: %s", error)
        st.info(translate("risk_no_fit", lang, n=MIN_CHURNERS, h=horizon_days,
                          training=format_date(as_of - timedelta(days=2 * horizon_days), lang),
                          validation=format_date(as_of - timedelta(days=horizon_days), lang)))  # fmt: skip
if risk_model is not None:
    at_risk = ui.derive(at_risk_customers, risk_model, filters, model)  # filters select, never refit
    if at_risk.empty:
        st.info(translate("risk_no_customers", lang))
        at_risk = None
if at_risk is not None:
    top = int(st.session_state.get("outlook_risk_top", DEFAULT_TOP))  # the list's size, chosen below
    by_segment, by_channel = ui.derive(risk_by, at_risk, "segment"), ui.derive(risk_by, at_risk, "channel")
    st.markdown(markdown_text(ui.derive(build_risk_headline, risk_model, at_risk, by_segment, by_channel, top, lang,
                                        currency)))  # fmt: skip
    risk_tiles = ui.derive(build_risk_tiles, risk_model, at_risk, top, lang, currency)
    for column, (label, value, help_text) in zip(st.columns(2) + st.columns(2), risk_tiles, strict=True):
        column.metric(label, value, help=help_text, border=True)

# --- Where the value is: by segment, channel, acquisition channel and NPS class.
st.header(translate("outlook_section_where", lang))
dimension = st.segmented_control(
    translate("outlook_split", lang), options=list(EQUITY_DIMENSIONS), default="segment", required=True,
    format_func=lambda d: translate(f"outlook_dimension_{d}", lang), key="outlook_dimension",
)  # fmt: skip
equity = ui.derive(equity_by, model, filters, dimension)
ui.show_chart(ui.derive(build_equity_figure, equity, dimension, lang, caption, currency, horizon), key="outlook_equity")
st.caption(translate("outlook_equity_rule", lang))

# --- Survival by CX class: Kaplan–Meier curves, the gap in months and money.
st.header(translate("outlook_section_survival", lang))
survival_dimension = st.segmented_control(
    translate("outlook_split", lang), options=list(SURVIVAL_DIMENSIONS), default="nps", required=True,
    format_func=lambda d: translate(f"money_dimension_{d}", lang), key="outlook_survival_dimension",
)  # fmt: skip
ui.show_chart(ui.derive(build_survival_figure, survival.curves, survival.table, survival_dimension, lang, caption),
              key="outlook_survival")  # fmt: skip
reference = SURVIVAL_DIMENSIONS[survival_dimension][2]
for line in describe_survival(survival, survival_dimension, reference, lang, currency):
    st.markdown(f"- {line}")
st.caption(translate("outlook_survival_rule", lang))

# --- Who is at risk and why: the drivers, the validation on later time, the list for a retention team.
if at_risk is not None:
    st.header(translate("risk_section_drivers", lang))
    st.subheader(translate("risk_drivers_title", lang))
    for driver in risk_model.drivers.head(DRIVERS_SHOWN).to_dict("records"):
        st.markdown(f"- {markdown_text(describe_driver(driver, horizon_days, lang, risk_model.stage_labels))}")
    st.caption(translate("risk_method", lang))
    # The check is on every customer active at the validation cut-off: the filters do not narrow it.
    check_caption = translate("risk_calibration_caption", lang, n=format_number(risk_model.validation["n"], lang),
                              date=format_date(risk_model.validation_cutoff, lang))  # fmt: skip
    ui.show_chart(ui.derive(build_calibration_figure, risk_model.calibration, horizon_days, risk_model.validation_cutoff,
                            lang, check_caption), key="outlook_calibration")  # fmt: skip
    st.markdown(describe_risk_validation(risk_model, lang))
    st.subheader(translate("risk_list_title", lang))
    left, right = st.columns(2)
    top = left.number_input(translate("risk_list_top", lang), min_value=1, max_value=10_000, value=DEFAULT_TOP, step=10,
                            key="outlook_risk_top")  # fmt: skip
    order = right.segmented_control(
        translate("risk_list_order", lang), options=["risk", "value_at_stake"], default="risk", required=True,
        format_func=lambda o: translate(f"risk_order_{o}", lang), key="outlook_risk_order",
    )  # fmt: skip
    ranked = ui.derive(rank_customers, at_risk, order, int(top))
    table = ui.derive(build_at_risk_table, ranked, lang, currency, risk_model.stage_labels)
    ui.show_table(table, name="churn_risk", hide_index=True)
    st.download_button(translate("risk_download_csv", lang), data=ui.derive(build_at_risk_csv, table),
                       file_name="churn_risk.csv", mime="text/csv", key="outlook_risk_csv", on_click="ignore",
                       icon="⬇️")  # fmt: skip
    st.caption(describe_list(ranked, at_risk, lang))

# --- Validation: the models fitted on the past, against what happened after.
st.header(translate("outlook_section_validation", lang))
validation = ui.derive(validation_table, model, filters)
ui.show_chart(ui.derive(build_validation_figure, validation, model.calibration_end, lang, caption), key="outlook_validation")
st.markdown(describe_validation(model, validation, lang, format_date))
st.caption(describe_method(model, lang, format_date))
