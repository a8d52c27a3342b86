"""A workspace of your own from the command line: ``init --empty``, ``settings``, and the as-of date
that follows the data (the CDNOW transactions, a US CD shop, 1997-1998) unless pinned."""

import json
import subprocess
import sys
from datetime import date

import duckdb
import pandas as pd
import pytest

from cxdata.model.schema import TABLES
from tests.conftest import ROOT

CDNOW = ROOT / "tests" / "fixtures" / "cdnow" / "cdnow_transactions.csv"


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "cxdata", *args], check=False, cwd=ROOT, capture_output=True,
                          text=True, timeout=180)


def ok(result) -> dict | list:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def meta_of(path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()


@pytest.fixture
def empty_workspace(tmp_path):
    path = tmp_path / "own.duckdb"
    ok(run_cli("init", "--empty", "--currency", "usd", "--name", "CDNOW", "--db", str(path)))
    return path


def test_init_empty_makes_every_table_empty_with_the_settings_given(empty_workspace):
    con = duckdb.connect(str(empty_workspace), read_only=True)
    counts = {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0] for name in TABLES if name != "meta"}
    con.close()
    assert counts == {name: 0 for name in TABLES if name != "meta"}
    meta = meta_of(empty_workspace)
    assert meta["source"] == "empty" and meta["data_version"] and "as_of" not in meta
    settings = ok(run_cli("settings", "--db", str(empty_workspace)))
    assert settings == {"company_name": "CDNOW", "currency": "USD", "locale": "auto", "fiscal_year_start": 1,
                        "time_zone": "UTC", "as_of": "latest", "as_of_in_use": None, "data_start": None,
                        "data_end": None}
    metrics = ok(run_cli("metrics", "--db", str(empty_workspace)))
    assert metrics["revenue"]["n"] == 0 and metrics["nps"]["value"] is None


def test_settings_set_stores_valid_values_and_refuses_invalid_ones_changing_nothing(empty_workspace):
    printed = ok(run_cli("settings", "--db", str(empty_workspace), "--set", "locale=ru-RU", "--set", "fiscal_year_start=4",
                         "--set", "time_zone=Europe/Moscow", "--set", "company_name=Acme Ltd"))
    assert (printed["locale"], printed["fiscal_year_start"], printed["time_zone"], printed["company_name"]) == (
        "ru-RU", 4, "Europe/Moscow", "Acme Ltd")
    before = meta_of(empty_workspace)
    for assignment, words in (("currency=US$", "currency"), ("colour=red", "unknown setting 'colour'"),
                              ("fiscal_year_start=13", "1 to 12"), ("time_zone=Mars/Olympus", "time_zone"),
                              ("as_of=31.12.2025", "YYYY-MM-DD"), ("locale=xx-YY", "locale"), ("currency", "KEY=VALUE")):
        # The valid assignment before the bad one is not stored either: all or nothing.
        result = run_cli("settings", "--db", str(empty_workspace), "--set", "currency=EUR", "--set", assignment)
        assert result.returncode == 2, assignment
        assert result.stderr.count("\n") == 1 and words in result.stderr and "Traceback" not in result.stderr
        assert result.stdout == ""
    assert meta_of(empty_workspace) == before
    russian = run_cli("settings", "--db", str(empty_workspace), "--set", "colour=red", "--lang", "ru")
    assert russian.returncode == 2 and "неизвестная настройка «colour»" in russian.stderr
    missing = run_cli("settings", "--db", str(empty_workspace.with_name("nowhere.duckdb")))
    assert missing.returncode == 2 and not empty_workspace.with_name("nowhere.duckdb").exists()


def test_init_refuses_sample_options_with_empty_and_empty_options_without_it(tmp_path):
    for args in (["--empty", "--scale", "0.01"], ["--currency", "USD"], ["--empty", "--currency", "dollars"]):
        result = run_cli("init", "--db", str(tmp_path / "x.duckdb"), *args)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, args
        assert not (tmp_path / "x.duckdb").exists()


