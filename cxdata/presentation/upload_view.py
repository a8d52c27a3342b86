"""The Upload page's plain logic: the editable mapping table, the report as tables, UI strings.

The engine is ``cxdata.ingest``; this module only shapes its inputs and outputs for the page.
"""

from __future__ import annotations

import pandas as pd

from cxdata.engine.coverage import table_label
from cxdata.i18n import register_text, translate
from cxdata.ingest.messages import header_label
from cxdata.ingest.errors import PresetError
from cxdata.ingest.preset_store import (
    PresetStoreError,
    delete_preset,
    fetch_preset,
    save_preset,
)
from cxdata.model.roles import can

NOT_LOADED = ""  # the mapping table's choice for "leave this column out"
# Reading options the page lets an analyst force ("" = detect).
OVERRIDE_CHOICES = {
    "encoding": ("", "utf-8", "utf-8-sig", "cp1251", "utf-16"),
    "delimiter": ("", ",", ";", "\t", "|"),
    "decimal": ("", ".", ","),
}

TEXT = {
    "upload_title": {"en": "Upload data", "ru": "Загрузка данных"},
    "upload_intro": {
        "en": "Load an extract (CSV, TSV, TXT, XLSX or Parquet) into a table. Check it first: nothing is stored "
              "until you load, a load is all or nothing, and every load can be undone.",
        "ru": "Загрузите выгрузку (CSV, TSV, TXT, XLSX или Parquet) в таблицу. Сначала проверьте: до загрузки "
              "ничего не сохраняется, загрузка выполняется целиком или никак, и любую загрузку можно отменить.",
    },
    "upload_forbidden": {
        "en": "Uploads need the analyst or admin role; you are signed in as {role}.",
        "ru": "Загрузка доступна ролям «аналитик» и «администратор»; ваша роль — {role}.",
    },
    "upload_table": {"en": "Table", "ru": "Таблица"},
    "upload_mode": {"en": "Mode", "ru": "Режим"},
    "upload_mode_append": {"en": "append: add new rows", "ru": "добавить новые строки"},
    "upload_mode_upsert": {"en": "upsert: add or update by key", "ru": "добавить или обновить по ключу"},
    "upload_mode_replace": {"en": "replace: the file becomes the table", "ru": "файл заменяет таблицу"},
    "upload_file": {"en": "Extract file", "ru": "Файл выгрузки"},
    "upload_preset": {"en": "Mapping preset (JSON, optional)", "ru": "Пресет сопоставления (JSON, необязательно)"},
    "upload_detected": {"en": "Detected: {details}", "ru": "Определено: {details}"},
    "upload_mapping": {"en": "Column mapping", "ru": "Сопоставление столбцов"},
    "upload_options": {"en": "Reading options (detected automatically)", "ru": "Параметры чтения (определяются автоматически)"},
    "upload_options_help": {
        "en": "Leave on auto unless the detection is wrong; what was detected is shown after a check.",
        "ru": "Оставьте «auto», если определение верно; найденные параметры показываются после проверки.",
    },
    "upload_encoding": {"en": "Encoding", "ru": "Кодировка"},
    "upload_delimiter": {"en": "Delimiter", "ru": "Разделитель"},
    "upload_decimal": {"en": "Decimal separator", "ru": "Десятичный разделитель"},
    "upload_date_format": {"en": "Date format", "ru": "Формат даты"},
    "upload_mapping_help": {
        "en": "Suggested from English and Russian header names; change any row. Empty = leave the column out.",
        "ru": "Предложено по английским и русским названиям; любую строку можно изменить. Пусто — не загружать.",
    },
    "upload_source": {"en": "Column in the file", "ru": "Столбец файла"},
    "upload_target": {"en": "Loads into", "ru": "Загружается в"},
    "upload_save_preset": {"en": "Download mapping as JSON", "ru": "Скачать сопоставление (JSON)"},
    "upload_saved_preset": {"en": "Saved preset", "ru": "Сохранённый пресет"},
    "upload_saved_preset_help": {
        "en": "Presets saved on this server for this table: the mapping and reading options of an extract you "
              "loaded before. The CLI takes the same name: python -m cxdata load TABLE FILE --mapping NAME.",
        "ru": "Пресеты этой таблицы, сохранённые на сервере: сопоставление и параметры чтения уже загружавшейся "
              "выгрузки. CLI принимает то же название: python -m cxdata load TABLE FILE --mapping NAME.",
    },
    "upload_no_preset": {"en": "none (detect)", "ru": "нет (определить)"},
    "upload_delete_preset": {"en": "Delete preset", "ru": "Удалить пресет"},
    "upload_preset_name": {"en": "Preset name", "ru": "Название пресета"},
    "upload_preset_replace": {"en": "Replace", "ru": "Заменить"},
    "upload_store_preset": {"en": "Save preset on the server", "ru": "Сохранить пресет на сервере"},
    "upload_preset_saved": {"en": "Preset \"{name}\" saved for {table}.", "ru": "Пресет «{name}» сохранён для таблицы «{table}»."},
    "upload_preset_deleted": {"en": "Preset \"{name}\" deleted.", "ru": "Пресет «{name}» удалён."},
    "upload_preset_broken": {"en": "Preset \"{name}\" cannot be used: {error}",
                             "ru": "Пресет «{name}» нельзя использовать: {error}"},
    "upload_preset_not_saved": {"en": "The server could not write the presets folder (disk full or read-only); tell the administrator.",
                                "ru": "Сервер не смог записать папку пресетов (диск заполнен или только для чтения); сообщите администратору."},
    "upload_preset_unreadable": {"en": "Preset \"{name}\" cannot be read on the server; save it again.",
                                 "ru": "Пресет «{name}» не читается на сервере; сохраните его заново."},
    "upload_check": {"en": "Check (dry run)", "ru": "Проверить (без записи)"},
    "upload_load": {"en": "Load", "ru": "Загрузить"},
    "upload_status_loaded": {"en": "Loaded {rows} rows into {table} (upload {id}).",
                             "ru": "Загружено строк: {rows} в таблицу «{table}» (загрузка {id})."},
    "upload_status_unchanged": {"en": "Nothing to change: this data is already stored.",
                                "ru": "Менять нечего: эти данные уже есть."},
    "upload_status_rejected": {"en": "Rejected: nothing was changed. Fix the problems below and try again.",
                               "ru": "Отклонено: ничего не изменено. Исправьте ошибки ниже и повторите."},
    "upload_status_checked": {"en": "Check passed: {rows} rows would be loaded into {table}.",
                              "ru": "Проверка пройдена: в таблицу «{table}» будет загружено строк: {rows}."},
    "upload_issues": {"en": "Problems and notes", "ru": "Ошибки и замечания"},
    "upload_preview": {"en": "Preview (as it would be stored)", "ru": "Предпросмотр (как будет сохранено)"},
    "upload_log": {"en": "Upload log", "ru": "Журнал загрузок"},
    "upload_undo": {"en": "Undo upload {id}", "ru": "Отменить загрузку {id}"},
    "upload_undo_choice": {"en": "Upload to undo", "ru": "Какую загрузку отменить"},
    "upload_undo_choice_help": {
        "en": "Your loaded uploads, newest first (an admin sees everyone's). Undo refuses if the data changed "
              "after this page showed it.",
        "ru": "Ваши загрузки, новые сверху (администратор видит все). Отмена не выполняется, если данные "
              "изменились после того, как страница их показала."},
    "upload_undo_label": {"en": "{id} · {table} · {file} · {when} · {who}", "ru": "{id} · {table} · {file} · {when} · {who}"},
    "upload_undone": {"en": "Upload {id} undone ({table}: {removed} rows removed, {restored} restored).",
                      "ru": "Загрузка {id} отменена ({table}: удалено строк: {removed}, восстановлено: {restored})."},
    "upload_busy": {"en": "Another upload is still running ({who}, {action} of {table}, since {since}); nothing "
                          "was changed. Try again when it has finished.",
                    "ru": "Ещё идёт другая загрузка ({who}, {action}: {table}, с {since}); ничего не изменено. "
                          "Повторите, когда она закончится."},
    "upload_busy_file": {"en": "The database is open in another program (another upload, a notebook); nothing was "
                               "changed. Try again in a minute.",
                         "ru": "База данных открыта другой программой (другая загрузка, блокнот); ничего не "
                               "изменено. Повторите через минуту."},
    "upload_busy_load": {"en": "load", "ru": "загрузка"},
    "upload_busy_undo_action": {"en": "undo", "ru": "отмена"},
    "upload_undo_failed": {"en": "The undo could not be done: the database cannot be written. Nothing was changed; "
                                 "ask an administrator to check the server's disk and the database file.",
                           "ru": "Отменить не удалось: базу данных нельзя записать. Ничего не изменено; попросите "
                                 "администратора проверить диск сервера и файл базы."},
    "upload_refused": {"en": "The file was refused: {error}", "ru": "Файл отклонён: {error}"},
    "upload_no_log": {"en": "No uploads yet.", "ru": "Загрузок пока не было."},
    "upload_auto": {"en": "auto", "ru": "авто"},
    "upload_tab": {"en": "tab", "ru": "табуляция"},
}
register_text(TEXT)


