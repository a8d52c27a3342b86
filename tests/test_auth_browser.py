"""End to end with a login: a real Streamlit server whose ``[auth]`` points at a local OpenID Connect
provider (``oidc-provider-mock``, on this machine only), driven by Chromium.

The secrets live in a temporary folder (``STREAMLIT_SECRETS_FILES``); nothing here is a real secret.
The provider's authorization page asks for a subject; the predefined users carry an e-mail claim,
which ``[roles]`` maps to a role.
"""

from __future__ import annotations

import re
import secrets
import shutil

import pytest

pytest.importorskip("playwright.sync_api")  # the browser tests need Playwright
oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
pytest.importorskip("authlib")  # Streamlit's st.login needs it

from tests.browser import streamlit_server, wait_for_run  # noqa: E402
from tests.fixtures.ingest.support import query  # noqa: E402
from tests.test_upload_browser import FIXTURES, choose, click, upload_file  # noqa: E402

pytestmark = pytest.mark.browser

ANALYST, VIEWER, ADMIN = "ann.analyst@example.com", "vic.viewer@example.com", "ada.admin@example.com"
UNVERIFIED = "una.unverified@example.com"  # listed as an admin, but the provider has not verified the address
USERS = {"ann": ANALYST, "vic": VIEWER, "ada": ADMIN}


@pytest.fixture(scope="module")
def identity_provider():
    """A local OpenID Connect provider that knows four users by subject, each with an e-mail; one
    of them with ``email_verified: false``."""
    users = [oidc_provider_mock.User(sub=sub, claims={"email": email, "name": sub.title(), "email_verified": True})
             for sub, email in USERS.items()]
    users.append(oidc_provider_mock.User(sub="una", claims={"email": UNVERIFIED, "name": "Una",
                                                            "email_verified": False}))
    with oidc_provider_mock.run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


def secrets_toml(provider_url: str) -> str:
    """Throwaway secrets: ``[auth]`` for the local provider, ``[roles]`` by e-mail."""
    return (
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'  # Streamlit fills in its port
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "cx-dashboard-test"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"\n'
        "\n[roles]\n"
        f'admins = ["{ADMIN}", "{UNVERIFIED}"]\n'
        f'analysts = ["{ANALYST.upper()}"]\n'  # e-mails match whatever their case
    )


