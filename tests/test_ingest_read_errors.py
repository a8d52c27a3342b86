"""Broken files are refused in our own words: a Russian message holds no English from the parser
(Arrow, openpyxl, zipfile, codecs), says where when the parser knew, and what to do."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxdata.ingest.errors import ExtractRefused
from cxdata.ingest.reading import read_extract
from tests.fixtures.ingest.support import fixture, new_database

ROOT = Path(__file__).resolve().parents[1]
# Latin words a Russian message may hold: format and program names, the preset's own keys.
ALLOWED = {"csv", "xlsx", "parquet", "excel", "utf", "cp1251", "encoding", "snappy", "ascii"}


def latin_words(message: str, *allowed: str) -> list[str]:
    words = re.findall(r"[A-Za-z][A-Za-z0-9]+", message)
    allowed_words = ALLOWED | {w.lower() for text in allowed for w in re.findall(r"[A-Za-z0-9]+", text)}
    return [w for w in words if w.lower() not in allowed_words]


def ragged_csv(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("response_id,customer_id,nps_score\nR1,C001,9\nR2,C002,7,extra\n")
    return path, {}


def cp1251_read_as_utf8(tmp_path):
    path = tmp_path / "cyrillic.csv"
    path.write_bytes("response_id,customer_id,comment\nR1,C001,ok\nR2,C002,Привет\n".encode("cp1251"))
    return path, {"encoding": "utf-8"}


def utf16_without_bom(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes("response_id,customer_id\nR1,C001\n".encode("cp1251"))
    return path, {"encoding": "utf-16"}


def truncated_parquet(tmp_path):
    whole = tmp_path / "whole.parquet"
    pq.write_table(pa.table({"response_id": ["R1", "R2"], "nps_score": [9, 7]}), whole)
    data = whole.read_bytes()
    path = tmp_path / "cut.parquet"
    path.write_bytes(data[:4] + data[len(data) // 2:])  # the magic bytes at both ends, the middle lost
    return path, {}


def cut_workbook(tmp_path):
    path = tmp_path / "cut.xlsx"
    data = fixture("surveys.xlsx").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path, {}


def workbook_with_broken_xml(tmp_path):
    path = tmp_path / "broken_xml.xlsx"
    with zipfile.ZipFile(fixture("surveys.xlsx")) as source, zipfile.ZipFile(path, "w") as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            target.writestr(entry, data[: len(data) // 2] if entry.filename == "xl/worksheets/sheet1.xml" else data)
    return path, {}


def encrypted_workbook(tmp_path):
    path = tmp_path / "secret.xlsx"  # what Excel writes for a password: an OLE file with an EncryptedPackage stream
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le")
                     + b"\x00" * 512)
    return path, {}


def text_renamed_xlsx(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("response_id,customer_id\nR1,C001\n")
    return path, {}


def workbook_with_text_in_a_number_cell(tmp_path):
    path = tmp_path / "bad_number.xlsx"
    with zipfile.ZipFile(fixture("surveys.xlsx")) as source, zipfile.ZipFile(path, "w") as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "xl/worksheets/sheet1.xml":
                # the third sheet row (data row 2): its first number cell holds text
                row = re.search(rb'<row r="3".*?</row>', data, re.S).group(0)
                broken = re.sub(rb'(<c [^>]*?)(t="\w+")?(\s*/?>)<v>[^<]*</v>', rb'\1 t="n"\3<v>' + "н/д".encode() + rb'</v>',
                                row, count=1)
                data = data.replace(row, broken)
            target.writestr(entry, data)
    return path, {}


# (how to make the file, the code, a word the Russian message must hold: where, or what)
CASES = [
    (ragged_csv, "malformed_row", "4"),
    (cp1251_read_as_utf8, "text_not_in_encoding_at", "Строка 3"),
    (utf16_without_bom, "text_not_in_encoding", "UTF-16"),
    (truncated_parquet, "parquet_damaged", "повреждён"),
    (cut_workbook, "xlsx_damaged", "повреждена"),
    (workbook_with_broken_xml, "xlsx_damaged", "повреждена"),
    (encrypted_workbook, "xlsx_encrypted", "паролем"),
    (text_renamed_xlsx, "extension_mismatch", "текст"),
    (workbook_with_text_in_a_number_cell, "xlsx_bad_number_at", "Строка 2: в ячейке, сохранённой как число, записано н/д"),
]


def first_error(path, options):
    try:
        with read_extract(path, options=options) as extract:
            return next(i for i in extract.issues if i.is_error)
    except ExtractRefused as refused:
        return refused.issue


@pytest.mark.parametrize("make, code, where", CASES, ids=[case[0].__name__ for case in CASES])
def test_the_reading_api_refuses_in_our_words(tmp_path, make, code, where):
    path, options = make(tmp_path)
    found = first_error(path, options)
    assert found.code == code
    russian, english = found.message("ru"), found.message("en")
    assert where in russian
    assert latin_words(russian, path.name) == [], russian
    for library_word in ("Error", "invalid", "zip file", "codec", "footer", "literal", "token", "BOM"):
        assert library_word not in english


@pytest.mark.parametrize("make, code, where", CASES[1:5] + CASES[6:7], ids=["encoding", "utf16", "parquet",
                                                                             "cut_xlsx", "encrypted"])
def test_the_command_line_refuses_in_russian_with_exit_1(tmp_path, make, code, where):
    path, options = make(tmp_path)
    db = new_database(tmp_path / "cx.duckdb")
    argv = [sys.executable, "-m", "cxdata", "load", "surveys", str(path), "--db", str(db), "--lang", "ru"]
    if options:
        mapping = tmp_path / "mapping.json"
        mapping.write_text(json.dumps(options))
        argv += ["--mapping", str(mapping)]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and str(tmp_path) not in result.stdout.replace(str(path), "")
    issues = json.loads(result.stdout)["issues"]
    assert [i["code"] for i in issues] == [code]
    assert where in issues[0]["message"] and latin_words(issues[0]["message"], path.name) == []


def test_an_unknown_failure_gets_the_generic_translated_advice():
    from cxdata.ingest.read_errors import describe_read_error

    found = describe_read_error("CSV", ValueError("something no one foresaw"))
    assert found.code == "unreadable_file"
    assert found.message("ru") == ("Файл не удалось прочитать как CSV; сохраните его заново в программе, "
                                   "из которой он выгружен, и загрузите новую копию.")
    assert "foresaw" not in found.message("en")


def test_the_fixture_workbook_still_reads(tmp_path):
    copy = tmp_path / "surveys.xlsx"
    shutil.copy(fixture("surveys.xlsx"), copy)
    with read_extract(copy) as extract:
        assert not [i for i in extract.issues if i.is_error]
