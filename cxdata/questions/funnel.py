"""The customer-journey funnel: ``Filters`` in, one row per journey stage out.

Grain of the result: one row per stage, in journey order. The rules, as users should read them:

- **Stages.** The journey is ``journey_stages`` ordered by ``position``, unless the caller passes
  its own ordered list of stage names (an extract may name its stages home → search → payment →
  confirmation). A stage name that neither ``journey_stages`` nor ``journey_events`` knows, or a
  name given twice, is refused.
- **Time at a stage** is the first time the customer reached it; repeats are ignored. Events after
  the ``as_of`` day are ignored, as if they had not happened yet.
- **Entry cohort.** Customers whose first event at the first stage falls in the period (start to
  end, inclusive days). The channel filter applies to the channel of that first event (the
  alphabetically first one if several share the same instant); segment, region and acquisition
  channel apply to the customer (a customer missing from ``customers`` is "Unknown"). Later
  stages may be reached after the period ends, up to ``as_of``.
- **Sequential rule with a window.** A customer counts at stage k only if they counted at stage
  k−1 and first reached stage k within ``window_days`` days of their stage-(k−1) time (inclusive:
  30 days to the second counts, 30 days and one second does not). A missing stage breaks the
  chain: without stage k−1 a customer cannot count at k, even if they reached k.
- **Out-of-order events.** A first stage-k event earlier than the stage-(k−1) time (say, a
  registration logged minutes after the first purchase) is a logging artefact: the customer
  evidently reached k, so it is treated as happening at the stage-(k−1) time. It counts if stage
  k−1 counted, with zero hours between the two stages, and the next stage is measured from there.
- **Dropped at stage k** = customers at k minus customers at k+1 (reached k but not k+1); the last
  stage drops no one.
- **Lost value at stage k** (an assumption, not a forecast): each customer dropped at k would have
  been worth what cohort customers who did reach k+1 are worth on average, namely their net
  revenue up to ``as_of`` (every transaction, refunds included, whatever its channel or date).
  The average is taken per customer segment ("Unknown" when missing) and applied to the segment
  mix of the dropped customers; a segment with no one at k+1 takes the average of everyone at
  k+1. The last stage loses nothing; with nobody at k+1 the value is unknown (NaN).

The funnel is computed as Ibis expressions on the DuckDB backend: one aggregation over the
journey events gives each customer's first time at every stage, the chain is column arithmetic on
that one-row-per-customer table, and one query returns the per-segment sums and per-step
medians, the only data that reaches pandas.
"""

from __future__ import annotations

import json
import math
import numbers
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxdata.engine import journey_rollup
from cxdata.engine.db import read_meta
from cxdata.engine.query import day_start, narrow_by_customer, period_bounds
from cxdata.engine.rollups_journey import STAGES_META_KEY
from cxdata.engine.router import (
    CURRENT,
    CUSTOMER_SUMMARY,
    JOURNEY_CUSTOMER,
    JOURNEY_FIRST,
    answered_by,
)
from cxdata.i18n import WordedError, register_text
from cxdata.model.filters import UNKNOWN, Filters
from cxdata.model.rules import stage_order

DEFAULT_WINDOW_DAYS = 30  # the one place the conversion window default lives

FUNNEL_COLUMNS = (
    "stage", "position", "customers", "step_conversion", "overall_conversion",
    "dropped", "drop_rate", "median_hours_to_next", "lost_value",
)  # fmt: skip
TIME_TO_CONVERT_COLUMNS = ("from_stage", "to_stage", "hours")

_SECONDS_PER_HOUR = 3600


# ---------------------------------------------------------------- inputs


def _stage_order_when_built(db) -> list[str]:
    """``fetch_stage_order`` as read when the rollups were built (the same order)."""
    return json.loads(read_meta(db.con)[STAGES_META_KEY])


