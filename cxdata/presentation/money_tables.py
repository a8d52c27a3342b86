"""Tables of the CX-and-money page as display frames: translated headers, formatted values.

Pure functions of the metric frames (no query, no Streamlit), so the page only shows them.
"""

from __future__ import annotations

import math

import pandas as pd

from cxdata.i18n import format_number, format_value, register_text, translate
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.presentation import forecast_text  # noqa: F401 - registers the predicted LTV's texts
from cxdata.presentation.money_charts import METRIC_UNITS
from cxdata.presentation.money_text import (
    class_label,
    driver_label,
    significance_text,
    stage_label,
)
from cxdata.questions.money import DIMENSIONS, ClassEconomics
from cxdata.presentation.cells import NumberText, number_text
from cxdata.presentation.unit_tables import (  # noqa: F401 - the page's and tests' import
    add_predicted_columns,
    build_unit_table,
    describe_never_paying_back,
)

SMALL = "⚠ "

register_text({
    "money_whatif_nps_capped": {
        "en": "Capped: +{asked} NPS points were asked, but moving every detractor ({movers}) to {target} raises NPS "
        "by +{achieved} at most; the figures below are for +{achieved}.",
        "ru": "Ограничено: запрошено +{asked} п. NPS, но перевод всех критиков ({movers}) в {target} поднимает NPS "
        "не более чем на +{achieved}; цифры ниже — для +{achieved}.",
    },
})


def _fmt(value, unit: str, decimals: int, lang: str, currency: str = "") -> str:
    """The value as shown, a number in the XLSX download (``cxdata.presentation.cells``); '—' without one."""
    return number_text(value, unit, lang, decimals, currency)


def _marked(mark: str, text: str) -> str:
    """``mark`` + ``text``, still the same number when ``text`` is a shown number."""
    return text.with_text(mark + text) if isinstance(text, NumberText) else mark + text


def build_economics_table(economics: ClassEconomics, dimension: str, lang: str, currency: str) -> pd.DataFrame:
    """One row per class of ``dimension``: every economics metric, then the significance of the
    churn, ARPU and LTV differences vs the reference class; ⚠ marks n < 30. A value that cannot
    be measured says "not available" (why: ``describe_economics_gaps``)."""
    _, classes, reference = DIMENSIONS[dimension]
    rows = []
    for cx_class in classes:
        customers = economics.row(dimension, cx_class, "customers")
        if not customers["n"]:
            continue
        row = {translate("money_class", lang): class_label(dimension, cx_class, lang)}
        for metric, (unit, decimals) in METRIC_UNITS.items():
            value = economics.row(dimension, cx_class, metric)
            if value.get("gap") is not None:
                row[translate(f"money_metric_{metric}", lang)] = translate("not_available_short", lang)
                continue
            text = _fmt(value["value"], unit, decimals, lang, currency)
            if metric == "revenue" and value["value"] is not None:
                text = number_text(value["value"], unit, lang, decimals, currency, compact=True)
            if metric not in ("customers", "revenue") and 0 < value["n"] < MIN_SAMPLE_SIZE:
                text = _marked(SMALL, text)
            row[translate(f"money_metric_{metric}", lang)] = text
        for metric in ("churn_rate", "arpu", "ltv"):
            header = translate("money_difference", lang, metric=translate(f"money_metric_{metric}", lang))
            p_value = economics.row(dimension, cx_class, metric)["p_value"]
            row[header] = translate("money_reference", lang) if cx_class == reference else significance_text(p_value, lang)
        rows.append(row)
    return pd.DataFrame(rows, dtype=object)  # object: the cells keep their numbers (cxdata.presentation.cells)


