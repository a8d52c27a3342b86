"""The money page's rollup path and raw path give identical numbers (rollups only make them faster).

Each selection states which path its rollup side takes, so a test cannot pass by reading the raw
tables twice: preset periods read their stored sums, a custom period sums its whole months from
``money_month_sums`` and the transactions of its partial edge months, and a period that ends
before the as-of date takes the CX state at its end back through ``money_answer_spans`` and the
complaints changed since.
"""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from cxdata.engine import money_rollup
from cxdata.engine.db import write_meta
from cxdata.engine.query import open_backend
from cxdata.engine.rollups import refresh_rollups
from cxdata.engine.router import MONEY, saved_copy_answers
from cxdata.model.filters import Filters, preset_range
from cxdata.questions.money_base import fetch_money_cells
from cxdata.questions.money_cohorts import fetch_cohort_retention
from cxdata.questions.money_units import fetch_unit_economics
from cxdata.questions.overview import fetch_as_of, fetch_data_start
from tests.conftest import insert_rows


def _money_answers(db, filters: Filters, as_of: date) -> bool:
    """The router's decision for the money questions: the copy is current and built for this data."""
    return saved_copy_answers(MONEY, db, as_of=as_of) and money_rollup.holds(db)


@pytest.fixture(scope="module")
def both_paths(sample_db, tmp_path_factory):
    """The sample with fresh rollups, and a copy whose rollups are marked stale."""
    stale = tmp_path_factory.mktemp("money_stale") / "stale.duckdb"
    shutil.copy(sample_db, stale)
    con = duckdb.connect(str(stale))
    write_meta(con, rollup_version="stale")
    con.close()
    return open_backend(sample_db), open_backend(stale)


def selections(db) -> list[tuple[str, Filters]]:
    """(expected path, filters): presets with dimension filters (their stored sums), custom periods
    (the rollup with the period's own sums and, for an earlier end, the classes as of that end)."""
    as_of, data_start = fetch_as_of(db), fetch_data_start(db)

    def preset(name, **dimensions):
        return Filters(*preset_range(name, as_of, data_start), **dimensions)

    return [
        ("rollup", preset("last_6m", segments=("SMB",))),
        ("rollup", preset("last_12m", regions=("Siberia",))),
        ("rollup", preset("last_quarter", channels=("web",))),
        ("rollup", preset("last_30", acquisition_channels=("partners", "Unknown"))),
        ("rollup", preset("all", channels=("branch", "Unknown"), segments=("Premium", "Retail"))),
        ("rollup", preset("last_6m")),
        ("custom", Filters(date(2025, 3, 17), as_of, regions=("Central", "Volga"))),
        ("custom", Filters(date(2025, 1, 1), date(2025, 6, 30), segments=("SMB",))),
        ("custom", Filters(date(2025, 10, 6), date(2025, 11, 2))),
        ("custom", Filters(date(2025, 10, 6), date(2025, 11, 2), channels=("mobile_app",))),
    ]


def assert_same_frame(fresh: pd.DataFrame, stale: pd.DataFrame) -> None:
    fresh, stale = fresh.reset_index(drop=True), stale.reset_index(drop=True)
    assert list(fresh.columns) == list(stale.columns)
    assert len(fresh) == len(stale)
    for column in stale.columns:
        if pd.api.types.is_float_dtype(stale[column]):
            np.testing.assert_allclose(fresh[column].to_numpy(float), stale[column].to_numpy(float),
                                       rtol=1e-9, equal_nan=True, err_msg=column)  # fmt: skip
        else:
            assert fresh[column].tolist() == stale[column].tolist(), column


def assert_expected_path(db, filters: Filters, as_of: date, expected: str) -> None:
    answers = _money_answers(db, filters, as_of)
    window = money_rollup.fetch_window(db, filters, as_of) if answers else None
    assert (answers, window is not None) == {"rollup": (True, True), "custom": (True, False)}[expected]


