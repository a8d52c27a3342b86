"""Helpers for the end-to-end tests: a real Streamlit server and Debian's Chromium via Playwright."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# Flags that work on a closed network (no background calls home, no GPU, no sandbox as root).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(db_path: Path, log_path: Path, timeout: float = 60.0, address: str = "127.0.0.1",
                     script: Path = ROOT / "dashboard.py", port: int | None = None,
                     launcher: str = "streamlit", env: dict | None = None):  # fmt: skip
    """Run ``streamlit run dashboard.py`` (or ``script``) on ``port`` (default a free one) against
    ``db_path``; yield its base URL.

    ``address`` is what the server binds to ("::" = every interface, as the README's command
    does); the tests always connect through 127.0.0.1. ``launcher``: the module that runs
    Streamlit's command line (the bench's ``bench.timed_streamlit`` also times every script run);
    ``env``: more environment variables for the server.
    """
    port = port or free_port()
    env = {**os.environ, **(env or {}), "CX_DB": str(db_path)}
    command = [
        sys.executable, "-m", launcher, "run", str(script),
        "--server.port", str(port), "--server.address", address, "--server.headless", "true",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {process.returncode}: {log_path.read_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"streamlit did not start in {timeout} s")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for_run(page, timeout_ms: int = 60_000) -> None:
    """Wait until the script run is over and no lazy element (plotly charts) is still loading."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)
    page.wait_for_function(
        "() => document.querySelector(\"[data-testid='stApp']\").getAttribute('data-test-script-state') === 'notRunning'"
        " && document.querySelectorAll(\"[data-testid='stSkeleton']\").length === 0",
        timeout=timeout_ms,
    )
    # A rerun triggered by a widget starts asynchronously: let it start, then wait for it again.
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => document.querySelector(\"[data-testid='stApp']\").getAttribute('data-test-script-state') === 'notRunning'"
        " && document.querySelectorAll(\"[data-testid='stSkeleton']\").length === 0",
        timeout=timeout_ms,
    )


def read_tiles(page) -> dict[str, str]:
    """KPI tiles on the page: label -> displayed value."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll("[data-testid='stMetric']")].map(m => [
            m.querySelector("[data-testid='stMetricLabel']").innerText.trim(),
            m.querySelector("[data-testid='stMetricValue']").innerText.trim()]))"""
    )


def read_plot(page, title_prefix: str) -> dict:
    """The data a plotly chart really drew (``_fullData``), found by its title text (tags stripped)."""
    return page.evaluate(
        """(prefix) => {
            const strip = (html) => (html || '').replace(/<[^>]*>/g, '');
            const plots = [...document.querySelectorAll('.js-plotly-plot')];
            const plot = plots.find(p => strip(p._fullLayout.title.text).startsWith(prefix));
            if (!plot) return null;
            return {title: strip(plot._fullLayout.title.text),
                    subtitle: strip(plot._fullLayout.title.subtitle.text),
                    traces: plot._fullData.map(t => ({name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || [])}))};
        }""",
        title_prefix,
    )


def wait_for_plots(page, count: int, timeout_ms: int = 30_000) -> None:
    """Scroll through the page (charts render when near the viewport) until ``count`` are drawn."""
    page.mouse.wheel(0, 20_000)
    page.wait_for_function(
        "(n) => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p._fullData).length >= n",
        arg=count,
        timeout=timeout_ms,
    )


def choose_in_multiselect(page, label: str, option: str) -> None:
    """Pick ``option`` in the sidebar multiselect labelled ``label`` and wait for the rerun."""
    widget = page.locator("[data-testid='stMultiSelect']").filter(has_text=label)
    widget.locator("input").click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    wait_for_run(page)