def _busy_table(holder: dict, lang: str) -> str:
    if holder.get("table"):
        return table_name(holder["table"], lang)
    return f"#{holder['upload_id']}" if holder.get("upload_id") else "—"


def table_name(table: str, lang: str) -> str:
    """A table as the Upload page names it: in English its code, as the command line and presets
    name it (``transactions``); in Russian its name (``транзакции``), no code on a Russian screen."""
    return table if lang == "en" else table_label(table, lang)


def check_role(role: str, action: str, lang: str) -> None:
    """PermissionError (with the page's text) unless ``role`` may do ``action``: every control that
    changes something checks it, not only the navigation and the page.

    >>> check_role("viewer", "upload", "en")
    Traceback (most recent call last):
    ...
    PermissionError: Uploads need the analyst or admin role; you are signed in as viewer.
    """
    if not can(role, action):
        raise PermissionError(translate("upload_forbidden", lang, role=translate(f"role_{role}", lang)))


def fetch_saved_preset(role: str, db_path, name: str, lang: str) -> dict:
    """The saved preset ``name`` as a dict ({} for no name); PresetError with a translated text."""
    check_role(role, "upload", lang)
    if not name:
        return {}
    try:
        return fetch_preset(db_path, name).to_dict()
    except PresetStoreError:
        raise
    except PresetError as error:  # a file edited by hand into something unusable
        raise PresetError("upload_preset_broken", name=name,
                          error={"en": error.message("en"), "ru": error.message("ru")}) from None
    except OSError:  # never the server's path or errno text on the page
        raise PresetError("upload_preset_unreadable", name=name) from None