@answered_by(CURRENT, saved=_stage_order_when_built, extra=lambda db: STAGES_META_KEY in read_meta(db.con))
def fetch_stage_order(db) -> list[str]:
    """Stage names of ``journey_stages`` in journey order (``rules.stage_order``)."""
    return stage_order(db)


def validate_window_days(window_days) -> int:
    """``window_days`` as an int; ValueError unless it is a whole number of days, 0 or more."""
    if isinstance(window_days, bool) or not isinstance(window_days, numbers.Integral) or window_days < 0:
        raise WordedError("funnel_bad_window", value=repr(window_days))
    return int(window_days)


def validate_stages(db, stages) -> list[str]:
    """The funnel's stage names in order: ``stages`` if given (checked), else the stored order.

    ValueError when there is no stage at all, a name repeats, or a name is unknown to both
    ``journey_stages`` and ``journey_events``.
    """
    if stages is None:
        names = fetch_stage_order(db)
        if not names:
            raise WordedError("funnel_no_stages")
        return names
    if isinstance(stages, str) or not all(isinstance(name, str) for name in stages):
        raise WordedError("funnel_stages_not_names", value=repr(stages))
    names = list(stages)
    if not names:
        raise WordedError("funnel_stages_empty")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise WordedError("funnel_stages_repeat", stages=", ".join(repeated))
    unknown = [name for name in names if name not in _fetch_known_stages(db, names)]
    if unknown:
        raise WordedError("funnel_unknown_stages", stages=", ".join(unknown))
    return names


def _fetch_known_stages(db, names: list[str]) -> set[str]:
    """The subset of ``names`` that is declared in journey_stages or seen in journey_events."""
    declared = db.table("journey_stages")
    known = set(declared.filter(declared.stage.isin(names)).stage.execute())
    if known.issuperset(names):
        return known  # no need to scan the events
    events = db.table("journey_events")
    seen = events.filter(events.stage.isin(names)).select("stage").distinct()
    return known | set(seen.stage.execute())


# ---------------------------------------------------------------- the chain


def _as_of_end(as_of: date) -> ir.Scalar:
    """Midnight after the as-of day: events and transactions before it have happened."""
    return ibis.timestamp(day_start(as_of + timedelta(days=1)))


def _reached_column(position: int) -> str:
    # Positional names: stage names are data, never identifiers.
    return f"reached_at_{position}"


def _hours_between(earlier: ir.Value, later: ir.Value) -> ir.FloatingValue:
    return (later.epoch_seconds() - earlier.epoch_seconds()) / _SECONDS_PER_HOUR


def _fetch_chain(db, filters: Filters, as_of: date, window_days: int, stages: list[str], *,
                 with_entry_channel: bool = False) -> ir.Table:  # fmt: skip
    """One row per entry-cohort customer: ``customer_id`` and ``reached_at_1`` .. ``reached_at_n``
    (plus ``entry_channel`` when ``with_entry_channel``).

    ``reached_at_k`` is the time the customer counts at stage k under the rules of this module,
    null from the first stage where the chain breaks.
    """
    events = _stage_events(db, as_of, stages)
    # One pass over the events: each customer's first time at every stage.
    first_at = events.group_by("customer_id").aggregate(
        **{f"first_at_{k}": events.occurred_at.min(where=events.stage == name) for k, name in enumerate(stages, 1)}
    )
    start, end = period_bounds(filters)
    cohort = first_at.filter(first_at.first_at_1 >= start, first_at.first_at_1 < end)
    if filters.channels or with_entry_channel:
        entry = _entry_channels(events, cohort, stages[0])
        if filters.channels:
            entry = entry.filter(entry.entry_channel.isin(filters.channels))
            cohort = cohort.semi_join(entry, "customer_id")
        if with_entry_channel:
            cohort = cohort.left_join(entry, "customer_id").select(cohort, entry_channel=entry.entry_channel)
    cohort = narrow_by_customer(db, cohort, filters)

    window = ibis.interval(days=window_days)
    chain = cohort.mutate(**{_reached_column(1): cohort.first_at_1})
    for k in range(2, len(stages) + 1):  # a loop over stages; every step is column arithmetic
        previous, reached = chain[_reached_column(k - 1)], chain[f"first_at_{k}"]
        # Null when either time is null (the chain broke) or the window is exceeded. An earlier
        # event passes the comparison and is moved to the previous stage's time by greatest().
        counted = ibis.ifelse(reached <= previous + window, ibis.greatest(reached, previous), ibis.null("timestamp"))
        chain = chain.mutate(**{_reached_column(k): counted})
    extra = ["entry_channel"] if with_entry_channel else []
    return chain.select("customer_id", *extra, *(_reached_column(k) for k in range(1, len(stages) + 1)))


