"""Every metric on the sample, cross-checked against the same definition computed in plain pandas."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from cxdata.engine.query import open_backend
from cxdata.model.filters import Filters
from cxdata.questions.metrics import compute_metrics
from cxdata.questions.overview import fetch_as_of

SELECTIONS = [
    Filters(date(2025, 7, 1), date(2025, 12, 31)),
    Filters(date(2025, 10, 1), date(2025, 12, 31), segments=("Premium", "SMB")),
    Filters(date(2024, 1, 1), date(2024, 12, 31), regions=("Siberia",), channels=("mobile_app",)),
    Filters(date(2025, 3, 1), date(2025, 3, 31), acquisition_channels=("partners",), channels=("web", "branch")),
]


@pytest.fixture(scope="module")
def frames(sample_db):
    con = duckdb.connect(str(sample_db), read_only=True)
    tables = {name: con.execute(f"SELECT * FROM {name}").df() for name in
              ("customers", "surveys", "transactions", "complaints", "churn_events")}
    con.close()
    return tables


def pandas_metrics(frames, f: Filters, as_of: date) -> dict[str, float | None]:
    """The registry's definitions, written again in pandas without any code from cxdata."""
    customers = frames["customers"].copy()
    for column, allowed in (("segment", f.segments), ("region", f.regions), ("acquisition_channel", f.acquisition_channels)):
        if allowed:
            customers = customers[customers[column].fillna("Unknown").isin(allowed)]
    start, end = pd.Timestamp(f.start), pd.Timestamp(f.end) + pd.Timedelta(days=1)
    dims_on = bool(f.segments or f.regions or f.acquisition_channels)

    def narrow(frame, date_column):
        frame = frame[(frame[date_column] >= start) & (frame[date_column] < end)]
        if f.channels:
            frame = frame[frame["channel"].isin(f.channels)]
        if dims_on:
            frame = frame[frame["customer_id"].isin(customers["customer_id"])]
        return frame

    out = {}
    s = narrow(frames["surveys"], "responded_at")
    nps = s["nps"].dropna()
    out["nps"] = 100 * ((nps >= 9).mean() - (nps <= 6).mean()) if len(nps) else None
    csat = s["csat"].dropna()
    out["csat"] = 100 * (csat >= 4).mean() if len(csat) else None
    ces = s["ces"].dropna()
    out["ces"] = ces.mean() if len(ces) else None

    t = narrow(frames["transactions"], "occurred_at")
    out["revenue"] = t["amount"].sum() if len(t) else None
    anonymous = t.loc[t["customer_id"].isna(), "amount"].sum()
    out["anonymous_revenue"] = anonymous if len(t) else None
    out["anonymous_revenue_share"] = 100 * anonymous / out["revenue"] if len(t) and out["revenue"] > 0 else None
    out["arpu"] = t["amount"].sum() / t["customer_id"].nunique() if len(t) else None

    all_tx = frames["transactions"]
    first = all_tx[all_tx["amount"] > 0].groupby("customer_id")["occurred_at"].min().rename("first")
    churn = frames["churn_events"].groupby("customer_id")["churned_at"].min().rename("churned")
    life = pd.concat([first, churn], axis=1).dropna(subset=["first"])
    life.loc[life["churned"] < life["first"], "churned"] = pd.NaT
    life_customers = customers if not f.channels else customers[customers["channel"].isin(f.channels)]
    if dims_on or f.channels:
        life = life[life.index.isin(life_customers["customer_id"])]
    at_start = life[(life["first"] < start) & (life["churned"].isna() | (life["churned"] >= start))]
    if len(at_start):
        retained = (at_start["churned"].isna() | (at_start["churned"] >= end)).mean()
        out["retention_rate"] = 100 * retained
        out["churn_rate"] = 100 * (1 - retained ** (30 / f.days))
    else:
        out["retention_rate"] = out["churn_rate"] = None

    cohort = life_customers[(life_customers["signup_at"] >= start) & (life_customers["signup_at"] < end)]
    to_date = all_tx[all_tx["occurred_at"] < pd.Timestamp(as_of + timedelta(days=1))]
    net = to_date.groupby("customer_id")["amount"].sum()
    paying_ids = set(to_date.loc[to_date["amount"] > 0, "customer_id"])
    paying = cohort[cohort["customer_id"].isin(paying_ids)]
    out["conversion_rate"] = 100 * len(paying) / len(cohort) if len(cohort) else None
    out["ltv"] = net.reindex(paying["customer_id"]).sum() / len(paying) if len(paying) else None
    out["cac"] = cohort["acquisition_cost"].sum() / len(paying) if len(paying) else None
    out["ltv_cac"] = out["ltv"] / out["cac"] if out["ltv"] is not None and out["cac"] else None

    c = narrow(frames["complaints"], "opened_at")
    out["complaints"] = float(len(c))
    out["anonymous_complaints"] = float(c["customer_id"].isna().sum())
    unresolved = c["resolved_at"].isna() | (c["resolved_at"] >= pd.Timestamp(as_of + timedelta(days=1)))
    out["unresolved_share"] = 100 * unresolved.mean() if len(c) else None
    return out


@pytest.mark.parametrize("filters", SELECTIONS, ids=lambda f: f.caption())
def test_every_metric_matches_pandas(sample_db, frames, filters):
    db = open_backend(sample_db)
    as_of = fetch_as_of(db)
    ours = compute_metrics(db, filters, as_of)
    theirs = pandas_metrics(frames, filters, as_of)
    assert set(theirs) == set(ours)
    for name, expected in theirs.items():
        if expected is None:
            assert ours[name].value is None, name
        else:
            assert ours[name].value == pytest.approx(expected, rel=1e-9, abs=1e-9), name


def test_selections_are_not_trivial(sample_db, frames):
    """Guard the cross-check itself: the selections really contain data."""
    db = open_backend(sample_db)
    first = compute_metrics(db, SELECTIONS[0], fetch_as_of(db))
    assert first["nps"].n > 100 and first["revenue"].n > 1000 and first["retention_rate"].n > 100
