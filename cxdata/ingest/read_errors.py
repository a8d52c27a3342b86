"""A parser's failure in our own words: the issue a person reads when a file cannot be read.

The libraries that read files (Arrow's CSV and Parquet readers, openpyxl, zipfile, Python's codecs)
explain their failures in English and in their own terms ("invalid UTF8 data", "Parquet magic
bytes not found", "File is not a zip file"). Those texts go to the server log; the person gets an
issue of ours, in their language: what is wrong, where when the library said so, what to do.
Anything we do not recognise becomes the generic ``unreadable_file`` ("save it again from the
source program").
"""

from __future__ import annotations

import logging
import re
import zipfile
import zlib
from pathlib import Path
from xml.etree.ElementTree import ParseError

from cxdata.ingest.messages import ERROR, Issue, issue

_LOGGER = logging.getLogger(__name__)
_NUMBER = re.compile(r"could not convert string to float: (.+)|invalid literal for int\(\) with base \d+: (.+)")


def describe_read_error(kind: str, error: BaseException, *, path: Path | None = None, encoding: str | None = None,
                        row: int | None = None) -> Issue:
    """The issue for ``error`` raised while reading a file as ``kind`` (``CSV``, ``XLSX``, ``Parquet``).

    ``path`` and ``encoding`` let a decoding failure name its line; ``row`` is the data row being
    read when the error came (a workbook's row under the header), if known.

    >>> describe_read_error("XLSX", zipfile.BadZipFile("File is not a zip file")).code
    'xlsx_damaged'
    >>> describe_read_error("Parquet", OSError("Parquet magic bytes not found in footer")).message("en")
    'The Parquet file is damaged or incomplete (cut off while copying?); export it again from the source program.'
    """
    text = _first_line(error)
    # For the operator (INFO: a command line prints nothing of it unless logging is configured).
    _LOGGER.info("%s file could not be read: %s: %s", kind, type(error).__name__, text)
    if kind == "CSV":
        if isinstance(error, UnicodeError) or "invalid utf8" in text.lower():
            label = (encoding or "UTF-8").upper()
            line = _first_undecodable_line(path, encoding or "utf-8") if path is not None else None
            if line is not None:
                return issue("text_not_in_encoding_at", ERROR, encoding=label, line=line)
            return issue("text_not_in_encoding", ERROR, encoding=label)
        if "straddling" in text.lower():  # a quoted value running past the reader's block: an unclosed quote
            return issue("csv_unclosed_quote", ERROR)
    elif kind == "XLSX":
        if isinstance(error, (zipfile.BadZipFile, zlib.error, EOFError)) or "zip" in text.lower():
            return issue("xlsx_damaged", ERROR)
        if isinstance(error, ParseError) or type(error).__name__ == "XMLSyntaxError":
            return issue("xlsx_damaged", ERROR)
        number = _NUMBER.search(text)
        if number:
            value = (number.group(1) or number.group(2)).strip("'\"")
            if row is not None:
                return issue("xlsx_bad_number_at", ERROR, row=row, value=value)
            return issue("xlsx_bad_number", ERROR, value=value)
        if isinstance(error, (KeyError, IndexError)):  # a part the workbook names is missing from the archive
            return issue("xlsx_damaged", ERROR)
    elif kind == "Parquet":
        lowered = text.lower()
        if isinstance(error, NotImplementedError) or "not implemented" in lowered or "not built" in lowered \
                or "unsupported" in lowered:
            return issue("parquet_unsupported", ERROR)
        if any(sign in lowered for sign in ("magic bytes", "footer", "thrift", "invalid parquet", "corrupt",
                                            "unexpected end", "smaller than", "out of bounds", "eof")):
            return issue("parquet_damaged", ERROR)
    return issue("unreadable_file", ERROR, kind=kind)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _first_undecodable_line(path: Path, encoding: str, limit_lines: int = 10_000_000) -> int | None:
    """The number of the first physical line (1 = the header) that ``encoding`` cannot decode;
    None for encodings whose lines do not split at a newline byte (UTF-16/32)."""
    if "16" in encoding or "32" in encoding:
        return None
    try:
        with open(path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if number > limit_lines:
                    return None
                try:
                    line.decode(encoding)
                except UnicodeError:
                    return number
                except LookupError:
                    return None
    except OSError:
        return None
    return None
