"""Workspace settings (admins): company name, currency, number and date format, fiscal year, time
zone and the as-of date, stored in the database."""

import duckdb
import streamlit as st

from cxdata.app.workspace import open_guarded_page, render_settings_form
from cxdata.engine.db import resolve_db_path
from cxdata.i18n import translate
from cxdata.ingest import UploadBusyError
from cxdata.ingest.errors import describe_failure
from cxdata.ingest.publish import change_settings
from cxdata.model.workspace import validate_changes

context, visitor = open_guarded_page("page_settings", "admin", "settings_forbidden", "settings_intro")
lang = context.lang
if st.session_state.pop("settings_saved", False):
    st.success(translate("settings_saved", lang))

values = render_settings_form(context)
if values is not None:
    changes, errors = validate_changes(values)
    for error in errors:
        st.error(error.message(lang))
    if not errors:
        try:
            change_settings(resolve_db_path(), changes, user=visitor.user, lock_timeout=30)
        except UploadBusyError:
            st.error(translate("settings_busy", lang))
        except (OSError, duckdb.Error) as error:  # disk full, a read-only folder: one line, no server path
            st.error(describe_failure(error, lang))
        else:
            st.session_state["settings_saved"] = True
            st.rerun()
