"""The forecast is refitted when the data changes: a load starts a background refit that stores
the fits beside the database for the new data version; ``refit`` runs it in the foreground; a
newer refit supersedes an older one; a killed one leaves nothing half-written; the Upload page
shows the progress in English and Russian."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date

import pytest

from cxdata.cli import main
from cxdata.engine import fit_store
from cxdata.engine.db import open_snapshot, read_meta
from cxdata.engine.query import open_backend
from cxdata.questions.clv import compute_clv_model
from cxdata.questions.fits import COMPUTING, FAILED, MISSING, READY, read_stored_fit
from tests.conftest import ROOT

AS_OF = date(2025, 12, 31)
WAIT_SECONDS = 300  # a fit on the test sample takes seconds; a busy machine may take longer


@pytest.fixture
def live_db(sample_db, tmp_path):
    """A copy of the session sample, so its fits folder is this test's own."""
    path = tmp_path / "live.duckdb"
    shutil.copy(sample_db, path)
    return path


def data_version(db) -> str:
    con = open_snapshot(db)
    try:
        return read_meta(con)["data_version"]
    finally:
        con.close()


def wait_for(condition, timeout: float = WAIT_SECONDS, what: str = "the refit"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A child of this process that exited stays a zombie until reaped: gone all the same.
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        return False


def write_purchases(path) -> None:
    path.write_text(
        "transaction_id;customer_id;occurred_at;amount;product;channel\n"
        "R1;C0000001;30.12.2025;1 250,50;Basic;web\n"
        "R2;C0000002;31.12.2025;990,00;Basic;web\n",
        encoding="utf-8",
    )


def test_a_command_line_load_refits_the_forecast_for_the_new_data(live_db, tmp_path, monkeypatch):
    monkeypatch.setenv(fit_store.BACKGROUND_REFIT_ENV, "1")
    extract = tmp_path / "purchases.csv"
    write_purchases(extract)
    before = data_version(live_db)
    loaded = subprocess.run([sys.executable, "-m", "cxdata", "load", "transactions", str(extract), "--db", str(live_db),
                             "--wait", "5"], cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["status"] == "loaded"  # the load returned before the fit
    version = data_version(live_db)
    assert version != before
    key = fit_store.fit_key(version, AS_OF)

    def finished():
        status = fit_store.read_status(live_db)
        return status if status is not None and status.state == "done" else None

    status = wait_for(finished)
    assert status.key == key and status.steps == ["clv", "churn_risk", "topics"] and status.progress == 1.0
    wait_for(lambda: process_gone(status.pid), what="the refit's exit")
    stored, state = read_stored_fit(live_db, "clv", key)
    assert state == READY

    expected = compute_clv_model(open_backend(live_db), AS_OF)
    assert stored.fit.params() == pytest.approx(expected.fit.params(), rel=1e-9)
    assert stored.calibration_fit.params() == pytest.approx(expected.calibration_fit.params(), rel=1e-9)
    assert len(stored.customers) == len(expected.customers)
    # Only this data version's folder, and no temporary file, is left.
    folder = fit_store.fits_folder(live_db)
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == [key]
    assert not list(folder.rglob("*.tmp"))


def test_refit_prints_the_fits_it_stored(live_db, capsys):
    assert main(["refit", "--db", str(live_db)]) == 0
    printed = json.loads(capsys.readouterr().out)
    key = fit_store.fit_key(data_version(live_db), AS_OF)
    assert printed["key"] == key and printed["as_of"] == "2025-12-31"
    expected = compute_clv_model(open_backend(live_db), AS_OF)
    clv = printed["fits"]["clv"]
    # Two processes sum the spend in their own thread order: the fits agree to ~1e-7, not bit for bit.
    assert clv["params"] == pytest.approx({k: round(v, 6) for k, v in expected.fit.params().items()}, rel=1e-6)
    assert clv["customers"] == len(expected.customers) == 7202
    stored, state = read_stored_fit(live_db, "clv", key)
    assert state == READY and stored.fit.params() == pytest.approx(expected.fit.params(), rel=1e-6)
    # Run again on the same data: the stored fit is read, not fitted again, and prints the same.
    assert main(["refit", "--db", str(live_db)]) == 0
    again = json.loads(capsys.readouterr().out)["fits"]["clv"]
    assert again["stored_before"] is True and again["params"] == clv["params"]
    status = fit_store.read_status(live_db)
    assert status.state == "done" and status.key == key and not status.is_alive


def test_a_newer_refit_supersedes_an_older_one(live_db, monkeypatch):
    monkeypatch.setenv(fit_store.BACKGROUND_REFIT_ENV, "1")
    older = fit_store.start_refit(live_db)
    wait_for(lambda: (s := fit_store.read_status(live_db)) is not None and s.state == "running", what="the first refit")
    newer = fit_store.start_refit(live_db)
    assert older.wait(timeout=WAIT_SECONDS) == 1  # it stopped at its next heartbeat: another one took over
    assert newer.wait(timeout=WAIT_SECONDS) == 0
    status = fit_store.read_status(live_db)
    assert status.state == "done" and status.pid == newer.pid
    assert read_stored_fit(live_db, "clv", status.key)[1] == READY


def test_a_killed_refit_leaves_nothing_half_written(live_db, monkeypatch, capsys):
    monkeypatch.setenv(fit_store.BACKGROUND_REFIT_ENV, "1")
    process = fit_store.start_refit(live_db)
    key = fit_store.fit_key(data_version(live_db), AS_OF)
    wait_for(lambda: (s := fit_store.read_status(live_db)) is not None and s.state == "running", what="the refit")
    assert read_stored_fit(live_db, "clv", key)[1] == COMPUTING
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    folder = fit_store.fits_folder(live_db)
    for path in folder.rglob(f"*{fit_store.SUFFIX}"):  # killed after a fit was stored: it is whole
        assert read_stored_fit(live_db, "clv", path.parent.name)[0] is not None
    if not list(folder.rglob(f"*{fit_store.SUFFIX}")):  # killed before: no fit, and soon no refit either
        monkeypatch.setattr(fit_store, "STALE_AFTER_SECONDS", 0.0)
        assert read_stored_fit(live_db, "clv", key) == (None, MISSING)
    # The next refit clears what the killed one may have left half-written.
    assert main(["refit", "--db", str(live_db)]) == 0
    capsys.readouterr()
    assert not list(folder.rglob("*.tmp"))
    assert read_stored_fit(live_db, "clv", key)[1] == READY


def test_a_fit_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    db = tmp_path / "x.duckdb"

    def fail(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        fit_store.write_fit(db, "clv", "abc-2025-12-31", {"big": list(range(1000))})
    assert not list(fit_store.fits_folder(db).rglob("*"))[1:]  # the key folder at most, empty
    assert fit_store.read_fit(db, "clv", "abc-2025-12-31") is None


def test_a_failed_refit_is_told_apart_from_a_missing_one(live_db):
    key = fit_store.fit_key(data_version(live_db), AS_OF)
    assert read_stored_fit(live_db, "clv", key) == (None, MISSING)
    fit_store.write_status(live_db, fit_store.RefitStatus(owner="x", state="failed", key=key, error="clv"))
    assert read_stored_fit(live_db, "clv", key) == (None, FAILED)
    # Background refits are off in the suite: a missing fit starts nothing and stays missing.
    fit_store.write_status(live_db, fit_store.RefitStatus(owner="x", state="done", key="other-2025-12-31"))
    assert read_stored_fit(live_db, "clv", key, start_missing=True) == (None, MISSING)


def test_a_refit_starts_after_every_change_that_moves_the_numbers_and_only_then(live_db, tmp_path, monkeypatch):
    from cxdata.ingest import publish

    started = []
    monkeypatch.setattr(publish, "start_refit", lambda path: started.append(path))
    extract = tmp_path / "purchases.csv"
    write_purchases(extract)
    report = publish.load_and_publish(live_db, "transactions", extract, lock_timeout=5)
    assert report.status == "loaded" and len(started) == 1
    assert publish.load_and_publish(live_db, "transactions", extract, lock_timeout=5).status == "unchanged"
    assert publish.load_and_publish(live_db, "transactions", extract, dry_run=True, lock_timeout=5) is not None
    assert len(started) == 1  # the same file again, a dry run: the data did not change
    publish.undo_and_publish(live_db, report.upload_id, lock_timeout=5)
    assert len(started) == 2
    publish.change_settings(live_db, {"currency": "EUR"}, lock_timeout=5)
    assert len(started) == 2  # the forecast does not depend on the currency
    publish.change_settings(live_db, {"as_of": "2025-11-30"}, lock_timeout=5)
    assert len(started) == 3
