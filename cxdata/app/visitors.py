"""Who is looking: the login configuration (Streamlit's secrets, read as they are on every run and
failing closed), the visitor's address, and the role that decides what the pages offer.

``current_visitor()`` is what the entrypoint and the pages ask; a login configuration that cannot be
used raises ``LoginConfigError`` and the app shows no data.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit import config as streamlit_config

from cxdata import i18n
from cxdata.model.roles import (
    LoginConfig,
    LoginConfigError,
    client_address,
    parse_login_config,
    role_for_claims,
    role_in_local_mode,
)

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Visitor:
    """Who is looking: the role decides what the pages offer (and what they refuse)."""

    user: str
    role: str
    local_mode: bool


def read_login_config() -> LoginConfig:
    """The access settings in Streamlit's secrets; LoginConfigError when they cannot be used.

    Streamlit reports a secrets file it cannot parse with the same exception class as a missing
    one (a ``FileNotFoundError``); only "no secrets file at all" means local mode. The files are
    read as they are now, on every run: a file broken while the server runs stops the app on the
    next run, it does not keep the configuration read before.
    """
    from streamlit.errors import StreamlitSecretNotFoundError

    try:
        _forget_secrets_if_changed()
        secrets = st.secrets.to_dict()
    except StreamlitSecretNotFoundError as error:
        if getattr(error, "error_id", None) == "no-secrets-found":
            return LoginConfig()
        raise _secrets_problem(error) from None
    except OSError as error:  # a secrets file that exists but cannot be read
        _LOGGER.error("login configuration unusable, the dashboard serves no data: %s", error)
        raise LoginConfigError(_file_name(getattr(error, "filename", None)), "login_config_unreadable") from None
    return parse_login_config(secrets, where=_file_name(_first_secrets_file()))


_SECRETS_READ = {"content": None}  # what the secrets files held when Streamlit last read them
_SECRETS_READ_LOCK = threading.Lock()


def _secrets_content() -> tuple:
    """What the secrets files Streamlit reads hold now: (path, SHA-256 of the bytes or None when absent)."""
    content = []
    for path in streamlit_config.get_option("secrets.files"):
        try:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if path.endswith(".toml") else path
        except FileNotFoundError:
            digest = None
        except OSError as error:  # unreadable: so is it for Streamlit, which then says so (fails closed)
            digest = f"unreadable: {error.errno}"
        content.append((path, digest))
    return tuple(content)


def _forget_secrets_if_changed() -> None:
    """Make Streamlit read the secrets files again when they changed since it last did.

    Streamlit caches what it parsed and relies on a file watcher to notice a change; a parse error
    inside that watcher stops it for good, so after one repair a second typo would go unnoticed
    and the last good configuration would stay in force until a restart. Comparing the files'
    bytes on every run (a few hundred bytes) does not depend on the watcher. Without Streamlit's
    reset (a future version), the files are parsed here and a broken one stops the app all the same.
    """
    content = _secrets_content()
    with _SECRETS_READ_LOCK:
        if content == _SECRETS_READ["content"]:
            return
        reset = getattr(st.secrets, "_reset", None)
        if callable(reset):
            reset()
        else:
            _check_secrets_files()
        _SECRETS_READ["content"] = content


def _check_secrets_files() -> None:
    """Parse every secrets TOML file; LoginConfigError (with the line and column) for a broken one."""
    import tomllib

    for path in streamlit_config.get_option("secrets.files"):
        if not path.endswith(".toml") or not os.path.exists(path):
            continue
        try:
            tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            _LOGGER.error("login configuration unusable, the dashboard serves no data: %s", error)
            position = re.search(r"at line (\d+), column (\d+)", str(error))
            if position:
                raise LoginConfigError(_file_name(path), "login_config_syntax", line=position[1],
                                       column=position[2]) from None
            raise LoginConfigError(_file_name(path), "login_config_invalid") from None


def _secrets_problem(error) -> LoginConfigError:
    kwargs = getattr(error, "exec_kwargs", {}) or {}
    path = kwargs.get("path") or kwargs.get("sub_folder_path") or _first_secrets_file()
    _LOGGER.error("login configuration unusable, the dashboard serves no data: %s", error)
    position = re.search(r"at line (\d+), column (\d+)", str(error.__cause__ or error))
    if position:
        return LoginConfigError(_file_name(path), "login_config_syntax", line=position[1], column=position[2])
    return LoginConfigError(_file_name(path), "login_config_invalid")


def _first_secrets_file() -> str | None:
    files = [path for path in streamlit_config.get_option("secrets.files") if os.path.exists(path)]
    return files[-1] if files else None


def _file_name(path) -> str:
    """A secrets file as the page names it: the last two parts (``.streamlit/secrets.toml``), not
    the server's folders."""
    if not path:
        return "secrets.toml"
    parts = Path(str(path)).parts
    return "/".join(parts[-2:])


def _peer_address() -> str | None:
    """The connection's own peer address (None when unknown). ``st.context.ip_address`` gives None
    for localhost too, so it cannot tell "this machine" from "nobody knows"."""
    try:
        from streamlit.runtime.context import _get_client_context

        client = _get_client_context()
        peer = getattr(client, "remote_ip", None) if client is not None else None
    except Exception:  # noqa: BLE001 - a Streamlit without it: the address is unknown, never local
        return None
    return peer if isinstance(peer, str) else None


def _request_headers() -> dict:
    try:
        headers = st.context.headers
        return {str(name): str(value) for name, value in headers.items()}
    except Exception:  # noqa: BLE001 - no request (a test harness): no forwarding headers
        return {}


def current_visitor() -> Visitor:
    """The visitor's role: from the login when one is configured, else local mode.

    LoginConfigError when the login configuration cannot be used: the caller stops, shows no data.
    """
    config = read_login_config()
    if config.auth_configured:
        if not st.user.is_logged_in:
            return Visitor(user="", role="viewer", local_mode=False)
        claims = st.user.to_dict()
        email = claims.get("email") or ""
        # Roles are granted by e-mail; someone without one is a viewer, shown by another name.
        shown = email or claims.get("preferred_username") or claims.get("name") or claims.get("sub") or "?"
        return Visitor(user=str(shown), role=role_for_claims(claims, config), local_mode=False)
    address = client_address(_peer_address(), _request_headers(), config.trusted_proxies)
    role = role_in_local_mode(address, server_address=streamlit_config.get_option("server.address"),
                              trusted_proxies=config.trusted_proxies)
    return Visitor(user=getpass.getuser(), role=role, local_mode=True)


def render_visitor_badge(visitor: Visitor, lang: str) -> None:
    key = "local_mode_badge" if visitor.local_mode else "signed_in_badge"
    st.sidebar.caption(i18n.translate(key, lang, user=visitor.user, role=i18n.translate(f"role_{visitor.role}", lang)))
