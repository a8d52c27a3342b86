"""Reading extracts: formats, encodings, delimiters, number and date detection, hostile files."""

from __future__ import annotations

import shutil
import zipfile
from datetime import datetime

import duckdb
import pytest

from cxdata.ingest import ExtractRefused, Limits, read_extract
from cxdata.ingest.detection import Params, date_sql, number_sql
from tests.fixtures.ingest.support import fixture, write_csv


def refused_code(path, **options) -> str:
    with pytest.raises(ExtractRefused) as refused:
        read_extract(path, **options)
    return refused.value.issue.code


def test_russian_crm_export_cp1251_semicolon_decimal_comma_dotted_dates():
    with read_extract(fixture("crm_transactions_cp1251.csv")) as extract:
        detected = extract.detected()
        assert (detected["encoding"], detected["delimiter"], detected["decimal"]) == ("CP1251", ";", ",")
        assert detected["thousands_separators"] == ["space", "no-break space"]
        assert extract.headers == ("Номер чека", "ID клиента", "Дата покупки", "Сумма", "Товар", "Канал")
        assert detected["columns"]["Дата покупки"] == {"kind": "date", "non_empty": 5, "date_format": "%d.%m.%Y"}
        assert detected["columns"]["Сумма"]["kind"] == "number"
        assert extract.rows_read == 5


@pytest.mark.parametrize("name, encoding, delimiter, rows", [
    ("surveys_utf16.txt", "UTF-16", "\t", 3),
    ("customers_bom.csv", "UTF-8 BOM", ",", 3),
    ("transactions.tsv", "UTF-8", "\t", 3),
    ("complaints_pipe.txt", "UTF-8", "|", 3),
])
def test_encodings_and_delimiters_are_detected(name, encoding, delimiter, rows):
    with read_extract(fixture(name)) as extract:
        assert (extract.encoding, extract.delimiter, extract.rows_read) == (encoding, delimiter, rows)
        assert not extract.headers[0].startswith("\ufeff")


def test_quoted_fields_keep_line_breaks_and_delimiters():
    with read_extract(fixture("complaints_pipe.txt")) as extract:
        texts = extract.workspace.execute("SELECT c5 FROM clean ORDER BY __row").fetchall()
        assert texts[1][0] == "The app crashes\nwhen I pay | twice"


def test_us_dates_and_comma_thousands():
    with read_extract(fixture("transactions.tsv")) as extract:
        assert extract.columns["date"].date.date_format == "%m/%d/%Y"  # 12/31/2024 can only be month first
        assert extract.decimal.decimal == "." and extract.decimal.thousands == (",",)


def test_compact_dates_are_dates_only_when_mapped_to_a_date():
    with read_extract(fixture("complaints_pipe.txt")) as extract:
        assert extract.columns["Opened"].kind == "number"  # 20241201 on its own is a number
        assert extract.date_decision("Opened", include_numeric=True).date_format == "%Y%m%d"


def test_workbook_sheet_excel_serial_dates_and_row_numbers():
    with read_extract(fixture("surveys.xlsx")) as extract:
        assert extract.sheet == "Опрос" and extract.file.format == "xlsx"
        assert extract.date_decision("Дата", include_numeric=True).date_format == "excel"
        # The blank sheet row is not a record, but numbering follows the sheet: C003 is row 4.
        assert extract.workspace.execute("SELECT __row, c0 FROM clean ORDER BY __row").fetchall() == [
            (1, "C001"), (2, "C002"), (4, "C003")]
    with read_extract(fixture("surveys.xlsx"), options={"sheet": "Покупки"}) as extract:
        assert extract.headers == ("transaction_id", "customer_id", "occurred_at", "amount")
        assert extract.columns["occurred_at"].date.date_format == "%Y-%m-%d"
    assert refused_code(fixture("surveys.xlsx"), options={"sheet": "Нет такого"}) == "sheet_not_found"


def test_parquet_columns_are_read_as_text_of_their_values():
    with read_extract(fixture("transactions.parquet")) as extract:
        rows = extract.workspace.execute("SELECT c2, c3, c4 FROM clean ORDER BY __row").fetchall()
        assert rows[0] == ("2024-12-01 09:00:00.000000", "10.5", "card")
        assert extract.columns["occurred_at"].date.date_format == "%Y-%m-%d"


