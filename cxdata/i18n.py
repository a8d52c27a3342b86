"""UI language: translated strings and locale-aware number and date formatting (EN / RU)."""

from __future__ import annotations

import math
from contextvars import ContextVar
from datetime import date

LANGUAGES = ("en", "ru")
NBSP = "\u00a0"

# Workspace locales: (thousands separator, decimal separator, day as numbers, date_input format).
# "auto" (the default) follows the interface language instead (see ``cxdata.model.workspace``).
LOCALES = {
    "en-US": (",", ".", "{m:02d}/{d:02d}/{y}", "MM/DD/YYYY"),
    "en-GB": (",", ".", "{d:02d}/{m:02d}/{y}", "DD/MM/YYYY"),
    "ru-RU": (NBSP, ",", "{d:02d}.{m:02d}.{y}", "DD.MM.YYYY"),
    "de-DE": (".", ",", "{d:02d}.{m:02d}.{y}", "DD.MM.YYYY"),
}
_LOCALE: ContextVar[str] = ContextVar("workspace_locale", default="auto")


def use_locale(locale: str) -> None:
    """Format numbers and dates by ``locale`` (a key of ``LOCALES``, else "auto") in this thread
    from now on; the dashboard sets it from the workspace settings at the start of every run."""
    _LOCALE.set(locale if locale in LOCALES else "auto")


def current_locale() -> str:
    return _LOCALE.get()


def plotly_separators(lang: str) -> str:
    """Plotly's ``layout.separators`` (decimal, then thousands) for the current locale (auto: by language)."""
    locale = LOCALES.get(current_locale())
    if locale:
        return locale[1] + (" " if locale[0] == NBSP else locale[0])
    return ", " if lang == "ru" else ".,"


def plotly_day_format(lang: str) -> str:
    """A day in a chart's hover label, in the current locale's order; auto: as ``format_date``
    writes it in English (31 Dec 2025; plotly names months in English only), 31.12.2025 in Russian."""
    locale = LOCALES.get(current_locale())
    if locale:
        return locale[2].replace("{d:02d}", "%d").replace("{m:02d}", "%m").replace("{y}", "%Y")
    return "%d.%m.%Y" if lang == "ru" else "%-d %b %Y"


def date_input_format(lang: str) -> str:
    """The date picker's format for the current locale (auto: by language)."""
    locale = LOCALES.get(current_locale())
    return locale[3] if locale else ("DD.MM.YYYY" if lang == "ru" else "YYYY-MM-DD")

_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "ru": ("янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"),
}

# A month on its own (a chart's tick, "май 2025"), where Russian takes the nominative case.
_MONTHS_ALONE = {"en": _MONTHS["en"], "ru": ("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")}


def format_month(year: int, month: int, lang: str) -> str:
    """A month as a chart's tick reads it.

    >>> format_month(2025, 7, "ru"), format_month(2025, 5, "ru"), format_month(2025, 12, "en")
    ('июл 2025', 'май 2025', 'Dec 2025')
    """
    return f"{_MONTHS_ALONE[lang if lang in _MONTHS_ALONE else 'en'][month - 1]} {year}"


