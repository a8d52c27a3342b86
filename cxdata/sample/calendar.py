"""The sample's calendar: its first and last day, time units in seconds, and day-ordered storage.

Times are int64 epoch seconds until they reach DuckDB. Month starts from July 2023 to January 2026
are the knots that seasonal rates are laid on.
"""

from __future__ import annotations

from datetime import date

import numpy as np

SAMPLE_START = date(2023, 7, 1)
SAMPLE_AS_OF = date(2025, 12, 31)  # last day of data

DAY = 86_400
HOUR = 3_600
MONTH = 30.4375 * DAY
NEVER = np.iinfo(np.int64).max // 2
MONTH_STARTS = (
    np.arange(np.datetime64("2023-07"), np.datetime64("2026-02"), dtype="datetime64[M]")
    .astype("datetime64[s]")
    .astype(np.int64)
)  # 31 knots: 2023-07-01 .. 2026-01-01
FIRST_SECOND = int(MONTH_STARTS[0])
LAST_SECOND = int(MONTH_STARTS[-1]) - 1  # 2025-12-31 23:59:59
MONTH_OF_YEAR = (np.arange(30) + 6) % 12 + 1


def epoch_seconds(day: date) -> int:
    return int(np.datetime64(day, "s").astype(np.int64))


def order_by_day(seconds: np.ndarray) -> np.ndarray:
    """Row order that groups rows by calendar day (stable radix sort on an int16 day number).

    Day-ordered storage lets DuckDB skip row groups under a date filter; ordering by the second
    would cost a full int64 sort for little gain.
    """
    day = ((seconds - FIRST_SECOND) // DAY).astype(np.int16)
    return np.argsort(day, kind="stable")
