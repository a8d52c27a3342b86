"""Complaints: how many and about what, how fast they are resolved against the CX standard, what
the customers left waiting cost, and what they wrote."""

import streamlit as st

from cxdata.app import ui
from cxdata.app.workspace import show_title
from cxdata.i18n import format_date, translate
from cxdata.presentation import complaints_view as view_text
from cxdata.presentation.plaintext import markdown_text
from cxdata.questions.complaints import DIMENSIONS, fetch_complaints_view, fetch_verbatims
from cxdata.questions.journey import fetch_stage_labels

context = ui.page_context()
lang, filters, as_of, currency = context.lang, context.filters, context.as_of, context.currency
caption = filters.caption(lang)

show_title(context, "page_complaints")
st.caption(markdown_text(f"{translate('data_as_of', lang, date=format_date(as_of, lang))} · {caption}"))

targets = ui.load_settings(context.data)["targets"]
view, stage_labels = ui.load_many(ui.query(fetch_complaints_view, filters, as_of, targets),
                                  ui.query(fetch_stage_labels, lang))
complaints = view.metrics["complaints"]
if complaints.gap is None and not complaints.n:
    st.warning(markdown_text(translate("complaints_empty", lang, caption=caption)))
    st.stop()
if complaints.gap is None:
    st.info(markdown_text(ui.derive(view_text.build_headline, view, lang)))


def show_tiles(tiles) -> None:
    for column, tile in zip(st.columns(len(tiles)), tiles, strict=True):
        column.metric(tile.label, tile.value, help=tile.help, border=True)
        column.caption(markdown_text(tile.note))


show_tiles([view_text.build_complaint_tile(view, metric, lang, currency)
            for metric in ("complaints", "complaint_rate", "unresolved_share")])

# --- volume over time and where it comes from ---------------------------------------------------
st.subheader(translate("complaints_section_volume", lang))
ui.show_chart(ui.derive(view_text.build_month_figure, view, lang, caption), key="complaints_months")

st.subheader(translate("complaints_section_breakdown", lang))
ui.bind_page_setting("complaints_dimension", "category", DIMENSIONS)
dimension = st.segmented_control(
    translate("complaints_breakdown_by", lang), options=list(DIMENSIONS), required=True, key="complaints_dimension",
    format_func=lambda name: translate(f"complaints_dimension_{name}", lang),
)
ui.mirror_page_setting("complaints_dimension", dimension, "category")
chart_column, table_column = st.columns([3, 2])
ui.show_chart(ui.derive(view_text.build_breakdown_figure, view, dimension, lang, caption, stage_labels),
              key=f"complaints_by_{dimension}", where=chart_column)
with table_column:
    ui.show_table(ui.derive(view_text.build_breakdown_table, view, dimension, lang, stage_labels),
                  name=f"complaints_by_{dimension}", hide_index=True)

# --- resolution against the standard -------------------------------------------------------------
st.subheader(translate("complaints_section_standard", lang))
show_tiles([view_text.build_complaint_tile(view, metric, lang) for metric in ("resolution_hours", "overdue_share")])
for key in ("complaints_reopenings", "complaints_refunds"):  # the data has no such columns: say what to load
    st.caption(markdown_text(f"{translate(key, lang)}: {translate(f'{key}_missing', lang)}"))

# --- the link to churn and money -----------------------------------------------------------------
st.subheader(translate("complaints_section_churn", lang))
show_tiles([
    view_text.build_complaint_tile(view, "period_churn_share", lang, label=translate("complaints_churn_unresolved", lang),
                                   value=view.churn["unresolved"]),
    view_text.build_complaint_tile(view, "period_churn_share", lang, label=translate("complaints_churn_others", lang),
                                   value=view.churn["others"]),
    view_text.build_complaint_tile(view, "revenue_at_stake", lang, currency),
])  # fmt: skip

# --- verbatims: the texts behind a choice, shown as plain text (a table) --------------------------
st.subheader(translate("complaints_section_verbatims", lang))
choices = {}
for column, name in zip(st.columns(3), ("category", "touchpoint", "channel"), strict=True):
    options = [None, *view_text.dimension_values(view, name)]
    choices[name] = column.selectbox(
        translate(f"complaints_dimension_{name}", lang), options=options, key=f"complaints_verbatim_{name}",
        format_func=lambda value, name=name: translate("complaints_verbatim_all", lang) if value is None
        else view_text.display_value(name, value, lang, stage_labels),
    )  # fmt: skip
verbatims = ui.load(fetch_verbatims, filters, as_of, choices["category"], choices["touchpoint"], choices["channel"])
if verbatims.empty:
    st.info(translate("complaints_verbatim_none", lang))
else:
    st.caption(translate("complaints_verbatim_count", lang, shown=len(verbatims)))
    ui.show_table(ui.derive(view_text.build_verbatim_table, verbatims, lang, stage_labels), name="complaint_texts",
                  hide_index=True)
