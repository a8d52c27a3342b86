"""Named mapping presets saved on the server, for the next upload of the same kind of extract.

Each preset is one JSON file ``<name>.json`` in the ``presets/`` folder beside the database file
(``data/cx.duckdb`` -> ``data/presets/``), in exactly the format ``python -m cxdata load --mapping``
reads, so a preset saved on the Upload page is also a CLI preset (``--mapping`` takes the file or
just the name).

Why beside the database and not in it: a load or an undo publishes a fresh copy of the database by
atomic replace (``publish.py``), so writing a preset into the database would copy the whole file
(hundreds of MB) under the upload lock for a 1 KB change, wait behind every running upload, and tie
the analyst's format description to the data an undo reverts. A file per preset is written on its
own, atomically (temporary file + ``os.replace``: a reader sees the old preset or the new one),
survives every load, undo and republish of the database untouched, and can be copied, reviewed or
put under version control like any other preset JSON.

Names are what a person types ("CRM выгрузка 2024", "billing-v2"): letters of any alphabet,
digits, space, ``_ . -``, at most 64 characters, starting with a letter or digit. Nothing else, so a
name can never reach outside the folder (no ``/``, ``\\``, leading dot or ``..``).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

from cxdata.engine.db import resolve_db_path
from cxdata.i18n import register_text
from cxdata.ingest.errors import PresetError
from cxdata.ingest.preset import MappingPreset

FOLDER_NAME = "presets"
MAX_NAME_LENGTH = 64
_NAME = re.compile(r"[^\W_][\w .-]*")


class PresetStoreError(PresetError):
    """A preset name or store operation refused; ``key`` and ``values`` give the EN/RU text."""


def preset_folder(db_path) -> Path:
    """The folder of saved presets for the database ``db_path`` (None: $CX_DB or the default)."""
    return resolve_db_path(db_path).parent / FOLDER_NAME


def validate_preset_name(name) -> str:
    """The name, stripped, if it can be a preset's name; else PresetStoreError says why.

    >>> validate_preset_name("  CRM выгрузка 2024 "), validate_preset_name("billing-v2.1")
    ('CRM выгрузка 2024', 'billing-v2.1')
    >>> for bad in ("../secrets", ".hidden", "a/b", ""):
    ...     try:
    ...         validate_preset_name(bad)
    ...     except PresetStoreError as error:
    ...         print(error.message("ru"))
    Название пресета «../secrets»: допустимы буквы, цифры, пробелы и _ . -, первой — буква или цифра.
    Название пресета «.hidden»: допустимы буквы, цифры, пробелы и _ . -, первой — буква или цифра.
    Название пресета «a/b»: допустимы буквы, цифры, пробелы и _ . -, первой — буква или цифра.
    Укажите название пресета.
    """
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        raise PresetStoreError("preset_name_empty")
    if len(text) > MAX_NAME_LENGTH:
        raise PresetStoreError("preset_name_long", limit=MAX_NAME_LENGTH)
    if not _NAME.fullmatch(text) or ".." in text or text.endswith("."):
        raise PresetStoreError("preset_name_bad", name=text)
    return text


def _preset_path(db_path, name: str) -> Path:
    return preset_folder(db_path) / f"{validate_preset_name(name)}.json"


def list_presets(db_path, table: str | None = None) -> list[dict]:
    """Saved presets, by name: ``{"name", "table", "saved_at", "path"}``; only ``table``'s (and
    those made for no table in particular) when ``table`` is given. Unreadable files are listed
    with ``table`` None and ``error`` set, never skipped silently.
    """
    folder = preset_folder(db_path)
    if not folder.is_dir():
        return []
    presets = []
    for path in sorted(folder.glob("*.json"), key=lambda p: p.stem.casefold()):
        entry = {"name": path.stem, "table": None, "path": str(path),
                 "saved_at": datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds")}
        try:
            entry["table"] = MappingPreset.from_file(path).table
        except (PresetError, OSError, UnicodeDecodeError) as error:
            entry["error"] = str(error)
        if table is None or entry["table"] in (None, table):
            presets.append(entry)
    return presets


def fetch_preset(db_path, name: str) -> MappingPreset:
    """The saved preset ``name`` (PresetStoreError if there is none, PresetError if it is broken)."""
    path = _preset_path(db_path, name)
    if not path.is_file():
        raise PresetStoreError("preset_missing", name=path.stem)
    return MappingPreset.from_file(path)


def save_preset(db_path, name: str, preset: MappingPreset | dict, *, replace: bool = False) -> Path:
    """Write ``preset`` as ``name`` atomically; an existing name needs ``replace=True``."""
    path = _preset_path(db_path, name)
    preset = preset if isinstance(preset, MappingPreset) else MappingPreset.from_dict(preset)
    if path.exists() and not replace:
        raise PresetStoreError("preset_exists", name=path.stem)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".preset-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(preset.to_dict(), file, ensure_ascii=False, indent=2)
            file.write("\n")
        if replace:
            os.replace(temporary, path)
        else:  # no-clobber even when two people save the same new name at once
            try:
                os.link(temporary, path)
            except FileExistsError:
                raise PresetStoreError("preset_exists", name=path.stem) from None
            except OSError:  # a file system without hard links: the check above has to do
                os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path


def delete_preset(db_path, name: str) -> None:
    """Remove the saved preset ``name`` (PresetStoreError if there is none)."""
    path = _preset_path(db_path, name)
    try:
        path.unlink()
    except FileNotFoundError:
        raise PresetStoreError("preset_missing", name=path.stem) from None


def resolve_mapping_argument(db_path, argument: str) -> MappingPreset:
    """``--mapping``: a path to a preset JSON, else the name of a preset saved beside the database."""
    if Path(argument).is_file():
        return MappingPreset.from_file(argument)
    try:
        name = validate_preset_name(argument)
    except PresetStoreError:
        raise PresetStoreError("preset_no_file", name=argument) from None
    if not _preset_path(db_path, name).is_file():
        raise PresetStoreError("preset_no_file", name=name)
    return fetch_preset(db_path, name)


TEXT = {
    "preset_name_empty": {"en": "Give the preset a name.", "ru": "Укажите название пресета."},
    "preset_name_long": {"en": "A preset name has at most {limit} characters.",
                         "ru": "Название пресета — не длиннее {limit} символов."},
    "preset_name_bad": {
        "en": "Preset name \"{name}\": use letters, digits, spaces, _ . - only, starting with a letter or digit.",
        "ru": "Название пресета «{name}»: допустимы буквы, цифры, пробелы и _ . -, первой — буква или цифра.",
    },
    "preset_exists": {"en": "A preset named \"{name}\" exists already: tick \"Replace\" or choose another name.",
                      "ru": "Пресет «{name}» уже есть: отметьте «Заменить» или выберите другое название."},
    "preset_missing": {"en": "There is no saved preset named \"{name}\".", "ru": "Сохранённого пресета «{name}» нет."},
    "preset_no_file": {"en": "There is neither a preset file nor a saved preset named \"{name}\" (see: python -m cxdata presets).",
                       "ru": "Нет ни файла пресета, ни сохранённого пресета «{name}» (список: python -m cxdata presets)."},
}

register_text(TEXT)