def test_ambiguous_date_column_needs_a_decision_and_an_override_decides():
    with read_extract(fixture("transactions_ambiguous_dates.csv")) as extract:
        decision = extract.columns["occurred_at"].date
        assert decision.needs_decision and decision.date_format is None
        assert decision.choices == ("%d/%m/%Y", "%m/%d/%Y")
        assert extract.detected()["columns"]["occurred_at"]["needs_decision"] == ["%d/%m/%Y", "%m/%d/%Y"]
    with read_extract(fixture("transactions_ambiguous_dates.csv"), options={"date_format": "%d/%m/%Y"}) as extract:
        assert extract.columns["occurred_at"].date.date_format == "%d/%m/%Y"


def test_every_detected_choice_can_be_overridden():
    options = {"encoding": "cp1251", "delimiter": ";", "decimal": ".", "date_formats": {"Дата покупки": "iso"}}
    with read_extract(fixture("crm_transactions_cp1251.csv"), options=options) as extract:
        assert extract.decimal.reason == "override" and extract.decimal.decimal == "."
        assert extract.columns["Дата покупки"].date.date_format == "%Y-%m-%d"
    with read_extract(fixture("crm_transactions_cp1251.csv"), options={"delimiter": ","}) as extract:
        assert len(extract.headers) == 1  # the analyst's word wins, even when it is wrong


def test_a_decimal_that_only_the_delimiter_can_decide_is_reported():
    with read_extract(fixture("transactions_decimal_ambiguous.csv")) as extract:
        assert (extract.decimal.decimal, extract.decimal.reason) == (",", "delimiter")
        assert [i.code for i in extract.issues] == ["decimal_guessed"]


# --- values: golden readings -------------------------------------------------------------------

@pytest.mark.parametrize("text, decimal, expected", [
    ("1234", ".", 1234.0), ("-12.5", ".", -12.5), ("1,234.50", ".", 1234.5), ("1 234.5", ".", 1234.5),
    ("1e3", ".", 1000.0), ("12,5", ".", None), ("1,23", ".", None), ("abc", ".", None),
    ("1 234,50", ",", 1234.5), ("1\u00a0234,5", ",", 1234.5), ("1\u202f234", ",", 1234.0), ("1.234,5", ",", 1234.5),
    ("\u221212,5", ",", -12.5), ("0,5", ",", 0.5), ("12.5", ",", None), ("1 23,4", ",", None),
])
def test_numbers_read_with_the_decimal_separator(text, decimal, expected):
    sql = f"SELECT {number_sql('v', decimal)} FROM (SELECT ? AS v)"
    assert duckdb.execute(sql, [text]).fetchall()[0][0] == expected


@pytest.mark.parametrize("text, date_format, expected", [
    ("31.12.2024", "%d.%m.%Y", datetime(2024, 12, 31)),
    ("1.2.2024 9:05", "%d.%m.%Y", datetime(2024, 2, 1, 9, 5)),
    ("31.12.2024 23:59:58", "%d.%m.%Y", datetime(2024, 12, 31, 23, 59, 58)),
    ("31.12.24", "%d.%m.%y", datetime(2024, 12, 31)),
    ("12/31/2024", "%m/%d/%Y", datetime(2024, 12, 31)),
    ("12/31/2024 1:05 PM", "%m/%d/%Y", datetime(2024, 12, 31, 13, 5)),
    ("03/04/2024", "%d/%m/%Y", datetime(2024, 4, 3)),
    ("2024-12-31", "%Y-%m-%d", datetime(2024, 12, 31)),
    ("2024-12-31T10:00:00.5", "%Y-%m-%d", datetime(2024, 12, 31, 10, 0, 0, 500000)),
    ("20241231", "%Y%m%d", datetime(2024, 12, 31)),
    ("45657", "excel", datetime(2024, 12, 31)),
    ("45657.25", "excel", datetime(2024, 12, 31, 6)),
    ("31-12-2024", "%d-%m-%Y", datetime(2024, 12, 31)),
    ("31.02.2024", "%d.%m.%Y", None),
    ("2024123", "%Y%m%d", None),
    ("31.12.24", "%d.%m.%Y", None),  # a two-digit year is not year 24
    ("2024/12/31", "%Y/%m/%d", datetime(2024, 12, 31)),  # the analyst's own strftime format
])
def test_dates_read_with_the_column_format(text, date_format, expected):
    params = Params()
    sql = f"SELECT {date_sql('v', date_format, params)} FROM (SELECT $text AS v)"
    assert duckdb.execute(sql, {**params.values, "text": text}).fetchall()[0][0] == expected


