"""When a chart has too little data to be drawn, and the words it shows instead.

A chart of one point (a "trend" of a single week), of classes with a handful of customers each, or
of nothing at all draws axes that mean nothing (ticks 0 2 4 6, hovers at 23:59:59.9995). Each
``describe_*_shortage`` takes the frame its chart would draw and returns None when the chart may be
drawn, else one sentence (EN/RU) saying why not; the page shows that sentence in the chart's place.
Pure functions: no query, no Streamlit.
"""

from __future__ import annotations

import pandas as pd

from cxdata.i18n import format_number, register_text, translate
from cxdata.model.registry import METRICS, MIN_SAMPLE_SIZE
from cxdata.presentation.money_charts import class_chart_title
from cxdata.questions.money import DIMENSIONS
from cxdata.questions.money_base import NO_ANSWER

# A trend needs two points in time; a comparison of classes needs two classes of MIN_SAMPLE_SIZE.
MIN_TREND_POINTS = 2
MIN_CLASSES_COMPARED = 2
# A retention curve needs month 0 and at least one month after it.
MIN_COHORT_MONTHS = 2

register_text({
    "shortage_no_data": {
        "en": "{title}: no data for this selection. Widen the period or remove some filters.",
        "ru": "{title}: нет данных для этого выбора. Расширьте период или снимите часть фильтров.",
    },
    "shortage_one_point": {
        "en": "{title}: only one point in time has data (n = {n}), not enough for a trend. Widen the period.",
        "ru": "{title}: данные есть только за один отрезок времени (n = {n}) — для динамики этого мало. "
        "Расширьте период.",
    },
    "shortage_classes": {
        "en": "{title}: too few customers to compare classes; at least {classes} classes need {min} customers each. "
        "Widen the period or remove some filters.",
        "ru": "{title}: слишком мало клиентов, чтобы сравнивать классы: нужно хотя бы {classes} класса по {min} "
        "клиентов. Расширьте период или снимите часть фильтров.",
    },
    "shortage_drivers": {
        "en": "{title}: no touchpoint or complaint reaches {min} exposed customers with a measured effect in this "
        "selection. Widen the period or remove some filters.",
        "ru": "{title}: ни одна точка контакта или жалоба не набирает {min} затронутых клиентов с измеренным "
        "эффектом в этом выборе. Расширьте период или снимите часть фильтров.",
    },
    "shortage_cohorts": {
        "en": "{title}: the cohorts of this selection have fewer than {months} months ended by the as-of date "
        "(or fewer than {min} customers), too early to follow their retention. Choose an earlier period.",
        "ru": "{title}: у когорт этого выбора меньше {months} месяцев, закончившихся к дате данных (или меньше "
        "{min} клиентов), — следить за удержанием рано. Выберите более ранний период.",
    },
    "shortage_units": {
        "en": "{title}: no acquisition channel has {min} paying customers with an LTV / CAC in this selection. "
        "Widen the period or remove some filters.",
        "ru": "{title}: ни в одном канале привлечения нет {min} платящих клиентов с LTV / CAC в этом выборе. "
        "Расширьте период или снимите часть фильтров.",
    },
    "shortage_whatif": {
        "en": "The what-if needs at least {min} customers with an NPS answer; this selection has {n}. "
        "Widen the period or remove some filters.",
        "ru": "Для сценария нужно не меньше {min} клиентов с ответом NPS; в этом выборе их {n}. "
        "Расширьте период или снимите часть фильтров.",
    },
})


def describe_trend_shortage(trends: pd.DataFrame, metric: str, lang: str) -> str | None:
    """None when ``trends`` (``cxdata.questions.trends``) has ``MIN_TREND_POINTS`` periods with a
    value of ``metric``; else why its trend chart is not drawn."""
    data = trends[(trends["metric"] == metric) & trends["value"].notna() & (trends["n"] > 0)]
    title = METRICS[metric].label(lang)
    if data.empty:
        return translate("shortage_no_data", lang, title=title)
    if len(data) < MIN_TREND_POINTS:
        return translate("shortage_one_point", lang, title=title, n=format_number(int(data["n"].sum()), lang))
    return None


def describe_class_shortage(economics, dimension: str, metric: str, lang: str) -> str | None:
    """None when at least ``MIN_CLASSES_COMPARED`` answering classes of ``dimension`` (not "no
    answer") have ``MIN_SAMPLE_SIZE`` customers measured for ``metric`` (``ClassEconomics``); else
    why ``build_class_metric_figure`` is not drawn."""
    sizes = {c: economics.row(dimension, c, metric)["n"] for c in DIMENSIONS[dimension][1]}
    title = class_chart_title(dimension, metric, lang)
    compared = [n for c, n in sizes.items() if c != NO_ANSWER]
    if sum(n >= MIN_SAMPLE_SIZE for n in compared) >= MIN_CLASSES_COMPARED:
        return None
    if not any(sizes.values()):
        return translate("shortage_no_data", lang, title=title)
    return translate("shortage_classes", lang, title=title, min=MIN_SAMPLE_SIZE, classes=MIN_CLASSES_COMPARED)


def describe_driver_shortage(drivers: pd.DataFrame, title: str, lang: str) -> str | None:
    """None when a driver has ``MIN_SAMPLE_SIZE`` exposed customers and a revenue at stake."""
    if drivers.empty:
        return translate("shortage_no_data", lang, title=title)
    usable = (drivers["exposed_customers"] >= MIN_SAMPLE_SIZE) & drivers["revenue_at_stake"].notna()
    return None if usable.any() else translate("shortage_drivers", lang, title=title, min=MIN_SAMPLE_SIZE)


def describe_cohort_shortage(cohorts: pd.DataFrame, title: str, lang: str) -> str | None:
    """None when a cohort of everyone (``cx_class`` "all") of ``MIN_SAMPLE_SIZE`` customers has
    ``MIN_COHORT_MONTHS`` months ended (``cxdata.questions.money_cohorts``)."""
    if cohorts.empty:
        return translate("shortage_no_data", lang, title=title)
    everyone = cohorts[(cohorts["cx_class"] == "all") & (cohorts["cohort_customers"] >= MIN_SAMPLE_SIZE)]
    if not everyone.empty and everyone["months_since_first_purchase"].max() >= MIN_COHORT_MONTHS - 1:
        return None
    return translate("shortage_cohorts", lang, title=title, months=MIN_COHORT_MONTHS, min=MIN_SAMPLE_SIZE)


def describe_unit_shortage(units: pd.DataFrame, title: str, lang: str) -> str | None:
    """None when a channel (not the total "all") has ``MIN_SAMPLE_SIZE`` paying customers and an
    LTV / CAC; else why the LTV / CAC chart is not drawn."""
    channels = units[(units["acquisition_channel"] != "all") & (units["cx_class"] == "all")]
    usable = (channels["paying"] >= MIN_SAMPLE_SIZE) & channels["ltv_cac"].notna()
    return None if usable.any() else translate("shortage_units", lang, title=title, min=MIN_SAMPLE_SIZE)


def describe_whatif_shortage(nps_customers: int, lang: str) -> str | None:
    """None when the what-if has ``MIN_SAMPLE_SIZE`` customers with an NPS answer to move."""
    if nps_customers >= MIN_SAMPLE_SIZE:
        return None
    return translate("shortage_whatif", lang, min=MIN_SAMPLE_SIZE, n=format_number(nps_customers, lang))
