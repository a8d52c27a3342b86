"""The metric layer: ``Filters`` in, ``MetricValue``s out.

Definitions (formula, unit, scale) live in ``cxdata.model.registry``; this module computes them as
Ibis expressions, so the same code can run on another Ibis backend. "Now" is the ``as_of``
argument, never the clock.

Each group of metrics is one query that answers several periods of the same selection at once
(the overview's period and the one before it): ``fetch_metric_counts`` returns the counts and
sums the metrics are made of, one row per period index (and, with a trend grain, per trend
period), and ``metrics_from_counts`` turns one period's counts into ``MetricValue``s. The
formulas exist once, whichever way the counts were grouped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxdata.analysis.stats import (
    mean_interval,
    monthly_rate,
    nps_interval,
    wilson_interval,
)
from cxdata.engine import metrics_rollup
from cxdata.engine.coverage import Coverage, Gap, Unmeasurable, fetch_coverage
from cxdata.engine.query import (
    customer_lifecycle,
    day_start,
    filter_table,
    period_bounds,
)
from cxdata.engine.router import CURRENT, CUSTOMER_SUMMARY, answered_by
from cxdata.model.filters import Filters
from cxdata.model.registry import METRICS, MIN_SAMPLE_SIZE, needs_of
from cxdata.model.rules import (
    DEFAULT_SCALE,
    common_scale_top,
    is_active_at,
    is_anonymous,
    is_purchase,
    is_unresolved_by,
    scale_of_top,
    scale_text,
    survey_counts,
)
from cxdata.model.schema import TABLES

# Ibis truncation units of the trend grains (``cxdata.questions.trends``).
GRAIN_UNITS = {"week": "W", "month": "M"}


@dataclass(frozen=True)
class MetricValue:
    """One metric over one selection: value in the registry's unit, sample size, 95% interval;
    ``gap`` says why there is no value (the data it needs was never loaded, a ``Gap``; or the
    selection cannot give it, an ``Unmeasurable``: CES answers on different scales); ``scale``:
    the scale the answers of a CES value share ("1_5")."""

    name: str
    value: float | None
    n: int
    low: float | None = None
    high: float | None = None
    gap: Gap | Unmeasurable | None = None
    scale: str | None = None

    @property
    def is_small_sample(self) -> bool:
        return self.n < MIN_SAMPLE_SIZE

    @property
    def has_interval(self) -> bool:
        return self.low is not None and not math.isnan(self.low)

    def to_dict(self, lang: str = "en") -> dict:
        """value, n, low, high as JSON, and ``scale`` ("1–5") when it is not the metric's default; a
        metric without its data: value null, n (0 when nothing was loaded) and the reason."""
        if self.gap is not None:
            return {"value": None, "n": self.n, "reason": self.gap.reason(lang)}
        data = asdict(self)
        del data["name"], data["gap"], data["scale"]
        if self.scale is not None and self.scale != DEFAULT_SCALE.get(self.name):
            data["scale"] = scale_text(self.scale)
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in data.items()}


def _number(value) -> float | None:
    """A scalar from a query result as float, with SQL NULL / NaN as None."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _count(value) -> int:
    number = _number(value)
    return 0 if number is None else int(number)


def _from_interval(name: str, result: tuple[float, float, float] | None, n: int) -> MetricValue:
    if result is None:
        return MetricValue(name, None, n)
    value, low, high = result
    return MetricValue(name, value, n, low, high)


# --- periods -----------------------------------------------------------------------------------


def span_of(periods: Sequence[Filters]) -> Filters:
    """One selection covering every period (same dimensions): the rows any of them reads."""
    return replace(periods[0], start=min(p.start for p in periods), end=max(p.end for p in periods))


def in_period(column: ir.Value, period: Filters) -> ir.BooleanValue:
    """``column`` (a date, or a timestamp) falls on one of the period's days."""
    if column.type().is_date():
        return (column >= period.start) & (column <= period.end)
    start, end = period_bounds(period)
    return (column >= start) & (column < end)


def period_index(column: ir.Value, periods: Sequence[Filters]) -> ir.IntegerValue:
    """0, 1, … : which of ``periods`` (disjoint) the row's ``column`` falls in; null for none."""
    return ibis.cases(*[(in_period(column, period), index) for index, period in enumerate(periods)], else_=None)


