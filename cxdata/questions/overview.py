"""The executive overview: KPIs now and in the previous period, target status, the headline."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import ibis
import pandas as pd

from cxdata.analysis.stats import Z95
from cxdata.engine.router import CURRENT, answered_by
from cxdata.engine.workspace import fetch_as_of, fetch_data_start  # noqa: F401 - the pages' and tests' import
from cxdata.i18n import format_period, format_value, translate
from cxdata.model.filters import CUSTOMER_DIMENSIONS, UNKNOWN, Filters
from cxdata.model.registry import ANONYMOUS_PARTS, METRICS, OVERVIEW_METRICS
from cxdata.engine.coverage import Coverage, Gap
from cxdata.questions.metric_value import MetricValue
from cxdata.questions.metrics import (
    cover,
    fetch_metric_counts,
    fetch_metric_coverage,
    metrics_from_counts,
)
from cxdata.questions.trends import TREND_METRICS, build_trends, choose_grain

# A change is "notable" when |z| reaches this (metrics with an interval) ...
NOTABLE_Z = 2.0
# ... or, for metrics without an interval (money, counts), when it moves by this share.
NOTABLE_RELATIVE_CHANGE = 0.10


@dataclass(frozen=True)
class Change:
    metric: str
    current: MetricValue
    previous: MetricValue
    score: float  # |z|, or the relative change scaled so that NOTABLE_RELATIVE_CHANGE == NOTABLE_Z

    @property
    def delta(self) -> float | None:
        if self.current.value is None or self.previous.value is None:
            return None
        return self.current.value - self.previous.value


@dataclass(frozen=True)
class Overview:
    filters: Filters
    as_of: date
    current: dict[str, MetricValue]
    previous: dict[str, MetricValue]
    targets: dict[str, float]
    trends: pd.DataFrame = field(repr=False)
    # Metrics (tiles and trends) whose data was never loaded -> why.
    gaps: dict[str, Gap] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """No survey answer, transaction or customer behind any metric of the selection."""
        return all(value.n == 0 for value in self.current.values())

    def status(self, metric: str) -> str | None:
        """'met', 'missed', or None when there is no target or no value."""
        return target_status(metric, self.current[metric].value, self.targets.get(metric))

    def changes(self) -> list[Change]:
        """Overview metrics ranked by how notable their change vs the previous period is."""
        ranked = [
            measure_change(name, self.current[name], self.previous[name])
            for name in OVERVIEW_METRICS
            if not METRICS[name].depends_on_cohort_age
        ]
        return sorted((c for c in ranked if c is not None), key=lambda c: -c.score)


def target_status(metric: str, value: float | None, target: float | None) -> str | None:
    """'met' when the value is on the good side of the target (inclusive), else 'missed'."""
    if value is None or target is None:
        return None
    good = value >= target if METRICS[metric].higher_is_better else value <= target
    return "met" if good else "missed"


def measure_change(metric: str, current: MetricValue, previous: MetricValue) -> Change | None:
    """How notable the move from ``previous`` to ``current`` is (None if either is missing, or
    when they are means on different scales: CES on 1–5 against 1–7)."""
    if current.value is None or previous.value is None or current.scale != previous.scale:
        return None
    delta = current.value - previous.value
    if current.has_interval and previous.has_interval:
        se = math.hypot((current.high - current.low) / (2 * Z95), (previous.high - previous.low) / (2 * Z95))
        score = abs(delta) / se if se > 0 else 0.0
    elif previous.value:
        score = abs(delta / previous.value) * NOTABLE_Z / NOTABLE_RELATIVE_CHANGE
    else:
        score = 0.0
    return Change(metric, current, previous, score)


def fetch_target_table(db) -> pd.DataFrame:
    """Every row of ``targets`` (a handful: it is a settings table, read once per data version)."""
    return db.table("targets").execute()


def select_targets(targets: pd.DataFrame, filters: Filters) -> dict[str, float]:
    """Targets valid on the last day of the period; a single selected segment's own target wins."""
    end = pd.Timestamp(filters.end)
    valid = targets[(targets["valid_from"] <= end) & (targets["valid_to"].isna() | (targets["valid_to"] >= end))]
    if "category" in valid:  # a per-category standard (resolution time) is no tile's target
        valid = valid[valid["category"].isna()]
    chosen: dict[str, float] = {}
    only_segment = filters.segments[0] if len(filters.segments) == 1 else None
    for row in valid.sort_values("valid_from").itertuples(index=False):
        if pd.isna(row.segment):
            chosen.setdefault(row.metric, float(row.target_value))
    for row in valid.sort_values("valid_from").itertuples(index=False):
        if only_segment is not None and row.segment == only_segment:
            chosen[row.metric] = float(row.target_value)
    return chosen


