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
- ``scales``: source header -> the score and scale of a survey column (``"csat_1_5"``; NPS only
  ``"nps_0_10"``): the answer to the question a check asks about an ambiguous score column.
- ``anonymous``: true loads a transactions or complaints file that has no customer column on purpose.
- ``merge``: canonical column -> {spelling: spelling to store instead}, for values that differ only
  by case or spacing (``{"channel": {"Web": "web"}}``).
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

import duckdb

from cxdata.i18n import register_text
from cxdata.ingest.errors import PresetError
from cxdata.ingest.scales import ALL_CHOICES

DELIMITERS = (",", ";", "\t", "|")
DECIMALS = (",", ".")

_KEYS = ("anonymous", "columns", "constants", "date_format", "date_formats", "decimal", "delimiter", "encoding",
         "merge", "missing_values", "scales", "sheet", "skip_rows_missing", "table")


@dataclass(frozen=True)
class Limits:
    """Refusal thresholds for hostile or oversized files, checked before the heavy work.

    Together they bound what one upload costs: the worst file within them loads (dry run or
    not) in under 1 GB of memory (README, "Limits"); a file beyond any of them is refused in
    seconds with the limit named. ``max_bytes`` is also Streamlit's ``server.maxUploadSize``.
    """

    max_bytes: int = 50 * 1024 * 1024
    max_unpacked_bytes: int = 1024 * 1024 * 1024  # XLSX: total size of the zip entries unpacked
    max_compression_ratio: float = 100.0  # XLSX: unpacked / packed; real workbooks stay far below
    max_columns: int = 500  # real extracts have tens; detection and the mapping table grow with it
    # Workbooks are read cell by cell in Python (openpyxl, ~60-90 µs a cell on two shared cores):
    # fewer cells than a text file, so that reading one stays within a couple of minutes.
    max_workbook_cells: int = 2_000_000
    max_cells: int = 6_000_000  # rows x columns: what reading and validation hold in memory (1M rows x 6)
    max_line_bytes: int = 1024 * 1024  # one physical line of a text file
    max_cell_chars: int = 32_767  # one value; Excel's own limit for a cell


