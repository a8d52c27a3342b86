"""Who may do what: viewers see dashboards (the CEM maturity results too) and export; analysts
also upload, undo and answer the maturity questionnaire; admins also
see the whole upload log. Plain functions, so the rules are testable without Streamlit.

With a login configured (Streamlit's ``[auth]`` in secrets), roles come from ``[roles]`` in
secrets: ``admins = ["a@x.ru"]``, ``analysts = [...]``; anyone else logged in is a viewer, and so
is anyone whose provider says the e-mail is not verified (unless ``trust_unverified_email = true``).
Without a login the app runs in *local mode*: the user on this machine is admin, but only when the
server listens on loopback alone (or ``[local_mode] trusted_proxies`` names the proxy in front of
it); every other visitor, and any visitor whose address is unknown, only views. A login
configuration that cannot be read, or does not make sense, stops the app (``LoginConfigError``):
it never falls back to local mode.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Mapping

from cxdata.i18n import register_text

ROLES = ("viewer", "analyst", "admin")

register_text({
    "login_title": {"en": "CX dashboard", "ru": "CX-дашборд"},
    "login_prompt": {"en": "Log in to see the dashboard. What you may do (view, upload, administer) "
                           "follows from your account.",
                     "ru": "Войдите, чтобы увидеть дашборд. Что вам доступно (просмотр, загрузка, "
                           "администрирование), определяется вашей учётной записью."},
    "login_button": {"en": "Log in", "ru": "Войти"},
    "logout_button": {"en": "Log out", "ru": "Выйти"},
    "login_config_title": {"en": "The dashboard is stopped: its login configuration cannot be used",
                           "ru": "Дашборд остановлен: настройки входа не удаётся использовать"},
    "login_config_error": {
        "en": "{where}: {what}. No data is shown until an administrator fixes the file (details in the "
              "server log).",
        "ru": "{where}: {what}. Данные не показываются, пока администратор не исправит файл (подробности "
              "в журнале сервера)."},
    "login_config_unreadable": {"en": "the file cannot be read (check that it exists and its permissions)",
                                "ru": "файл не читается (проверьте, что он есть, и права доступа к нему)"},
    "login_config_syntax": {"en": "not valid TOML at line {line}, column {column} (an unclosed quote or "
                                  "bracket, a missing = …)",
                            "ru": "ошибка синтаксиса TOML в строке {line}, позиция {column} (незакрытая кавычка "
                                  "или скобка, пропущен знак = …)"},
    "login_config_invalid": {"en": "the secrets location is not a TOML file or a folder of secrets",
                             "ru": "путь к секретам указывает не на файл TOML и не на папку секретов"},
    "login_config_not_list": {"en": "[roles] {setting} must be a list of e-mail addresses",
                              "ru": "[roles] {setting} должен быть списком адресов e-mail"},
    "login_config_not_flag": {"en": "{setting} must be true or false", "ru": "{setting} должен быть true или false"},
    "login_config_roles_without_auth": {
        "en": "[roles] names admins or analysts, but there is no [auth] section to log them in",
        "ru": "в [roles] указаны администраторы или аналитики, но нет раздела [auth] для входа"},
    "login_config_bad_proxy": {"en": "[local_mode] trusted_proxies must list IP addresses; not one: {value}",
                               "ru": "[local_mode] trusted_proxies должен содержать IP-адреса; не адрес: {value}"},
    "login_config_auth_incomplete": {"en": "[auth] lacks {keys}: nobody could log in",
                                     "ru": "в [auth] не хватает {keys}: войти никто не сможет"},
    "login_config_not_table": {"en": "[{setting}] must be a table of settings", "ru": "[{setting}] должен быть разделом настроек"},
})


class LoginConfigError(Exception):
    """The login configuration cannot be used: the app stops and shows ``message(lang)``, no data.

    ``where`` names the file (and line) without the server's folders; ``key`` and ``values`` pick the
    translated description of what is wrong (a parse error from the TOML reader is passed as is).
    """

    def __init__(self, where: str, text_key: str, **values: object):
        super().__init__(f"{where}: {text_key} {values}")
        self.where, self.text_key, self.values = where, text_key, values

    def message(self, lang: str) -> str:
        from cxdata.i18n import translate

        what = translate(self.text_key, lang, **self.values)
        return translate("login_config_error", lang, where=self.where, what=what)


@dataclass(frozen=True)
class LoginConfig:
    """What the secrets say about access: a login or local mode, roles, trusted proxies."""

    auth_configured: bool = False
    roles: Mapping[str, object] | None = None
    trust_unverified_email: bool = False
    trusted_proxies: tuple[str, ...] = ()


def parse_login_config(secrets: Mapping[str, object], where: str = "secrets.toml") -> LoginConfig:
    """The access settings of parsed secrets, checked: LoginConfigError for anything that does not
    make sense (an admin's typo must stop the app, not widen or narrow access silently).

    >>> parse_login_config({"auth": {"redirect_uri": "u", "cookie_secret": "s"}, "roles": {"admins": ["a@x.ru"]}}).auth_configured
    True
    >>> try:
    ...     parse_login_config({"roles": {"admins": "a@x.ru"}}, where=".streamlit/secrets.toml")
    ... except LoginConfigError as error:
    ...     print(error.message("en"))
    .streamlit/secrets.toml: [roles] admins must be a list of e-mail addresses. No data is shown until an administrator fixes the file (details in the server log).
    """
    def table(key: str) -> Mapping[str, object]:
        value = secrets.get(key, {}) or {}
        if not isinstance(value, Mapping):
            raise LoginConfigError(where, "login_config_not_table", setting=key)
        return value

    roles, local = table("roles"), table("local_mode")
    for key in ("admins", "analysts"):
        entries = roles.get(key, [])
        if not isinstance(entries, (list, tuple)) or not all(isinstance(e, str) for e in entries):
            raise LoginConfigError(where, "login_config_not_list", setting=key)
    trust = roles.get("trust_unverified_email", False)
    if not isinstance(trust, bool):
        raise LoginConfigError(where, "login_config_not_flag", setting="[roles] trust_unverified_email")
    proxies = local.get("trusted_proxies", [])
    if not isinstance(proxies, (list, tuple)):
        raise LoginConfigError(where, "login_config_bad_proxy", value=str(proxies)[:40])
    for proxy in proxies:
        if _parse_address(proxy) is None:
            raise LoginConfigError(where, "login_config_bad_proxy", value=str(proxy)[:40])
    auth = "auth" in secrets
    if auth:  # what every provider needs; Streamlit checks the rest when someone logs in
        missing = [key for key in ("redirect_uri", "cookie_secret") if key not in table("auth")]
        if missing:
            raise LoginConfigError(where, "login_config_auth_incomplete", keys=", ".join(missing))
    if not auth and (roles.get("admins") or roles.get("analysts")):
        raise LoginConfigError(where, "login_config_roles_without_auth")
    return LoginConfig(auth_configured=auth, roles=dict(roles), trust_unverified_email=trust,
                       trusted_proxies=tuple(str(p) for p in proxies))


def role_for_user(email: str | None, role_config: Mapping[str, object]) -> str:
    """The role of a logged-in user from the ``[roles]`` lists (case-insensitive emails).

    >>> role_for_user("Ann@x.ru", {"admins": ["ann@x.ru"], "analysts": ["bob@x.ru"]})
    'admin'
    >>> role_for_user("bob@x.ru", {"analysts": ["bob@x.ru"]}), role_for_user(None, {})
    ('analyst', 'viewer')
    """
    address = (email or "").strip().lower()

    def listed(key: str) -> bool:
        return address in {str(entry).strip().lower() for entry in role_config.get(key, []) or []}

    if address and listed("admins"):
        return "admin"
    if address and listed("analysts"):
        return "analyst"
    return "viewer"


def role_for_claims(claims: Mapping[str, object], config: LoginConfig) -> str:
    """The role of a logged-in user from their identity claims: by ``email``, but no more than
    viewer when the provider says the address is not verified (``email_verified: false``), unless
    ``[roles] trust_unverified_email = true``. A provider that sends no ``email_verified`` claim is
    taken at its word.

    >>> config = LoginConfig(auth_configured=True, roles={"admins": ["ann@x.ru"]})
    >>> role_for_claims({"email": "ann@x.ru"}, config), role_for_claims({"email": "ann@x.ru", "email_verified": False}, config)
    ('admin', 'viewer')
    """
    verified = claims.get("email_verified", True)
    if verified is False or (isinstance(verified, str) and verified.strip().lower() == "false"):
        if not config.trust_unverified_email:
            return "viewer"
    email = claims.get("email")
    return role_for_user(email if isinstance(email, str) else None, config.roles or {})


def _parse_address(text) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(text, str):
        return None
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address


def is_this_machine(client_address) -> bool:
    """True for a loopback client, however it is written (a server listening on all interfaces
    sees IPv4 clients as IPv4-mapped IPv6 addresses). An unknown address (None, empty) is never
    this machine.

    >>> [is_this_machine(a) for a in (None, "", "127.0.0.1", "::1", "::ffff:127.0.0.1", "10.1.2.3", "::ffff:10.0.0.5")]
    [False, False, True, True, True, False, False]
    """
    if client_address == "localhost":
        return True
    address = _parse_address(client_address)
    return address is not None and address.is_loopback


_FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def client_address(peer: str | None, headers: Mapping[str, str], trusted_proxies=()) -> str | None:
    """The visitor's address: the connection's peer, or, when the peer is a trusted proxy, the
    nearest untrusted address of its ``X-Forwarded-For``. None when it cannot be known: no peer,
    a trusted proxy that names nobody, or a request that came through a proxy nobody trusted
    (a reverse proxy on this machine would otherwise make every visitor "this machine").

    >>> client_address("127.0.0.1", {})
    '127.0.0.1'
    >>> client_address("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}) is None
    True
    >>> client_address("127.0.0.1", {"X-Forwarded-For": "1.2.3.4, 203.0.113.9"}, ["127.0.0.1"])
    '203.0.113.9'
    """
    peer_address = _parse_address(peer)
    if peer_address is None:
        return None
    lowered = {str(name).lower(): value for name, value in headers.items()}
    trusted = {_parse_address(proxy) for proxy in trusted_proxies} - {None}
    if peer_address not in trusted:
        return None if any(name in lowered for name in _FORWARDING_HEADERS) else peer
    chain = [part.strip() for part in str(lowered.get("x-forwarded-for", "")).split(",") if part.strip()]
    for hop in reversed(chain):
        if _parse_address(hop) not in trusted:
            return hop if _parse_address(hop) is not None else None
    return None


def is_loopback_server(server_address: str | None) -> bool:
    """True when the server listens on this machine only (``server.address``); unset or
    ``0.0.0.0``/``::`` means every interface.

    >>> [is_loopback_server(a) for a in ("127.0.0.1", "localhost", "::1", "", None, "0.0.0.0", "::")]
    [True, True, True, False, False, False, False]
    """
    return bool(server_address) and is_this_machine(server_address)


def role_in_local_mode(client: str | None, *, server_address: str | None, trusted_proxies=()) -> str:
    """Local mode (no login configured): the person at this machine is admin, if the server can
    tell who is at this machine: it listens on loopback only, or trusted proxies say who the
    visitor is. Everyone else, and everyone on a server open to the network, only views.

    >>> role_in_local_mode("127.0.0.1", server_address="127.0.0.1"), role_in_local_mode(None, server_address="127.0.0.1")
    ('admin', 'viewer')
    >>> role_in_local_mode("127.0.0.1", server_address=""), role_in_local_mode("127.0.0.1", server_address="", trusted_proxies=["10.0.0.2"])
    ('viewer', 'admin')
    """
    may_be_admin = is_loopback_server(server_address) or bool(trusted_proxies)
    return "admin" if may_be_admin and is_this_machine(client) else "viewer"


def can(role: str, action: str) -> bool:
    """``action`` is "view", "export", "upload", "undo", "assess" (answer the CEM maturity
    questionnaire) or "admin".

    >>> can("analyst", "upload"), can("viewer", "undo"), can("admin", "admin")
    (True, False, True)
    >>> can("viewer", "assess"), can("analyst", "assess")
    (False, True)
    """
    needed = {"view": "viewer", "export": "viewer", "upload": "analyst", "undo": "analyst", "assess": "analyst",
              "admin": "admin"}[action]
    return ROLES.index(role) >= ROLES.index(needed)
