"""Exports cannot carry formulas into Excel (CSV/XLSX formula injection)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from cxdata.ingest import make_export_safe

HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+2", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR", "plain", "-12.5", None]


@pytest.fixture
def frame():
    return pd.DataFrame({
        "comment": HOSTILE,
        "category": pd.Categorical(["=1"] * len(HOSTILE)),
        "amount": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        "=cmd|' /C calc'!A0": ["ok"] * len(HOSTILE),
    })


def test_text_cells_that_would_start_a_formula_are_prefixed(frame):
    safe = make_export_safe(frame)
    assert safe["comment"].tolist()[:-1] == ["'=HYPERLINK(\"http://evil\",\"x\")", "'+1+2", "'-2+3", "'@SUM(A1:A2)",
                                             "'\tTAB", "'\rCR", "plain", "-12.5"]
    assert pd.isna(safe["comment"].iloc[-1])
    assert set(safe["category"]) == {"'=1"}
    assert safe["amount"].tolist() == frame["amount"].tolist()  # numbers stay numbers, refunds stay negative
    assert list(safe.columns)[-1] == "'=cmd|' /C calc'!A0"
    assert frame["comment"][0].startswith("=")  # the original is untouched


def test_csv_export_has_no_cell_starting_a_formula(frame, tmp_path):
    path = tmp_path / "export.csv"
    make_export_safe(frame).to_csv(path, index=False)
    with open(path, newline="", encoding="utf-8") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    numbers = ("-12.5", "-5.0")
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and c not in numbers)]


def test_xlsx_export_has_no_formula_cell(frame, tmp_path):
    unsafe, safe = tmp_path / "unsafe.xlsx", tmp_path / "safe.xlsx"
    frame.to_excel(unsafe, index=False)
    make_export_safe(frame).to_excel(safe, index=False)

    def formulas(path):
        sheet = openpyxl.load_workbook(path).active
        return [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]

    assert formulas(unsafe)  # the danger is real: openpyxl would write these as formulas
    assert formulas(safe) == []


def test_xlsx_download_is_inert_and_keeps_numbers(frame, tmp_path):
    from cxdata.ingest.export_safety import build_xlsx

    path = tmp_path / "download.xlsx"
    path.write_bytes(build_xlsx(frame))
    sheet = openpyxl.load_workbook(path).active
    rows = [[cell for cell in row] for row in sheet.iter_rows()]
    assert [c.value for c in rows[0]] == ["comment", "category", "amount", "'=cmd|' /C calc'!A0"]
    assert [c.data_type for row in rows for c in row if c.data_type == "f"] == []
    comments = [row[0].value for row in rows[1:]]
    assert comments == ["'=HYPERLINK(\"http://evil\",\"x\")", "'+1+2", "'-2+3", "'@SUM(A1:A2)", "'\tTAB",
                        "'\nCR",  # XML reads a carriage return back as a line feed
                        "plain", "-12.5", None]
    assert all(row[0].data_type == "s" for row in rows[1:-1])  # text stays text, even "-12.5"
    amounts = [row[2] for row in rows[1:]]
    assert [c.value for c in amounts] == [-5, 1, 2, 3, 4, 5, 6, 7, 8]  # a refund is still a negative number
    assert {c.data_type for c in amounts} == {"n"}


def test_xlsx_download_keeps_dates_and_gaps(tmp_path):
    from cxdata.ingest.export_safety import build_xlsx

    frame = pd.DataFrame({"occurred_at": pd.to_datetime(["2025-12-31 10:30", None]),
                          "customers_count": pd.array([3, None], dtype="Int64"), "note": ["a", "b"]})
    sheet = openpyxl.load_workbook(io.BytesIO(build_xlsx(frame))).active
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert values == [[dt.datetime(2025, 12, 31, 10, 30), 3, "a"], [None, None, "b"]]
