"""Model fits stored beside the database, one folder per data version, refitted in the background
when the data changes.

Why beside it and not in it: a load or an undo replaces the database file with a new copy
(``cxdata.ingest.publish``), and a fit at scale 1 takes minutes; writing it into the file would
hold the upload lock that long. So a load publishes first, then starts a separate process
(``python -m cxdata refit``) that fits every model of ``cxdata.questions.fits.FITS`` for the new
data and stores each result here, while the dashboard keeps serving.

Layout, for the database ``data/cx.duckdb``::

    data/fits/cx.duckdb/status.json               the latest refit: who runs it, which step, done or failed
    data/fits/cx.duckdb/<key>/<fit name>.pickle   one fit of the data version ``key``
    data/fits/cx.duckdb/refit.log                 the background processes' own messages

``key`` is the data version and the as-of date the fits were computed for (``fit_key``). Every
file is written to a temporary name and renamed, so a crash or a kill leaves either the whole
file or none. The folder is trusted as the database is (the server writes both): the fits are
pickles of our own frames and parameters.

A newer refit supersedes an older one: each refit owns ``status.json`` by a token of its own, and
a refit that finds another token there stops (between two writes, never in the middle of one).
``status.json`` carries a heartbeat, so a refit killed without a word is seen as gone, not as
running for ever.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import pickle
import shutil
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from cxdata.engine.db import resolve_db_path

_LOGGER = logging.getLogger(__name__)

# "0" (or "off", "no", "false") turns the automatic refit after a load, an undo or an as-of change
# off: the test suite does, and starts one where it tests it. ``python -m cxdata refit`` always runs.
BACKGROUND_REFIT_ENV = "CX_BACKGROUND_REFIT"
HEARTBEAT_SECONDS = 2.0
# A running refit whose heartbeat is older than this was killed or crashed.
STALE_AFTER_SECONDS = 30.0
SUFFIX = ".pickle"


def fit_key(data_version: str, as_of: date) -> str:
    """The folder name of the fits of one data version as of one day.

    >>> fit_key("3f2a9c0d1e2b", date(2025, 12, 31))
    '3f2a9c0d1e2b-2025-12-31'
    """
    if not data_version or any(c in data_version for c in "/\\."):
        raise ValueError(f"not a data version: {data_version!r}")
    return f"{data_version}-{as_of.isoformat()}"


def fits_folder(db_path=None) -> Path:
    """``fits/<database file name>/`` in the database's folder."""
    live = resolve_db_path(db_path)
    return live.parent / "fits" / live.name


@dataclass
class RefitStatus:
    """What ``status.json`` says about the latest refit.

    ``state``: ``starting`` (a process was started, it has not read the data yet), ``running``,
    ``done`` or ``failed``. ``steps`` are the fits' names in order; ``step`` the one running
    (1-based, 0 before the first) and ``fraction`` how far it is (0 … 1).
    """

    owner: str
    state: str
    pid: int | None = None
    key: str | None = None
    steps: list[str] = field(default_factory=list)
    step: int = 0
    fraction: float = 0.0
    started_at: float = 0.0
    finished_at: float | None = None
    heartbeat_at: float = 0.0
    error: str | None = None

    @property
    def is_alive(self) -> bool:
        """Starting or running, and heard from lately."""
        return self.state in ("starting", "running") and time.time() - self.heartbeat_at < STALE_AFTER_SECONDS

    @property
    def progress(self) -> float:
        """Share of the whole refit done (0 … 1)."""
        if self.state == "done":
            return 1.0
        if not self.steps or self.step == 0:
            return 0.0
        return min(1.0, (self.step - 1 + min(max(self.fraction, 0.0), 1.0)) / len(self.steps))

    @property
    def seconds(self) -> float | None:
        """How long the finished refit took."""
        return None if self.finished_at is None else self.finished_at - self.started_at


def read_status(db_path=None) -> RefitStatus | None:
    """The latest refit's status, or None when no refit ever ran (or the file is unreadable)."""
    path = fits_folder(db_path) / "status.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return RefitStatus(**data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as error:
        _LOGGER.warning("refit status %s unreadable: %s", path, error)
        return None


def write_status(db_path, status: RefitStatus) -> None:
    _write_atomically(fits_folder(db_path) / "status.json",
                      json.dumps(asdict(status), ensure_ascii=False).encode("utf-8"))  # fmt: skip


@contextmanager
def _status_lock(db_path):
    """Held while a refit checks who owns ``status.json`` and writes it, so a claim by a newer
    refit never falls between an older one's check and its write (the kernel frees it on death)."""
    path = fits_folder(db_path) / "status.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as file:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file.fileno(), fcntl.LOCK_UN)


def read_fit(db_path, name: str, key: str):
    """The stored fit ``name`` of the data ``key``, or None when there is none (yet)."""
    path = fits_folder(db_path) / key / f"{name}{SUFFIX}"
    try:
        with open(path, "rb") as file:
            return pickle.load(file)
    except FileNotFoundError:
        return None


def has_fit(db_path, name: str, key: str) -> bool:
    return (fits_folder(db_path) / key / f"{name}{SUFFIX}").is_file()