def group_by_period(relation: ir.Table, column: ir.Value, periods: Sequence[Filters], aggregates: dict,
                    grain: str | None = None) -> pd.DataFrame:  # fmt: skip
    """``aggregates`` per period index (``period``) and, with a ``grain``, per trend period
    (``period_start``, the week or month ``column`` falls in)."""
    keys = {"period": period_index(column, periods)}
    if grain is not None:
        keys["period_start"] = column.cast("timestamp").truncate(GRAIN_UNITS[grain])
    return relation.group_by(**keys).aggregate(**aggregates).execute()


def period_totals(counts: pd.DataFrame, index: int) -> dict:
    """Column sums of the rows of period ``index`` (0 for a period without rows).

    Counts add up exactly; float sums (money) are added with ``math.fsum``, correctly rounded.
    """
    rows = counts["period"].to_numpy() == index
    totals = {}
    for column in counts.columns.difference(["period", "period_start"]):
        values = counts[column].to_numpy()[rows]
        if values.dtype.kind == "f":
            totals[column] = math.fsum(values[~np.isnan(values)])
        elif values.dtype.kind in "iub":
            totals[column] = int(values.sum())
        else:  # 128-bit sums arrive as Python numbers, nulls as None
            totals[column] = sum(v for v in values if v is not None and v == v)
    return totals


# --- survey metrics ----------------------------------------------------------------------------


def survey_aggregates(db, filters: Filters) -> tuple[ir.Table, dict[str, ir.Scalar]]:
    """(survey answers of the selection, aggregate expressions) for NPS/CSAT/CES counts, on the raw
    table: fresh rollups are read with SQL instead (``cxdata.engine.metrics_rollup``, ``journey_rollup``).

    The aggregates are named ``nps_n, promoters, detractors, csat_n, satisfied, ces_n, ces_sum,
    ces_sum_squares``; ``ces_stats`` turns the last three into mean and standard deviation.
    """
    s = filter_table(db, "surveys", filters)
    return s, survey_counts(s)


def ces_stats(n: int, total, sum_squares) -> tuple[float | None, float | None]:
    """(mean, sample standard deviation) from a count, a sum and a sum of squares.

    >>> ces_stats(3, 15, 83)
    (5.0, 2.0)
    """
    if n <= 0:
        return None, None
    mean = float(total) / n
    if n < 2:
        return mean, None
    variance = (float(sum_squares) - n * mean * mean) / (n - 1)
    return mean, math.sqrt(max(variance, 0.0))


@answered_by(CURRENT, saved=metrics_rollup.survey_counts)
def fetch_survey_counts(db, periods: Sequence[Filters], as_of: date | None = None, grain: str | None = None) -> pd.DataFrame:
    """``survey_aggregates`` per period index (and trend period)."""
    relation, aggregates = survey_aggregates(db, span_of(periods))
    return group_by_period(relation, relation.responded_at, periods, aggregates, grain)


def survey_metrics(counts: dict) -> dict[str, MetricValue]:
    """NPS, CSAT and CES from the counts of ``survey_aggregates``."""
    nps_n, csat_n, ces_n = _count(counts["nps_n"]), _count(counts["csat_n"]), _count(counts["ces_n"])
    ces_mean, ces_sd = ces_stats(ces_n, _number(counts["ces_sum"]) or 0, _number(counts["ces_sum_squares"]) or 0)
    ces_top = common_scale_top(ces_n, counts.get("ces_scale_sum"), counts.get("ces_scale_sum_squares"))
    if ces_n and ces_top is None:  # answers on different scales: a mean of them means nothing
        ces = MetricValue("ces", None, ces_n, gap=Unmeasurable("ces_scales_mixed"))
    else:
        ces = replace(_from_interval("ces", mean_interval(ces_mean, ces_sd, ces_n), ces_n),
                      scale=scale_of_top("ces", ces_top) if ces_top else None)  # fmt: skip
    return {
        "nps": _from_interval("nps", nps_interval(_count(counts["promoters"]), _count(counts["detractors"]), nps_n), nps_n),
        "csat": _from_interval("csat", wilson_interval(_count(counts["satisfied"]), csat_n), csat_n),
        "ces": ces,
    }


# --- money ---------------------------------------------------------------------------------------