@pytest.fixture(scope="module")
def auth_server(identity_provider, sample_db, tmp_path_factory):
    """The dashboard with a login configured (``[auth]``) and roles by e-mail (``[roles]``)."""
    folder = tmp_path_factory.mktemp("auth")
    db = shutil.copy(sample_db, folder / "cx.duckdb")
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(secrets_toml(identity_provider), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STREAMLIT_SECRETS_FILES", str(secrets_file))
        with streamlit_server(db, folder / "server.log") as url:
            yield url, db


def log_in(page, url: str, subject: str, path: str = "") -> None:
    """Open the dashboard, press "Log in", authorize as ``subject`` at the provider, come back."""
    page.goto(f"{url}/{path}")
    wait_for_run(page)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/oauth2/authorize**")
    page.get_by_role("button", name=subject, exact=True).click()  # a predefined user
    page.wait_for_url(f"{url}/**")
    wait_for_run(page)


def test_a_visitor_who_is_not_logged_in_sees_a_login_prompt_and_no_data(auth_server, browser):
    url, _db = auth_server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    for path in ("", "money", "upload", "upload?lang=ru"):
        page.goto(f"{url}/{path}")
        wait_for_run(page)
        text = page.inner_text("body")
        if path.endswith("ru"):
            assert "Войдите, чтобы увидеть дашборд" in text
        else:
            assert "Log in to see the dashboard" in text
        assert page.get_by_role("button", name="Log in").count() + page.get_by_role("button", name="Войти").count() == 1
        assert page.locator("[data-testid='stMetric']").count() == 0  # no KPI tile
        assert page.locator("[data-testid='stDataFrame'], .js-plotly-plot").count() == 0  # no table, no chart
        assert page.locator("[data-testid='stFileUploader']").count() == 0
        assert "Upload data" not in text and "Local mode" not in text
        assert page.locator("[data-testid='stSidebarNav']").count() == 0  # not even the page names
    page.close()


def test_a_viewer_sees_the_dashboards_but_no_upload_page(auth_server, browser):
    url, _db = auth_server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    log_in(page, url, "vic")
    assert page.get_by_text(f"Signed in as {VIEWER} (viewer)").count() == 1
    assert page.locator("[data-testid='stMetric']").count() >= 6  # the overview's tiles
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "Overview" in nav and "Upload data" not in nav
    page.goto(f"{url}/upload")  # typed by hand: the page is not offered, the overview opens instead
    wait_for_run(page)
    assert page.locator("[data-testid='stFileUploader']").count() == 0
    assert page.get_by_role("heading", name="Upload data").count() == 0
    page.close()


UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# What the browser's own uploader does: a multipart PUT with the XSRF cookie echoed in a header.
PUT_FILE = """async (url) => {
    const cookie = document.cookie.split('; ').find(c => c.startsWith('_streamlit_xsrf='));
    const headers = cookie ? {'X-Xsrftoken': decodeURIComponent(cookie.split('=').slice(1).join('='))} : {};
    const form = new FormData();
    form.append('file', new Blob(['customer_id,amount\\n1,2\\n']), 'probe.csv');
    const response = await fetch(url, {method: 'PUT', body: form, headers, credentials: 'same-origin'});
    return [response.status, await response.text()];
}"""


def ids_sent_by_the_server(page) -> set[str]:
    """Every id in the server's websocket messages so far: the session's own id is one of them."""
    ids: set[str] = set()

    def on_websocket(socket):
        socket.on("framereceived", lambda frame: ids.update(
            m.decode() for m in UUID.findall(frame if isinstance(frame, bytes) else frame.encode())))

    page.on("websocket", on_websocket)
    return ids


def put_to_every_id(page, url: str, ids: set[str]) -> list[tuple[int, str]]:
    return [tuple(page.evaluate(PUT_FILE, f"{url}/_stcore/upload_file/{session}/probe-file")) for session in sorted(ids)]


def test_only_a_session_that_may_upload_can_leave_a_file_on_the_server(auth_server, browser):
    """Streamlit accepts a file from any live session; the dashboard keeps none from a viewer's."""
    url, _db = auth_server
    for subject, role, expected in (("vic", "viewer", 403), ("ann", "analyst", 204)):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        ids = ids_sent_by_the_server(page)
        log_in(page, url, subject)
        assert page.get_by_text(f"({role})").count() == 1
        answers = put_to_every_id(page, url, ids)
        statuses = [status for status, _ in answers]
        # Ids that are not sessions get 400; the session's own id decides.
        assert statuses.count(expected) == 1, answers
        assert not {204, 403} - {expected} & set(statuses), answers
        if expected == 403:
            assert any("may not upload" in text for _, text in answers), answers  # not an XSRF refusal
        page.close()


def test_an_analyst_logs_in_and_uploads(auth_server, browser):
    url, db = auth_server
    before = query(db, "SELECT count(*) FROM transactions")[0][0]
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    log_in(page, url, "ann", "upload")
    assert page.get_by_text(f"Signed in as {ANALYST} (analyst)").count() == 1
    page.locator("[data-testid='stSidebarNav']").get_by_text("Upload data").click()
    wait_for_run(page)
    choose(page, "Table", "transactions")
    upload_file(page, FIXTURES / "crm_transactions_cp1251.csv")
    click(page, "Load")
    assert page.get_by_text("Loaded 5 rows into transactions").count() == 1
    assert query(db, "SELECT count(*) FROM transactions")[0][0] == before + 5
    log = query(db, "SELECT uploaded_by FROM uploads ORDER BY upload_id DESC LIMIT 1")
    assert log == [(ANALYST,)]  # the upload log names the person who logged in
    upload_id = query(db, "SELECT max(upload_id) FROM uploads")[0][0]
    click(page, f"Undo upload {upload_id}")
    assert query(db, "SELECT undone_by FROM uploads WHERE upload_id = ?", [upload_id]) == [(ANALYST,)]
    assert query(db, "SELECT count(*) FROM transactions")[0][0] == before

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/oauth2/end_session**")  # Streamlit also ends the session at the provider
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{url}/**")
    page.goto(url)
    wait_for_run(page)
    assert page.get_by_role("button", name="Log in").count() == 1  # signed out: the prompt again
    assert page.locator("[data-testid='stMetric']").count() == 0
    page.close()


def test_an_admin_sees_everyones_uploads_in_the_log(auth_server, browser, tmp_path):
    import openpyxl

    url, db = auth_server
    if not query(db, "SELECT count(*) FROM uploads WHERE uploaded_by = ?", [ANALYST])[0][0]:
        pytest.skip("needs the analyst's upload of test_an_analyst_logs_in_and_uploads")
    page = browser.new_page(viewport={"width": 1400, "height": 1200}, accept_downloads=True)
    log_in(page, url, "ada", "upload")
    assert page.get_by_text(f"Signed in as {ADMIN} (admin)").count() == 1
    page.locator("[data-testid='stSidebarNav']").get_by_text("Upload data").click()
    wait_for_run(page)
    with page.expect_download() as download_info:
        page.locator("[data-testid='stDownloadButton']").filter(has_text="Download XLSX").last.click()
    download_info.value.save_as(tmp_path / "log.xlsx")
    page.close()
    rows = list(openpyxl.load_workbook(tmp_path / "log.xlsx").active.values)
    who = rows[0].index("Who")  # the log as the page shows it: readable headers
    assert ANALYST in {row[who] for row in rows[1:]}  # the admin sees the analyst's upload, not only their own


def test_an_unverified_email_gets_no_role_beyond_viewer(auth_server, browser):
    url, _db = auth_server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    log_in(page, url, "una", "upload")
    assert page.get_by_text(f"Signed in as {UNVERIFIED} (viewer)").count() == 1  # listed as admin, not verified
    assert page.locator("[data-testid='stMetric']").count() >= 6  # a viewer still sees the dashboards
    assert "Upload data" not in page.locator("[data-testid='stSidebarNav']").inner_text()
    assert page.locator("[data-testid='stFileUploader']").count() == 0
    page.close()


def test_a_broken_secrets_file_stops_the_app_and_shows_no_data(identity_provider, sample_db, tmp_path, browser):
    """One typo (an unclosed quote) must not turn the login-protected dashboard into local mode."""
    db = shutil.copy(sample_db, tmp_path / "cx.duckdb")
    secrets_file = tmp_path / "secrets.toml"
    broken = secrets_toml(identity_provider).replace('client_id = "cx-dashboard-test"', 'client_id = "cx-dashboard-test')
    secrets_file.write_text(broken, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STREAMLIT_SECRETS_FILES", str(secrets_file))
        with streamlit_server(db, tmp_path / "server.log") as url:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for path in ("", "upload", "money?lang=ru"):
                page.goto(f"{url}/{path}")
                wait_for_run(page)
                text = page.inner_text("body")
                if path.endswith("ru"):
                    assert "Дашборд остановлен: настройки входа не удаётся использовать" in text
                    assert "secrets.toml: ошибка синтаксиса TOML в строке 4" in text
                else:
                    assert "The dashboard is stopped: its login configuration cannot be used" in text
                    assert "secrets.toml: not valid TOML at line 4, column 31" in text
                assert str(tmp_path) not in text  # the file is named, not the server's folders
                assert page.locator("[data-testid='stMetric']").count() == 0
                assert page.locator("[data-testid='stDataFrame'], .js-plotly-plot, [data-testid='stFileUploader']").count() == 0
                assert "Local mode" not in text and page.get_by_role("button", name="Log in").count() == 0
                assert page.locator("[data-testid='stSidebarNav']").count() == 0
            page.close()
        assert "login configuration unusable" in (tmp_path / "server.log").read_text()


def test_a_secrets_file_broken_while_the_server_runs_stops_the_app_on_the_next_visit(identity_provider, sample_db,
                                                                                      tmp_path, browser):
    """Streamlit caches the secrets it parsed, and its file watcher stops after a parse error: a
    second typo, after a repair, must not leave the last good configuration in force."""
    db = shutil.copy(sample_db, tmp_path / "cx.duckdb")
    secrets_file = tmp_path / "secrets.toml"
    good = secrets_toml(identity_provider)
    broken = good.replace('client_id = "cx-dashboard-test"', 'client_id = "cx-dashboard-test')
    secrets_file.write_text(good, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STREAMLIT_SECRETS_FILES", str(secrets_file))
        with streamlit_server(db, tmp_path / "server.log") as url:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})

            def visit() -> str:
                page.goto(f"{url}/")
                wait_for_run(page)
                return page.inner_text("body")

            for content, stopped in ((good, False), (broken, True), (good, False), (broken, True)):
                secrets_file.write_text(content, encoding="utf-8")
                text = visit()
                if stopped:
                    assert "The dashboard is stopped: its login configuration cannot be used" in text
                    assert "secrets.toml: not valid TOML at line 4, column 31" in text
                    assert page.get_by_role("button", name="Log in").count() == 0
                else:
                    assert "Log in to see the dashboard" in text
                    assert page.get_by_role("button", name="Log in").count() == 1
                assert page.locator("[data-testid='stMetric']").count() == 0 and "Local mode" not in text
            page.close()
