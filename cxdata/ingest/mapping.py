"""From the extract's headers to the canonical columns: aliases in English and Russian, and the rules
of each loadable table (required columns, generated ids, value ranges).

Headers are compared after normalising: case, ``ё``/``е``, camelCase, and ``_ - . / ( ) # № :``
are ignored, so ``customerID``, ``Customer ID`` and ``customer_id`` are the same header. A header
the aliases do not know is reported as an extra column and kept out; the preset can map it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from cxdata.i18n import register_text
from cxdata.ingest.errors import PresetError
from cxdata.model.schema import TABLES

# Tables an analyst may load. meta (settings) and the rollups are maintained by the code.
LOADABLE_TABLES = ("customers", "transactions", "surveys", "complaints", "churn_events", "journey_events",
                   "journey_stages", "targets")

MODES = ("append", "replace", "upsert")  # how a load meets the stored rows: see cxdata.ingest.loading

# Columns that get a deterministic id when the file has none (hash of the row + occurrence).
GENERATED_KEYS = {"transactions": "transaction_id", "surveys": "response_id", "complaints": "complaint_id"}

_DATE = ("date", "datetime", "timestamp", "дата", "дата и время", "время")

_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer", "client", "client id", "customer number", "customer no", "cust id", "user id",
                    "account id", "клиент", "id клиента", "код клиента", "номер клиента", "клиент id", "покупатель",
                    "id покупателя", "абонент", "лицевой счет"),
    "signup_at": ("signup date", "sign up date", "registration date", "registered at", "created at", "first contact",
                  "first contact date", "дата регистрации", "дата первого контакта", "дата создания",
                  "дата привлечения"),
    "segment": ("customer segment", "tier", "сегмент", "сегмент клиента"),
    "region": ("area", "territory", "регион", "область", "округ"),
    "channel": ("source channel", "sales channel", "submitted via", "канал", "канал обращения", "канал продаж"),
    "acquisition_channel": ("utm source", "source", "lead source", "канал привлечения", "источник",
                            "источник привлечения"),
    "acquisition_cost": ("cac", "cost of acquisition", "стоимость привлечения", "затраты на привлечение"),
    "occurred_at": ("transaction date", "purchase date", "order date", "payment date", "event date", "event time",
                    "дата покупки", "дата операции", "дата транзакции", "дата заказа", "дата платежа",
                    "дата события", "время события"),
    "amount": ("sum", "total", "total amount", "revenue", "value", "payment", "price", "total charges", "сумма",
               "сумма покупки", "сумма операции", "сумма платежа", "стоимость", "выручка", "итого", "оплата"),
    "product": ("item", "sku", "service", "plan", "товар", "продукт", "услуга", "тариф", "наименование"),
    "transaction_id": ("transaction", "order id", "order number", "payment id", "receipt", "invoice",
                       "id транзакции", "номер транзакции", "номер операции", "id операции", "номер заказа",
                       "id заказа", "номер чека", "чек"),
    "response_id": ("response", "survey id", "answer id", "id ответа", "номер ответа", "номер анкеты", "анкета"),
    "responded_at": ("response date", "survey date", "submitted at", "answered at", "дата ответа", "дата опроса",
                     "дата анкеты"),
    "touchpoint": ("stage", "journey stage", "точка контакта", "этап", "этап пути"),
    "nps": ("nps score", "score", "rating", "likelihood to recommend", "recommend", "оценка", "оценка nps",
            "nps оценка", "готовность рекомендовать", "рекомендация"),
    "csat": ("csat score", "satisfaction", "удовлетворенность", "оценка удовлетворенности", "csat оценка"),
    "ces": ("ces score", "effort", "customer effort", "effort score", "усилия", "оценка усилий", "легкость"),
    "comment": ("comments", "feedback", "verbatim", "text", "комментарий", "отзыв", "текст", "текст отзыва"),
    "complaint_id": ("complaint", "ticket id", "ticket", "case id", "case number", "issue id", "id жалобы",
                     "номер жалобы", "номер обращения", "id обращения", "обращение", "номер тикета", "тикет"),
    "opened_at": ("opened", "created at", "date received", "received", "submitted", "дата обращения",
                  "дата жалобы", "дата создания", "дата регистрации обращения"),
    "resolved_at": ("closed at", "date closed", "resolution date", "closed", "resolved", "дата закрытия",
                    "дата решения", "закрыто", "решено"),
    "category": ("product", "issue", "topic", "reason", "категория", "тема", "причина обращения", "тип обращения",
                 "тематика"),
    "text": ("narrative", "description", "complaint text", "consumer complaint narrative", "message", "body",
             "текст", "текст жалобы", "описание", "суть обращения", "содержание"),
    "stage": ("event", "step", "этап", "событие", "шаг"),
    "position": ("order", "step number", "порядок", "номер этапа"),
    "label_en": ("label", "name en", "label english", "english"),
    "label_ru": ("name ru", "label russian", "russian", "название"),
    "churned_at": ("churn date", "cancellation date", "cancelled at", "canceled at", "дата оттока", "дата ухода",
                   "дата расторжения"),
    "reason": ("churn reason", "cancellation reason", "причина", "причина ухода", "причина оттока"),
    "metric": ("kpi", "метрика", "показатель"),
    "target_value": ("target", "goal", "цель", "целевое значение"),
    "valid_from": ("from", "start", "действует с", "с"),
    "valid_to": ("to", "end", "действует по", "по"),
}


# A survey scale written in a header, "CSAT (1-10)", "Оценка из 5": not part of the column's name.
_SCALE_WRITTEN = re.compile(r"[(\[]?\s*(?:\b[01]\s*(?:-|–|—|…|\.\.|to|до)\s*|(?:out of|из|/)\s*)(?:5|7|10)\b\s*[)\]]?",
                            re.IGNORECASE)


def normalize_header(text: str) -> str:
    """A header reduced to lowercase words.

    >>> [normalize_header(h) for h in ("customerID", "Дата_покупки", "ID клиента", "Consumer complaint narrative?")]
    ['customer id', 'дата покупки', 'id клиента', 'consumer complaint narrative']
    """
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text.strip())
    text = text.lower().replace("ё", "е")
    return re.sub(r"[\s_\-./()#№:?!\"'«»]+", " ", text).strip()


@dataclass(frozen=True)
class TableRules:
    """What a load into one table needs."""

    name: str
    columns: tuple[str, ...]
    types: dict[str, str]  # canonical column -> DuckDB type (without NOT NULL)
    required: tuple[str, ...]  # NOT NULL columns
    key: tuple[str, ...]
    generated_key: str | None

    def aliases(self) -> dict[str, str]:
        """Normalised alias -> canonical column, for this table's columns only."""
        table = TABLES[self.name]
        result: dict[str, str] = {}
        for column in self.columns:
            names = (column, *_ALIASES.get(column, ()))
            if column == table.date_column:
                names += _DATE
            if self.key == (column,) or column == self.generated_key:
                names += ("id", "номер")
            for name in names:
                result.setdefault(normalize_header(name), column)
        return result


