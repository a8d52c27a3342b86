"""Benchmark: page reruns after a filter change, per-query times, memory, against a pandas baseline.

    python bench/run.py --scale 1            # builds data/bench-scale-1.duckdb once, then reuses it

Each side runs in its own process so each peak resident memory is its own. "Ours" drives the real
pages through Streamlit's AppTest (the whole script: widgets, cached queries, figures); every
cold rerun uses a filter combination not seen before, so its caches are cold for that filter;
the warm rerun repeats the last one. The baseline loads every table into pandas and filters in
memory, the way typical dashboards do. Prints a table of medians and ratios; writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (period preset, {widget key: values}); each differs from the ones before it.
SELECTIONS = [
    ("last_6m", {"f_segment": ["SMB"]}),
    ("last_12m", {"f_region": ["Siberia"]}),
    ("last_quarter", {"f_channel": ["web"]}),
    ("last_6m", {"f_acq": ["partners"]}),
    ("last_12m", {"f_segment": ["Premium"], "f_channel": ["mobile_app"]}),
    ("last_30", {"f_region": ["Central", "Volga"]}),
    ("last_quarter", {"f_segment": ["Retail"], "f_acq": ["organic"]}),
    ("all", {"f_channel": ["branch"]}),
]
# Custom date ranges (the sample's as-of date is 31 Dec 2025): the app incident's window, which
# ends before the as-of date, and a range that ends on it.
CUSTOM_SELECTIONS = [
    ((date(2025, 10, 6), date(2025, 11, 2)), {"f_channel": ["mobile_app"]}),
    ((date(2025, 8, 1), date(2025, 12, 31)), {"f_segment": ["SMB"]}),
]
ENTRY = "import sys\nsys.path.insert(0, {root!r})\nimport dashboard\ndashboard.main(default_page={page!r})\n"


def peak_rss_mb() -> float:
    """This process's own peak resident memory. Linux's ``ru_maxrss`` carries the parent's peak
    over ``fork`` and ``exec``, so a worker started right after a sample build in the parent
    reported the build's 2.2 GB; ``VmHWM`` is the peak of the worker's own memory."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def available_pages() -> list[str]:
    import dashboard

    # Reporting pages only: the Upload page reads no data to speak of.
    pages = [name for name, _, _ in dashboard.PAGES if name != "upload" and (ROOT / "pages" / f"{name}.py").exists()]
    wanted = os.environ.get("CX_BENCH_PAGES")
    return [page for page in pages if not wanted or page in wanted.split(",")]


def time_filter_change(app, page: str, dimensions: dict, cold: list, warm: list) -> None:
    """Set the dimension filters, then time the rerun (cold) and the same rerun again (warm)."""
    for key in ("f_segment", "f_region", "f_channel", "f_acq"):
        app.sidebar.multiselect(key=key).set_value(dimensions.get(key, []))
    started = time.perf_counter()
    app.run()
    cold.append(time.perf_counter() - started)
    assert not app.exception, f"{page}: {app.exception}"
    started = time.perf_counter()
    app.run()
    warm.append(time.perf_counter() - started)


def run_ours(db: Path, repeats: int) -> dict:
    """Time every page through AppTest, and the overview's queries one by one."""
    os.environ["CX_DB"] = str(db)
    from streamlit.testing.v1 import AppTest

    from cxdata.engine.query import open_backend
    from cxdata.model.filters import DEFAULT_PRESET, Filters, preset_range
    from cxdata.model.registry import OVERVIEW_METRICS
    from cxdata.questions.metrics import compute_metrics
    from cxdata.questions.overview import fetch_as_of, fetch_overview
    from cxdata.questions.trends import fetch_trends

    results: dict = {"pages": {}, "queries": {}}
    folder = Path(tempfile.mkdtemp())
    for page in available_pages():
        script = folder / f"entry_{page}.py"
        script.write_text(ENTRY.format(root=str(ROOT), page=page))
        app = AppTest.from_file(str(script), default_timeout=600)
        started = time.perf_counter()
        app.run()
        first = time.perf_counter() - started
        cold, warm = [], []
        for period, dimensions in SELECTIONS[:repeats]:
            app.sidebar.selectbox(key="f_period").select(period)
            time_filter_change(app, page, dimensions, cold, warm)
        custom_cold, custom_warm = [], []
        for (start, end), dimensions in CUSTOM_SELECTIONS:
            app.sidebar.selectbox(key="f_period").select("custom")
            app.run()  # the date picker appears with the custom period
            app.sidebar.date_input(key="f_dates").set_value((start, end))
            time_filter_change(app, page, dimensions, custom_cold, custom_warm)
        results["pages"][page] = {"first_run_s": first, "cold_s": cold, "warm_s": warm,
                                  "custom_cold_s": custom_cold, "custom_warm_s": custom_warm}
    results["sessions"] = measure_sessions(folder)

    db_backend = open_backend(db)
    as_of = fetch_as_of(db_backend)
    filters = Filters(*preset_range(DEFAULT_PRESET, as_of), segments=("SMB",))
    queries = {
        "overview KPIs (period + previous)": lambda: fetch_overview(db_backend, filters, as_of),
        "KPIs of one period": lambda: compute_metrics(db_backend, filters, as_of, OVERVIEW_METRICS),
        "trends": lambda: fetch_trends(db_backend, filters),
    }
    try:
        from cxdata.questions.funnel import compute_funnel

        queries["funnel"] = lambda: compute_funnel(db_backend, filters, as_of)
    except ImportError:
        pass
    for name, query in queries.items():
        times = []
        for _ in range(3):
            started = time.perf_counter()
            query()
            times.append(time.perf_counter() - started)
        results["queries"][name] = times
    results["peak_rss_mb"] = peak_rss_mb()
    return results


