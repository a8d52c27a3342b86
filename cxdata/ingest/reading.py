"""Reading an extract (CSV/TSV/TXT, XLSX, Parquet) into text columns, and detecting how to read them.

Every cell is kept as text at this stage (an Arrow table of strings, one column per header plus
``__row``, the row number a person sees); the canonical types come later, in validation, from
the detected or chosen formats. Text files are parsed by Arrow's multithreaded CSV reader (quoted
fields may hold line breaks); workbooks by openpyxl in read-only mode, first sheet unless the
preset names one (formulas are never evaluated: their saved values are read).

Fully blank rows are ignored and not counted. A row with more or fewer fields than the header is
an error (``malformed_row``), reported with its row number.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cxdata.i18n import format_number
import cxdata.ingest.sniffing as sniffing
from cxdata.ingest.detection import (
    DateDecision,
    DecimalDecision,
    collect_number_evidence,
    decide_date_format,
    decide_decimal,
)
from cxdata.ingest.errors import ExtractRefused
from cxdata.ingest.messages import ERROR, ROW_ISSUE_LIMIT, WARNING, Issue, issue, stable_header, unnamed_header
from cxdata.ingest.preset import Limits, MappingPreset, as_preset
from cxdata.ingest.read_errors import describe_read_error

ROW = "__row"
# Kinds of columns and the decimal separator are judged on this many rows spread over the file;
# date formats are decided on every value (the sample only says which formats to try).
SAMPLE_ROWS = 50_000
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class FileInfo:
    name: str
    size_bytes: int
    sha256: str
    format: str  # csv | tsv | txt | xlsx | parquet


@dataclass(frozen=True)
class ColumnProfile:
    """What one column of the file looks like. ``kind``: empty, number, date or text."""

    header: str
    source: str  # the column's name in the workspace: c0, c1, ... (never a header in SQL text)
    kind: str
    non_empty: int
    missing_codes: int = 0
    date: DateDecision | None = None


@dataclass
class _Read:
    """What a format reader hands over: headers, text cells (``c0``, ``c1``, ..., ``__row``), issues."""

    headers: list[str]
    table: pa.Table
    issues: list[Issue] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    malformed_rows: int = 0  # rows refused by the parser (wrong number of fields): not in ``table``


@dataclass
class Extract:
    """A read file: its text cells in a DuckDB workspace (table ``clean``: trimmed, blanks and
    declared missing codes as NULL), what was detected, and the issues found while reading.
    Close it (or use ``with``) to free the workspace."""

    file: FileInfo
    headers: tuple[str, ...]
    columns: dict[str, ColumnProfile]
    decimal: DecimalDecision
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    issues: list[Issue]
    options: MappingPreset
    workspace: duckdb.DuckDBPyConnection
    rows_read: int  # data rows, malformed ones included (blank rows are not rows)
    malformed_rows: int = 0
    _dates: dict[tuple[str, bool], DateDecision] = field(default_factory=dict, repr=False)

    def date_decision(self, header: str, *, include_numeric: bool) -> DateDecision:
        """The column's date format (cached); numeric shapes (``%Y%m%d``, Excel serials) only when asked."""
        profile = self.columns[header]
        if profile.date is not None and (profile.date.overridden or not include_numeric or profile.kind == "date"):
            return profile.date
        key = (header, include_numeric)
        if key not in self._dates:
            self._dates[key] = decide_date_format(
                self.workspace, "clean", profile.source, include_numeric=include_numeric,
                override=_date_override(self.options, header), sample="clean_sample")
        return self._dates[key]

    def detected(self) -> dict:
        """Every detected (or chosen) reading option, JSON-ready."""
        return {
            "format": self.file.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "decimal": self.decimal.decimal,
            "decimal_decided_by": self.decimal.reason,
            "thousands_separators": [_separator_name(s) for s in self.decimal.thousands],
            "columns": {
                p.header: {"kind": p.kind, "non_empty": p.non_empty,
                           **({"date_format": p.date.date_format} if p.date and p.date.date_format else {}),
                           **({"needs_decision": list(p.date.choices)} if p.date and p.date.needs_decision else {}),
                           **({"missing_codes": p.missing_codes} if p.missing_codes else {})}
                for p in self.columns.values()
            },
        }

    def close(self) -> None:
        self.workspace.close()

    def __enter__(self) -> "Extract":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_extract(path, *, options: MappingPreset | dict | None = None, limits: Limits = Limits(),
                 progress: Progress | None = None) -> Extract:
    """Read and profile a file. Raises ExtractRefused (with an Issue) for a file that cannot be
    taken at all, FileNotFoundError for a missing one, PresetError for bad options."""
    path, options = Path(path), as_preset(options)
    report = progress or (lambda stage, fraction: None)
    report("reading", 0.0)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    kind = sniffing.check_file(path, limits)
    scan = sniffing.scan_file(path, check_utf8=kind == "text" and not options.encoding)
    extension = path.suffix.lower().lstrip(".")
    if kind == "text":
        if scan.longest_line_bytes > limits.max_line_bytes:
            raise ExtractRefused(issue("line_too_long", ERROR, size=sniffing.size_text(scan.longest_line_bytes),
                                       limit=sniffing.size_text(limits.max_line_bytes)))
        with open(path, "rb") as handle:  # the head holds the whole header line (no longer than the limit)
            head = handle.read(64 * 1024)
            if b"\n" not in head:
                head += handle.read(limits.max_line_bytes)
        read = _read_text(path, options, head, scan, extension, limits)
    elif kind == "xlsx":
        read = _read_xlsx(path, options, limits)
    else:
        read = _read_parquet(path, limits)
    _check_cell_sizes(read.table, limits)
    headers, renamed = _unique_headers(read.headers)
    options = _named_as_read(options, headers)
    issues = read.issues + renamed
    report("detecting", 0.25)
    clean, missing = _clean(read.table, len(headers), options.missing_values)
    read.table = None  # the raw cells are not needed any more: free them before detection
    if clean.num_rows == 0 and not read.malformed_rows:
        raise ExtractRefused(issue("header_only", ERROR))
    workspace = duckdb.connect()
    try:
        workspace.execute("SET enable_progress_bar = false")
        workspace.register("clean", clean)
        workspace.register("clean_sample", _sample(clean))
        sources = [f"c{i}" for i in range(len(headers))]
        evidence = collect_number_evidence(workspace, "clean_sample", sources)
        decimal = decide_decimal(evidence, read.delimiter, options.decimal)
        issues += _decimal_issues(decimal)
        columns = {}
        for header, source, count in zip(headers, sources, missing):
            found = evidence[source]
            override = _date_override(options, header)
            date = None
            if override or (found.total and found.date_shaped >= 0.5 * found.total):
                date = decide_date_format(workspace, "clean", source, include_numeric=False, override=override,
                                          sample="clean_sample")
            non_empty = clean.num_rows - clean.column(source).null_count
            columns[header] = ColumnProfile(header, source, _kind(found, decimal.decimal, date), non_empty, count, date)
    except BaseException:
        workspace.close()
        raise
    info = FileInfo(path.name, path.stat().st_size, scan.sha256, extension if kind == "text" else kind)
    return Extract(info, tuple(headers), columns, decimal, read.encoding, read.delimiter, read.sheet, issues, options,
                   workspace, clean.num_rows + read.malformed_rows, read.malformed_rows)


