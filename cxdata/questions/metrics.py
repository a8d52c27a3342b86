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
from dataclasses import dataclass, replace
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
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
from cxdata.model.registry import METRICS, needs_of
from cxdata.model.rules import (
    common_scale_top,
    is_active_at,
    is_anonymous,
    is_purchase,
    is_unresolved_by,
    scale_of_top,
    survey_counts,
)
from cxdata.model.schema import TABLES
from cxdata.questions.metric_value import MetricValue, from_interval, number, whole_count
from cxdata.questions.periods import GRAIN_UNITS, group_by_period, period_totals, span_of

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
    nps_n, csat_n, ces_n = whole_count(counts["nps_n"]), whole_count(counts["csat_n"]), whole_count(counts["ces_n"])
    ces_mean, ces_sd = ces_stats(ces_n, number(counts["ces_sum"]) or 0, number(counts["ces_sum_squares"]) or 0)
    ces_top = common_scale_top(ces_n, counts.get("ces_scale_sum"), counts.get("ces_scale_sum_squares"))
    if ces_n and ces_top is None:  # answers on different scales: a mean of them means nothing
        ces = MetricValue("ces", None, ces_n, gap=Unmeasurable("ces_scales_mixed"))
    else:
        ces = replace(from_interval("ces", mean_interval(ces_mean, ces_sd, ces_n), ces_n),
                      scale=scale_of_top("ces", ces_top) if ces_top else None)  # fmt: skip
    return {
        "nps": from_interval("nps", nps_interval(whole_count(counts["promoters"]), whole_count(counts["detractors"]), nps_n), nps_n),
        "csat": from_interval("csat", wilson_interval(whole_count(counts["satisfied"]), csat_n), csat_n),
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
    n, anonymous_n = whole_count(sums["n"]), whole_count(sums.get("anonymous_n"))
    revenue = number(sums["revenue"]) if n else None
    anonymous = (number(sums.get("anonymous_revenue")) or 0.0) if n else None
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
    n, active = whole_count(sums["n"]), whole_count(sums["active"])
    revenue = number(sums["revenue"]) if n else None
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
    contacted, paying = whole_count(sums["contacted"]), whole_count(sums["paying"])
    cost, revenue = number(sums["cost"]), number(sums["revenue"]) or 0.0
    conversion = wilson_interval(paying, contacted)
    ltv = revenue / paying if paying else None
    cac = cost / paying if paying and cost is not None else None
    return {
        "conversion_rate": from_interval("conversion_rate", conversion, contacted),
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
    n, anonymous = whole_count(counts["n"]), whole_count(counts["anonymous"])
    return {
        "complaints": MetricValue("complaints", float(n), n),
        "anonymous_complaints": MetricValue("anonymous_complaints", float(anonymous), anonymous),
        "unresolved_share": from_interval("unresolved_share", wilson_interval(whole_count(counts["unresolved"]), n), n),
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
