"""The "typical Streamlit dashboard" baseline: load every table into pandas, filter in memory.

The same questions the overview asks (KPIs now and in the previous period, weekly/monthly
trends), the journey page's (funnel now and before, breakdowns, reasons, silent loss, moments of
truth, time to convert), plus the usual money queries (cohort retention, LTV by NPS class,
complaints by month), computed the pandas way. Used only by ``bench/run.py``.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pandas as pd

TABLES = ("customers", "transactions", "surveys", "complaints", "churn_events", "journey_events", "journey_stages")


def load_everything(db_path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(db_path), read_only=True)
    frames = {name: con.execute(f"SELECT * FROM {name}").df() for name in TABLES}
    con.close()
    return frames


def _narrow(frames, f):
    customers = frames["customers"]
    keep = pd.Series(True, index=customers.index)
    for column, allowed in (("segment", f.segments), ("region", f.regions), ("acquisition_channel", f.acquisition_channels)):
        if allowed:
            keep &= customers[column].fillna("Unknown").isin(allowed)
    return customers[keep]


def overview(frames, f, as_of):
    """KPIs for the period and the previous one, plus trends (what the overview page shows)."""
    out = {}
    for label, period in (("current", f), ("previous", f.previous())):
        customers = _narrow(frames, period)
        ids = set(customers["customer_id"])
        start, end = pd.Timestamp(period.start), pd.Timestamp(period.end) + pd.Timedelta(days=1)
        s = frames["surveys"]
        s = s[(s.responded_at >= start) & (s.responded_at < end) & s.customer_id.isin(ids)]
        t = frames["transactions"]
        t = t[(t.occurred_at >= start) & (t.occurred_at < end) & t.customer_id.isin(ids)]
        first = frames["transactions"].query("amount > 0").groupby("customer_id").occurred_at.min()
        churn = frames["churn_events"].groupby("customer_id").churned_at.min()
        life = pd.concat([first.rename("first"), churn.rename("churned")], axis=1).dropna(subset=["first"])
        life = life[life.index.isin(ids)]
        at_start = life[(life["first"] < start) & (life["churned"].isna() | (life["churned"] >= start))]
        net = frames["transactions"].groupby("customer_id").amount.sum()
        cohort = customers[(customers.signup_at >= start) & (customers.signup_at < end)]
        out[label] = {
            "nps": 100 * ((s.nps >= 9).sum() - (s.nps <= 6).sum()) / max(s.nps.notna().sum(), 1),
            "csat": 100 * (s.csat >= 4).sum() / max(s.csat.notna().sum(), 1),
            "ces": s.ces.mean(),
            "revenue": t.amount.sum(),
            "retention": (at_start["churned"].isna() | (at_start["churned"] >= end)).mean(),
            "ltv": net.reindex(cohort.customer_id).sum() / max(len(cohort), 1),
        }
    customers = _narrow(frames, f)
    ids = set(customers["customer_id"])
    s = frames["surveys"]
    s = s[(s.responded_at >= pd.Timestamp(f.start)) & (s.responded_at < pd.Timestamp(f.end + timedelta(days=1))) & s.customer_id.isin(ids)]
    out["trend"] = s.groupby(s.responded_at.dt.to_period("W")).agg(n=("nps", "count"), csat=("csat", "mean"))
    t = frames["transactions"]
    t = t[t.customer_id.isin(ids)]
    out["revenue_trend"] = t.groupby(t.occurred_at.dt.to_period("W")).amount.sum()
    return out


def _last_stages(frames, f, window_days=30):
    """Per entry-cohort customer: the last stage counted (1-based) and the hours of each step."""
    events = frames["journey_events"]
    customers = _narrow(frames, f)
    events = events[events.customer_id.isin(customers.customer_id)]
    first = events.groupby(["customer_id", "stage"]).occurred_at.min().unstack()
    order = frames["journey_stages"].sort_values("position").stage.tolist()
    start, end = pd.Timestamp(f.start), pd.Timestamp(f.end) + pd.Timedelta(days=1)
    first = first[first[order[0]].between(start, end, inclusive="left")]
    alive = pd.Series(True, index=first.index)
    previous = first[order[0]]
    last = pd.Series(1, index=first.index)
    hours = {}
    for k, stage in enumerate(order[1:], 2):
        reached = first[stage].where(first[stage] >= previous, previous)
        alive &= first[stage].notna() & ((reached - previous) <= pd.Timedelta(days=window_days))
        hours[k - 1] = ((reached - previous).dt.total_seconds() / 3600)[alive]
        last += alive.astype(int)
        previous = reached
    return last, hours, order


def funnel(frames, f, window_days=30):
    last, _, order = _last_stages(frames, f, window_days)
    return [int((last >= k).sum()) for k in range(1, len(order) + 1)]


def journey_page(frames, f):
    """What the journey page asks: the funnel now and before, breakdowns by four dimensions, why
    the lost left, silent loss, moments of truth and time to convert."""
    last, hours, order = _last_stages(frames, f)
    out = {"funnel": [int((last >= k).sum()) for k in range(1, len(order) + 1)], "previous": funnel(frames, f.previous())}
    customers = frames["customers"].set_index("customer_id").reindex(last.index)
    for dimension in ("segment", "region", "acquisition_channel"):
        out[dimension] = last.groupby(customers[dimension].fillna("Unknown")).value_counts().unstack(fill_value=0)
    lost = last[last < len(order)]
    churn = frames["churn_events"].merge(lost.rename("position"), left_on="customer_id", right_index=True)
    complaints = frames["complaints"].merge(lost.rename("position"), left_on="customer_id", right_index=True)
    out["reasons"] = churn.groupby(["position", "reason"]).size()
    out["categories"] = complaints.groupby(["position", "category"]).size()
    answered = set(frames["surveys"].customer_id.dropna())
    out["silent"] = (~lost.index.isin(complaints.customer_id) & ~lost.index.isin(answered)).sum()
    s = frames["surveys"]
    start, end = pd.Timestamp(f.start), pd.Timestamp(f.end) + pd.Timedelta(days=1)
    s = s[(s.responded_at >= start) & (s.responded_at < end) & s.customer_id.isin(_narrow(frames, f).customer_id)]
    out["moments"] = s.groupby("touchpoint").agg(n=("nps", "count"), csat=("csat", "mean"), ces=("ces", "mean"))
    out["time_to_convert"] = {k: h.quantile([0.1, 0.25, 0.5, 0.75, 0.9]) for k, h in hours.items()}
    return out


def cohort_retention(frames, f):
    t = frames["transactions"]
    t = t[t.customer_id.isin(_narrow(frames, f).customer_id)]
    first = t.groupby("customer_id").occurred_at.transform("min")
    cohort = first.dt.to_period("M")
    age = (t.occurred_at.dt.to_period("M") - cohort).apply(lambda offset: offset.n)
    return t.assign(cohort=cohort, age=age).groupby(["cohort", "age"]).customer_id.nunique().unstack()


def ltv_by_nps_class(frames, f):
    s = frames["surveys"].dropna(subset=["nps"]).sort_values("responded_at")
    latest = s.groupby("customer_id").nps.last()
    klass = pd.cut(latest, [-1, 6, 8, 10], labels=["detractor", "passive", "promoter"])
    net = frames["transactions"].groupby("customer_id").amount.sum()
    return net.reindex(klass.index).groupby(klass, observed=True).mean()


def complaints_by_month(frames, f):
    c = frames["complaints"]
    c = c[c.customer_id.isin(_narrow(frames, f).customer_id)]
    return c.groupby(c.opened_at.dt.to_period("M")).size()


PAGES = {
    "overview": lambda frames, f, as_of: overview(frames, f, as_of),
    "journey": lambda frames, f, as_of: journey_page(frames, f),
    "money": lambda frames, f, as_of: (cohort_retention(frames, f), ltv_by_nps_class(frames, f), complaints_by_month(frames, f)),
}
