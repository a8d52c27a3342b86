"""Entrypoint of the CX dashboard: page config, global filters, navigation.

Run with ``streamlit run dashboard.py``. The filters live here, not in the pages, so they
survive page switches; pages read them through ``cxdata.app.ui.page_context()``.

``streamlit run`` imports this file once, finds ``app`` and serves it: its lifespan warms the
process up (imports, database, the default view's queries) while the first browser is still
loading the page, see ``cxdata.app.startup``. Each session then runs this file as ``__main__``,
which only calls ``main``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cxdata.app import startup

PAGES_DIR = Path(__file__).resolve().parent / "pages"
# (page file stem = URL path, title key in cxdata.i18n, icon), in navigation order. Icons are emoji,
# drawn by the browser: a material icon is a font fetched from outside, which an offline projector
# cannot reach and which tells a third party who is looking.
PAGES = (
    ("overview", "page_overview", "📈"),
    ("journey", "page_journey", "🧭"),
    ("money", "page_money", "💰"),
    ("outlook", "page_outlook", "🔭"),
    ("complaints", "page_complaints", "📣"),
    ("voice", "page_voice", "💬"),
    ("maturity", "page_maturity", "🏅"),
    ("upload", "page_upload", "📤"),
    ("health", "page_health", "🩺"),
    ("settings", "page_settings", "⚙️"),
)
# Pages a role may open; the pages check the role again themselves. Data health is for the people
# who load data (analysts, admins): it names tables and columns, not numbers for the board.
PAGE_ACTIONS = {"upload": "upload", "health": "upload", "settings": "admin"}


def main(default_page: str = "overview") -> None:
    # First, before the imports and queries: the browser starts loading plotly.js meanwhile. The
    # blank chart goes before the page runs (the bundle loads on) or the run stops, so a page's
    # st.stop cannot leave it behind.
    charts_loading = startup.start_loading_charts()
    # Imported here, not above: the server imports this file before it starts listening, and
    # these (pandas, Ibis, plotly, DuckDB: over a second) load in the warm-up thread meanwhile.
    import duckdb

    from cxdata import i18n
    from cxdata.app import routes, ui, upload_guard, visitors, workspace
    from cxdata.model.roles import LoginConfigError, can

    # An emoji icon is drawn by the browser; a material one is fetched from fonts.gstatic.com on every visit.
    st.set_page_config(page_title="CX dashboard", page_icon="📊", layout="wide")
    lang = ui.render_language_switch()
    config_error = None
    try:
        visitor = visitors.current_visitor()
    except LoginConfigError as error:
        # Fail closed: a login configuration that cannot be used never falls back to local mode.
        visitor, config_error = None, error
    needs_login = visitor is None or (not visitor.local_mode and not st.user.get("is_logged_in"))
    # Files reach the server outside any page run: only a session that may upload may send one.
    upload_guard.permit_this_session(not needs_login and can(visitor.role, "upload"))
    # Before a login every page is listed, hidden and never run: a link to any of them opens the
    # login prompt instead of "page not found".
    shown = [page for page in PAGES if needs_login or can(visitor.role, PAGE_ACTIONS.get(page[0], "view"))]
    routes.route_page_link(default_page, [name for name, _, _ in shown], lang)
    navigation = st.navigation(
        [
            st.Page(
                PAGES_DIR / f"{name}.py",
                title=i18n.translate(title_key, lang),
                icon=icon,
                url_path=name,
                default=name == default_page,
            )
            for name, title_key, icon in shown
        ],
        position="hidden" if needs_login else "sidebar",
    )
    if config_error is not None:  # no data, no login button: only what the admin must fix
        st.title(i18n.translate("login_config_title", lang))
        st.error(config_error.message(lang))
        charts_loading.empty()
        st.stop()
    if needs_login:
        # A login is configured and nobody is signed in: the prompt and nothing else, no data.
        st.title(i18n.translate("login_title", lang))
        st.info(i18n.translate("login_prompt", lang))
        st.button(i18n.translate("login_button", lang), type="primary", on_click=st.login, key="login")
        charts_loading.empty()
        st.stop()
    if not visitor.local_mode:
        st.sidebar.button(i18n.translate("logout_button", lang), on_click=st.logout, key="logout")
    visitors.render_visitor_badge(visitor, lang)
    ui.render_engine_note(lang)
    try:
        context = ui.render_global_filters(lang)
        workspace.render_workspace_badge(context)
        ui.set_page_context(context)
        workspace.render_refresh_hint(context, visitor.role)
        charts_loading.empty()
        if context.is_empty and (navigation.url_path or default_page) in workspace.DATA_PAGES:
            workspace.show_welcome(context, visitor.role)  # what to load first, not empty charts
        else:
            navigation.run()
    except (duckdb.Error, OSError) as error:
        # A missing, damaged or locked database is a message to the reader, never a traceback, on
        # whichever page meets it (a damaged block may be met by one page's queries only).
        if not ui.is_database_problem(error):
            raise
        charts_loading.empty()
        ui.show_database_problem(error, lang)


if __name__ == "__main__":  # a session's run: Streamlit runs the entrypoint as "__main__"
    main()
else:  # imported: by `streamlit run` to serve it, or by tests and the bench to call main()
    app = st.App(__file__, lifespan=startup.warm_up_in_background)
