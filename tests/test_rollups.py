"""The rollup path and the raw path give identical numbers (rollups only make them faster)."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from cxdata.engine.db import open_snapshot, read_meta, snapshot_cursor, write_meta
from cxdata.engine.query import open_backend
from cxdata.engine.router import (
    CURRENT,
    CUSTOMER_SUMMARY,
    JOURNEY_FIRST,
    saved_copy_answers,
)
from cxdata.model.filters import Filters
from cxdata.model.schema import create_schema
from cxdata.questions.metrics import compute_metrics
from cxdata.questions.overview import fetch_as_of, fetch_overview
from cxdata.questions.trends import fetch_trends

SELECTIONS = [
    Filters(date(2025, 7, 1), date(2025, 12, 31)),
    Filters(date(2024, 1, 1), date(2025, 12, 31), segments=("SMB", "Unknown"), channels=("web",)),
    Filters(date(2025, 10, 6), date(2025, 11, 2), regions=("Siberia",), acquisition_channels=("partners", "social")),
    Filters(date(2023, 7, 1), date(2023, 7, 1)),
    Filters(date(2025, 4, 1), date(2025, 9, 30), channels=("web", "branch")),  # the channel alone
]


@pytest.fixture(scope="module")
def both_paths(sample_db, stale_rollups_db):
    """The sample with fresh rollups, and a copy whose rollups are marked stale."""
    fresh_db, stale_db = open_backend(sample_db), open_backend(stale_rollups_db)
    assert saved_copy_answers(CURRENT, fresh_db) and not saved_copy_answers(CURRENT, stale_db)
    return fresh_db, stale_db


@pytest.mark.parametrize("filters", SELECTIONS, ids=lambda f: f.caption())
def test_metrics_are_identical_on_both_paths(both_paths, filters):
    fresh_db, stale_db = both_paths
    as_of = fetch_as_of(fresh_db)
    fresh, stale = compute_metrics(fresh_db, filters, as_of), compute_metrics(stale_db, filters, as_of)
    for name in fresh:
        assert fresh[name].n == stale[name].n, name
        if stale[name].value is None:
            assert fresh[name].value is None, name
        else:
            assert fresh[name].value == pytest.approx(stale[name].value, rel=1e-9), name
            if stale[name].has_interval:
                assert fresh[name].low == pytest.approx(stale[name].low, rel=1e-9), name


@pytest.mark.parametrize("filters", SELECTIONS[:3] + SELECTIONS[4:], ids=lambda f: f.caption())
def test_the_overview_and_its_previous_period_are_identical_on_both_paths(both_paths, filters):
    # One query per group answers both periods and the trends (period index 0 and 1).
    fresh_db, stale_db = both_paths
    as_of = fetch_as_of(fresh_db)
    fresh, stale = fetch_overview(fresh_db, filters, as_of), fetch_overview(stale_db, filters, as_of)
    for fresh_metrics, stale_metrics in ((fresh.current, stale.current), (fresh.previous, stale.previous)):
        assert fresh_metrics.keys() == stale_metrics.keys()
        for name, value in stale_metrics.items():
            assert fresh_metrics[name].n == value.n, name
            if value.value is None:  # no data before the sample starts, say
                assert fresh_metrics[name].value is None, name
            else:
                assert fresh_metrics[name].value == pytest.approx(value.value, rel=1e-9), name
    assert len(fresh.trends) == len(stale.trends) > 0


@pytest.mark.parametrize("filters", SELECTIONS[:3], ids=lambda f: f.caption())
def test_trends_are_identical_on_both_paths(both_paths, filters):
    fresh_db, stale_db = both_paths
    fresh, stale = fetch_trends(fresh_db, filters), fetch_trends(stale_db, filters)
    assert len(fresh) == len(stale) > 0
    key = ["metric", "period_start"]
    fresh, stale = fresh.sort_values(key).reset_index(drop=True), stale.sort_values(key).reset_index(drop=True)
    assert fresh[key].equals(stale[key])
    assert fresh["n"].tolist() == stale["n"].tolist()
    assert fresh["value"].astype(float).tolist() == pytest.approx(stale["value"].astype(float).tolist(), rel=1e-9, nan_ok=True)


def test_an_earlier_as_of_does_not_read_all_time_revenue(both_paths):
    fresh_db, _ = both_paths
    assert not saved_copy_answers(CUSTOMER_SUMMARY, fresh_db, as_of=date(2024, 6, 30))
    assert saved_copy_answers(CUSTOMER_SUMMARY, fresh_db, as_of=date(2025, 12, 31))


@pytest.mark.parametrize("filters", SELECTIONS[:3], ids=lambda f: f.caption())
def test_funnel_is_identical_on_both_paths(both_paths, filters):
    from cxdata.questions.funnel import compute_funnel

    fresh_db, stale_db = both_paths
    as_of = fetch_as_of(fresh_db)
    assert saved_copy_answers(JOURNEY_FIRST, fresh_db, as_of=as_of)
    fresh, stale = compute_funnel(fresh_db, filters, as_of), compute_funnel(stale_db, filters, as_of)
    assert fresh["customers"].tolist() == stale["customers"].tolist()
    assert fresh["dropped"].tolist() == stale["dropped"].tolist()
    assert fresh["lost_value"].tolist() == pytest.approx(stale["lost_value"].tolist(), rel=1e-9, nan_ok=True)
    assert fresh["median_hours_to_next"].tolist() == pytest.approx(stale["median_hours_to_next"].tolist(), nan_ok=True)


def test_a_load_rebuilds_only_what_it_changes_and_ends_where_a_full_rebuild_ends(sample_db, tmp_path, monkeypatch):
    """A transactions upload keeps the rollups that read no transactions (journey_first,
    survey_daily) and rebuilds the rest; every rollup then equals a rebuild from scratch."""
    import shutil

    import duckdb

    from cxdata.engine import rollups, rollups_money
    from cxdata.ingest import load_extract
    from tests.fixtures.ingest.support import snapshot, write_csv

    ran = []
    statements = rollups._statements

    def recording():
        def run(statement):
            return lambda con: (ran.append(statement), statement(con) if callable(statement) else con.execute(statement))

        return [(run(statement), sources) for statement, sources in statements()]

    monkeypatch.setattr(rollups, "_statements", recording)
    loaded = tmp_path / "loaded.duckdb"
    shutil.copy(sample_db, loaded)
    extract = write_csv(tmp_path / "t.csv", "transaction_id,customer_id,occurred_at,amount,product,channel\n"
                        "X1,C0000001,2025-12-30 10:00:00,1234.50,Basic,web\nX2,NEW1,2025-12-31 11:00:00,-20,Basic,branch\n")
    assert load_extract(loaded, "transactions", extract, user="anna").status == "loaded"
    assert rollups._CUSTOMER_SUMMARY in ran and rollups._TRANSACTION_DAILY in ran
    assert rollups._JOURNEY_FIRST not in ran and rollups._build_survey_daily not in ran
    assert rollups_money._answer_spans_sql() not in ran  # the survey answers' spans read no transactions

    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copy(loaded, rebuilt)
    con = duckdb.connect(str(rebuilt))
    con.begin()
    rollups.refresh_rollups(con)
    con.commit()
    con.close()
    assert len(ran) == 2 * len(statements()) - 3  # the full rebuild ran everything
    assert snapshot(loaded, rollups.ROLLUP_TABLES) == snapshot(rebuilt, rollups.ROLLUP_TABLES)


def test_a_load_rebuilds_every_rollup_built_with_another_layout(stale_rollups_db, tmp_path):
    """Rollups laid out by older code (another ``rollup_shape``) are rebuilt in full by the next
    load, even by one that changes a table they do not read."""
    import shutil

    import duckdb

    from cxdata.engine.db import read_meta, write_meta
    from cxdata.engine.rollups import SHAPE, SHAPE_META_KEY, refresh_rollups

    path = tmp_path / "old.duckdb"
    shutil.copy(stale_rollups_db, path)
    con = duckdb.connect(str(path))
    refresh_rollups(con)
    write_meta(con, **{SHAPE_META_KEY: "1"})
    con.execute("DROP TABLE journey_customer")
    con.execute("CREATE TABLE journey_customer AS SELECT 1 AS old_layout")
    refresh_rollups(con, changed={"targets"})  # no rollup reads the targets
    assert "reached_at_1" in {row[0] for row in con.execute("DESCRIBE journey_customer").fetchall()}
    assert read_meta(con)[SHAPE_META_KEY] == SHAPE
    con.close()


def test_meta_is_read_once_per_snapshot_cursor_and_always_afresh_elsewhere(tmp_path):
    path = tmp_path / "meta.duckdb"
    con = duckdb.connect(str(path))
    create_schema(con)
    write_meta(con, currency="RUB")
    assert read_meta(con)["currency"] == "RUB"
    write_meta(con, currency="EUR")
    assert read_meta(con)["currency"] == "EUR"  # a writable connection reads the table each time
    con.close()
    cursor = snapshot_cursor(open_snapshot(path))
    first = read_meta(cursor)
    first["currency"] = "changed by the caller"
    assert read_meta(cursor)["currency"] == "EUR"  # kept once read, handed out as a copy
