"""Complaints: how many, how fast they are resolved against the CX standard, what they cost.

Rules (definitions in ``cxdata.model.registry``):

- The complaints are those opened in the period (``complaints.opened_at``), narrowed by the
  filters as every page narrows them: the channel filter reads the complaint's own channel,
  segment and region the customer's. A complaint is unresolved when it has no resolution date on
  the as-of date (``rules.is_unresolved_by``).
- Active customers of a period: paying on or before its last day, no churn before its first day
  (``customer_lifecycle``). The rate is per 1,000 of them.
- The resolution standard is the ``targets`` row of metric ``resolution_hours`` for the
  complaint's category (the newest valid on the period's last day). A complaint is overdue when it
  was open longer than that: resolved after it, or unresolved and older than it on the as-of date.
- The churn link: customers active on the period's first day, split by whether they filed a
  complaint in the period that is unresolved on the as-of date; churned = a churn event by the
  period's last day. Revenue at stake: net revenue over the 12 months to the period's end of the
  customers with an unresolved complaint who are paying and have not churned by then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxdata.analysis.stats import wilson_interval
from cxdata.engine.query import customer_lifecycle, day_start, filter_table
from cxdata.model.filters import Filters
from cxdata.model.rules import is_active_at, is_unresolved_by
from cxdata.questions.metric_value import MetricValue
from cxdata.questions.metrics import cover, fetch_metric_coverage

RESOLUTION_METRIC = "resolution_hours"
DIMENSIONS = ("category", "touchpoint", "channel", "region")
NOT_STATED = "not_stated"  # a complaint without the value (an anonymous one has no region)
TILE_METRICS = ("complaints", "complaint_rate", "unresolved_share", "resolution_hours", "overdue_share")
CHURN_GROUPS = ("unresolved", "others")
VERBATIM_LIMIT = 500
STAKE_DAYS = 365


@dataclass(frozen=True)
class ComplaintsView:
    """Everything the complaints page shows for one selection.

    ``metrics``: TILE_METRICS and ``revenue_at_stake`` as ``MetricValue`` (with their gap when the
    data was never loaded). ``churn``: the ``period_churn_share`` of each of CHURN_GROUPS.
    ``months``: one row per month (``period_start``, ``complaints``, ``unresolved``,
    ``active_customers``, ``rate``). ``breakdown``: one row per dimension and value (``dimension``,
    ``value``, ``complaints``, ``unresolved``, ``unresolved_share``, ``with_target``, ``overdue``,
    ``overdue_share``, ``median_hours``, ``target_hours``, ``rate``), most complaints first.
    """

    metrics: dict[str, MetricValue]
    churn: dict[str, MetricValue]
    months: pd.DataFrame
    breakdown: pd.DataFrame
    targets: dict[str, float]


def select_resolution_targets(targets: pd.DataFrame, filters: Filters) -> dict[str, float]:
    """Category -> target hours of ``resolution_hours`` valid on the period's last day (the newest wins).

    >>> rows = pd.DataFrame({"metric": ["resolution_hours", "resolution_hours", "nps"],
    ...     "target_value": [24.0, 48.0, 30.0], "segment": [None, None, None], "category": ["billing", "billing", None],
    ...     "valid_from": pd.to_datetime(["2024-01-01", "2025-01-01", "2024-01-01"]), "valid_to": [pd.NaT] * 3})
    >>> select_resolution_targets(rows, Filters(date(2025, 1, 1), date(2025, 3, 31)))
    {'billing': 48.0}
    """
    if "category" not in targets:
        return {}
    end = pd.Timestamp(filters.end)
    rows = targets[(targets["metric"] == RESOLUTION_METRIC) & targets["category"].notna()
                   & (pd.to_datetime(targets["valid_from"]) <= end)
                   & (targets["valid_to"].isna() | (pd.to_datetime(targets["valid_to"]) >= end))]  # fmt: skip
    return {row.category: float(row.target_value) for row in rows.sort_values("valid_from").itertuples(index=False)}


def _hours(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    return (later.epoch_seconds() - earlier.epoch_seconds()) / 3600.0


def _complaints(db, filters: Filters, as_of: date, targets: dict[str, float]) -> ir.Table:
    """The complaints of the selection, one row each, with region, status, hours and target."""
    complaints = filter_table(db, "complaints", filters)
    regions = db.table("customers").select("customer_id", customer_region="region")
    joined = complaints.left_join(regions, complaints.customer_id == regions.customer_id)
    as_of_end = ibis.timestamp(day_start(as_of + timedelta(days=1)))
    is_unresolved = is_unresolved_by(joined.resolved_at, as_of_end)
    target = ibis.cases(*((joined.category == category, hours) for category, hours in targets.items()),
                        else_=ibis.null("float64")) if targets else ibis.null("float64")  # fmt: skip
    open_hours = _hours(is_unresolved.ifelse(as_of_end, joined.resolved_at), joined.opened_at)
    return joined.select(
        "customer_id", "opened_at", "text",
        category=joined.category.fill_null(NOT_STATED), touchpoint=joined.touchpoint.fill_null(NOT_STATED),
        channel=joined.channel.fill_null(NOT_STATED), region=joined.customer_region.fill_null(NOT_STATED),
        is_unresolved=is_unresolved, resolution_hours=is_unresolved.ifelse(ibis.null("float64"), open_hours),
        target_hours=target.cast("float64"), is_overdue=(open_hours > target).fill_null(False),
    )  # fmt: skip


def _aggregates(table: ir.Table) -> dict:
    return dict(
        complaints=table.count(), unresolved=table.is_unresolved.sum(),
        with_target=table.target_hours.notnull().sum(), overdue=table.is_overdue.sum(),
        median_hours=table.resolution_hours.median(),
    )  # fmt: skip


def _active_in(lifecycle: ir.Table, start, end) -> ir.BooleanValue:
    """Active at some moment of [start, end): paying before its end, not churned before its start."""
    return (lifecycle.first_purchase_at < end) & (lifecycle.churned_at.isnull() | (lifecycle.churned_at >= start))


def _months(filters: Filters) -> list[tuple[date, date]]:
    """[start, end) of each calendar month the period touches, clipped to it."""
    spans, start = [], filters.start
    while start <= filters.end:
        following = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        spans.append((start, min(following, filters.end + timedelta(days=1))))
        start = following
    return spans


def fetch_complaints_view(db, filters: Filters, as_of: date, target_table: pd.DataFrame) -> ComplaintsView:
    """The complaints page's numbers for ``filters`` (``target_table``: every row of ``targets``)."""
    targets = select_resolution_targets(target_table, filters)
    coverage = fetch_metric_coverage(db, (*TILE_METRICS, "period_churn_share", "revenue_at_stake"))
    complaints = _complaints(db, filters, as_of, targets)
    total = complaints.aggregate(**_aggregates(complaints)).execute().iloc[0]
    breakdown = pd.concat([
        complaints.group_by(value=complaints[name]).aggregate(**_aggregates(complaints)).execute().assign(dimension=name)
        for name in DIMENSIONS
    ], ignore_index=True)  # fmt: skip
    lifecycle = customer_lifecycle(db, filters)
    start, end = (ibis.timestamp(bound) for bound in filters.bounds())
    spans = _months(filters)
    month_starts = complaints.opened_at.truncate("M").name("month")
    monthly = complaints.group_by(month=month_starts).aggregate(complaints=complaints.count(),
                                                              unresolved=complaints.is_unresolved.sum()).execute()
    active = lifecycle.aggregate(
        total=_active_in(lifecycle, start, end).sum(),
        **{f"m{index}": _active_in(lifecycle, ibis.timestamp(day_start(low)), ibis.timestamp(day_start(high))).sum()
           for index, (low, high) in enumerate(spans)},
    ).execute().iloc[0]  # fmt: skip
    regions = db.table("customers").select("customer_id", "region")
    by_region = lifecycle.join(regions, "customer_id")
    active_by_region = by_region.group_by(value=by_region.region.fill_null(NOT_STATED)).aggregate(
        active=_active_in(by_region, start, end).sum()).execute()  # fmt: skip
    active_total = int(active["total"] or 0)
    metrics = _tile_metrics(total, active_total)
    churn, stake = _churn_link(db, filters, lifecycle, complaints, start, end)
    metrics["revenue_at_stake"] = stake
    return ComplaintsView(
        metrics=cover(metrics, coverage),
        churn={group: cover({"period_churn_share": value}, coverage)["period_churn_share"]
               for group, value in churn.items()},
        months=_month_frame(monthly, spans, active),
        breakdown=_breakdown_frame(breakdown, active_total, active_by_region, targets),
        targets=targets,
    )


