"""A finished chart's axes in the reader's language, for what plotly.js writes on its own.

plotly.js names months in English ("Jul 2025") and shortens large numbers with SI letters ("120M",
"600k"), whatever ``layout.separators`` says. In Russian every date axis therefore gets its
month ticks written here ("июл 2025"), and every other axis plain grouped numbers
("120 000 000", the separators per locale). English keeps plotly's own ticks.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from cxdata.i18n import format_month

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")
MAX_MONTH_TICKS = 8


def localize_figure(figure: dict, lang: str) -> dict:
    """``figure`` (a ``cxdata.presentation.charts`` dict) with its axes' ticks in ``lang``; the
    figure itself is not changed (a shallow copy of the layout and of the axes changed)."""
    if lang != "ru":
        return figure
    values: dict[str, list] = {}  # layout axis key -> the values its traces put on it
    for trace in figure.get("data", []):
        for letter in ("x", "y"):
            axis = "{}axis{}".format(letter, str(trace.get(f"{letter}axis", letter))[1:])
            values.setdefault(axis, []).extend(trace.get(letter) or [])
    layout = dict(figure.get("layout", {}))
    for key in {*values, *(k for k in layout if re.fullmatch(r"[xy]axis\d*", k))}:
        axis = dict(layout.get(key) or {})
        days = _days(values.get(key, []))
        if days and axis.get("type") not in ("category", "multicategory") and "tickvals" not in axis:
            axis["tickvals"], axis["ticktext"] = month_ticks(min(days), max(days), "ru")
            axis["tickangle"] = axis.get("tickangle", 0)
        elif "tickformat" not in axis:
            axis.setdefault("exponentformat", "none")
            axis.setdefault("separatethousands", True)
        layout[key] = axis
    return {**figure, "layout": layout}


def month_ticks(first: date, last: date, lang: str) -> tuple[list[str], list[str]]:
    """(ISO days, labels) of month starts from ``first`` to ``last``, every k-th month so that at
    most ``MAX_MONTH_TICKS`` remain; the first month is kept when ``first`` is its first day.

    >>> month_ticks(date(2025, 6, 30), date(2025, 9, 29), "ru")
    (['2025-07-01', '2025-08-01', '2025-09-01'], ['июл 2025', 'авг 2025', 'сен 2025'])
    >>> len(month_ticks(date(2023, 1, 1), date(2025, 12, 1), "ru")[0])
    8
    """
    year, month = (first.year, first.month) if first.day == 1 else _next_month(first.year, first.month)
    months = []
    while date(year, month, 1) <= last:
        months.append((year, month))
        year, month = _next_month(year, month)
    if not months:  # less than a month: its start, though before the first value
        months = [(first.year, first.month)]
    step = max(1, math.ceil(len(months) / MAX_MONTH_TICKS))
    kept = months[::step]
    return [date(y, m, 1).isoformat() for y, m in kept], [format_month(y, m, lang) for y, m in kept]


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _days(values: list) -> list[date]:
    """The days among ``values`` when they are dates (datetime, date, pandas Timestamp, ISO text);
    [] for any other axis."""
    days = []
    for value in values:
        if value is None or value != value:  # NaN, NaT: a gap in the line
            continue
        if isinstance(value, datetime):  # pandas.Timestamp included
            days.append(value.date())
        elif isinstance(value, date):
            days.append(value)
        elif isinstance(value, str) and _ISO_DAY.match(value):
            try:
                days.append(date.fromisoformat(value[:10]))
            except ValueError:
                return []
        else:
            return []
    return days