def test_as_of_follows_the_loaded_data_and_a_pin_stays(empty_workspace):
    frame = pd.read_csv(CDNOW, dtype={"customer_id": str})
    assert (frame["date"].min(), frame["date"].max()) == ("1997-01-01", "1998-06-30")
    report = ok(run_cli("load", "transactions", str(CDNOW), "--db", str(empty_workspace)))
    assert report["status"] == "loaded" and report["rows_loaded"] == len(frame) == 1198
    settings = ok(run_cli("settings", "--db", str(empty_workspace)))
    assert (settings["as_of"], settings["as_of_in_use"], settings["data_start"]) == ("latest", "1998-06-30", "1997-01-01")
    # The metrics' default period is the 90 days ending on the data's last day: 2 Apr - 30 Jun 1998.
    metrics = ok(run_cli("metrics", "--db", str(empty_workspace)))
    window = frame[(frame["date"] >= "1998-04-02") & (frame["date"] <= "1998-06-30")]
    assert metrics["revenue"]["value"] == pytest.approx(window["amount"].sum(), abs=1e-6)
    assert metrics["revenue"]["n"] == len(window)
    on_polars = ok(run_cli("metrics", "--db", str(empty_workspace), "--engine", "polars"))  # exports the file
    assert on_polars["revenue"]["value"] == pytest.approx(window["amount"].sum(), abs=1e-6)

    pinned = ok(run_cli("settings", "--db", str(empty_workspace), "--set", "as_of=1997-12-31"))
    assert (pinned["as_of"], pinned["as_of_in_use"]) == ("1997-12-31", "1997-12-31")
    # The money rollup's windows follow the pin (one rule decides the as-of date).
    con = duckdb.connect(str(empty_workspace), read_only=True)
    windows = con.execute("SELECT DISTINCT as_of FROM money_windows").fetchall()
    con.close()
    assert windows == [(date(1997, 12, 31),)]
    metrics = ok(run_cli("metrics", "--db", str(empty_workspace)))
    window = frame[(frame["date"] >= "1997-10-03") & (frame["date"] <= "1997-12-31")]
    assert metrics["revenue"]["value"] == pytest.approx(window["amount"].sum(), abs=1e-6)
    # The other engine reads the settings from its export of the file: the pin makes a new export.
    on_polars = ok(run_cli("metrics", "--db", str(empty_workspace), "--engine", "polars"))
    assert on_polars["revenue"]["value"] == pytest.approx(window["amount"].sum(), abs=1e-6)
    # Loading more data keeps a pinned as-of date, and warns about rows it hides.
    later = empty_workspace.with_name("later.csv")
    later.write_text("customer_id,date,amount\n99999,1998-07-15,10.50\n", encoding="utf-8")
    report = ok(run_cli("load", "transactions", str(later), "--db", str(empty_workspace)))
    assert [issue["code"] for issue in report["issues"] if issue["code"] == "after_as_of"] == ["after_as_of"]
    assert ok(run_cli("settings", "--db", str(empty_workspace)))["as_of_in_use"] == "1997-12-31"
    # Unpinned, it follows the data again, the new row included.
    assert ok(run_cli("settings", "--db", str(empty_workspace), "--set", "as_of=latest"))["as_of_in_use"] == "1998-07-15"


def test_a_complaints_extract_outside_the_sample_years_widens_all_time(tmp_path, sample_db):
    import shutil

    from cxdata.engine.query import open_backend
    from cxdata.engine.workspace import fetch_as_of, fetch_data_start

    path = tmp_path / "sample.duckdb"
    shutil.copyfile(sample_db, path)
    extract = tmp_path / "complaints.csv"
    extract.write_text("complaint_id,customer_id,opened_at,category\nc-old-1,,2015-03-04,billing\n", encoding="utf-8")
    ok(run_cli("load", "complaints", str(extract), "--db", str(path)))
    db = open_backend(path)
    # The sample's pinned as-of date stays; "All time" now starts at the complaint.
    assert (fetch_data_start(db), fetch_as_of(db)) == (date(2015, 3, 4), date(2025, 12, 31))
    db.disconnect()
