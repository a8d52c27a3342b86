"""Which page a link opens, before ``st.navigation`` decides it.

Streamlit serves the default page at the root only: ``/overview`` (its own name, which people
type and bookmark) would be "page not found", and an unknown address gets Streamlit's English
notice whatever the reader's language. Both are settled here: the default page's name opens it,
and any other unknown name opens it too, with a note in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cxdata import i18n
from cxdata.presentation.plaintext import markdown_text

i18n.register_text({
    "page_not_found": {
        "en": "There is no page “{name}” here (or it is not open to your role); showing the overview.",
        "ru": "Страницы «{name}» здесь нет (или она недоступна вашей роли); открыт обзор.",
    },
})


def route_page_link(default_page: str, pages: Iterable[str], lang: str) -> None:
    """Call before ``st.navigation``: a link to ``default_page`` by name, or to a page not among
    ``pages`` (the URL paths this visitor may open), runs the default page; the latter says so."""
    context = get_script_run_ctx()
    manager = getattr(context, "pages_manager", None)
    if manager is None or manager.intended_page_script_hash:  # a click in the navigation: a known page
        return
    name = manager.intended_page_name or ""
    if not name or (name in set(pages) and name != default_page):
        return
    manager.set_script_intent("", "")  # as if the root was asked for: the default page runs
    if name != default_page:
        st.warning(markdown_text(i18n.translate("page_not_found", lang, name=name)))
