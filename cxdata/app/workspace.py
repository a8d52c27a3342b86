"""The workspace on screen: its name and settings in the sidebar and page titles, the welcome of an
empty workspace, and the admin's settings form (Streamlit; the rules are ``cxdata.model.workspace``)."""

from __future__ import annotations

from datetime import date
from zoneinfo import available_timezones

import duckdb
import streamlit as st

from cxdata import i18n
from cxdata.app import ui, visitors
from cxdata.app.ui import PageContext
from cxdata.engine.db import resolve_db_path
from cxdata.engine.rollups import fetch_rollups_out_of_date
from cxdata.ingest import UploadBusyError
from cxdata.ingest.errors import ChangeRefused, describe_failure
from cxdata.ingest.publish import change_settings
from cxdata.model.roles import can
from cxdata.model.workspace import LATEST, validate_changes
from cxdata.presentation.plaintext import markdown_text

# Pages that show numbers: on an empty workspace they welcome instead.
DATA_PAGES = ("overview", "journey", "money", "complaints")
# What to load, in order: (table, what it unlocks).
LOAD_ORDER = ("customers", "transactions", "surveys", "journey_events", "complaints", "churn_events")


def show_title(context: PageContext, key: str) -> None:
    """A page title with the company's name, when the workspace has one."""
    title = i18n.translate(key, context.lang)
    name = context.workspace.company_name
    st.title(markdown_text(f"{title} · {name}" if name else title))


def open_guarded_page(title_key: str, action: str, forbidden_key: str, intro_key: str):
    """The start of a page only some roles may use: its title, then either the refusal (and the run
    stops) or its intro; returns (context, visitor). The page checks the role itself, not only the
    navigation."""
    context, visitor = ui.page_context(), visitors.current_visitor()
    show_title(context, title_key)
    if not can(visitor.role, action):
        st.error(i18n.translate(forbidden_key, context.lang, role=i18n.translate(f"role_{visitor.role}", context.lang)))
        st.stop()
    st.caption(i18n.translate(intro_key, context.lang))
    return context, visitor


def render_workspace_badge(context: PageContext) -> None:
    """The sidebar's line about the workspace: its name, currency, and as-of date (or no data yet)."""
    lang, workspace = context.lang, context.workspace
    parts = [f"**{markdown_text(workspace.company_name)}**"] if workspace.company_name else []
    parts.append(markdown_text(workspace.currency))
    if context.is_empty:
        parts.append(i18n.translate("workspace_no_data", lang))
    else:
        key = "workspace_as_of_pinned" if workspace.pinned_as_of else "workspace_as_of_latest"
        parts.append(i18n.translate(key, lang, date=i18n.format_date(context.as_of, lang)))
    st.sidebar.caption(" · ".join(parts))


def render_refresh_hint(context: PageContext, role: str) -> None:
    """For admins, in the sidebar: the rollups were laid out by an older version (or are missing),
    so every page answers from the raw tables (the same numbers, slower) until they are rebuilt."""
    if can(role, "admin") and ui.load(fetch_rollups_out_of_date):
        st.sidebar.warning(i18n.translate("rollups_out_of_date", context.lang))


def show_welcome(context: PageContext, role: str) -> None:
    """What an empty workspace offers instead of empty charts: what to load, in which order, and how."""
    lang = context.lang
    name = context.workspace.company_name
    st.title(markdown_text(i18n.translate("welcome_title_named", lang, name=name) if name
                           else i18n.translate("welcome_title", lang)))
    st.info(i18n.translate("welcome_intro", lang))
    # The code (``transactions``) only in English, where the Upload page and the command line use it.
    code = (lambda table: f" (`{table}`)") if lang == "en" else (lambda table: "")
    steps = [f"{number}. **{i18n.translate(f'welcome_table_{table}', lang)}**{code(table)}: "
             f"{i18n.translate(f'welcome_unlocks_{table}', lang)}"
             for number, table in enumerate(LOAD_ORDER, 1)]
    st.markdown("\n".join(steps))
    st.caption(i18n.translate("welcome_start_small", lang))
    if can(role, "upload"):
        st.page_link("pages/upload.py", label=i18n.translate("welcome_go_upload", lang), icon="📤")
    else:
        st.warning(i18n.translate("welcome_ask_analyst", lang))
    st.caption(i18n.translate("welcome_cli", lang))
    st.code("python -m cxdata load customers customers.csv\npython -m cxdata load transactions transactions.csv",
            language="bash")


SEEN_SETTINGS = "settings_seen_version"


def render_settings_form(context: PageContext) -> tuple[dict[str, str] | None, str]:
    """The admin's form: (the values typed when it is submitted, keys of ``cxdata.model.workspace``,
    else None; the settings version the form was shown for).

    The version is the one read by the run that showed the form, kept in the session: a submit
    reruns the page, and another admin may have saved in between (``save_settings`` then refuses)."""
    from cxdata.ingest.settings_log import read_settings_version

    current = read_settings_version(context.data.path)
    values = _settings_form(context)
    if values is None or SEEN_SETTINGS not in st.session_state:
        st.session_state[SEEN_SETTINGS] = current
    return values, st.session_state[SEEN_SETTINGS]