@answered_by(CURRENT, saved=metrics_rollup.revenue_sums)
def fetch_revenue_sums(db, periods: Sequence[Filters], as_of: date | None = None, grain: str | None = None) -> pd.DataFrame:
    """Net revenue (``revenue``) and transactions (``n``) per period, and the anonymous ones'
    (``anonymous_revenue``, ``anonymous_n``: loaded without a customer)."""
    t = filter_table(db, "transactions", span_of(periods))
    anonymous = is_anonymous(t.customer_id)
    aggregates = dict(revenue=t.amount.sum(), n=t.count(), anonymous_revenue=t.amount.sum(where=anonymous),
                      anonymous_n=anonymous.sum())
    return group_by_period(t, t.occurred_at, periods, aggregates, grain)


def revenue_metrics(sums: dict) -> dict[str, MetricValue]:
    """Revenue, its anonymous part and that part's share (of a positive revenue)."""
    n, anonymous_n = _count(sums["n"]), _count(sums.get("anonymous_n"))
    revenue = _number(sums["revenue"]) if n else None
    anonymous = (_number(sums.get("anonymous_revenue")) or 0.0) if n else None
    share = 100 * anonymous / revenue if revenue and revenue > 0 and anonymous is not None else None
    return {
        "revenue": MetricValue("revenue", revenue, n),
        "anonymous_revenue": MetricValue("anonymous_revenue", anonymous, anonymous_n),
        "anonymous_revenue_share": MetricValue("anonymous_revenue_share", share, n),
    }


def fetch_arpu_sums(db, periods: Sequence[Filters], as_of: date | None = None, grain: str | None = None) -> pd.DataFrame:
    """Revenue of known customers, transactions and distinct customers per period (a distinct
    count: no rollup). Anonymous transactions (no customer) belong to no one's average."""
    t = filter_table(db, "transactions", span_of(periods))
    known = ~is_anonymous(t.customer_id)
    aggregates = dict(revenue=t.amount.sum(where=known), n=known.sum(), active=t.customer_id.nunique())
    return group_by_period(t, t.occurred_at, periods, aggregates)


def arpu_metrics(sums: dict) -> dict[str, MetricValue]:
    n, active = _count(sums["n"]), _count(sums["active"])
    revenue = _number(sums["revenue"]) if n else None
    return {"arpu": MetricValue("arpu", revenue / active if active and revenue is not None else None, active)}


# --- retention ---------------------------------------------------------------------------------


@answered_by(CURRENT, saved=metrics_rollup.retention_counts)
def fetch_retention_counts(db, periods: Sequence[Filters], as_of: date | None = None, grain: str | None = None) -> pd.DataFrame:
    """Paying customers (``customers``) and, for each period index i, those active at its start
    (``active_i``) and still active at its end (``retained_i``); with a ``grain`` per
    (``first_period``, ``churn_period``): the week or month of the first purchase and of the churn.
    """
    life = customer_lifecycle(db, periods[0])
    aggregates = {"customers": life.count()}
    for index, period in enumerate(periods):
        start, end = period_bounds(period)
        active = is_active_at(life.first_purchase_at, life.churned_at, start)
        aggregates[f"active_{index}"] = life.count(where=active)
        aggregates[f"retained_{index}"] = life.count(where=active & (life.churned_at.isnull() | (life.churned_at >= end)))
    if grain is None:
        return life.aggregate(**aggregates).execute()
    # Trend periods from the week or month the period starts in; the trend only asks whether a
    # customer bought before a trend period and churned in or after it, so all periods before
    # the first one, and all after the last, fold into one each (a few hundred rows, not 10k).
    unit = GRAIN_UNITS[grain]
    first = ibis.timestamp(day_start(periods[0].start)).truncate(unit)
    # Any moment before the first trend period means "before it" (not date.min: other engines refuse year 1).
    before, after = first - ibis.interval(days=1), ibis.timestamp(day_start(periods[0].end + timedelta(days=1)))
    first_period, churn_period = life.first_purchase_at.truncate(unit), life.churned_at.truncate(unit)
    keys = dict(
        first_period=(first_period < first).ifelse(before, first_period),
        churn_period=(churn_period < first).ifelse(before, (churn_period > after).ifelse(after, churn_period)),
    )
    return life.group_by(**keys).aggregate(**aggregates).execute()