def describe_economics_gaps(economics: ClassEconomics, dimension: str, lang: str) -> list[str]:
    """Why the "not available" cells of ``build_economics_table`` have no value, one line per
    reason: 'Retention, Churn a month: not available: no churn events loaded — load churn events.'
    (the classes named when the reason holds for some of them only)."""
    _, classes, _ = DIMENSIONS[dimension]
    shown = [c for c in classes if economics.row(dimension, c, "customers")["n"]]
    reasons: dict = {}  # gap -> (metrics, classes), in table order
    for cx_class in shown:
        for metric in METRIC_UNITS:
            gap = economics.row(dimension, cx_class, metric).get("gap")
            if gap is not None:
                metrics, where = reasons.setdefault(gap, ({}, {}))
                metrics[metric], where[cx_class] = None, None
    lines = []
    for gap, (metrics, where) in reasons.items():
        names = ", ".join(translate(f"money_metric_{m}", lang) for m in metrics)
        if len(where) == len(shown):
            lines.append(translate("money_gap_note", lang, metrics=names, text=gap.text(lang)))
        else:
            labels = ", ".join(class_label(dimension, c, lang) for c in where)
            lines.append(translate("money_gap_note_classes", lang, metrics=names, classes=labels, text=gap.text(lang)))
    return lines


