"""Server start-up: warm the process up while the first browser is still loading the page.

``streamlit run dashboard.py`` serves ``dashboard.app``, whose lifespan is
``warm_up_in_background``: the imports (pandas, Ibis, plotly, DuckDB) and the first queries run in a
thread while the server starts and the browser fetches the frontend, instead of in the first
session. They fill the same process-wide caches the sessions read (``cxdata.app.ui``), so the first
session finds them warm; one that comes earlier waits for the import or query in flight instead of
running it a second time.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_LOGGER = logging.getLogger(__name__)


def warm_up() -> None:
    """Import the dashboard's modules, open the database and compute what a first visit shows:
    the sidebar's settings and the overview (the default page) with the default filters.

    Without a database it stops after the imports: on a first start the first visit builds the
    sample, under a spinner that says so; otherwise every page says the database is missing.
    """
    from cxdata.app import ui
    from cxdata.engine.db import resolve_db_path
    from cxdata.model.filters import DEFAULT_PRESET, Filters, preset_range

    # The catalog Streamlit loads for the first widget label that is not ASCII (the language
    # switch's "Русский"): about 0.4 s, here rather than in the first session. After the imports
    # above, which the first session waits for before it can send its first chart.
    importlib.import_module("streamlit.emojis")

    if not resolve_db_path().exists():
        return
    data = ui.current_data_key()
    settings = ui.load_settings(data)
    # The same arguments as the entrypoint's default view, so the same cache entry.
    start, end = preset_range(DEFAULT_PRESET, settings["as_of"], settings["data_start"])
    ui.load_overview(data, Filters(start=start, end=end), settings["as_of"])
    from cxdata.app import alerts_panel  # the overview's early warnings: the whole history, checked once

    alerts_panel.load_alerts(data, alerts_panel.dimensions_only(Filters(start=start, end=end), settings["as_of"]),
                             settings["as_of"])


def _skip_streamlit_repl_check() -> None:
    """Spare the first visitor Streamlit's check, on the first element a process sends, that it
    is not running in a Python REPL (to print "use streamlit run" if so).

    The check calls ``inspect.stack()``, which resolves the source file of every loaded module:
    about 0.8 s of the first session's run once pandas, Ibis and plotly are loaded. The lifespan
    runs only in a server, so the check has nothing to find; mark it done. ``tests/test_startup.py``
    checks that the pinned Streamlit still has the flag.
    """
    from streamlit import delta_generator

    delta_generator._use_warning_has_been_displayed = True


def start_loading_charts():
    """On a session's first run, make the browser fetch plotly.js at once, not after the queries.

    The browser loads Streamlit's plotly bundle (4.7 MB, about 2 s to fetch and evaluate on two
    cores) only when the first chart arrives, which on a cold start is after every query of the
    page. The entrypoint calls this first, before it imports the dashboard's modules: a blank
    10-pixel chart (plotly's least height) lets the bundle load meanwhile. Returns the placeholder
    to ``.empty()`` before the page runs: once asked for, the bundle loads on without the chart.
    Later runs of the session send nothing (the browser has the bundle by then).
    """
    # pandas first, whole: plotly serializes a figure by looking pandas up in ``sys.modules``, where
    # the warm-up thread may still be importing it; the import waits for that one to finish.
    import pandas  # noqa: F401
    import plotly.graph_objects as go
    import streamlit as st

    placeholder = st.empty()
    if not st.session_state.get("_charts_loading"):
        st.session_state["_charts_loading"] = True
        # A Figure, not a dict: Streamlit's check of a dict refuses one without traces.
        blank = go.Figure(layout={"height": 10, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}})
        placeholder.plotly_chart(blank, key="charts_loading", config={"staticPlot": True, "displayModeBar": False})
    return placeholder


def _warm_up_or_log() -> None:
    import duckdb

    try:
        warm_up()
    except (duckdb.Error, OSError) as error:
        # A broken or locked database: the first session shows the reader the same error.
        _LOGGER.warning("warm-up skipped: %s", str(error).splitlines()[0])


@asynccontextmanager
async def warm_up_in_background(_app) -> AsyncIterator[dict]:
    """An ``st.App`` lifespan: start ``warm_up`` in a thread and let the server start at once.

    The thread is the app's ``state["warm_up"]``.
    """
    _skip_streamlit_repl_check()
    thread = threading.Thread(target=_warm_up_or_log, name="cx-warm-up", daemon=True)
    thread.start()
    yield {"warm_up": thread}