def _kind(found, decimal: str, date: DateDecision | None) -> str:
    if not found.total:
        return "empty"
    if date is not None and (date.needs_decision or (date.date_format and date.matched >= 0.5 * date.total)):
        return "date"
    if found.valid[decimal] == found.total:
        return "number"
    return "text"


def _date_override(options: MappingPreset, header: str) -> str | None:
    return options.date_formats.get(header) or options.date_format


# --- text files --------------------------------------------------------------------------------


def _read_text(path: Path, options: MappingPreset, head: bytes, scan: sniffing.FileScan, extension: str,
               limits: Limits) -> _Read:
    issues: list[Issue] = []
    if options.encoding:
        encoding, label = options.encoding, options.encoding.upper()
    else:
        encoding, label = sniffing.detect_encoding(head, scan.is_utf8)
    try:
        text = sniffing.decode_head(head, encoding)
    except UnicodeError as error:  # e.g. "utf-16" chosen for a file without a byte order mark
        raise ExtractRefused(describe_read_error("CSV", error, encoding=encoding)) from None
    truncated = path.stat().st_size > len(head)
    delimiter = options.delimiter or sniffing.detect_delimiter(text, extension, truncated=truncated)
    headers = sniffing.read_header(text, delimiter)
    if not any(headers):
        raise ExtractRefused(issue("empty_file", ERROR))
    # Before the parser: the header's width, and the physical lines as an upper bound of the rows.
    _check_width(len(headers), max(scan.line_count - 1, 0), limits)
    names = [f"c{i}" for i in range(len(headers))]
    header_lines = 1 + sum(h.count("\n") for h in headers)  # Arrow skips physical lines, not records
    invalid: list[str] = []

    def parse(use_threads: bool, handler) -> pa.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=header_lines, encoding=encoding,
                                           use_threads=use_threads),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )

    try:
        table = parse(True, lambda row: invalid.append(row.text) or "skip")
    except (pa.ArrowInvalid, UnicodeError) as error:
        raise ExtractRefused(describe_read_error("CSV", error, path=path, encoding=encoding)) from None
    rows = np.arange(1, table.num_rows + 1, dtype=np.int64)
    bad: list[tuple[int, int]] = []
    if invalid:
        # Only the single-threaded reader knows where a bad row was: read again to number rows exactly.
        table = parse(False, lambda row: bad.append((row.number - header_lines, row.actual_columns)) or "skip")
        skipped = np.array([number for number, _ in bad], dtype=np.int64)
        rows = np.setdiff1d(np.arange(1, table.num_rows + len(bad) + 1, dtype=np.int64), skipped)
        issues += [issue("malformed_row", ERROR, row=number, found=found, expected=len(names))
                   for number, found in bad[:ROW_ISSUE_LIMIT]]
        if len(bad) > ROW_ISSUE_LIMIT:
            issues.append(issue("more_rows", ERROR, count=len(bad) - ROW_ISSUE_LIMIT))
    return _Read(headers, table.append_column(ROW, pa.array(rows)), issues, label, delimiter, malformed_rows=len(bad))


