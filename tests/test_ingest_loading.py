"""Loading: the real extracts through presets, modes, unchanged re-uploads, dry runs, the log and undo."""

from __future__ import annotations

import json

import shutil
import threading
from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from cxdata.engine.query import open_backend
from cxdata.engine.router import CURRENT, saved_copy_answers
from cxdata.ingest import UndoError, list_uploads, load_extract, undo_upload
from cxdata.model.filters import Filters
from cxdata.questions.metrics import compute_metrics
from cxdata.questions.overview import fetch_as_of
from tests.fixtures.ingest.support import (
    CFPB,
    TELCO,
    fixture,
    meta,
    new_database,
    query,
    require_dataset,
    snapshot,
    table_hash,
    write_csv,
)

NOW = datetime(2026, 1, 15, 9, 30)


@pytest.fixture
def db(tmp_path):
    return new_database(tmp_path / "cx.duckdb")


def load(db, table, path, **options):
    return load_extract(db, table, path, user="anna", now=NOW, **options)


# --- the real extracts -------------------------------------------------------------------------


def test_telco_customers_and_their_total_charges(tmp_path):
    db = tmp_path / "telco.duckdb"
    source = pd.read_csv(require_dataset(TELCO))
    customers = load(db, "customers", TELCO, mapping=fixture("preset_telco_customers.json"))
    assert (customers.status, customers.rows_read, customers.rows_loaded) == ("loaded", 7043, 7043)
    stored = dict(query(db, "SELECT segment, count(*) FROM customers GROUP BY segment"))
    assert stored == source["Contract"].value_counts().to_dict()

    charges = load(db, "transactions", TELCO, mapping=fixture("preset_telco_transactions.json"))
    total = pd.to_numeric(source["TotalCharges"], errors="coerce")
    assert (charges.status, charges.rows_loaded, charges.rows_skipped) == ("loaded", 7032, 11)
    (skipped,) = [i for i in charges.issues if i.code == "rows_skipped"]
    assert list(skipped.rows) == [i + 1 for i in source.index[total.isna()]]  # data row = pandas index + 1
    assert charges.counts["unknown_customers"] == 0 and charges.mapping["generated_key"] == "transaction_id"
    amount, products = query(db, "SELECT sum(amount), count(DISTINCT product) FROM transactions")[0]
    assert amount == pytest.approx(total.sum()) and products == 3
    # The dashboard's metric layer sees it: revenue of June 2020 is every customer's total charge.
    backend = open_backend(db)
    revenue = compute_metrics(backend, Filters(date(2020, 6, 1), date(2020, 6, 30)), fetch_as_of(backend))["revenue"]
    assert revenue.value == pytest.approx(total.sum())
    assert saved_copy_answers(CURRENT, backend)


def test_cfpb_complaints_with_line_breaks_in_narratives(tmp_path):
    db = tmp_path / "cfpb.duckdb"
    source = pd.read_csv(require_dataset(CFPB), dtype=str, keep_default_na=False)
    preset = json.loads(fixture("preset_cfpb_complaints.json").read_text())
    # The CFPB publishes no consumer id: refused until the analyst marks the file anonymous.
    refused = load(db, "complaints", CFPB, mapping=preset)
    assert refused.status == "rejected" and [i.code for i in refused.issues if i.is_error] == ["no_customer_column"]
    assert query(db, "SELECT count(*) FROM complaints") == [(0,)]
    report = load(db, "complaints", CFPB, mapping={**preset, "anonymous": True})
    assert (report.status, report.rows_read, report.rows_loaded) == ("loaded", 6623, 6623)
    assert report.counts["anonymous_rows"] == 6623
    assert report.detected["date_formats"] == {"opened_at": "%Y-%m-%d"}
    stored = dict(query(db, "SELECT complaint_id, text FROM complaints"))
    pairs = zip(source["Complaint ID"], source["Consumer complaint narrative"])
    expected = {complaint: text.strip() or None for complaint, text in pairs}
    assert stored == expected
    assert sum("\n" in (text or "") for text in stored.values()) == 602
    assert query(db, "SELECT min(opened_at), max(opened_at), count(customer_id) FROM complaints")[0] == (
        datetime(2015, 4, 6), datetime(2020, 3, 19), 0)
    assert dict(query(db, "SELECT channel, count(*) FROM complaints GROUP BY ALL")) == (
        source["Submitted via"].value_counts().to_dict())


