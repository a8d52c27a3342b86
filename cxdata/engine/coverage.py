"""Coverage: which columns of the database hold any data, and so which numbers can be shown.

A metric is made of the "table.column"s its registry entry ``needs``
(``cxdata.model.registry``). When one of them has no rows at all (no churn events loaded) or was
never filled (complaints without a resolution date), the metric is not available: its value is
None with a ``Gap`` that says why and what to load — never a confident 0% or 100% computed from
nothing. ``fetch_coverage`` reads the counts once per data version: one aggregate per table. A
number computed per slice (an acquisition channel of the unit economics) can miss its data in
that slice alone: its ``Gap`` names the slice (``within``) and the others keep their numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cxdata.i18n import register_text, translate
from cxdata.model.registry import needs_of
from cxdata.model.schema import TABLES

# The tables data is loaded into (``meta`` holds settings, not data).
DATA_TABLES = tuple(name for name in TABLES if name != "meta")


@dataclass(frozen=True)
class Gap:
    """A missing piece: ``table`` has no rows (``column`` None), or its ``column`` is never filled;
    with ``within``, only the rows of one slice of the selection miss it ("channel": the acquisition
    channel of a table row; "selection": the whole selection, when the database has it elsewhere)."""

    table: str
    column: str | None = None
    within: str | None = None

    def reason(self, lang: str) -> str:
        """'no churn events loaded', 'no acquisition costs loaded', 'no acquisition costs for this channel'."""
        if self.within is not None:
            return translate(f"gap_{self.within}_{self.table}_{self.column}", lang)
        if self.column is None:
            return translate(f"gap_rows_{self.table}", lang)
        key = f"gap_column_{self.table}_{self.column}"
        if key in GAP_TEXT:
            return translate(key, lang)
        return translate("gap_column", lang, column=column_words(self.table, self.column, lang),
                         table=table_label(self.table, lang))  # fmt: skip

    def remedy(self, lang: str) -> str:
        """What to load: 'load churn events', 'load customers with their acquisition cost'."""
        if self.within is not None:
            return translate(f"gap_{self.within}_remedy_{self.table}_{self.column}", lang)
        if self.column is None:
            return translate("gap_load_table", lang, table=table_words(self.table, lang))
        return translate("gap_load_column", lang, table=table_words(self.table, lang),
                         column=column_words(self.table, self.column, lang))  # fmt: skip

    def text(self, lang: str) -> str:
        """The whole message shown in place of a number."""
        return translate("not_available", lang, reason=self.reason(lang), remedy=self.remedy(lang))


@dataclass(frozen=True)
class Unmeasurable:
    """A number the loaded data cannot give for this selection although nothing is missing from the
    database: its answers mix CES scales, nobody in a class was a customer on the period's first
    day. Says why and what to do as a ``Gap`` does; ``key`` names its texts (``GAP_TEXT``)."""

    key: str

    def reason(self, lang: str) -> str:
        return translate(f"unmeasurable_{self.key}", lang)

    def remedy(self, lang: str) -> str:
        return translate(f"unmeasurable_{self.key}_remedy", lang)

    def text(self, lang: str) -> str:
        return translate("not_available", lang, reason=self.reason(lang), remedy=self.remedy(lang))


@dataclass(frozen=True)
class Coverage:
    """Rows per table and filled (non-null) values per "table.column", for the whole database."""

    rows: dict[str, int] = field(default_factory=dict)
    filled: dict[str, int] = field(default_factory=dict)

    def gap_in(self, need: str) -> Gap | None:
        """The gap that makes ``need`` ("table.column") unusable, or None when it holds data."""
        table, column = need.split(".")
        if not self.rows.get(table, 0):
            return Gap(table)
        if not self.filled.get(need, 0):
            return Gap(table, column)
        return None

    def gap_of(self, name: str) -> Gap | None:
        """The first gap among what the metric or named measure ``name`` needs, None if it has all."""
        for need in needs_of(name):
            gap = self.gap_in(need)
            if gap is not None:
                return gap
        return None

    def never_filled(self, table: str) -> list[str]:
        """The columns of a table with rows that hold no value at all."""
        if not self.rows.get(table, 0):
            return []
        return [column for column in TABLES[table].column_names if not self.filled.get(f"{table}.{column}", 0)]


def fetch_coverage(db, tables=DATA_TABLES) -> Coverage:
    """Rows and filled values of the data ``tables`` (default: all): one aggregate query per table,
    on any Ibis backend."""
    rows, filled = {}, {}
    for name in sorted(tables, key=DATA_TABLES.index):
        table = db.table(name)
        columns = [column for column in TABLES[name].column_names if column in table.columns]
        counts = table.aggregate(
            __rows=table.count(), **{f"c{index}": table[column].count() for index, column in enumerate(columns)}
        ).execute()
        rows[name] = int(counts["__rows"].iloc[0])
        for index, column in enumerate(columns):
            filled[f"{name}.{column}"] = int(counts[f"c{index}"].iloc[0])
    return Coverage(rows=rows, filled=filled)


# --- words ---------------------------------------------------------------------------------------

TABLE_WORDS = {
    "customers": ("customers", "клиентов", "клиенты"),
    "journey_stages": ("journey stages", "этапы пути клиента", "этапы пути клиента"),
    "journey_events": ("journey events", "события пути клиента", "события пути клиента"),
    "surveys": ("survey answers", "ответы на опросы", "ответы на опросы"),
    "transactions": ("transactions", "транзакции", "транзакции"),
    "complaints": ("complaints", "жалобы", "жалобы"),
    "churn_events": ("churn events", "события оттока", "события оттока"),
    "targets": ("targets", "цели", "цели"),
}
COLUMN_WORDS = {
    "customer_id": ("customer IDs", "идентификаторы клиентов"),
    "signup_at": ("first-contact dates", "даты первого контакта"),
    "segment": ("segments", "сегменты"),
    "region": ("regions", "регионы"),
    "channel": ("channels", "каналы"),
    "acquisition_channel": ("acquisition channels", "каналы привлечения"),
    "acquisition_cost": ("acquisition costs", "стоимость привлечения"),
    "nps": ("NPS scores", "оценки NPS"),
    "csat": ("CSAT scores", "оценки CSAT"),
    "ces": ("CES scores", "оценки CES"),
    "touchpoint": ("touchpoints", "точки контакта"),
    "comment": ("comments", "комментарии"),
    "product": ("products", "продукты"),
    "amount": ("amounts", "суммы"),
    "resolved_at": ("resolution dates", "даты решения"),
    "category": ("categories", "категории"),
    "text": ("texts", "тексты"),
    "reason": ("reasons", "причины"),
    "valid_to": ("end dates", "даты окончания"),
    "label_en": ("English labels", "английские названия"),
    "label_ru": ("Russian labels", "русские названия"),
    "stage": ("stages", "этапы"),
    "position": ("positions", "порядковые номера"),
    "occurred_at": ("dates", "даты"),
    "response_id": ("response IDs", "идентификаторы ответов"),
    "responded_at": ("answer dates", "даты ответов"),
    "transaction_id": ("transaction IDs", "идентификаторы транзакций"),
    "complaint_id": ("complaint IDs", "идентификаторы жалоб"),
    "opened_at": ("opening dates", "даты открытия"),
    "churned_at": ("churn dates", "даты оттока"),
    "metric": ("metrics", "показатели"),
    "target_value": ("target values", "целевые значения"),
    "valid_from": ("start dates", "даты начала"),
}


def table_words(table: str, lang: str) -> str:
    """The table as a reader says it ('churn events'; RU in the accusative after 'загрузите')."""
    en, ru_accusative, _ = TABLE_WORDS.get(table, (table, table, table))
    return ru_accusative if lang == "ru" else en


def table_label(table: str, lang: str) -> str:
    """The table's name as a heading ('churn events', 'события оттока')."""
    en, _, ru = TABLE_WORDS.get(table, (table, table, table))
    return ru if lang == "ru" else en


