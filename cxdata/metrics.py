"""The metric layer: ``Filters`` in, ``MetricValue``s out.

Definitions (formula, unit, scale) live in ``cxdata.registry``; this module computes them as
Ibis expressions, so the same code can run on another Ibis backend. "Now" is the ``as_of``
argument, never the clock.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from cxdata.filters import Filters
from cxdata.query import customer_lifecycle, day_start, filter_daily_rollup, filter_table, period_bounds
from cxdata.rollups import rollups_are_fresh
from cxdata.registry import METRICS, MIN_SAMPLE_SIZE
from cxdata.stats import mean_interval, monthly_rate, nps_interval, wilson_interval


@dataclass(frozen=True)
class MetricValue:
    """One metric over one selection: value in the registry's unit, sample size, 95% interval."""

    name: str
    value: float | None
    n: int
    low: float | None = None
    high: float | None = None

    @property
    def is_small_sample(self) -> bool:
        return self.n < MIN_SAMPLE_SIZE

    @property
    def has_interval(self) -> bool:
        return self.low is not None and not math.isnan(self.low)

    def to_dict(self) -> dict:
        data = asdict(self)
        del data["name"]
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


def _first_row(expr) -> dict:
    return expr.execute().iloc[0].to_dict()


def survey_aggregates(db, filters: Filters) -> tuple[ir.Table, dict[str, ir.Scalar]]:
    """(relation, aggregate expressions) for NPS/CSAT/CES counts, from the rollup when fresh.

    The aggregates are named ``nps_n, promoters, detractors, csat_n, satisfied, ces_n, ces_sum,
    ces_sum_squares``; ``ces_stats`` turns the last three into mean and standard deviation.
    """
    if rollups_are_fresh(db):
        d = filter_daily_rollup(db, "survey_daily", filters)
        return d, dict(
            nps_n=d.nps_count.sum(),
            promoters=d.promoter_count.sum(),
            detractors=d.detractor_count.sum(),
            csat_n=d.csat_count.sum(),
            satisfied=d.satisfied_count.sum(),
            ces_n=d.ces_count.sum(),
            ces_sum=d.ces_sum.sum(),
            ces_sum_squares=d.ces_sum_squares.sum(),
        )
    s = filter_table(db, "surveys", filters)
    ces = s.ces.cast("int64")
    return s, dict(
        nps_n=s.nps.count(),
        promoters=(s.nps >= 9).sum(),
        detractors=(s.nps <= 6).sum(),
        csat_n=s.csat.count(),
        satisfied=(s.csat >= 4).sum(),
        ces_n=s.ces.count(),
        ces_sum=ces.sum(),
        ces_sum_squares=(ces * ces).sum(),
    )


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


def compute_survey_metrics(db, filters: Filters) -> dict[str, MetricValue]:
    """NPS, CSAT and CES over survey responses dated in the period."""
    relation, aggregates = survey_aggregates(db, filters)
    row = _first_row(relation.aggregate(**aggregates))
    nps_n, csat_n, ces_n = _count(row["nps_n"]), _count(row["csat_n"]), _count(row["ces_n"])
    ces_mean, ces_sd = ces_stats(ces_n, _number(row["ces_sum"]) or 0, _number(row["ces_sum_squares"]) or 0)
    return {
        "nps": _from_interval("nps", nps_interval(_count(row["promoters"]), _count(row["detractors"]), nps_n), nps_n),
        "csat": _from_interval("csat", wilson_interval(_count(row["satisfied"]), csat_n), csat_n),
        "ces": _from_interval("ces", mean_interval(ces_mean, ces_sd, ces_n), ces_n),
    }


def compute_revenue_metrics(db, filters: Filters) -> dict[str, MetricValue]:
    """Net revenue over transactions dated in the period (n = transactions)."""
    if rollups_are_fresh(db):
        d = filter_daily_rollup(db, "transaction_daily", filters)
        row = _first_row(d.aggregate(revenue=d.amount_sum.sum(), n=d.transaction_count.sum()))
    else:
        t = filter_table(db, "transactions", filters)
        row = _first_row(t.aggregate(revenue=t.amount.sum(), n=t.count()))
    n = _count(row["n"])
    return {"revenue": MetricValue("revenue", _number(row["revenue"]) if n else None, n)}


def compute_arpu(db, filters: Filters) -> dict[str, MetricValue]:
    """ARPU: net revenue per customer with a transaction in the period (a distinct count: no rollup)."""
    t = filter_table(db, "transactions", filters)
    row = _first_row(t.aggregate(revenue=t.amount.sum(), n=t.count(), active=t.customer_id.nunique()))
    n, active = _count(row["n"]), _count(row["active"])
    revenue = _number(row["revenue"]) if n else None
    return {"arpu": MetricValue("arpu", revenue / active if active and revenue is not None else None, active)}


