"""Exports that are safe to open in Excel: no cell of ours can run as a formula (CSV/XLSX injection).

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
        return "'" + value
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
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            safe[column] = series.map(neutralize_cell, na_action="ignore")
    safe.columns = [neutralize_cell(c) if isinstance(c, str) else c for c in safe.columns]
    return safe