@pytest.mark.parametrize("case", range(10))
def test_money_page_numbers_are_identical_on_both_paths(both_paths, case):
    fresh_db, stale_db = both_paths
    as_of = fetch_as_of(fresh_db)
    expected, filters = selections(fresh_db)[case]
    assert_expected_path(fresh_db, filters, as_of, expected)
    assert not _money_answers(stale_db, filters, as_of)

    fresh, stale = fetch_money_cells(fresh_db, filters, as_of), fetch_money_cells(stale_db, filters, as_of)
    assert fresh.customers == stale.customers > 0
    assert fresh.drivers == stale.drivers and len(fresh.drivers) > 0
    assert_same_frame(fresh.frame, stale.frame)
    assert list(fresh.driver_sums.index) == list(stale.driver_sums.index)
    np.testing.assert_allclose(fresh.driver_sums.to_numpy(), stale.driver_sums.to_numpy(), rtol=1e-9)

    fresh_cohorts, stale_cohorts = fetch_cohort_retention(fresh_db, filters, as_of), fetch_cohort_retention(stale_db, filters, as_of)
    assert len(stale_cohorts) > 0
    assert_same_frame(fresh_cohorts, stale_cohorts)
    assert_same_frame(fetch_unit_economics(fresh_db, filters, as_of), fetch_unit_economics(stale_db, filters, as_of))


def test_tables_of_an_older_refresh_are_not_read(sample_db, tmp_path):
    """Money tables left by a refresh for other data (an older data version) never answer."""
    copy = tmp_path / "older.duckdb"
    shutil.copy(sample_db, copy)
    con = duckdb.connect(str(copy))
    con.execute("UPDATE money_windows SET data_version = 'older'")
    con.close()
    db = open_backend(copy)
    as_of = fetch_as_of(db)
    assert not _money_answers(db, Filters(*preset_range("last_6m", as_of)), as_of)


# A cohort that starts mid-month: refunds dated before a customer's first purchase, in the same
# month, count only from the period's first day on (8 Mar). As of 30 Apr 2025, nothing later.
CUSTOMERS = [
    ("a", "2025-02-01", "Retail", "Ural", "web", "organic", 10.0),
    ("b", "2025-02-01", "Retail", "Ural", "web", "organic", 20.0),
    ("c", "2025-01-01", "SMB", "Volga", "branch", "partners", 30.0),
]
TRANSACTIONS = [
    ("t1", "a", "2025-03-05 00:00", -20.0, "Basic", "web"),  # before 8 Mar: not in the period
    ("t2", "a", "2025-03-10 00:00", 100.0, "Basic", "web"),
    ("t3", "a", "2025-04-02 00:00", 50.0, "Basic", "web"),
    ("t4", "b", "2025-03-09 00:00", -10.0, "Basic", "web"),  # before b's first purchase, in the period
    ("t5", "b", "2025-03-12 00:00", 200.0, "Basic", "web"),
    ("t6", "c", "2025-01-15 00:00", 70.0, "Basic", "branch"),
    ("t7", "c", "2025-03-20 00:00", 30.0, "Basic", "branch"),
]
SURVEYS = [("s1", "a", "2025-03-11", "first_purchase", "web", 10, 5, None, None)]


def both_paths_of(db_path, tmp_path, tables, data_version: str):
    """Backends on ``tables`` ((name, rows) pairs) as of 30 Apr 2025 with their rollups built, and
    on a copy whose rollups are stale (the definitions answer there)."""
    con = duckdb.connect(str(db_path))
    for table, rows in tables:
        insert_rows(con, table, rows)
    con.execute("INSERT INTO meta VALUES ('as_of', '2025-04-30'), ('data_version', ?)", [data_version])
    refresh_rollups(con)
    con.close()
    stale = tmp_path / "stale.duckdb"
    shutil.copy(db_path, stale)
    con = duckdb.connect(str(stale))
    write_meta(con, rollup_version="stale")
    con.close()
    return open_backend(db_path), open_backend(stale)


