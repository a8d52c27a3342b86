"""EN/RU texts of the churn-risk model (``cxdata.questions.churn_risk``): the drivers in plain words
with their effect, each customer's main reason, the tiles, the validation sentence, the list for a
retention team and the ``churn-risk`` command's JSON. Frames in, texts out; no database."""

from __future__ import annotations

import math

import pandas as pd

from cxdata.analysis.churn_risk import OTHER
from cxdata.i18n import format_date, format_number, format_value, register_text, translate
from cxdata.presentation.money_text import class_label, stage_label
from cxdata.presentation.outlook_text import money, value_label

TEXT: dict[str, dict[str, str]] = {
    "risk_section": {"en": "At risk within {h} days", "ru": "Под риском ухода в ближайшие {h} дн."},
    "risk_fitting": {
        "en": "Fitting the churn-risk model to the current data (once after every upload)…",
        "ru": "Обучаем модель риска ухода на текущих данных (один раз после каждой загрузки)…",
    },
    "risk_no_fit": {
        "en": "Not enough history for the churn-risk model: it needs at least {n} customers who left and {n} who "
              "stayed within {h} days after each of two past cut-off days ({training} and {validation}).",
        "ru": "Недостаточно истории для модели риска ухода: нужны хотя бы {n} ушедших и {n} оставшихся клиентов "
              "в течение {h} дн. после каждой из двух прошлых дат среза ({training} и {validation}).",
    },
    "risk_tile_churners": {"en": "Expected to leave, {h} days", "ru": "Уйдут за {h} дн., прогноз"},
    "risk_tile_churners_value": {"en": "{count} of {active}", "ru": "{count} из {active}"},
    "risk_tile_churners_help": {
        "en": "Sum of the active customers' predicted probabilities to churn within the horizon.",
        "ru": "Сумма вероятностей ухода активных клиентов в пределах горизонта.",
    },
    "risk_tile_stake": {"en": "Value at stake", "ru": "Ценность под риском"},
    "risk_tile_stake_help": {
        "en": "Sum over the active customers of risk × predicted value ({basis}).",
        "ru": "Сумма по активным клиентам: риск × прогнозная ценность ({basis}).",
    },
    "risk_tile_top": {"en": "Keeping the top {top} would keep", "ru": "Удержание первых {top} сохранит"},
    "risk_tile_top_help": {
        "en": "Value at stake of the {top} customers most at risk: what keeping all of them would keep.",
        "ru": "Ценность под риском {top} клиентов с наибольшим риском: столько сохранит удержание их всех.",
    },
    "risk_tile_auc": {"en": "Model accuracy (AUC)", "ru": "Точность модели (AUC)"},
    "risk_tile_auc_help": {
        "en": "Chance that a customer who left was ranked above one who stayed, on the {n} customers active on "
              "{cutoff} (0.5: a coin toss, 1: perfect).",
        "ru": "Вероятность того, что ушедший клиент стоит в списке выше оставшегося, на {n} клиентах, активных на "
              "{cutoff} (0,5 — подбрасывание монеты, 1 — идеально).",
    },
    "risk_basis_clv": {"en": "the 12-month predicted value, BG/NBD and Gamma-Gamma",
                       "ru": "прогнозная ценность за 12 мес., модели BG/NBD и Gamma-Gamma"},
    "risk_basis_revenue_last_year": {"en": "net revenue of the last 12 months",
                                     "ru": "чистая выручка за последние 12 мес."},
    "risk_headline": {
        "en": "Of the {active} active customers of this selection, {count} are expected to leave within {h} days, "
              "{stake} of value at stake ({basis}). Most of it: {where}. Keeping the {top} customers most at risk "
              "would keep {top_stake}.",
        "ru": "Из {active} активных клиентов этого выбора в ближайшие {h} дн., по прогнозу, уйдут {count}; под "
              "риском {stake} ({basis}). Больше всего: {where}. Удержание {top} клиентов с наибольшим риском "
              "сохранит {top_stake}.",
    },
    "risk_where_item": {"en": "{label} ({share})", "ru": "{label} ({share})"},
    "risk_validation": {
        "en": "Trained on the customers active on {training} and what they did in the next {h} days; checked on "
              "the {n} customers active on {validation} ({churners} of them left by {as_of}): AUC {auc}; the 10% "
              "with the highest risk held {capture} of those who left (a random list: 10%); Brier score {brier}.",
        "ru": "Модель обучена на клиентах, активных на {training}, и их поведении в следующие {h} дн.; проверена на "
              "{n} клиентах, активных на {validation} (из них до {as_of} ушли {churners}): AUC {auc}; в 10% с "
              "наибольшим риском оказалось {capture} ушедших (у случайного списка — 10%); оценка Брайера {brier}.",
    },
    "risk_method": {
        "en": "Method: logistic regression (scikit-learn) on standardized features as of each cut-off day; never "
              "shuffled rows: trained on the past, checked on the period after it, then refitted on both periods "
              "to score today's customers. The effects below are odds ratios of that refit, strongest first.",
        "ru": "Метод: логистическая регрессия на стандартизованных признаках на дату среза; строки "
              "не перемешиваются: модель обучена на прошлом, проверена на следующем периоде и затем переобучена на "
              "обоих периодах для оценки нынешних клиентов. Эффекты ниже — отношения шансов этой модели, сильные "
              "первыми.",
    },
    "risk_section_drivers": {"en": "Who is at risk and why", "ru": "Кто под риском и почему"},
    "risk_drivers_title": {"en": "What drives churn", "ru": "Что влияет на уход"},
    "risk_raises": {"en": "raises the odds of leaving within {h} days {ratio}×",
                    "ru": "повышает шансы ухода в ближайшие {h} дн. в {ratio} раза"},
    "risk_lowers": {"en": "lowers the odds of leaving within {h} days by {percent} (×{ratio})",
                    "ru": "снижает шансы ухода в ближайшие {h} дн. на {percent} (×{ratio})"},
    "risk_driver_level": {"en": "{feature}: {level} instead of {reference} {effect}",
                          "ru": "{feature}: {level} вместо «{reference}» {effect}"},
    "risk_driver_days_since_last_purchase": {"en": "Each month since the last purchase {effect}",
                                             "ru": "Каждый месяц без покупок {effect}"},
    "risk_driver_purchase_rate_vs_segment": {
        "en": "Buying twice as often as the typical customer of the same segment {effect}",
        "ru": "Вдвое более высокая частота покупок, чем у типичного клиента того же сегмента, {effect}",
    },
    "risk_driver_average_purchase_vs_segment": {
        "en": "An average purchase twice the typical one of the same segment {effect}",
        "ru": "Средняя покупка вдвое больше типичной для того же сегмента {effect}",
    },
    "risk_driver_months_as_customer": {"en": "Each year as a customer {effect}", "ru": "Каждый год с нами {effect}"},
    "risk_feature_nps_class": {"en": "NPS class", "ru": "Класс NPS"},
    "risk_feature_csat_class": {"en": "CSAT band", "ru": "Группа CSAT"},
    "risk_feature_ces_class": {"en": "CES band", "ru": "Группа CES"},
    "risk_feature_complaint_status": {"en": "Complaints", "ru": "Жалобы"},
    "risk_feature_furthest_stage": {"en": "Furthest journey stage", "ru": "Дальний этап пути"},
    "risk_feature_segment": {"en": "Segment", "ru": "Сегмент"},
    "risk_feature_region": {"en": "Region", "ru": "Регион"},
    "risk_feature_channel": {"en": "Channel", "ru": "Канал"},
    "risk_feature_acquisition_channel": {"en": "Acquisition channel", "ru": "Канал привлечения"},
    "risk_level_other": {"en": "other", "ru": "другие"},
    "risk_level_no_stage": {"en": "no journey events", "ru": "нет событий пути"},
    "risk_reason_days_since_last_purchase": {"en": "{days} days since the last purchase",
                                             "ru": "{days} дн. с последней покупки"},
    "risk_reason_purchase_rate_vs_segment": {
        "en": "buys {rate} times a month (typical for the segment: {typical})",
        "ru": "покупает {rate} раза в месяц (типично для сегмента: {typical})",
    },
    "risk_reason_average_purchase_vs_segment": {
        "en": "average purchase {amount} (typical for the segment: {typical})",
        "ru": "средняя покупка {amount} (типично для сегмента: {typical})",
    },
    "risk_reason_months_as_customer": {"en": "a customer for {months} months", "ru": "клиент {months} мес."},
    "risk_reason_level": {"en": "{feature}: {level}", "ru": "{feature}: {level}"},
    "risk_reason_none": {"en": "no single reason stands out", "ru": "нет явной причины"},
    "risk_calibration_title": {"en": "Predicted and actual churn within {h} days after {date}",
                               "ru": "Прогноз и факт ухода за {h} дн. после {date}"},
    "risk_calibration_caption": {
        "en": "All {n} customers active on {date}, whatever the filters: the model is checked on everyone",
        "ru": "Все {n} клиентов, активных на {date}, без учёта фильтров: модель проверяется на всех",
    },
    "risk_calibration_axis_x": {"en": "Customers in ten equal groups by predicted risk",
                                "ru": "Клиенты в десяти равных группах по прогнозу риска"},
    "risk_calibration_axis_y": {"en": "Share who left", "ru": "Доля ушедших"},
    "risk_list_title": {"en": "The customers most at risk", "ru": "Клиенты с наибольшим риском"},
    "risk_list_top": {"en": "How many", "ru": "Сколько"},
    "risk_list_order": {"en": "Order by", "ru": "Порядок"},
    "risk_order_risk": {"en": "Risk", "ru": "Риск"},
    "risk_order_value_at_stake": {"en": "Value at stake", "ru": "Ценность под риском"},
    "risk_list_note": {
        "en": "{shown} of the {active} active customers of this selection; value at stake = risk × {basis}. "
              "The main reason is the feature that raises the customer's risk most against the average customer.",
        "ru": "{shown} из {active} активных клиентов этого выбора; ценность под риском = риск × {basis}. Главная "
              "причина — признак, сильнее всего повышающий риск клиента относительно среднего клиента.",
    },
    "risk_download_csv": {"en": "Download the list (CSV)", "ru": "Скачать список (CSV)"},
    "risk_column_customer_id": {"en": "Customer", "ru": "Клиент"},
    "risk_column_segment": {"en": "Segment", "ru": "Сегмент"},
    "risk_column_region": {"en": "Region", "ru": "Регион"},
    "risk_column_channel": {"en": "Channel", "ru": "Канал"},
    "risk_column_acquisition_channel": {"en": "Acquisition channel", "ru": "Канал привлечения"},
    "risk_column_risk": {"en": "Risk, %", "ru": "Риск, %"},
    "risk_column_predicted_value": {"en": "Predicted value, {currency}", "ru": "Прогнозная ценность, {currency}"},
    "risk_column_value_at_stake": {"en": "Value at stake, {currency}", "ru": "Ценность под риском, {currency}"},
    "risk_column_reason": {"en": "Main reason", "ru": "Главная причина"},
    "risk_no_customers": {"en": "No active customers in this selection.", "ru": "В этом выборе нет активных клиентов."},
}

