"""Local mode in a real server: admin for the browser on this machine only when the server can
tell who that is (bound to loopback, no proxy in between); otherwise everyone only views."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("playwright.sync_api")

from tests.browser import streamlit_server, wait_for_run  # noqa: E402

pytestmark = pytest.mark.browser


def visit_upload_page(browser, url: str, headers: dict | None = None) -> tuple[str, str]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, extra_http_headers=headers or {})
    page = context.new_page()
    page.goto(f"{url}/upload")
    wait_for_run(page)
    badge = page.locator("[data-testid='stSidebar']").get_by_text("Local mode").inner_text()
    title = page.locator("h1").first.inner_text()
    context.close()
    return badge, title


@pytest.fixture(scope="module")
def loopback_server(sample_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("loopback")
    db = shutil.copy(sample_db, folder / "cx.duckdb")
    with streamlit_server(db, folder / "server.log", address="127.0.0.1") as url:
        yield url


def test_on_a_loopback_server_the_browser_here_is_admin(loopback_server, browser):
    badge, title = visit_upload_page(browser, loopback_server)
    assert ", admin)" in badge
    assert title == "Upload data"


def test_a_request_through_a_proxy_nobody_trusted_only_views(loopback_server, browser):
    # A reverse proxy on this machine: the connection comes from 127.0.0.1, the visitor from elsewhere.
    badge, title = visit_upload_page(browser, loopback_server, {"X-Forwarded-For": "203.0.113.9"})
    assert ", viewer)" in badge
    assert title == "Overview"  # the Upload page is not offered: the default page opens


def test_a_server_open_to_the_network_without_a_login_has_no_admin(sample_db, tmp_path, browser):
    db = shutil.copy(sample_db, tmp_path / "cx.duckdb")
    with streamlit_server(db, tmp_path / "server.log", address="::") as url:
        badge, title = visit_upload_page(browser, url)
    assert ", viewer)" in badge  # even the browser on this machine: nobody is told apart safely
    assert title == "Overview"