@pytest.fixture
def mid_month(empty_db, tmp_path):
    return both_paths_of(empty_db, tmp_path, (("customers", CUSTOMERS), ("transactions", TRANSACTIONS),
                                              ("surveys", SURVEYS)), "v1")  # fmt: skip


def test_a_cohort_starting_mid_month_counts_refunds_from_its_first_day(mid_month):
    fresh_db, stale_db = mid_month
    as_of, filters = date(2025, 4, 30), Filters(date(2025, 3, 8), date(2025, 4, 30))
    assert _money_answers(fresh_db, filters, as_of)
    fresh, stale = fetch_cohort_retention(fresh_db, filters, as_of), fetch_cohort_retention(stale_db, filters, as_of)
    assert_same_frame(fresh, stale)
    everyone = fresh[fresh.cx_class == "all"].set_index("months_since_first_purchase")
    # March cohort: a and b. March revenue 100 + (−10 + 200) (a's −20 is before 8 Mar); April 50.
    assert everyone.loc[0, "cohort_customers"] == 2
    assert (everyone.loc[0, "revenue"], everyone.loc[1, "revenue"]) == (290.0, 50.0)
    promoters = fresh[fresh.cx_class == "promoter"]
    assert promoters.revenue.tolist() == [100.0, 50.0]


def test_a_preset_on_the_hand_built_data_reads_the_rollups(mid_month):
    fresh_db, stale_db = mid_month
    as_of = date(2025, 4, 30)
    filters = Filters(*preset_range("last_quarter", as_of))  # 1 Feb – 30 Apr
    assert money_rollup.fetch_window(fresh_db, filters, as_of) is not None
    fresh, stale = fetch_money_cells(fresh_db, filters, as_of), fetch_money_cells(stale_db, filters, as_of)
    assert_same_frame(fresh.frame, stale.frame)
    assert fresh.drivers == stale.drivers
    assert fresh.driver_sums.tolist() == stale.driver_sums.tolist()
    # a, b and c are customers of the period; revenue in it: a −20 + 100 + 50, b −10 + 200, c 30.
    assert fresh.customers == 3
    assert fresh.frame.revenue.sum() == pytest.approx(350.0)
    assert_same_frame(fetch_unit_economics(fresh_db, filters, as_of), fetch_unit_economics(stale_db, filters, as_of))


def test_a_load_keeps_the_money_rollups_current(sample_db, tmp_path):
    """After a complaints upload (which keeps the customer × month rows) the money rollups still
    answer and equal a rebuild from scratch."""
    from cxdata.ingest import load_extract
    from tests.fixtures.ingest.support import snapshot, write_csv

    loaded = tmp_path / "loaded.duckdb"
    shutil.copy(sample_db, loaded)
    con = duckdb.connect(str(loaded), read_only=True)
    customer = con.execute("SELECT min(customer_id) FROM money_customer WHERE complaint_status = 'none'").fetchall()[0][0]
    con.close()
    extract = write_csv(tmp_path / "k.csv", "complaint_id,customer_id,opened_at,resolved_at,touchpoint,channel,category,text\n"
                        f"K-new,{customer},2025-12-30 10:00:00,,repeat_purchase,web,billing,late refund\n")  # fmt: skip
    assert load_extract(loaded, "complaints", extract, user="anna").status == "loaded"
    db = open_backend(loaded)
    as_of = fetch_as_of(db)
    filters = Filters(*preset_range("last_6m", as_of))
    assert _money_answers(db, filters, as_of) and money_rollup.fetch_window(db, filters, as_of)
    status = db.con.execute("SELECT complaint_status FROM money_customer WHERE customer_id = ?", [customer]).fetchall()
    assert status == [("unresolved",)]

    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copy(loaded, rebuilt)
    con = duckdb.connect(str(rebuilt))
    con.begin()
    refresh_rollups(con)
    con.commit()
    con.close()
    tables = ("money_windows", "money_drivers", "money_customer", "money_customer_month", "money_month_sums",
              "money_answer_spans")
    kept, fresh = snapshot(loaded, tables), snapshot(rebuilt, tables)
    for table in tables:  # sums of doubles may differ in the last bit between two builds
        assert len(kept[table]) == len(fresh[table]) > 0, table
        for kept_row, fresh_row in zip(kept[table], fresh[table]):
            assert [round(v, 6) if isinstance(v, float) else v for v in kept_row] == [
                round(v, 6) if isinstance(v, float) else v for v in fresh_row], table


