"""Bounded resources for any input, and refusals in words (issue 18, items 5 and 6).

Every limit is checked before the heavy work and named in the message; detection and mapping
stay linear in the file's width; a refused input gives one line in the user's language, never a
traceback or a server path.
"""

from __future__ import annotations

import errno
import json
import re
import time
import tomllib
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxdata.ingest import (
    ExtractRefused,
    Limits,
    MappingPreset,
    PresetError,
    detection,
    read_extract,
)
from cxdata.ingest.errors import describe_failure
from cxdata.ingest.mapping import resolve_mapping
from tests.fixtures.ingest.support import (
    ROOT,
    cli_json,
    fixture,
    new_database,
    run_cli,
    write_csv,
)


def refusal(path, **options) -> ExtractRefused:
    with pytest.raises(ExtractRefused) as refused:
        read_extract(path, **options)
    return refused.value


def wide_csv(path, columns: int, rows: int = 2):
    header = ",".join(f"c{i}" for i in range(columns))
    body = "\n".join(",".join(str(r * i) for i in range(columns)) for r in range(rows))
    return write_csv(path, f"{header}\n{body}\n")


def test_a_file_of_10000_columns_is_refused_in_seconds_with_the_limit_named(tmp_path):
    path = wide_csv(tmp_path / "wide.csv", 10_000)  # ~80 KB; today's load grew to 23 GB
    started = time.monotonic()
    refused = refusal(path)
    assert time.monotonic() - started < 5
    assert refused.issue.code == "too_many_columns"
    assert refused.issue.message("en") == ("The file has 10,000 columns; the limit is 500. "
                                           "Export only the columns you need.")
    assert "10\u00a0000" in refused.issue.message("ru") and "500" in refused.issue.message("ru")


def test_number_evidence_is_collected_in_batches_so_work_grows_linearly_with_width(tmp_path, monkeypatch):
    """One statement over every column made DuckDB's memory grow with the square of the width
    (124 columns: 2.7 GB). Each statement now covers a fixed number of columns."""
    statements = []
    original = detection._number_evidence_batch

    def spy(con, source, columns):
        statements.append(len(columns))
        return original(con, source, columns)

    monkeypatch.setattr(detection, "_number_evidence_batch", spy)
    with read_extract(wide_csv(tmp_path / "wide.csv", 124)) as extract:
        assert len(extract.headers) == 124
        assert extract.columns["c5"].kind == "number"
    assert sum(statements) == 124 and max(statements) <= detection.EVIDENCE_BATCH_COLUMNS