# --- files that are refused --------------------------------------------------------------------

@pytest.mark.parametrize("name, code", [
    ("actually_xlsx.csv", "extension_mismatch"),
    ("actually_csv.xlsx", "extension_mismatch"),
    ("empty.csv", "empty_file"),
    ("header_only.csv", "header_only"),
])
def test_refused_fixtures(name, code):
    assert refused_code(fixture(name)) == code


def test_mismatch_message_says_what_the_content_is():
    with pytest.raises(ExtractRefused) as refused:
        read_extract(fixture("actually_xlsx.csv"))
    assert refused.value.issue.message("en") == (
        "The file's name ends in .csv but its content is an Excel workbook (XLSX); re-export it or fix the name.")
    assert "книга Excel (XLSX)" in refused.value.issue.message("ru")


def test_other_types_are_refused_by_name(tmp_path):
    for name, code in (("data.json", "unsupported_extension"), ("old.xls", "legacy_excel"),
                       ("macros.xlsm", "xlsx_macros")):
        assert refused_code(write_csv(tmp_path / name, "a,b\n1,2\n")) == code
    pdf = tmp_path / "report.csv"
    pdf.write_bytes(b"%PDF-1.7\n" + bytes(range(256)))
    assert refused_code(pdf) == "extension_mismatch"


def test_size_limit_has_a_clear_message():
    with pytest.raises(ExtractRefused) as refused:
        read_extract(fixture("transactions_no_id.csv"), limits=Limits(max_bytes=100))
    assert refused.value.issue.code == "file_too_large"
    assert refused.value.issue.message("en").startswith("The file is 187 bytes; the limit is 100 bytes.")
    assert refused.value.issue.message("ru").startswith("Размер файла 187 байт при лимите 100 байт.")


def test_decompression_bomb_workbook_is_refused_before_parsing(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    shutil.copy(fixture("surveys.xlsx"), bomb)
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet9.xml", b"<x>" + b" " * 20_000_000 + b"</x>")  # 20 MB of spaces
    with pytest.raises(ExtractRefused) as refused:
        read_extract(bomb)
    assert refused.value.issue.code == "xlsx_bomb"
    assert "decompression bomb" in refused.value.issue.message("en")
    assert refused_code(fixture("surveys.xlsx"), limits=Limits(max_unpacked_bytes=1000)) == "xlsx_bomb"


def test_parquet_that_unpacks_beyond_the_limit_is_refused():
    assert refused_code(fixture("transactions.parquet"), limits=Limits(max_unpacked_bytes=100)) == "parquet_too_large"


def test_corrupt_files_are_refused_in_our_words(tmp_path):
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1" + b"\x00" * 100 + b"PAR1")
    assert refused_code(broken) == "parquet_damaged"


def test_macro_workbook_is_refused(tmp_path):
    macros = tmp_path / "macros.xlsx"
    shutil.copy(fixture("surveys.xlsx"), macros)
    with zipfile.ZipFile(macros, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 fake VBA project")
    with pytest.raises(ExtractRefused) as refused:
        read_extract(macros)
    assert refused.value.issue.code == "xlsx_macros" and "xl/vbaProject.bin" in refused.value.issue.message("en")


def test_a_zip_that_is_not_a_workbook_is_a_mismatch(tmp_path):
    archive_path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr("data.csv", "a,b\n1,2\n")
    assert refused_code(archive_path) == "extension_mismatch"
