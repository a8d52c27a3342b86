"""Data health: what each table holds, what is missing and what that switches off, and values
spelled several ways. For analysts and admins (the people who load data)."""

import streamlit as st

from cxdata.app import ui, visitors
from cxdata.i18n import format_date, translate
from cxdata.model.roles import can
from cxdata.presentation.health_view import (
    build_missing_frame,
    build_tables_frame,
    build_variants_frame,
)
from cxdata.questions.health import fetch_health

context = ui.page_context()
lang = context.lang
st.title(translate("page_health", lang))
if not can(visitors.current_visitor().role, "upload"):  # the page checks the role itself, not only the navigation
    st.warning(translate("health_no_access", lang))
    st.stop()
st.caption(f"{translate('data_as_of', lang, date=format_date(context.as_of, lang))} · {translate('health_intro', lang)}")

health = ui.load(fetch_health)
ui.show_table(ui.derive(build_tables_frame, health, lang), name="data-health", hide_index=True)

st.header(translate("health_section_missing", lang))
missing = ui.derive(build_missing_frame, health, lang)
if missing.empty:
    st.success(translate("health_nothing_missing", lang))
else:
    ui.show_table(missing, name="data-health-missing", hide_index=True)

st.header(translate("health_section_variants", lang))
variants = ui.derive(build_variants_frame, health, lang)
if variants.empty:
    st.caption(translate("health_no_variants", lang))
else:
    st.caption(translate("health_variants_note", lang))
    ui.show_table(variants, name="data-health-spelling", hide_index=True)
