"""CX and money: the economics of each CX class and the revenue at risk.

``Filters`` in, small frames out; the customer rules (who counts, which class) are stated in
``cxdata.questions.money_base``. Definitions per class, for the customers of the period:

- ``customers``: customers of the period in the class (n of ``revenue`` and ``ltv``).
- ``revenue``: their net revenue in the period (refunds negative).
- ``arpu``: revenue / those of them with a transaction in the period (the registry's ARPU).
- ``ltv``: historical LTV — net revenue to the as-of date per customer of the class (whole
  history; every customer of the period is a paying customer).
- ``purchase_frequency``: positive transactions in the period per customer per 30 days.
- ``retention_rate`` / ``churn_rate``: as in ``cxdata.questions.metrics``, for the class's customers active
  on the first day of the period (monthly churn = 1 − retention^(30 / days)).

Intervals are 95%: Wilson for retention (churn transformed from it), normal for the means.
Significance vs the reference class (promoters; satisfied; easy; resolved complaints), two-sided
at 5%: the pooled two-proportion z-test for retention and churn, Welch's t-test for ARPU, LTV
and purchase frequency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd

from cxdata.analysis.money_stats import (
    DAYS_PER_MONTH,
    expected_active_months,
    is_significant,
    mean_and_sd,
    two_proportion_test,
    validate_horizon_months,
    welch_test,
)
from cxdata.analysis.stats import mean_interval, monthly_rate, wilson_interval
from cxdata.engine.coverage import Gap, Unmeasurable
from cxdata.model.filters import Filters
from cxdata.questions.metrics import fetch_gap
from cxdata.questions.money_base import (
    CELL_SUMS,
    COMPLAINT_STATUSES,
    NO_ANSWER,
    REFERENCE_CLASS,
    SCORES,
    MoneyCells,
    class_order,
    fetch_money_cells,
)

# Dimension of the economics table -> (cell column, classes in display order, reference class).
DIMENSIONS = {
    **{score: (f"{score}_class", class_order(score), REFERENCE_CLASS[score]) for score in SCORES},
    "complaints": ("complaint_status", list(COMPLAINT_STATUSES), "resolved"),
}
ECONOMICS_METRICS = ("customers", "revenue", "arpu", "ltv", "purchase_frequency", "retention_rate", "churn_rate")
ECONOMICS_COLUMNS = ["dimension", "cx_class", "metric", "value", "n", "low", "high", "p_value", "is_significant"]
# Revenue-at-risk groups: (dimension, group, reference group).
RISK_GROUPS = (("nps", "detractor", "promoter"), ("nps", "passive", "promoter"), ("complaints", "unresolved", "resolved"))
RISK_COLUMNS = [
    "dimension", "group", "reference", "customers", "active_at_start", "reference_active_at_start",
    "churn_rate", "reference_churn_rate", "monthly_revenue", "revenue_at_risk", "p_value", "is_significant",
]  # fmt: skip
DEFAULT_HORIZON_MONTHS = 12
RETENTION_METRICS = ("retention_rate", "churn_rate")


@dataclass(frozen=True)
class ClassEconomics:
    """The economics of every CX class for one selection.

    ``cells``: the summed customers of ``cxdata.questions.money_base.fetch_money_cells``.
    ``table``: long format, one row per (dimension, cx_class, metric); ``ECONOMICS_COLUMNS``;
    ``dimension`` is nps / csat / ces / complaints, or ``all`` (cx_class ``all``: everyone).
    """

    cells: MoneyCells
    table: pd.DataFrame
    # Metrics of the table whose data was never loaded (churn and retention without churn events)
    # -> why: their rows hold no value.
    gaps: dict[str, Gap] = field(default_factory=dict)

    @property
    def filters(self) -> Filters:
        return self.cells.filters

    @property
    def days(self) -> int:
        return self.cells.days

    @property
    def is_empty(self) -> bool:
        return self.cells.customers == 0

    @property
    def nps_customers(self) -> int:
        """Customers of the period with an NPS class (promoter, passive or detractor)."""
        return sum(int(self.group_sums("nps", c)["customers"]) for c in DIMENSIONS["nps"][1] if c != NO_ANSWER)

    def row(self, dimension: str, cx_class: str, metric: str) -> dict:
        """One row of ``table`` as a dict (value None when the class has no customers). A value that
        cannot be measured carries why under ``gap``: retention and churn without churn events
        (``gaps``), or of a class with customers none of whom was one on the period's first day."""
        match = self._rows.get((dimension, cx_class, metric))
        if match is None or metric in self.gaps:
            empty = {"value": None, "n": 0, "low": None, "high": None, "p_value": None, "is_significant": False}
            return {**empty, "gap": self.gaps[metric]} if metric in self.gaps else empty
        if metric in RETENTION_METRICS and match["value"] is None and not match["n"]:
            customers = self._rows.get((dimension, cx_class, "customers"))
            if customers is not None and customers["value"]:
                return {**match, "gap": Unmeasurable("none_active_at_start")}
        return dict(match)

    def group_sums(self, dimension: str, cx_class: str) -> dict[str, float]:
        """The summed cells of one class (all zeros when it has no customers)."""
        return self._sums.of(None if dimension == "all" else DIMENSIONS[dimension][0], cx_class)

    @cached_property
    def _sums(self) -> _CellSums:
        return _CellSums(self.cells.frame)

    @cached_property
    def _rows(self) -> dict[tuple[str, str, str], dict]:
        # The page and the report read ~60 rows per rerun: one pass beats a filter per row.
        return {(r["dimension"], r["cx_class"], r["metric"]): {k: _clean(v) for k, v in r.items()}
                for r in self.table.to_dict("records")}  # fmt: skip


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def build_class_economics(cells: MoneyCells, retention_gap: Gap | None = None) -> ClassEconomics:
    """Economics by NPS class, CSAT band, CES band and complaint status (module definitions).

    With a ``retention_gap`` (``fetch_retention_gap``) retention and churn have no value anywhere.
    """
    table = summarise_cells(cells.frame, cells.days)
    if retention_gap is None:
        return ClassEconomics(cells=cells, table=table)
    unavailable = table["metric"].isin(RETENTION_METRICS)
    table.loc[unavailable, ["value", "low", "high", "p_value"]] = math.nan
    table.loc[unavailable, "n"], table.loc[unavailable, "is_significant"] = 0, False
    return ClassEconomics(cells=cells, table=table, gaps=dict.fromkeys(RETENTION_METRICS, retention_gap))