def rules_for(table: str) -> TableRules:
    """The rules of a loadable table; ValueError names the loadable ones otherwise."""
    if table not in LOADABLE_TABLES:
        raise ValueError(f"cannot load table {table!r}; loadable tables: {', '.join(LOADABLE_TABLES)}")
    spec = TABLES[table]
    types = {name: sql_type.replace(" NOT NULL", "") for name, sql_type in spec.columns}
    required = tuple(name for name, sql_type in spec.columns if "NOT NULL" in sql_type)
    return TableRules(table, spec.column_names, types, required, spec.key, GENERATED_KEYS.get(table))


def suggest_mapping(table: str, headers) -> dict[str, str]:
    """Header -> canonical column, from the aliases; each column is taken by its first matching header.

    >>> suggest_mapping("transactions", ["Клиент", "Дата покупки", "Сумма", "Комментарий"])
    {'Клиент': 'customer_id', 'Дата покупки': 'occurred_at', 'Сумма': 'amount'}
    >>> suggest_mapping("surveys", ["ID клиента", "Дата", "Оценка", "CSAT"])
    {'ID клиента': 'customer_id', 'Дата': 'responded_at', 'Оценка': 'nps', 'CSAT': 'csat'}
    >>> suggest_mapping("surveys", ["CSAT (1-10)", "Усилия из 7"])
    {'CSAT (1-10)': 'csat', 'Усилия из 7': 'ces'}
    """
    aliases = rules_for(table).aliases()
    mapping: dict[str, str] = {}
    for header in headers:
        column = aliases.get(normalize_header(header)) or aliases.get(normalize_header(_SCALE_WRITTEN.sub(" ", header)))
        if column and column not in mapping.values():
            mapping[header] = column
    return mapping


