"""One upload at a time per database: an exclusive lock file next to it, and opening the file itself.

``<database>.upload.lock`` is locked with ``fcntl.flock`` for the whole upload or undo; the
holder writes who it is (pid, user, table, file, since) into it, so a second upload can say what
it is waiting for. The kernel releases the lock when the holder dies, even by SIGKILL: a killed
upload never blocks the next one. DuckDB's own file lock also refuses a second writer process
(and a writer while another process reads); opening is retried until the same deadline.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from cxdata.ingest.errors import UploadBusyError

_POLL_SECONDS = 0.1


def lock_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".upload.lock")


@contextmanager
def upload_lock(db_path: Path, *, timeout: float, holder: dict,
                on_wait: Callable[[str], None] | None = None) -> Iterator[float]:
    """Hold the database's upload lock; yields the seconds spent waiting for it.

    ``on_wait`` is called once, with a description of the current holder, when the lock is taken.
    UploadBusyError after ``timeout`` seconds.
    """
    path = lock_path_for(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    started = time.monotonic()
    try:
        told = False
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                current = describe_holder(path)
                if on_wait and not told:
                    on_wait(current)
                    told = True
                if time.monotonic() - started >= timeout:
                    raise UploadBusyError(
                        f"another upload is still running on {db_path} ({current}); waited {timeout:g} s. "
                        "Try again when it has finished.", holder=read_holder(path)) from None
                time.sleep(_POLL_SECONDS)
        waited = time.monotonic() - started
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps({**holder, "pid": os.getpid()}, ensure_ascii=False).encode("utf-8"), 0)
        try:
            yield waited
        finally:
            os.ftruncate(descriptor, 0)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def read_holder(lock_path: Path) -> dict:
    """What the current holder wrote into the lock file ({} when unknown)."""
    try:
        holder = json.loads(lock_path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def describe_holder(lock_path: Path) -> str:
    """'pid 123, user anna, transactions from sales.csv, since 10:02:03' (or 'unknown holder')."""
    holder = read_holder(lock_path)
    if not holder:
        return "holder unknown"
    parts = [f"pid {holder.get('pid')}", f"user {holder.get('user')}"]
    if holder.get("table"):
        parts.append(f"{holder.get('action', 'load')} of {holder['table']}"
                     + (f" from {holder['file']}" if holder.get("file") else ""))
    if holder.get("since"):
        parts.append(f"since {holder['since']}")
    return ", ".join(parts)


def open_database(db_path: Path, *, read_only: bool, deadline: float) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while another process holds DuckDB's file lock, until ``deadline`` (monotonic)."""
    while True:
        try:
            con = duckdb.connect(str(db_path), read_only=read_only)
            con.execute("SET enable_progress_bar = false")
            return con
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise UploadBusyError(
                    f"the database {db_path} is open in another program (a running dashboard, a notebook, "
                    "another upload); close it or try again later") from None
            time.sleep(_POLL_SECONDS * 2)


@contextmanager
def connected(db_path: Path, *, read_only: bool, deadline: float,
              connection: duckdb.DuckDBPyConnection | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for one upload: a cursor of the caller's (the app's) connection, else the file opened."""
    if connection is not None:
        con = connection.cursor()
    else:
        con = open_database(db_path, read_only=read_only, deadline=deadline)
    try:
        yield con
    finally:
        con.close()