def _forget_settings_form() -> None:
    """The form's typed values and the version they were based on: the next run shows the stored settings."""
    for key in [key for key in st.session_state if str(key).startswith("settings_")]:
        del st.session_state[key]


def _settings_form(context: PageContext) -> dict[str, str] | None:
    lang, current = context.lang, context.workspace
    t = lambda key, **values: i18n.translate(key, lang, **values)
    with st.form("settings_form"):
        name = st.text_input(t("settings_company_name"), value=current.company_name, key="settings_company_name")
        currency = st.text_input(t("settings_currency"), value=current.currency, max_chars=3, key="settings_currency")
        locales = ["auto", *i18n.LOCALES]
        locale = st.selectbox(t("settings_locale"), locales, index=locales.index(current.locale),
                              format_func=lambda code: t("settings_locale_auto") if code == "auto" else _locale_example(code),
                              key="settings_locale")
        month = st.selectbox(t("settings_fiscal_year_start"), list(range(1, 13)), index=current.fiscal_year_start - 1,
                             format_func=lambda m: _month_name(m, lang), key="settings_fiscal_year_start")
        zones = sorted(available_timezones() | {"UTC"})
        zone = st.selectbox(t("settings_time_zone"), zones, index=zones.index(current.time_zone)
                            if current.time_zone in zones else zones.index("UTC"), key="settings_time_zone")
        follow = st.radio(t("settings_as_of"), ["latest", "pinned"], index=1 if current.pinned_as_of else 0,
                          format_func=lambda choice: t(f"settings_as_of_{choice}"), key="settings_as_of_mode",
                          horizontal=True)
        pinned = st.date_input(t("settings_as_of_date"), value=current.pinned_as_of or context.as_of,
                               format=i18n.date_input_format(lang), key="settings_as_of_date")
        submitted = st.form_submit_button(t("settings_save"), type="primary")
    if not submitted:
        return None
    return {"company_name": name, "currency": currency, "locale": locale, "fiscal_year_start": str(month),
            "time_zone": zone, "as_of": LATEST if follow == "latest" else _iso(pinned)}


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, date) else ""


def _month_name(month: int, lang: str) -> str:
    return i18n.translate(f"month_{month}", lang)


def _locale_example(code: str) -> str:
    """'en-US: 1,234.5 · 12/31/2025'."""
    group, decimal, day, _picker = i18n.LOCALES[code]
    number = f"1{group}234{decimal}5".replace(i18n.NBSP, " ")
    return f"{code}: {number} · {day.format(d=31, m=12, y=2025)}"