def _count(value) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def _share(name: str, part: int, n: int) -> MetricValue:
    interval = wilson_interval(part, n)
    return MetricValue(name, None, n) if interval is None else MetricValue(name, *interval[:1], n, *interval[1:])


def _tile_metrics(total, active: int) -> dict[str, MetricValue]:
    n, resolved_n = _count(total["complaints"]), _count(total["complaints"]) - _count(total["unresolved"])
    median = total["median_hours"]
    return {
        "complaints": MetricValue("complaints", float(n), n),
        "complaint_rate": MetricValue("complaint_rate", 1000.0 * n / active if active else None, active),
        "unresolved_share": _share("unresolved_share", _count(total["unresolved"]), n),
        "resolution_hours": MetricValue("resolution_hours", None if pd.isna(median) else float(median), resolved_n),
        "overdue_share": _share("overdue_share", _count(total["overdue"]), _count(total["with_target"])),
    }


def _churn_link(db, filters: Filters, lifecycle: ir.Table, complaints: ir.Table, start, end):
    """(period_churn_share per CHURN_GROUPS, revenue_at_stake)."""
    unresolved = complaints.filter(complaints.is_unresolved, complaints.customer_id.notnull()).select("customer_id")
    flagged = lifecycle.mutate(has_unresolved=lifecycle.customer_id.isin(unresolved.customer_id),
                               has_churned=lifecycle.churned_at.notnull() & (lifecycle.churned_at < end))
    at_start = flagged.filter(is_active_at(flagged.first_purchase_at, flagged.churned_at, start))
    groups = at_start.group_by("has_unresolved").aggregate(customers=at_start.count(),
                                                           churned=at_start.has_churned.sum()).execute()
    churn = {}
    for group, is_flagged in zip(CHURN_GROUPS, (True, False), strict=True):
        row = groups[groups["has_unresolved"] == is_flagged]
        customers, churned = (_count(row[c].iloc[0]) for c in ("customers", "churned")) if len(row) else (0, 0)
        churn[group] = _share("period_churn_share", churned, customers)
    at_stake = flagged.filter(flagged.has_unresolved, flagged.first_purchase_at < end, ~flagged.has_churned)
    transactions = db.table("transactions")
    since = ibis.timestamp(day_start(filters.end + timedelta(days=1) - timedelta(days=STAKE_DAYS)))
    spend = transactions.filter(transactions.customer_id.isin(at_stake.customer_id),
                                transactions.occurred_at >= since, transactions.occurred_at < end)
    revenue = spend.amount.sum().execute()
    customers = _count(at_stake.count().execute())
    stake = MetricValue("revenue_at_stake", float(revenue) if customers and not pd.isna(revenue) else 0.0, customers)
    return churn, stake


