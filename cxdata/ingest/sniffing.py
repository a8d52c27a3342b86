"""First look at a file, before any parser touches it: size, what the bytes really are, and for
text files the encoding and the delimiter.

A file is refused (``ExtractRefused``) when it is larger than the limit, empty, of an unsupported
type, or when its content is not what its extension says: an XLSX workbook renamed ``.csv``, a CSV
renamed ``.xlsx``, an old ``.xls`` or a PDF. XLSX files are checked as zip archives before
openpyxl parses them: macros (``vbaProject.bin``) are refused, and so is a workbook whose entries
would unpack to more than ``Limits.max_unpacked_bytes`` or at a suspicious compression ratio.
The sizes in the zip directory can be trusted for this: Python's zipfile stops at the declared
size and fails the CRC check if an entry tries to unpack to more.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cxdata.ingest.errors import ExtractRefused
from cxdata.ingest.messages import ERROR, issue
from cxdata.ingest.preset import DELIMITERS, Limits
from cxdata.ingest.read_errors import describe_read_error

FORMAT_OF_EXTENSION = {"csv": "text", "tsv": "text", "txt": "text", "xlsx": "xlsx", "parquet": "parquet",
                       "pq": "parquet"}
_MACRO_EXTENSIONS = {"xlsm", "xltm", "xlam"}
_LEGACY_EXTENSIONS = {"xls", "xlt"}
_RATIO_CHECK_ABOVE_BYTES = 1024 * 1024  # tiny workbooks may have odd ratios and are harmless
_HEAD_BYTES = 64 * 1024
_CHUNK_BYTES = 1024 * 1024

_KINDS = {
    "xlsx": {"en": "an Excel workbook (XLSX)", "ru": "книга Excel (XLSX)"},
    "zip": {"en": "a zip archive", "ru": "zip-архив"},
    "parquet": {"en": "a Parquet file", "ru": "файл Parquet"},
    "ole": {"en": "an old Office file (.xls/.doc)", "ru": "старый файл Office (.xls/.doc)"},
    "pdf": {"en": "a PDF document", "ru": "документ PDF"},
    "gzip": {"en": "a gzip archive", "ru": "архив gzip"},
    "text": {"en": "text (CSV)", "ru": "текст (CSV)"},
    "binary": {"en": "binary data", "ru": "двоичные данные"},
}
_MAGIC = ((b"PK\x03\x04", "zip"), (b"PAR1", "parquet"), (b"\xd0\xcf\x11\xe0", "ole"), (b"%PDF", "pdf"),
          (b"\x1f\x8b", "gzip"))


def check_file(path: Path, limits: Limits) -> str:
    """The format to read the file as (``text``, ``xlsx`` or ``parquet``), or ExtractRefused."""
    extension = path.suffix.lower().lstrip(".")
    if extension in _MACRO_EXTENSIONS:
        _refuse("xlsx_macros", entry=f".{extension}")
    if extension in _LEGACY_EXTENSIONS:
        _refuse("legacy_excel")
    if extension not in FORMAT_OF_EXTENSION:
        _refuse("unsupported_extension", extension=extension or "?")
    size = path.stat().st_size
    if size > limits.max_bytes:
        _refuse("file_too_large", size=size_text(size), limit=size_text(limits.max_bytes))
    if size == 0:
        _refuse("empty_file")
    with open(path, "rb") as handle:
        head = handle.read(_HEAD_BYTES)
        handle.seek(max(size - 4, 0))
        tail = handle.read(4)
    expected = FORMAT_OF_EXTENSION[extension]
    actual = content_kind(head)
    if actual == "zip" and expected == "xlsx":
        actual = inspect_workbook(path, limits)
    elif actual == "zip":
        actual = "xlsx" if _is_workbook(path) else "zip"
    if actual == "parquet" and tail != b"PAR1":
        actual = "binary"
    if actual == "ole" and expected == "xlsx" and _is_encrypted_workbook(path):
        _refuse("xlsx_encrypted")
    if actual != expected:
        _refuse("extension_mismatch", extension=extension, actual=_KINDS[actual])
    if expected == "text" and not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        _refuse("empty_file")
    return expected


def content_kind(head: bytes) -> str:
    """What the first bytes say the file is."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(head):
        return "text"
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    return "binary" if controls > len(head) // 100 else "text"