def _first_events(db, as_of: date, stages: list[str]) -> ir.Table:
    """``_stage_events`` from the ``journey_first`` rollup, which holds each customer's first time
    (and its channel) at every stage."""
    firsts = db.table("journey_first")
    firsts = firsts.filter(firsts.stage.isin(stages))
    return firsts.select("customer_id", "stage", occurred_at=firsts.first_at, channel=firsts.first_channel)


@answered_by(JOURNEY_FIRST, saved=_first_events)
def _stage_events(db, as_of: date, stages: list[str]) -> ir.Table:
    """``customer_id``, ``stage``, ``occurred_at``, ``channel`` of the events at ``stages`` up to as_of."""
    events = db.table("journey_events")
    return events.filter(events.occurred_at < _as_of_end(as_of), events.stage.isin(stages))


def _entry_channels(events: ir.Table, cohort: ir.Table, first_stage: str) -> ir.Table:
    """``customer_id``, ``entry_channel``: the channel of each cohort customer's first first-stage event."""
    entries = events.filter(events.stage == first_stage)
    at_entry = entries.join(
        cohort.select("customer_id", "first_at_1"), ["customer_id", entries.occurred_at == cohort.first_at_1]
    )
    # Ties at the same instant go to the alphabetically first channel, so reruns agree.
    return at_entry.group_by("customer_id").aggregate(entry_channel=at_entry.channel.min())


def cohort_last_stages(db, filters: Filters, as_of: date, *, window_days: int = DEFAULT_WINDOW_DAYS,
                       stages: list[str] | None = None, with_entry_channel: bool = False,
                       with_entered_at: bool = False) -> ir.Table:  # fmt: skip
    """The funnel's entry cohort as an Ibis table, one row per customer, for queries that join it.

    Columns: ``customer_id``; ``last_position`` (int, 1 .. n): the last stage, in funnel order, at
    which the customer counts under this module's rules (window, out-of-order and repeat rules
    included); ``last_reached_at``: the time they count there; ``entry_channel`` (the channel the
    channel filter reads) when ``with_entry_channel``; ``entered_at`` (their first event at the
    first stage, which puts them in the period) when ``with_entered_at``. Customers with ``last_position`` k < n are
    the ones ``compute_funnel`` counts as dropped at stage k, so per position the counts equal its
    ``dropped`` column (and at n, the customers at the last stage).
    """
    stages = validate_stages(db, stages)
    window_days = validate_window_days(window_days)
    chain = _fetch_chain(db, filters, as_of, window_days, stages, with_entry_channel=with_entry_channel)
    reached = [chain[_reached_column(k)] for k in range(1, len(stages) + 1)]
    # The chain is a prefix: a stage counts only if every stage before it does, so the number of
    # stages reached is the last position, and the latest non-null time is the time there.
    last_position = sum((at.notnull().cast("int64") for at in reached), ibis.literal(0, "int64"))
    extra = {"entry_channel": chain.entry_channel} if with_entry_channel else {}
    if with_entered_at:
        extra["entered_at"] = reached[0]
    return chain.select(
        "customer_id", **extra, last_position=last_position, last_reached_at=ibis.coalesce(*reversed(reached))
    )


def _values_from_summary(db, as_of: date) -> ir.Table:
    return db.table("customer_summary").select("customer_id", "net_revenue")