CLASS_DIMENSIONS = {"nps_class": "nps", "csat_class": "csat", "ces_class": "ces", "complaint_status": "complaints"}
ATTRIBUTE_COLUMNS = ("segment", "region", "channel", "acquisition_channel")


def level_label(feature: str, level: str, lang: str, stage_labels: dict) -> str:
    """A category level as the reader calls it: 'Detractors (0–6)', 'Сибирь', 'Онбординг'."""
    if level == OTHER:
        return translate("risk_level_other", lang)
    if feature in CLASS_DIMENSIONS:
        return class_label(CLASS_DIMENSIONS[feature], level, lang)
    if feature == "furthest_stage":
        return translate("risk_level_no_stage", lang) if level == "no_stage" else stage_label(level, lang, stage_labels)
    return value_label(feature, level, lang)


def odds_effect(odds_ratio: float, horizon_days: int, lang: str) -> str:
    """'raises the odds of leaving within 90 days 2.3×' / 'lowers … by 40% (×0.60)'."""
    if odds_ratio >= 1:
        return translate("risk_raises", lang, h=horizon_days, ratio=format_number(odds_ratio, lang, 2 if odds_ratio < 10 else 1))
    return translate("risk_lowers", lang, h=horizon_days, ratio=format_number(odds_ratio, lang, 2),
                     percent=format_value(100 * (1 - odds_ratio), "%", lang, 0))  # fmt: skip


