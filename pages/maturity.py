"""CEM maturity: where the company stands on the five levels by its own assessment, the element
scores on a radar, what moves each element up and what the data shows beside it, the assessments
over time; and the questionnaire for analysts and admins."""

import streamlit as st

from cxdata.app import ui, visitors
from cxdata.app.maturity import render_questionnaire, show_errors, store_questionnaire
from cxdata.app.workspace import show_title
from cxdata.i18n import format_number, format_period, translate
from cxdata.model.maturity import ELEMENTS, element_name, level_description, level_name
from cxdata.model.roles import can
from cxdata.presentation.maturity_charts import build_maturity_radar
from cxdata.presentation.maturity_text import (
    build_history_table,
    describe_evidence,
    describe_latest,
    describe_level,
)
from cxdata.presentation.plaintext import markdown_text
from cxdata.questions.journey import fetch_stage_labels
from cxdata.questions.maturity import compute_evidence, fetch_assessments

context, visitor = ui.page_context(), visitors.current_visitor()
lang, filters, as_of = context.lang, context.filters, context.as_of
show_title(context, "page_maturity")
st.caption(translate("maturity_intro", lang))
if st.session_state.pop("maturity_saved", False):
    st.success(translate("maturity_saved", lang))

assessments, evidence, stage_labels = ui.load_many(
    ui.query(fetch_assessments), ui.query(compute_evidence, filters, as_of, lang), ui.query(fetch_stage_labels, lang))

if not assessments:
    st.info(translate("maturity_none_yet", lang))
else:
    latest = ui.derive(describe_latest, assessments[-1], evidence, lang)
    st.header(translate("maturity_section_level", lang))
    st.subheader(level_name(latest["level"], lang))
    st.markdown(describe_level(latest, lang))
    st.caption(level_description(latest["level"], lang))
    caption = translate("maturity_radar_caption", lang, id=latest["assessment_id"], names=", ".join(latest["respondents"]))
    previous = assessments[-2] if len(assessments) > 1 else None
    ui.show_chart(ui.derive(build_maturity_radar, assessments[-1], previous, lang, caption), key="maturity_radar")

    st.header(translate("maturity_section_elements", lang))
    st.caption(translate("maturity_evidence_period", lang, period=format_period(filters.start, filters.end, lang)))
    for element in ELEMENTS:
        with st.container(border=True):
            score = format_number(latest["elements"][element], lang, 1)
            st.markdown(f"**{element_name(element, lang)}** · "
                        + translate("maturity_element_score", lang, score=score,
                                    level=level_name(latest["element_levels"][element], lang)))
            st.markdown(translate("maturity_next_step", lang, text=latest["next_steps"][element]))
            shown = describe_evidence(element, evidence.get(element), lang, stage_labels)
            st.caption(markdown_text(shown) if shown else translate("maturity_no_evidence", lang))

    st.header(translate("maturity_section_history", lang))
    ui.show_table(build_history_table(assessments, lang), name="maturity-history", hide_index=True)

st.header(translate("maturity_section_questionnaire", lang))
if not can(visitor.role, "assess"):  # the page checks the role itself
    st.info(translate("maturity_viewer_note", lang, role=translate(f"role_{visitor.role}", lang)))
    st.stop()
answers, assessment_id, respondent = render_questionnaire(assessments, visitor.user, lang)
if answers is not None:
    errors = store_questionnaire(answers, assessment_id, respondent, visitor.user, lang)
    show_errors(errors)
    if not errors:
        st.session_state["maturity_saved"] = True
        st.rerun()
