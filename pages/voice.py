"""What customers write: the topics of complaint texts and survey comments, how each grows, the
scores beside it, and what its writers' churn and revenue are against the other writers'."""

import streamlit as st

from cxdata.app import ui
from cxdata.i18n import translate
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.presentation.plaintext import markdown_text
from cxdata.presentation.topics_text import (
    build_topic_trend_figure,
    build_topics_headline,
    build_topics_table,
    describe_agreement,
    describe_reason,
)
from cxdata.questions.topics import SOURCES, fetch_topic_report

EXAMPLE_TOPICS = 6

context = ui.page_context()
lang, filters, currency, as_of = context.lang, context.filters, context.currency, context.as_of
caption = filters.caption(lang)

st.title(translate("page_voice", lang))
st.caption(markdown_text(caption))

# Found once per data version over every text, whatever the filters (cxdata.questions.fits);
# the filters choose which texts are counted.
fit, state = ui.load_fit("topics", as_of, translate("voice_fitting", lang))
if state == "computing":  # the refit after the latest load is running: its progress, then the page
    ui.show_refit_progress(lang, rerun_when_done=True)
    st.stop()

ui.bind_page_setting("voice_source", "complaints", tuple(SOURCES))
source = st.segmented_control(
    translate("voice_source", lang), options=list(SOURCES), required=True, key="voice_source",
    format_func=lambda name: translate(f"voice_source_{name}", lang),
)  # fmt: skip
ui.mirror_page_setting("voice_source", source, "complaints")

report = ui.load(fetch_topic_report, fit, source, filters, as_of)
reason = describe_reason(report, lang)
if reason is not None:  # nothing loaded, too few texts, or none in the selection: what to do
    st.info(reason)
    st.stop()

# --- What they write about most, and what it costs.
st.info(markdown_text(ui.derive(build_topics_headline, report, lang)))
ui.show_table(ui.derive(build_topics_table, report, lang, currency), name="topics", hide_index=True)
st.caption(translate("voice_small_note", lang, n=MIN_SAMPLE_SIZE))

# --- In their own words: the most typical texts of the largest topics, as plain text.
st.subheader(translate("voice_examples_title", lang))
for topic in report["topics"][:EXAMPLE_TOPICS]:
    st.markdown(f"**{markdown_text(', '.join(topic['words'][:4]))}**")
    st.text("\n".join(topic["examples"]))

# --- Whether it grows.
ui.show_chart(ui.derive(build_topic_trend_figure, report, lang, caption), key="voice_trend")

# --- How far the topics can be trusted, and how they are found.
agreement = describe_agreement(report["agreement"], lang)
if agreement is not None:
    st.caption(agreement)
st.caption(translate("voice_method", lang))
