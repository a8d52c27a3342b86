"""Uploads publish a new file: the dashboard keeps reading while a load runs, then sees the new data."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from cxdata.engine.db import open_snapshot, read_meta
from tests.conftest import ROOT, shown


def cli(*args):
    return subprocess.run([sys.executable, "-m", "cxdata.ingest", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def count(con, table="transactions") -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def test_a_reader_is_not_blocked_and_sees_old_then_new_data(sample_db, tmp_path):
    db = tmp_path / "live.duckdb"
    shutil.copy(sample_db, db)
    extract = tmp_path / "purchases.csv"
    extract.write_text(
        "transaction_id;customer_id;occurred_at;amount;product;channel\n"
        "X1;C0000001;31.12.2025;1 250,50;Basic;web\n"
        "X2;C0000002;31.12.2025;-99,90;Basic;web\n",
        encoding="cp1251",
    )
    reader = open_snapshot(db)  # what the dashboard holds open
    before, version = count(reader), read_meta(reader)["data_version"]

    loaded = cli("load", "transactions", str(extract), "--db", str(db), "--wait", "5")
    assert loaded.returncode == 0, loaded.stderr
    report = json.loads(loaded.stdout)
    assert report["status"] == "loaded" and report["rows_loaded"] == 2

    assert count(reader) == before  # the open reader still sees its consistent old file
    fresh = open_snapshot(db)  # what the dashboard opens on its next rerun
    assert count(fresh) == before + 2
    meta = read_meta(fresh)
    assert meta["data_version"] != version and meta["rollup_version"] == meta["data_version"]
    assert fresh.execute("SELECT amount FROM transactions WHERE transaction_id = 'X1'").fetchall() == [(1250.5,)]
    fresh.close()

    undone = cli("undo", str(report["upload_id"]), "--db", str(db), "--wait", "5")
    assert undone.returncode == 0, undone.stderr
    after = open_snapshot(db)
    assert count(after) == before
    after.close()
    reader.close()
    assert not list(tmp_path.glob(".live.duckdb.work*"))  # no working copy left behind


def test_the_running_dashboard_shows_an_upload_on_its_next_rerun(sample_db, tmp_path, monkeypatch):
    from tests.test_app import open_app

    db = tmp_path / "live.duckdb"
    shutil.copy(sample_db, db)
    app = open_app(tmp_path, monkeypatch, db)
    revenue_note = next(shown(c.value) for c in app.caption if "RUB · n = " in shown(c.value))
    extract = tmp_path / "big.csv"
    extract.write_text("transaction_id,customer_id,occurred_at,amount,product,channel\n"
                       "Y1,C0000001,2025-12-30,1000000,Pro,web\n", encoding="utf-8")
    assert cli("load", "transactions", str(extract), "--db", str(db), "--wait", "5").returncode == 0
    app.run()
    assert not app.exception
    new_note = next(shown(c.value) for c in app.caption if "RUB · n = " in shown(c.value))
    assert new_note != revenue_note and "n = " in new_note