def store_preset(role: str, db_path, name: str, preset_data: dict, *, table: str, replace: bool,
                 lang: str) -> tuple[str, str]:
    """Save the page's mapping as the named preset for ``table``: ("success" | "error", text)."""
    try:
        check_role(role, "upload", lang)
        saved = save_preset(db_path, name, {**preset_data, "table": table}, replace=replace)
    except PresetError as error:
        return "error", error.message(lang)
    except PermissionError as error:
        return "error", str(error)
    except OSError:
        return "error", translate("upload_preset_not_saved", lang)
    return "success", translate("upload_preset_saved", lang, name=saved.stem, table=table_name(table, lang))


def remove_preset(role: str, db_path, name: str, lang: str) -> tuple[str, str]:
    """Delete the named preset: ("success" | "error", text)."""
    try:
        check_role(role, "upload", lang)
        delete_preset(db_path, name)
    except PresetStoreError as error:
        return "error", error.message(lang)
    except PermissionError as error:
        return "error", str(error)
    except OSError:
        return "error", translate("upload_preset_not_saved", lang)
    return "success", translate("upload_preset_deleted", lang, name=name)


def visible_uploads(log: list[dict], user: str, role: str) -> list[dict]:
    """The upload log as the visitor may see it: an admin everyone's, anyone else their own.

    >>> log = [{"upload_id": 2, "uploaded_by": "ada"}, {"upload_id": 1, "uploaded_by": "Ann"}]
    >>> [u["upload_id"] for u in visible_uploads(log, "ann", "analyst")], len(visible_uploads(log, "x", "admin"))
    ([1], 2)
    """
    if can(role, "admin"):
        return list(log)
    from cxdata.ingest.log import same_user

    return [entry for entry in log if same_user(entry.get("uploaded_by"), user)]


