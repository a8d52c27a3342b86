"""Exports that are safe to open in Excel: no cell of ours can run as a formula (CSV/XLSX injection).

``make_export_safe`` is applied to every table the dashboard shows (its toolbar CSV download) and
``build_xlsx`` writes the XLSX download next to it.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with
an apostrophe, the OWASP advice: spreadsheet programs show it as text. Plain numbers written as text
(``-12.5``) are left alone, and so are real numeric columns.
"""

from __future__ import annotations

import re

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+([.,]\d+)?")


def neutralize_cell(value):
    """One value made safe.

    >>> [neutralize_cell(v) for v in ("=HYPERLINK(\\"http://x\\")", "@SUM(A1)", "-12.5", "ok", 5)]
    ['\\'=HYPERLINK("http://x")', "'@SUM(A1)", '-12.5', 'ok', 5]
    """
    if isinstance(value, str) and value.startswith(_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value):
        # A shown number ('+21.3 k') keeps the number it stands for (the XLSX cell is that number).
        return value.with_text("'" + value) if hasattr(value, "with_text") else "'" + value
    return value


def make_export_safe(df):
    """A copy of the pandas DataFrame ``df`` whose text cells and column names cannot be read as formulas.

    >>> import pandas as pd
    >>> make_export_safe(pd.DataFrame({"=cmd": ["=1+1", "fine"], "amount": [-5.0, 3.0]})).to_dict("list")
    {"'=cmd": ["'=1+1", 'fine'], 'amount': [-5.0, 3.0]}
    """
    import pandas as pd  # only exports need it

    safe = df.copy()
    for column in safe.columns:
        series = safe[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        if (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)) and _any_trigger(series):
            # Objects, not a map (pandas would infer a string column and drop the shown numbers).
            safe[column] = pd.Series([neutralize_cell(value) for value in series.tolist()], index=series.index,
                                     dtype=object if any(hasattr(v, "number") for v in series.tolist()) else series.dtype)
    safe.columns = [neutralize_cell(c) if isinstance(c, str) else c for c in safe.columns]
    return safe


def _any_trigger(series) -> bool:
    """Whether any text of ``series`` starts like a formula (most columns have none: skip them)."""
    return any(isinstance(value, str) and value.startswith(_TRIGGERS) for value in series.tolist())


def build_xlsx(df, *, sheet_name: str = "data") -> bytes:
    """The pandas DataFrame ``df`` as an XLSX workbook (bytes) in which no cell is a formula.

    A shown number (``cxdata.presentation.cells.NumberText``: '413.9 M RUB' on screen) is written as
    its number with a number format, its unit in the column header ('Revenue, RUB'); a percentage
    as a fraction formatted '0.0%'.

    Text goes through ``make_export_safe`` (the same text as the screen and the CSV download) and is
    then written as a string cell explicitly: openpyxl would otherwise store any text starting with
    ``=`` as a formula. Numbers, dates and booleans keep their type (a refund stays -5.0).

    >>> import io, openpyxl, pandas as pd
    >>> data = build_xlsx(pd.DataFrame({"note": ["=1+1", "ok"], "amount": [-5.0, 3]}))
    >>> [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows()]
    [['note', 'amount'], ["'=1+1", -5], ['ok', 3]]
    """
    import io

    import openpyxl

    safe = make_export_safe(df)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    units = [_column_unit(safe.iloc[:, index]) for index in range(safe.shape[1])]
    sheet.append([_xlsx_cell(sheet, _header(str(column), unit)) for column, unit in zip(safe.columns, units)])
    for row in safe.itertuples(index=False, name=None):
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _column_unit(series) -> str | None:
    """The unit every shown number of a column shares ('RUB', '%', '×'), or None."""
    units = {value.unit_label for value in series.tolist() if hasattr(value, "unit_label")}
    return units.pop() if len(units) == 1 else None


def _header(text: str, unit: str | None) -> str:
    """'CAC' -> 'CAC, RUB': a numeric column's header names its unit (unless it does already)."""
    if not unit or text.rstrip().endswith(unit) or f", {unit}" in text:
        return text
    return f"{text}, {unit}"


# Number formats of shown numbers by unit: money whole, ratios and months to 2 and 1 decimals.
_NUMBER_FORMATS = {"money": "#,##0", "%": "0.0%", "ratio": '0.00"×"', "count": "#,##0", "months": "0.0"}


def _xlsx_cell(sheet, value):
    """One write-only cell: text always as a string, numbers and dates as themselves, gaps empty."""
    import datetime as dt
    import numbers

    import pandas as pd
    from openpyxl.cell import WriteOnlyCell

    if value is None or (not isinstance(value, (str, bytes)) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if hasattr(value, "number") and hasattr(value, "unit"):  # a shown number (cxdata.presentation.cells)
        percent = value.unit == "%"
        cell = WriteOnlyCell(sheet, value=value.number / 100 if percent else value.number)
        cell.number_format = _NUMBER_FORMATS.get(value.unit, "General")
        return cell
    if isinstance(value, pd.Timestamp):
        value = value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    elif isinstance(value, dt.datetime) and value.tzinfo:
        value = value.replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, (bool, numbers.Number, dt.date, dt.time)) and not isinstance(value, complex):
        return WriteOnlyCell(sheet, value=value.item() if hasattr(value, "item") else value)
    cell = WriteOnlyCell(sheet, value=str(value))
    cell.data_type = "s"  # never "f": a formula is only ever what we decide, and we decide none
    return cell
