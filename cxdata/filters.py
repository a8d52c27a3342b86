"""The global filters: one frozen value that is the cache key, the SQL filter and the caption.

Like datasette's ``Filters``: the same object that narrows every table also writes the
human-readable caption stamped on every chart and export, so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, timedelta

from cxdata.i18n import format_period, translate

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
            parts.append(f"{translate(labels[name], lang)}: {', '.join(values)}")
        if len(parts) == 1:
            parts.append(translate("caption_all_data", lang))
        return " · ".join(parts)


# Period presets offered in the sidebar, relative to the data's as-of date (never the clock).
PERIOD_PRESETS = ("last_30", "last_quarter", "last_6m", "last_12m", "all", "custom")
DEFAULT_PRESET = "last_6m"
_PRESET_MONTHS = {"last_quarter": 3, "last_6m": 6, "last_12m": 12}


def preset_range(preset: str, as_of: date, data_start: date | None = None) -> tuple[date, date]:
    """The (start, end) days of a preset; months are calendar months ending on ``as_of``.

    >>> preset_range("last_6m", date(2025, 12, 31))
    (datetime.date(2025, 7, 1), datetime.date(2025, 12, 31))
    >>> preset_range("last_30", date(2025, 12, 31))
    (datetime.date(2025, 12, 2), datetime.date(2025, 12, 31))
    """
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
