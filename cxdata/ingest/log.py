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

Undo is allowed for a loaded upload when no later loaded upload touched the same table (undo
those first): the later one may have built on its rows.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

from cxdata.engine.db import bump_data_version, resolve_db_path
from cxdata.engine.rollups import refresh_rollups
from cxdata.ingest.errors import UndoError
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


def undo_upload(db_path=None, upload_id: int | None = None, *, user: str = "local", lock_timeout: float = 60.0,
                now: datetime | None = None, connection=None) -> dict:
    """Revert an upload (the latest loaded one by default) in one transaction, with rollups and a new data version.

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
            upload_id, table = _undoable(con, upload_id)
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


def _undoable(con, upload_id: int | None) -> tuple[int, str]:
    if not has_table(con, "uploads"):
        raise UndoError("nothing to undo: no upload has been logged in this database")
    if upload_id is None:
        upload_id = con.execute("SELECT max(upload_id) FROM uploads WHERE status = 'loaded'").fetchall()[0][0]
        if upload_id is None:
            raise UndoError("nothing to undo: every loaded upload has been undone already")
    found = con.execute("SELECT table_name, status FROM uploads WHERE upload_id = ?", [upload_id]).fetchall()
    if not found:
        raise LookupError(f"no upload {upload_id} in the log (see: python -m cxdata uploads)")
    table, status = found[0]
    if status != "loaded":
        raise UndoError(f"upload {upload_id} was {status}; there is nothing of it to undo")
    later = [r[0] for r in con.execute("SELECT upload_id FROM uploads WHERE table_name = ? AND status = 'loaded' "
                                       "AND upload_id > ? ORDER BY upload_id DESC", [table, upload_id]).fetchall()]
    if later:
        raise UndoError(f"later uploads changed {table} after upload {upload_id}; undo them first: "
                        + ", ".join(str(u) for u in later))
    return upload_id, table


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
