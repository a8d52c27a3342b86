"""A rule is one edit: change who is a promoter in ``cxdata.model.rules`` and watch every path move.

The rule goes from 9–10 to 10 only (passives 7–9). The rollups are rebuilt under the new rule and
every path (the saved copies, the definitions on the raw tables) must give the NPS, the moments of
truth and the CX-and-money classes that plain pandas computes with the new rule from the raw
tables; and the numbers must differ from those under the old rule, so the test can fail.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd
import pytest

from cxdata.cli import main
from cxdata.engine.db import write_meta
from cxdata.engine.query import open_backend
from cxdata.engine.rollups import refresh_rollups
from cxdata.model import rules
from cxdata.model.filters import Filters
from cxdata.questions.journey_moments import compute_moments_of_truth

AS_OF = date(2025, 12, 31)
START = AS_OF - timedelta(days=89)  # the CLI's default period
TEN_ONLY = (("promoter", 10, 10), ("passive", 7, 9), ("detractor", 0, 6))


def raw(db, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def pandas_nps(surveys: pd.DataFrame, promoter_low: int) -> float:
    scores = surveys["nps"].dropna()
    return 100 * ((scores >= promoter_low).sum() - (scores <= 6).sum()) / len(scores)


def pandas_money_promoters(db, promoter_low: int) -> int:
    """Customers of the period (bought before its end, not churned before its start) whose latest
    NPS answer up to the period's end is a promoter's (money_base rules), in plain pandas."""
    start, end = datetime(START.year, START.month, START.day), datetime(2026, 1, 1)
    tx = raw(db, "SELECT customer_id, occurred_at, amount FROM transactions WHERE customer_id IS NOT NULL")
    first = tx[tx["amount"] > 0].groupby("customer_id")["occurred_at"].min()
    churn = raw(db, "SELECT customer_id, churned_at FROM churn_events").groupby("customer_id")["churned_at"].min()
    life = pd.DataFrame({"first": first}).join(churn.rename("churn"))
    life.loc[life["churn"] < life["first"], "churn"] = pd.NaT
    life = life[(life["first"] < end) & (life["churn"].isna() | (life["churn"] >= start))]
    surveys = raw(db, "SELECT customer_id, responded_at, nps FROM surveys WHERE customer_id IS NOT NULL AND nps IS NOT NULL")
    surveys = surveys[surveys["responded_at"] < end].sort_values(["customer_id", "responded_at", "nps"])
    latest = surveys.groupby("customer_id")["nps"].last()
    return int((latest.reindex(life.index) >= promoter_low).sum())


@pytest.fixture(scope="module")
def ten_only(sample_db, tmp_path_factory):
    """(fresh, stale) copies of the sample whose rollups were rebuilt with promoters = 10 only."""
    folder = tmp_path_factory.mktemp("rule")
    fresh, stale = folder / "fresh.duckdb", folder / "stale.duckdb"
    shutil.copy(sample_db, fresh)
    patch = pytest.MonkeyPatch()
    patch.setitem(rules.SCORE_CLASSES, "nps", TEN_ONLY)
    con = duckdb.connect(str(fresh))
    con.begin()
    refresh_rollups(con)
    con.commit()
    con.close()
    shutil.copy(fresh, stale)
    con = duckdb.connect(str(stale))
    write_meta(con, rollup_version="stale")
    con.close()
    yield {"rollups": fresh, "raw tables": stale}
    patch.undo()


def cli(db, *arguments, capsys) -> dict:
    assert main([*arguments, "--db", str(db)]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("path", ["rollups", "raw tables"])
def test_one_edit_moves_every_path(path, ten_only, sample_db, capsys):
    db = ten_only[path]
    surveys = raw(db, f"SELECT nps, touchpoint, responded_at FROM surveys WHERE responded_at >= '{START}' "
                      f"AND responded_at < '{AS_OF + timedelta(days=1)}'")
    # The overview's and the CLI's NPS.
    nps = cli(db, "metrics", capsys=capsys)["nps"]["value"]
    assert nps == pytest.approx(pandas_nps(surveys, 10), rel=1e-12)
    assert nps != pytest.approx(pandas_nps(surveys, 9), rel=1e-3)  # it did move
    # The journey's moments of truth: NPS per stage.
    moments = compute_moments_of_truth(open_backend(db), Filters(START, AS_OF))
    by_stage = moments[moments["metric"] == "nps"].set_index("stage")["value"]
    for stage, answers in surveys.groupby("touchpoint"):
        if stage in by_stage.index and answers["nps"].notna().any():
            assert by_stage[stage] == pytest.approx(pandas_nps(answers, 10), rel=1e-12), stage
    # The CX-and-money classes (and so the CLI's money report and the page's tables).
    promoters = cli(db, "money", capsys=capsys)["economics"]["promoter"]["customers"]
    assert promoters == pandas_money_promoters(db, 10)
    assert promoters < pandas_money_promoters(sample_db, 9)