TEXT: dict[str, dict[str, str]] = {
    "app_title": {"en": "CX dashboard", "ru": "CX-дашборд"},
    "language": {"en": "Language", "ru": "Язык"},
    "filters": {"en": "Filters", "ru": "Фильтры"},
    "period": {"en": "Period", "ru": "Период"},
    "dates": {"en": "Dates", "ru": "Даты"},
    "pick_end_date": {"en": "Pick the end date of the range.", "ru": "Выберите дату окончания периода."},
    "segment": {"en": "Segment", "ru": "Сегмент"},
    "region": {"en": "Region", "ru": "Регион"},
    "channel": {"en": "Channel", "ru": "Канал"},
    "acquisition_channel": {"en": "Acquisition channel", "ru": "Канал привлечения"},
    "all": {"en": "all", "ru": "все"},
    "reset_filters": {"en": "Reset filters", "ru": "Сбросить фильтры"},
    "preset_last_30": {"en": "Last 30 days", "ru": "Последние 30 дней"},
    "preset_last_quarter": {"en": "Last 3 months", "ru": "Последние 3 месяца"},
    "preset_last_6m": {"en": "Last 6 months", "ru": "Последние 6 месяцев"},
    "preset_last_12m": {"en": "Last 12 months", "ru": "Последние 12 месяцев"},
    "preset_this_fy": {"en": "This fiscal year", "ru": "Текущий финансовый год"},
    "preset_last_fy": {"en": "Last fiscal year", "ru": "Прошлый финансовый год"},
    "preset_all": {"en": "All time", "ru": "Всё время"},
    "preset_custom": {"en": "Custom range", "ru": "Свой период"},
    "page_overview": {"en": "Overview", "ru": "Обзор"},
    "page_journey": {"en": "Customer journey", "ru": "Путь клиента"},
    "page_money": {"en": "CX and money", "ru": "CX и деньги"},
    "page_upload": {"en": "Upload data", "ru": "Загрузка данных"},
    "page_health": {"en": "Data health", "ru": "Состояние данных"},
    "page_outlook": {"en": "Outlook", "ru": "Прогноз"},
    "page_complaints": {"en": "Complaints", "ru": "Жалобы"},
    "page_voice": {"en": "What customers write", "ru": "О чём пишут клиенты"},
    "page_maturity": {"en": "CEM maturity", "ru": "Зрелость управления опытом"},
    "local_mode_badge": {
        "en": "Local mode: one user on this machine ({user}, {role}); no login configured.",
        "ru": "Локальный режим: один пользователь на этом компьютере ({user}, {role}); вход не настроен.",
    },
    "signed_in_badge": {"en": "Signed in as {user} ({role})", "ru": "Вход: {user} ({role})"},
    "role_viewer": {"en": "viewer", "ru": "просмотр"},
    "role_analyst": {"en": "analyst", "ru": "аналитик"},
    "role_admin": {"en": "admin", "ru": "администратор"},
    "data_as_of": {"en": "Data as of {date}", "ru": "Данные на {date}"},
    "compared_with": {"en": "compared with {period}", "ru": "в сравнении с {period}"},
    "empty_selection": {
        "en": "No data for this selection ({caption}). Widen the period or remove some filters.",
        "ru": "Нет данных для этого выбора ({caption}). Расширьте период или уберите часть фильтров.",
    },
    "small_sample": {"en": "small sample", "ru": "мала выборка"},
    "n_equals": {"en": "n = {n}", "ru": "n = {n}"},
    "target_met": {"en": "target {target} met", "ru": "цель {target} достигнута"},
    "target_missed": {"en": "target {target} missed", "ru": "цель {target} не достигнута"},
    "no_target": {"en": "no target set", "ru": "цель не задана"},
    "no_value": {"en": "no data", "ru": "нет данных"},
    "interval": {"en": "95% interval {low} … {high}", "ru": "95% интервал {low} … {high}"},
    "formula": {"en": "Formula", "ru": "Формула"},
    "scale": {"en": "Scale", "ru": "Шкала"},
    # The scale the selected answers share (a CES tile): its range, top = least effort.
    "answer_scale": {"en": "scale {low}–{high}", "ru": "шкала {low}–{high}"},
    "ces_scale_range": {"en": "{low} … {high} ({high} = easiest)", "ru": "{low} … {high} ({high} = легче всего)"},
    "sample": {"en": "Sample", "ru": "Выборка"},
    "trends": {"en": "Trends", "ru": "Динамика"},
    "headline_title": {"en": "What changed most", "ru": "Что изменилось сильнее всего"},
    "headline_change": {
        "en": "{metric} {direction} from {previous} to {current} vs the previous period ({period}).",
        "ru": "{metric}: {direction} с {previous} до {current} к предыдущему периоду ({period}).",
    },
    "rose": {"en": "rose", "ru": "рост"},
    "fell": {"en": "fell", "ru": "снижение"},
    "headline_no_change": {
        "en": "No metric changed notably vs the previous period ({period}).",
        "ru": "Ни один показатель заметно не изменился к предыдущему периоду ({period}).",
    },
    "headline_missed_targets": {
        "en": "Below target: {metrics}.",
        "ru": "Ниже цели: {metrics}.",
    },
    "caption_all_data": {"en": "all customers", "ru": "все клиенты"},
    "dates_reversed": {
        "en": "The dates in this link were reversed (the end before the start): showing {start} – {end}. "
              "Pick the dates above to change them.",
        "ru": "Даты в ссылке были перепутаны (конец раньше начала): показан период {start} – {end}. "
              "Выберите даты выше, чтобы изменить его.",
    },
    "dates_clamped": {
        "en": "The link asked for {asked}; the data covers {data}, so shown: {shown}.",
        "ru": "Ссылка запрашивала период {asked}; данные есть за {data}, поэтому показан период {shown}.",
    },
    "dates_outside_data": {
        "en": "The link asked for {asked}, when there is no data (the data covers {data}); it was ignored, shown: {shown}.",
        "ru": "Ссылка запрашивала период {asked}, за который нет данных (данные есть за {data}); он не применён, показан период {shown}.",
    },
    "dates_unreadable": {
        "en": "The dates in this link ({asked}) could not be read; they were ignored, shown: {shown}.",
        "ru": "Даты в ссылке ({asked}) не удалось прочитать; они не применены, показан период {shown}.",
    },
    "sample_badge": {
        "en": "Sample data: generated for demonstration, not your company's numbers.",
        "ru": "Демонстрационные данные: сгенерированы для примера, это не цифры вашей компании.",
    },
    "cohort_age_note": {
        "en": "recent customers have had less time to spend",
        "ru": "у недавних клиентов было меньше времени на покупки",
    },
    "partial_period": {"en": "partial period", "ru": "неполный период"},
    "anonymous_part_share": {
        "en": "of which {value} ({share}) anonymous — loaded without a customer",
        "ru": "в том числе {value} ({share}) анонимно — загружено без клиента",
    },
    "anonymous_part": {
        "en": "of which {value} anonymous — loaded without a customer",
        "ru": "в том числе {value} анонимно — загружено без клиента",
    },
    "building_sample": {
        "en": "First start: building the sample database (a few seconds)…",
        "ru": "Первый запуск: создаём демонстрационную базу (несколько секунд)…",
    },
}


