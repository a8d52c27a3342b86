"""Exports cannot carry formulas into Excel (CSV/XLSX formula injection)."""

from __future__ import annotations

import csv

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
