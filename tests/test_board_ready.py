"""Board-ready: the pays-back rule, lifetimes in words, charts that say they lack data, XLSX numbers."""

from __future__ import annotations

import io
import math

import openpyxl
import pandas as pd
import pytest

from cxdata.ingest.export_safety import build_xlsx
from cxdata.model.rules import is_below_standard, lifetime_note, payback_status
from cxdata.presentation.cells import number_text
from cxdata.presentation.chart_shortage import describe_trend_shortage, describe_whatif_shortage
from cxdata.presentation.unit_tables import describe_lifetime, describe_payback

INF = math.inf


@pytest.mark.parametrize(("ltv_cac", "payback", "lifetime", "monthly", "expected"), [
    (1.2, 3.0, 10.0, 50.0, "paid_back"),     # revenue to date covers the CAC
    (0.54, 2.9, 108.9, 40.0, "expected"),    # not yet: 2.9 months of 108.9
    (0.5, 30.0, 12.0, 5.0, "never"),         # 30 months to pay back, 12 to live
    (0.5, 130.0, INF, 5.0, "never"),         # no churn: the lifetime counts as 120 months
    (0.5, 100.0, INF, 5.0, "expected"),
    (0.5, 100.0, 487.6, 5.0, "expected"),    # 487.6 capped at 120: 100 fits
    (0.0, math.nan, 4.0, 0.0, "never"),      # no revenue at all
    (math.nan, 2.0, 10.0, 50.0, None),       # no CAC: not known
])  # fmt: skip
def test_pays_back_rule_table(ltv_cac, payback, lifetime, monthly, expected):
    assert payback_status(ltv_cac, payback, lifetime, monthly) == expected


def test_an_ltv_cac_under_one_never_reads_paid_back():
    assert payback_status(0.54, 0.1, 100.0, 1000.0) != "paid_back"
    assert describe_payback("expected", "en") == "not yet: within its lifetime"
    assert describe_payback(None, "ru") == "—"


def test_lifetime_reason_instead_of_infinity():
    assert [lifetime_note(v) for v in (59.7, 120.0, 487.6, INF)] == [None, None, "over_cap", "no_churn"]
    assert describe_lifetime(INF, "no_churn", "en") == "not measurable: no churn observed"
    assert describe_lifetime(487.6, "over_cap", "en") == "over 10 years"
    assert describe_lifetime(487.6, "over_cap", "ru") == "более 10 лет"
    assert describe_lifetime(59.66, None, "en") == "59.7"
    assert [is_below_standard(v) for v in (0.54, 2.99, 3.0)] == [True, True, False]


def test_trend_of_one_point_or_none_says_so():
    trends = pd.DataFrame({"metric": ["csat", "revenue", "revenue", "nps"],
                           "period_start": pd.to_datetime(["2025-12-22", "2025-12-22", "2025-12-29", "2025-12-29"]),
                           "value": [100.0, 1.0, 2.0, None], "n": [1, 7, 10, 0]})  # fmt: skip
    assert describe_trend_shortage(trends, "revenue", "en") is None
    assert describe_trend_shortage(trends, "csat", "en").startswith("CSAT: only one point in time has data (n = 1)")
    assert describe_trend_shortage(trends, "nps", "en").startswith("NPS: no data for this selection")
    assert describe_trend_shortage(trends, "nps", "ru").startswith("NPS: нет данных для этого выбора")
    assert describe_whatif_shortage(30, "en") is None and "this selection has 3" in describe_whatif_shortage(3, "en")


def test_xlsx_holds_numbers_with_units_in_the_header():
    frame = pd.DataFrame({
        "Revenue": [number_text(413_912_345.6, "money", "en", 0, "RUB", compact=True), "—"],
        "Churn": [number_text(12.5, "%", "en", 1), number_text(-2.0, "%", "en", 1)],
        "LTV / CAC": [number_text(0.54, "ratio", "en", 2), "=cmd"],
    }, dtype=object)  # fmt: skip
    assert frame.iloc[0, 0] == "413.9\u00a0M\u00a0RUB"  # the screen keeps its text
    sheet = openpyxl.load_workbook(io.BytesIO(build_xlsx(frame))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Revenue, RUB", "Churn, %", "LTV / CAC, ×"]
    assert rows[1] == [pytest.approx(413_912_345.6), pytest.approx(0.125), pytest.approx(0.54)]
    assert rows[2] == ["—", pytest.approx(-0.02), "'=cmd"]  # a formula stays text
    assert sheet["B2"].number_format == "0.0%" and sheet["A2"].number_format == "#,##0"
