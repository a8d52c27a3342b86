"""The upload log, and undo.

Tables this module creates in the database (grains):

- ``uploads``: one row per upload that reached the database: ``loaded``, ``rejected`` (nothing
  changed in the data; kept so an admin sees failed attempts and why) or ``undone``. Dry runs and
  re-uploads reported ``unchanged`` are not logged.
- ``upload_rows_<table>`` (one per loaded table, created on first use): one row per fact row an
  upload added (``change = 'inserted'``) or took away (``'removed'``: the old table of a
  ``replace``, the old version of a row overwritten by ``upsert``), with every value of the row.
  Undo removes one copy of each inserted row and puts the removed rows back, so the table is
  exactly what it was, duplicates included; then it deletes the upload's rows here.

Undo names the upload it reverts (never "whatever is latest when the lock is free"). It is allowed
for a loaded upload when no later loaded upload touched the same table (undo those first: the later
one may have built on its rows), only to its uploader unless the caller may undo anyone's
(``owner=None``: an admin, the CLI), and, when the caller says which data version it saw, only if
the data is still that version once the upload lock is held: a change that landed while the undo
waited (another upload, another undo) refuses it, so nobody reverts work they have not seen.
Every undo is in the log: ``undone_at``, ``undone_by``.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

from cxdata.engine.db import bump_data_version, read_meta, resolve_db_path
from cxdata.engine.rollups import refresh_rollups
from cxdata.i18n import register_text
from cxdata.ingest.errors import TargetChanged, UndoError, UndoNotFound
from cxdata.ingest.locking import connected, upload_lock
from cxdata.ingest.mapping import LOADABLE_TABLES
from cxdata.model.schema import TABLES, create_schema

UPLOAD_COLUMNS = (
    ("upload_id", "BIGINT NOT NULL"), ("uploaded_at", "TIMESTAMP NOT NULL"), ("uploaded_by", "VARCHAR NOT NULL"),
    ("table_name", "VARCHAR NOT NULL"), ("mode", "VARCHAR NOT NULL"), ("status", "VARCHAR NOT NULL"),
    ("file_name", "VARCHAR"), ("file_size_bytes", "BIGINT"), ("file_sha256", "VARCHAR"), ("mapping_sha256", "VARCHAR"),
    ("mapping_json", "VARCHAR"), ("rows_read", "BIGINT"), ("rows_loaded", "BIGINT"), ("rows_rejected", "BIGINT"),
    ("rows_skipped", "BIGINT"), ("rows_inserted", "BIGINT"), ("rows_updated", "BIGINT"), ("rows_removed", "BIGINT"),
    ("error_count", "BIGINT"), ("warning_count", "BIGINT"), ("data_version", "VARCHAR"),
    ("undone_at", "TIMESTAMP"), ("undone_by", "VARCHAR"),
)
UPLOAD_COLUMN_NAMES = tuple(name for name, _ in UPLOAD_COLUMNS)


def undo_table(table: str) -> str:
    """The name of a table's undo rows (``table`` comes from the allow-list of loadable tables)."""
    if table not in LOADABLE_TABLES:
        raise ValueError(f"not a loadable table: {table!r}")
    return f"upload_rows_{table}"


def ensure_log_tables(con, table: str) -> None:
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in UPLOAD_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS uploads ({columns})")
    values = ", ".join(f'"{name}" {sql_type.replace(" NOT NULL", "")}' for name, sql_type in TABLES[table].columns)
    con.execute(f"CREATE TABLE IF NOT EXISTS {undo_table(table)} "
                f"(upload_id BIGINT NOT NULL, change VARCHAR NOT NULL, {values})")


def has_table(con, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
                            [name]).fetchall()[0][0])


def next_upload_id(con) -> int:
    return con.execute("SELECT coalesce(max(upload_id), 0) + 1 FROM uploads").fetchall()[0][0]


def record_upload(con, entry: dict) -> None:
    """Insert one ``uploads`` row; ``entry`` maps column names to values (missing ones are NULL)."""
    placeholders = ", ".join("?" for _ in UPLOAD_COLUMN_NAMES)
    con.execute(f"INSERT INTO uploads VALUES ({placeholders})", [entry.get(name) for name in UPLOAD_COLUMN_NAMES])