# Display names of dimension values (what the data holds -> what the reader sees), one place for
# every screen: filters, captions, legends, axes, tables. The keys are the values of the sample; a
# customer's own values fall back to ``readable_value``. Values are names, not codes, in both
# languages ("Mobile app", not "mobile_app"); complaint categories and churn reasons share one
# vocabulary ("payment_failed" is both).
VALUE_NAMES: dict[str, dict[str, tuple[str, str]]] = {
    "segment": {
        "Retail": ("Retail", "Розница"), "Premium": ("Premium", "Премиум"), "SMB": ("SMB", "МСБ"),
    },
    "region": {
        "Central": ("Central", "Центр"), "North-West": ("North-West", "Северо-Запад"),
        "Volga": ("Volga", "Поволжье"), "Ural": ("Ural", "Урал"), "Siberia": ("Siberia", "Сибирь"),
    },
    "channel": {
        "web": ("Web", "Сайт"), "mobile_app": ("Mobile app", "Мобильное приложение"),
        "call_centre": ("Call centre", "Колл-центр"), "branch": ("Branch", "Отделение"),
    },
    "acquisition_channel": {
        "organic": ("Organic", "Органика"), "referral": ("Referral", "Рекомендации"),
        "social": ("Social", "Соцсети"), "paid_search": ("Paid search", "Платный поиск"),
        "partners": ("Partners", "Партнёры"), "offline_ads": ("Offline ads", "Офлайн-реклама"),
    },
    "reason": {
        "registration_too_complex": ("Registration too complex", "Сложная регистрация"),
        "just_browsing": ("Just browsing", "Просто смотрели"), "price": ("Price", "Цена"),
        "payment_failed": ("Payment failed", "Сбой оплаты"), "changed_mind": ("Changed their mind", "Передумали"),
        "poor_service": ("Poor service", "Плохой сервис"), "product_quality": ("Product quality", "Качество продукта"),
        "payment_problems": ("Payment problems", "Проблемы с оплатой"),
        "competitor": ("Went to a competitor", "Ушли к конкуренту"),
        "no_longer_needed": ("No longer needed", "Больше не нужно"), "not_stated": ("Not stated", "Не указано"),
        "registration_problem": ("Registration problem", "Проблема с регистрацией"),
        "billing": ("Billing", "Списания и счета"), "delivery_delay": ("Delivery delay", "Задержка доставки"),
        "staff_rudeness": ("Staff rudeness", "Грубость персонала"),
    },
}  # fmt: skip
VALUE_NAMES["category"] = VALUE_NAMES["reason"]  # complaint categories
# A customer without the attribute (cxdata.model.filters.UNKNOWN), and a reason nobody gave.
_UNKNOWN_NAME = ("Unknown", "Неизвестно")


def readable_value(value: object, lang: str) -> str:
    """A value without a display name, as readable as it can be made without guessing a
    translation: underscores become spaces; in English a lower-case value starts with a capital.
    In Russian the value stays as loaded otherwise (it is the customer's own word, in whatever
    language their systems use).

    >>> readable_value("late_refund", "en"), readable_value("late_refund", "ru"), readable_value("SMB_north", "en")
    ('Late refund', 'late refund', 'SMB north')
    """
    text = " ".join(str(value).replace("_", " ").split())
    if lang == "en" and text[:1].islower():
        text = text[:1].upper() + text[1:]
    return text


def display_name(dimension: str, value: object, lang: str) -> str:
    """The name of ``value`` of ``dimension`` (segment, region, channel, acquisition_channel,
    category, reason) in ``lang``; see ``VALUE_NAMES`` and ``readable_value``.

    >>> display_name("channel", "mobile_app", "ru"), display_name("region", "Siberia", "en")
    ('Мобильное приложение', 'Siberia')
    >>> display_name("channel", "Unknown", "ru"), display_name("segment", "Gold_plus", "ru")
    ('Неизвестно', 'Gold plus')
    """
    names = VALUE_NAMES.get(dimension, {}).get(value)
    if names is None and value in ("Unknown", "unknown"):
        names = _UNKNOWN_NAME
    if names is None:
        return readable_value(value, lang)
    return names[1] if lang == "ru" else names[0]


