"""A chart's place on a page: the chart, or in its place the words saying why it is not drawn.

``cxdata.presentation.chart_shortage`` decides (pure functions); this module only shows.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cxdata.app import ui
from cxdata.presentation.plaintext import markdown_text


def show_chart_or_words(words: str | None, build: Callable, *args, key: str, where=None, **kwargs) -> None:
    """``ui.show_chart`` of ``build(*args, **kwargs)`` (cached with ``ui.derive``) when ``words``
    is None; else ``words`` in an info box where the chart would be, and no chart at all."""
    if words is not None:
        (where or st).info(markdown_text(words))
        return
    ui.show_chart(ui.derive(build, *args, **kwargs), key=key, where=where)