def find_same_upload(con, *, sha256: str, table: str, mode: str, mapping_sha256: str) -> int | None:
    """The loaded (not undone) upload of the same file, table, mode and mapping, if any."""
    if not has_table(con, "uploads"):
        return None
    row = con.execute("SELECT max(upload_id) FROM uploads WHERE status = 'loaded' AND file_sha256 = ? "
                      "AND table_name = ? AND mode = ? AND mapping_sha256 = ?",
                      [sha256, table, mode, mapping_sha256]).fetchall()[0]
    return row[0]


def list_uploads(db_path=None, *, connection=None, timeout: float = 10.0) -> list[dict]:
    """Every logged upload, newest first, JSON-ready (timestamps as ISO text)."""
    path = resolve_db_path(db_path)
    if connection is None and not Path(path).exists():
        return []
    with connected(path, read_only=True, deadline=time.monotonic() + timeout, connection=connection) as con:
        if not has_table(con, "uploads"):
            return []
        cursor = con.execute(f"SELECT {', '.join(UPLOAD_COLUMN_NAMES)} FROM uploads ORDER BY upload_id DESC")
        rows = cursor.fetchall()
    return [{name: (value.isoformat(sep=" ") if isinstance(value, datetime) else value)
             for name, value in zip(UPLOAD_COLUMN_NAMES, row)} for row in rows]


register_text({
    "undo_nothing_logged": {"en": "Nothing to undo: no upload has been logged in this database.",
                            "ru": "Отменять нечего: в этой базе не было загрузок."},
    "undo_unknown": {"en": "There is no upload {id} in the log (see the upload log).",
                     "ru": "Загрузки {id} нет в журнале (см. журнал загрузок)."},
    "undo_not_loaded": {"en": "Upload {id} was {status}; there is nothing of it to undo.",
                        "ru": "Загрузка {id} уже {status}; отменять нечего."},
    "undo_status_undone": {"en": "undone", "ru": "отменена"},
    "undo_status_rejected": {"en": "rejected", "ru": "отклонена"},
    "undo_later_uploads": {"en": "Later uploads changed {table} after upload {id}; undo them first: {later}.",
                           "ru": "После загрузки {id} таблицу {table} изменили более поздние загрузки; "
                                 "сначала отмените их: {later}."},
    "undo_not_yours": {"en": "Upload {id} was made by {owner}; an analyst may undo only their own uploads "
                             "(an admin may undo any).",
                       "ru": "Загрузку {id} сделал(а) {owner}; аналитик может отменять только свои загрузки "
                             "(администратор — любые)."},
    "undo_data_changed": {"en": "Nothing was undone: the data changed after you looked ({change}). Look at the "
                                "upload log again and choose what to undo.",
                          "ru": "Ничего не отменено: данные изменились после того, как вы их видели ({change}). "
                                "Посмотрите журнал загрузок ещё раз и выберите, что отменить."},
    "undo_change_upload": {"en": "upload {id}: {table}, {status} by {who}",
                           "ru": "загрузка {id}: {table}, {status}, {who}"},
    "undo_change_status_loaded": {"en": "loaded", "ru": "загружено"},
    "undo_change_status_undone": {"en": "undone", "ru": "отменено"},
    "undo_change_unknown": {"en": "the database was replaced", "ru": "база данных заменена"},
    "load_table_changed": {"en": "Nothing was loaded: {table} changed while this load waited for another one "
                                 "({change}). Check the file against the table as it is now, then load again.",
                           "ru": "Ничего не загружено: пока загрузка ждала другую, таблица {table} изменилась "
                                 "({change}). Проверьте файл по текущей таблице и загрузите снова."},
})