_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "ru": ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь",
           "декабрь"),
}
i18n.register_text({f"month_{n}": {lang: names[n - 1] for lang, names in _MONTHS.items()} for n in range(1, 13)})
i18n.register_text({
    "page_settings": {"en": "Workspace settings", "ru": "Настройки"},
    "workspace_no_data": {"en": "no data loaded yet", "ru": "данные ещё не загружены"},
    "workspace_as_of_latest": {"en": "as of {date}, the latest data", "ru": "актуально на {date}, последние данные"},
    "workspace_as_of_pinned": {"en": "as of {date}, pinned", "ru": "актуально на {date}, дата закреплена"},
    "welcome_title": {"en": "Welcome: a workspace for your own data", "ru": "Добро пожаловать: пространство для ваших данных"},
    "welcome_title_named": {"en": "Welcome to the CX dashboard of {name}", "ru": "Добро пожаловать в CX-дашборд: {name}"},
    "welcome_intro": {
        "en": "This workspace has no data yet, so there is nothing to chart. Load your extracts (CSV, Excel or "
              "Parquet) in this order; each one switches on the pages' numbers named next to it.",
        "ru": "В этом пространстве ещё нет данных, поэтому показывать нечего. Загрузите выгрузки (CSV, Excel или "
              "Parquet) в таком порядке; каждая включает показатели, названные рядом с ней."},
    "welcome_table_customers": {"en": "Customers", "ru": "Клиенты"},
    "welcome_table_transactions": {"en": "Transactions", "ru": "Транзакции"},
    "welcome_table_surveys": {"en": "Survey answers", "ru": "Ответы на опросы"},
    "welcome_table_journey_events": {"en": "Journey events", "ru": "События пути клиента"},
    "welcome_table_complaints": {"en": "Complaints", "ru": "Жалобы"},
    "welcome_table_churn_events": {"en": "Churn events", "ru": "События оттока"},
    "welcome_unlocks_customers": {
        "en": "who your customers are (signup, segment, region, channels, acquisition cost): the filters, "
              "conversion, LTV and CAC.",
        "ru": "кто ваши клиенты (дата первого контакта, сегмент, регион, каналы, стоимость привлечения): фильтры, "
              "конверсия, LTV и CAC."},
    "welcome_unlocks_transactions": {
        "en": "purchases and refunds: revenue, ARPU, LTV, retention and the money by CX class.",
        "ru": "покупки и возвраты: выручка, ARPU, LTV, удержание и деньги по CX-классам."},
    "welcome_unlocks_surveys": {
        "en": "NPS, CSAT and CES answers: the CX tiles, their trends and the key drivers.",
        "ru": "ответы NPS, CSAT и CES: плитки CX, их динамика и ключевые драйверы."},
    "welcome_unlocks_journey_events": {
        "en": "customers reaching each journey stage (load the stages first): the funnel and where customers drop off.",
        "ru": "достижение клиентами этапов пути (сначала загрузите этапы): воронка и где клиенты уходят."},
    "welcome_unlocks_complaints": {
        "en": "complaints opened and resolved: complaint counts and the unresolved share.",
        "ru": "открытые и решённые жалобы: число жалоб и доля нерешённых."},
    "welcome_unlocks_churn_events": {
        "en": "customers lost, with the reason: churn, retention and why customers leave.",
        "ru": "ушедшие клиенты с причиной: отток, удержание и причины ухода."},
    "welcome_start_small": {
        "en": "One file is enough to start: transactions alone show revenue at once, dated as in your data.",
        "ru": "Для начала хватит одного файла: одни транзакции сразу покажут выручку за даты ваших данных."},
    "welcome_go_upload": {"en": "Open the Upload data page", "ru": "Открыть страницу «Загрузка данных»"},
    "welcome_ask_analyst": {"en": "Loading data takes an analyst or an admin: ask one to load your extracts.",
                            "ru": "Загружать данные может аналитик или администратор: попросите их загрузить выгрузки."},
    "welcome_cli": {"en": "Or from the command line, on the server:", "ru": "Или из командной строки на сервере:"},
    "settings_intro": {
        "en": "Settings of this workspace, stored in its database: every page and the command line follow them.",
        "ru": "Настройки этого пространства хранятся в его базе данных: им следуют все страницы и командная строка."},
    "settings_forbidden": {"en": "Only an admin may change the workspace settings (you are {role}).",
                           "ru": "Менять настройки может только администратор (ваша роль: {role})."},
    "settings_company_name": {"en": "Company name (in the sidebar and page titles)",
                              "ru": "Название компании (в боковой панели и заголовках страниц)"},
    "settings_currency": {"en": "Currency code (after every amount of money)", "ru": "Код валюты (после каждой суммы)"},
    "settings_locale": {"en": "Number and date format", "ru": "Формат чисел и дат"},
    "settings_locale_auto": {"en": "As the interface language", "ru": "Как язык интерфейса"},
    "settings_fiscal_year_start": {"en": "Fiscal year starts in", "ru": "Финансовый год начинается в месяце"},
    "settings_time_zone": {"en": "Time zone of the timestamps", "ru": "Часовой пояс меток времени"},
    "settings_as_of": {"en": "As-of date (\"now\" for every number)", "ru": "Дата актуальности («сейчас» для всех цифр)"},
    "settings_as_of_latest": {"en": "Follow the data (the latest day loaded)", "ru": "Следовать за данными (последний загруженный день)"},
    "settings_as_of_pinned": {"en": "Pinned to a date", "ru": "Закрепить дату"},
    "settings_as_of_date": {"en": "Pinned date", "ru": "Закреплённая дата"},
    "settings_save": {"en": "Save settings", "ru": "Сохранить настройки"},
    "settings_busy": {"en": "An upload is running: the settings were not saved. Save them again when it has finished.",
                      "ru": "Идёт загрузка данных: настройки не сохранены. Сохраните их снова, когда она закончится."},
    "rollups_out_of_date": {
        "en": "The saved summaries are out of date, so pages take longer: run `python -m cxdata refresh` on the server.",
        "ru": "Сохранённые сводки устарели, поэтому страницы открываются дольше: выполните на сервере "
              "`python -m cxdata refresh`."},
    "settings_saved": {"en": "Settings saved: every page now follows them.", "ru": "Настройки сохранены: все страницы теперь им следуют."},
})


def save_settings(values: dict[str, str], user: str, lang: str, seen_version: str | None) -> list[str]:
    """Check and store the settings an admin typed, on the settings version they saw; what went wrong
    in words (none: stored, and logged in the audit log with who, when and old → new).

    Nothing is stored when any value is wrong or another admin saved since ``seen_version``; a busy
    lock, a full disk or a read-only folder is one line, no server path."""
    changes, errors = validate_changes(values)
    if errors:
        return [error.message(lang) for error in errors]
    try:
        change_settings(resolve_db_path(), changes, user=user, seen_version=seen_version, lock_timeout=30)
    except ChangeRefused as error:  # another admin saved since: show the settings as they are now, and why
        _forget_settings_form()
        st.session_state["settings_refused"] = [error.message(lang)]
        st.rerun()
    except UploadBusyError:
        return [i18n.translate("settings_busy", lang)]
    except (OSError, duckdb.Error) as error:
        return [describe_failure(error, lang)]
    return []