def column_words(table: str, column: str, lang: str) -> str:
    en, ru = COLUMN_WORDS[column]
    return ru if lang == "ru" else en


GAP_TEXT = {
    **{
        f"gap_rows_{table}": {"en": f"no {en} loaded", "ru": f"{ru} не загружены"}
        for table, (en, _, ru) in TABLE_WORDS.items()
    },
    "gap_column_complaints_resolved_at": {
        "en": "no complaint has a resolution date", "ru": "ни у одной жалобы нет даты решения",
    },
    "gap_column_customers_acquisition_cost": {
        "en": "no acquisition costs loaded", "ru": "стоимость привлечения не загружена",
    },
    "gap_column_transactions_customer_id": {
        "en": "no transaction is linked to a customer", "ru": "ни одна транзакция не связана с клиентом",
    },
    "gap_column": {"en": "the {table} have no {column}", "ru": "{table}: не заполнены {column}"},
    # Within one slice (``Gap.within``): the pieces a per-slice number can miss there alone.
    "gap_channel_customers_acquisition_cost": {
        "en": "no acquisition costs for this channel", "ru": "для этого канала нет стоимости привлечения",
    },
    "gap_channel_remedy_customers_acquisition_cost": {
        "en": "load acquisition costs for it", "ru": "загрузите для него стоимость привлечения",
    },
    "gap_selection_customers_acquisition_cost": {
        "en": "no acquisition costs in this selection", "ru": "в этом выборе нет стоимости привлечения",
    },
    "gap_selection_remedy_customers_acquisition_cost": {
        "en": "load acquisition costs for its customers", "ru": "загрузите стоимость привлечения для его клиентов",
    },
    "gap_partial_customers_acquisition_cost": {
        "en": "some channels of this selection have no acquisition costs",
        "ru": "у части каналов этого выбора нет стоимости привлечения",
    },
    "gap_partial_remedy_customers_acquisition_cost": {
        "en": "load acquisition costs for every channel, or filter to the channels that have them",
        "ru": "загрузите стоимость привлечения для всех каналов или выберите каналы, где она есть",
    },
    "gap_load_table": {"en": "load {table}", "ru": "загрузите {table}"},
    "gap_load_column": {"en": "load {table} with {column}", "ru": "загрузите {table} с заполненным полем «{column}»"},
    "unmeasurable_ces_scales_mixed": {
        "en": "the selected answers mix CES scales", "ru": "выбранные ответы даны по разным шкалам CES",
    },
    "unmeasurable_ces_scales_mixed_remedy": {
        "en": "narrow the period or filters to answers on one scale",
        "ru": "сузьте период или фильтры до ответов по одной шкале",
    },
    "unmeasurable_none_active_at_start": {
        "en": "none of them was a customer on the period's first day",
        "ru": "никто из них не был клиентом в первый день периода",
    },
    "unmeasurable_none_active_at_start_remedy": {
        "en": "retention follows the customers of the first day: choose an earlier start",
        "ru": "удержание считается по клиентам первого дня: выберите более раннее начало",
    },
    "not_available": {"en": "not available: {reason} — {remedy}", "ru": "нет данных: {reason} — {remedy}"},
    "not_available_short": {"en": "not available", "ru": "недоступно"},
}
register_text(GAP_TEXT)
