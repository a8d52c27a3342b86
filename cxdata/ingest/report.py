"""The report of one load: what the CLI prints and the Upload page shows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime

import pyarrow as pa

from cxdata.ingest.messages import ERROR, WARNING, Issue, header_label

LOADED, UNCHANGED, REJECTED = "loaded", "unchanged", "rejected"
PREVIEW_ROWS = 10


@dataclass
class Report:
    """``status``: ``loaded``, ``unchanged`` (the database already holds this) or ``rejected``
    (nothing changed). A dry run has the status the load would have and ``upload_id`` None.

    ``rows_read``: data rows in the file; ``rows_loaded``: rows inserted or updated;
    ``rows_rejected``: rows with an error (every row when the file as a whole is wrong, e.g. a
    required column is missing; 0 when the file is refused before its rows are read);
    ``rows_skipped``: rows the preset asked to skip. Counts: refunds, missing_values,
    anonymous_responses, identical_rows, inserted, updated, removed, already_stored,
    unknown_customers, after_as_of.
    """

    status: str
    table: str
    mode: str
    dry_run: bool
    lang: str = "en"
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0
    issues: list[Issue] = field(default_factory=list)
    upload_id: int | None = None
    same_as_upload_id: int | None = None
    file: dict = field(default_factory=dict)
    detected: dict = field(default_factory=dict)
    mapping: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    preview: list[dict] = field(default_factory=list)
    waited_seconds: float = 0.0
    data_version: str | None = None
    # What the analyst is asked to decide: {"scales": {header: [choices]}, "variants": {column: [[spellings]]}}.
    questions: dict = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(1 for i in self.issues if i.severity == ERROR)

    @property
    def warning_count(self) -> int:
        return sum(1 for i in self.issues if i.severity == WARNING)

    def to_dict(self, lang: str | None = None) -> dict:
        """JSON-ready, issues in ``lang`` (default: the report's language); a column without a header
        is named in ``lang`` ('столбец 3'), as presets also accept it."""
        lang = lang or self.lang
        return {
            "status": self.status, "table": self.table, "mode": self.mode, "dry_run": self.dry_run,
            "rows_read": self.rows_read, "rows_loaded": self.rows_loaded, "rows_rejected": self.rows_rejected,
            "rows_skipped": self.rows_skipped, "upload_id": self.upload_id, "same_as_upload_id": self.same_as_upload_id,
            "issues": [i.to_dict(lang) for i in self.issues], "file": self.file,
            "detected": _with_headers_in(self.detected, "columns", lang),
            "mapping": _with_headers_in(self.mapping, "columns", lang), "counts": self.counts, "preview": self.preview,
            "waited_seconds": round(self.waited_seconds, 2), "data_version": self.data_version,
            "questions": _with_headers_in(self.questions, "scales", lang),
        }


def _with_headers_in(data: dict, key: str, lang: str) -> dict:
    """``data`` with the headers that key ``data[key]`` as the reader sees them (``header_label``)."""
    if not isinstance(data.get(key), dict):
        return data
    return {**data, key: {header_label(header, lang): value for header, value in data[key].items()}}


def build_preview(data: pa.Table, rows: int = PREVIEW_ROWS) -> list[dict]:
    """The first rows as they would be stored, JSON-ready (``row`` = the file's row number)."""
    preview = []
    for record in data.slice(0, rows).to_pylist():
        row = {"row": record.pop("__row")}
        row.update({k: _json_value(v) for k, v in record.items()})
        preview.append(row)
    return preview


def _json_value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
