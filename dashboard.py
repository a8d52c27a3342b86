"""Entrypoint of the CX dashboard: page config, global filters, navigation.

Run with ``streamlit run dashboard.py``. The filters live here, not in the pages, so they
survive page switches; pages read them through ``cxdata.ui.page_context()``.

``streamlit run`` imports this file once, finds ``app`` and serves it: its lifespan warms the
process up (imports, database, the default view's queries) while the first browser is still
loading the page, see ``cxdata.startup``. Each session then runs this file as ``__main__``,
which only calls ``main``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cxdata import startup

PAGES_DIR = Path(__file__).resolve().parent / "pages"
# (page file stem = URL path, title key in cxdata.i18n, icon), in navigation order.
PAGES = (
    ("overview", "page_overview", ":material/monitoring:"),
    ("journey", "page_journey", ":material/route:"),
    ("money", "page_money", ":material/payments:"),
    ("upload", "page_upload", ":material/upload_file:"),
)
# Pages a role may open; the pages check the role again themselves.
PAGE_ACTIONS = {"upload": "upload"}


def main(default_page: str = "overview") -> None:
    # First, before the imports and queries: the browser starts loading plotly.js meanwhile. The
    # blank chart goes before the page runs (the bundle loads on) or the run stops, so a page's
    # st.stop cannot leave it behind.
    charts_loading = startup.start_loading_charts()
    # Imported here, not above: the server imports this file before it starts listening, and
    # these (pandas, Ibis, plotly, DuckDB: over a second) load in the warm-up thread meanwhile.
    import duckdb

    from cxdata import i18n, ui
    from cxdata.roles import can

    st.set_page_config(page_title="CX dashboard", page_icon=":material/monitoring:", layout="wide")
    lang = ui.render_language_switch()
    visitor = ui.current_visitor()
    needs_login = not visitor.local_mode and not st.user.get("is_logged_in")
    navigation = st.navigation(
        [
            st.Page(
                PAGES_DIR / f"{name}.py",
                title=i18n.translate(title_key, lang),
                icon=icon,
                url_path=name,
                default=name == default_page,
            )
            for name, title_key, icon in PAGES
            # Before a login every page is listed, hidden and never run: a link to any of them
            # opens the login prompt instead of "page not found".
            if needs_login or can(visitor.role, PAGE_ACTIONS.get(name, "view"))
        ],
        position="hidden" if needs_login else "sidebar",
    )
    if needs_login:
        # A login is configured and nobody is signed in: the prompt and nothing else, no data.
        st.title(i18n.translate("login_title", lang))
        st.info(i18n.translate("login_prompt", lang))
        st.button(i18n.translate("login_button", lang), type="primary", on_click=st.login, key="login")
        charts_loading.empty()
        st.stop()
    if not visitor.local_mode:
        st.sidebar.button(i18n.translate("logout_button", lang), on_click=st.logout, key="logout")
    try:
        context = ui.render_global_filters(lang)
    except (duckdb.Error, FileNotFoundError, OSError) as error:
        # A broken or locked database is a message to the reader, never a traceback.
        st.error(i18n.translate("database_unavailable", lang, error=str(error).splitlines()[0]))
        charts_loading.empty()
        st.stop()
    ui.render_visitor_badge(visitor, lang)
    ui.render_engine_note(lang)
    ui.set_page_context(context)
    charts_loading.empty()
    navigation.run()


if __name__ == "__main__":  # a session's run: Streamlit runs the entrypoint as "__main__"
    main()
else:  # imported: by `streamlit run` to serve it, or by tests and the bench to call main()
    app = st.App(__file__, lifespan=startup.warm_up_in_background)