def register_text(entries: dict[str, dict[str, str]]) -> None:
    """Add a feature module's UI strings (key -> {"en": ..., "ru": ...}); a key may not change meaning."""
    clashes = sorted(key for key in entries if key in TEXT and TEXT[key] != entries[key])
    if clashes:
        raise ValueError(f"UI string keys already defined: {', '.join(clashes)}")
    TEXT.update(entries)


def translate(key: str, lang: str, **values: object) -> str:
    """The UI string ``key`` in ``lang`` (English when a translation is missing), formatted."""
    entry = TEXT[key]
    return entry.get(lang, entry["en"]).format(**values)


class WordedError(ValueError):
    """A refused value or argument whose message is a UI string: ``message(lang)`` in the reader's
    language, ``str()`` in English (for logs and callers that do not translate)."""

    def __init__(self, text_key: str, **values: object):
        self.text_key, self.values = text_key, values
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        return translate(self.text_key, lang, **self.values)


def format_number(value: float | None, lang: str, decimals: int = 0) -> str:
    """Thousands and decimal separators of the workspace locale, else of the language (ru: no-break
    spaces, decimal comma).

    >>> format_number(-1234567.85, "en", 1), format_number(1234567.85, "ru", 1).replace(NBSP, " ")
    ('−1,234,567.9', '1 234 567,9')
    >>> format_number(None, "en")
    '—'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:,.{decimals}f}"
    locale = LOCALES.get(current_locale())
    group, decimal = locale[:2] if locale else ((NBSP, ",") if lang == "ru" else (",", "."))
    if (group, decimal) != (",", "."):
        text = text.replace(",", "\0").replace(".", decimal).replace("\0", group)
    return text.replace("-", "−")


_COMPACT = {"en": ((1e9, "bn"), (1e6, "M"), (1e3, "k")), "ru": ((1e9, "млрд"), (1e6, "млн"), (1e3, "тыс."))}


def format_compact(value: float | None, lang: str, decimals: int = 1, scale_of: float | None = None) -> str:
    """Large numbers shortened for a tile: 2093110611 -> '2.1 bn' (en) / '2,1 млрд' (ru).

    ``scale_of``: write ``value`` on the scale ``scale_of`` would be written on, so a change stands
    beside its value in the same unit ('2.1 bn' and '+0.6 bn', not '+644.7 M'): one money format
    per screen.

    >>> [format_compact(v, lang).replace(NBSP, " ") for v, lang in ((2093110611, "en"), (-45210, "ru"), (950, "en"))]
    ['2.1 bn', '−45,2 тыс.', '950']
    >>> format_compact(644_700_000, "en", scale_of=2_093_110_611).replace(NBSP, " ")
    '0.6 bn'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    reference = value if scale_of is None or (isinstance(scale_of, float) and math.isnan(scale_of)) else scale_of
    for size, suffix in _COMPACT[lang if lang in _COMPACT else "en"]:
        if abs(reference) >= size:
            return f"{format_number(value / size, lang, decimals)}{NBSP}{suffix}"
    return format_number(value, lang, 0)


def format_value(
    value: float | None, unit: str, lang: str, decimals: int, currency: str = "", compact: bool = False
) -> str:
    """A metric value with its unit: '+31.5' points, '78.2%', '1,234 RUB' ('1.2 k RUB' compact), '3.10×'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    number = format_compact(value, lang) if compact and unit in ("money", "count") else format_number(value, lang, decimals)
    if unit == "%":
        return f"{number}{NBSP}%" if lang == "ru" else f"{number}%"
    if unit == "money":
        return f"{number}{NBSP}{currency}".strip()
    if unit == "ratio":
        return f"{number}×"
    if unit == "points" and value > 0:
        return f"+{number}"
    return number


def format_date(value: date, lang: str) -> str:
    """A short day: day, month abbreviation, year; as numbers in a named workspace locale's order.

    >>> format_date(date(2025, 12, 31), "en"), format_date(date(2025, 5, 1), "ru")
    ('31 Dec 2025', '1 мая 2025')
    """
    locale = LOCALES.get(current_locale())
    if locale:
        return locale[2].format(d=value.day, m=value.month, y=value.year)
    return f"{value.day} {_MONTHS[lang if lang in _MONTHS else 'en'][value.month - 1]} {value.year}"


def format_period(start: date, end: date, lang: str) -> str:
    """'1 Jul 2025 – 31 Dec 2025'."""
    return f"{format_date(start, lang)} – {format_date(end, lang)}"