# Filter changes the simultaneous sessions make: (page, period, {widget key: values}), none seen before.
SESSION_CHANGES = [
    ("overview", "last_12m", {"f_segment": ["Retail"], "f_acq": ["paid_search"]}),
    ("journey", "last_6m", {"f_region": ["Volga"]}),
    ("money", "last_quarter", {"f_segment": ["SMB"], "f_region": ["Central"]}),
    ("journey", "last_12m", {"f_channel": ["call_centre"]}),
]


def measure_sessions(folder: Path) -> dict:
    """Several sessions (AppTests, sharing the process's caches and snapshot as a server's
    sessions do) change filters at the same moment: seconds until all have rerun, against the
    same reruns one after another (on other filter values, so both are cold)."""
    import threading

    from streamlit.testing.v1 import AppTest

    def prepared(page: str, period: str, dimensions: dict, variant: int):
        app = AppTest.from_file(str(folder / f"entry_{page}.py"), default_timeout=600)
        app.run()
        app.sidebar.selectbox(key="f_period").select(period)
        for key in ("f_segment", "f_region", "f_channel", "f_acq"):
            # The variant picks an equal-sized selection the other run has not seen.
            values = dimensions.get(key, [])
            app.sidebar.multiselect(key=key).set_value(values if variant == 0 else values + ["Unknown"])
        return app

    changes = [change for change in SESSION_CHANGES if (folder / f"entry_{change[0]}.py").exists()]
    apps = [prepared(*change, variant=0) for change in changes]
    started = time.perf_counter()
    for app in apps:
        app.run()
    one_by_one = time.perf_counter() - started
    apps = [prepared(*change, variant=1) for change in changes]
    threads = [threading.Thread(target=app.run) for app in apps]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    at_once = time.perf_counter() - started
    errors = [str(app.exception) for app in apps if app.exception]
    return {"sessions": len(apps), "one_by_one_s": one_by_one, "at_once_s": at_once, "errors": errors}


def run_baseline(db: Path, repeats: int) -> dict:
    """The same pages the pandas way: load everything, then filter in memory per change."""
    from bench.pandas_baseline import PAGES, load_everything
    from cxdata.model.filters import Filters, preset_range

    started = time.perf_counter()
    frames = load_everything(db)
    load_s = time.perf_counter() - started
    as_of = date(2025, 12, 31)
    dimension_fields = {"f_segment": "segments", "f_region": "regions", "f_channel": "channels", "f_acq": "acquisition_channels"}
    results: dict = {"load_s": load_s, "pages": {}}
    pages = [p for p in available_pages() if p in PAGES]
    for page in pages:
        cold = []
        for period, dimensions in SELECTIONS[:repeats]:
            start, end = preset_range(period, as_of, date(2023, 7, 1))
            filters = Filters(start, end, **{dimension_fields[k]: tuple(v) for k, v in dimensions.items()})
            started = time.perf_counter()
            PAGES[page](frames, filters, as_of)
            cold.append(time.perf_counter() - started)
        results["pages"][page] = {"cold_s": cold}
    results["peak_rss_mb"] = peak_rss_mb()
    return results


