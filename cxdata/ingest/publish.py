"""Changes are published as a new file: a load or an undo runs on a copy of the database, which
then atomically replaces it (``os.replace``).

Why: DuckDB lets a file be open read-write by one process only, and not while another process
reads it. The dashboard keeps a read-only connection open, so writing in place would block
uploads while anyone browses (and browsing during an upload). With a copy, readers keep the file
they opened — the old data, consistent — until their next rerun opens the new one (the dashboard
keys its connection by the file's inode and its caches by the data version); nobody waits, and a
killed upload leaves the database untouched (only its temporary copy behind, removed next time).
The upload lock on the live path serializes writers for the whole copy-change-replace.

Once a change that moves the numbers is published (a load that loaded rows, an undo, a new as-of
date), the forecast models are refitted for it in a background process
(``cxdata.engine.fit_store.start_refit``), after the lock is released: the change's own commit
never waits for a fit.
"""

from __future__ import annotations

import logging
import os
import shutil
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from cxdata.engine.db import resolve_db_path
from cxdata.engine.fit_store import start_refit
from cxdata.ingest.locking import lock_path_for, upload_lock

_LOGGER = logging.getLogger(__name__)


def _work_path(live: Path) -> Path:
    return live.with_name(f".{live.name}.work")


def _remove_work_files(work: Path) -> None:
    for leftover in (work, Path(f"{work}.wal"), lock_path_for(work)):
        leftover.unlink(missing_ok=True)


@contextmanager
def working_copy(db_path, *, timeout: float, holder: dict, on_wait=None) -> Iterator[tuple[Path, float]]:
    """Hold the upload lock, yield (a fresh copy of the database to change, seconds waited for the
    lock); publish the copy on success.

    An exception inside the block discards the copy and leaves the database as it was.
    """
    live = resolve_db_path(db_path)
    live.parent.mkdir(parents=True, exist_ok=True)
    with upload_lock(live, timeout=timeout, holder=holder, on_wait=on_wait) as waited:
        work = _work_path(live)
        _remove_work_files(work)  # a copy left by a killed upload
        try:
            if live.exists():
                shutil.copyfile(live, work)
                if Path(f"{live}.wal").exists():
                    shutil.copyfile(f"{live}.wal", f"{work}.wal")
            yield work, waited
            os.replace(work, live)
            Path(f"{live}.wal").unlink(missing_ok=True)  # replaced along with the file it belonged to
        finally:
            _remove_work_files(work)


def load_and_publish(db_path, table: str, path, *, dry_run: bool = False, lock_timeout: float = 60.0,
                     progress=None, user: str = "local", seen_state: tuple | None = None, **options):
    """``load_extract`` on a working copy, published atomically (a dry run reads the file itself).

    ``seen_state``: ``log.read_table_state`` of ``table`` when the load was asked for; a load that
    overwrites rows (``replace``, ``upsert``) refuses with TargetChanged when the table was loaded
    or undone meanwhile (another upload it waited for), instead of overwriting work nobody saw.
    """
    from cxdata.ingest.loading import load_extract
    from cxdata.ingest.log import OVERWRITING_MODES, check_table_unchanged

    if dry_run:
        return load_extract(db_path, table, path, dry_run=True, lock_timeout=lock_timeout, progress=progress,
                            user=user, **options)
    holder = {"user": user, "action": "load", "table": table, "file": Path(path).name,
              "since": datetime.now().strftime("%H:%M:%S")}

    def waiting(description: str) -> None:
        if progress:
            progress("waiting", 0.0)

    with working_copy(db_path, timeout=lock_timeout, holder=holder, on_wait=waiting) as (work, waited):
        if options.get("mode") in OVERWRITING_MODES and work.exists():
            check_table_unchanged(work, table, seen_state)
        report = load_extract(work, table, path, lock_timeout=lock_timeout, progress=progress, user=user, **options)
        report.waited_seconds += waited
    if report.status == "loaded":
        refit_in_background(db_path)
    return report


def undo_and_publish(db_path, upload_id: int, *, user: str = "local", owner: str | None = None,
                     seen_version: str | None = None, lock_timeout: float = 60.0) -> dict:
    """``undo_upload`` of the named upload on a working copy, published atomically. The copy is
    taken once the lock is held, so ``undo_upload`` checks ``owner`` and ``seen_version`` against
    the data as it is then, not as it was before the wait."""
    from cxdata.ingest.log import undo_upload

    live = resolve_db_path(db_path)
    if not live.exists():
        raise FileNotFoundError(f"database not found: {live}")
    holder = {"user": user, "action": "undo", "table": "", "upload_id": upload_id,
              "since": datetime.now().strftime("%H:%M:%S")}
    with working_copy(live, timeout=lock_timeout, holder=holder) as (work, _waited):
        result = undo_upload(work, upload_id, user=user, owner=owner, seen_version=seen_version,
                             lock_timeout=lock_timeout)
    refit_in_background(live)
    return result


