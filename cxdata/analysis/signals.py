"""Early signals: each period of a metric's series checked against its own recent history.

Pure statistics, no database: a series is one row per period (a week) with what the metric is
made of, in one of three kinds:

- ``proportion``: ``count`` successes of ``size`` trials (a conversion, the share of satisfied
  answers). Tested with Fisher's exact test of this period against the baseline's pooled counts
  (hypergeometric tail), so the baseline's own uncertainty counts too.
- ``rate``: ``count`` events per ``size`` units of exposure (complaints or refunds per purchase).
  Tested exactly as well: given both counts, this period's count is binomial with the period's share
  of the exposure (the conditional test of two Poisson rates).
- ``mean``: ``total`` and ``total_squares`` of ``size`` answers (CES; NPS as a mean of +1, 0, −1).
  A normal test of the difference of two means, only where ``size`` ≥ ``MIN_MEAN_SIZE``.

The baseline of a period is the ``BASELINE_PERIODS`` periods before it that were not out of
control themselves (``|z| ≥ Z_EXTEND``), so an incident never becomes its own normal; when fewer
than ``MIN_BASELINE_PERIODS`` such periods exist, the period is not tested. Weeks hold every weekday
once, so there is no weekday pattern left to remove, and every metric is a ratio to its own
exposure (purchases, answers, customers), so the season's volume cancels out. What is left of
week-to-week variation beyond sampling (a season's mood, a trend) is measured on the baseline
itself: the mean squared standardized residual of its periods, ``dispersion`` (at least 1), divides
every z by its square root (Laney's p′ chart), so a restless metric needs a bigger deviation.

z is the normal quantile of the exact one-sided tail probability, signed as the observed value
minus the expected one. A period is flagged from ``Z_ALERT`` on, in the metric's bad direction; its
neighbours from ``Z_EXTEND`` join it; consecutive flagged periods make one alert.

>>> round(float(proportion_z(10, 100, 300, 1000)), 2)  # 10% against 30%: far lower
-4.47
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

KINDS = ("proportion", "rate", "mean")
# One-sided, in the bad direction: P(z ≥ 4) = 3.2e-5 per period. The sample checks ~40 series over
# ~120 weeks (~5,000 tests): about 0.15 false alarms expected in all of its history.
Z_ALERT = 4.0
Z_EXTEND = 3.0
BASELINE_PERIODS = 26
MIN_BASELINE_PERIODS = 8
MIN_MEAN_SIZE = 30
MIN_BASELINE_COUNT = 5  # a rate needs this many baseline events to say what is normal
Z_CAP = 38.0  # beyond this a tail probability underflows; nothing reads finer than that
# Severity of an alert by |z| of its whole window: the fixed vocabulary of the CLI and the page.
SEVERITIES = (("critical", 10.0), ("major", 6.0), ("minor", Z_ALERT))
SERIES_COLUMNS = ("period_start", "size", "count", "total", "total_squares")


def _z_from_tails(upper: np.ndarray, lower: np.ndarray, above: np.ndarray) -> np.ndarray:
    """Signed z from the one-sided tails: + when the value is above what is expected."""
    with np.errstate(divide="ignore"):
        z = np.where(above, -special.ndtri(upper), special.ndtri(lower))  # isf(p) = −ndtri(p), exact for tiny p
    return np.clip(np.where(above, np.maximum(z, 0.0), np.minimum(z, 0.0)), -Z_CAP, Z_CAP)


def _hypergeom_tails(count: float, population: float, successes: float, draws: float) -> tuple[float, float]:
    """(P(X ≥ count), P(X ≤ count)) of a hypergeometric X, summed from its log-probabilities
    (scipy's distribution objects cost ~1 ms each to build; this is ~50× faster)."""
    low, high = max(0.0, draws - (population - successes)), min(draws, successes)
    x = np.arange(low, high + 1)
    log_pmf = (_log_choose(successes, x) + _log_choose(population - successes, draws - x)
               - _log_choose(population, draws))  # fmt: skip
    pmf = np.exp(log_pmf - log_pmf.max())
    pmf /= pmf.sum()
    return float(pmf[x >= count].sum()), float(pmf[x <= count].sum())


def _log_choose(n, k):
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def proportion_z(count, size, base_count, base_size):
    """z of ``count`` of ``size`` against ``base_count`` of ``base_size`` (Fisher's exact test).

    >>> round(float(proportion_z(30, 100, 300, 1000)), 2)  # exactly the baseline's share
    0.0
    """
    counts, size = np.atleast_1d(np.asarray(count, float)), float(size)
    tails = np.array([_hypergeom_tails(k, size + base_size, k + base_count, size) for k in counts])
    z = _z_from_tails(tails[:, 0], tails[:, 1], counts > size * base_count / base_size)
    return z if np.ndim(count) else z[0]


def rate_z(count, size, base_count, base_size):
    """z of ``count`` events in ``size`` exposure against ``base_count`` in ``base_size`` (the exact
    conditional test of two Poisson rates).

    >>> round(float(rate_z(12, 100, 20, 1000)), 2)  # 12 where 2 were expected
    4.21
    """
    count, size = np.asarray(count, float), np.asarray(size, float)
    whole = np.rint(count).astype(np.int64)
    trials, share = whole + int(round(base_count)), size / (size + base_size)
    upper = np.where(whole > 0, special.bdtrc(np.maximum(whole - 1, 0), trials, share), 1.0)  # P(X ≥ count)
    lower = special.bdtr(whole, trials, share)  # P(X ≤ count)
    return _z_from_tails(upper, lower, count > size * base_count / base_size)


def mean_z(mean, size, base_mean, base_variance, base_size):
    """z of a mean of ``size`` answers against the baseline's (normal, the baseline's variance).

    >>> round(float(mean_z(4.5, 100, 5.0, 1.0, 900)), 2)
    -4.74
    """
    spread = np.sqrt(base_variance / np.asarray(size, float) + base_variance / base_size)
    return np.clip((np.asarray(mean, float) - base_mean) / spread, -Z_CAP, Z_CAP)


@dataclass(frozen=True)
class Baseline:
    """What is normal for one period: the pooled counts of its baseline periods."""

    size: float
    count: float
    total: float
    total_squares: float
    dispersion: float  # ≥ 1: variation between baseline periods beyond sampling
    periods: int

    def expected(self, kind: str) -> float:
        """The metric's expected value (a share, a rate per unit, a mean)."""
        return (self.count if kind != "mean" else self.total) / self.size

    def variance(self) -> float:
        """Variance of one answer (``mean`` series)."""
        mean = self.total / self.size
        return max(self.total_squares / self.size - mean * mean, 1e-12) * self.size / max(self.size - 1, 1)


def value_of(kind: str, size, count, total):
    """The metric's value: a share, a rate per unit of exposure or a mean (NaN without a size)."""
    size = np.asarray(size, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(size > 0, np.asarray(count if kind != "mean" else total, float) / size, np.nan)


def raw_z(kind: str, size, count, total, base: Baseline):
    """z before the baseline's dispersion is taken into account."""
    if kind == "proportion":
        return proportion_z(count, size, base.count, base.size)
    if kind == "rate":
        return rate_z(count, size, base.count, base.size)
    return mean_z(value_of(kind, size, count, total), size, base.expected(kind), base.variance(), base.size)


def _residuals(kind: str, size: np.ndarray, count: np.ndarray, total: np.ndarray, base: Baseline) -> np.ndarray:
    """Standardized residuals (normal approximation) of the baseline periods against their pool."""
    expected = base.expected(kind)
    value = value_of(kind, size, count, total)
    if kind == "proportion":
        variance = max(expected * (1 - expected), 1e-12)
    elif kind == "rate":
        variance = max(expected, 1e-12)
    else:
        variance = base.variance()
    return (value - expected) / np.sqrt(variance / size)


def build_baseline(kind: str, columns: np.ndarray) -> Baseline | None:
    """The pooled baseline of the periods ``columns`` (rows of size, count, total, total_squares),
    or None when they cannot say what is normal (too few periods, or too few events for a rate)."""
    if len(columns) < MIN_BASELINE_PERIODS:
        return None
    size, count, total, squares = (float(value) for value in columns.sum(axis=0))
    if kind == "rate" and count < MIN_BASELINE_COUNT:
        return None
    if kind == "proportion" and (count == 0 or count == size):
        return None  # a share that never varied: nothing tells how far a change would be unusual
    base = Baseline(size, count, total, squares, 1.0, len(columns))
    dispersion = float(np.mean(_residuals(kind, *columns.T[:3], base) ** 2))
    return Baseline(size, count, total, squares, max(1.0, dispersion), len(columns))


def is_testable(kind: str, size: float) -> bool:
    return size >= MIN_MEAN_SIZE if kind == "mean" else size > 0


def _columns(frame: pd.DataFrame) -> np.ndarray:
    return frame[["size", "count", "total", "total_squares"]].to_numpy(float)


def check_series(series: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Each period of ``series`` (``SERIES_COLUMNS``, one row per period in time order) against
    its baseline.

    Adds ``value``, ``expected``, ``z`` (NaN where untested), ``dispersion``, ``baseline_periods``
    and ``is_out`` (|z| ≥ ``Z_EXTEND``: kept out of later baselines).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    frame = series.reset_index(drop=True).copy()
    for column in ("count", "total", "total_squares"):
        if column not in frame:
            frame[column] = 0.0
    columns = _columns(frame)
    frame["value"] = value_of(kind, columns[:, 0], columns[:, 1], columns[:, 2])
    expected, z, dispersion, periods = (np.full(len(frame), np.nan) for _ in range(4))
    usable = []  # indexes of the earlier periods a baseline may use: tested and in control
    for index, (size, count, total, _) in enumerate(columns):
        if not is_testable(kind, size):
            continue
        base = build_baseline(kind, columns[usable[-BASELINE_PERIODS:]])
        if base is not None:
            expected[index], dispersion[index], periods[index] = base.expected(kind), base.dispersion, base.periods
            z[index] = float(raw_z(kind, size, count, total, base)) / np.sqrt(base.dispersion)
            if abs(z[index]) >= Z_EXTEND:
                continue
        usable.append(index)
    frame["expected"], frame["z"], frame["dispersion"], frame["baseline_periods"] = expected, z, dispersion, periods
    frame["is_out"] = np.abs(np.nan_to_num(z)) >= Z_EXTEND
    return frame


def flag_windows(z: np.ndarray, higher_is_better: bool) -> list[tuple[int, int]]:
    """(first, last) indexes of each run of consecutive periods worse than normal by ``Z_EXTEND``
    that holds at least one worse by ``Z_ALERT``.

    >>> flag_windows(np.array([0.5, -3.2, -4.1, -3.0, 1.0, -4.5, np.nan, -3.5]), higher_is_better=True)
    [(1, 3), (5, 5)]
    """
    bad = -np.asarray(z, float) if higher_is_better else np.asarray(z, float)
    bad = np.nan_to_num(bad, nan=-np.inf)
    windows, start = [], None
    for index, value in enumerate([*bad, -np.inf]):
        if value >= Z_EXTEND and start is None:
            start = index
        elif value < Z_EXTEND and start is not None:
            if bad[start:index].max() >= Z_ALERT:
                windows.append((start, index - 1))
            start = None
    return windows


def window_z(kind: str, window: pd.DataFrame, base: Baseline) -> tuple[float, float, float]:
    """(observed, expected, z) of a whole window pooled against ``base``."""
    size, count, total = (float(window[c].sum()) for c in ("size", "count", "total"))
    z = float(raw_z(kind, size, count, total, base)) / np.sqrt(base.dispersion)
    return float(value_of(kind, size, count, total)), base.expected(kind), z


def severity_of(z: float) -> str:
    """'critical' (|z| ≥ 10), 'major' (≥ 6) or 'minor'.

    >>> [severity_of(z) for z in (-12.0, 7.5, 4.2)]
    ['critical', 'major', 'minor']
    """
    return next((name for name, low in SEVERITIES if abs(z) >= low), SEVERITIES[-1][0])


def control_band(kind: str, size: float, base: Baseline) -> tuple[float, float]:
    """The values a period of ``size`` can take without |z| reaching ``Z_ALERT``: (low, high)
    in the metric's unit, from the same exact tests (every whole count is tried)."""
    if not is_testable(kind, size):
        return np.nan, np.nan
    if kind == "mean":
        spread = np.sqrt(base.dispersion * (base.variance() / size + base.variance() / base.size))
        return base.expected(kind) - Z_ALERT * spread, base.expected(kind) + Z_ALERT * spread
    expected_count = size * base.expected(kind)
    top = size if kind == "proportion" else np.ceil(expected_count + 12 * np.sqrt(base.dispersion * expected_count + 1) + 20)
    counts = np.arange(0, int(top) + 1, dtype=float)
    z = raw_z(kind, size, counts, 0.0, base) / np.sqrt(base.dispersion)
    inside = counts[np.abs(z) < Z_ALERT]
    if inside.size == 0:
        return np.nan, np.nan
    return float(inside.min() / size), float(inside.max() / size)


def baseline_before(checked: pd.DataFrame, kind: str, index: int) -> Baseline | None:
    """The baseline period ``index`` of ``check_series``' result was (or would be) tested against."""
    earlier = checked.iloc[:index]
    testable = np.array([is_testable(kind, size) for size in earlier["size"]], bool)
    usable = _columns(earlier)[testable & ~earlier["is_out"].to_numpy(bool)]
    return build_baseline(kind, usable[-BASELINE_PERIODS:])