# --- workbooks ---------------------------------------------------------------------------------


def _read_xlsx(path: Path, options: MappingPreset, limits: Limits) -> _Read:
    import openpyxl  # only needed for workbooks

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - any parser failure means "not a readable workbook"
        raise ExtractRefused(describe_read_error("XLSX", error)) from None
    limits = dataclasses.replace(limits, max_cells=min(limits.max_cells, limits.max_workbook_cells))
    header, header_row, number = None, 0, 0
    try:
        sheet = _pick_sheet(workbook, options.sheet)
        # The sheet's declared size ("A1:XFD1048576") would pad every row to it, and add empty rows
        # up to it: billions of cells from a few bytes. Rows are read as wide as their own cells.
        sheet.reset_dimensions()
        cells, row_numbers, cell_count, chunks = [], [], 0, []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            texts = _trim_trailing_empty([_cell_text(v) for v in values])
            if len(texts) > limits.max_columns:  # checked on every row, before it is kept
                _check_width(len(texts), 0, limits)
            if header is None:
                if any(t.strip() for t in texts):
                    header, header_row = [t.strip() for t in texts], number
                continue
            if any(t.strip() for t in texts):
                cells.append(texts)
                row_numbers.append(number - header_row)
                cell_count += max(len(texts), len(header))
                if cell_count > limits.max_cells:
                    _check_width(len(header), cell_count // max(len(header), 1), limits)
                if len(cells) == _XLSX_CHUNK_ROWS:  # Python strings cost ~10x Arrow's: convert as we go
                    chunks.append(_text_columns(cells))
                    cells = []
        chunks.append(_text_columns(cells))
        title = sheet.title
    except ExtractRefused:
        raise
    except Exception as error:  # noqa: BLE001 - a sheet's XML that the parser refuses midway
        row = number + 1 - header_row if header is not None else None  # the row being read when it failed
        raise ExtractRefused(describe_read_error("XLSX", error, row=row)) from None
    finally:
        workbook.close()
    if header is None:
        raise ExtractRefused(issue("empty_file", ERROR))
    # Rows end at their last value (``_trim_trailing_empty``), so no column is wider than the data.
    width = max([len(header)] + [len(chunk) for chunk in chunks])
    header = (header + [""] * width)[:width]
    columns = {f"c{i}": pa.chunked_array([chunk[i] if i < len(chunk) else _blank(rows) for chunk, rows in
                                          zip(chunks, _chunk_lengths(chunks, len(row_numbers)))], pa.string())
               for i in range(width)}
    columns[ROW] = pa.array(row_numbers, pa.int64())
    return _Read(header, pa.table(columns), sheet=title)


_XLSX_CHUNK_ROWS = 50_000


def _text_columns(rows: list[list[str]]) -> list[pa.Array]:
    """Rows of texts as Arrow string columns, as wide as the widest row (shorter rows padded with "")."""
    width = max((len(r) for r in rows), default=0)
    return [pa.array([(r[i] if i < len(r) else "") for r in rows], pa.string()) for i in range(width)]


def _chunk_lengths(chunks: list[list[pa.Array]], total: int) -> list[int]:
    """Rows per chunk: every chunk holds ``_XLSX_CHUNK_ROWS`` rows but the last."""
    return [_XLSX_CHUNK_ROWS] * (len(chunks) - 1) + [total - _XLSX_CHUNK_ROWS * (len(chunks) - 1)]


def _blank(rows: int) -> pa.Array:
    return pa.array([""] * rows, pa.string())


def _trim_trailing_empty(texts: list[str]) -> list[str]:
    """A row without the empty cells after its last value (formatting stretches rows to the sheet's width)."""
    end = len(texts)
    while end and not texts[end - 1].strip():
        end -= 1
    return texts[:end]


def _pick_sheet(workbook, wanted):
    if wanted is None:
        return workbook.worksheets[0]
    if isinstance(wanted, int) and 1 <= wanted <= len(workbook.worksheets):
        return workbook.worksheets[wanted - 1]
    if isinstance(wanted, str) and wanted in workbook.sheetnames:
        return workbook[wanted]
    raise ExtractRefused(issue("sheet_not_found", ERROR, sheet=wanted, sheets=", ".join(workbook.sheetnames)))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


# --- parquet -----------------------------------------------------------------------------------


def _read_parquet(path: Path, limits: Limits) -> _Read:
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_metadata(path)
        # Like a zip bomb: a small file whose column chunks unpack to gigabytes. The footer says.
        # Its data is read whole, like a text file's: it may unpack to no more than a text file may hold.
        unpacked = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
        limit = min(limits.max_unpacked_bytes, limits.max_bytes)
        if unpacked > limit:
            raise ExtractRefused(issue("parquet_too_large", ERROR, unpacked=sniffing.size_text(unpacked),
                                       limit=sniffing.size_text(limit)))
        _check_width(metadata.num_columns, metadata.num_rows, limits)
        source = pq.read_table(path)
    except ExtractRefused:
        raise
    except Exception as error:  # noqa: BLE001 - a corrupt file of any kind
        raise ExtractRefused(describe_read_error("Parquet", error)) from None
    columns = {f"c{i}": _as_text(source.column(i)) for i in range(source.num_columns)}
    columns[ROW] = pa.array(np.arange(1, source.num_rows + 1, dtype=np.int64))
    return _Read(list(source.column_names), pa.table(columns))


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    # A time-zone-aware timestamp becomes ISO text with its offset ("… 13:00:00.000000+0300"), which
    # validation converts to the workspace's time zone (cxdata.ingest.detection.date_sql).
    try:
        text = column.cast(pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        values = [None if v is None else json.dumps(v, default=str) for v in column.to_pylist()]  # nested types
        text = pa.chunked_array([pa.array(values, pa.string())])
    return pc.fill_null(text, "")


# --- limits ------------------------------------------------------------------------------------


def _check_width(columns: int, rows: int, limits: Limits) -> None:
    """ExtractRefused when the file is wider, or holds more values, than the limits allow."""
    if columns > limits.max_columns:
        raise ExtractRefused(issue("too_many_columns", ERROR, columns=_count(columns),
                                   limit=_count(limits.max_columns)))
    if columns * rows > limits.max_cells:
        raise ExtractRefused(issue("too_many_cells", ERROR, row_count=_count(rows), column_count=_count(columns),
                                   cells=_count(columns * rows), limit=_count(limits.max_cells)))


def _check_cell_sizes(table: pa.Table, limits: Limits) -> None:
    for i in range(table.num_columns - 1):  # the last column is the row number
        longest = pc.max(pc.utf8_length(table.column(i))).as_py() or 0
        if longest > limits.max_cell_chars:
            raise ExtractRefused(issue("cell_too_long", ERROR, length=_count(longest),
                                       limit=_count(limits.max_cell_chars)))


def _count(number: int) -> dict[str, str]:
    return {lang: format_number(number, lang) for lang in ("en", "ru")}


# --- the workspace -----------------------------------------------------------------------------


def _clean(table: pa.Table, width: int, missing_values) -> tuple[pa.Table, list[int]]:
    """Trimmed text with NULL for blanks and declared missing codes (case-insensitive); fully blank
    rows dropped. Returns the table and the number of missing codes found per column."""
    codes = pa.array(sorted({str(v).strip().lower() for v in missing_values}), pa.string())
    columns, blank_row, code_masks = {}, None, []
    for i in range(width):
        text = pc.utf8_trim_whitespace(table.column(f"c{i}"))
        is_blank = pc.equal(text, "")
        is_code = pc.is_in(pc.utf8_lower(text), value_set=codes) if len(codes) else None
        code_masks.append(is_code)
        columns[f"c{i}"] = pc.if_else(pc.or_(is_blank, is_code) if is_code is not None else is_blank, None, text)
        blank_row = is_blank if blank_row is None else pc.and_(blank_row, is_blank)
    columns[ROW] = table.column(ROW)
    keep = pc.invert(blank_row) if blank_row is not None else pa.array([True] * table.num_rows)
    clean = pa.table(columns).filter(keep)
    found = [0 if mask is None else pc.sum(pc.filter(mask, keep)).as_py() or 0 for mask in code_masks]
    return clean, found


def _sample(clean: pa.Table) -> pa.Table:
    """Rows spread evenly over the file (deterministic): enough to see how values are written."""
    if clean.num_rows <= SAMPLE_ROWS:
        return clean
    return clean.take(np.linspace(0, clean.num_rows - 1, SAMPLE_ROWS).astype(np.int64))


def _unique_headers(headers: list[str]) -> tuple[list[str], list[Issue]]:
    result, issues, seen = [], [], set()
    for i, header in enumerate(headers):
        name = header.strip() or unnamed_header(i + 1)
        if name in seen:
            renamed, k = name, 2
            while renamed in seen:
                renamed, k = f"{name} ({k})", k + 1
            issues.append(issue("duplicate_header", WARNING, column=name, renamed=renamed))
            name = renamed
        seen.add(name)
        result.append(name)
    return result, issues


def _named_as_read(options: MappingPreset, headers: list[str]) -> MappingPreset:
    """``options`` with every column it names by header named as the file is read: a column without a
    header is 'column 3' whichever language the preset was written in ('столбец 3' too, unless the
    file has a header of that very name)."""
    present = set(headers)

    def rename(entries: dict) -> dict:
        return {(header if header in present else stable_header(header)): value for header, value in entries.items()}

    return dataclasses.replace(options, columns=rename(options.columns), scales=rename(options.scales),
                               date_formats=rename(options.date_formats))


def _decimal_issues(decision: DecimalDecision) -> list[Issue]:
    if decision.reason == "delimiter":
        reason = {"en": "the delimiter is \";\"" if decision.decimal == "," else "the delimiter is not \";\"",
                  "ru": "разделитель полей \";\"" if decision.decimal == "," else "разделитель полей не \";\""}
        return [issue("decimal_guessed", WARNING, value=decision.example, decimal=decision.decimal, reason=reason)]
    if decision.reason == "majority":
        return [issue("decimal_mixed", WARNING, decimal=decision.decimal, comma_count=decision.counts[","],
                      dot_count=decision.counts["."])]
    return []


def _separator_name(separator: str) -> str:
    return {" ": "space", "\u00a0": "no-break space", "\u202f": "narrow no-break space"}.get(separator, separator)
