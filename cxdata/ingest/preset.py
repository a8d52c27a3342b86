"""A mapping preset: how to read one kind of extract and which of its columns go where.

The same JSON drives the CLI (``--mapping MAP.json``) and is what the Upload page saves;
every key is optional::

    {"columns": {"ID клиента": "customer_id", "Дата покупки": "occurred_at", "Комментарий": null},
     "constants": {"channel": "branch"},
     "date_format": "%d.%m.%Y", "date_formats": {"Дата покупки": "%d.%m.%Y"},
     "decimal": ",", "delimiter": ";", "encoding": "cp1251", "missing_values": ["-99", "n/a"],
     "sheet": "Лист1", "skip_rows_missing": ["amount"], "table": "transactions"}

- ``columns``: source header -> canonical column; ``null`` keeps a column out. Headers the preset
  does not name are still matched by the English/Russian aliases when their column is free.
- ``constants``: canonical column -> one value for every row (parsed like a file value).
- ``date_format`` (every date column) / ``date_formats`` (per source header): a strftime format,
  ``"iso"`` or ``"excel"`` (serial day numbers); overrides the detection.
- ``skip_rows_missing``: canonical columns whose empty rows are skipped and counted instead of
  rejecting the upload (e.g. Telco's 11 blank ``TotalCharges``: no charge yet, no transaction).
- ``table``: the table the preset was made for (the Upload page saves it); loading it into another
  table is refused, so a complaints preset cannot silently map a transactions file.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

DELIMITERS = (",", ";", "\t", "|")
DECIMALS = (",", ".")

_KEYS = ("columns", "constants", "date_format", "date_formats", "decimal", "delimiter", "encoding",
         "missing_values", "sheet", "skip_rows_missing", "table")


class PresetError(ValueError):
    """A preset that cannot be used (unknown key, bad delimiter, ...): the user's input."""


@dataclass(frozen=True)
class Limits:
    """Refusal thresholds for hostile or oversized files."""

    max_bytes: int = 200 * 1024 * 1024
    max_unpacked_bytes: int = 1024 * 1024 * 1024  # XLSX: total size of the zip entries unpacked
    max_compression_ratio: float = 100.0  # XLSX: unpacked / packed; real workbooks stay far below


@dataclass(frozen=True)
class MappingPreset:
    columns: dict[str, str | None] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None
    date_formats: dict[str, str] = field(default_factory=dict)
    decimal: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    missing_values: tuple[str, ...] = ()
    sheet: str | int | None = None
    skip_rows_missing: tuple[str, ...] = ()
    table: str | None = None

    @classmethod
    def from_dict(cls, data: dict) -> "MappingPreset":
        """Check and normalise a preset dict; PresetError says what is wrong."""
        if not isinstance(data, dict):
            raise PresetError("a mapping preset must be a JSON object")
        unknown = sorted(set(data) - set(_KEYS))
        if unknown:
            raise PresetError(f"unknown mapping keys: {', '.join(unknown)} (allowed: {', '.join(_KEYS)})")
        columns = _string_dict(data.get("columns", {}), "columns", allow_null=True)
        constants = _string_dict(data.get("constants", {}), "constants", allow_scalars=True)
        constants = {column: str(value) for column, value in constants.items()}
        date_formats = _string_dict(data.get("date_formats", {}), "date_formats")
        delimiter = data.get("delimiter")
        if delimiter in ("tab", "\\t"):
            delimiter = "\t"
        if delimiter is not None and delimiter not in DELIMITERS:
            raise PresetError(f"delimiter must be one of , ; tab |, not {delimiter!r}")
        decimal = data.get("decimal")
        if decimal is not None and decimal not in DECIMALS:
            raise PresetError(f"decimal must be \",\" or \".\", not {decimal!r}")
        encoding = data.get("encoding")
        if encoding is not None:
            try:
                encoding = codecs.lookup(str(encoding)).name
            except LookupError:
                raise PresetError(f"unknown encoding {encoding!r}") from None
        missing = data.get("missing_values", [])
        if not isinstance(missing, list) or not all(isinstance(v, (str, int, float)) for v in missing):
            raise PresetError("missing_values must be a list of strings")
        skip = data.get("skip_rows_missing", [])
        if not isinstance(skip, list) or not all(isinstance(v, str) for v in skip):
            raise PresetError("skip_rows_missing must be a list of column names")
        date_format = data.get("date_format")
        if date_format is not None and not isinstance(date_format, str):
            raise PresetError("date_format must be a string such as \"%d.%m.%Y\"")
        sheet = data.get("sheet")
        if sheet is not None and not isinstance(sheet, (str, int)):
            raise PresetError("sheet must be a sheet name or a 1-based number")
        table = data.get("table")
        if table is not None and not isinstance(table, str):
            raise PresetError("table must be a table name such as \"transactions\"")
        return cls(columns=columns, constants=constants, date_format=date_format, date_formats=date_formats,
                   decimal=decimal, delimiter=delimiter, encoding=encoding,
                   missing_values=tuple(str(v) for v in missing), sheet=sheet, skip_rows_missing=tuple(skip),
                   table=table)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "MappingPreset":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as error:
            raise PresetError(f"{path}: not valid JSON ({error})") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict:
        """The preset as JSON-ready data, without keys left at their defaults."""
        data = asdict(self)
        data["missing_values"] = list(self.missing_values)
        data["skip_rows_missing"] = list(self.skip_rows_missing)
        return {k: v for k, v in data.items() if v not in (None, {}, [], ())}

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON: the same file with the same preset is the same upload
        (``table`` only labels the preset, so it does not count)."""
        data = {k: v for k, v in self.to_dict().items() if k != "table"}
        text = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def as_preset(mapping: "MappingPreset | dict | str | os.PathLike | None") -> MappingPreset:
    """A preset from a MappingPreset, a dict, a path to a JSON file, or None (detect everything)."""
    if mapping is None:
        return MappingPreset()
    if isinstance(mapping, MappingPreset):
        return mapping
    if isinstance(mapping, dict):
        return MappingPreset.from_dict(mapping)
    return MappingPreset.from_file(mapping)


def _string_dict(value, name: str, *, allow_null: bool = False, allow_scalars: bool = False) -> dict:
    if not isinstance(value, dict):
        raise PresetError(f"{name} must be a JSON object")
    allowed = (str, int, float) if allow_scalars else (str,)
    for key, item in value.items():
        if item is None and allow_null:
            continue
        if not isinstance(item, allowed) or isinstance(item, bool):
            raise PresetError(f"{name}[{key!r}] must be a string, not {item!r}")
    return dict(value)