def test_the_widest_file_within_the_limits_loads_with_bounded_memory(tmp_path):
    """500 columns (the limit) in a subprocess: peak memory far below 1 GB (it took 17 GB at 400)."""
    path = wide_csv(tmp_path / "wide.csv", Limits().max_columns, rows=200)
    script = ("import resource, sys; from cxdata.ingest import read_extract\n"
              f"with read_extract({str(path)!r}) as e: assert len(e.headers) == {Limits().max_columns}\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) < 1024  # MB


def test_too_many_values_are_refused_before_parsing(tmp_path):
    path = wide_csv(tmp_path / "cells.csv", 10, rows=200)
    refused = refusal(path, limits=Limits(max_cells=1_000))
    assert refused.issue.code == "too_many_cells"
    assert refused.issue.message("en").startswith("The file holds about 2,000 values (200 rows × 10 columns); "
                                                  "the limit is 1,000.")


def test_a_line_longer_than_the_limit_is_refused(tmp_path):
    path = write_csv(tmp_path / "long.csv", "a,b\n1," + "x" * 500 + "\n")
    refused = refusal(path, limits=Limits(max_line_bytes=100))
    assert refused.issue.code == "line_too_long"
    assert refused.issue.message("en").startswith("A line of the file is 502 bytes long; the limit is 100 bytes.")


def test_a_value_longer_than_the_limit_is_refused(tmp_path):
    path = write_csv(tmp_path / "cell.csv", "a,b\n1," + "x" * 50 + "\n")
    refused = refusal(path, limits=Limits(max_cell_chars=20))
    assert refused.issue.code == "cell_too_long"
    assert "50 characters; the limit is 20" in refused.issue.message("en")


def test_a_workbook_wider_than_the_limit_is_refused_while_reading_rows(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append([f"h{i}" for i in range(30)])
    workbook.active.append(list(range(30)))
    workbook.save(tmp_path / "wide.xlsx")
    refused = refusal(tmp_path / "wide.xlsx", limits=Limits(max_columns=20))
    assert refused.issue.code == "too_many_columns" and "30 columns; the limit is 20" in refused.issue.message("en")


def test_a_parquet_file_wider_than_the_limit_is_refused_from_its_footer(tmp_path):
    pq.write_table(pa.table({f"c{i}": [1, 2] for i in range(30)}), tmp_path / "wide.parquet")
    refused = refusal(tmp_path / "wide.parquet", limits=Limits(max_columns=20))
    assert refused.issue.code == "too_many_columns"


def test_a_workbook_with_billion_laughs_xml_is_refused_before_parsing(tmp_path):
    entities = '<!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)) + "]>"
    source, target = zipfile.ZipFile(fixture("surveys.xlsx")), tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                text = data.decode()
                body = text[text.index("?>") + 2:] if text.startswith("<?xml") else text
                data = ('<?xml version="1.0"?>' + entities + body.replace("<v>", "<v>&lol9;", 1)).encode()
            out.writestr(name, data)
    refused = refusal(target)
    assert refused.issue.code == "xlsx_dtd"
    assert "xl/worksheets/sheet1.xml" in refused.issue.message("en") and "billion laughs" in refused.issue.message("ru")


def test_the_server_upload_limit_matches_the_ingest_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == Limits().max_bytes


# --- presets -----------------------------------------------------------------------------------


def test_a_preset_of_200000_entries_is_refused_in_seconds(tmp_path):
    columns = {f"header {i}": "amount" for i in range(200_000)}  # ~4 MB: it held the upload lock 42 minutes
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"columns": columns}), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(PresetError) as refused:
        MappingPreset.from_file(path)
    assert time.monotonic() - started < 2
    assert refused.value.key == "preset_too_large" and "the limit is 256 KB" in refused.value.message("en")
    with pytest.raises(PresetError) as refused:
        MappingPreset.from_dict({"columns": dict(list(columns.items())[:5_000])})
    assert refused.value.message("ru") == "В пресете записей: 5000 при лимите 2000."


def test_resolve_mapping_is_linear_in_headers_and_preset_entries():
    headers = [f"header {i}" for i in range(20_000)]
    preset = {f"header {i}": None for i in range(0, 40_000, 2)}
    started = time.monotonic()
    mapping = resolve_mapping("transactions", headers, {**preset, "header 1": "amount"}, {})
    assert time.monotonic() - started < 1  # quadratic: ~10 s here, 42 minutes for 200,000 entries
    assert mapping == {"header 1": "amount"}


