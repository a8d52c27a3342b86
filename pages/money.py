"""CX and money: how NPS, CSAT, CES and complaints move revenue, LTV, retention and unit economics,
and the CX change worth most money."""

import streamlit as st

from cxdata.app import ui
from cxdata.app.chart_slot import show_chart_or_words
from cxdata.app.workspace import show_title
from cxdata.i18n import format_date, translate
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.presentation.money_charts import (
    build_class_metric_figure,
    build_cohort_heatmap,
    build_driver_figure,
    build_retention_curves_figure,
    build_unit_economics_figure,
)
from cxdata.presentation.money_tables import (
    build_driver_table,
    build_economics_table,
    build_risk_tiles,
    add_predicted_columns,
    build_unit_table,
    build_whatif_tiles,
    describe_columns,
    describe_economics_gaps,
    describe_never_paying_back,
)
from cxdata.presentation.chart_shortage import (
    describe_class_shortage,
    describe_cohort_shortage,
    describe_driver_shortage,
    describe_unit_shortage,
    describe_whatif_shortage,
)
from cxdata.presentation.forecast_text import describe_predicted_gap, predicted_column_help
from cxdata.presentation.money_text import class_label, stage_label
from cxdata.presentation.plaintext import markdown_text
from cxdata.questions.money import (
    DEFAULT_HORIZON_MONTHS,
    DIMENSIONS,
    compute_revenue_at_risk,
    fetch_class_economics,
)
from cxdata.questions.money_cohorts import fetch_cohort_view
from cxdata.questions.money_drivers import compute_drivers
from cxdata.questions.money_report import build_money_headline, fetch_stage_labels
from cxdata.questions.metrics import fetch_gap
from cxdata.questions.money_units import fetch_unit_economics
from cxdata.questions.predicted_value import PREDICTED_HORIZON_MONTHS
from cxdata.questions.money_whatif import (
    NPS_TARGETS,
    drop_off_steps,
    fetch_what_if_funnel,
    project_drop_off_reduction,
    project_nps_uplift,
)

context = ui.page_context()
lang, filters, currency, as_of = context.lang, context.filters, context.currency, context.as_of
caption = filters.caption(lang)

show_title(context, "page_money")
st.caption(markdown_text(f"{translate('data_as_of', lang, date=format_date(as_of, lang))} · {caption}"))

# Every query of the page at once (in parallel); the what-if funnel only when it is asked for.
economics, stage_labels, (cohorts, curves), units, cost_gap = ui.load_many(
    ui.query(fetch_class_economics, filters, as_of), ui.query(fetch_stage_labels),
    ui.query(fetch_cohort_view, filters, as_of), ui.query(fetch_unit_economics, filters, as_of),
    ui.query(fetch_gap, "unit_economics"),
)
cells = economics.cells
# Without churn events, churn and retention are not measured: every churn gap below says so.
retention_gap = economics.gaps.get("churn_rate")
if cells.customers == 0:
    st.warning(markdown_text(translate("money_no_customers", lang, caption=caption)))
    st.stop()

# The headline depends on the horizon: draw the control first, into the right-hand column.
headline_column, horizon_column = st.columns([5, 1], vertical_alignment="center")
horizon = horizon_column.number_input(
    translate("money_horizon", lang), min_value=1, max_value=60, value=DEFAULT_HORIZON_MONTHS, step=1,
    help=translate("money_horizon_help", lang), key="money_horizon",
)  # fmt: skip
risk = ui.derive(compute_revenue_at_risk, economics, horizon)
drivers = ui.derive(compute_drivers, cells, horizon)
headline = ui.derive(build_money_headline, risk, drivers, lang, currency, horizon, stage_labels, retention_gap)
headline_column.info(f"**{translate('money_headline_title', lang)}.** {markdown_text(headline)}")
if economics.nps_customers < MIN_SAMPLE_SIZE:
    st.warning(translate("money_too_small", lang, n=economics.nps_customers))

# --- Economics by CX class: who brings and who loses money.
st.header(translate("money_section_classes", lang))
dimension = st.segmented_control(
    translate("money_dimension", lang), options=list(DIMENSIONS), default="nps", required=True,
    format_func=lambda d: translate(f"money_dimension_{d}", lang), key="money_dimension",
)  # fmt: skip
reference = DIMENSIONS[dimension][2]
for column, metric in zip(st.columns(2), ("churn_rate", "ltv")):
    words = None if metric in economics.gaps else describe_class_shortage(economics, dimension, metric, lang)
    show_chart_or_words(words, build_class_metric_figure, economics, dimension, metric, reference, lang, caption,
                        currency, key=f"money_class_{metric}", where=column)
st.caption(translate("money_class_rule", lang, reference=class_label(dimension, reference, lang)))
ui.show_table(
    ui.derive(build_economics_table, economics, dimension, lang, currency), name=f"money-economics-{dimension}", hide_index=True,
    column_config={header: st.column_config.Column(help=text) for header, text in describe_columns(lang).items()},
)  # fmt: skip
for line in describe_economics_gaps(economics, dimension, lang):  # why a cell says "not available"
    st.caption(markdown_text(line))

# --- Revenue at risk: what the churn gaps cost over the horizon.
st.header(translate("money_section_risk", lang))
for column, tile in zip(st.columns(len(risk)), build_risk_tiles(risk, lang, currency, horizon, retention_gap)):
    column.metric(tile["label"], tile["value"], help=tile["help"], border=True)
    column.caption(markdown_text(tile["note"]))
st.caption(translate("money_risk_model", lang, h=horizon))