def fetch_retention_gap(db) -> Gap | None:
    """Why retention and churn by class cannot be measured (no churn events loaded), or None."""
    return fetch_gap(db, "class_retention")


def fetch_class_economics(db, filters: Filters, as_of: date) -> ClassEconomics:
    """``build_class_economics`` of ``cxdata.questions.money_base.fetch_money_cells``, with its lookups
    built, so a cached copy answers ``row`` and ``group_sums`` at once."""
    economics = build_class_economics(fetch_money_cells(db, filters, as_of), fetch_retention_gap(db))
    economics.row("all", "all", "customers"), economics.group_sums("all", "all")  # build the lookups
    return economics


def summarise_cells(cells: pd.DataFrame, days: int) -> pd.DataFrame:
    """The long economics table (``ECONOMICS_COLUMNS``) from the cells of ``fetch_class_economics``."""
    rows = []
    sums_of = _CellSums(cells)
    everyone = _group_metrics(sums_of.of(None, None), days)
    rows += [{"dimension": "all", "cx_class": "all", "metric": m, **everyone[m]} for m in ECONOMICS_METRICS]
    for dimension, (column, classes, reference) in DIMENSIONS.items():
        reference_sums = sums_of.of(column, reference)
        for cx_class in classes:
            sums = sums_of.of(column, cx_class)
            metrics = _group_metrics(sums, days)
            tests = _tests_against(sums, reference_sums) if cx_class != reference else {}
            for metric in ECONOMICS_METRICS:
                p_value = tests.get(metric)
                rows.append({"dimension": dimension, "cx_class": cx_class, "metric": metric, **metrics[metric],
                             "p_value": p_value, "is_significant": is_significant(p_value)})  # fmt: skip
    table = pd.DataFrame(rows, columns=ECONOMICS_COLUMNS)
    table["is_significant"] = table["is_significant"].fillna(False).astype(bool)
    return table.astype({"value": "float64", "low": "float64", "high": "float64", "p_value": "float64", "n": "int64"})


class _CellSums:
    """``CELL_SUMS`` summed over the cells of one class, as plain numpy sums of the cells' columns
    (the same sums, in the same order, as pandas over the class's rows; ~50× faster)."""

    def __init__(self, cells: pd.DataFrame):
        self.keys = {column: cells[column].to_numpy() for column in cells.columns if column not in CELL_SUMS}
        self.columns = {name: cells[name].to_numpy("float64") for name in CELL_SUMS}

    def of(self, column: str | None, cx_class: str | None) -> dict[str, float]:
        """The sums of the cells whose ``column`` is ``cx_class`` (every cell when column is None)."""
        if column is None:
            return {name: float(values.sum()) for name, values in self.columns.items()}
        rows = self.keys[column] == cx_class
        return {name: float(values[rows].sum()) for name, values in self.columns.items()}


def _metric(value, n, low=None, high=None) -> dict:
    return {"value": value, "n": int(n), "low": low, "high": high}


def _mean_metric(total: float, squares: float, n: float, scale: float = 1.0) -> dict:
    mean, sd = mean_and_sd(total, squares, int(n))
    result = mean_interval(mean, sd, int(n))
    if result is None:
        return _metric(None, n)
    value, low, high = (x * scale if x is not None and not math.isnan(x) else None for x in result)
    return _metric(value, n, low, high)


