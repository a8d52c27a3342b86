"""The CX-and-money classes read each answer on its own declared scale.

A surveys extract answered on CSAT 1–10 and CES 1–5 is loaded into a copy of the sample for
400 of its customers, dated in mid-November 2025. The money classes of the customers of a period
(their latest answer by the period's end) are compared with plain pandas applying the rule as a
person states it: CSAT satisfied = the top two boxes of the answer's scale, dissatisfied = the
bottom two; CES easy above the scale's middle, hard below it, neutral at it. Both paths are
checked: the rollups (rebuilt by the load) and the definitions on the raw tables; the November
period ends before the as-of date, so its state is taken back through the answer spans.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from cxdata.engine.db import write_meta
from cxdata.engine.query import open_backend
from cxdata.ingest import load_extract
from cxdata.model.filters import Filters
from cxdata.questions.money_base import fetch_money_cells
from cxdata.questions.money_drivers import compute_drivers

AS_OF = date(2025, 12, 31)
PERIODS = {
    "to the as-of date": Filters(date(2025, 10, 1), AS_OF),
    "ending before it": Filters(date(2025, 10, 6), date(2025, 11, 30)),
}
DEFAULT_TOPS = {"csat": 5, "ces": 7}


def pandas_class(score: str, answer: float, top: float) -> str:
    """The rule as a reader states it, written independently of ``cxdata.model.rules``."""
    if answer != answer:
        return "no_answer"
    if score == "csat":
        return "satisfied" if answer >= top - 1 else "dissatisfied" if answer <= 2 else "neutral"
    middle = (1 + top) / 2
    return "easy" if answer > middle else "hard" if answer < middle else "neutral"


def raw(db, sql: str, params=None) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or {}).df()
    finally:
        con.close()


def pandas_customers(db, filters: Filters) -> pd.DataFrame:
    """The customers of the period (bought before its end, no churn at or after the first purchase
    before its start), with whether they were active at its start, from SQL rows and pandas."""
    start, end = pd.Timestamp(filters.start), pd.Timestamp(filters.end + timedelta(days=1))
    tx = raw(db, "SELECT customer_id, occurred_at, amount FROM transactions WHERE customer_id IS NOT NULL")
    first = tx[tx.amount > 0].groupby("customer_id").occurred_at.min().rename("first")
    churn = raw(db, "SELECT customer_id, churned_at FROM churn_events").groupby("customer_id").churned_at.min()
    life = pd.DataFrame(first).join(churn.rename("churn"))
    life.loc[life.churn < life["first"], "churn"] = pd.NaT
    life = life[(life["first"] < end) & (life.churn.isna() | (life.churn >= start))].copy()
    life["is_active_at_start"] = (life["first"] < start) & (life.churn.isna() | (life.churn >= start))
    return life


def pandas_latest(db, score: str, end: pd.Timestamp, touchpoint: str | None = None) -> pd.DataFrame:
    """Each customer's latest answer to ``score`` before ``end`` (the higher answer at the same
    instant) with the top of its scale (the default when none was stored)."""
    where = f"AND touchpoint = '{touchpoint}'" if touchpoint else ""
    answers = raw(db, f"SELECT customer_id, responded_at, {score} AS answer, {score}_scale AS top FROM surveys "
                      f"WHERE customer_id IS NOT NULL AND {score} IS NOT NULL {where}")  # fmt: skip
    answers = answers[answers.responded_at < end]
    answers["top"] = answers.top.fillna(DEFAULT_TOPS[score])
    return answers.sort_values(["customer_id", "responded_at", "answer", "top"]).groupby("customer_id").last()


@pytest.fixture(scope="module")
def scaled(sample_db, tmp_path_factory):
    """{"rollups": the sample with the extract loaded, "raw tables": a copy with its rollups stale}."""
    folder = tmp_path_factory.mktemp("scales")
    db = folder / "scaled.duckdb"
    shutil.copy(sample_db, db)
    buyers = raw(db, "SELECT DISTINCT customer_id FROM transactions WHERE customer_id IS NOT NULL AND amount > 0 "
                     "AND occurred_at < '2025-10-01' ORDER BY 1")["customer_id"]  # fmt: skip
    rng = np.random.default_rng(13)
    chosen = rng.choice(buyers.to_numpy(), size=400, replace=False)
    rows = pd.DataFrame({
        "customer_id": chosen,
        "date": [(datetime(2025, 11, 10, 9) + timedelta(minutes=int(m))).strftime("%Y-%m-%d %H:%M")
                 for m in rng.integers(0, 5 * 24 * 60, len(chosen))],
        "touchpoint": "repeat_purchase",
        "CSAT (1-10)": rng.integers(1, 11, len(chosen)),
        "Effort (1-5)": rng.integers(1, 6, len(chosen)),
    })  # fmt: skip
    extract = folder / "scaled.csv"
    rows.to_csv(extract, index=False)
    report = load_extract(db, "surveys", extract)
    assert report.status == "loaded", [i.message() for i in report.issues]
    assert raw(db, "SELECT count(*) AS n FROM surveys WHERE csat_scale = 10 AND ces_scale = 5").n[0] == 400
    stale = folder / "stale.duckdb"
    shutil.copy(db, stale)
    con = duckdb.connect(str(stale))
    write_meta(con, rollup_version="stale")
    con.close()
    return {"rollups": db, "raw tables": stale}


@pytest.mark.parametrize("period", list(PERIODS))
@pytest.mark.parametrize("path", ["rollups", "raw tables"])
def test_money_classes_follow_each_answers_scale(scaled, path, period):
    db, filters = scaled[path], PERIODS[period]
    end = pd.Timestamp(filters.end + timedelta(days=1))
    cells = fetch_money_cells(open_backend(db), filters, AS_OF).frame
    customers = pandas_customers(db, filters)
    for score in ("csat", "ces"):
        latest = pandas_latest(db, score, end).reindex(customers.index)
        classes = [pandas_class(score, a, t) for a, t in zip(latest.answer, latest.top, strict=True)]
        expected = pd.Series(classes).value_counts().to_dict()
        got = cells.groupby(f"{score}_class").customers.sum().astype(int)
        assert got[got > 0].to_dict() == expected, score
    # The test can fail: on the default bands alone, 1–10 answers of 3–8 would not be neutral.
    ten = pandas_latest(db, "csat", end).reindex(customers.index)
    assert ((ten.top == 10) & ten.answer.between(6, 8)).sum() > 0


@pytest.mark.parametrize("path", ["rollups", "raw tables"])
def test_a_poor_answer_at_a_touchpoint_is_poor_on_its_scale(scaled, path):
    db, filters = scaled[path], PERIODS["ending before it"]
    end = pd.Timestamp(filters.end + timedelta(days=1))
    drivers = compute_drivers(fetch_money_cells(open_backend(db), filters, AS_OF), 12).set_index(["kind", "subject"])
    active = pandas_customers(db, filters)
    active = active[active.is_active_at_start]
    latest = pandas_latest(db, "csat", end, "repeat_purchase").reindex(active.index).dropna(subset=["answer"])
    poor = [pandas_class("csat", a, t) != "satisfied" for a, t in zip(latest.answer, latest.top, strict=True)]
    driver = drivers.loc[("csat", "repeat_purchase")]
    assert (driver.measured_customers, driver.exposed_customers) == (len(latest), sum(poor))
