"""``python -m bench.timed_streamlit run dashboard.py …``: Streamlit itself, unchanged, that also
writes the server's own time of every script run to ``$CX_BENCH_RUN_LOG`` (one JSON line per run:
``{"started": epoch seconds, "seconds": run time}``).

The time is Streamlit's execution of the page script (what ``PageProfile.exec_time`` measures when
usage statistics are on), taken by wrapping the function the script runner calls for it; the
dashboard's code is not touched. Runs stopped early for a newer rerun are logged too.
"""

from __future__ import annotations

import json
import os
import threading
import time

from streamlit.runtime.scriptrunner import script_runner

_RUN_LOG = os.environ.get("CX_BENCH_RUN_LOG")
_WRITE = threading.Lock()
_execute = script_runner.exec_func_with_error_handling


def _timed_execution(func, ctx):
    started, clock = time.time(), time.perf_counter()
    try:
        return _execute(func, ctx)
    finally:
        if _RUN_LOG:
            line = json.dumps({"started": round(started, 3), "seconds": round(time.perf_counter() - clock, 4)})
            with _WRITE, open(_RUN_LOG, "a", encoding="utf-8") as log:
                log.write(line + "\n")


script_runner.exec_func_with_error_handling = _timed_execution

if __name__ == "__main__":
    from streamlit.web.cli import main

    main()
