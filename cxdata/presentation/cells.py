"""Table cells that read as text on screen and are numbers in a spreadsheet.

A display table holds formatted text ('413.9 M RUB', '0.54×', '12.3%'): what the reader sees. A
``NumberText`` is that text (a ``str``, so the screen, the CSV and the Arrow table are unchanged)
carrying the number it was made of and its unit, so the XLSX download
(``cxdata.ingest.export_safety.build_xlsx``) writes a numeric cell with a number format and the unit
in the column header, not the text.
"""

from __future__ import annotations

import math

from cxdata.i18n import format_value


class NumberText(str):
    """Text shown for ``number`` (exact, not the rounded text) in ``unit`` ("money", "%", "ratio",
    "count", "months"…); ``currency``: the currency of money.

    >>> cell = NumberText("413.9 M RUB", 413_912_345.6, "money", "RUB")
    >>> cell, cell.number, cell.unit_label
    ('413.9 M RUB', 413912345.6, 'RUB')
    """

    number: float
    unit: str
    currency: str

    def __new__(cls, text: str, number: float, unit: str, currency: str = ""):
        cell = super().__new__(cls, text)
        cell.number, cell.unit, cell.currency = float(number), unit, currency
        return cell

    def __reduce__(self):  # cached results are pickled: keep the number
        return NumberText, (str(self), self.number, self.unit, self.currency)

    def with_text(self, text: str) -> NumberText:
        """The same number shown as ``text`` (an export-safe prefix, a small-sample mark)."""
        return NumberText(text, self.number, self.unit, self.currency)

    @property
    def unit_label(self) -> str:
        """The unit as a column header states it: 'RUB', '%', '×', 'months' or ''."""
        return {"money": self.currency, "%": "%", "ratio": "×", "months": "months"}.get(self.unit, "")


def number_text(value, unit: str, lang: str, decimals: int, currency: str = "", compact: bool = False) -> str:
    """``format_value`` of ``value`` as a ``NumberText``; '—' (plain text) without a finite value."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "—"
    return NumberText(format_value(value, unit, lang, decimals, currency, compact=compact), value, unit, currency)
