"""The global filters: one frozen value that is the cache key, the SQL filter and the caption.

Like datasette's ``Filters``: the same object that narrows every table also writes the
human-readable caption stamped on every chart and export, so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta

import ibis

from cxdata.i18n import display_name, format_period, translate

# Filter fields that narrow by an attribute of the customer (missing customers count as "Unknown").
CUSTOMER_DIMENSIONS = {"segments": "segment", "regions": "region", "acquisition_channels": "acquisition_channel"}
UNKNOWN = "Unknown"

@dataclass(frozen=True)
class Filters:
    """A date range (inclusive days) plus optional allow-lists; an empty tuple means 'all'.

    >>> f = Filters(date(2025, 1, 1), date(2025, 3, 31), segments=("SMB",))
    >>> f.days, f.previous()
    (90, Filters(start=datetime.date(2024, 10, 3), end=datetime.date(2024, 12, 31), segments=('SMB',), regions=(), channels=(), acquisition_channels=()))
    """

    start: date
    end: date
    segments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    acquisition_channels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.start, date) or not isinstance(self.end, date):
            raise ValueError("start and end must be dates")
        if self.start > self.end:
            raise ValueError(f"start {self.start.isoformat()} is after end {self.end.isoformat()}")
        for name in ("segments", "regions", "channels", "acquisition_channels"):
            # Sorted tuples: the same selection in another order is the same cache key.
            object.__setattr__(self, name, tuple(sorted(set(getattr(self, name)))))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Filters":
        """The period of equal length that ends the day before this one starts, same dimensions."""
        end = self.start - timedelta(days=1)
        return replace(self, start=end - timedelta(days=self.days - 1), end=end)

    def dimension_values(self) -> dict[str, tuple[str, ...]]:
        """Non-empty dimension allow-lists by field name."""
        return {f.name: getattr(self, f.name) for f in fields(self)[2:] if getattr(self, f.name)}

    # --- the predicate, rendered here once (Ibis for the definitions, SQL for the saved copies) ---

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as timestamps: the end bound is midnight after the last day.

        >>> Filters(date(2025, 1, 1), date(2025, 1, 31)).bounds()
        (datetime.datetime(2025, 1, 1, 0, 0), datetime.datetime(2025, 2, 1, 0, 0))
        """
        return datetime.combine(self.start, time()), datetime.combine(self.end + timedelta(days=1), time())

    def period_params(self) -> dict[str, datetime]:
        """``bounds`` as the query parameters ``$start`` and ``$end``."""
        start, end = self.bounds()
        return {"start": start, "end": end}

    def allow_lists(self, channel_column: str | None = None) -> dict[str, tuple[str, ...]]:
        """Column -> allowed values: the customer attributes, and the channel filter on
        ``channel_column`` (no channel filter without one)."""
        wanted = {CUSTOMER_DIMENSIONS[n]: v for n, v in self.dimension_values().items() if n in CUSTOMER_DIMENSIONS}
        if channel_column and self.channels:
            wanted[channel_column] = self.channels
        return wanted

    def predicates(self, table, channel_column: str | None = None) -> list:
        """Ibis predicates on a table that carries the customer attributes itself (rollups,
        ``customers``): a missing value counts as "Unknown"."""
        return [ibis.coalesce(table[column], UNKNOWN).isin(values) for column, values in self.allow_lists(channel_column).items()]

    def sql(self, params: dict, *, channel_column: str = "channel", raw_channel: bool = False) -> list[str]:
        """``predicates`` as SQL text for the saved copies' parameterized queries: one predicate per
        allow-list, its values added to ``params`` ("Unknown" for a missing value). With
        ``raw_channel`` the channel filter matches the stored channel only, as the definitions
        narrow ``customers``. Column names are ours; values only ever travel as parameters.

        >>> params = {}
        >>> Filters(date(2025, 1, 1), date(2025, 1, 31), segments=("SMB",)).sql(params)
        ['list_contains($allowed_segment, coalesce(segment, $unknown))']
        >>> params
        {'allowed_segment': ['SMB'], 'unknown': 'Unknown'}
        """
        predicates = []
        for column, values in self.allow_lists(channel_column).items():
            params[f"allowed_{column}"] = list(values)
            if raw_channel and column == channel_column:
                value = column
            else:
                params["unknown"] = UNKNOWN  # only when used: DuckDB refuses parameters the SQL does not use
                value = f"coalesce({column}, $unknown)"
            predicates.append(f"list_contains($allowed_{column}, {value})")
        return predicates

    def caption(self, lang: str = "en") -> str:
        """'1 Jul 2025 – 31 Dec 2025 · Segment: Premium, SMB · Channel: web'."""
        parts = [format_period(self.start, self.end, lang)]
        labels = {
            "segments": "segment",
            "regions": "region",
            "channels": "channel",
            "acquisition_channels": "acquisition_channel",
        }
        for name, values in self.dimension_values().items():
            names = ", ".join(display_name(labels[name], value, lang) for value in values)
            parts.append(f"{translate(labels[name], lang)}: {names}")
        if len(parts) == 1:
            parts.append(translate("caption_all_data", lang))
        return " · ".join(parts)