def compute_retention_metrics(db, filters: Filters) -> dict[str, MetricValue]:
    """Retention over the period and the equivalent monthly churn, for customers active at its start."""
    start, end = period_bounds(filters)
    life = customer_lifecycle(db, filters)
    at_start = life.filter(life.first_purchase_at < start, life.churned_at.isnull() | (life.churned_at >= start))
    row = _first_row(
        at_start.aggregate(
            active=at_start.count(),
            retained=(at_start.churned_at.isnull() | (at_start.churned_at >= end)).sum(),
        )
    )
    active, retained = _count(row["active"]), _count(row["retained"])
    retention = wilson_interval(retained, active)
    if retention is None:
        return {"retention_rate": MetricValue("retention_rate", None, 0), "churn_rate": MetricValue("churn_rate", None, 0)}
    value, low, high = retention

    def churn(share_retained_percent: float) -> float:
        return 100 * monthly_rate(1 - share_retained_percent / 100, filters.days)

    return {
        "retention_rate": MetricValue("retention_rate", value, active, low, high),
        # Churn falls as retention rises, so the interval bounds swap.
        "churn_rate": MetricValue("churn_rate", churn(value), active, churn(high), churn(low)),
    }


def compute_acquisition_metrics(db, filters: Filters, as_of: date) -> dict[str, MetricValue]:
    """Conversion, historical LTV, CAC and LTV/CAC for people first contacted in the period."""
    if rollups_are_fresh(db, as_of):
        joined = filter_table(db, "customers", filters, table=db.table("customer_summary"))
    else:
        cohort = filter_table(db, "customers", filters)
        transactions = db.table("transactions")
        to_date = transactions.filter(transactions.occurred_at < ibis.timestamp(day_start(as_of + timedelta(days=1))))
        per_customer = to_date.group_by("customer_id").aggregate(
            net_revenue=to_date.amount.sum(), is_paying=(to_date.amount > 0).any()
        )
        joined = cohort.left_join(per_customer, cohort.customer_id == per_customer.customer_id)
    is_paying = joined.is_paying.fill_null(False)
    row = _first_row(
        joined.aggregate(
            contacted=joined.count(),
            paying=is_paying.sum(),
            cost=joined.acquisition_cost.sum(),
            revenue=is_paying.ifelse(joined.net_revenue, 0).sum(),
        )
    )
    contacted, paying = _count(row["contacted"]), _count(row["paying"])
    cost, revenue = _number(row["cost"]), _number(row["revenue"]) or 0.0
    conversion = wilson_interval(paying, contacted)
    ltv = revenue / paying if paying else None
    cac = cost / paying if paying and cost is not None else None
    return {
        "conversion_rate": _from_interval("conversion_rate", conversion, contacted),
        "ltv": MetricValue("ltv", ltv, paying),
        "cac": MetricValue("cac", cac, paying),
        "ltv_cac": MetricValue("ltv_cac", ltv / cac if ltv is not None and cac else None, paying),
    }


def compute_complaint_metrics(db, filters: Filters, as_of: date) -> dict[str, MetricValue]:
    """Complaints opened in the period and the share still unresolved on the as-of date."""
    c = filter_table(db, "complaints", filters)
    as_of_end = ibis.timestamp(day_start(as_of + timedelta(days=1)))
    row = _first_row(c.aggregate(n=c.count(), unresolved=(c.resolved_at.isnull() | (c.resolved_at >= as_of_end)).sum()))
    n = _count(row["n"])
    return {
        "complaints": MetricValue("complaints", float(n), n),
        "unresolved_share": _from_interval("unresolved_share", wilson_interval(_count(row["unresolved"]), n), n),
    }


# Which computation yields which metrics (one query each).
_GROUPS = (
    (("nps", "csat", "ces"), lambda db, f, as_of: compute_survey_metrics(db, f)),
    (("revenue",), lambda db, f, as_of: compute_revenue_metrics(db, f)),
    (("arpu",), lambda db, f, as_of: compute_arpu(db, f)),
    (("retention_rate", "churn_rate"), lambda db, f, as_of: compute_retention_metrics(db, f)),
    (("conversion_rate", "ltv", "cac", "ltv_cac"), compute_acquisition_metrics),
    (("complaints", "unresolved_share"), compute_complaint_metrics),
)


def compute_metrics(db, filters: Filters, as_of: date, names=None) -> dict[str, MetricValue]:
    """The registry's metrics (all, or ``names``) for one selection, in registry order.

    Only the queries the requested metrics need are run.
    """
    wanted = set(METRICS if names is None else names)
    values: dict[str, MetricValue] = {}
    for group, compute in _GROUPS:
        if wanted & set(group):
            values.update(compute(db, filters, as_of))
    return {name: values[name] for name in METRICS if name in wanted}
