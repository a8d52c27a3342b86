"""Who may do what, and failing closed: the login configuration, local mode, unverified e-mails."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit import config as streamlit_config

from cxdata.model.roles import (
    LoginConfig,
    LoginConfigError,
    client_address,
    is_this_machine,
    parse_login_config,
    role_for_claims,
    role_in_local_mode,
)
from tests.test_app import clear_streamlit_caches, open_app  # noqa: F401 - fixture

ROLES = {"admins": ["ada@example.com"], "analysts": ["ann@example.com"]}
AUTH = {"redirect_uri": "https://cx.example.com/oauth2callback", "cookie_secret": "s", "client_id": "x"}


@pytest.mark.parametrize("address", [None, "", "not an address", 42])
def test_an_unknown_address_is_never_this_machine(address):
    assert not is_this_machine(address)
    assert role_in_local_mode(address, server_address="127.0.0.1") == "viewer"


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1", "127.0.0.2"])
def test_loopback_in_any_spelling_is_this_machine(address):
    assert is_this_machine(address)
    assert role_in_local_mode(address, server_address="127.0.0.1") == "admin"


@pytest.mark.parametrize("server_address", [None, "", "0.0.0.0", "::", "10.1.2.3"])
def test_a_server_open_to_the_network_has_no_local_admin(server_address):
    # Without a login nobody can be told apart from this machine's user safely: everyone views.
    assert role_in_local_mode("127.0.0.1", server_address=server_address) == "viewer"


def test_a_reverse_proxy_on_this_machine_does_not_make_every_visitor_admin():
    # nginx on the same host forwards a visitor from 203.0.113.9: the peer is loopback.
    forwarded = {"X-Forwarded-For": "203.0.113.9", "Host": "cx.example.com"}
    assert client_address("127.0.0.1", forwarded) is None  # a proxy nobody trusted: unknown visitor
    assert role_in_local_mode(client_address("127.0.0.1", forwarded), server_address="127.0.0.1") == "viewer"
    # Trusted, the proxy names the visitor: still not this machine.
    visitor = client_address("127.0.0.1", forwarded, ["127.0.0.1"])
    assert visitor == "203.0.113.9"
    assert role_in_local_mode(visitor, server_address="127.0.0.1", trusted_proxies=["127.0.0.1"]) == "viewer"


def test_trusted_proxies_skip_their_own_hops_and_ignore_what_others_forge():
    chain = {"x-forwarded-for": "127.0.0.1, 198.51.100.7, 10.0.0.2"}  # the visitor forged the first hop
    assert client_address("10.0.0.3", chain, ["10.0.0.2", "10.0.0.3"]) == "198.51.100.7"
    assert client_address("198.51.100.7", {"X-Forwarded-For": "127.0.0.1"}, ["10.0.0.3"]) is None
    assert client_address("10.0.0.3", {}, ["10.0.0.3"]) is None  # the proxy named nobody


def test_unverified_emails_get_no_role_beyond_viewer():
    config = parse_login_config({"auth": AUTH, "roles": ROLES})
    assert role_for_claims({"email": "ada@example.com", "email_verified": True}, config) == "admin"
    assert role_for_claims({"email": "ada@example.com"}, config) == "admin"  # no claim: the provider's word
    assert role_for_claims({"email": "ada@example.com", "email_verified": False}, config) == "viewer"
    assert role_for_claims({"email": "ann@example.com", "email_verified": "false"}, config) == "viewer"
    trusting = parse_login_config({"auth": AUTH, "roles": {**ROLES, "trust_unverified_email": True}})
    assert role_for_claims({"email": "ada@example.com", "email_verified": False}, trusting) == "admin"


@pytest.mark.parametrize(("secrets", "expected"), [
    ({"roles": {"admins": "ada@example.com"}}, "[roles] admins must be a list of e-mail addresses"),
    ({"auth": AUTH, "roles": {"analysts": ["a", 1]}}, "[roles] analysts must be a list"),
    ({"auth": AUTH, "roles": {"trust_unverified_email": "yes"}}, "trust_unverified_email must be true or false"),
    ({"auth": {"client_id": "x"}}, "[auth] lacks redirect_uri, cookie_secret: nobody could log in"),
    ({"auth": "on"}, "[auth] must be a table"),
    ({"roles": {"admins": ["ada@example.com"]}}, "there is no [auth] section"),
    ({"local_mode": {"trusted_proxies": ["proxy.local"]}}, "not one: proxy.local"),
    ({"roles": "admins"}, "[roles] must be a table"),
])
def test_a_login_configuration_that_makes_no_sense_stops_the_app(secrets, expected):
    with pytest.raises(LoginConfigError) as raised:
        parse_login_config(secrets, where=".streamlit/secrets.toml")
    assert expected in raised.value.message("en")
    assert raised.value.message("en").startswith(".streamlit/secrets.toml: ")
    assert "Данные не показываются" in raised.value.message("ru")


def test_no_secrets_is_local_mode_and_secrets_without_auth_are_too():
    assert parse_login_config({}) == LoginConfig(roles={})
    assert not parse_login_config({"local_mode": {"trusted_proxies": ["10.0.0.2"]}}).auth_configured


@pytest.fixture
def secrets_file(tmp_path):
    """Point Streamlit's secrets at a file of the test's (parsed afresh), and back afterwards."""
    path = tmp_path / ".streamlit" / "secrets.toml"
    path.parent.mkdir()
    saved = streamlit_config.get_option("secrets.files")
    streamlit_config.set_option("secrets.files", [str(path)])
    st.secrets._secrets = None
    yield path
    streamlit_config.set_option("secrets.files", saved)
    st.secrets._secrets = None


BROKEN = '[auth]\nclient_id = "cx\ncookie_secret = "x"\n\n[roles]\nadmins = ["ada@example.com"]\n'


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_broken_secrets_file_stops_the_app_with_no_data(tmp_path, monkeypatch, sample_db, secrets_file, lang):
    secrets_file.write_text(BROKEN, encoding="utf-8")  # an unclosed quote on line 2
    monkeypatch.setattr(streamlit_config, "get_option", _with_option("server.address", "127.0.0.1"))
    app = open_app(tmp_path, monkeypatch, sample_db, page="overview" if lang == "en" else "money")
    if lang == "ru":
        app.sidebar.segmented_control(key="lang").set_value("ru").run()
    assert not app.exception
    message = app.error[0].value
    if lang == "en":
        assert app.title[0].value == "The dashboard is stopped: its login configuration cannot be used"
        assert message.startswith(".streamlit/secrets.toml: not valid TOML at line 2, column 16")
    else:
        assert app.title[0].value == "Дашборд остановлен: настройки входа не удаётся использовать"
        assert "ошибка синтаксиса TOML в строке 2" in message
    assert str(tmp_path) not in message  # the file is named, the server's folders are not
    assert not app.metric and not app.dataframe and not app.sidebar.multiselect  # no data, no filters
    assert not [b for b in app.button if b.label in ("Log in", "Войти")]
    assert not any("Local mode" in c.value for c in app.sidebar.caption)


def test_an_unreadable_secrets_file_stops_the_app(tmp_path, monkeypatch, sample_db, secrets_file):
    secrets_file.mkdir()  # a folder where the file should be (a bad volume mount): it cannot be read
    app = open_app(tmp_path, monkeypatch, sample_db)
    assert not app.exception
    assert app.error[0].value.startswith(".streamlit/secrets.toml: the file cannot be read")
    assert not app.metric and not app.sidebar.multiselect


def _with_option(name: str, value):
    original = streamlit_config.get_option

    def get_option(key: str):
        return value if key == name else original(key)

    return get_option