# Period presets offered in the sidebar, relative to the data's as-of date (never the clock).
PERIOD_PRESETS = ("last_30", "last_quarter", "last_6m", "last_12m", "this_fy", "last_fy", "all", "custom")
DEFAULT_PRESET = "last_6m"
_PRESET_MONTHS = {"last_quarter": 3, "last_6m": 6, "last_12m": 12}


def preset_range(preset: str, as_of: date, data_start: date | None = None,
                 fiscal_year_start: int = 1) -> tuple[date, date]:
    """The (start, end) days of a preset; months are calendar months ending on ``as_of``; the
    fiscal year begins on the first of month ``fiscal_year_start`` (this one: to ``as_of``).

    >>> preset_range("last_6m", date(2025, 12, 31))
    (datetime.date(2025, 7, 1), datetime.date(2025, 12, 31))
    >>> preset_range("last_30", date(2025, 12, 31))
    (datetime.date(2025, 12, 2), datetime.date(2025, 12, 31))
    >>> preset_range("this_fy", date(1998, 6, 30), fiscal_year_start=4), preset_range("last_fy", date(1998, 6, 30), fiscal_year_start=4)
    ((datetime.date(1998, 4, 1), datetime.date(1998, 6, 30)), (datetime.date(1997, 4, 1), datetime.date(1998, 3, 31)))
    """
    if preset in ("this_fy", "last_fy"):
        year = as_of.year if as_of.month >= fiscal_year_start else as_of.year - 1
        this_start = date(year, fiscal_year_start, 1)
        if preset == "this_fy":
            return this_start, as_of
        return date(year - 1, fiscal_year_start, 1), this_start - timedelta(days=1)
    if preset == "last_30":
        return as_of - timedelta(days=29), as_of
    if preset == "all":
        return (data_start or as_of), as_of
    months = _PRESET_MONTHS.get(preset, _PRESET_MONTHS[DEFAULT_PRESET])
    day_after = as_of + timedelta(days=1)
    month_index = day_after.year * 12 + day_after.month - 1 - months
    start_year, start_month = divmod(month_index, 12)
    # Day 29-31 does not exist in every month; day 28 does.
    start = date(start_year, start_month + 1, min(day_after.day, 28))
    return min(start, as_of), as_of


@dataclass(frozen=True)
class LinkedDates:
    """A custom range asked for by a link (``f_dates`` twice in the URL), fitted to the data.

    ``start``/``end`` is the range to show; ``note`` (a text key, or None when the link is shown
    as asked) says why it differs; ``asked`` is the range the link asked for (None when its dates
    could not be read: ``asked_text`` then holds them as written).
    """

    start: date
    end: date
    note: str | None = None
    asked: tuple[date, date] | None = None
    asked_text: str = ""


def fit_linked_dates(values: list[str], data_start: date, as_of: date,
                     default: tuple[date, date]) -> LinkedDates:
    """The range a link's dates ask for, inside the data's ``data_start`` … ``as_of``.

    Unreadable dates, or a range without a day of data, are ignored (``default`` is shown);
    reversed ones are swapped; a range reaching past the data is cut to it.

    >>> data, default = (date(2024, 1, 3), date(2025, 12, 31)), (date(2025, 7, 1), date(2025, 12, 31))
    >>> fitted = fit_linked_dates(["1990-01-01", "2030-12-31"], *data, default)
    >>> fitted.start, fitted.end, fitted.note
    (datetime.date(2024, 1, 3), datetime.date(2025, 12, 31), 'dates_clamped')
    >>> fit_linked_dates(["2025-13-01", "x"], *data, default).note
    'dates_unreadable'
    >>> fit_linked_dates(["2025-03-01", "2025-04-30"], *data, default).note is None
    True
    """
    try:
        start, end = (date.fromisoformat(value) for value in values)
    except (TypeError, ValueError):  # not two dates: one, three, "2025-13-01", "yesterday"
        return LinkedDates(*default, note="dates_unreadable", asked_text=" – ".join(values))
    note = None
    if start > end:
        start, end, note = end, start, "dates_reversed"
    if end < data_start or start > as_of:
        return LinkedDates(*default, note="dates_outside_data", asked=(start, end))
    fitted = max(start, data_start), min(end, as_of)
    if note is None and fitted != (start, end):
        note = "dates_clamped"
    return LinkedDates(*fitted, note=note, asked=(start, end))