@answered_by(CUSTOMER_SUMMARY, saved=_values_from_summary)
def _customer_values(db, as_of: date) -> ir.Table:
    """``customer_id``, ``net_revenue`` up to as_of, for (at least) every customer with a transaction.

    Callers left-join it and read a missing customer as 0, so the rollup's extra rows for
    customers without transactions (net revenue 0) change nothing.
    """
    transactions = db.table("transactions")
    to_date = transactions.filter(transactions.occurred_at < _as_of_end(as_of))
    return to_date.group_by("customer_id").aggregate(net_revenue=to_date.amount.sum())


# ---------------------------------------------------------------- the funnel


def compute_funnel(db, filters: Filters, as_of: date, *, window_days: int = DEFAULT_WINDOW_DAYS,
                   stages: list[str] | None = None, with_medians: bool = True) -> pd.DataFrame:  # fmt: skip
    """The funnel of the customers who entered in the period: one row per stage, journey order.

    Columns: ``stage``, ``position`` (1-based, in the funnel's order), ``customers`` (int),
    ``step_conversion`` (share of the previous stage's customers; 1.0 at the first stage),
    ``overall_conversion`` (share of the first stage's customers), ``dropped`` (reached this stage
    but not the next), ``drop_rate`` (dropped / customers), ``median_hours_to_next`` (among those
    who reached the next stage; NaN at the last, and everywhere without ``with_medians``: the
    medians are most of the query's cost, and a funnel compared with another needs only counts),
    ``lost_value`` (money, see the module rules). Ratios with a zero denominator are NaN. Raises
    ValueError for bad ``stages`` or ``window_days``.

    >>> import duckdb
    >>> from cxdata.engine.query import open_backend
    >>> from cxdata.model.schema import create_schema
    >>> con = duckdb.connect()
    >>> create_schema(con)
    >>> con.executemany("INSERT INTO journey_events VALUES (?, ?, ?, 'web')", [
    ...     ["ann", "visit", "2025-01-01 10:00"], ["ann", "buy", "2025-01-03 10:00"],
    ...     ["bob", "visit", "2025-01-02 10:00"], ["bob", "buy", "2025-03-01 10:00"]])  # doctest: +ELLIPSIS
    <...>
    >>> funnel = compute_funnel(open_backend(connection=con), Filters(date(2025, 1, 1), date(2025, 1, 31)),
    ...                         date(2025, 3, 31), stages=["visit", "buy"])
    >>> funnel[["stage", "customers", "step_conversion", "dropped", "median_hours_to_next"]]
       stage  customers  step_conversion  dropped  median_hours_to_next
    0  visit          2              1.0        1                  48.0
    1    buy          1              0.5        0                   NaN
    """
    stages = validate_stages(db, stages)
    window_days = validate_window_days(window_days)
    by_segment, medians = _stage_sums(db, filters, as_of, window_days, stages, with_medians)

    n = len(stages)
    funnel = summarize_stage_counts(stages, [int(by_segment[f"customers_{k}"].sum()) for k in range(1, n + 1)])
    funnel["median_hours_to_next"] = [math.nan if k == n else medians[k - 1] for k in range(1, n + 1)]
    funnel["lost_value"] = [0.0 if k == n else _lost_value(by_segment, k) for k in range(1, n + 1)]
    return funnel[list(FUNNEL_COLUMNS)]


def summarize_stage_counts(stages: list[str], customers: list[int]) -> pd.DataFrame:
    """The funnel's count columns from the customers counted at each stage (one number per stage).

    One row per stage: ``stage``, ``position``, ``customers``, ``step_conversion``,
    ``overall_conversion``, ``dropped``, ``drop_rate`` as in ``compute_funnel`` (which uses it, as do
    the breakdowns, so the ratios are computed in one place).

    >>> summarize_stage_counts(["visit", "buy"], [4, 1])[["stage", "customers", "step_conversion", "dropped"]]
       stage  customers  step_conversion  dropped
    0  visit          4             1.00        3
    1    buy          1             0.25        0
    """
    rows = stage_count_rows(stages, customers)
    return pd.DataFrame({
        column: np.array([row[column] for row in rows], dtype=STAGE_COUNT_DTYPES.get(column, object))
        for column in FUNNEL_COLUMNS[:7]
    }).astype({"stage": "str"})  # fmt: skip


