"""Opening the DuckDB file, reading/writing the ``meta`` settings, and saying in words why a
database cannot be used.

A missing or broken database is an error, never a reason to build the sample: the dashboard builds
the sample only on a *first start* (``is_first_start``): no database configured (no ``$CX_DB``),
the default file absent, and no database ever created there (its marker file, written the first
time the dashboard opens or builds the default database, is absent too). A default database that
disappears later is reported as missing.
"""

from __future__ import annotations

import os
import uuid
import weakref
from pathlib import Path

import duckdb

from cxdata.i18n import register_text, translate
from cxdata.model.schema import create_schema

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "cx.duckdb"


def resolve_db_path(path: str | os.PathLike | None = None) -> Path:
    """The database to use: an explicit path, else ``$CX_DB``, else ``data/cx.duckdb``."""
    if path:
        return Path(path)
    env = os.environ.get("CX_DB")
    return Path(env) if env else DEFAULT_DB_PATH


def first_start_marker(path: Path) -> Path:
    """The file that remembers a database was once at ``path`` (beside it, hidden)."""
    return path.with_name(f".{path.name}.created")


def is_first_start(path: Path) -> bool:
    """True when the dashboard may build the sample at ``path``: nothing configured (``$CX_DB``
    unset, the default path), no file there, and never one there before."""
    return (not os.environ.get("CX_DB") and Path(path) == DEFAULT_DB_PATH and not Path(path).exists()
            and not first_start_marker(Path(path)).exists())


def remember_database(path: Path) -> None:
    """Mark that a database exists at the default path, so a later disappearance is an error.
    Best effort: a read-only folder only loses the memory across server restarts."""
    path = Path(path)
    if path != DEFAULT_DB_PATH:
        return
    marker = first_start_marker(path)
    if not marker.exists():
        try:
            marker.write_text("The dashboard's database was created here; if it is missing, restore it "
                              "(the dashboard never replaces it with the sample).\n", encoding="utf-8")
        except OSError:
            pass


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


def build_database_atomically(path: str | os.PathLike, fill, *, force: bool = False):
    """Create a database at ``path``: the schema, then ``fill(connection)``, whose result is returned.

    Atomic: built in a temporary file in the same folder and moved onto ``path`` with os.replace,
    so a killed build never leaves a half-written database. FileExistsError if ``path`` exists
    and not ``force``.
    """
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass force=True to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.building.duckdb")
    try:
        con = duckdb.connect(str(temp))
        try:
            con.execute("SET enable_progress_bar = false")  # a library call should not draw on the terminal
            create_schema(con)
            result = fill(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        # A write-ahead log left by the replaced database would be replayed onto the new one.
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
        temp.with_name(temp.name + ".wal").unlink(missing_ok=True)
    return result


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
    _snapshot_reads[cursor] = {}
    return cursor


def is_duckdb(db) -> bool:
    """True for an Ibis DuckDB backend: the only one the rollups' SQL readers run on."""
    return getattr(db, "name", None) == "duckdb"


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


def read_once(con, name: str, read):
    """``read()``, kept under ``name`` for a ``snapshot_cursor`` (whose tables cannot change), read
    again every time on any other connection. For the few-row tables that say what the rollups
    hold: the money page asked them about ten times per filter change (~1-2 ms each)."""
    reads = _snapshot_reads.get(con)
    if reads is None:
        return read()
    if name not in reads:
        reads[name] = read()
    return reads[name]


# snapshot cursor -> {name: result} of read_once; a cursor serves one thread at a time.
_snapshot_reads: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


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


_PROBLEM_TEXT = {
    "db_missing": {
        "en": "The database file {name} is missing, so there is nothing to show. Ask an administrator to restore "
              "it from a backup.",
        "ru": "Файл базы данных {name} отсутствует, показывать нечего. Попросите администратора восстановить его "
              "из резервной копии."},
    "db_damaged": {
        "en": "The database file {name} is damaged and cannot be read; no numbers are shown rather than wrong "
              "ones. Ask an administrator to restore it from a backup.",
        "ru": "Файл базы данных {name} повреждён и не читается; лучше не показывать цифры, чем показать неверные. "
              "Попросите администратора восстановить его из резервной копии."},
    "db_not_dashboard": {
        "en": "The file {name} is a database, but not the dashboard's (its tables are missing). Ask an "
              "administrator to point the dashboard at the right file.",
        "ru": "Файл {name} — база данных, но не дашборда (нет его таблиц). Попросите администратора указать "
              "дашборду правильный файл."},
    "db_busy": {
        "en": "The database file {name} is in use by another program and cannot be opened now. Try again in a "
              "minute; if this persists, ask an administrator.",
        "ru": "Файл базы данных {name} занят другой программой и сейчас не открывается. Повторите через минуту; "
              "если не поможет, обратитесь к администратору."},
    "db_forbidden": {
        "en": "The database file {name} cannot be read: the server has no permission. Ask an administrator to "
              "check the file's permissions.",
        "ru": "Файл базы данных {name} не читается: у сервера нет прав доступа. Попросите администратора "
              "проверить права на файл."},
    "db_unavailable": {
        "en": "The database file {name} cannot be read right now. Try again in a minute; if this persists, ask "
              "an administrator (the server log has the details).",
        "ru": "Файл базы данных {name} сейчас не читается. Повторите через минуту; если не поможет, обратитесь "
              "к администратору (подробности в журнале сервера)."},
}


def classify_database_error(error: BaseException) -> str:
    """Why a database cannot be used, as the key of its message (``describe_database_error``).

    >>> classify_database_error(FileNotFoundError("x")), classify_database_error(duckdb.IOException("Could not set lock on file"))
    ('db_missing', 'db_busy')
    >>> classify_database_error(duckdb.Error("Corrupt database file: computed checksum 1 does not match"))
    'db_damaged'
    """
    text = str(error).lower()
    if isinstance(error, FileNotFoundError):
        return "db_missing"
    if isinstance(error, PermissionError) or "permission denied" in text:
        return "db_forbidden"
    if isinstance(error, duckdb.CatalogException):
        return "db_not_dashboard"
    if "lock" in text and isinstance(error, duckdb.IOException):
        return "db_busy"
    if any(sign in text for sign in ("not a valid duckdb database", "corrupt", "checksum", "could not read enough bytes",
                                     "serialization", "invalidated")):
        return "db_damaged"
    return "db_unavailable"


def describe_database_error(error: BaseException, where: str | os.PathLike, lang: str) -> str:
    """One line for the reader: what is wrong with the database at ``where`` (the page passes the
    file's name only, the command line the whole path) and what to do; never the engine's text.

    >>> describe_database_error(FileNotFoundError("/srv/cx/data/cx.duckdb"), "cx.duckdb", "en")
    'The database file cx.duckdb is missing, so there is nothing to show. Ask an administrator to restore it from a backup.'
    """
    return translate(classify_database_error(error), lang, name=str(where))

register_text(_PROBLEM_TEXT)
