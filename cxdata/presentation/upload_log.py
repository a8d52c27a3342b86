"""The upload log as the Upload page shows it: what was loaded, when (to the minute), by whom.

The log itself (``cxdata.ingest.log``) keeps everything an audit needs (file and mapping digests,
microsecond timestamps, the mapping); the page shows what a reader can use, in their language.
"""

from __future__ import annotations

import pandas as pd

from cxdata.i18n import register_text, translate
from cxdata.presentation.upload_view import table_name

register_text({
    "upload_log_col_id": {"en": "Upload", "ru": "Загрузка"},
    "upload_log_col_when": {"en": "When", "ru": "Когда"},
    "upload_log_col_who": {"en": "Who", "ru": "Кто"},
    "upload_log_col_table": {"en": "Table", "ru": "Таблица"},
    "upload_log_col_file": {"en": "File", "ru": "Файл"},
    "upload_log_col_mode": {"en": "Mode", "ru": "Режим"},
    "upload_log_col_status": {"en": "Status", "ru": "Состояние"},
    "upload_log_col_rows_loaded": {"en": "Rows loaded", "ru": "Загружено строк"},
    "upload_log_col_rows_rejected": {"en": "Rows rejected", "ru": "Отклонено строк"},
    "upload_log_col_undone": {"en": "Undone", "ru": "Отменена"},
    "upload_log_status_loaded": {"en": "loaded", "ru": "загружена"},
    "upload_log_status_undone": {"en": "undone", "ru": "отменена"},
    "upload_log_status_rejected": {"en": "rejected", "ru": "отклонена"},
    "upload_log_mode_append": {"en": "append", "ru": "добавление"},
    "upload_log_mode_upsert": {"en": "update by key", "ru": "обновление по ключу"},
    "upload_log_mode_replace": {"en": "replace", "ru": "замена"},
})  # fmt: skip


def build_upload_log_table(log: list[dict], lang: str) -> pd.DataFrame:
    """One row per upload of ``log`` (``read_log_as_seen`` entries), columns named in ``lang``;
    times to the minute; a status or mode without a name here is shown as stored.

    >>> table = build_upload_log_table([{"upload_id": 2, "uploaded_at": "2026-12-07 10:02:03.512", "uploaded_by": "ann",
    ...     "table_name": "surveys", "file_name": "a.csv", "mode": "append", "status": "undone", "rows_loaded": 10,
    ...     "rows_rejected": 0, "file_sha256": "ab12", "undone_at": "2026-12-08 09:00:00.1", "undone_by": "bob"}], "ru")
    >>> list(table.columns[:4]), [str(value) for value in table.iloc[0]]
    (['Загрузка', 'Когда', 'Кто', 'Таблица'], ['2', '2026-12-07 10:02', 'ann', 'ответы на опросы', 'a.csv', 'добавление', 'отменена', '10', '0', '2026-12-08 09:00 · bob'])
    """
    rows = []
    for entry in log:
        undone = " · ".join(part for part in (_minute(entry.get("undone_at")), entry.get("undone_by") or "") if part)
        rows.append({
            "id": entry.get("upload_id"), "when": _minute(entry.get("uploaded_at")), "who": entry.get("uploaded_by"),
            "table": table_name(entry["table_name"], lang) if entry.get("table_name") else "—",
            "file": entry.get("file_name") or "—",
            "mode": _word("upload_log_mode", entry.get("mode"), lang),
            "status": _word("upload_log_status", entry.get("status"), lang),
            "rows_loaded": entry.get("rows_loaded"), "rows_rejected": entry.get("rows_rejected"),
            "undone": undone,
        })  # fmt: skip
    columns = ("id", "when", "who", "table", "file", "mode", "status", "rows_loaded", "rows_rejected", "undone")
    return pd.DataFrame(rows, columns=list(columns)).rename(
        columns={name: translate(f"upload_log_col_{name}", lang) for name in columns})


def _minute(value) -> str:
    return str(value)[:16] if value else ""


def _word(prefix: str, value, lang: str) -> str:
    key = f"{prefix}_{value}"
    try:
        return translate(key, lang)
    except KeyError:
        return str(value or "")