@pytest.fixture
def golden_later(empty_db, tmp_path):
    """The hand-built data of ``tests/test_money.py`` as of 30 Apr 2025, after its latest fact (a
    complaint resolved on 10 Apr), so the money copies answer; and a copy whose rollups are stale."""
    from tests import test_money as golden

    tables = (("customers", golden.CUSTOMERS), ("transactions", golden.TRANSACTIONS), ("churn_events", golden.CHURN),
              ("surveys", golden.SURVEYS), ("complaints", golden.COMPLAINTS), ("journey_stages", golden.STAGES))
    return both_paths_of(empty_db, tmp_path, tables, "golden")


@pytest.mark.parametrize("start, end", [
    (date(2025, 1, 1), date(2025, 3, 31)),  # whole months, ending before the as-of date
    (date(2025, 1, 15), date(2025, 3, 10)),  # partial first and last months around a whole one
    (date(2025, 2, 3), date(2025, 2, 20)),  # inside one month
    (date(2025, 1, 1), date(2025, 1, 31)),  # one whole month, before every later answer
    (date(2025, 2, 16), date(2025, 4, 30)),  # ending on the as-of date
])  # fmt: skip
def test_a_custom_period_gives_the_raw_tables_numbers_on_the_golden_data(golden_later, start, end):
    fresh_db, stale_db = golden_later
    as_of, filters = date(2025, 4, 30), Filters(start, end)
    assert _money_answers(fresh_db, filters, as_of) and money_rollup.fetch_window(fresh_db, filters, as_of) is None
    assert not _money_answers(stale_db, filters, as_of)
    fresh, stale = fetch_money_cells(fresh_db, filters, as_of), fetch_money_cells(stale_db, filters, as_of)
    assert fresh.customers == stale.customers > 0
    assert_same_frame(fresh.frame, stale.frame)
    assert fresh.drivers == stale.drivers
    np.testing.assert_allclose(fresh.driver_sums.to_numpy(), stale.driver_sums.to_numpy(), rtol=1e-9)
    assert_same_frame(fetch_cohort_retention(fresh_db, filters, as_of), fetch_cohort_retention(stale_db, filters, as_of))
    assert_same_frame(fetch_unit_economics(fresh_db, filters, as_of), fetch_unit_economics(stale_db, filters, as_of))


def test_the_cx_state_at_an_earlier_end_by_hand(golden_later):
    """At the end of Q1 p2's latest NPS is 9 (s3 wins over s10 at the same instant; s4 of 5 Apr
    came later), p1's complaint k3 is still open, and the revenue is Q1's own: 200 + 200 (p1),
    300 (p2), 100 (d1), 100 − 50 (d2), 600 (n1), 100 + 200 (n2), as ``tests/test_money.py`` says."""
    fresh_db, _ = golden_later
    cells = fetch_money_cells(fresh_db, Filters(date(2025, 1, 1), date(2025, 3, 31)), date(2025, 4, 30)).frame
    by_nps = cells.groupby("nps_class").customers.sum()
    assert by_nps.to_dict() == {"promoter": 2, "passive": 1, "detractor": 2, "no_answer": 2}
    assert cells[cells.complaint_status == "unresolved"].customers.sum() == 2  # x1 and p1
    assert cells.revenue.sum() == pytest.approx(1750.0)