STAGE_COUNT_DTYPES = {
    "position": "int64", "customers": "int64", "dropped": "int64",
    "step_conversion": "float64", "overall_conversion": "float64", "drop_rate": "float64",
}  # fmt: skip


def stage_count_rows(stages: list[str], customers: list[int]) -> list[dict]:
    """``summarize_stage_counts`` as a list of row dicts, for callers that build many funnels."""
    if len(stages) != len(customers):
        raise ValueError(f"one count per stage needed: {len(stages)} stages, {len(customers)} counts")
    n = len(stages)
    rows = []
    for k in range(1, n + 1):
        count = int(customers[k - 1])
        dropped = 0 if k == n else count - int(customers[k])
        previous = int(customers[k - 2]) if k > 1 else count
        rows.append({
            "stage": stages[k - 1],
            "position": k,
            "customers": count,
            "step_conversion": _ratio(count, previous),
            "overall_conversion": _ratio(count, int(customers[0])),
            "dropped": dropped,
            "drop_rate": _ratio(dropped, count),
        })  # fmt: skip
    return rows


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else math.nan


@answered_by(JOURNEY_CUSTOMER, saved=journey_rollup.stage_sums)
def _stage_sums(db, filters: Filters, as_of: date, window_days: int, stages: list[str],
                with_medians: bool) -> tuple[pd.DataFrame, list[float]]:  # fmt: skip
    """(one row per segment with ``customers_k`` and ``revenue_k`` of those counted at stage k,
    median hours from stage k to k+1 among those counted at k+1, for k = 1 .. n-1).

    Both come from one query: DuckDB computes the chain, shared by the two aggregates, once.
    """
    chain = _fetch_chain(db, filters, as_of, window_days, stages)
    stage_count = len(stages)
    people = db.table("customers").select("customer_id", "segment")
    values = _customer_values(db, as_of)
    joined = (
        chain.left_join(people, "customer_id")
        .left_join(values, "customer_id")
        .select(chain, segment=people.segment.fill_null(UNKNOWN), net_revenue=values.net_revenue.fill_null(0.0))
    )
    measures = {}
    for k in range(1, stage_count + 1):
        is_reached = joined[_reached_column(k)].notnull()
        measures[f"customers_{k}"] = is_reached.sum()
        measures[f"revenue_{k}"] = joined.net_revenue.sum(where=is_reached)
    sums = joined.group_by("segment").aggregate(**measures)
    steps = range(1, stage_count)
    medians = {
        f"median_{k}": _hours_between(chain[_reached_column(k)], chain[_reached_column(k + 1)]).median() for k in steps
    } if with_medians else {}  # fmt: skip
    frame = (sums.cross_join(chain.aggregate(**medians)) if medians else sums).execute()

    counts = [f"customers_{k}" for k in range(1, stage_count + 1)]
    revenues = [f"revenue_{k}" for k in range(1, stage_count + 1)]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame[revenues] = frame[revenues].astype("float64").fillna(0.0)
    # Every row carries the same medians; an empty cohort has no rows and no medians.
    median_hours = [float(frame[f"median_{k}"].iloc[0]) if len(frame) and medians else math.nan for k in steps]
    return frame[["segment", *counts, *revenues]], [math.nan if pd.isna(h) else h for h in median_hours]