def _month_frame(monthly: pd.DataFrame, spans: list[tuple[date, date]], active) -> pd.DataFrame:
    counted = {pd.Timestamp(row.month).date(): row for row in monthly.itertuples(index=False)}
    rows = []
    for index, (low, _) in enumerate(spans):
        row = counted.get(low.replace(day=1))
        complaints, customers = (_count(row.complaints) if row else 0), _count(active[f"m{index}"])
        rows.append({"period_start": low, "complaints": complaints, "unresolved": _count(row.unresolved) if row else 0,
                     "active_customers": customers, "rate": 1000.0 * complaints / customers if customers else None})
    return pd.DataFrame(rows, columns=["period_start", "complaints", "unresolved", "active_customers", "rate"])


def _breakdown_frame(frame: pd.DataFrame, active: int, active_by_region: pd.DataFrame,
                     targets: dict[str, float]) -> pd.DataFrame:  # fmt: skip
    region_active = dict(zip(active_by_region["value"], active_by_region["active"], strict=True))
    frame = frame.copy()
    for column in ("complaints", "unresolved", "with_target", "overdue"):
        frame[column] = frame[column].fillna(0).astype(int)
    frame["unresolved_share"] = 100.0 * frame["unresolved"] / frame["complaints"]
    frame["overdue_share"] = (100.0 * frame["overdue"] / frame["with_target"]).where(frame["with_target"] > 0)
    pairs = list(zip(frame["dimension"], frame["value"], strict=True))
    frame["target_hours"] = [targets.get(value) if dimension == "category" else None for dimension, value in pairs]
    denominators = [region_active.get(value, 0) if dimension == "region" else active for dimension, value in pairs]
    frame["rate"] = [1000.0 * n / a if a else None for n, a in zip(frame["complaints"], denominators, strict=True)]
    frame = frame.sort_values(["dimension", "complaints", "value"], ascending=[True, False, True], ignore_index=True)
    return frame[["dimension", "value", "complaints", "unresolved", "unresolved_share", "with_target", "overdue",
                  "overdue_share", "median_hours", "target_hours", "rate"]]


def fetch_verbatims(db, filters: Filters, as_of: date, category: str | None = None, touchpoint: str | None = None,
                    channel: str | None = None, limit: int = VERBATIM_LIMIT) -> pd.DataFrame:  # fmt: skip
    """The newest ``limit`` complaint texts of the selection, narrowed to one category, stage and
    channel when given: ``opened_at``, ``category``, ``touchpoint``, ``channel``, ``region``,
    ``is_unresolved``, ``text``. Texts are data: show them as plain text."""
    complaints = _complaints(db, filters, as_of, {})
    wanted = [complaints.text.notnull()]
    for column, value in (("category", category), ("touchpoint", touchpoint), ("channel", channel)):
        if value is not None:
            wanted.append(complaints[column] == value)
    chosen = complaints.filter(*wanted).order_by(ibis.desc("opened_at")).limit(limit)
    return chosen.select("opened_at", "category", "touchpoint", "channel", "region", "is_unresolved", "text").execute()
