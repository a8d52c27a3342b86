"""Server start-up: warm the process up while the first browser is still loading the page.

``streamlit run dashboard.py`` serves ``dashboard.app``, whose lifespan is
``warm_up_in_background``: the imports (pandas, Ibis, plotly, DuckDB) and the first queries run in a
thread while the server starts and the browser fetches the frontend, instead of in the first
session. They fill the same process-wide caches the sessions read (``cxdata.ui``), so the first
session finds them warm; one that comes earlier waits for the import or query in flight instead of
running it a second time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_LOGGER = logging.getLogger(__name__)


def warm_up() -> None:
    """Import the dashboard's modules, open the database and compute what a first visit shows:
    the sidebar's settings and the overview (the default page) with the default filters.

    Without a database it stops after the imports: the first session builds the sample, under a
    spinner that says so.
    """
    from cxdata import ui
    from cxdata.db import resolve_db_path
    from cxdata.filters import DEFAULT_PRESET, Filters, preset_range

    if not resolve_db_path().exists():
        return
    data = ui.current_data_key()
    settings = ui.load_settings(data)
    # The same arguments as the entrypoint's default view, so the same cache entry.
    start, end = preset_range(DEFAULT_PRESET, settings["as_of"], settings["data_start"])
    ui.load_overview(data, Filters(start=start, end=end), settings["as_of"])


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
    thread = threading.Thread(target=_warm_up_or_log, name="cx-warm-up", daemon=True)
    thread.start()
    yield {"warm_up": thread}