def measure_cold_start(db: Path) -> dict | None:
    """Seconds from starting the server to a rendered overview in Chromium, and the same for two
    floors of this machine and browser: a two-line Streamlit app, and one of five small plotly
    charts (plotly.js is a lazily loaded bundle of its own, which any page of charts waits for).
    None without Playwright.

    Each app is measured twice from a server start: a first visit (the browser has nothing
    cached: ``*_s``) and a returning one (a second server start on the same port, visited by the
    same browser profile, whose HTTP cache holds the frontend: ``*_returning_s``), as a reader
    who opens the dashboard every morning after a restart.

    Rendered, polled every 50 ms: the page's title is shown, the run is over, no skeleton is left
    and every chart is drawn. The clock starts with the server; ``tests.browser.streamlit_server``
    polls its health check every 0.2 s, the same for every app measured.
    """
    try:
        from playwright.sync_api import sync_playwright

        from tests.browser import CHROMIUM, CHROMIUM_ARGS, free_port, streamlit_server
    except ImportError:
        return None
    folder = Path(tempfile.mkdtemp())
    (folder / "floor.py").write_text('import streamlit as st\nst.title("Hello")\nst.write("world")\n')
    (folder / "charts_floor.py").write_text(
        'import streamlit as st\nst.title("Hello")\nfor index in range(5):\n'
        '    st.plotly_chart({"data": [{"type": "bar", "x": [1, 2], "y": [3, 4]}]}, key=f"chart_{index}")\n'
    )
    # (result key, script, charts it draws); the overview draws five trends.
    apps = [("floor", folder / "floor.py", 0), ("charts_floor", folder / "charts_floor.py", 5),
            ("overview", ROOT / "dashboard.py", 5)]  # fmt: skip
    rendered = """(charts) => {
        const app = document.querySelector("[data-testid='stApp']");
        const plots = [...document.querySelectorAll('.js-plotly-plot')];
        return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
            && document.querySelector("[data-testid='stMain'] h1") !== null
            && document.querySelectorAll("[data-testid='stSkeleton']").length === 0
            && plots.length === charts && plots.every(plot => plot._fullData);
    }"""
    result = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, script, charts in apps:
            context, port = browser.new_context(), free_port()  # one profile and origin per app
            for visit in ("s", "returning_s"):
                started = time.perf_counter()
                with streamlit_server(db, folder / f"{name}_{visit}.log", script=script, port=port) as url:
                    page = context.new_page()
                    page.goto(url)
                    page.wait_for_function(rendered, arg=charts, polling=50, timeout=120_000)
                    result[f"{name}_{visit}"] = time.perf_counter() - started
                    page.close()
            context.close()
        browser.close()
    return result


# Views the concurrent sessions open at once: (page path, query string), none seen before by the server.
CONCURRENT_VIEWS = [
    ("", "f_period=last_12m&f_segment=SMB"),
    ("journey", "f_period=last_quarter&f_region=Siberia"),
    ("money", "f_period=last_6m&f_channel=web"),
    ("", "f_period=last_quarter&f_acq=partners"),
    ("journey", "f_period=last_6m&f_segment=Premium"),
    ("money", "f_period=last_12m&f_region=Volga"),
]


def measure_concurrent(db: Path, sessions: int = 4) -> dict | None:
    """Seconds until ``sessions`` browser sessions opening different views at once have all
    rendered, against the same views opened one by one on a fresh server (None without Playwright).

    Each session is its own Streamlit session with its own cursor on the shared read-only snapshot.
    """
    try:
        from playwright.sync_api import sync_playwright

        from tests.browser import (
            CHROMIUM,
            CHROMIUM_ARGS,
            streamlit_server,
            wait_for_run,
        )
    except ImportError:
        return None
    views = CONCURRENT_VIEWS[:sessions]
    result = {"sessions": len(views)}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for mode in ("one_by_one_s", "at_once_s"):
            with streamlit_server(db, Path(tempfile.mkdtemp()) / "server.log") as url:
                warm = browser.new_page()  # the server's first session pays for imports, not the views
                warm.goto(url)
                wait_for_run(warm)
                pages = [browser.new_page() for _ in views]
                started = time.perf_counter()
                if mode == "one_by_one_s":
                    for page, (path, query) in zip(pages, views):
                        page.goto(f"{url}/{path}?{query}")
                        wait_for_run(page)
                else:
                    for page, (path, query) in zip(pages, views):
                        page.goto(f"{url}/{path}?{query}", wait_until="commit")
                    for page in pages:
                        wait_for_run(page)
                result[mode] = time.perf_counter() - started
                for page in [warm, *pages]:
                    page.close()
        browser.close()
    return result