def describe_driver(driver: dict, horizon_days: int, lang: str, stage_labels: dict) -> str:
    """One row of ``analysis.churn_risk.driver_table`` in plain words with its effect."""
    effect = odds_effect(driver["odds_ratio"], horizon_days, lang)
    level = driver.get("level")
    if level is None or (isinstance(level, float) and math.isnan(level)):
        return translate(f"risk_driver_{driver['feature']}", lang, effect=effect)
    feature = driver["feature"]
    return translate("risk_driver_level", lang, feature=translate(f"risk_feature_{feature}", lang),
                     level=level_label(feature, level, lang, stage_labels),
                     reference=level_label(feature, driver["reference"], lang, stage_labels), effect=effect)  # fmt: skip


def describe_reason(customer: dict, lang: str, currency: str, stage_labels: dict) -> str:
    """A scored customer's main reason (``customer["reason"]``) in words, with their own value."""
    feature = customer.get("reason")
    if not isinstance(feature, str):
        return translate("risk_reason_none", lang)
    if feature == "days_since_last_purchase":
        return translate("risk_reason_days_since_last_purchase", lang, days=format_number(customer[feature], lang))
    if feature == "purchase_rate_vs_segment":
        return translate("risk_reason_purchase_rate_vs_segment", lang,
                         rate=format_number(customer["purchases_per_month"], lang, 1),
                         typical=format_number(customer["segment_purchases_per_month"], lang, 1))  # fmt: skip
    if feature == "average_purchase_vs_segment":
        return translate("risk_reason_average_purchase_vs_segment", lang,
                         amount=money(customer["average_purchase"], lang, currency),
                         typical=money(customer["segment_average_purchase"], lang, currency))  # fmt: skip
    if feature == "months_as_customer":
        return translate("risk_reason_months_as_customer", lang, months=format_number(customer[feature], lang))
    return translate("risk_reason_level", lang, feature=translate(f"risk_feature_{feature}", lang),
                     level=level_label(feature, str(customer[feature]), lang, stage_labels))  # fmt: skip


