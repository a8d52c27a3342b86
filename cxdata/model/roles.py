"""Who may do what: viewers see dashboards and export; analysts also upload and undo; admins also
see the whole upload log. Plain functions, so the rules are testable without Streamlit.

With a login configured (Streamlit's ``[auth]`` in secrets), roles come from ``[roles]`` in
secrets: ``admins = ["a@x.ru"]``, ``analysts = [...]``; anyone else logged in is a viewer. Without
a login the app runs in *local mode*: one user on this machine (localhost) is admin, any other
address a viewer, and the mode is shown in the sidebar.
"""

from __future__ import annotations

import ipaddress
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
})


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


def is_this_machine(client_address) -> bool:
    """True for a loopback client, however it is written (Streamlit gives None for localhost;
    a server listening on all interfaces sees IPv4 clients as IPv4-mapped IPv6 addresses).

    >>> [is_this_machine(a) for a in (None, "127.0.0.1", "::1", "::ffff:127.0.0.1", "10.1.2.3", "::ffff:10.0.0.5")]
    [True, True, True, True, False, False]
    """
    if client_address is None or client_address in ("", "localhost"):
        return True
    if not isinstance(client_address, str):
        return False
    try:
        address = ipaddress.ip_address(client_address)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def role_in_local_mode(client_address: str | None) -> str:
    """Local mode: the person at this machine is admin; a visitor from elsewhere only views.

    >>> role_in_local_mode(None), role_in_local_mode("::ffff:127.0.0.1"), role_in_local_mode("10.1.2.3")
    ('admin', 'admin', 'viewer')
    """
    return "admin" if is_this_machine(client_address) else "viewer"


def can(role: str, action: str) -> bool:
    """``action`` is "view", "export", "upload", "undo" or "admin".

    >>> can("analyst", "upload"), can("viewer", "undo"), can("admin", "admin")
    (True, False, True)
    """
    needed = {"view": "viewer", "export": "viewer", "upload": "analyst", "undo": "analyst", "admin": "admin"}[action]
    return ROLES.index(role) >= ROLES.index(needed)