# A preset is a few dozen entries of a few words; anything far larger is a mistake or an attack.
PRESET_MAX_BYTES = 256 * 1024
PRESET_MAX_ENTRIES = 2_000  # columns + constants + date_formats + missing_values + skip_rows_missing


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
    scales: dict[str, str] = field(default_factory=dict)
    anonymous: bool = False
    merge: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> "MappingPreset":
        """Check and normalise a preset dict; PresetError says what is wrong."""
        if not isinstance(data, dict):
            raise PresetError("preset_not_object")
        unknown = sorted(set(data) - set(_KEYS))
        if unknown:
            raise PresetError("preset_unknown_keys", keys=_shown(", ".join(unknown)), allowed=", ".join(_KEYS))
        columns = _string_dict(data.get("columns", {}), "columns", allow_null=True)
        constants = _string_dict(data.get("constants", {}), "constants", allow_scalars=True)
        constants = {column: str(value) for column, value in constants.items()}
        date_formats = _string_dict(data.get("date_formats", {}), "date_formats")
        missing = data.get("missing_values", [])
        if not isinstance(missing, list) or not all(isinstance(v, (str, int, float)) for v in missing):
            raise PresetError("preset_bad_list", name="missing_values")
        skip = data.get("skip_rows_missing", [])
        if not isinstance(skip, list) or not all(isinstance(v, str) for v in skip):
            raise PresetError("preset_bad_list", name="skip_rows_missing")
        scales = _string_dict(data.get("scales", {}), "scales")
        allowed_scales = ALL_CHOICES
        for header, choice in scales.items():
            if choice.strip().lower() not in allowed_scales:
                raise PresetError("preset_bad_scale", entry=_shown(header), value=_shown(choice),
                                  allowed=", ".join(allowed_scales))
        scales = {header: choice.strip().lower() for header, choice in scales.items()}
        anonymous = data.get("anonymous", False)
        if not isinstance(anonymous, bool):
            raise PresetError("preset_bad_anonymous")
        merge = data.get("merge", {})
        if not isinstance(merge, dict):
            raise PresetError("preset_not_mapping", name="merge")
        merge = {column: _string_dict(spellings, f"merge → {_shown(column)}") for column, spellings in merge.items()}
        entries = (len(columns) + len(constants) + len(date_formats) + len(missing) + len(skip) + len(scales)
                   + sum(len(spellings) for spellings in merge.values()))
        if entries > PRESET_MAX_ENTRIES:
            raise PresetError("preset_too_many_entries", entries=entries, limit=PRESET_MAX_ENTRIES)
        delimiter = data.get("delimiter")
        if delimiter in ("tab", "\\t"):
            delimiter = "\t"
        if delimiter is not None and delimiter not in DELIMITERS:
            raise PresetError("preset_bad_delimiter", value=_shown(delimiter))
        decimal = data.get("decimal")
        if decimal is not None and decimal not in DECIMALS:
            raise PresetError("preset_bad_decimal", value=_shown(decimal))
        encoding = data.get("encoding")
        if encoding is not None:
            encoding = _text_encoding(encoding)
        date_format = data.get("date_format")
        if date_format is not None and not isinstance(date_format, str):
            raise PresetError("preset_bad_date_format", value=_shown(date_format))
        for text in (date_format, *date_formats.values()):
            if text is not None:
                check_date_format(text)
        sheet = data.get("sheet")
        if sheet is not None and (not isinstance(sheet, (str, int)) or isinstance(sheet, bool)):
            raise PresetError("preset_bad_sheet")
        table = data.get("table")
        if table is not None and not isinstance(table, str):
            raise PresetError("preset_bad_table")
        return cls(columns=columns, constants=constants, date_format=date_format, date_formats=date_formats,
                   decimal=decimal, delimiter=delimiter, encoding=encoding,
                   missing_values=tuple(str(v) for v in missing), sheet=sheet, skip_rows_missing=tuple(skip),
                   table=table, scales=scales, anonymous=anonymous, merge=merge)

    @classmethod
    def from_json(cls, content: bytes | str) -> "MappingPreset":
        """A preset from JSON text (a file's or an upload's bytes), the size checked before parsing."""
        size = len(content.encode("utf-8") if isinstance(content, str) else content)
        if size > PRESET_MAX_BYTES:
            raise PresetError("preset_too_large", size=_kilobytes(size), limit=_kilobytes(PRESET_MAX_BYTES))
        try:
            text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
            data = json.loads(text)
        except UnicodeDecodeError:
            raise PresetError("preset_not_utf8") from None
        except json.JSONDecodeError as error:
            raise PresetError("preset_not_json", line=error.lineno, column=error.colno) from None
        except RecursionError:  # "[[[[...]]]]": nested deeper than the parser goes
            raise PresetError("preset_too_deep") from None
        return cls.from_dict(data)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "MappingPreset":
        path = Path(path)
        if path.stat().st_size > PRESET_MAX_BYTES:  # never read a huge file to refuse it
            raise PresetError("preset_too_large", size=_kilobytes(path.stat().st_size),
                              limit=_kilobytes(PRESET_MAX_BYTES))
        return cls.from_json(path.read_bytes())

    def to_dict(self) -> dict:
        """The preset as JSON-ready data, without keys left at their defaults."""
        data = asdict(self)
        data["missing_values"] = list(self.missing_values)
        data["skip_rows_missing"] = list(self.skip_rows_missing)
        return {k: v for k, v in data.items() if v not in (None, {}, [], (), False)}

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
        raise PresetError("preset_not_mapping", name=name)
    allowed = (str, int, float) if allow_scalars else (str,)
    for key, item in value.items():
        if item is None and allow_null:
            continue
        if not isinstance(item, allowed) or isinstance(item, bool):
            raise PresetError("preset_bad_value", name=name, entry=_shown(key))
    return dict(value)


def _text_encoding(name) -> str:
    """The codec's canonical name, if it is a text encoding (not rot13, zlib, base64, ...)."""
    try:
        info = codecs.lookup(str(name))
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise PresetError("preset_bad_encoding", value=_shown(name))
    return info.name


def check_date_format(text: str) -> None:
    """PresetError unless ``text`` is ``iso``, ``excel`` or a strptime format DuckDB can read with.

    >>> check_date_format("%d.%m.%Y"); check_date_format("iso")
    >>> check_date_format("%")
    Traceback (most recent call last):
    ...
    cxdata.ingest.preset.PresetError: The date format "%" is not a valid format; write it like %d.%m.%Y (day.month.year), "iso" or "excel".
    """
    if text.strip().lower() in ("iso", "excel", "excel_serial"):
        return
    valid = "%" in text and len(text) <= 64
    if valid:
        try:
            duckdb.execute("SELECT try_strptime('2000-01-01', ?)", [text])
        except duckdb.Error:
            valid = False
    if not valid:
        raise PresetError("preset_bad_date_format", value=_shown(text))