# --- Key drivers in money: which touchpoints and complaints cost the most.
st.header(translate("money_section_drivers", lang))
if retention_gap is not None:
    st.info(markdown_text(retention_gap.text(lang)))
else:
    show_chart_or_words(describe_driver_shortage(drivers, translate("money_drivers_title", lang), lang),
                        build_driver_figure, drivers, lang, caption, currency, horizon, stage_labels, key="money_drivers")
    st.caption(translate("money_drivers_model", lang, h=horizon))
    ui.show_table(ui.derive(build_driver_table, drivers, lang, currency, horizon, stage_labels), name="money-drivers",
                  hide_index=True, height="content")

# --- Cohort retention: do the customers (and their money) stay, and does NPS tell in advance?
st.header(translate("money_section_cohorts", lang))
if retention_gap is not None:
    st.info(markdown_text(retention_gap.text(lang)))
elif cohorts.empty:
    st.info(translate("money_no_cohorts", lang))
elif (cohort_words := describe_cohort_shortage(cohorts, translate("money_section_cohorts", lang), lang)) is not None:
    st.info(markdown_text(cohort_words))
else:
    measure = st.segmented_control(
        translate("money_cohort_measure", lang), options=["customer_retention", "revenue_retention"],
        default="customer_retention", required=True, format_func=lambda m: translate(f"money_cohort_{m}", lang),
        key="money_cohort_measure",
    )  # fmt: skip
    heatmap_column, curves_column = st.columns(2)
    ui.show_chart(ui.derive(build_cohort_heatmap, cohorts, measure, lang, caption), key="money_cohort_heatmap",
                  where=heatmap_column)
    ui.show_chart(ui.derive(build_retention_curves_figure, curves, measure, lang, caption), key="money_cohort_curves",
                  where=curves_column)
    st.caption(translate("money_cohort_rule", lang))

# --- Unit economics: what a customer costs and when they pay back, by channel and NPS class.
st.header(translate("money_section_units", lang))
if units.empty:
    st.info(translate("money_no_acquisition", lang))
else:
    if cost_gap is not None:  # CAC, LTV/CAC and payback need acquisition costs
        st.info(markdown_text(cost_gap.text(lang)))
    show_chart_or_words(describe_unit_shortage(units, translate("money_units_title", lang), lang),
                        build_unit_economics_figure, units, lang, caption, key="money_units")
    st.caption(translate("money_units_rule", lang))
    # Beside the revenue to date, the predicted LTV: revenue to date + the stored forecast (young cohorts).
    predicted, forecast_state = ui.load_predicted_units(units, filters, as_of)
    unit_table = ui.derive(build_unit_table, units, lang, currency)
    class_table = ui.derive(build_unit_table, units, lang, currency, by_class=True)
    if predicted is not None:
        unit_table = ui.derive(add_predicted_columns, unit_table, units, predicted, lang, currency)
        class_table = ui.derive(add_predicted_columns, class_table, units, predicted, lang, currency, by_class=True)
    predicted_help = predicted_column_help(lang, PREDICTED_HORIZON_MONTHS)
    ui.show_table(unit_table, name="money-unit-economics", hide_index=True, column_config=predicted_help)
    if predicted is None:
        st.caption(describe_predicted_gap(forecast_state, lang))
    st.markdown(f"**{translate('money_units_by_class', lang)}.** {markdown_text(describe_never_paying_back(units, lang))}")
    ui.show_table(class_table, name="money-unit-economics-by-class", hide_index=True, height="content",
                  column_config=predicted_help)

# --- What if: a CX improvement in money over the horizon, with its assumptions.
st.header(translate("money_section_whatif", lang))
scenario = st.segmented_control(
    translate("money_scenario", lang), options=["nps", "drop_off"], default="nps", required=True,
    format_func=lambda s: translate(f"money_scenario_{s}", lang), key="money_scenario",
)  # fmt: skip
first_input, second_input = st.columns(2)
whatif = None
whatif_words = describe_whatif_shortage(economics.nps_customers, lang) if scenario == "nps" else None
if whatif_words is not None:
    st.info(markdown_text(whatif_words))
elif scenario == "nps":
    points = first_input.number_input(translate("money_nps_points", lang), 1, 50, 5, key="money_nps_points")
    to_class = second_input.selectbox(
        translate("money_to_class", lang), options=list(NPS_TARGETS),
        format_func=lambda c: class_label("nps", c, lang), key="money_to_class",
    )  # fmt: skip
    whatif = project_nps_uplift(economics, points, horizon, to_class)
else:
    funnel = ui.load(fetch_what_if_funnel, filters, as_of)
    steps = drop_off_steps(funnel)
    if not steps:
        st.info(translate("money_whatif_no_stage", lang))
    else:
        stage = first_input.selectbox(
            translate("money_stage", lang), options=list(steps), key="money_stage",
            format_func=lambda s: f"{stage_label(s, lang, stage_labels)} → {stage_label(steps[s], lang, stage_labels)}",
        )  # fmt: skip
        percent = second_input.slider(translate("money_drop_percent", lang), 1, 100, 10, key="money_drop_percent")
        whatif = project_drop_off_reduction(
            funnel, stage, percent, horizon, start=filters.start, end=filters.end, as_of=as_of
        )
if whatif is not None and whatif.revenue_change is None:
    st.info(translate("money_whatif_unknown", lang))
elif whatif is not None:
    tiles, assumptions = build_whatif_tiles(whatif, lang, currency, stage_labels)
    for column, tile in zip(st.columns(3), tiles):
        column.metric(markdown_text(tile["label"]), tile["value"], border=True)
    st.caption(markdown_text(assumptions))