def inspect_workbook(path: Path, limits: Limits) -> str:
    """``xlsx`` for a safe workbook, ``zip`` for another archive; ExtractRefused if hostile."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
                return "zip"
            macro = next((e.filename for e in entries if e.filename.lower().endswith("vbaproject.bin")), None)
            content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
            if macro or b"macroEnabled" in content_types:
                _refuse("xlsx_macros", entry=macro or "macroEnabled")
            # Office never writes a DTD; one that declares entities is the "billion laughs" bomb.
            for entry in entries:
                if entry.filename.endswith((".xml", ".rels")) and _declares_dtd(archive, entry):
                    _refuse("xlsx_dtd", entry=entry.filename)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:  # a cut or damaged archive
        raise ExtractRefused(describe_read_error("XLSX", error)) from None
    unpacked = sum(entry.file_size for entry in entries)
    packed = max(sum(entry.compress_size for entry in entries), 1)
    ratio = unpacked / packed
    too_big = unpacked > limits.max_unpacked_bytes
    if too_big or (unpacked > _RATIO_CHECK_ABOVE_BYTES and ratio > limits.max_compression_ratio):
        _refuse("xlsx_bomb", unpacked=size_text(unpacked), ratio=round(ratio),
                limit=size_text(limits.max_unpacked_bytes), limit_ratio=round(limits.max_compression_ratio))
    return "xlsx"


def _declares_dtd(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bool:
    with archive.open(entry) as handle:
        start = handle.read(4096)
    return b"<!DOCTYPE" in start or b"<!ENTITY" in start


def _is_encrypted_workbook(path: Path) -> bool:
    """A password-protected .xlsx: Office wraps it in an OLE container with an ``EncryptedPackage`` stream."""
    with open(path, "rb") as handle:
        return "EncryptedPackage".encode("utf-16-le") in handle.read()


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


@dataclass(frozen=True)
class FileScan:
    """What one pass over the bytes tells: the hash, whether it is all UTF-8, and how its lines run
    (physical lines: a quoted value with line breaks counts as several)."""

    sha256: str
    is_utf8: bool
    line_count: int  # newlines, plus one for a last line without one
    longest_line_bytes: int


def scan_file(path: Path, *, check_utf8: bool = False) -> FileScan:
    """Hash, UTF-8 check, line count and longest line in one pass, memory bounded by the chunk."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = check_utf8
    lines, longest, line_start, offset = 0, 0, 0, 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
            if is_utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
            ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10) + offset
            if len(ends):
                starts = np.concatenate(([line_start], ends[:-1] + 1))
                longest = max(longest, int((ends - starts).max()))
                line_start, lines = int(ends[-1]) + 1, lines + len(ends)
            offset += len(chunk)
    if offset > line_start:  # a last line without a newline
        lines, longest = lines + 1, max(longest, offset - line_start)
    if is_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    return FileScan(digest.hexdigest(), is_utf8, lines, longest)


def detect_encoding(head: bytes, whole_file_is_utf8: bool) -> tuple[str, str]:
    """(codec for the reader, label to show) for a text file; ExtractRefused when it is none of ours.

    BOMs decide first; UTF-16 without a BOM shows as zero bytes in every other position; then
    UTF-8 if the whole file decodes; else CP1251 if the non-ASCII letters form Cyrillic words
    (Latin-1 text read as CP1251 gives Cyrillic letters glued to Latin ones: 'cafй').
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", "UTF-8 BOM"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "UTF-16"
    if _utf16_without_bom(head):
        codec = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        return codec, "UTF-16"
    if whole_file_is_utf8:
        return "utf-8", "UTF-8"
    text = head.decode("cp1251", errors="replace")
    words = re.findall(r"[^\W\d_]+", text)
    cyrillic = sum(1 for w in words if re.fullmatch(r"[\u0400-\u04ff]+", w))
    glued = sum(1 for w in words if re.search(r"[\u0400-\u04ff]", w) and re.search(r"[A-Za-z]", w))
    if cyrillic and glued <= cyrillic // 10:
        return "cp1251", "CP1251"
    _refuse("unknown_encoding")


def decode_head(head: bytes, encoding: str) -> str:
    """The first part of the file as text (a character cut at the end is dropped)."""
    text = head.decode(encoding, errors="ignore")
    return text.lstrip("\ufeff")


def detect_delimiter(text: str, extension: str, *, truncated: bool = False) -> str:
    """The delimiter that splits the first records into the same number (> 1) of fields.

    Among candidates that do, the one giving the most fields wins; ``.tsv`` prefers a tab.
    A single-column file reads the same with any delimiter; a comma is reported.
    """
    records_by_delimiter = {d: _first_records(text, d, truncated=truncated) for d in DELIMITERS}
    consistent = {}
    for delimiter, records in records_by_delimiter.items():
        counts = {len(record) for record in records}
        if len(counts) == 1 and (width := counts.pop()) > 1:
            consistent[delimiter] = width
    if extension == "tsv" and "\t" in consistent:
        return "\t"
    if consistent:
        return max(consistent, key=lambda d: (consistent[d], -DELIMITERS.index(d)))
    header_widths = {d: len(records[0]) if records else 0 for d, records in records_by_delimiter.items()}
    best = max(header_widths, key=lambda d: (header_widths[d], -DELIMITERS.index(d)))
    return best if header_widths[best] > 1 else ","


def read_header(text: str, delimiter: str) -> list[str]:
    records = _first_records(text, delimiter, limit=1)
    return [field.strip() for field in records[0]] if records else []


def _first_records(text: str, delimiter: str, limit: int = 50, truncated: bool = False) -> list[list[str]]:
    """Up to ``limit`` non-empty records; when the text is a cut head, its last record may be cut too."""
    records = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if record:
                records.append(record)
            if len(records) > limit:
                return records[:limit]
    except csv.Error:
        pass
    return records[:-1] if truncated and len(records) > 1 else records


def _utf16_without_bom(head: bytes) -> bool:
    sample = head[:4096]
    if len(sample) < 4:
        return False
    even_zeros = sample[0::2].count(0) / (len(sample) / 2)
    odd_zeros = sample[1::2].count(0) / (len(sample) / 2)
    return max(even_zeros, odd_zeros) > 0.3 and min(even_zeros, odd_zeros) < 0.05


def size_text(size: float) -> dict[str, str]:
    """A size for a message, in both languages: '187 bytes', '12.5 KB', '250.3 MB'."""
    for limit, en, ru in ((1024 ** 3, "GB", "ГБ"), (1024 ** 2, "MB", "МБ"), (1024, "KB", "КБ")):
        if size >= limit:
            number = f"{size / limit:.1f}".rstrip("0").rstrip(".")
            return {"en": f"{number} {en}", "ru": f"{number.replace('.', ',')} {ru}"}
    return {"en": f"{int(size)} bytes", "ru": f"{int(size)} байт"}


def _refuse(code: str, **params) -> None:
    raise ExtractRefused(issue(code, ERROR, **params))
