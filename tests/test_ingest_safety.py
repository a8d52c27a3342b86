"""Nothing lost: a killed load, two loads at once, a busy database, and a million rows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from cxdata.ingest import UploadBusyError, list_uploads, load_extract
from cxdata.ingest.locking import upload_lock
from tests.fixtures.ingest.support import (
    ROOT,
    fixture,
    meta,
    new_database,
    query,
    snapshot,
)

# A load in a child process that reports each stage on stdout and can be told to stop at one of
# them (e.g. with the rows inserted but not committed) until a release file appears or time is up.
LOADER = """
import json, os, sys, time
from cxdata.ingest import load_extract
db, table, path, pause_at, pause_seconds, release = sys.argv[1:7]
def progress(stage, fraction):
    print(stage, flush=True)
    deadline = time.monotonic() + float(pause_seconds)
    while stage == pause_at and time.monotonic() < deadline and not os.path.exists(release):
        time.sleep(0.05)
report = load_extract(db, table, path, progress=progress, lock_timeout=60)
print("REPORT " + json.dumps(report.to_dict()), flush=True)
"""


def start_loader(db, path, pause_at="", pause_seconds=0.0, release="", table="transactions") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", LOADER, str(db), table, str(path), pause_at, str(pause_seconds),
                             str(release)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_line(process: subprocess.Popen, wanted: str, timeout: float = 60) -> list[str]:
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line.strip())
        if line.strip() == wanted:
            return seen
    raise AssertionError(f"never saw {wanted!r}; saw {seen}; stderr: {process.stderr.read()[-2000:]}")


def write_transactions_csv(path, rows: int, prefix: str = "T") -> None:
    """A CSV of `rows` transactions in the Russian style (";", decimal comma, dotted dates), via DuckDB."""
    duckdb.execute(f"""
        COPY (SELECT '{prefix}' || i AS "Номер операции", 'C' || (i % 50000) AS "ID клиента",
                     strftime(TIMESTAMP '2024-01-01' + to_seconds(i * 31), '%d.%m.%Y %H:%M') AS "Дата операции",
                     replace(CAST(round((i % 10000) * 1.37 - 500, 2) AS VARCHAR), '.', ',') AS "Сумма",
                     CASE i % 3 WHEN 0 THEN 'card' WHEN 1 THEN 'loan' ELSE 'deposit' END AS "Продукт"
              FROM range({rows}) AS t(i)) TO '{path}' (HEADER, DELIMITER ';')""")


@pytest.fixture
def db(tmp_path):
    path = new_database(tmp_path / "cx.duckdb")
    assert load_extract(path, "transactions", fixture("transactions.tsv")).status == "loaded"  # some old data
    return path


def test_a_load_killed_in_the_middle_leaves_the_old_data(tmp_path, db):
    big = tmp_path / "big.csv"
    write_transactions_csv(big, 300_000, prefix="K")
    before, version, size = snapshot(db), meta(db)["data_version"], db.stat().st_size
    loader = start_loader(db, big, pause_at="refreshing", pause_seconds=60)
    stages = wait_for_line(loader, "refreshing")  # 300,000 rows inserted, nothing committed yet
    assert stages[-3:] == ["checking", "writing", "refreshing"]
    assert db.stat().st_size > size + 1_000_000  # DuckDB already wrote the new rows' blocks into the file
    os.kill(loader.pid, signal.SIGKILL)
    assert loader.wait(10) == -signal.SIGKILL
    con = duckdb.connect(str(db))  # opens (replaying what was committed) and is writable
    assert con.execute("SELECT count(*) FROM transactions").fetchall() == [(3,)]
    con.close()
    assert snapshot(db) == before and meta(db)["data_version"] == version
    assert [u["status"] for u in list_uploads(db)] == ["loaded"]
    report = load_extract(db, "transactions", fixture("transactions_no_id.csv"), lock_timeout=5)
    assert report.status == "loaded" and report.waited_seconds < 1  # the lock died with the process


def test_two_loads_at_once_are_serialized_with_a_message(tmp_path, db):
    first_file, second_file, release = tmp_path / "first.csv", tmp_path / "second.csv", tmp_path / "release"
    write_transactions_csv(first_file, 1000, prefix="A")
    write_transactions_csv(second_file, 2000, prefix="B")
    first = start_loader(db, first_file, pause_at="writing", pause_seconds=60, release=release)
    wait_for_line(first, "writing")  # the first holds the upload lock now, mid-load
    second = subprocess.Popen([sys.executable, "-m", "cxdata.ingest", "load", "transactions", str(second_file),
                               "--db", str(db)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiting = second.stderr.readline()  # the second says it waits, and for whom
    assert waiting.startswith("waiting for another upload to finish (pid ") and "transactions from first.csv" in waiting
    time.sleep(0.5)
    release.touch()
    first_out, _ = first.communicate(timeout=60)
    second_out, second_err = second.communicate(timeout=60)
    assert first.returncode == 0 and second.returncode == 0, second_err
    first_report, second_report = json.loads(first_out.split("REPORT ", 1)[1]), json.loads(second_out)
    assert (first_report["status"], second_report["status"]) == ("loaded", "loaded")
    assert second_report["waited_seconds"] >= 0.5
    assert query(db, "SELECT count(*) FROM transactions") == [(3 + 1000 + 2000,)]
    assert [(u["upload_id"], u["file_name"]) for u in list_uploads(db)] == [
        (3, "second.csv"), (2, "first.csv"), (1, "transactions.tsv")]


def test_a_busy_database_gives_a_clear_error_after_the_timeout(db):
    holder = {"user": "anna", "action": "load", "table": "surveys", "file": "big.xlsx", "since": "10:00:00"}
    with upload_lock(db, timeout=1, holder=holder):
        started = time.monotonic()
        with pytest.raises(UploadBusyError) as busy:
            load_extract(db, "transactions", fixture("transactions_no_id.csv"), lock_timeout=0.5)
        assert time.monotonic() - started < 5
    message = str(busy.value)
    assert f"pid {os.getpid()}, user anna, load of surveys from big.xlsx, since 10:00:00" in message
    assert "waited 0.5 s" in message
    assert load_extract(db, "transactions", fixture("transactions_no_id.csv")).status == "loaded"  # released


def test_a_database_held_open_by_another_program_is_reported(db):
    other = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                              "print('open', flush=True); time.sleep(30)", str(db)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "open"
        with pytest.raises(UploadBusyError, match="is open in another program"):
            load_extract(db, "transactions", fixture("transactions_no_id.csv"), lock_timeout=1)
    finally:
        other.kill()
        other.wait()


def test_a_million_rows_load_well_under_a_minute(tmp_path, capsys):
    db, big = tmp_path / "million.duckdb", tmp_path / "million.csv"
    write_transactions_csv(big, 1_000_000)
    stages = []
    started = time.monotonic()
    report = load_extract(db, "transactions", big, progress=lambda stage, fraction: stages.append((stage, fraction)))
    seconds = time.monotonic() - started
    with capsys.disabled():  # the timing is for people to read; it is not asserted (machines differ)
        print(f"\n1,000,000-row CSV ({big.stat().st_size / 1e6:.0f} MB): {report.status} in {seconds:.1f} s")
    assert report.status == "loaded" and report.rows_loaded == 1_000_000
    assert report.detected["decimal"] == "," and report.detected["date_formats"] == {"occurred_at": "%d.%m.%Y"}
    assert [s for s, _ in stages] == ["reading", "detecting", "validating", "checking", "writing", "refreshing",
                                      "committing", "done"]
    assert [f for _, f in stages] == sorted(f for _, f in stages)
    assert query(db, "SELECT count(*), count(DISTINCT transaction_id) FROM transactions") == [(1_000_000, 1_000_000)]
