"""Sessions browsing while uploads replace the database: errors seen and view times.

    python -m bench.browse_while_loading [--db PATH] [--sessions 20] [--visits 6] [--arrival 3] [--budget 900]
                                         [--upload-pause 0]

A real Streamlit server on a copy of the database and ``--sessions`` Chromium pages, as the users
of a shared dashboard: each session opens the app once (English or Russian; one session every
``--arrival`` seconds, as people come in one after another), then moves between
views ``--visits`` times the way a user does, without reloading the page: a link of the sidebar's
navigation (overview, journey, money; Streamlit switches pages in the browser and reruns the new
page's script) or a change of a global filter (the period, a region). Meanwhile the command line
loads a small transactions extract and undoes it, again and again, until the browsing is over;
every load and undo publishes a new database file under the running server
(``cxdata.ingest.publish``).

A view is timed from the click to the end of the script run it started, with nothing still loading
(``FINISHED``): what the user waits for. The first load of each session (the frontend and plotly.js
fetched and evaluated by the browser) is reported apart, and so is the server's own time per
script run (``bench.timed_streamlit``, which wraps Streamlit's script execution; the app is not
changed). Prints JSON: view seconds (median, p95, max), first loads, server run seconds, the errors
any view showed (an exception or an error box), the views the browser did not see finish within
``PAGE_TIMEOUT_MS`` (apart: on a small machine twenty Chromium pages compete with the server for
the same cores, so a late view may be the browser's, see ``server_run``), the loads and undos done
while the sessions browsed and any that failed, and whether the data ends where it started.

``--budget`` bounds the run: after that many seconds no session starts another view (the views
under way finish), so the bench always reports, with ``views_skipped`` counting what the budget cut.

Without ``--db`` it builds the test sample (scale 0.02, seed 7) in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

# What a session does after opening the app on the overview, in turn: ("page", n) follows the n-th
# link of the sidebar navigation (0 overview, 1 journey, 2 money; never the page already shown);
# ("f_period", n) picks the n-th period not chosen now; ("f_region", n) adds the n-th region not
# chosen yet to the region filter.
ACTIONS = (("page", 1), ("f_period", 1), ("page", 2), ("f_region", 0), ("page", 0), ("f_period", 3),
           ("page", 1), ("f_region", 0), ("page", 2), ("f_period", 0))
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
FINISHED = (
    "() => { const app = document.querySelector(\"[data-testid='stApp']\");"
    " return app && app.getAttribute('data-test-script-state') === 'notRunning'"
    " && document.querySelectorAll(\"[data-testid='stSkeleton']\").length === 0; }"
)
# Before an action: note when a script run starts, so that "finished" means the run the action
# started, not the state the page was in before the click reached the server.
WATCH_RUN = (
    "() => { const app = document.querySelector(\"[data-testid='stApp']\"); window.cxRunStarted = false;"
    " if (window.cxRunWatch) window.cxRunWatch.disconnect();"
    " window.cxRunWatch = new MutationObserver(() => {"
    " if (app.getAttribute('data-test-script-state') === 'running') window.cxRunStarted = true; });"
    " window.cxRunWatch.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']}); }"
)
RUN_FINISHED = "() => window.cxRunStarted === true && (" + FINISHED + ")()"
# Ten purchases on the sample's last day: small, so that loads come one after another quickly.
EXTRACT = "transaction_id;customer_id;occurred_at;amount;product;channel\n" + "".join(
    f"BW{i};C{i + 1:07d};31.12.2025;{100 + i},50;Basic;web\n" for i in range(10)
)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cxdata", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)


def count_transactions(db: Path) -> int:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT count(*) FROM transactions").fetchall()[0][0]


class Uploads(threading.Thread):
    """Load the extract and undo it, over and over, until ``stop`` is set (and at least ``minimum`` times)."""

    def __init__(self, db: Path, extract: Path, minimum: int, pause: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.db, self.extract, self.minimum, self.pause = db, extract, minimum, pause
        self.stop = threading.Event()
        self.done: list[tuple[str, float, float]] = []  # (what, started, finished) on the perf_counter clock
        self.failed: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set() or len(self.done) < 2 * self.minimum:
            started = time.perf_counter()
            loaded = cli("load", "transactions", str(self.extract), "--db", str(self.db), "--wait", "120")
            if loaded.returncode != 0:
                self.failed.append(f"load: {loaded.stdout.strip()[-300:]} {loaded.stderr.strip()[-300:]}")
                return
            self.done.append(("load", started, time.perf_counter()))
            upload_id = str(json.loads(loaded.stdout)["upload_id"])
            started = time.perf_counter()
            undone = cli("undo", upload_id, "--db", str(self.db), "--wait", "120")
            if undone.returncode != 0:
                self.failed.append(f"undo {upload_id}: {undone.stdout.strip()[-300:]} {undone.stderr.strip()[-300:]}")
                return
            self.done.append(("undo", started, time.perf_counter()))
            self.stop.wait(self.pause)  # uploads as people make them: one every so often, not back to back


PAGE_TIMEOUT_MS = 300_000


async def _act(page, action: tuple[str, int]) -> None:
    """Do one user action: a navigation link, or a choice in a global filter of the sidebar."""
    kind, index = action
    # A renderer starved of CPU may take long to make a link clickable: wait as for a run.
    if kind == "page":
        await page.locator("[data-testid='stSidebarNavLink']").nth(index).click(timeout=PAGE_TIMEOUT_MS)
        return
    await page.locator(f".st-key-{kind} input").click(timeout=PAGE_TIMEOUT_MS)
    await page.locator("[role='option'][aria-selected='false']").nth(index).click(timeout=PAGE_TIMEOUT_MS)  # a change
    if kind == "f_region":  # a multiselect stays open for more choices: close it as a user does
        await page.keyboard.press("Escape")


async def _finish(page) -> None:
    await page.wait_for_function(RUN_FINISHED, timeout=PAGE_TIMEOUT_MS)
    await page.wait_for_timeout(300)  # a rerun a widget started: let it start, then wait again
    await page.wait_for_function(FINISHED, timeout=PAGE_TIMEOUT_MS)


async def _browse(browser, url: str, session: int, visits: int, report: dict, arrival: float = 0.0,
                  deadline: float = float("inf")) -> None:  # fmt: skip
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    await asyncio.sleep(session * arrival)  # people open the dashboard one after another, not in one instant
    if time.perf_counter() > deadline:
        report["skipped"] += 1 + visits
        return
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    start = "?lang=ru" if session % 2 else ""
    try:
        started = time.perf_counter()
        try:
            # Twenty pages fetching and evaluating the frontend at once on a small machine take
            # longer than Playwright's default 30 s to fire "load": wait for the app instead.
            await page.goto(f"{url}/{start}", wait_until="commit", timeout=PAGE_TIMEOUT_MS)
            await page.wait_for_function(FINISHED, timeout=PAGE_TIMEOUT_MS)
            await page.wait_for_timeout(300)
            await page.wait_for_function(FINISHED, timeout=PAGE_TIMEOUT_MS)
        except PlaywrightTimeout:
            report["unfinished"].append({"session": session, "view": "first load"})
            return
        report["first_loads"].append(time.perf_counter() - started)
        for visit in range(visits):
            if time.perf_counter() > deadline:
                report["skipped"] += visits - visit
                return
            action = ACTIONS[visit % len(ACTIONS)]  # every session from the overview, in the same order
            view = f"{action[0]} {action[1]}"
            await page.evaluate(WATCH_RUN)
            started = time.perf_counter()
            try:
                await _act(page, action)
                await _finish(page)
            except PlaywrightTimeout:
                report["unfinished"].append({"session": session, "view": view})
                continue
            except PlaywrightError as error:
                report["errors"].append({"session": session, "view": view, "text": str(error).splitlines()[0][:300]})
                continue
            report["times"].append(time.perf_counter() - started)
            for text in await page.locator(ERRORS).all_inner_texts():
                report["errors"].append({"session": session, "view": view, "text": text.strip()[:300]})
    finally:
        await page.close()


async def _browse_all(url: str, sessions: int, visits: int, arrival: float = 0.0,
                      budget: float = float("inf")) -> tuple[dict, float, float]:  # fmt: skip
    """Every session's views: {"times", "first_loads", "errors", "unfinished", "skipped"}, and
    when the browsing started and ended (perf_counter clock)."""
    from playwright.async_api import async_playwright

    report: dict = {"times": [], "first_loads": [], "errors": [], "unfinished": [], "skipped": 0}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        warm = await browser.new_page()  # the server's first session pays for the imports
        await warm.goto(url, wait_until="commit", timeout=PAGE_TIMEOUT_MS)
        await warm.wait_for_function(FINISHED, timeout=PAGE_TIMEOUT_MS)
        await warm.close()
        started = time.perf_counter()
        await asyncio.gather(*(_browse(browser, url, s, visits, report, arrival, started + budget)
                               for s in range(sessions)))
        finished = time.perf_counter()
        await browser.close()
    return report, started, finished


def _in_own_thread(coroutine):
    """``asyncio.run`` in a thread of its own: the caller may already run an event loop (pytest
    with Playwright's synchronous browser does)."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _spread(seconds: list[float]) -> dict:
    """Median, 95th percentile and maximum, in seconds (None without any)."""
    ordered = sorted(seconds)
    if not ordered:
        return {"count": 0, "median_s": None, "p95_s": None, "max_s": None}
    return {"count": len(ordered), "median_s": round(statistics.median(ordered), 3),
            "p95_s": round(ordered[max(0, int(round(0.95 * len(ordered))) - 1)], 3), "max_s": round(ordered[-1], 3)}


def _server_runs(run_log: Path, started: float, finished: float) -> list[float]:
    """Seconds of every script run the server began while the sessions browsed (epoch clock)."""
    if not run_log.exists():
        return []
    runs = [json.loads(line) for line in run_log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [run["seconds"] for run in runs if started <= run["started"] <= finished]


def measure(db: Path, sessions: int = 20, visits: int = 6, minimum_loads: int = 2, arrival: float = 3.0,
            budget: float = float("inf"), upload_pause: float = 0.0) -> dict:  # fmt: skip
    """Browse: ``sessions`` open the app once, then do ``visits`` actions each on a copy of ``db``
    while uploads replace it; no view starts after ``budget`` seconds."""
    folder = Path(tempfile.mkdtemp(prefix="cx-browse-"))
    try:
        live = folder / "cx.duckdb"
        shutil.copy(db, live)
        extract = folder / "purchases.csv"
        extract.write_text(EXTRACT, encoding="cp1251")
        before = count_transactions(live)
        run_log = folder / "runs.jsonl"
        with streamlit_server(live, folder / "server.log", launcher="bench.timed_streamlit",
                              env={"CX_BENCH_RUN_LOG": str(run_log)}) as url:
            uploads = Uploads(live, extract, minimum_loads, upload_pause)
            uploads.start()
            epoch_started = time.time()
            browsed, started, finished = _in_own_thread(_browse_all(url, sessions, visits, arrival, budget))
            epoch_finished = time.time()
            uploads.stop.set()
            uploads.join()
        during = [what for what, began, ended in uploads.done if began < finished and ended > started]
        views = _spread(browsed["times"])
        return {
            "sessions": sessions,
            "arrival_s": arrival,
            "upload_pause_s": upload_pause,
            "budget_s": None if budget == float("inf") else budget,
            "browsing_s": round(finished - started, 1),
            "pages": len(browsed["times"]),
            "page_median_s": views["median_s"],
            "page_p95_s": views["p95_s"],
            "page_max_s": views["max_s"],
            "first_load": _spread(browsed["first_loads"]),
            "server_run": _spread(_server_runs(run_log, epoch_started, epoch_finished)),
            "errors": browsed["errors"],
            "unfinished": browsed["unfinished"],
            "views_skipped": browsed["skipped"],
            "loads_while_browsing": during.count("load"),
            "undos_while_browsing": during.count("undo"),
            "uploads_failed": uploads.failed,
            "data_restored": count_transactions(live) == before,
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="database to copy (default: build the test sample)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--arrival", type=float, default=3.0,
                        help="seconds between two sessions' first visits (0: all at the same instant)")
    parser.add_argument("--visits", type=int, default=6,
                        help="views each session moves to after opening the app (navigation links, filters)")
    parser.add_argument("--upload-pause", type=float, default=0.0,
                        help="seconds between one undo and the next load (default 0: back to back)")
    parser.add_argument("--budget", type=float, default=900.0,
                        help="seconds after which no session starts another view (default 900)")
    args = parser.parse_args(argv)
    db = args.db
    if db is None:
        db = Path(tempfile.mkdtemp(prefix="cx-sample-")) / "sample.duckdb"
        built = cli("init", "--db", str(db), "--scale", "0.02", "--seed", "7")
        if built.returncode != 0:
            print(built.stderr, file=sys.stderr)
            return 1
    report = measure(db, args.sessions, args.visits, arrival=args.arrival, budget=args.budget,
                     upload_pause=args.upload_pause)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    ok = not report["errors"] and not report["unfinished"] and not report["uploads_failed"] and report["data_restored"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
