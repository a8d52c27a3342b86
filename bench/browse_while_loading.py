"""Sessions browsing while uploads replace the database: errors seen and page times.

    python -m bench.browse_while_loading [--db PATH] [--sessions 20] [--visits 6]

A real Streamlit server on a copy of the database, ``--sessions`` Chromium pages each opening
``--visits`` views one after the other (overview, journey, money; English and Russian; several
filters), while the command line loads a small transactions extract and undoes it, again and
again, until the browsing is over. Every load and undo publishes a new database file under the
running server (``cxdata.ingest.publish``). Prints JSON: page seconds (median, p95, max), the
errors any page showed (an exception or an error box), the loads and undos done while the pages
browsed and any that failed, and whether the data ends where it started.

Without ``--db`` it builds the test sample (scale 0.02, seed 7) in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

VIEWS = (
    "?f_period=last_12m",
    "journey?f_period=last_quarter&f_region=Siberia",
    "money?f_period=last_6m&f_channel=web",
    "?f_period=last_quarter&f_segment=SMB&lang=ru",
    "journey?f_period=last_6m&lang=ru",
    "money?f_period=last_12m&f_region=Volga&lang=ru",
)
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
FINISHED = (
    "() => { const app = document.querySelector(\"[data-testid='stApp']\");"
    " return app && app.getAttribute('data-test-script-state') === 'notRunning'"
    " && document.querySelectorAll(\"[data-testid='stSkeleton']\").length === 0; }"
)
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

    def __init__(self, db: Path, extract: Path, minimum: int) -> None:
        super().__init__(daemon=True)
        self.db, self.extract, self.minimum = db, extract, minimum
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


PAGE_TIMEOUT_MS = 300_000


async def _browse(browser, url: str, session: int, visits: int, times: list, errors: list) -> None:
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        for visit in range(visits):
            view = VIEWS[(session + visit) % len(VIEWS)]
            started = time.perf_counter()
            try:
                # Twenty pages fetching and evaluating the frontend at once on a small machine take
                # longer than Playwright's default 30 s to fire "load": wait for the app instead.
                await page.goto(f"{url}/{view}", wait_until="commit", timeout=PAGE_TIMEOUT_MS)
                await page.wait_for_function(FINISHED, timeout=PAGE_TIMEOUT_MS)
                await page.wait_for_timeout(300)  # a rerun a widget started: let it start, then wait again
                await page.wait_for_function(FINISHED, timeout=PAGE_TIMEOUT_MS)
            except PlaywrightTimeout:
                errors.append({"session": session, "view": view,
                               "text": f"not finished within {PAGE_TIMEOUT_MS // 1000} s"})
                continue
            times.append(time.perf_counter() - started)
            for text in await page.locator(ERRORS).all_inner_texts():
                errors.append({"session": session, "view": view, "text": text.strip()[:300]})
    finally:
        await page.close()


async def _browse_all(url: str, sessions: int, visits: int) -> tuple[list, list, float, float]:
    from playwright.async_api import async_playwright

    times: list[float] = []
    errors: list[dict] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        warm = await browser.new_page()  # the server's first session pays for the imports
        await warm.goto(url, wait_until="commit", timeout=PAGE_TIMEOUT_MS)
        await warm.wait_for_function(FINISHED, timeout=PAGE_TIMEOUT_MS)
        await warm.close()
        started = time.perf_counter()
        await asyncio.gather(*(_browse(browser, url, s, visits, times, errors) for s in range(sessions)))
        finished = time.perf_counter()
        await browser.close()
    return times, errors, started, finished


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


def measure(db: Path, sessions: int = 20, visits: int = 6, minimum_loads: int = 2) -> dict:
    """Browse ``sessions`` × ``visits`` views of a copy of ``db`` while uploads replace it."""
    folder = Path(tempfile.mkdtemp(prefix="cx-browse-"))
    try:
        live = folder / "cx.duckdb"
        shutil.copy(db, live)
        extract = folder / "purchases.csv"
        extract.write_text(EXTRACT, encoding="cp1251")
        before = count_transactions(live)
        with streamlit_server(live, folder / "server.log") as url:
            uploads = Uploads(live, extract, minimum_loads)
            uploads.start()
            times, errors, started, finished = _in_own_thread(_browse_all(url, sessions, visits))
            uploads.stop.set()
            uploads.join()
        during = [what for what, began, ended in uploads.done if began < finished and ended > started]
        ordered = sorted(times)
        return {
            "sessions": sessions,
            "pages": len(times),
            "page_median_s": round(statistics.median(ordered), 3) if ordered else None,
            "page_p95_s": round(ordered[max(0, int(round(0.95 * len(ordered))) - 1)], 3) if ordered else None,
            "page_max_s": round(ordered[-1], 3) if ordered else None,
            "errors": errors,
            "loads_while_browsing": during.count("load"),
            "undos_while_browsing": during.count("undo"),
            "uploads_failed": uploads.failed,
            "data_restored": count_transactions(live) == before,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="database to copy (default: build the test sample)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--visits", type=int, default=6, help="views each session opens, one after the other")
    args = parser.parse_args(argv)
    db = args.db
    if db is None:
        db = Path(tempfile.mkdtemp(prefix="cx-sample-")) / "sample.duckdb"
        built = cli("init", "--db", str(db), "--scale", "0.02", "--seed", "7")
        if built.returncode != 0:
            print(built.stderr, file=sys.stderr)
            return 1
    report = measure(db, args.sessions, args.visits)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    ok = not report["errors"] and not report["uploads_failed"] and report["data_restored"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
