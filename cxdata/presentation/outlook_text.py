"""EN/RU strings of the Outlook page, registered with ``cxdata.i18n``, and the texts built from its numbers."""

from __future__ import annotations

import math

import pandas as pd

from cxdata.i18n import display_name, format_number, format_value, register_text, translate
from cxdata.presentation.money_text import class_label
from cxdata.questions.clv import ClvModel
from cxdata.questions.survival import SurvivalView

TEXT: dict[str, dict[str, str]] = {
    "outlook_scope": {
        "en": "Forecast from the whole purchase history to {date}",
        "ru": "Прогноз по всей истории покупок до {date}",
    },
    "outlook_headline_title": {"en": "What the base is worth", "ru": "Сколько стоит клиентская база"},
    "outlook_headline": {
        "en": "The {customers} paying customers of this selection are expected to bring {equity} in the next "
        "{h} months ({method}); {alive} of them are expected to be still buying.",
        "ru": "{customers} платящих клиентов этого выбора, по прогнозу, принесут {equity} за следующие {h} мес. "
        "({method}); из них, по оценке, продолжают покупать {alive}.",
    },
    "outlook_headline_gap": {
        "en": " Promoters stay {months} months longer than detractors (within {horizon} months, Kaplan–Meier); "
        "at the detractors' predicted monthly value that gap is worth {money}.",
        "ru": " Промоутеры остаются на {months} мес. дольше критиков (в пределах {horizon} мес., Каплан–Мейер); "
        "по прогнозной месячной ценности критиков этот разрыв стоит {money}.",
    },
    "outlook_method": {"en": "BG/NBD and Gamma-Gamma", "ru": "модели BG/NBD и Gamma-Gamma"},
    "outlook_fitting": {
        "en": "Fitting the forecast to the current data (once after every upload)…",
        "ru": "Строим прогноз по текущим данным (один раз после каждой загрузки)…",
    },
    "outlook_no_fit": {
        "en": "Not enough purchase history to forecast: the models need customers with repeat purchases "
              "before the calibration end.",
        "ru": "Недостаточно истории покупок для прогноза: моделям нужны клиенты с повторными покупками "
              "до конца периода калибровки.",
    },
    "outlook_no_customers": {
        "en": "No paying customers in this selection ({caption}). Remove some filters.",
        "ru": "В этом выборе нет платящих клиентов ({caption}). Уберите часть фильтров.",
    },
    "outlook_too_small": {
        "en": "Only {n} paying customers in this selection: the forecast is shown, but with this few customers "
        "it is a rough estimate.",
        "ru": "В этом выборе лишь {n} платящих клиентов: прогноз показан, но на такой выборке это грубая оценка.",
    },
    "outlook_tile_equity": {"en": "Customer equity, {h} months", "ru": "Ценность базы, {h} мес."},
    "outlook_tile_equity_help": {
        "en": "Sum over the customers of expected purchases × expected spend per purchase, undiscounted.",
        "ru": "Сумма по клиентам: ожидаемое число покупок × ожидаемая сумма покупки, без дисконтирования.",
    },
    "outlook_tile_purchases": {"en": "Expected purchases, {h} months", "ru": "Ожидаемые покупки, {h} мес."},
    "outlook_tile_alive": {"en": "Customers still buying", "ru": "Ещё покупают, клиентов"},
    "outlook_tile_alive_help": {
        "en": "Sum of each customer's probability to be still active (P(alive), BG/NBD); churned customers count 0.",
        "ru": "Сумма вероятностей каждого клиента оставаться активным (BG/NBD); ушедшие клиенты считаются как 0.",
    },
    "outlook_tile_gap": {"en": "Promoters stay longer by", "ru": "Промоутеры остаются дольше на"},
    "outlook_tile_gap_value": {"en": "{months} months", "ru": "{months} мес."},
    "outlook_tile_gap_help": {
        "en": "Restricted mean lifetime of promoters minus that of detractors (area under the Kaplan–Meier curves).",
        "ru": "Ограниченное среднее время жизни промоутеров минус критиков (площадь под кривыми Каплана–Мейера).",
    },
    "outlook_n": {"en": "n = {n}", "ru": "n = {n}"},
    "outlook_horizon": {"en": "Forecast horizon", "ru": "Горизонт прогноза"},
    "outlook_horizon_months": {"en": "{h} months", "ru": "{h} мес."},
    "outlook_section_where": {"en": "Where the value is", "ru": "Где ценность базы"},
    "outlook_split": {"en": "Split by", "ru": "Разбить по"},
    "outlook_dimension_segment": {"en": "Segment", "ru": "Сегмент"},
    "outlook_dimension_channel": {"en": "Channel", "ru": "Канал"},
    "outlook_dimension_acquisition_channel": {"en": "Acquisition channel", "ru": "Канал привлечения"},
    "outlook_dimension_nps_class": {"en": "NPS class", "ru": "Класс NPS"},
    "outlook_equity_title": {"en": "Customer equity, {h} months · {dimension}", "ru": "Ценность базы, {h} мес. · {dimension}"},
    "outlook_equity_hover": {
        "en": "{value}<br>{share} of the equity<br>{per_customer} a customer<br>n = {n}",
        "ru": "{value}<br>{share} ценности базы<br>{per_customer} на клиента<br>n = {n}",
    },
    "outlook_equity_rule": {
        "en": "Customer's channel: the channel of first contact. NPS class: the latest answer to the as-of date. "
        "Amber: fewer than 30 customers.",
        "ru": "Канал клиента — канал первого контакта. Класс NPS — по последнему ответу на дату данных. "
        "Янтарным: меньше 30 клиентов.",
    },
    "outlook_section_survival": {"en": "How long customers stay, by CX class", "ru": "Сколько остаются клиенты, по CX-классам"},
    "outlook_survival_title": {"en": "Customers still with us · {dimension}", "ru": "Доля оставшихся клиентов · {dimension}"},
    "outlook_survival_axis_x": {"en": "Months since the first purchase", "ru": "Месяцев с первой покупки"},
    "outlook_survival_axis_y": {"en": "Still a customer", "ru": "Остаются клиентами"},
    "outlook_survival_row": {
        "en": "**{label}** (n = {n}, churned {churned}): {mean} months on average within {horizon}",
        "ru": "**{label}** (n = {n}, ушли {churned}): в среднем {mean} мес. из {horizon}",
    },
    "outlook_survival_gap": {
        "en": "; {months} months less than {reference}, worth {money}",
        "ru": "; на {months} мес. меньше, чем {reference}, это {money}",
    },
    "outlook_survival_small": {"en": " (small sample)", "ru": " (мала выборка)"},
    "outlook_logrank": {
        "en": "Log-rank test of equal curves: chi-square {statistic} with {df} degrees of freedom, p {p}.",
        "ru": "Лог-ранговый тест равенства кривых: хи-квадрат {statistic}, степеней свободы {df}, p {p}.",
    },
    "outlook_survival_rule": {
        "en": "Kaplan–Meier: lifetime from the first purchase to churn (or to the as-of date, still a customer). The "
        "class is read at the as-of date, so it describes who stayed rather than a cause measured in advance. In "
        "money: months × the class's predicted monthly value of a living customer × its customers.",
        "ru": "Каплан–Мейер: время от первой покупки до ухода (или до даты данных, если клиент остаётся). Класс "
        "определён на дату данных, поэтому он описывает, кто остался, а не причину, измеренную заранее. В деньгах: "
        "месяцы × прогнозная месячная ценность активного клиента класса × число клиентов класса.",
    },
    "outlook_section_validation": {"en": "Does the forecast hold? Validation", "ru": "Сбывается ли прогноз? Проверка"},
    "outlook_validation_title": {
        "en": "Repeat purchases after {date}: predicted and actual",
        "ru": "Повторные покупки после {date}: прогноз и факт",
    },
    "outlook_validation_axis_x": {
        "en": "Repeat purchases up to {date} (customer group)",
        "ru": "Повторных покупок до {date} (группа клиентов)",
    },
    "outlook_validation_axis_y": {"en": "Purchases a customer", "ru": "Покупок на клиента"},
    "outlook_predicted": {"en": "Predicted", "ru": "Прогноз"},
    "outlook_actual": {"en": "Actual", "ru": "Факт"},
    "outlook_validation_summary": {
        "en": "Fitted on the purchases to {calibration}, the models predicted {predicted} repeat purchases by "
        "{as_of} for the {n} customers who had bought by then; they made {actual} ({error}).",
        "ru": "Обученные на покупках до {calibration}, модели предсказали {predicted} повторных покупок до "
        "{as_of} для {n} клиентов, купивших к тому времени; сделано {actual} ({error}).",
    },
    "outlook_method_note": {
        "en": "Method: BG/NBD (purchase rate and dropout) and Gamma-Gamma (spend per purchase), Fader, Hardie and "
        "Lee (2005), refitted on everything to {as_of} for the forecast: r = {r}, α = {alpha} {unit}, a = {a}, "
        "b = {b}; p = {p}, q = {q}, γ = {gamma}. One purchase = a customer's positive transactions of one day; "
        "refunds are not netted; customers with a churn event count 0.",
        "ru": "Метод: BG/NBD (частота покупок и уход) и Gamma-Gamma (сумма покупки), Фейдер, Харди и Ли (2005); "
        "для прогноза модели переобучены на всей истории до {as_of}: r = {r}, α = {alpha} {unit}, a = {a}, "
        "b = {b}; p = {p}, q = {q}, γ = {gamma}. Одна покупка — положительные транзакции клиента за один день; "
        "возвраты не вычитаются; клиенты с событием ухода считаются как 0.",
    },
    "outlook_unit_weeks": {"en": "weeks", "ru": "нед."},
    "outlook_unit_days": {"en": "days", "ru": "дн."},
    "outlook_group_all": {"en": "all", "ru": "все"},
}

