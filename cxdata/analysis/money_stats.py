"""Statistics of the CX-and-money page: tests of differences, odds ratios, the horizon model.

Plain functions of counts and sums (the database returns those, never customer rows), so the
tests can check them by hand and against scipy on raw data. Every test is two-sided at the
5% level. scipy supplies the normal distribution and Welch's t-test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats as scipy_stats

from cxdata.analysis.stats import Z95

SIGNIFICANCE_LEVEL = 0.05
# One "month" of the money model is 30 days, as in the monthly churn rate of cxdata.questions.metrics.
DAYS_PER_MONTH = 30


def is_significant(p_value: float | None) -> bool:
    """True when ``p_value`` is below the 5% level; a missing p-value is never significant."""
    return p_value is not None and not math.isnan(p_value) and p_value < SIGNIFICANCE_LEVEL


def two_proportion_test(successes_a: int, n_a: int, successes_b: int, n_b: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test (H0: both groups have the same share).

    z = (p_a − p_b) / sqrt(p (1 − p) (1/n_a + 1/n_b)), p = pooled share. None when a group is
    empty; 1.0 when the pooled share is 0 or 1 (no variation, no difference).

    >>> round(two_proportion_test(30, 100, 15, 100), 4)
    0.0111
    """
    if n_a <= 0 or n_b <= 0:
        return None
    pooled = (successes_a + successes_b) / (n_a + n_b)
    variance = pooled * (1 - pooled) * (1 / n_a + 1 / n_b)
    if variance <= 0:
        return 1.0
    z = (successes_a / n_a - successes_b / n_b) / math.sqrt(variance)
    return float(2 * scipy_stats.norm.sf(abs(z)))


def mean_and_sd(total: float, total_of_squares: float, n: int) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation from n, Σx and Σx² (None where undefined).

    >>> mean_and_sd(6.0, 14.0, 3)  # 1, 2, 3
    (2.0, 1.0)
    """
    if n <= 0:
        return None, None
    mean = total / n
    if n < 2:
        return mean, None
    variance = max(total_of_squares - total * total / n, 0.0) / (n - 1)
    return mean, math.sqrt(variance)


def welch_test(mean_a, sd_a, n_a: int, mean_b, sd_b, n_b: int) -> float | None:
    """Two-sided p-value of Welch's t-test (unequal variances) from summary statistics.

    scipy.stats.ttest_ind_from_stats(equal_var=False). None when a group has fewer than two
    values or the test is undefined (both groups constant).

    >>> round(welch_test(10.0, 2.0, 50, 9.0, 3.0, 40), 4)
    0.0748
    """
    if n_a < 2 or n_b < 2 or None in (mean_a, sd_a, mean_b, sd_b):
        return None
    if sd_a == 0 and sd_b == 0:
        return 1.0 if mean_a == mean_b else 0.0
    result = scipy_stats.ttest_ind_from_stats(mean_a, sd_a, n_a, mean_b, sd_b, n_b, equal_var=False)
    p_value = float(result.pvalue)
    return None if math.isnan(p_value) else p_value


@dataclass(frozen=True)
class OddsRatio:
    """Odds of the event among the exposed over the odds among the unexposed, with a 95% interval."""

    value: float
    low: float
    high: float
    p_value: float


def odds_ratio(exposed_events: int, exposed_n: int, unexposed_events: int, unexposed_n: int) -> OddsRatio | None:
    """Sample odds ratio of a 2×2 table with Woolf's 95% interval and the Wald test of log OR = 0.

    a = exposed with the event, b = exposed without, c = unexposed with, d = unexposed without;
    OR = a·d / (b·c), SE(log OR) = sqrt(1/a + 1/b + 1/c + 1/d). With an empty cell, 0.5 is
    added to every cell (Haldane–Anscombe). None when either group is empty.

    >>> r = odds_ratio(10, 30, 30, 70)
    >>> round(r.value, 4), round(r.low, 4), round(r.high, 4), round(r.p_value, 4)
    (0.6667, 0.2725, 1.6309, 0.3744)
    """
    if exposed_n <= 0 or unexposed_n <= 0:
        return None
    cells = [exposed_events, exposed_n - exposed_events, unexposed_events, unexposed_n - unexposed_events]
    if min(cells) == 0:
        cells = [cell + 0.5 for cell in cells]
    a, b, c, d = cells
    log_ratio = math.log(a * d / (b * c))
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    p_value = float(2 * scipy_stats.norm.sf(abs(log_ratio) / se))
    return OddsRatio(math.exp(log_ratio), math.exp(log_ratio - Z95 * se), math.exp(log_ratio + Z95 * se), p_value)


def validate_horizon_months(horizon_months) -> int:
    """``horizon_months`` as an int; ValueError unless it is a whole number of months from 1 to 120."""
    if isinstance(horizon_months, bool) or not isinstance(horizon_months, int) or not 1 <= horizon_months <= 120:
        raise ValueError(f"horizon_months must be a whole number of months from 1 to 120, got {horizon_months!r}")
    return horizon_months


def expected_active_months(monthly_churn: float, horizon_months: int) -> float:
    """Months an average customer stays over the next ``horizon_months`` at a constant monthly
    churn share c (0 … 1): Σ_{m=1..H} (1 − c)^m, each month counted if the customer is still
    there at its end.

    >>> expected_active_months(0.0, 12), round(expected_active_months(0.1, 12), 4)
    (12.0, 6.4581)
    """
    if horizon_months < 0:
        raise ValueError("horizon_months must be 0 or more")
    if not 0 <= monthly_churn <= 1:
        raise ValueError(f"monthly_churn must be a share between 0 and 1, got {monthly_churn!r}")
    return float(sum((1 - monthly_churn) ** month for month in range(1, horizon_months + 1)))