def _lost_value(by_segment: pd.DataFrame, k: int) -> float:
    """Dropped customers at stage k, each valued at the mean revenue of their segment at stage k+1."""
    # Plain arrays: a handful of segments, where pandas' per-operation overhead would dominate.
    reached_next = by_segment[f"customers_{k + 1}"].to_numpy(dtype="float64")
    revenue_next = by_segment[f"revenue_{k + 1}"].to_numpy(dtype="float64")
    dropped = by_segment[f"customers_{k}"].to_numpy(dtype="float64") - reached_next
    if dropped.sum() == 0:
        return 0.0
    if reached_next.sum() == 0:
        return math.nan  # nobody continued: no basis for a value
    overall_mean = revenue_next.sum() / reached_next.sum()
    has_next = reached_next > 0
    segment_mean = np.full(len(reached_next), overall_mean)
    segment_mean[has_next] = revenue_next[has_next] / reached_next[has_next]
    return float((dropped * segment_mean)[dropped > 0].sum())


# ---------------------------------------------------------------- time to convert


def compute_time_to_convert(db, filters: Filters, as_of: date, *, window_days: int = DEFAULT_WINDOW_DAYS,
                            stages: list[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """Hours each converting customer took per step, for a distribution chart.

    One row per customer counted at stage k+1, per step k → k+1 (same rules as ``compute_funnel``):
    ``from_stage``, ``to_stage``, ``hours`` (float). Ordered by step, then hours.
    """
    union = time_to_convert_table(db, filters, as_of, window_days=window_days, stages=stages)
    if union is None:
        return pd.DataFrame({"from_stage": pd.Series(dtype=object), "to_stage": pd.Series(dtype=object),
                             "hours": pd.Series(dtype="float64")})  # fmt: skip
    frame = union.order_by([union.step, union.hours]).drop("step").execute()
    return frame.reset_index(drop=True)[list(TIME_TO_CONVERT_COLUMNS)]


def time_to_convert_table(db, filters: Filters, as_of: date, *, window_days: int = DEFAULT_WINDOW_DAYS,
                          stages: list[str] | None = None) -> ir.Table | None:  # fmt: skip
    """``compute_time_to_convert``'s rows as an Ibis table (``step`` = k, plus its columns), for
    summaries computed in the database; None for a one-stage funnel (no step at all)."""
    stages = validate_stages(db, stages)
    window_days = validate_window_days(window_days)
    if len(stages) < 2:
        return None
    chain = _fetch_chain(db, filters, as_of, window_days, stages)
    steps = []
    for k in range(1, len(stages)):
        earlier, later = chain[_reached_column(k)], chain[_reached_column(k + 1)]
        steps.append(
            chain.filter(later.notnull()).select(
                step=ibis.literal(k),
                from_stage=ibis.literal(stages[k - 1]),
                to_stage=ibis.literal(stages[k]),
                hours=_hours_between(earlier, later).cast("float64"),
            )
        )
    return ibis.union(*steps, distinct=False)


register_text({
    "funnel_bad_window": {"en": "window_days must be a whole number of days, 0 or more, got {value}",
                          "ru": "окно конверсии должно быть целым числом дней, от 0, а не {value}"},
    "funnel_no_stages": {"en": "journey_stages is empty: load the journey stages or pass stages=[...]",
                         "ru": "этапы пути (journey_stages) не загружены: загрузите их или перечислите этапы в --stages"},
    "funnel_stages_not_names": {"en": "stages must be a list of stage names such as ['home', 'search'], got {value}",
                                "ru": "этапы должны быть списком названий этапов, а не {value}"},
    "funnel_stages_empty": {"en": "stages is empty: a funnel needs at least one stage",
                            "ru": "список этапов пуст: воронке нужен хотя бы один этап"},
    "funnel_stages_repeat": {"en": "stages must not repeat, but these appear more than once: {stages}",
                             "ru": "этапы не должны повторяться, а эти указаны больше одного раза: {stages}"},
    "funnel_unknown_stages": {"en": "unknown stages: {stages} (neither journey_stages nor journey_events has them)",
                              "ru": "неизвестные этапы: {stages} (их нет ни в этапах пути, ни в событиях пути)"},
})
