"""Workspace settings (admins): company name, currency, number and date format, fiscal year, time
zone and the as-of date, stored in the database."""

import streamlit as st

from cxdata.app.workspace import open_guarded_page, render_settings_form, save_settings
from cxdata.i18n import translate

context, visitor = open_guarded_page("page_settings", "admin", "settings_forbidden", "settings_intro")
lang = context.lang
if st.session_state.pop("settings_saved", False):
    st.success(translate("settings_saved", lang))
for message in st.session_state.pop("settings_refused", []):  # another admin saved first: nothing was stored
    st.error(message)

values, seen_version = render_settings_form(context)
if values is not None:
    errors = save_settings(values, visitor.user, lang, seen_version)
    for message in errors:
        st.error(message)
    if not errors:
        st.session_state["settings_saved"] = True
        st.rerun()
