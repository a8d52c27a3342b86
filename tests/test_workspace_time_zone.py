"""The workspace's time zone: upload timestamps with a UTC offset are stored as the wall-clock time
in it; timestamps without an offset are taken as already in it (``schema.py``: naive local times)."""

from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from cxdata.engine.workspace import create_empty_database
from cxdata.ingest.loading import load_extract


def stored_times(db) -> list[tuple[str, datetime]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT customer_id, occurred_at FROM transactions ORDER BY customer_id").fetchall()
    finally:
        con.close()


def test_offsets_are_converted_to_the_workspace_time_zone_and_naive_times_kept(tmp_path):
    db = tmp_path / "moscow.duckdb"
    create_empty_database(db, settings={"currency": "RUB", "time_zone": "Europe/Moscow"})  # UTC+3, no DST
    extract = tmp_path / "times.csv"
    extract.write_text("transaction_id,customer_id,occurred_at,amount\n"
                       "t1,a,2024-12-31T10:00:00Z,1\n"
                       "t2,b,2024-12-31 10:00:00+01:00,1\n"
                       "t3,c,2024-12-31 10:00:00,1\n"
                       "t4,d,2024-12-31,1\n"
                       "t5,e,2024-12-31T22:30:00-0500,1\n", encoding="utf-8")
    report = load_extract(db, "transactions", extract)
    assert report.status == "loaded", report.issues
    assert stored_times(db) == [
        ("a", datetime(2024, 12, 31, 13, 0)),   # 10:00 UTC = 13:00 in Moscow
        ("b", datetime(2024, 12, 31, 12, 0)),   # 10:00 at UTC+1 = 09:00 UTC = 12:00 in Moscow
        ("c", datetime(2024, 12, 31, 10, 0)),   # no offset: already Moscow time
        ("d", datetime(2024, 12, 31, 0, 0)),
        ("e", datetime(2025, 1, 1, 6, 30)),     # 22:30 at UTC−5 = 03:30 UTC next day = 06:30 in Moscow
    ]


def test_a_parquet_timestamp_with_a_time_zone_is_converted_too(tmp_path):
    db = tmp_path / "newyork.duckdb"
    create_empty_database(db, settings={"currency": "USD", "time_zone": "America/New_York"})
    utc = pa.array([datetime(1998, 6, 30, 12, 0), datetime(1998, 1, 15, 12, 0)], pa.timestamp("us", tz="UTC"))
    table = pa.table({"transaction_id": ["t1", "t2"], "customer_id": ["summer", "winter"], "occurred_at": utc,
                      "amount": [10.0, 20.0]})
    pq.write_table(table, tmp_path / "times.parquet")
    report = load_extract(db, "transactions", tmp_path / "times.parquet")
    assert report.status == "loaded", report.issues
    # New York is UTC−4 in summer (EDT) and UTC−5 in winter (EST).
    assert stored_times(db) == [("summer", datetime(1998, 6, 30, 8, 0)), ("winter", datetime(1998, 1, 15, 7, 0))]
