"""Early warnings: every week of the watched metrics (``cxdata.model.signals``) checked against its
own history (``cxdata.analysis.signals``); ``Filters``' dimensions in, ``Alert``s out.

Series watched, one per (metric, where): NPS, CSAT and CES overall and by survey channel; step
conversion of the early journey overall and by first-contact channel; complaint rate by category,
overall and by complaint channel; refund rate overall and by transaction channel. The whole
history to the as-of date is read (the filters' dates do not narrow it: a baseline needs the weeks
before); ``select_alerts`` keeps the alerts that reach into a period.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd

from cxdata.analysis.signals import (
    SERIES_COLUMNS,
    baseline_before,
    check_series,
    control_band,
    flag_windows,
    severity_of,
    window_z,
)
from cxdata.engine.query import day_start, filter_table
from cxdata.model.filters import Filters
from cxdata.model.rules import is_purchase, stage_order, survey_counts
from cxdata.model.signals import SIGNALS, STEP_WINDOW_DAYS, STEPS_CHECKED

# Weeks of the chart before an alert's window and after it (within the data).
CHART_WEEKS_BEFORE, CHART_WEEKS_AFTER = 26, 6
# The CLI lists the alerts of this many weeks before the last day unless told otherwise.
ALERT_WEEKS_BY_DEFAULT = 26
ALERT_KEYS = ("metric", "where", "start", "end", "observed", "expected", "z", "severity")


@dataclass(frozen=True)
class Alert:
    """One run of consecutive weeks in which a metric was worse than its own history allows.

    ``observed`` and ``expected`` are the metric over the whole window, in its display unit
    (``Signal.factor``); ``z`` is that window's, pooled; ``size`` what the window's value is made
    of (answers, customers, purchases). ``chart``: the weeks around it, ``period_start``, ``value``,
    ``expected``, ``low``, ``high`` (the band without a flag), ``size``, ``is_flagged``.
    """

    metric: str
    where: tuple[tuple[str, str], ...]
    start: date
    end: date
    observed: float
    expected: float
    z: float
    severity: str
    size: float
    chart: pd.DataFrame = field(compare=False, repr=False)

    def to_dict(self) -> dict:
        signal = SIGNALS[self.metric]
        return {"metric": self.metric, "where": dict(self.where), "start": self.start.isoformat(),
                "end": self.end.isoformat(), "observed": round(self.observed, signal.decimals + 2),
                "expected": round(self.expected, signal.decimals + 2), "z": round(self.z, 2),
                "severity": self.severity}  # fmt: skip


# --- the weekly counts ---------------------------------------------------------------------------


def _history(filters: Filters, as_of: date) -> Filters:
    return replace(filters, start=date(1900, 1, 1), end=as_of)


def _week(column) -> ibis.Value:
    return column.cast("timestamp").truncate("W")


def _by_week(relation, column, keys: dict, aggregates: dict) -> pd.DataFrame:
    frame = relation.group_by(period_start=_week(column), **keys).aggregate(**aggregates).execute()
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    return frame


def fetch_survey_weeks(db, filters: Filters, as_of: date) -> pd.DataFrame:
    """NPS, CSAT and CES counts per week and survey channel, long (``metric``, ``channel``, counts)."""
    surveys = filter_table(db, "surveys", _history(filters, as_of))
    counts = _by_week(surveys, surveys.responded_at, {"channel": surveys.channel}, survey_counts(surveys))
    parts = [
        counts.assign(metric="nps", size=counts["nps_n"], count=0, total=counts["promoters"] - counts["detractors"],
                      total_squares=counts["promoters"] + counts["detractors"]),
        counts.assign(metric="csat", size=counts["csat_n"], count=counts["satisfied"], total=0, total_squares=0),
        counts.assign(metric="ces", size=counts["ces_n"], count=0, total=counts["ces_sum"],
                      total_squares=counts["ces_sum_squares"]),
    ]  # fmt: skip
    return pd.concat(parts, ignore_index=True)[["metric", "channel", *SERIES_COLUMNS]]


def fetch_transaction_weeks(db, filters: Filters, as_of: date) -> pd.DataFrame:
    """Purchases and refunds per week and transaction channel."""
    t = filter_table(db, "transactions", _history(filters, as_of))
    purchase = is_purchase(t.amount)
    return _by_week(t, t.occurred_at, {"channel": t.channel},
                    {"purchases": purchase.cast("int64").sum(), "refunds": (t.amount < 0).cast("int64").sum()})


def fetch_complaint_weeks(db, filters: Filters, as_of: date) -> pd.DataFrame:
    """Complaints per week, category and complaint channel."""
    c = filter_table(db, "complaints", _history(filters, as_of))
    return _by_week(c, c.opened_at, {"category": c.category, "channel": c.channel}, {"complaints": c.count()})


def fetch_step_weeks(db, filters: Filters, as_of: date) -> pd.DataFrame:
    """Step conversion counts per week the previous stage was first reached, step (``stage`` = the
    stage reached) and the customer's first-contact channel; only cohorts whose window ended by
    the as-of date. A next stage logged before the previous one counts as made (the funnel's rule)."""
    stages = stage_order(db)[: STEPS_CHECKED + 1]
    if len(stages) < 2:
        return pd.DataFrame(columns=["stage", "channel", *SERIES_COLUMNS])
    events = filter_table(db, "journey_events", replace(_history(filters, as_of), channels=()))
    events = events.filter(events.stage.isin(stages))
    firsts = events.group_by(["customer_id", "stage"]).aggregate(reached_at=events.occurred_at.min())
    customers = filter_table(db, "customers", _history(filters, as_of), date_range=False)
    customers = customers.select(customer=customers.customer_id, channel=customers.channel)
    last_cohort = ibis.timestamp(day_start(as_of + timedelta(days=1) - timedelta(days=STEP_WINDOW_DAYS)))
    parts = []
    for previous, stage in zip(stages[:-1], stages[1:], strict=True):
        before = firsts.filter(firsts.stage == previous, firsts.reached_at < last_cohort)
        after = firsts.filter(firsts.stage == stage).select(next_customer="customer_id", next_at="reached_at")
        joined = before.left_join(after, before.customer_id == after.next_customer)
        joined = joined.inner_join(customers, joined.customer_id == customers.customer)
        made = joined.next_at.notnull() & (joined.next_at < joined.reached_at + ibis.interval(days=STEP_WINDOW_DAYS))
        weeks = _by_week(joined, joined.reached_at, {"channel": joined.channel},
                         {"size": joined.count(), "count": made.cast("int64").sum()})
        parts.append(weeks.assign(stage=stage, total=0, total_squares=0))
    return pd.concat(parts, ignore_index=True)[["stage", "channel", *SERIES_COLUMNS]]


# --- series and alerts ---------------------------------------------------------------------------


def _weekly(frame: pd.DataFrame, weeks: pd.DatetimeIndex) -> pd.DataFrame:
    """``frame``'s counts summed per week, every week of ``weeks`` present (an empty week: size 0)."""
    summed = frame.groupby("period_start")[["size", "count", "total", "total_squares"]].sum()
    summed = summed.reindex(weeks, fill_value=0).astype(float)
    return summed.rename_axis("period_start").reset_index()


def _with_overall(frame: pd.DataFrame, dimension: str, fixed: dict | None = None) -> list[tuple[dict, pd.DataFrame]]:
    """(where, rows) for every value of ``dimension`` and for all of them together."""
    fixed = fixed or {}
    groups = [(dict(fixed), frame)]
    for value, rows in frame.groupby(frame[dimension].fillna("Unknown")):
        groups.append(({**fixed, dimension: str(value)}, rows))
    return groups


def build_series(surveys: pd.DataFrame, transactions: pd.DataFrame, complaints: pd.DataFrame,
                 steps: pd.DataFrame, weeks: pd.DatetimeIndex) -> list[tuple[str, dict, pd.DataFrame]]:  # fmt: skip
    """Every watched series: (metric, where, weekly ``SERIES_COLUMNS``)."""
    series = []
    for metric, rows in surveys.groupby("metric"):
        series += [(metric, where, _weekly(part, weeks)) for where, part in _with_overall(rows, "channel")]
    for stage, rows in steps.groupby("stage"):
        series += [("step_conversion", where, _weekly(part, weeks))
                   for where, part in _with_overall(rows, "channel", {"stage": stage})]  # fmt: skip
    purchases = transactions.assign(size=transactions["purchases"], count=transactions["refunds"], total=0,
                                    total_squares=0)  # fmt: skip
    series += [("refund_rate", where, _weekly(part, weeks)) for where, part in _with_overall(purchases, "channel")]
    exposure = {where.get("channel"): _weekly(part, weeks)["size"] for where, part in _with_overall(purchases, "channel")}
    for category, rows in complaints.groupby(complaints["category"].fillna("Unknown")):
        for where, part in _with_overall(rows.assign(size=0, count=rows["complaints"], total=0, total_squares=0),
                                         "channel", {"category": category}):  # fmt: skip
            if where.get("channel") in exposure:
                weekly = _weekly(part, weeks).assign(size=exposure[where.get("channel")].to_numpy())
                series.append(("complaint_rate", where, weekly))
    return series


def find_alerts(series: list[tuple[str, dict, pd.DataFrame]], as_of: date) -> list[Alert]:
    """The alerts of every series, most severe first (then the most recent)."""
    alerts = []
    for metric, where, weekly in series:
        signal = SIGNALS[metric]
        checked = check_series(weekly, signal.kind)
        for first, last in flag_windows(checked["z"].to_numpy(), signal.higher_is_better):
            base = baseline_before(checked, signal.kind, first)
            observed, expected, z = window_z(signal.kind, checked.iloc[first: last + 1], base)
            start = checked["period_start"].iloc[first].date()
            end = min(checked["period_start"].iloc[last].date() + timedelta(days=6), as_of)
            alerts.append(Alert(metric, tuple(where.items()), start, end, observed * signal.factor,
                                expected * signal.factor, z, severity_of(z),
                                float(checked["size"].iloc[first: last + 1].sum()),
                                _chart_rows(checked, signal, first, last)))  # fmt: skip
    return sorted(alerts, key=lambda a: (-abs(a.z), -a.end.toordinal()))


def _chart_rows(checked: pd.DataFrame, signal, first: int, last: int) -> pd.DataFrame:
    """The weeks around a window with their expected band (each week's own baseline)."""
    low_index, high_index = max(0, first - CHART_WEEKS_BEFORE), min(len(checked), last + 1 + CHART_WEEKS_AFTER)
    rows = []
    for index in range(low_index, high_index):
        size = float(checked["size"].iloc[index])
        base = baseline_before(checked, signal.kind, index)
        low, high = control_band(signal.kind, size, base) if base is not None else (np.nan, np.nan)
        expected = base.expected(signal.kind) if base is not None else np.nan
        rows.append({"period_start": checked["period_start"].iloc[index], "size": size,
                     "value": checked["value"].iloc[index] * signal.factor, "expected": expected * signal.factor,
                     "low": low * signal.factor, "high": high * signal.factor,
                     "is_flagged": first <= index <= last})  # fmt: skip
    return pd.DataFrame(rows)


def fetch_alerts(db, filters: Filters, as_of: date) -> list[Alert]:
    """Every alert of the history to ``as_of`` for the filters' dimensions (their dates ignored)."""
    surveys = fetch_survey_weeks(db, filters, as_of)
    transactions = fetch_transaction_weeks(db, filters, as_of)
    complaints = fetch_complaint_weeks(db, filters, as_of)
    steps = fetch_step_weeks(db, filters, as_of)
    starts = [frame["period_start"].min() for frame in (surveys, transactions, complaints, steps) if len(frame)]
    if not starts:
        return []
    weeks = pd.date_range(min(starts), pd.Timestamp(as_of), freq="W-MON")
    return find_alerts(build_series(surveys, transactions, complaints, steps, weeks), as_of)


def select_alerts(alerts: list[Alert], since: date, until: date | None = None) -> list[Alert]:
    """The alerts that reach into ``since`` … ``until``: still going on or ended since."""
    return [a for a in alerts if a.end >= since and (until is None or a.start <= until)]