def _group_metrics(s: dict[str, float], days: int) -> dict[str, dict]:
    """Every economics metric of one group of customers from its sums."""
    per_month = DAYS_PER_MONTH / days
    active, retained = int(s["active_at_start"]), int(s["retained"])
    metrics = {
        "customers": _metric(s["customers"], s["customers"]),
        "revenue": _metric(s["revenue"] if s["customers"] else None, s["customers"]),
        "arpu": _mean_metric(s["revenue"], s["revenue_squares"], s["buyers"]),
        "ltv": _mean_metric(s["ltv_total"], s["ltv_squares"], s["customers"]),
        "purchase_frequency": _mean_metric(s["purchases"], s["purchases_squares"], s["customers"], per_month),
    }
    retention = wilson_interval(retained, active)
    if retention is None:
        metrics["retention_rate"] = metrics["churn_rate"] = _metric(None, 0)
        return metrics

    def churn(retained_percent: float) -> float:
        return 100 * monthly_rate(1 - retained_percent / 100, days)

    value, low, high = retention
    metrics["retention_rate"] = _metric(value, active, low, high)
    # Churn falls as retention rises, so the interval bounds swap (as in cxdata.questions.metrics).
    metrics["churn_rate"] = _metric(churn(value), active, churn(high), churn(low))
    return metrics


def _tests_against(group: dict[str, float], reference: dict[str, float]) -> dict[str, float | None]:
    """p-values of the group's difference from the reference, per metric (module docstring)."""

    def welch(total: str, squares: str, count: str) -> float | None:
        mean_a, sd_a = mean_and_sd(group[total], group[squares], int(group[count]))
        mean_b, sd_b = mean_and_sd(reference[total], reference[squares], int(reference[count]))
        return welch_test(mean_a, sd_a, int(group[count]), mean_b, sd_b, int(reference[count]))

    retention = two_proportion_test(
        int(group["retained"]), int(group["active_at_start"]), int(reference["retained"]), int(reference["active_at_start"])
    )
    return {
        "arpu": welch("revenue", "revenue_squares", "buyers"),
        "ltv": welch("ltv_total", "ltv_squares", "customers"),
        "purchase_frequency": welch("purchases", "purchases_squares", "customers"),
        "retention_rate": retention,
        "churn_rate": retention,
    }


# ---------------------------------------------------------------- revenue at risk


def compute_revenue_at_risk(economics: ClassEconomics, horizon_months: int = DEFAULT_HORIZON_MONTHS) -> pd.DataFrame:
    """Expected revenue lost over the horizon because a group churns faster than its reference.

    Model: revenue at risk = M × (E(c_ref) − E(c)), where M = the group's monthly revenue (its
    revenue in the period × 30 / days), c and c_ref = the monthly churn of the group and of the
    reference group, and E(c) = Σ_{m=1..H} (1 − c)^m = the months an average customer stays
    over the next H months. That is: the revenue the group would still bring if it churned like
    the reference group (detractors and passives like promoters; customers with an unresolved
    complaint like those whose complaints were resolved). Constant churn and revenue per staying
    customer are assumed; an association, not a proof of cause.

    One row per group in ``RISK_GROUPS`` (``RISK_COLUMNS``); churn rates in % per month;
    ``revenue_at_risk`` NaN when either churn rate is unknown, negative when the group churns less.
    """
    validate_horizon_months(horizon_months)
    rows = []
    for dimension, group, reference in RISK_GROUPS:
        churn = economics.row(dimension, group, "churn_rate")
        reference_churn = economics.row(dimension, reference, "churn_rate")
        sums = economics.group_sums(dimension, group)
        monthly_revenue = sums["revenue"] * DAYS_PER_MONTH / economics.days
        at_risk = math.nan
        if churn["value"] is not None and reference_churn["value"] is not None:
            kept = expected_active_months(reference_churn["value"] / 100, horizon_months)
            at_risk = monthly_revenue * (kept - expected_active_months(churn["value"] / 100, horizon_months))
        rows.append({
            "dimension": dimension, "group": group, "reference": reference,
            "customers": int(sums["customers"]), "active_at_start": churn["n"],
            "reference_active_at_start": reference_churn["n"],
            "churn_rate": churn["value"], "reference_churn_rate": reference_churn["value"],
            "monthly_revenue": monthly_revenue, "revenue_at_risk": at_risk,
            "p_value": churn["p_value"], "is_significant": bool(churn["is_significant"]),
        })  # fmt: skip
    floats = ("churn_rate", "reference_churn_rate", "p_value")
    # Columns built with their types (an astype of the frame costs more than the arithmetic).
    return pd.DataFrame({
        c: np.array([math.nan if r[c] is None else r[c] for r in rows], dtype="float64") if c in floats else [r[c] for r in rows]
        for c in RISK_COLUMNS
    }, columns=RISK_COLUMNS)  # fmt: skip