@pytest.mark.parametrize("content, english, russian", [
    ('{"columns": {"A": {"B": {"C": "amount"}}}}', '"columns" → "A" in the preset must be a plain text value',
     "«columns» → «A» в пресете должно быть простым значением"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply", "слишком глубоко вложен"),
    ('{"encoding": "klingon"}', 'The encoding "klingon" is unknown', "Кодировка «klingon» неизвестна"),
    ('{"encoding": "zlib_codec"}', 'The encoding "zlib_codec" is unknown', "Кодировка «zlib_codec» неизвестна"),
    ('{"date_format": "%"}', 'The date format "%" is not a valid format', "Формат даты «%» некорректен"),
    ('{"date_formats": {"Дата": "%Q"}}', 'The date format "%Q" is not a valid format', "Формат даты «%Q»"),
    ("{not json", "not valid JSON (line 1, column 2)", "не корректный JSON (строка 1, позиция 2)"),
])
def test_broken_presets_are_refused_in_words_in_both_languages(content, english, russian):
    with pytest.raises(PresetError) as refused:
        MappingPreset.from_json(content)
    assert english in refused.value.message("en") and russian in refused.value.message("ru")


# --- the command line --------------------------------------------------------------------------


@pytest.mark.parametrize("preset, expected", [
    ('{"columns": {"A": {"B": "amount"}}}', "«columns» → «A» в пресете должно быть простым значением"),
    ('{"date_format": "%"}', "Формат даты «%» некорректен"),
    ('{"encoding": "no-such-encoding"}', "Кодировка «no-such-encoding» неизвестна"),
])
def test_the_cli_refuses_a_broken_preset_in_one_russian_line_with_exit_2(tmp_path, preset, expected):
    db = new_database(tmp_path / "cx.duckdb")
    mapping = tmp_path / "preset.json"
    mapping.write_text(preset, encoding="utf-8")
    result = run_cli("load", "transactions", str(fixture("transactions.tsv")), "--db", str(db), "--mapping",
                     str(mapping), "--lang", "ru")
    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert expected in line and "Traceback" not in result.stderr


def test_the_cli_refuses_a_wide_file_with_exit_1_and_the_limit_in_russian(tmp_path):
    db = new_database(tmp_path / "cx.duckdb")
    result = run_cli("load", "transactions", str(wide_csv(tmp_path / "wide.csv", 10_000)), "--db", str(db),
                     "--dry-run", "--lang", "ru")
    assert result.returncode == 1, result.stderr
    report = cli_json(result)
    assert report["status"] == "rejected"
    assert report["issues"][0]["message"].startswith("В файле столбцов: 10\u00a0000 при лимите 500.")


def test_a_disk_filling_mid_load_is_one_line_without_the_server_path(tmp_path, monkeypatch, capsys):
    from cxdata.ingest import cli, publish

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/cx/data/.cx.duckdb.load-1234")

    monkeypatch.setattr(publish, "load_and_publish", disk_full)
    db = new_database(tmp_path / "cx.duckdb")
    assert cli.main(["load", "transactions", str(fixture("transactions.tsv")), "--db", str(db), "--lang", "ru"]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line == ("ошибка: На сервере закончилось место на диске; ничего не изменено. "
                    "Освободите место (или обратитесь к администратору) и повторите.")


def test_failures_on_the_server_are_described_without_paths():
    import duckdb

    error = duckdb.IOException('IO Error: Cannot open file "/srv/cx/data/cx.duckdb": Permission denied')
    assert "/srv" not in describe_failure(error, "en") and "permissions" in describe_failure(error, "en")
    other = describe_failure(RuntimeError("/srv/cx/secret"), "ru")
    assert "/srv" not in other and other.startswith("Загрузка не удалась на сервере; ничего не изменено.")
    assert "RuntimeError" not in other  # no class name on a Russian screen


def test_a_workbook_has_its_own_lower_cell_limit(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    for row in range(30):
        workbook.active.append([f"v{row}-{column}" for column in range(4)])
    workbook.save(tmp_path / "cells.xlsx")
    refused = refusal(tmp_path / "cells.xlsx", limits=Limits(max_cells=1_000, max_workbook_cells=50))
    assert refused.issue.code == "too_many_cells" and "the limit is 50" in refused.issue.message("en")
    with read_extract(tmp_path / "cells.xlsx", limits=Limits(max_workbook_cells=1_000)) as extract:
        assert extract.rows_read == 29  # the first row is the header


def test_a_parquet_file_may_unpack_to_no_more_than_a_text_file_may_hold(tmp_path):
    texts = [f"{i:04d}" + "x" * 1000 for i in range(1000)]  # ~1 MB unpacked, a few KB packed
    pq.write_table(pa.table({"text": texts}), tmp_path / "big.parquet", compression="zstd")
    refused = refusal(tmp_path / "big.parquet", limits=Limits(max_bytes=100_000))
    assert refused.issue.code == "parquet_too_large" and "limit 97.7 KB" in refused.issue.message("en")


def test_a_workbook_that_declares_the_whole_sheet_is_read_as_wide_as_its_cells(tmp_path):
    """A dimension of A1:XFD1048576 made openpyxl pad every row to 16,384 cells: 3,000 rows of two
    values became 49 million cells to look at (half a minute here; a million rows, hours)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["customer_id", "amount"])
    for row in range(3_000):
        workbook.active.append([f"C{row}", row])
    workbook.save(tmp_path / "plain.xlsx")
    source, target = zipfile.ZipFile(tmp_path / "plain.xlsx"), tmp_path / "declared.xlsx"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
                assert b"XFD1048576" in data
            out.writestr(name, data)
    started = time.monotonic()
    with read_extract(target) as extract:
        assert (extract.headers, extract.rows_read) == (("customer_id", "amount"), 3_000)
    assert time.monotonic() - started < 5


def test_a_missing_file_is_a_usage_error_in_the_chosen_language(tmp_path, capsys):
    from cxdata.ingest import cli

    assert cli.main(["load", "transactions", str(tmp_path / "нет.csv"), "--lang", "ru"]) == 2
    assert capsys.readouterr().err.strip() == f"ошибка: файл не найден: {tmp_path / 'нет.csv'}"