# --- every format loads ------------------------------------------------------------------------


@pytest.mark.parametrize("table, name, options, rows", [
    ("transactions", "crm_transactions_cp1251.csv", {}, 5),
    ("transactions", "crm_transactions_cp1251.csv", {"mapping": fixture("preset_crm_cp1251.json")}, 5),
    ("surveys", "surveys_utf16.txt", {}, 3),
    ("customers", "customers_bom.csv", {"mode": "upsert"}, 3),  # C001..C003 are stored: updated
    ("transactions", "transactions.tsv", {}, 3),
    ("complaints", "complaints_pipe.txt", {}, 3),
    ("surveys", "surveys.xlsx", {}, 3),
    ("transactions", "surveys.xlsx", {"mapping": {"sheet": "Покупки"}}, 2),
    ("transactions", "transactions.parquet", {}, 3),
    ("journey_events", "journey_events.csv", {}, 3),
])
def test_each_format_loads(db, table, name, options, rows):
    report = load(db, table, fixture(name), **options)
    assert report.status == "loaded" and report.rows_loaded == rows
    assert query(db, f"SELECT count(*) FROM {table}")[0][0] == rows


def test_stored_values_of_the_russian_export(db):
    load(db, "transactions", fixture("crm_transactions_cp1251.csv"))
    assert query(db, "SELECT transaction_id, occurred_at, amount, product FROM transactions ORDER BY ALL")[:2] == [
        ("Ч-0001", datetime(2024, 12, 31), 1234.5, "Кредитная карта"),
        ("Ч-0002", datetime(2024, 12, 1, 14, 30), 99.9, "Вклад")]


# --- nothing changes unless it should ----------------------------------------------------------


def test_dry_run_changes_nothing(db):
    before, version = snapshot(db), meta(db)["data_version"]
    report = load(db, "transactions", fixture("crm_transactions_cp1251.csv"), dry_run=True)
    assert report.status == "loaded" and report.dry_run and report.upload_id is None and report.rows_loaded == 5
    assert report.preview[0]["transaction_id"] == "Ч-0001"
    assert snapshot(db) == before and meta(db)["data_version"] == version
    assert list_uploads(db) == []


def test_a_rejected_upload_changes_no_data_and_is_logged(db):
    before, version = snapshot(db), meta(db)["data_version"]
    report = load(db, "transactions", fixture("transactions_duplicates.csv"))
    assert report.status == "rejected" and report.rows_loaded == 0
    assert snapshot(db) == before and meta(db)["data_version"] == version
    (logged,) = list_uploads(db)
    assert (logged["upload_id"], logged["status"], logged["rows_rejected"]) == (report.upload_id, "rejected", 2)
    refused = load(db, "transactions", fixture("empty.csv"))
    assert refused.status == "rejected" and [i.code for i in refused.issues] == ["empty_file"]
    assert snapshot(db) == before and [u["status"] for u in list_uploads(db)] == ["rejected", "rejected"]


def test_the_same_file_again_is_unchanged(db):
    first = load(db, "transactions", fixture("transactions_no_id.csv"))
    version = meta(db)["data_version"]
    again = load(db, "transactions", fixture("transactions_no_id.csv"))
    assert (again.status, again.same_as_upload_id, again.rows_loaded) == ("unchanged", first.upload_id, 0)
    assert meta(db)["data_version"] == version and len(list_uploads(db)) == 1
    for mode in ("upsert", "replace"):
        assert load(db, "transactions", fixture("transactions_no_id.csv"), mode=mode).status == "unchanged"
    assert query(db, "SELECT count(*) FROM transactions")[0][0] == 6