def value_label(dimension: str, value: str, lang: str) -> str:
    """A segment, channel or class as the reader calls it: 'МСБ', 'Promoters (9–10)' (``cxdata.i18n.display_name``)."""
    if dimension == "nps_class":
        return class_label("nps", value, lang)
    return display_name(dimension, value, lang)


def money(value: float | None, lang: str, currency: str) -> str:
    return format_value(value, "money", lang, 0, currency, compact=True)


def months_text(value: float | None, lang: str) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else format_number(value, lang, 1)


def build_outlook_headline(customers: pd.DataFrame, survival: SurvivalView, lang: str, currency: str, horizon: int) -> str:
    """The page's first sentences: equity and expected active customers, then the promoter–detractor gap."""
    text = translate(
        "outlook_headline", lang, customers=format_number(len(customers), lang),
        equity=money(float(customers["expected_value"].sum()), lang, currency), h=horizon,
        method=translate("outlook_method", lang), alive=format_number(float(customers["p_alive"].sum()), lang),
    )  # fmt: skip
    detractors = survival.row("nps", "detractor")
    if detractors and survival.row("nps", "promoter") and not math.isnan(detractors["months_vs_reference"]):
        text += translate(
            "outlook_headline_gap", lang, months=months_text(detractors["months_vs_reference"], lang),
            horizon=format_number(survival.horizons["nps"], lang), money=money(detractors["value_gap"], lang, currency),
        )  # fmt: skip
    return text