def retention_metrics(counts: pd.DataFrame, index: int, period: Filters) -> dict[str, MetricValue]:
    """Retention over the period and the equivalent monthly churn, for customers active at its start."""
    active, retained = int(counts[f"active_{index}"].sum()), int(counts[f"retained_{index}"].sum())
    retention = wilson_interval(retained, active)
    if retention is None:
        return {"retention_rate": MetricValue("retention_rate", None, 0), "churn_rate": MetricValue("churn_rate", None, 0)}
    value, low, high = retention

    def churn(share_retained_percent: float) -> float:
        return 100 * monthly_rate(1 - share_retained_percent / 100, period.days)

    return {
        "retention_rate": MetricValue("retention_rate", value, active, low, high),
        # Churn falls as retention rises, so the interval bounds swap.
        "churn_rate": MetricValue("churn_rate", churn(value), active, churn(high), churn(low)),
    }


# --- acquisition -------------------------------------------------------------------------------


@answered_by(CUSTOMER_SUMMARY, saved=metrics_rollup.acquisition_sums)
def fetch_acquisition_sums(db, periods: Sequence[Filters], as_of: date, grain: str | None = None) -> pd.DataFrame:
    """People first contacted in each period: ``contacted``, ``paying``, acquisition ``cost`` and
    the ``revenue`` of the paying ones to the as-of date."""
    cohort = filter_table(db, "customers", span_of(periods))
    transactions = db.table("transactions")
    to_date = transactions.filter(transactions.occurred_at < ibis.timestamp(day_start(as_of + timedelta(days=1))))
    per_customer = to_date.group_by("customer_id").aggregate(
        net_revenue=to_date.amount.sum(), is_paying=is_purchase(to_date.amount).any()
    )
    joined = cohort.left_join(per_customer, cohort.customer_id == per_customer.customer_id)
    is_paying = joined.is_paying.fill_null(False)
    aggregates = dict(
        contacted=joined.count(),
        paying=is_paying.sum(),
        cost=joined.acquisition_cost.sum(),
        revenue=is_paying.ifelse(joined.net_revenue, 0).sum(),
    )
    return group_by_period(joined, joined.signup_at, periods, aggregates)


def acquisition_metrics(sums: dict) -> dict[str, MetricValue]:
    """Conversion, historical LTV, CAC and LTV/CAC from ``fetch_acquisition_sums``."""
    contacted, paying = _count(sums["contacted"]), _count(sums["paying"])
    cost, revenue = _number(sums["cost"]), _number(sums["revenue"]) or 0.0
    conversion = wilson_interval(paying, contacted)
    ltv = revenue / paying if paying else None
    cac = cost / paying if paying and cost is not None else None
    return {
        "conversion_rate": _from_interval("conversion_rate", conversion, contacted),
        "ltv": MetricValue("ltv", ltv, paying),
        "cac": MetricValue("cac", cac, paying),
        "ltv_cac": MetricValue("ltv_cac", ltv / cac if ltv is not None and cac else None, paying),
    }


# --- complaints --------------------------------------------------------------------------------


def fetch_complaint_counts(db, periods: Sequence[Filters], as_of: date, grain: str | None = None) -> pd.DataFrame:
    """Complaints opened in each period (``n``), those unresolved on the as-of date and those loaded
    without a customer (``anonymous``)."""
    c = filter_table(db, "complaints", span_of(periods))
    as_of_end = ibis.timestamp(day_start(as_of + timedelta(days=1)))
    aggregates = dict(n=c.count(), unresolved=is_unresolved_by(c.resolved_at, as_of_end).sum(),
                      anonymous=is_anonymous(c.customer_id).sum())
    return group_by_period(c, c[TABLES["complaints"].date_column], periods, aggregates)


def complaint_metrics(counts: dict) -> dict[str, MetricValue]:
    n, anonymous = _count(counts["n"]), _count(counts["anonymous"])
    return {
        "complaints": MetricValue("complaints", float(n), n),
        "anonymous_complaints": MetricValue("anonymous_complaints", float(anonymous), anonymous),
        "unresolved_share": _from_interval("unresolved_share", wilson_interval(_count(counts["unresolved"]), n), n),
    }


# --- all of them -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricGroup:
    """Metrics answered by one query: ``fetch(db, periods, as_of, grain)`` -> counts frame, and
    ``compute(counts, index, period)`` -> the metrics of period ``index``."""

    metrics: tuple[str, ...]
    fetch: Callable
    compute: Callable