def test_rows_sent_again_in_another_file_are_not_duplicated(tmp_path, db):
    load(db, "transactions", fixture("transactions_no_id.csv"))
    more = write_csv(tmp_path / "more.csv", fixture("transactions_no_id.csv").read_text() + "C001,2024-12-03,7,card\n")
    report = load(db, "transactions", more)
    assert (report.status, report.rows_loaded, report.counts["already_stored"]) == ("loaded", 1, 6)
    assert query(db, "SELECT count(*) FROM transactions")[0][0] == 7


def test_append_refuses_a_stored_key_with_other_values_upsert_updates_it(tmp_path, db):
    load(db, "transactions", fixture("transactions.tsv"))
    changed = write_csv(tmp_path / "changed.csv", "transaction_id,customer_id,occurred_at,amount\n"
                                                  "T1,C001,2024-12-31,1300\nT9,C002,2025-01-20,5\n")
    before = snapshot(db)
    appended = load(db, "transactions", changed)
    assert appended.status == "rejected" and appended.rows_rejected == 1
    assert [(i.row, i.code, i.value) for i in appended.issues if i.is_error] == [(1, "key_conflict", "T1")]
    assert snapshot(db) == before
    upserted = load(db, "transactions", changed, mode="upsert")
    assert (upserted.status, upserted.counts["inserted"], upserted.counts["updated"], upserted.rows_loaded) == (
        "loaded", 1, 1, 2)
    assert query(db, "SELECT amount FROM transactions WHERE transaction_id = 'T1'") == [(1300.0,)]
    with pytest.raises(ValueError, match="journey_events has no key"):
        load(db, "journey_events", fixture("journey_events.csv"), mode="upsert")


def test_replace_swaps_the_table(db):
    load(db, "transactions", fixture("transactions.tsv"))
    report = load(db, "transactions", fixture("transactions.parquet"), mode="replace")
    assert (report.counts["removed"], report.counts["inserted"]) == (3, 3)
    assert [r[0] for r in query(db, "SELECT transaction_id FROM transactions ORDER BY 1")] == ["P1", "P2", "P3"]


def test_every_load_bumps_the_data_version_and_refreshes_rollups(db):
    versions = [meta(db)["data_version"]]
    for name in ("transactions.tsv", "transactions.parquet"):
        report = load(db, "transactions", fixture(name))
        versions.append(meta(db)["data_version"])
        assert report.data_version == versions[-1] and meta(db)["rollup_version"] == versions[-1]
    assert len(set(versions)) == 3
    rollup = query(db, "SELECT sum(amount_sum) FROM transaction_daily")
    assert rollup == query(db, "SELECT sum(amount) FROM transactions")


def test_identical_journey_events_are_appended_with_a_warning(db):
    load(db, "journey_events", fixture("journey_events.csv"))
    (event,) = query(db, "SELECT count(*) FROM journey_events")
    assert event == (3,)


# --- the log and undo --------------------------------------------------------------------------


def test_the_log_says_who_when_what(db):
    report = load(db, "transactions", fixture("crm_transactions_cp1251.csv"), mode="append")
    (entry,) = list_uploads(db)
    assert entry["upload_id"] == report.upload_id == 1
    assert (entry["uploaded_by"], entry["uploaded_at"], entry["table_name"], entry["mode"], entry["status"]) == (
        "anna", "2026-01-15 09:30:00", "transactions", "append", "loaded")
    assert (entry["file_name"], entry["file_size_bytes"]) == ("crm_transactions_cp1251.csv", 309)
    assert entry["file_sha256"] == report.file["sha256"] and len(entry["file_sha256"]) == 64
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"]) == (5, 5, 0)


@pytest.mark.parametrize("mode, second", [("append", "transactions_no_id.csv"), ("upsert", "changed"),
                                          ("replace", "transactions.parquet")])