def basis_text(customers: pd.DataFrame, lang: str) -> str:
    basis = customers["value_basis"].iloc[0] if len(customers) else "revenue_last_year"
    return translate(f"risk_basis_{basis}", lang)


def build_risk_tiles(model, customers: pd.DataFrame, top: int, lang: str, currency: str) -> tuple[tuple[str, str, str], ...]:
    """Four tiles as (label, value, help): expected churners of the selection, value at stake, what
    keeping the top ``top`` by risk would keep, and the validated AUC."""
    top_stake = float(customers.nlargest(top, "risk")["value_at_stake"].sum()) if len(customers) else 0.0
    auc = model.validation["auc"]
    return (
        (translate("risk_tile_churners", lang, h=model.horizon_days),
         translate("risk_tile_churners_value", lang, count=format_number(float(customers["risk"].sum()), lang),
                   active=format_number(len(customers), lang)), translate("risk_tile_churners_help", lang)),
        (translate("risk_tile_stake", lang), money(float(customers["value_at_stake"].sum()), lang, currency),
         translate("risk_tile_stake_help", lang, basis=basis_text(customers, lang))),
        (translate("risk_tile_top", lang, top=format_number(top, lang)), money(top_stake, lang, currency),
         translate("risk_tile_top_help", lang, top=format_number(top, lang))),
        (translate("risk_tile_auc", lang), "—" if auc is None else format_number(auc, lang, 2),
         translate("risk_tile_auc_help", lang, n=format_number(model.validation["n"], lang),
                   cutoff=format_date(model.validation_cutoff, lang))),
    )  # fmt: skip


def build_risk_headline(model, customers: pd.DataFrame, by_segment: pd.DataFrame, by_channel: pd.DataFrame,
                        top: int, lang: str, currency: str) -> str:  # fmt: skip
    """How much of the base is at risk, where most of it is (the largest segment and channel by
    value at stake, with their shares), and what keeping the top ``top`` would keep."""
    where = [translate("risk_where_item", lang, label=value_label(dimension, str(table["value"].iloc[0]), lang),
                       share=format_value(100 * table["share"].iloc[0], "%", lang, 0))
             for dimension, table in (("segment", by_segment), ("channel", by_channel))
             if len(table) and not math.isnan(table["share"].iloc[0])]  # fmt: skip
    return translate(
        "risk_headline", lang, active=format_number(len(customers), lang),
        count=format_number(float(customers["risk"].sum()), lang), h=model.horizon_days,
        stake=money(float(customers["value_at_stake"].sum()), lang, currency), basis=basis_text(customers, lang),
        where=", ".join(where) or "—", top=format_number(top, lang),
        top_stake=money(float(customers.nlargest(top, "risk")["value_at_stake"].sum()), lang, currency),
    )  # fmt: skip


