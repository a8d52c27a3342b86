"""Workspace settings: what each one means, its default, and which values it accepts. No database.

The settings live in the ``meta`` table, one row per key (``cxdata.engine.workspace`` reads them,
``cxdata.ingest.publish.change_settings`` writes them):

- ``company_name``: shown in the sidebar and in every page title ("" = none).
- ``currency``: the three-letter code written after every money amount (USD, EUR, RUB…).
- ``locale``: how numbers and dates are written. ``auto`` follows the interface language (English:
  1,234.5 and 31 Dec 2025; Russian: 1 234,5 and 31 дек 2025); a named locale fixes the separators
  and writes days as numbers in its order (en-US 12/31/2025, en-GB 31/12/2025, ru-RU and de-DE
  31.12.2025) whatever the interface language, whose words stay its own.
- ``fiscal_year_start``: the month (1-12) the fiscal year begins, for the fiscal-year periods.
- ``time_zone``: the IANA zone the stored (naive) timestamps are in; an upload's timestamps that
  carry an offset are converted to it, ones without are taken as already in it.
- ``as_of``: "now" for every number. ``latest`` (the default) follows the data: the latest day
  of any fact; a date pins it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cxdata.i18n import LOCALES, WordedError, register_text

SETTING_KEYS = ("company_name", "currency", "locale", "fiscal_year_start", "time_zone", "as_of")
DEFAULTS = {"company_name": "", "currency": "USD", "locale": "auto", "fiscal_year_start": "1",
            "time_zone": "UTC", "as_of": "latest"}
LATEST = "latest"
MAX_NAME_LENGTH = 80


@dataclass(frozen=True)
class WorkspaceSettings:
    """The settings of one database, parsed."""

    company_name: str = ""
    currency: str = "USD"
    locale: str = "auto"
    fiscal_year_start: int = 1
    time_zone: str = "UTC"
    pinned_as_of: date | None = None  # None: the as-of date follows the data

    def to_dict(self) -> dict:
        """The settings as ``settings`` prints them (``as_of``: a date, or "latest")."""
        return {"company_name": self.company_name, "currency": self.currency, "locale": self.locale,
                "fiscal_year_start": self.fiscal_year_start, "time_zone": self.time_zone,
                "as_of": self.pinned_as_of.isoformat() if self.pinned_as_of else LATEST}


class SettingError(WordedError):
    """A setting the workspace refuses: ``message(lang)`` says which and why, in one line."""


def normalize_setting(key: str, value: str) -> str:
    """The stored text of ``key`` = ``value``; SettingError when the key or the value is refused.

    >>> normalize_setting("currency", "usd"), normalize_setting("as_of", "2025-12-31"), normalize_setting("as_of", "latest")
    ('USD', '2025-12-31', '')
    >>> try:
    ...     normalize_setting("fiscal_year_start", "13")
    ... except SettingError as error:
    ...     print(error.message("en"))
    fiscal_year_start: '13' is not a month number from 1 to 12
    """
    text = str(value).strip()
    if key not in SETTING_KEYS:
        raise SettingError("setting_unknown", name=key, keys=", ".join(SETTING_KEYS))
    if key == "company_name":
        if len(text) > MAX_NAME_LENGTH or any(ord(c) < 32 for c in text):
            raise SettingError("setting_bad_name", limit=MAX_NAME_LENGTH)
        return text
    if key == "currency":
        if not re.fullmatch(r"[A-Za-z]{3}", text):
            raise SettingError("setting_bad_currency", value=text)
        return text.upper()
    if key == "locale":
        if text not in ("auto", *LOCALES):
            raise SettingError("setting_bad_locale", value=text, choices=", ".join(("auto", *LOCALES)))
        return text
    if key == "fiscal_year_start":
        if not re.fullmatch(r"\d{1,2}", text) or not 1 <= int(text) <= 12:
            raise SettingError("setting_bad_month", value=text)
        return str(int(text))
    if key == "time_zone":
        try:
            if not text or text.startswith(("/", ".")):
                raise ValueError(text)
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise SettingError("setting_bad_time_zone", value=text) from None
        return text
    if text.lower() == LATEST or text == "":
        return ""  # as_of: unpinned
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise SettingError("setting_bad_as_of", value=text) from None


def parse_assignment(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` -> (key, stored value); SettingError when malformed or refused."""
    if "=" not in text:
        raise SettingError("setting_no_equals", text=text)
    key, value = text.split("=", 1)
    key = key.strip()
    return key, normalize_setting(key, value)


def validate_changes(values: dict[str, str]) -> tuple[dict[str, str], list[SettingError]]:
    """Typed values (key -> text) -> (stored values, every refused one): all or nothing is stored."""
    changes, errors = {}, []
    for key, value in values.items():
        try:
            changes[key] = normalize_setting(key, value)
        except SettingError as error:
            errors.append(error)
    return changes, errors


def settings_from_meta(meta: dict[str, str]) -> WorkspaceSettings:
    """The settings stored in ``meta`` (missing or unusable keys take their defaults)."""

    def value(key: str) -> str:
        stored = meta.get(key)
        try:
            return normalize_setting(key, DEFAULTS[key] if stored is None else stored)
        except SettingError:
            return normalize_setting(key, DEFAULTS[key])

    pinned = value("as_of")
    return WorkspaceSettings(company_name=value("company_name"), currency=value("currency"), locale=value("locale"),
                             fiscal_year_start=int(value("fiscal_year_start")), time_zone=value("time_zone"),
                             pinned_as_of=date.fromisoformat(pinned) if pinned else None)


register_text({
    "setting_unknown": {"en": "unknown setting '{name}'; the settings are: {keys}",
                        "ru": "неизвестная настройка «{name}»; настройки: {keys}"},
    "setting_no_equals": {"en": "'{text}' is not KEY=VALUE (for example currency=USD)",
                          "ru": "«{text}» — не в виде КЛЮЧ=ЗНАЧЕНИЕ (например, currency=USD)"},
    "setting_bad_name": {"en": "company_name: at most {limit} characters on one line",
                         "ru": "company_name: не более {limit} символов в одну строку"},
    "setting_bad_currency": {"en": "currency: '{value}' is not a three-letter currency code such as USD, EUR or RUB",
                             "ru": "currency: «{value}» — не трёхбуквенный код валюты вроде USD, EUR или RUB"},
    "setting_bad_locale": {"en": "locale: '{value}' is not one of {choices}",
                           "ru": "locale: «{value}» — не из списка {choices}"},
    "setting_bad_month": {"en": "fiscal_year_start: '{value}' is not a month number from 1 to 12",
                          "ru": "fiscal_year_start: «{value}» — не номер месяца от 1 до 12"},
    "setting_bad_time_zone": {"en": "time_zone: '{value}' is not a time zone name such as UTC or Europe/Moscow",
                              "ru": "time_zone: «{value}» — не название часового пояса вроде UTC или Europe/Moscow"},
    "setting_bad_as_of": {"en": "as_of: '{value}' is neither a date in YYYY-MM-DD form nor 'latest'",
                          "ru": "as_of: «{value}» — ни дата в виде ГГГГ-ММ-ДД, ни «latest»"},
})