def measure_ingest(db: Path, rows: int = 1_000_000) -> float | None:
    """Seconds to load a generated ``rows``-row transactions CSV into a copy of the database."""
    try:
        from cxdata.ingest import load_extract
    except ImportError:
        return None
    import shutil

    import numpy as np
    import pandas as pd

    folder = Path(tempfile.mkdtemp())
    copy = folder / "ingest.duckdb"
    shutil.copy(db, copy)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "transaction_id": [f"B{i}" for i in range(rows)],
        "customer_id": [f"C{i % 50_000:07d}" for i in range(rows)],
        "occurred_at": pd.Timestamp("2025-12-01") + pd.to_timedelta(rng.integers(0, 30 * 86400, rows), unit="s"),
        "amount": rng.lognormal(8, 1, rows).round(2),
        "product": "Basic",
        "channel": "web",
    })
    csv = folder / "transactions.csv"
    frame.to_csv(csv, index=False)
    started = time.perf_counter()
    load_extract(copy, "transactions", csv)
    return time.perf_counter() - started


def worker(kind: str, db: Path, repeats: int, pages: str | None) -> dict:
    """Run one side in a fresh process, so its peak memory is its own."""
    output = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--db", str(db), "--repeats", str(repeats)],
        capture_output=True, text=True, check=True, cwd=ROOT, env={**os.environ, "CX_BENCH_PAGES": pages or ""},
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(report: dict) -> None:
    ours, base = report["ours"], report["baseline"] or {"pages": {}}
    print(f"\nscale {report['scale']} · {report['db']} · sample build {report['build_s']:.1f} s (0 = reused)")
    print(f"{'page':<10} {'cold median':>12} {'warm median':>12} {'pandas median':>14} {'speed-up':>9}")
    for page, timing in ours["pages"].items():
        cold, warm = median(timing["cold_s"]), median(timing["warm_s"])
        baseline = median(base["pages"].get(page, {}).get("cold_s", []))
        print(f"{page:<10} {cold * 1000:>10.0f}ms {warm * 1000:>10.0f}ms {baseline * 1000:>12.0f}ms {baseline / cold:>8.1f}×")
    print(f"\n{'page':<10} custom date ranges, cold / warm each: "
          + " · ".join(f"{start:%d %b}–{end:%d %b %Y}" for (start, end), _ in CUSTOM_SELECTIONS))
    for page, timing in ours["pages"].items():
        pairs = zip(timing.get("custom_cold_s", []), timing.get("custom_warm_s", []))
        print(f"{page:<10} " + " · ".join(f"{c * 1000:.0f} / {w * 1000:.0f} ms" for c, w in pairs))
    print(f"\n{'query':<36} {'median':>10}")
    for name, times in ours["queries"].items():
        print(f"{name:<36} {median(times) * 1000:>8.0f}ms")
    if report["baseline"]:
        print(f"\npeak RSS: ours {ours['peak_rss_mb']:.0f} MB · pandas baseline {base['peak_rss_mb']:.0f} MB "
              f"({base['peak_rss_mb'] / ours['peak_rss_mb']:.1f}× more) · baseline load {base['load_s']:.1f} s")
    else:
        print(f"\npeak RSS: ours {ours['peak_rss_mb']:.0f} MB · no pandas baseline in this run")
    cold_start, ingest = report.get("cold_start_s"), report.get("ingest_1m_s")
    if cold_start:
        for visit, label in (("s", "first visit"), ("returning_s", "returning visitor, frontend cached")):
            print(f"cold start to rendered overview, {label}: {cold_start[f'overview_{visit}']:.1f} s (floors: a "
                  f"two-line Streamlit app {cold_start[f'floor_{visit}']:.1f} s, one of five plotly charts "
                  f"{cold_start[f'charts_floor_{visit}']:.1f} s)")
    sessions = ours.get("sessions")
    if sessions:
        print(f"{sessions['sessions']} sessions changing filters at once (AppTest): {sessions['at_once_s'] * 1000:.0f} ms "
              f"for all, {sessions['one_by_one_s'] * 1000:.0f} ms one after another; errors: {len(sessions['errors'])}")
    concurrent = report.get("concurrent")
    if concurrent:
        print(f"{concurrent['sessions']} sessions opening different views: {concurrent['at_once_s']:.1f} s at once, "
              f"{concurrent['one_by_one_s']:.1f} s one by one")
    print(f"ingest of a 1M-row CSV: {'n/a' if ingest is None else f'{ingest:.1f} s'}")
    print("\ntargets (issues #6 and #12):")
    for name, value, holds in check_targets(report):
        print(f"  {'PASS' if holds else 'FAIL'}  {name}: {value}")