def test_undo_restores_exactly_the_previous_state(tmp_path, db, mode, second):
    load(db, "transactions", fixture("transactions.tsv"))
    load(db, "transactions", fixture("transactions_no_id.csv"))  # two equal rows stored twice: copies matter
    before = snapshot(db)
    hashes = {t: table_hash(rows) for t, rows in before.items()}
    version = meta(db)["data_version"]
    changed = "transaction_id,customer_id,occurred_at,amount\nT1,C001,2024-12-31,1\nT7,C003,2025-02-01,2\n"
    path = fixture(second) if second != "changed" else write_csv(tmp_path / "changed.csv", changed)
    if mode == "append":  # the same rows again plus one more: only the new one is inserted
        path = write_csv(tmp_path / "more.csv", fixture(second).read_text() + "C002,2024-12-01,50,card\n")
    report = load(db, "transactions", path, mode=mode)
    assert report.status == "loaded" and snapshot(db) != before
    undone = undo_upload(db, report.upload_id, user="boris")
    assert undone["upload_id"] == report.upload_id and undone["table"] == "transactions"
    after = snapshot(db)
    assert {t: table_hash(rows) for t, rows in after.items()} == hashes
    assert meta(db)["data_version"] not in (version, report.data_version)
    entry = next(u for u in list_uploads(db) if u["upload_id"] == report.upload_id)
    assert (entry["status"], entry["undone_by"]) == ("undone", "boris")
    assert query(db, "SELECT count(*) FROM upload_rows_transactions WHERE upload_id = ?", [report.upload_id]) == [(0,)]


def test_undo_order_and_errors(db):
    first = load(db, "transactions", fixture("transactions.tsv"))
    load(db, "transactions", fixture("transactions.parquet"))
    load(db, "surveys", fixture("surveys_utf16.txt"))
    with pytest.raises(UndoError, match="undo them first: 2"):
        undo_upload(db, first.upload_id)
    with pytest.raises(LookupError):
        undo_upload(db, 99)
    assert undo_upload(db, 3)["table"] == "surveys"
    undo_upload(db, 2)
    undo_upload(db, first.upload_id)
    with pytest.raises(UndoError, match="was undone"):
        undo_upload(db, first.upload_id)
    assert query(db, "SELECT count(*) FROM transactions") == [(0,)]
    again = load(db, "transactions", fixture("transactions.tsv"))  # an undone file can be loaded again
    assert again.status == "loaded"


def test_readers_see_the_old_data_or_the_new_never_a_mix(tmp_path):
    """The app's connection: a load through one cursor, a reader on another sees no half-load."""
    db = new_database(tmp_path / "cx.duckdb")
    app = duckdb.connect(str(db))
    middle, proceed = threading.Event(), threading.Event()
    seen = {}

    def pause(stage, fraction):
        if stage == "refreshing":  # rows are inserted, the transaction is open
            middle.set()
            proceed.wait(10)

    def read():
        reader = app.cursor()
        return reader.execute("SELECT count(*) FROM transactions").fetchall()[0][0], \
            reader.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchall()[0][0]

    worker = threading.Thread(target=lambda: seen.update(report=load_extract(
        db, "transactions", fixture("transactions.tsv"), connection=app, progress=pause)))
    worker.start()
    assert middle.wait(10)
    seen["during"] = read()
    proceed.set()
    worker.join(10)
    seen["after"] = read()
    app.close()
    assert seen["during"] == (0, "start")
    assert seen["after"] == (3, seen["report"].data_version)


def test_loading_into_a_copy_of_the_sample_counts_known_customers(sample_db, tmp_path):
    db = tmp_path / "sample.duckdb"
    shutil.copy(sample_db, db)
    known = query(db, "SELECT customer_id FROM customers ORDER BY customer_id LIMIT 2")
    rows = "".join(f"{c},2025-12-01,100\n" for (c,) in known) + "nobody,2025-12-01,5\n"
    report = load(db, "transactions", write_csv(tmp_path / "t.csv", "customer,date,amount\n" + rows))
    assert report.status == "loaded" and report.counts["unknown_customers"] == 1
    late = load(db, "transactions", write_csv(tmp_path / "late.csv", "customer,date,amount\nnobody,2026-01-02,5\n"))
    # No channel column: the channel filter shows the row as Unknown.
    assert late.counts["after_as_of"] == 1 and [i.code for i in late.issues if i.severity == "warning"] == [
        "unknown_customers", "after_as_of", "empty_filter_columns"]