def undo_choices(visible: list[dict], lang: str) -> dict[int, str]:
    """upload id -> how the page names it, for the loaded uploads among ``visible`` (newest first).

    >>> undo_choices([{"upload_id": 3, "status": "undone"}, {"upload_id": 2, "status": "loaded",
    ...   "table_name": "surveys", "file_name": "a.csv", "uploaded_at": "2026-12-07 10:02:03.5", "uploaded_by": "ann"}], "en")
    {2: '2 · surveys · a.csv · 2026-12-07 10:02 · ann'}
    """
    return {entry["upload_id"]: translate("upload_undo_label", lang, id=entry["upload_id"], table=table_name(entry["table_name"], lang),
                                          file=entry.get("file_name") or "—", who=entry["uploaded_by"],
                                          when=str(entry.get("uploaded_at") or "")[:16])
            for entry in visible if entry.get("status") == "loaded"}


def undo_chosen(role: str, user: str, db_path, upload_id: int, seen_version: str, lang: str) -> tuple[str, str]:
    """Undo the upload the visitor chose, as they saw the data (``seen_version``): an analyst only
    their own, an admin any. ("success" | "error", text in ``lang``)."""
    import duckdb

    from cxdata.ingest.errors import UndoError, UploadBusyError
    from cxdata.ingest.publish import undo_and_publish

    try:
        check_role(role, "undo", lang)
        result = undo_and_publish(db_path, upload_id, user=user, owner=None if can(role, "admin") else user,
                                  seen_version=seen_version, lock_timeout=30)
    except PermissionError as error:
        return "error", str(error)
    except UndoError as error:
        return "error", error.message(lang)
    except UploadBusyError as error:
        return "error", describe_busy(error, lang)
    except (OSError, duckdb.Error):
        return "error", translate("upload_undo_failed", lang)
    return "success", translate("upload_undone", lang, id=result["upload_id"], table=table_name(result["table"], lang),
                                removed=result["rows_removed"], restored=result["rows_restored"])


def describe_busy(error, lang: str) -> str:
    """Why a load or undo could not start, in the reader's language: who holds the upload lock and
    since when (from the lock file), without the server's paths or process ids.

    >>> from cxdata.ingest.errors import UploadBusyError
    >>> describe_busy(UploadBusyError("…", {"user": "ada", "action": "load", "table": "surveys", "since": "10:02:03"}), "en")
    'Another upload is still running (ada, load of surveys, since 10:02:03); nothing was changed. Try again when it has finished.'
    """
    holder = getattr(error, "holder", {}) or {}
    if not holder:
        return translate("upload_busy_file", lang)
    action = translate("upload_busy_undo_action" if holder.get("action") == "undo" else "upload_busy_load", lang)
    return translate("upload_busy", lang, who=holder.get("user") or "?", action=action,
                     table=_busy_table(holder, lang),
                     since=holder.get("since") or "?")


def read_headers(path, preset) -> list[str]:
    """The extract's column headers as read with ``preset`` (ExtractRefused if the file is refused)."""
    from cxdata.ingest import read_extract

    with read_extract(path, options=preset) as extract:
        return list(extract.headers)