def write_fit(db_path, name: str, key: str, value) -> Path:
    """Store ``value`` as the fit ``name`` of the data ``key`` (whole or not at all)."""
    path = fits_folder(db_path) / key / f"{name}{SUFFIX}"
    _write_atomically(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def prune_other_keys(db_path, key: str) -> None:
    """Remove the folders of other data versions that are older than ``key``'s: the dashboard
    reads a fit once per data version, and a newer refit's folder (still being written) stays."""
    folder = fits_folder(db_path)
    own = folder / key
    if not own.is_dir():
        return
    for other in folder.iterdir():
        if other.is_dir() and other.name != key and other.stat().st_mtime <= own.stat().st_mtime:
            shutil.rmtree(other, ignore_errors=True)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temp, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


# --- the background process ---------------------------------------------------------------------


def background_refit_enabled() -> bool:
    return os.environ.get(BACKGROUND_REFIT_ENV, "1").strip().lower() not in ("0", "off", "no", "false")


_started: list[subprocess.Popen] = []  # the refits this process started (the tests wait for them)


def start_refit(db_path=None) -> subprocess.Popen | None:
    """Start ``python -m cxdata refit --db PATH`` in a process of its own, which outlives this
    one (a command-line load returns at once), and name it in ``status.json`` as the latest
    refit, so an older one still running stops. None when background refits are off."""
    if not background_refit_enabled():
        return None
    live = resolve_db_path(db_path)
    folder = fits_folder(live)
    folder.mkdir(parents=True, exist_ok=True)
    owner, now = new_owner(), time.time()
    # Named the latest before it starts, so the older one stops and the pages see it coming.
    with _status_lock(live):
        write_status(live, RefitStatus(owner=owner, state="starting", started_at=now, heartbeat_at=now))
    root = Path(__file__).resolve().parents[2]  # where ``cxdata`` is importable from
    with open(folder / "refit.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cxdata", "refit", "--db", str(live), "--quiet", "--owner", owner], cwd=root,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
        )  # fmt: skip
    _started.append(process)
    return process


def new_owner() -> str:
    return uuid.uuid4().hex[:12]


def ensure_refit(db_path, names: list[str], key: str) -> RefitStatus | None:
    """Start a background refit when a fit of ``names`` is missing for ``key`` and no refit is
    running or has failed for it; returns the status then. The pages call it when they find no
    stored fit (a database built before refits existed, a refit killed on the way)."""
    if all(has_fit(db_path, name, key) for name in names):
        return read_status(db_path)
    status = read_status(db_path)
    if status is not None and (status.is_alive or (status.state == "failed" and status.key == key)):
        return status
    if start_refit(db_path) is None:
        return status
    return read_status(db_path)


def wait_for_started_refits(timeout: float = 600.0) -> None:
    """Wait for the refits this process started; stop those still running after ``timeout``."""
    deadline = time.monotonic() + timeout
    while _started:
        process = _started.pop()
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(timeout=10)


class RefitOwner:
    """The refit running in this process: it owns ``status.json`` by its token (``owner``, the
    one ``start_refit`` named it by, else a new one) and keeps the heartbeat in it. When a newer
    refit takes the file over, this process stops — between two writes, never in the middle of
    one (hold ``writing`` while storing a fit)."""

    def __init__(self, db_path, steps: list[str], owner: str | None = None):
        self.db_path = resolve_db_path(db_path)
        previous = read_status(self.db_path) if owner else None
        started = previous.started_at if previous is not None and previous.owner == owner else time.time()
        self.status = RefitStatus(owner=owner or new_owner(), state="running", pid=os.getpid(), steps=list(steps),
                                  started_at=started, heartbeat_at=time.time())  # fmt: skip
        # A refit started by start_refit was named the latest there (and may have been superseded
        # since); one started by hand becomes the latest now.
        self._claimed = owner is not None
        self.writing = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, key: str) -> None:
        self.status.key = key
        if not self._claimed:
            with self.writing, _status_lock(self.db_path):
                write_status(self.db_path, self.status)
            self._claimed = True
        self._publish()
        # Left by a refit killed while writing (this one now owns the folder): never read, removed.
        for leftover in fits_folder(self.db_path).rglob(".*.tmp"):
            leftover.unlink(missing_ok=True)
        self._thread = threading.Thread(target=self._beat, name="refit-heartbeat", daemon=True)
        self._thread.start()

    def report(self, step: int, fraction: float = 0.0) -> None:
        self.status.step, self.status.fraction = step, fraction
        self._publish()

    def finish(self, error: str | None = None) -> None:
        self._stopped.set()
        self.status.state = "failed" if error else "done"
        self.status.error = error
        self.status.finished_at = time.time()
        self._publish()

    def is_superseded(self) -> bool:
        latest = read_status(self.db_path)
        return latest is not None and latest.owner != self.status.owner

    def _publish(self) -> None:
        with self.writing, _status_lock(self.db_path):
            if self.is_superseded():
                print("refit stopped: the data changed and a newer refit took over", file=sys.stderr, flush=True)
                os._exit(1)
            self.status.heartbeat_at = time.time()
            write_status(self.db_path, self.status)

    def _beat(self) -> None:
        while not self._stopped.wait(HEARTBEAT_SECONDS):
            self._publish()