def describe_risk_validation(model, lang: str) -> str:
    summary = model.validation
    capture = summary["top_decile_capture"]
    return translate(
        "risk_validation", lang, training=format_date(model.training_cutoff, lang), h=model.horizon_days,
        validation=format_date(model.validation_cutoff, lang), as_of=format_date(model.as_of, lang),
        n=format_number(summary["n"], lang), churners=format_number(summary["churners"], lang),
        auc=format_number(summary["auc"], lang, 2), brier=format_number(summary["brier"], lang, 3),
        capture="—" if capture is None else format_value(100 * capture, "%", lang, 0),
    )  # fmt: skip


def describe_list(ranked: pd.DataFrame, customers: pd.DataFrame, lang: str) -> str:
    """How many of the selection the list shows, how its value at stake is made, what the reason is."""
    return translate("risk_list_note", lang, shown=format_number(len(ranked), lang),
                     active=format_number(len(customers), lang), basis=basis_text(customers, lang))  # fmt: skip


def build_at_risk_table(ranked: pd.DataFrame, lang: str, currency: str, stage_labels: dict) -> pd.DataFrame:
    """The list for a retention team, with headers and values in the reader's language: customer,
    attributes, risk in %, predicted value, value at stake, main reason."""
    records = ranked.to_dict("records")
    columns = {
        translate("risk_column_customer_id", lang): ranked["customer_id"].astype(str).tolist(),
        **{translate(f"risk_column_{c}", lang): [level_label(c, str(r[c]), lang, stage_labels) for r in records]
           for c in ATTRIBUTE_COLUMNS},
        translate("risk_column_risk", lang): (100 * ranked["risk"]).round(1).tolist(),
        translate("risk_column_predicted_value", lang, currency=currency): ranked["predicted_value"].round(0).tolist(),
        translate("risk_column_value_at_stake", lang, currency=currency): ranked["value_at_stake"].round(0).tolist(),
        translate("risk_column_reason", lang): [describe_reason(r, lang, currency, stage_labels) for r in records],
    }  # fmt: skip
    return pd.DataFrame(columns)


def build_churn_risk_report(model, customers: pd.DataFrame, top: int, lang: str, currency: str) -> dict:
    """The ``churn-risk`` command's JSON: the validation (with the calibration groups), every driver
    with its odds ratio and words, and the ``top`` selected customers most at risk."""
    ranked = customers.head(top) if top else customers.iloc[:0]
    drivers = [
        {"feature": row["feature"], "level": _plain(row["level"]), "reference": _plain(row["reference"]),
         "unit": _plain(row["unit"]), "odds_ratio": round(float(row["odds_ratio"]), 6),
         "importance": round(float(row["importance"]), 6),
         "text": describe_driver(row, model.horizon_days, lang, model.stage_labels)}
        for row in model.drivers.to_dict("records")
    ]  # fmt: skip
    return {
        "as_of": model.as_of.isoformat(), "horizon_days": model.horizon_days,
        "training_cutoff": model.training_cutoff.isoformat(), "validation_cutoff": model.validation_cutoff.isoformat(),
        "validation": {**model.validation, "calibration": model.calibration.to_dict("records")},
        "drivers": drivers,
        "active_customers": len(customers), "expected_churners": float(customers["risk"].sum()),
        "value_at_stake": float(customers["value_at_stake"].sum()),
        "value_basis": customers["value_basis"].iloc[0] if len(customers) else None,
        "customers": [
            {"customer_id": row["customer_id"], "risk": round(float(row["risk"]), 6),
             "value_at_stake": round(float(row["value_at_stake"]), 2),
             "reason": describe_reason(row, lang, currency, model.stage_labels)}
            for row in ranked.to_dict("records")
        ],
    }  # fmt: skip


def _plain(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value



def build_at_risk_csv(table: pd.DataFrame) -> bytes:
    """``build_at_risk_table``'s list as UTF-8 CSV with a byte-order mark (so a spreadsheet reads
    Cyrillic right), every cell a spreadsheet would run as a formula neutralized."""
    from cxdata.ingest.export_safety import make_export_safe

    return make_export_safe(table).to_csv(index=False).encode("utf-8-sig")


register_text(TEXT)