def build_outlook_tiles(customers: pd.DataFrame, survival: SurvivalView, lang: str, currency: str,
                        horizon: int) -> tuple[tuple[str, str, str | None], ...]:
    """The page's four tiles as (label, value, help): equity, expected purchases, customers still
    buying, and how much longer promoters stay than detractors."""
    gap = survival.row("nps", "detractor")
    return (
        (translate("outlook_tile_equity", lang, h=horizon),
         money(float(customers["expected_value"].sum()), lang, currency), translate("outlook_tile_equity_help", lang)),
        (translate("outlook_tile_purchases", lang, h=horizon),
         format_number(float(customers["expected_purchases"].sum()), lang), None),
        (translate("outlook_tile_alive", lang), format_number(float(customers["p_alive"].sum()), lang),
         translate("outlook_tile_alive_help", lang)),
        (translate("outlook_tile_gap", lang),
         translate("outlook_tile_gap_value", lang, months=months_text(gap["months_vs_reference"], lang)) if gap else "—",
         translate("outlook_tile_gap_help", lang)),
    )  # fmt: skip


def describe_survival(survival: SurvivalView, dimension: str, reference: str, lang: str, currency: str) -> list[str]:
    """One line per class: n, churned, restricted mean months, and the gap to the reference in months
    and money; then the log-rank test."""
    horizon = format_number(survival.horizons.get(dimension, 0.0), lang)
    lines = []
    for row in survival.table[survival.table["dimension"] == dimension].to_dict("records"):
        line = translate(
            "outlook_survival_row", lang, label=class_label(dimension, row["cx_class"], lang),
            n=format_number(row["customers"], lang), churned=format_number(row["churned"], lang),
            mean=months_text(row["restricted_mean_months"], lang), horizon=horizon,
        )  # fmt: skip
        if row["cx_class"] != reference and not math.isnan(row["months_vs_reference"]):
            line += translate(
                "outlook_survival_gap", lang, months=months_text(row["months_vs_reference"], lang),
                reference=class_label(dimension, reference, lang).lower() if lang == "ru" else class_label(dimension, reference, lang),
                money=money(row["value_gap"], lang, currency),
            )  # fmt: skip
        if row["is_small"]:
            line += translate("outlook_survival_small", lang)
        lines.append(line)
    test = survival.tests.get(dimension, {})
    if test.get("degrees_of_freedom"):
        p = test["p_value"]
        p_text = "< 0,001" if lang == "ru" and p < 0.001 else "< 0.001" if p < 0.001 else "= " + format_number(p, lang, 3)
        lines.append(translate("outlook_logrank", lang, statistic=format_number(test["statistic"], lang, 1),
                               df=test["degrees_of_freedom"], p=p_text))  # fmt: skip
    return lines


def describe_validation(model: ClvModel, validation: pd.DataFrame, lang: str, format_day) -> str:
    total = validation.set_index("group").loc["all"]
    error = (total["predicted_total"] - total["actual_total"]) / total["actual_total"] if total["actual_total"] else math.nan
    error_text = "—" if math.isnan(error) else ("+" if error > 0 else "") + format_value(100 * error, "%", lang, 1)
    return translate(
        "outlook_validation_summary", lang, calibration=format_day(model.calibration_end, lang),
        as_of=format_day(model.as_of, lang), predicted=format_number(total["predicted_total"], lang),
        n=format_number(total["customers"], lang), actual=format_number(total["actual_total"], lang), error=error_text,
    )  # fmt: skip


def describe_method(model: ClvModel, lang: str, format_day) -> str:
    params = {k: format_number(v, lang, 3 if v < 100 else 0) for k, v in model.fit.params().items()}
    return translate("outlook_method_note", lang, as_of=format_day(model.as_of, lang),
                     unit=translate(f"outlook_unit_{model.time_unit}", lang), **params)


register_text(TEXT)