def mapping_rows(headers, suggested: dict[str, str], preset_columns: dict[str, str | None],
                 lang: str = "en") -> pd.DataFrame:
    """One row per file header: ``header`` (the name presets use; the page hides it), ``source`` (the
    header as the reader sees it, see ``header_label``), ``target`` (canonical column or "" for left out).

    >>> mapping_rows(["Клиент", "column 2"], {"Клиент": "customer_id"}, {"column 2": None}, "ru").to_dict("records")
    [{'header': 'Клиент', 'source': 'Клиент', 'target': 'customer_id'}, {'header': 'column 2', 'source': 'столбец 2', 'target': ''}]
    """
    rows = []
    for header in headers:
        target = preset_columns[header] if header in preset_columns else suggested.get(header)
        rows.append({"header": header, "source": header_label(header, lang), "target": target or NOT_LOADED})
    return pd.DataFrame(rows, columns=["header", "source", "target"])


def columns_from_rows(rows: pd.DataFrame) -> dict[str, str | None]:
    """The edited mapping table back as a preset's ``columns`` (left-out headers map to None).

    >>> columns_from_rows(pd.DataFrame({"header": ["a", "b"], "target": ["amount", ""]}))
    {'a': 'amount', 'b': None}
    """
    return {str(r.header): (str(r.target) if r.target else None) for r in rows.itertuples(index=False)}


ISSUE_COLUMNS = ("row", "column", "severity", "message")


def issues_frame(report: dict, lang: str = "en") -> pd.DataFrame:
    """The report's issues (already in ``lang``) as a table: row, column, severity, message, with
    the headings and the severities in ``lang``."""
    rows = [{translate(f"upload_issue_{c}", lang): (translate(f"upload_severity_{issue[c]}", lang)
                                                    if c == "severity" else issue.get(c)) for c in ISSUE_COLUMNS}
            for issue in report.get("issues", [])]
    return pd.DataFrame(rows, columns=[translate(f"upload_issue_{c}", lang) for c in ISSUE_COLUMNS])


def describe_detected(report_or_detected: dict, lang: str = "en") -> str:
    """'csv · encoding CP1251 · delimiter ; · decimal , · thousands space · occurred_at: %d.%m.%Y'.

    >>> describe_detected({"detected": {"format": "csv", "delimiter": chr(9), "thousands_separators": ["space"]}})
    'csv · delimiter tab · thousands space'
    >>> describe_detected({"detected": {"format": "csv", "delimiter": chr(9), "thousands_separators": ["space"]}}, "ru")
    'csv · разделитель табуляция · разряды пробел'
    """
    detected = report_or_detected.get("detected", report_or_detected) or {}
    parts = [detected["format"]] if detected.get("format") else []
    for key in ("encoding", "delimiter", "decimal", "sheet"):
        value = detected.get(key)
        if value not in (None, ""):
            shown = translate("upload_detected_tab", lang) if value == chr(9) else value
            parts.append(f"{translate(f'upload_detected_{key}', lang)} {shown}")
    if detected.get("thousands_separators"):
        separators = ", ".join(_separator_text(name, lang) for name in detected["thousands_separators"])
        parts.append(f"{translate('upload_detected_thousands', lang)} {separators}")
    for column, fmt in (detected.get("date_formats") or {}).items():
        parts.append(f"{column}: {fmt}")
    return " · ".join(parts) or "—"