def refit_in_background(db_path) -> None:
    """Start the refit of the forecast models for the data just published; a refit that cannot
    start (no process can be made, a read-only folder) leaves the change published, and the
    pages fit on their own."""
    try:
        start_refit(db_path)
    except OSError as error:
        _LOGGER.warning("the background refit could not start: %s", error)


def change_settings(db_path, changes: dict[str, str], *, user: str = "local", seen_version: str | None = None,
                    lock_timeout: float = 60.0) -> dict:
    """Store workspace settings (``cxdata.model.workspace.normalize_setting``'s values) on a working
    copy, published atomically, with an entry in the audit log (``settings_log``: who, when, old →
    new). A new ``settings_version`` makes every cached page stale; a new as-of date rebuilds the
    money rollup's period windows (the other rollups are all-time and are used only when no fact is
    dated after the as-of date: ``rollups.meta_says_fresh``).

    ``seen_version``: the settings version the writer decided on (the page's form); if another save
    landed meanwhile, ``SettingsChanged`` and nothing is stored. A save that changes no value stores
    nothing. Returns ``{"change_id", "changes": {setting: {"old", "new"}}, "settings_version"}``
    (``change_id`` None when nothing changed).
    """
    import uuid

    import duckdb

    from cxdata.engine.db import read_meta, write_meta
    from cxdata.engine.rollups_money import build_windows
    from cxdata.ingest.settings_log import check_settings_version, record_settings_change, shown_settings

    live = resolve_db_path(db_path)
    if not live.exists():
        raise FileNotFoundError(f"database not found: {live}")
    holder = {"user": user, "action": "settings", "table": "", "since": datetime.now().strftime("%H:%M:%S")}
    try:
        with working_copy(live, timeout=lock_timeout, holder=holder) as (work, _waited):
            con = duckdb.connect(str(work))
            try:
                check_settings_version(con, seen_version)
                meta = read_meta(con)
                before, after = shown_settings(meta), shown_settings({**meta, **changes})
                if before == after:
                    raise _NothingChanged(meta.get("settings_version") or "")
                version = uuid.uuid4().hex[:12]
                con.execute("BEGIN TRANSACTION")
                write_meta(con, **changes, settings_version=version)
                change_id = record_settings_change(con, user=user, before=before, after=after,
                                                   based_on=meta.get("settings_version") or "", version=version)
                if "as_of" in changes:
                    build_windows(con)
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
            finally:
                con.close()
    except _NothingChanged as unchanged:  # the copy is discarded: the database file stays as it was
        return {"change_id": None, "changes": {}, "settings_version": unchanged.version}
    if "as_of" in changes:  # the forecast is made as of that day
        refit_in_background(live)
    return {"change_id": change_id, "settings_version": version,
            "changes": {key: {"old": before[key], "new": after[key]} for key in before if before[key] != after[key]}}


class _NothingChanged(Exception):
    def __init__(self, version: str):
        super().__init__(version)
        self.version = version


class _AlreadyCurrent(Exception):
    """Raised inside a working copy to discard it: another writer rebuilt the rollups meanwhile."""


def refresh_and_publish(db_path, *, user: str = "local", lock_timeout: float = 60.0) -> dict:
    """Rebuild every rollup of the database, when they are not current (``rollups_are_current``:
    laid out by older code, built for other data, or missing), on a working copy published
    atomically; a running dashboard keeps reading the old file until its next rerun opens the new
    one. The data and its version stay as they are: only the saved copies change.

    {"rebuilt": True, "shape": ..., "seconds": ...} or {"rebuilt": False} when there is nothing to
    do (checked on the file first, without the lock, and again on the copy once the lock is held).
    FileNotFoundError when there is no database; UploadBusyError when another upload holds it.
    """
    import time

    import duckdb

    from cxdata.engine.db import open_snapshot
    from cxdata.engine.rollups import SHAPE, refresh_rollups, rollups_are_current

    live = resolve_db_path(db_path)
    if not live.exists():
        raise FileNotFoundError(f"database not found: {live}")
    started = time.monotonic()
    con = open_snapshot(live)  # the file the path names now, whatever this process opened before
    try:
        if rollups_are_current(con):
            return {"rebuilt": False}
    finally:
        con.close()
    holder = {"user": user, "action": "refresh", "table": "", "since": datetime.now().strftime("%H:%M:%S")}
    try:
        with working_copy(live, timeout=lock_timeout, holder=holder) as (work, _waited):
            con = duckdb.connect(str(work))
            try:
                if rollups_are_current(con):
                    raise _AlreadyCurrent
                con.execute("BEGIN TRANSACTION")
                refresh_rollups(con)
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
            finally:
                con.close()
    except _AlreadyCurrent:
        return {"rebuilt": False}
    return {"rebuilt": True, "shape": SHAPE, "seconds": round(time.monotonic() - started, 2)}