def _compact(value, lang: str, currency: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return number_text(value, "money", lang, 0, currency, compact=True)


def build_driver_table(
    drivers: pd.DataFrame, lang: str, currency: str, horizon_months: int, stage_labels: dict[str, dict[str, str]]
) -> pd.DataFrame:
    """One row per driver, most money first: exposure, churn and revenue effects with significance."""
    rows = []
    for d in drivers.itertuples():
        odds = "—" if math.isnan(d.odds_ratio) else (
            f"{format_number(d.odds_ratio, lang, 2)} ({format_number(d.odds_ratio_low, lang, 2)}"
            f" … {format_number(d.odds_ratio_high, lang, 2)})"
        )  # fmt: skip
        gap = d.exposed_revenue_per_customer - d.unexposed_revenue_per_customer
        exposed = format_number(d.exposed_customers, lang) + (f" {SMALL.strip()}" if d.is_small_sample else "")
        rows.append({
            translate("money_col_driver", lang): driver_label(d.kind, d.subject, lang, stage_labels),
            translate("money_col_at_stake", lang, h=horizon_months): _compact(d.revenue_at_stake, lang, currency),
            translate("money_col_exposed", lang): exposed,
            translate("money_col_performance", lang): _fmt(d.performance, "%", 1, lang),
            translate("money_col_churn_exposed", lang): _fmt(d.exposed_churn_rate, "%", 2, lang),
            translate("money_col_churn_unexposed", lang): _fmt(d.unexposed_churn_rate, "%", 2, lang),
            translate("money_col_odds_ratio", lang): odds,
            translate("money_col_churn_test", lang): significance_text(d.churn_p_value, lang),
            translate("money_col_revenue_gap", lang): _fmt(gap, "money", 0, lang, currency),
            translate("money_col_revenue_test", lang): significance_text(d.revenue_p_value, lang),
        })  # fmt: skip
    return pd.DataFrame(rows, dtype=object)  # object: the cells keep their numbers (cxdata.presentation.cells)


def describe_columns(lang: str) -> dict[str, str]:
    """Economics table header -> its definition (the hover help of the column)."""
    return {translate(f"money_metric_{metric}", lang): translate(f"money_def_{metric}", lang) for metric in METRIC_UNITS}


def build_risk_tiles(risk, lang: str, currency: str, horizon_months: int, gap=None) -> list[dict]:
    """One tile per revenue-at-risk group: label, value (compact money), note, help (the model);
    with a ``gap`` (no churn data, ``cxdata.engine.coverage.Gap``) "not available" and why."""
    tiles = []
    for r in risk.itertuples():
        if gap is not None:
            tiles.append({
                "label": f"{translate(f'money_risk_group_{r.group}', lang)}, {currency}".rstrip(", "),
                "value": translate("not_available_short", lang), "note": gap.text(lang),
                "help": translate("money_risk_model", lang, h=horizon_months),
            })  # fmt: skip
            continue
        note = translate(
            "money_risk_note", lang, churn=_fmt(r.churn_rate, "%", 2, lang),
            reference_churn=_fmt(r.reference_churn_rate, "%", 2, lang), customers=format_number(r.customers, lang),
            reference=translate(f"money_risk_reference_{r.reference}", lang),
            significance=significance_text(r.p_value, lang),
        )  # fmt: skip
        if 0 < min(r.active_at_start, r.reference_active_at_start) < MIN_SAMPLE_SIZE:
            note += f" · {SMALL}{translate('small_sample', lang)}"
        value = r.revenue_at_risk
        tiles.append({
            "label": f"{translate(f'money_risk_group_{r.group}', lang)}, {currency}".rstrip(", "),
            "value": "—" if value is None or math.isnan(value) else format_value(value, "money", lang, 0, compact=True),
            "note": note,
            "help": translate("money_risk_model", lang, h=horizon_months),
        })  # fmt: skip
    return tiles


def build_whatif_tiles(whatif, lang: str, currency: str, stage_labels: dict[str, dict[str, str]]) -> tuple[list[dict], str]:
    """(tiles: revenue change, gain per changed customer, LTV change per customer of the base; the
    assumptions written out with the measured inputs)."""
    h = whatif.horizon_months

    def money(value, compact=False, with_currency=True):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        return format_value(value, "money", lang, 0, currency if with_currency else "", compact=compact)

    tiles = [
        {"label": f"{translate('money_whatif_revenue', lang, h=h)}, {currency}", "value": money(whatif.revenue_change, True, False)},
        {"label": f"{translate(f'money_whatif_gain_{whatif.scenario}', lang, h=h)}, {currency}",
         "value": money(None if whatif.value_after is None or whatif.value_before is None
                        else whatif.value_after - whatif.value_before, True, False)},
        {"label": f"{translate('money_whatif_ltv', lang, h=h)}, {currency}", "value": money(whatif.ltv_change, True, False)},
    ]  # fmt: skip
    i = whatif.inputs
    if whatif.scenario == "nps":
        text = translate(
            "money_whatif_nps_model", lang, achieved=format_number(i["achieved_points"], lang, 1),
            movers=format_number(whatif.changed_customers, lang), base=format_number(whatif.base_customers, lang),
            target=class_label("nps", i["to_class"], lang), step=2 if i["to_class"] == "promoter" else 1,
            revenue_after=money(i["monthly_revenue_after"]), revenue_before=money(i["monthly_revenue_before"]),
            churn_after=_fmt(i["churn_after"], "%", 2, lang), churn_before=_fmt(i["churn_before"], "%", 2, lang), h=h,
            churn_test=significance_text(i["churn_p_value"], lang), revenue_test=significance_text(i["revenue_p_value"], lang),
        )  # fmt: skip
        if i["achieved_points"] < i["points"] - 0.05:  # every detractor moved: the asked points are out of reach
            text = translate(
                "money_whatif_nps_capped", lang, asked=format_number(i["points"], lang, 1),
                achieved=format_number(i["achieved_points"], lang, 1), movers=format_number(whatif.changed_customers, lang),
                target=class_label("nps", i["to_class"], lang),
            ) + " " + text  # fmt: skip
    else:
        text = translate(
            "money_whatif_drop_model", lang, percent=format_number(i["percent"], lang), dropped=format_number(i["dropped"], lang),
            stage=stage_label(i["stage"], lang, stage_labels), next_stage=stage_label(i["next_stage"] or "", lang, stage_labels),
            recovered=format_number(whatif.changed_customers, lang),
            value_to_date=money(i["value_to_date"]), lost_value=money(i["lost_value"], True),
            months=format_number(i["observed_months"], lang, 1), h=h,
        )  # fmt: skip
    return tiles, text