def settings_log_frame(entries: list[dict], lang: str) -> pd.DataFrame:
    """The settings changes (``settings_log.list_settings_changes``) as a table, one row per setting
    changed, newest first: when, who, which setting, from, to, with headings and names in ``lang``.

    >>> settings_log_frame([{"changed_at": "2026-12-07 10:02:03.5", "changed_by": "ann",
    ...   "changes": {"as_of": {"old": "2025-12-31", "new": "latest"}}}], "ru").to_dict("records")
    [{'Когда': '2026-12-07 10:02', 'Кто': 'ann', 'Настройка': 'дата актуальности', 'Было': '2025-12-31', 'Стало': 'по последним данным'}]
    """
    columns = [translate(f"settings_log_{c}", lang) for c in ("when", "who", "setting", "old", "new")]
    rows = [(str(entry["changed_at"])[:16], entry["changed_by"], translate(f"settings_log_key_{key}", lang),
             _setting_value(key, change["old"], lang), _setting_value(key, change["new"], lang))
            for entry in entries for key, change in entry["changes"].items()]
    return pd.DataFrame(rows, columns=columns)


def _setting_value(key: str, value, lang: str) -> str:
    """A stored setting as the log shows it: the words for 'latest' and 'auto', else the value itself."""
    if (key, value) in (("as_of", "latest"), ("locale", "auto")):
        return translate(f"settings_log_{key}_{value}", lang)
    return "" if value is None else str(value)


def _separator_text(name: str, lang: str) -> str:
    """A thousands separator as the reading options name it ('no-break space'), in ``lang``."""
    key = "upload_detected_" + name.replace(" ", "_").replace("-", "_")
    return translate(key, lang) if key in DETECTED_TEXT else name


DETECTED_TEXT = {
    "upload_detected_encoding": {"en": "encoding", "ru": "кодировка"},
    "upload_detected_delimiter": {"en": "delimiter", "ru": "разделитель"},
    "upload_detected_decimal": {"en": "decimal", "ru": "десятичный знак"},
    "upload_detected_sheet": {"en": "sheet", "ru": "лист"},
    "upload_detected_thousands": {"en": "thousands", "ru": "разряды"},
    "upload_detected_tab": {"en": "tab", "ru": "табуляция"},
    "upload_detected_space": {"en": "space", "ru": "пробел"},
    "upload_detected_no_break_space": {"en": "no-break space", "ru": "неразрывный пробел"},
    "upload_detected_narrow_no_break_space": {"en": "narrow no-break space", "ru": "узкий неразрывный пробел"},
    "upload_issue_row": {"en": "row", "ru": "строка"},
    "upload_issue_column": {"en": "column", "ru": "столбец"},
    "upload_issue_severity": {"en": "severity", "ru": "важность"},
    "upload_issue_message": {"en": "message", "ru": "сообщение"},
    "upload_severity_error": {"en": "error", "ru": "ошибка"},
    "upload_severity_warning": {"en": "warning", "ru": "предупреждение"},
    "upload_severity_info": {"en": "info", "ru": "сведения"},
    "settings_log": {"en": "Settings changes", "ru": "Изменения настроек"},
    "settings_log_empty": {"en": "The settings have not been changed since the log began.",
                           "ru": "С начала журнала настройки не менялись."},
    "settings_log_when": {"en": "When", "ru": "Когда"},
    "settings_log_who": {"en": "Who", "ru": "Кто"},
    "settings_log_setting": {"en": "Setting", "ru": "Настройка"},
    "settings_log_old": {"en": "Was", "ru": "Было"},
    "settings_log_new": {"en": "Now", "ru": "Стало"},
    "settings_log_key_company_name": {"en": "company name", "ru": "название компании"},
    "settings_log_key_currency": {"en": "currency", "ru": "валюта"},
    "settings_log_key_locale": {"en": "number and date format", "ru": "формат чисел и дат"},
    "settings_log_key_fiscal_year_start": {"en": "fiscal year start", "ru": "начало финансового года"},
    "settings_log_key_time_zone": {"en": "time zone", "ru": "часовой пояс"},
    "settings_log_key_as_of": {"en": "as-of date", "ru": "дата актуальности"},
    "settings_log_as_of_latest": {"en": "the latest data", "ru": "по последним данным"},
    "settings_log_locale_auto": {"en": "as the interface language", "ru": "как язык интерфейса"},
}
register_text(DETECTED_TEXT)