def resolve_mapping(table: str, headers, preset_columns: dict[str, str | None],
                    constants: dict[str, str]) -> dict[str, str]:
    """The effective mapping: the preset's columns first, then aliases for the columns still free.

    A header the preset maps to ``None`` stays out; a column given as a constant takes no header.
    PresetError when the preset names a column that is not in the table or maps two headers to one.
    Linear in the number of headers and preset entries (sets, never a list searched per entry).
    """
    rules = rules_for(table)
    known = set(rules.columns)
    unknown = sorted({c for c in [*preset_columns.values(), *constants] if c is not None and c not in known})
    if unknown:
        raise PresetError("mapping_unknown_column", table=table, column=", ".join(unknown[:5]),
                          columns=", ".join(rules.columns))
    targets = Counter(c for c in preset_columns.values() if c is not None)
    doubled = sorted(c for c, n in targets.items() if n > 1)
    if doubled:
        raise PresetError("mapping_two_headers", columns=", ".join(doubled))
    clash = sorted(set(targets) & set(constants))
    if clash:
        raise PresetError("mapping_column_and_constant", columns=", ".join(clash))
    present = set(headers)
    mapping = {h: c for h, c in preset_columns.items() if c is not None and h in present}
    taken = set(mapping.values()) | set(constants)
    free_headers = [h for h in headers if h not in preset_columns]
    for header, column in suggest_mapping(table, free_headers).items():
        if column not in taken:
            mapping[header] = column
            taken.add(column)
    return mapping


TEXT = {
    "preset_other_table": {"en": "This mapping preset was made for {preset_table}, not {table}; pick a preset of {table}.",
                           "ru": "Этот пресет сопоставления сделан для {preset_table}, а не для {table}; выберите пресет для {table}."},
    "mode_upsert_without_key": {"en": "{table} has no key, so rows cannot be matched for upsert; use append or replace.",
                                "ru": "У {table} нет ключа, строки нельзя сопоставить для upsert; используйте append или replace."},
    "preset_skip_unknown": {"en": "\"skip_rows_missing\" names columns {table} does not have: {columns}.",
                            "ru": "В «skip_rows_missing» указаны столбцы, которых нет в {table}: {columns}."},
    "mapping_unknown_column": {"en": "The mapping names {column}, which {table} does not have; its columns: {columns}.",
                               "ru": "В сопоставлении указан столбец {column}, которого нет в {table}; её столбцы: {columns}."},
    "mapping_two_headers": {"en": "The mapping sends two columns of the file to the same column: {columns}.",
                            "ru": "Сопоставление направляет два столбца файла в один и тот же столбец: {columns}."},
    "mapping_column_and_constant": {"en": "Columns both mapped and given as constants: {columns}; keep one of the two.",
                                    "ru": "Столбцы и сопоставлены, и заданы константой: {columns}; оставьте что-то одно."},
}
register_text(TEXT)
