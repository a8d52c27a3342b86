"""The data health page as plain frames and texts (no Streamlit, no database)."""

from __future__ import annotations

import pandas as pd

from cxdata.engine.coverage import column_words, table_label
from cxdata.i18n import format_date, format_number, register_text, translate
from cxdata.questions.health import TableHealth, describe_gap


def build_tables_frame(health: list[TableHealth], lang: str) -> pd.DataFrame:
    """One row per table: rows, date range, share linked to a known customer, columns never filled."""
    rows = []
    for h in health:
        share = h.linked_share
        rows.append({
            translate("health_table", lang): table_label(h.table, lang),
            translate("health_rows", lang): format_number(h.rows, lang),
            translate("health_from", lang): format_date(h.first.date(), lang) if h.first else "—",
            translate("health_to", lang): format_date(h.last.date(), lang) if h.last else "—",
            translate("health_linked", lang): "—" if share is None else f"{format_number(share, lang, 1)}%",
            translate("health_never_filled", lang): ", ".join(column_words(h.table, c, lang) for c in h.never_filled)
            or "—",
        })  # fmt: skip
    return pd.DataFrame(rows)


def build_missing_frame(health: list[TableHealth], lang: str) -> pd.DataFrame:
    """One row per missing piece: what is missing, what it switches off, what to load."""
    rows = []
    for h in health:
        for gap in h.gaps():
            described = describe_gap(gap, lang)
            rows.append({
                translate("health_missing", lang): described["reason"],
                translate("health_switches_off", lang): described["switches_off_text"],
                translate("health_remedy", lang): described["remedy"],
            })  # fmt: skip
    return pd.DataFrame(rows)


def build_variants_frame(health: list[TableHealth], lang: str) -> pd.DataFrame:
    """One row per group of values that differ only by case or spacing (most frequent first)."""
    rows = [
        {
            translate("health_table", lang): table_label(h.table, lang),
            translate("health_column", lang): column_words(h.table, column, lang),
            translate("health_values", lang): " · ".join(f"«{value}»" for value in group),
        }
        for h in health
        for column, groups in h.variants.items()
        for group in groups
    ]
    return pd.DataFrame(rows)


register_text({
    "health_intro": {
        "en": "What each table holds, what is missing and which numbers that switches off.",
        "ru": "Что есть в каждой таблице, чего не хватает и какие показатели из-за этого недоступны.",
    },
    "health_table": {"en": "Table", "ru": "Таблица"},
    "health_rows": {"en": "Rows", "ru": "Строк"},
    "health_from": {"en": "From", "ru": "С"},
    "health_to": {"en": "To", "ru": "По"},
    "health_linked": {"en": "Linked to a known customer", "ru": "Связано с известным клиентом"},
    "health_never_filled": {"en": "Never filled", "ru": "Не заполнено"},
    "health_section_missing": {"en": "What is missing", "ru": "Чего не хватает"},
    "health_missing": {"en": "Missing", "ru": "Не хватает"},
    "health_switches_off": {"en": "Not available because of it", "ru": "Из-за этого недоступно"},
    "health_remedy": {"en": "What to do", "ru": "Что сделать"},
    "health_nothing_missing": {
        "en": "Every table has rows and every column holds data.",
        "ru": "Во всех таблицах есть строки, и все столбцы заполнены.",
    },
    "health_section_variants": {
        "en": "Values that differ only by case or spacing", "ru": "Значения, различающиеся только регистром или пробелами",
    },
    "health_variants_note": {
        "en": "Each group is counted as separate values in filters and charts; the most frequent spelling comes first.",
        "ru": "Каждая группа считается разными значениями в фильтрах и графиках; первым идёт самое частое написание.",
    },
    "health_column": {"en": "Column", "ru": "Столбец"},
    "health_values": {"en": "Values", "ru": "Значения"},
    "health_no_variants": {"en": "No such values.", "ru": "Таких значений нет."},
    "health_no_access": {
        "en": "The data health view is for analysts and admins.",
        "ru": "Состояние данных доступно аналитикам и администраторам.",
    },
})
