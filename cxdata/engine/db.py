"""Opening the DuckDB file and reading/writing the ``meta`` settings."""

from __future__ import annotations

import os
import uuid
import weakref
from pathlib import Path

import duckdb

from cxdata.model.schema import create_schema

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "cx.duckdb"


def resolve_db_path(path: str | os.PathLike | None = None) -> Path:
    """The database to use: an explicit path, else ``$CX_DB``, else ``data/cx.duckdb``."""
    if path:
        return Path(path)
    env = os.environ.get("CX_DB")
    return Path(env) if env else DEFAULT_DB_PATH


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database; a writable connection also creates any missing table."""
    db_path = resolve_db_path(path)
    if read_only and not db_path.exists():
        raise FileNotFoundError(f"database not found: {db_path} (create it with: python -m cxdata init)")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path), read_only=read_only)
    if not read_only:
        create_schema(con)
    return con


SNAPSHOT_ALIAS = "cx"


def open_snapshot(path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """A read-only view of the database file as it is now, in a DuckDB instance of its own.

    ``duckdb.connect(path)`` returns the instance already open for that path in this process, so
    after an upload or ``init --force`` replaced the file it would keep showing the old one.
    Attaching the file to a fresh in-memory instance opens whatever the path names today.
    Use ``snapshot_cursor`` for each thread's queries.
    """
    db_path = Path(path)
    if not db_path.exists():
        raise FileNotFoundError(f"database not found: {db_path} (create it with: python -m cxdata init)")
    con = duckdb.connect()
    literal = "'" + str(db_path).replace("'", "''") + "'"  # ATTACH takes no parameters
    con.execute(f"ATTACH {literal} AS {SNAPSHOT_ALIAS} (READ_ONLY)")
    con.execute(f"USE {SNAPSHOT_ALIAS}")
    return con


def snapshot_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new cursor on a snapshot, pointed at the attached database (USE is per cursor)."""
    cursor = con.cursor()
    cursor.execute(f"USE {SNAPSHOT_ALIAS}")
    _snapshot_meta[cursor] = None  # read on first use, see read_meta
    return cursor


def read_meta(con) -> dict[str, str]:
    """All ``meta`` settings as a dict.

    A snapshot cannot change, so on a ``snapshot_cursor`` the table is read once per cursor:
    the journey page's queries ask about fourteen times per filter change (~1.2 ms each).
    """
    if con in _snapshot_meta:
        if _snapshot_meta[con] is None:
            _snapshot_meta[con] = dict(con.execute("SELECT key, value FROM meta").fetchall())
        return dict(_snapshot_meta[con])
    return dict(con.execute("SELECT key, value FROM meta").fetchall())


# snapshot cursor -> its meta once read (None before); entries go with their cursors.
_snapshot_meta: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def write_meta(con, **values: object) -> None:
    """Set ``meta`` keys (inside the caller's transaction, if any)."""
    for key, value in values.items():
        con.execute("DELETE FROM meta WHERE key = ?", [key])
        con.execute("INSERT INTO meta VALUES (?, ?)", [key, None if value is None else str(value)])


def bump_data_version(con) -> str:
    """Give the data a new version id; every cache key includes it, so caches go stale on change."""
    version = uuid.uuid4().hex[:12]
    write_meta(con, data_version=version)
    return version