def _shown(value, limit: int = 40) -> str:
    """A value of the user's preset, quoted and cut short for a message."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kilobytes(size: int) -> dict[str, str]:
    kb = f"{size / 1024:.0f}"
    return {"en": f"{kb} KB", "ru": f"{kb} КБ"}


TEXT = {
    "preset_not_object": {"en": "A mapping preset must be a JSON object {{...}}.",
                          "ru": "Пресет сопоставления должен быть объектом JSON {{...}}."},
    "preset_unknown_keys": {"en": "The preset has unknown keys: {keys}; allowed: {allowed}.",
                            "ru": "В пресете неизвестные ключи: {keys}; допустимые: {allowed}."},
    "preset_not_mapping": {"en": "\"{name}\" in the preset must be a JSON object {{\"name\": \"value\"}}.",
                           "ru": "«{name}» в пресете должно быть объектом JSON {{\"имя\": \"значение\"}}."},
    "preset_bad_value": {"en": "\"{name}\" → \"{entry}\" in the preset must be a plain text value, not a list or an object.",
                         "ru": "«{name}» → «{entry}» в пресете должно быть простым значением, а не списком или объектом."},
    "preset_bad_list": {"en": "\"{name}\" in the preset must be a list of texts [\"...\"].",
                        "ru": "«{name}» в пресете должно быть списком строк [\"...\"]."},
    "preset_too_many_entries": {"en": "The preset has {entries} entries; the limit is {limit}.",
                                "ru": "В пресете записей: {entries} при лимите {limit}."},
    "preset_too_large": {"en": "The preset file is {size}; the limit is {limit}.",
                         "ru": "Размер файла пресета {size} при лимите {limit}."},
    "preset_too_deep": {"en": "The preset is nested too deeply to be a mapping preset; see the README for its format.",
                        "ru": "Пресет слишком глубоко вложен для пресета сопоставления; формат описан в README."},
    "preset_not_json": {"en": "The preset is not valid JSON (line {line}, column {column}).",
                        "ru": "Пресет — не корректный JSON (строка {line}, позиция {column})."},
    "preset_not_utf8": {"en": "The preset file is not UTF-8 text; save it as UTF-8.",
                        "ru": "Файл пресета не в кодировке UTF-8; сохраните его в UTF-8."},
    "preset_bad_delimiter": {"en": "The delimiter \"{value}\" is not supported; use , ; tab or |.",
                             "ru": "Разделитель «{value}» не поддерживается; используйте , ; tab или |."},
    "preset_bad_decimal": {"en": "The decimal separator \"{value}\" is not supported; use \",\" or \".\".",
                           "ru": "Десятичный разделитель «{value}» не поддерживается; используйте «,» или «.»."},
    "preset_bad_encoding": {"en": "The encoding \"{value}\" is unknown; use e.g. utf-8, cp1251 or utf-16.",
                            "ru": "Кодировка «{value}» неизвестна; используйте, например, utf-8, cp1251 или utf-16."},
    "preset_bad_date_format": {
        "en": "The date format \"{value}\" is not a valid format; write it like %d.%m.%Y (day.month.year), \"iso\" or \"excel\".",
        "ru": "Формат даты «{value}» некорректен; укажите его в виде %d.%m.%Y (день.месяц.год), \"iso\" или \"excel\".",
    },
    "preset_bad_sheet": {"en": "\"sheet\" in the preset must be a sheet name or its number (1 = first).",
                         "ru": "«sheet» в пресете — название листа или его номер (1 — первый)."},
    "preset_bad_scale": {
        "en": "\"scales\" → \"{entry}\": \"{value}\" is not a survey scale a score can have (NPS is only 0–10); use one of: {allowed}.",
        "ru": "«scales» → «{entry}»: «{value}» — не шкала, возможная для этой оценки (NPS только 0–10); допустимые: {allowed}.",
    },
    "preset_bad_anonymous": {"en": "\"anonymous\" in the preset must be true or false.",
                             "ru": "«anonymous» в пресете должно быть true или false."},
    "preset_bad_table": {"en": "\"table\" in the preset must be a table name such as \"transactions\".",
                         "ru": "«table» в пресете — название таблицы, например \"transactions\"."},
}
register_text(TEXT)