def undo_upload(db_path, upload_id: int, *, user: str = "local", owner: str | None = None,
                seen_version: str | None = None, lock_timeout: float = 60.0, now: datetime | None = None,
                connection=None) -> dict:
    """Revert upload ``upload_id`` in one transaction, with rollups and a new data version.

    ``owner``: undo only an upload of this user (an analyst's own), None for anyone's (an admin).
    ``seen_version``: the data version the caller decided on; a different one under the lock refuses.
    Returns ``{"status": "undone", "upload_id", "table", "rows_removed", "rows_restored", "data_version"}``.
    LookupError for an unknown id; UndoError when it cannot be undone; UploadBusyError when busy.
    """
    path = resolve_db_path(db_path)
    if connection is None and not Path(path).exists():
        raise FileNotFoundError(f"database not found: {path}")
    holder = {"user": user, "action": "undo", "table": "", "since": datetime.now().strftime("%H:%M:%S")}
    with upload_lock(path, timeout=lock_timeout, holder=holder) as waited:
        deadline = time.monotonic() + max(lock_timeout - waited, 1.0)
        with connected(path, read_only=False, deadline=deadline, connection=connection) as con:
            table = check_undoable(con, upload_id, owner=owner, seen_version=seen_version)
            con.execute("BEGIN TRANSACTION")
            try:
                create_schema(con)
                removed, restored = _restore(con, table, upload_id)
                con.execute("UPDATE uploads SET status = 'undone', undone_at = ?, undone_by = ? WHERE upload_id = ?",
                            [now or datetime.now(), user, upload_id])
                con.execute(f"DELETE FROM {undo_table(table)} WHERE upload_id = ?", [upload_id])
                version = bump_data_version(con)
                refresh_rollups(con, changed={table})
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
    return {"status": "undone", "upload_id": upload_id, "table": table, "rows_removed": removed,
            "rows_restored": restored, "data_version": version}


def check_undoable(con, upload_id: int, *, owner: str | None = None, seen_version: str | None = None) -> str:
    """The table of upload ``upload_id`` if it may be undone now (see the module's rules), else
    UndoError (LookupError for an unknown id), with ``message(lang)`` for the page."""
    if seen_version is not None and read_meta(con).get("data_version") != seen_version:
        raise UndoError("undo_data_changed", change=_latest_change(con))
    if not has_table(con, "uploads"):
        raise UndoError("undo_nothing_logged")
    found = con.execute("SELECT table_name, status, uploaded_by FROM uploads WHERE upload_id = ?",
                        [upload_id]).fetchall()
    if not found:
        raise UndoNotFound("undo_unknown", id=upload_id)
    table, status, uploaded_by = found[0]
    if owner is not None and not same_user(uploaded_by, owner):
        raise UndoError("undo_not_yours", id=upload_id, owner=uploaded_by)
    if status != "loaded":
        raise UndoError("undo_not_loaded", id=upload_id, status=_Translated(f"undo_status_{status}"))
    later = [r[0] for r in con.execute("SELECT upload_id FROM uploads WHERE table_name = ? AND status = 'loaded' "
                                       "AND upload_id > ? ORDER BY upload_id DESC", [table, upload_id]).fetchall()]
    if later:
        raise UndoError("undo_later_uploads", table=table, id=upload_id, later=", ".join(str(u) for u in later))
    return table


def latest_undoable(db_path=None, *, owner: str | None = None, timeout: float = 10.0) -> dict | None:
    """The newest loaded upload (of ``owner`` when given) as ``list_uploads`` gives it, or None."""
    return next((entry for entry in list_uploads(db_path, timeout=timeout) if entry["status"] == "loaded"
                 and (owner is None or same_user(entry["uploaded_by"], owner))), None)


def read_log_as_seen(db_path=None, *, timeout: float = 10.0) -> tuple[list[dict], str | None]:
    """The upload log and the data version it belongs to, read from one open file: what a page
    shows and what its undo is checked against (``seen_version``). ([], None) without a database."""
    path = resolve_db_path(db_path)
    if not Path(path).exists():
        return [], None
    with connected(path, read_only=True, deadline=time.monotonic() + timeout) as con:
        return list_uploads(path, connection=con), read_meta(con).get("data_version")


def same_user(first, second) -> bool:
    """Whether two names in the log are one person: e-mails in any case; an empty name is nobody.

    >>> same_user("Ann@X.ru", " ann@x.ru"), same_user("", "")
    (True, False)
    """
    return str(first or "").strip().lower() == str(second or "").strip().lower() != ""


def read_data_version(db_path=None, *, timeout: float = 10.0) -> str | None:
    """The data version of the database now (what a caller decides on before waiting for the lock)."""
    path = resolve_db_path(db_path)
    with connected(path, read_only=True, deadline=time.monotonic() + timeout) as con:
        return read_meta(con).get("data_version")


OVERWRITING_MODES = ("replace", "upsert")  # loads whose effect depends on the rows already there


def table_state(con, table: str) -> tuple:
    """What the log says about the last changes of ``table``: (newest load, newest undo). A load
    that overwrites rows compares it before and after waiting for the lock."""
    if not has_table(con, "uploads"):
        return (None, None)
    row = con.execute("SELECT max(upload_id) FILTER (WHERE status IN ('loaded', 'undone')), max(undone_at) "
                      "FROM uploads WHERE table_name = ?", [table]).fetchall()[0]
    return (row[0], row[1].isoformat() if row[1] else None)


