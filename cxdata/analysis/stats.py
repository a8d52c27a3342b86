"""Sampling intervals for the survey and rate metrics (95%, normal approximations).

Plain functions of counts, so the golden tests can check them by hand.
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def nps_interval(promoters: int, detractors: int, n: int) -> tuple[float, float, float] | None:
    """(nps, low, high) in points from counts; the variance of p − d for a 3-way multinomial.

    >>> [round(x, 2) for x in nps_interval(50, 20, 100)]
    [30.0, 14.69, 45.31]
    """
    if n <= 0:
        return None
    p, d = promoters / n, detractors / n
    nps = p - d
    half = Z95 * math.sqrt(max(p + d - nps * nps, 0.0) / n)
    return 100 * nps, 100 * (nps - half), 100 * (nps + half)


def wilson_interval(successes: int, n: int) -> tuple[float, float, float] | None:
    """(share %, low %, high %) with the Wilson score interval, which behaves at 0% and 100%.

    >>> [round(x, 2) for x in wilson_interval(80, 100)]
    [80.0, 71.12, 86.66]
    """
    if n <= 0:
        return None
    p = successes / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return 100 * p, 100 * (centre - half), 100 * (centre + half)


def mean_interval(mean: float | None, sd: float | None, n: int) -> tuple[float, float, float] | None:
    """(mean, low, high) with a normal interval; a single answer has no interval.

    >>> [round(x, 3) for x in mean_interval(5.0, 1.0, 100)]
    [5.0, 4.804, 5.196]
    """
    if n <= 0 or mean is None:
        return None
    if n < 2 or sd is None or math.isnan(sd):
        return mean, math.nan, math.nan
    half = Z95 * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def monthly_rate(period_share: float, days: int) -> float:
    """A share lost over ``days`` days, as the equivalent 30-day share (compounded).

    >>> round(monthly_rate(0.1, 90), 4)
    0.0345
    """
    if days <= 0:
        raise ValueError("days must be positive")
    return 1 - (1 - period_share) ** (30 / days)


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> float:
    """z of p1 − p2 with the pooled variance; NaN when either sample is empty or nothing varies.

    >>> round(two_proportion_z(30, 100, 50, 100), 2)
    -2.89
    """
    if not n1 or not n2:
        return math.nan
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return (x1 / n1 - x2 / n2) / se if se else math.nan
