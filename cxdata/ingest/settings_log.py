"""The settings part of the audit log: who changed which workspace setting, when, from what to what.

Table this module creates in the database (grain): ``settings_changes``, one row per setting a save
changed: ``change_id`` (one per save), ``changed_at``, ``changed_by``, ``setting``, ``old_value``,
``new_value`` (as ``settings`` prints them: ``as_of`` is a date or ``latest``), ``based_on_version``
(the settings version the writer saw) and ``settings_version`` (the version the save made). It
lives in the database beside ``uploads`` and is published with the change itself, atomically.

Like an undo, a save names what it acts on: the settings version it was based on. If another save
landed since (the version moved), it is refused and nothing is stored (``SettingsChanged``).
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from cxdata.engine.db import read_meta, resolve_db_path
from cxdata.i18n import register_text
from cxdata.ingest.errors import ChangeRefused
from cxdata.ingest.locking import connected
from cxdata.model.workspace import DEFAULTS, LATEST, SETTING_KEYS, SettingError, normalize_setting

SETTINGS_LOG = "settings_changes"
SETTINGS_LOG_COLUMNS = (
    ("change_id", "BIGINT NOT NULL"), ("changed_at", "TIMESTAMP NOT NULL"), ("changed_by", "VARCHAR NOT NULL"),
    ("setting", "VARCHAR NOT NULL"), ("old_value", "VARCHAR"), ("new_value", "VARCHAR"),
    ("based_on_version", "VARCHAR"), ("settings_version", "VARCHAR NOT NULL"),
)


class SettingsChanged(ChangeRefused):
    """A save based on a settings version that is no longer the stored one: nothing was stored."""


def shown_settings(meta: dict[str, str]) -> dict[str, str]:
    """Every setting as ``settings`` prints it (``as_of``: a date or ``latest``), from ``meta``.

    >>> shown_settings({"currency": "eur", "as_of": ""})["currency"], shown_settings({})["as_of"]
    ('EUR', 'latest')
    """
    shown = {}
    for key in SETTING_KEYS:
        stored = meta.get(key)
        try:
            value = normalize_setting(key, DEFAULTS[key] if stored is None else stored)
        except SettingError:
            value = normalize_setting(key, DEFAULTS[key])
        shown[key] = value or LATEST if key == "as_of" else value
    return shown


def check_settings_version(con, seen_version: str | None) -> None:
    """SettingsChanged when the stored settings version is not ``seen_version`` (None: no check)."""
    if seen_version is None:
        return
    current = read_meta(con).get("settings_version") or ""
    if current != seen_version:
        last = _last_change(con)
        if last is None:
            raise SettingsChanged("settings_changed_meanwhile_unknown")
        raise SettingsChanged("settings_changed_meanwhile", who=last[0], when=last[1].strftime("%Y-%m-%d %H:%M"))


def record_settings_change(con, *, user: str, before: dict[str, str], after: dict[str, str],
                           based_on: str | None, version: str, now: datetime | None = None) -> int | None:
    """Log the settings that differ between ``before`` and ``after`` (shown values) as one change;
    its id, None when nothing differs (nothing is logged)."""
    changed = [key for key in SETTING_KEYS if before.get(key) != after.get(key)]
    if not changed:
        return None
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in SETTINGS_LOG_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS {SETTINGS_LOG} ({columns})")
    change_id = con.execute(f"SELECT coalesce(max(change_id), 0) + 1 FROM {SETTINGS_LOG}").fetchall()[0][0]
    when = now or datetime.now()
    con.executemany(f"INSERT INTO {SETTINGS_LOG} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [[change_id, when, user, key, before.get(key), after.get(key), based_on, version]
                     for key in changed])
    return change_id


def list_settings_changes(db_path=None, *, connection=None, timeout: float = 10.0) -> list[dict]:
    """Every logged settings change, newest first, JSON-ready: ``{"change_id", "changed_at",
    "changed_by", "changes": {setting: {"old", "new"}}, "based_on_version", "settings_version"}``."""
    path = resolve_db_path(db_path)
    if connection is None and not Path(path).exists():
        return []
    with connected(path, read_only=True, deadline=time.monotonic() + timeout, connection=connection) as con:
        if not _has_log(con):
            return []
        rows = con.execute(f"SELECT change_id, changed_at, changed_by, setting, old_value, new_value, "
                           f"based_on_version, settings_version FROM {SETTINGS_LOG} "
                           f"ORDER BY change_id DESC, setting").fetchall()
    changes: dict[int, dict] = {}
    for change_id, at, by, setting, old, new, based_on, version in rows:
        entry = changes.setdefault(change_id, {
            "change_id": change_id, "changed_at": at.isoformat(sep=" "), "changed_by": by, "changes": {},
            "based_on_version": based_on, "settings_version": version})
        entry["changes"][setting] = {"old": old, "new": new}
    return list(changes.values())


def read_settings_version(db_path=None, *, timeout: float = 10.0) -> str:
    """The stored settings version ("" for a database that never had one): what a save is based on."""
    path = resolve_db_path(db_path)
    with connected(path, read_only=True, deadline=time.monotonic() + timeout) as con:
        return read_meta(con).get("settings_version") or ""


def _has_log(con) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
                            [SETTINGS_LOG]).fetchall()[0][0])


def _last_change(con) -> tuple[str, datetime] | None:
    if not _has_log(con):
        return None
    row = con.execute(f"SELECT changed_by, changed_at FROM {SETTINGS_LOG} ORDER BY change_id DESC LIMIT 1").fetchall()
    return row[0] if row else None


register_text({
    "settings_changed_meanwhile": {
        "en": "Nothing was saved: {who} changed the settings at {when}, after you opened this page. Look at the "
              "settings as they are now and save again.",
        "ru": "Ничего не сохранено: {who} изменил(а) настройки в {when}, уже после того, как вы открыли эту "
              "страницу. Посмотрите на текущие настройки и сохраните ещё раз."},
    "settings_changed_meanwhile_unknown": {
        "en": "Nothing was saved: the settings changed after you opened this page. Look at the settings as they "
              "are now and save again.",
        "ru": "Ничего не сохранено: настройки изменились уже после того, как вы открыли эту страницу. Посмотрите "
              "на текущие настройки и сохраните ещё раз."},
})