def read_table_state(db_path, table: str, mode: str, *, timeout: float = 10.0) -> tuple | None:
    """``table_state`` of the database at ``db_path`` now, for a load in ``mode`` to re-check once
    it holds the lock; None when there is nothing to re-check (an append overwrites nothing, or no
    database yet)."""
    path = resolve_db_path(db_path)
    if mode not in OVERWRITING_MODES or not Path(path).exists():
        return None
    with connected(path, read_only=True, deadline=time.monotonic() + timeout) as con:
        return table_state(con, table)


def check_table_unchanged(db_path, table: str, seen_state: tuple | None) -> None:
    """TargetChanged when ``table`` was loaded or undone since ``seen_state`` was read."""
    if seen_state is None:
        return
    with connected(Path(db_path), read_only=True, deadline=time.monotonic() + 10) as con:
        if table_state(con, table) != seen_state:
            raise TargetChanged("load_table_changed", table=table, change=_latest_change(con, table))


def _latest_change(con, table: str | None = None) -> "_Translated":
    """What changed the data (of ``table``) last, in words: the upload loaded or undone most recently."""
    if has_table(con, "uploads"):
        rows = con.execute("SELECT upload_id, table_name, status, coalesce(undone_by, uploaded_by) FROM uploads "
                           "WHERE status IN ('loaded', 'undone') AND (? IS NULL OR table_name = ?) "
                           "ORDER BY greatest(uploaded_at, coalesce(undone_at, uploaded_at)) DESC, upload_id DESC "
                           "LIMIT 1", [table, table]).fetchall()
        if rows:
            upload_id, table, status, who = rows[0]
            return _Translated("undo_change_upload", id=upload_id, table=table, who=who,
                               status=_Translated(f"undo_change_status_{status}"))
    return _Translated("undo_change_unknown")


class _Translated:
    """A piece of a message translated when the message is (``UndoError.message(lang)``)."""

    def __init__(self, key: str, **values):
        self.key, self.values = key, values

    def text(self, lang: str) -> str:
        from cxdata.i18n import translate

        return translate(self.key, lang, **{k: v.text(lang) if isinstance(v, _Translated) else v
                                            for k, v in self.values.items()})

    def __str__(self) -> str:
        return self.text("en")


def _restore(con, table: str, upload_id: int) -> tuple[int, int]:
    """Remove one copy of every row the upload inserted and put back the rows it removed."""
    columns = [f'"{c}"' for c in TABLES[table].column_names]
    names = ", ".join(columns)
    same = " AND ".join(f"t.{c} IS NOT DISTINCT FROM r.{c}" for c in columns)
    rows = undo_table(table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE undo_inserted AS SELECT {names}, count(*) AS copies FROM {rows} "
                f"WHERE upload_id = ? AND change = 'inserted' GROUP BY ALL", [upload_id])
    # Copies of an inserted row that were there before the upload (or came later) must stay.
    con.execute(f"CREATE OR REPLACE TEMP TABLE undo_kept AS SELECT {', '.join(f'r.{c}' for c in columns)}, "
                f"count(*) - any_value(r.copies) AS copies FROM \"{table}\" AS t JOIN undo_inserted AS r ON {same} "
                f"GROUP BY ALL")
    removed = con.execute("SELECT coalesce(sum(copies), 0) FROM undo_inserted").fetchall()[0][0]
    con.execute(f'DELETE FROM "{table}" AS t USING undo_inserted AS r WHERE {same}')
    con.execute(f'INSERT INTO "{table}" SELECT {names} FROM (SELECT {names}, unnest(range(copies)) FROM undo_kept '
                f"WHERE copies > 0)")
    restored = con.execute(f'INSERT INTO "{table}" SELECT {names} FROM {rows} WHERE upload_id = ? AND change = '
                           f"'removed'", [upload_id]).fetchall()[0][0]
    con.execute("DROP TABLE undo_inserted; DROP TABLE undo_kept")
    return int(removed), int(restored)


def mapping_json(preset_dict: dict, mapping: dict) -> str:
    return json.dumps({"preset": preset_dict, "mapping": mapping}, ensure_ascii=False, sort_keys=True)