def check_targets(report: dict) -> list[tuple[str, str, bool]]:
    """(target, measured value, holds) for every target this run measured."""
    ours, base = report["ours"], report["baseline"]
    large = float(report["scale"]) >= 5 if report["scale"] not in ("?", None) else False
    page_limit = 1.5 if large else 0.3
    checks = []
    for page, timing in ours["pages"].items():
        cold, warm = median(timing["cold_s"]), median(timing["warm_s"])
        checks.append((f"{page} cold rerun ≤ {page_limit * 1000:.0f} ms", f"{cold * 1000:.0f} ms", cold <= page_limit))
        if not large:
            checks.append((f"{page} warm rerun ≤ 100 ms", f"{warm * 1000:.0f} ms", warm <= 0.1))
        for index, ((start, end), _) in enumerate(CUSTOM_SELECTIONS):
            if index < len(timing.get("custom_cold_s", [])):
                label = f"{page} custom range {start:%d %b}–{end:%d %b %Y}"
                c, w = timing["custom_cold_s"][index], timing["custom_warm_s"][index]
                checks.append((f"{label} cold rerun ≤ {page_limit * 1000:.0f} ms", f"{c * 1000:.0f} ms", c <= page_limit))
                if not large:
                    checks.append((f"{label} warm rerun ≤ 100 ms", f"{w * 1000:.0f} ms", w <= 0.1))
        if base and page in base["pages"]:
            ratio = median(base["pages"][page]["cold_s"]) / cold
            checks.append((f"{page} ≥ 10× faster than pandas", f"{ratio:.1f}×", ratio >= 10))
    if base:
        ratio = base["peak_rss_mb"] / ours["peak_rss_mb"]
        checks.append(("≥ 5× less peak memory than pandas", f"{ratio:.1f}×", ratio >= 5))
    if not large:
        checks.append(("process peak ≤ 1 GB", f"{ours['peak_rss_mb']:.0f} MB", ours["peak_rss_mb"] <= 1024))
    if report.get("cold_start_s") and not large:
        for visit, label in (("s", "first visit"), ("returning_s", "returning visitor")):
            start, floor = report["cold_start_s"][f"overview_{visit}"], report["cold_start_s"][f"charts_floor_{visit}"]
            checks.append((f"cold start ≤ 3 s, {label}", f"{start:.1f} s", start <= 3))
            # The floor of a page of charts on this machine: what is above it is ours to cut.
            checks.append((f"cold start ≤ 1 s over a five-chart app's, {label}",
                           f"+{start - floor:.1f} s over {floor:.1f} s", start - floor <= 1))
    return checks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--repeats", type=int, default=5, help=f"filter changes per page (max {len(SELECTIONS)})")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "bench.json")
    parser.add_argument("--skip-browser", action="store_true", help="no cold-start measurement")
    parser.add_argument("--skip-baseline", action="store_true", help="no pandas baseline (at scale 5 it needs ~25 GB)")
    parser.add_argument("--skip-ingest", action="store_true", help="no 1M-row ingest")
    parser.add_argument("--pages", help="comma-separated pages to measure (default: every reporting page)")
    parser.add_argument("--worker", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeats = max(1, min(args.repeats, len(SELECTIONS)))
    db = args.db or ROOT / "data" / f"bench-scale-{args.scale:g}.duckdb"
    if args.worker:
        result = run_ours(db, repeats) if args.worker == "ours" else run_baseline(db, repeats)
        print(json.dumps(result))
        return 0
    build_s = 0.0
    if not db.exists():
        # In a process of its own, which gives all its memory back: the build peaks at ~2 GB at
        # scale 1. Then the new file is flushed to disk before anything is timed, or the first
        # page reruns wait behind the writeback (a journey cold rerun took 341 ms, 162 ms after).
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cxdata", "init", "--db", str(db), "--scale", f"{args.scale:g}"],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)  # fmt: skip
        os.sync()
        build_s = time.perf_counter() - started
    import duckdb

    from cxdata.engine.db import read_meta

    con = duckdb.connect(str(db), read_only=True)
    scale = read_meta(con).get("scale", "?")
    con.close()
    report = {"scale": scale, "db": str(db), "build_s": build_s,
              "ours": worker("ours", db, repeats, args.pages),
              "baseline": None if args.skip_baseline else worker("baseline", db, repeats, args.pages)}
    report["cold_start_s"] = None if args.skip_browser else measure_cold_start(db)
    report["concurrent"] = None if args.skip_browser else measure_concurrent(db)
    report["ingest_1m_s"] = None if args.skip_ingest else measure_ingest(db)
    print_table(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"\nJSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
