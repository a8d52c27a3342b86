"""Analyst uploads: any real extract in, clear errors out, nothing ever lost (issue 5).

The engine behind the Upload page and ``python -m cxdata load/uploads/undo``::

    extract = read_extract(path, options=preset)          # read + detect (encoding, delimiter, decimal, dates)
    suggest_mapping("transactions", extract.headers)      # header -> canonical column, EN/RU aliases
    report = load_extract(db, "transactions", path, mapping=preset, mode="append", dry_run=True)
    report.to_dict("ru")                                  # status, rows, issues with row numbers, preview
    list_uploads(db); undo_upload(db, upload_id)          # the log; revert the upload named

Modules: ``sniffing`` (size, content vs extension, encoding, delimiter, XLSX safety), ``reading``
(files -> text columns), ``detection`` (numbers and dates per column), ``mapping`` (aliases, table
rules), ``preset`` (the mapping JSON), ``preset_store`` (named presets beside the database),
``validation`` and ``keys`` (checks, generated ids), ``loading`` (modes, the one transaction), ``log``
(uploads, undo), ``locking`` (one upload at a time), ``messages`` (EN/RU texts), ``report``,
``export_safety`` (CSV/XLSX exports without formulas), ``cli``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Imported on first use, so `python -m cxdata metrics` does not pay for pyarrow, pandas and openpyxl.
_EXPORTS = {
    "ExtractRefused": "errors", "IngestError": "errors", "UndoError": "errors", "UploadBusyError": "errors",
    "make_export_safe": "export_safety", "load_extract": "loading", "list_uploads": "log", "undo_upload": "log",
    "LOADABLE_TABLES": "mapping", "MODES": "mapping", "normalize_header": "mapping", "rules_for": "mapping",
    "suggest_mapping": "mapping",
    "Issue": "messages", "Limits": "preset", "MappingPreset": "preset", "PresetError": "errors",
    "Extract": "reading", "read_extract": "reading", "Report": "report",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from cxdata.ingest.errors import (  # noqa: F401
        ExtractRefused,
        IngestError,
        PresetError,
        UndoError,
        UploadBusyError,
    )
    from cxdata.ingest.export_safety import make_export_safe  # noqa: F401
    from cxdata.ingest.loading import load_extract  # noqa: F401
    from cxdata.ingest.log import list_uploads, undo_upload  # noqa: F401
    from cxdata.ingest.mapping import (  # noqa: F401
        LOADABLE_TABLES,
        MODES,
        normalize_header,
        rules_for,
        suggest_mapping,
    )
    from cxdata.ingest.messages import Issue  # noqa: F401
    from cxdata.ingest.preset import Limits, MappingPreset  # noqa: F401
    from cxdata.ingest.reading import Extract, read_extract  # noqa: F401
    from cxdata.ingest.report import Report  # noqa: F401


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cxdata.ingest' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"cxdata.ingest.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