def _per_period(compute: Callable) -> Callable:
    return lambda counts, index, period: compute(period_totals(counts, index))


GROUPS = {
    "survey": MetricGroup(("nps", "csat", "ces"), fetch_survey_counts, _per_period(survey_metrics)),
    "revenue": MetricGroup(("revenue", "anonymous_revenue", "anonymous_revenue_share"), fetch_revenue_sums,
                           _per_period(revenue_metrics)),  # fmt: skip
    "arpu": MetricGroup(("arpu",), fetch_arpu_sums, _per_period(arpu_metrics)),
    "retention": MetricGroup(("retention_rate", "churn_rate"), fetch_retention_counts, retention_metrics),
    "acquisition": MetricGroup(("conversion_rate", "ltv", "cac", "ltv_cac"), fetch_acquisition_sums,
                               _per_period(acquisition_metrics)),  # fmt: skip
    "complaints": MetricGroup(("complaints", "anonymous_complaints", "unresolved_share"), fetch_complaint_counts,
                              _per_period(complaint_metrics)),  # fmt: skip
}
# The groups whose counts can also be grouped by trend period (``cxdata.questions.trends``).
TREND_GROUPS = ("survey", "revenue", "retention")


def fetch_metric_counts(db, periods: Sequence[Filters], as_of: date | None, names=None,
                        grain: str | None = None) -> dict[str, pd.DataFrame]:  # fmt: skip
    """The counts of every group the metrics ``names`` (default: all) need, for all ``periods``
    (same dimensions, disjoint dates) in one query per group. With a ``grain`` the survey,
    revenue and retention counts are also split by trend period, for ``cxdata.questions.trends``."""
    wanted = set(METRICS if names is None else names)
    return {
        name: group.fetch(db, periods, as_of, grain if name in TREND_GROUPS else None)
        for name, group in GROUPS.items()
        if wanted & set(group.metrics)
    }


def metrics_from_counts(counts: dict[str, pd.DataFrame], index: int, period: Filters, names=None) -> dict[str, MetricValue]:
    """The metrics ``names`` (default: all counted) of period ``index``, in registry order."""
    values: dict[str, MetricValue] = {}
    for name, frame in counts.items():
        values.update(GROUPS[name].compute(frame, index, period))
    wanted = set(values if names is None else names)
    return {name: values[name] for name in METRICS if name in wanted and name in values}


def cover(values: dict[str, MetricValue], coverage: Coverage) -> dict[str, MetricValue]:
    """``values`` with every metric whose data was never loaded replaced by no value and its gap."""
    gaps = {name: coverage.gap_of(name) for name in values}
    return {name: value if gaps[name] is None else MetricValue(name, None, 0, gap=gaps[name])
            for name, value in values.items()}  # fmt: skip


def fetch_metric_coverage(db, names=None) -> Coverage:
    """``fetch_coverage`` of the tables the metrics ``names`` (default: all) are made of."""
    tables = {need.split(".")[0] for name in (METRICS if names is None else names) for need in needs_of(name)}
    return fetch_coverage(db, tables)


def fetch_gap(db, name: str) -> Gap | None:
    """Why the metric or named measure ``name`` cannot be shown (its data was never loaded), or None."""
    return fetch_metric_coverage(db, (name,)).gap_of(name)


def compute_metrics_for_periods(db, periods: Sequence[Filters], as_of: date, names=None,
                                coverage: Coverage | None = None) -> list[dict[str, MetricValue]]:  # fmt: skip
    """``compute_metrics`` for several periods of one selection, one query per group of metrics."""
    counts = fetch_metric_counts(db, periods, as_of, names)
    coverage = fetch_metric_coverage(db, names) if coverage is None else coverage
    return [cover(metrics_from_counts(counts, index, period, names), coverage) for index, period in enumerate(periods)]


def compute_metrics(db, filters: Filters, as_of: date, names=None, coverage: Coverage | None = None) -> dict[str, MetricValue]:
    """The registry's metrics (all, or ``names``) for one selection, in registry order; a metric
    whose data was never loaded has no value and its gap (``cxdata.engine.coverage``).

    Only the queries the requested metrics need are run.
    """
    return compute_metrics_for_periods(db, [filters], as_of, names, coverage)[0]