# Tables whose ``channel`` column the channel filter narrows.
CHANNEL_TABLES = ("customers", "surveys", "transactions", "complaints", "journey_events")
CHANNEL_ROLLUPS = {"surveys": "survey_daily", "transactions": "transaction_daily"}


def _channel_tables_from_rollups(db) -> list:
    return [db.table(CHANNEL_ROLLUPS.get(table, table)) for table in CHANNEL_TABLES]


@answered_by(CURRENT, saved=_channel_tables_from_rollups)
def _channel_tables(db) -> list:
    """The tables whose ``channel`` values the channel filter offers (daily rollups hold the same
    channels as their facts in a thousandth of the rows)."""
    return [db.table(table) for table in CHANNEL_TABLES]


def fetch_dimension_values(db) -> dict[str, list[str]]:
    """The values each filter offers: filter field name -> sorted distinct values.

    One query (the distinct values per filter and table, side by side): it is on the first paint.
    Transaction and survey channels come from their daily rollups when fresh (same channels,
    a thousandth of the rows).
    """
    # DISTINCT of the bare column first, the label after: DuckDB dedupes one column far faster.
    customers = db.table("customers")
    parts = [
        customers.select(value=customers[column]).distinct().select(name=ibis.literal(name), value="value")
        for name, column in CUSTOMER_DIMENSIONS.items()
    ]
    for rel in _channel_tables(db):
        parts.append(rel.select(value=rel.channel).distinct().select(name=ibis.literal("channels"), value="value"))
    values = ibis.union(*parts).execute()
    # A customer without a segment (region, …) is "Unknown"; a row without a channel offers none.
    values["value"] = values["value"].where(values["value"].notna() | (values["name"] == "channels"), UNKNOWN)
    values = values[values["value"].notna()]
    options = {name: sorted(set(values.loc[values["name"] == name, "value"])) for name in (*CUSTOMER_DIMENSIONS, "channels")}
    return options


def fetch_overview(db, filters: Filters, as_of: date, target_table: pd.DataFrame | None = None,
                   coverage: Coverage | None = None) -> Overview:  # fmt: skip
    """Everything the overview page shows for one selection.

    The period, the previous one and the trends come from one query per group of metrics
    (survey answers, revenue, retention, acquisition), split by period and trend period.
    ``target_table`` is ``fetch_target_table(db)`` and ``coverage`` ``fetch_coverage(db)`` when
    the caller already has them (both change only with the data version).
    """
    periods = (filters, filters.previous())
    grain = choose_grain(filters)
    names = OVERVIEW_METRICS + TREND_METRICS
    counts = fetch_metric_counts(db, periods, as_of, names, grain)
    coverage = fetch_metric_coverage(db, names) if coverage is None else coverage
    shown = OVERVIEW_METRICS + anonymous_parts(OVERVIEW_METRICS)
    current, previous = (
        cover(metrics_from_counts(counts, index, period, shown), coverage) for index, period in enumerate(periods)
    )
    gaps = {name: coverage.gap_of(name) for name in dict.fromkeys(names)}
    return Overview(
        gaps={name: gap for name, gap in gaps.items() if gap is not None},
        filters=filters,
        as_of=as_of,
        current=current,
        previous=previous,
        targets=select_targets(fetch_target_table(db) if target_table is None else target_table, filters),
        trends=build_trends(counts, filters, grain),
    )


def anonymous_parts(names) -> tuple[str, ...]:
    """The anonymous parts (and their shares) of the totals among ``names`` (``ANONYMOUS_PARTS``).

    >>> anonymous_parts(("nps", "revenue"))
    ('anonymous_revenue', 'anonymous_revenue_share')
    """
    return tuple(part for name in names for part in ANONYMOUS_PARTS.get(name, ()) if part is not None)


def build_headline(overview: Overview, lang: str, currency: str = "") -> str:
    """One or two sentences: the most notable change vs the previous period, and missed targets."""
    previous = overview.filters.previous()
    period = format_period(previous.start, previous.end, lang)
    sentences = []
    changes = [c for c in overview.changes() if c.score >= NOTABLE_Z]
    if changes:
        top = changes[0]
        spec = METRICS[top.metric]
        fmt = lambda v: format_value(v, spec.unit, lang, spec.decimals, currency)  # noqa: E731
        sentences.append(
            translate(
                "headline_change",
                lang,
                metric=spec.label(lang),
                direction=translate("rose" if top.delta > 0 else "fell", lang),
                previous=fmt(top.previous.value),
                current=fmt(top.current.value),
                period=period,
            )
        )
    else:
        sentences.append(translate("headline_no_change", lang, period=period))
    missed = [METRICS[name].label(lang) for name in OVERVIEW_METRICS if overview.status(name) == "missed"]
    if missed:
        sentences.append(translate("headline_missed_targets", lang, metrics=", ".join(missed)))
    return " ".join(sentences)
