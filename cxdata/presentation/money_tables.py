"""Tables of the CX-and-money page as display frames: translated headers, formatted values.

Pure functions of the metric frames (no query, no Streamlit), so the page only shows them.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd

from cxdata.i18n import display_name, format_number, format_value, translate
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
from cxdata.questions.money_units import gap_of

SMALL = "⚠ "


def _fmt(value, unit: str, decimals: int, lang: str, currency: str = "") -> str:
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "—"
    return format_value(value, unit, lang, decimals, currency)


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
                text = format_value(value["value"], unit, lang, decimals, currency, compact=True)
            if metric not in ("customers", "revenue") and 0 < value["n"] < MIN_SAMPLE_SIZE:
                text = SMALL + text
            row[translate(f"money_metric_{metric}", lang)] = text
        for metric in ("churn_rate", "arpu", "ltv"):
            header = translate("money_difference", lang, metric=translate(f"money_metric_{metric}", lang))
            p_value = economics.row(dimension, cx_class, metric)["p_value"]
            row[header] = translate("money_reference", lang) if cx_class == reference else significance_text(p_value, lang)
        rows.append(row)
    return pd.DataFrame(rows)


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
    return format_value(value, "money", lang, 0, currency, compact=True)


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
    return pd.DataFrame(rows)


def _payback(value, lang: str) -> str:
    return translate("money_never", lang) if value is None or math.isnan(value) else format_number(value, lang, 1)


def _lifetime(value, lang: str) -> str:
    if value is None or math.isnan(value):
        return "—"
    return "∞" if math.isinf(value) else format_number(value, lang, 1)


def _pays_back(value, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return translate("money_yes", lang) if value else translate("money_never", lang)


def build_unit_table(units: pd.DataFrame, lang: str, currency: str, *, by_class: bool = False) -> pd.DataFrame:
    """Per acquisition channel (``by_class``: per channel × promoter/passive/detractor): paying
    customers, CAC, LTV, LTV/CAC, payback and expected lifetime in months, whether it pays back.

    A value without its data says so: the first cell a gap empties in a row carries the whole
    "not available: <reason> — <what to load>", the others of that gap "not available"."""
    rows = []
    # Records, not itertuples: a few dozen rows, and pandas' per-row access costs more than the text.
    for u in (SimpleNamespace(**r) for r in units.to_dict("records") if r["cx_class"] in _unit_classes(by_class)):
        channel = translate("money_all_channels", lang) if u.acquisition_channel == "all" else display_name("acquisition_channel", u.acquisition_channel, lang)
        row = {translate("money_col_channel", lang): channel}
        if by_class:
            row[translate("money_class", lang)] = class_label("nps", u.cx_class, lang)
        paying = format_number(u.paying, lang) + (f" {SMALL.strip()}" if u.is_small_sample else "")
        row[translate("money_col_paying", lang)] = paying
        said = set()  # the gaps whose whole text this row already shows
        for column, header, text in (
            ("cac", "money_col_cac", _fmt(u.cac, "money", 0, lang, currency)),
            ("ltv", "money_col_ltv", _fmt(u.ltv, "money", 0, lang, currency)),
            ("ltv_cac", "money_col_ltv_cac", _fmt(u.ltv_cac, "ratio", 2, lang)),
            ("payback_months", "money_col_payback", _payback(u.payback_months, lang)),
            ("expected_lifetime_months", "money_col_lifetime", _lifetime(u.expected_lifetime_months, lang)),
            ("pays_back", "money_col_pays_back", _pays_back(u.pays_back, lang)),
        ):  # fmt: skip
            gap = gap_of(u, column)
            if gap is not None:
                text = translate("not_available_short", lang) if gap in said else gap.text(lang)
                said.add(gap)
            row[translate(header, lang)] = text
        rows.append(row)
    return pd.DataFrame(rows)


def _unit_classes(by_class: bool) -> tuple[str, ...]:
    """The unit-economics rows a table shows: per channel, or per channel × these NPS classes."""
    return ("promoter", "passive", "detractor") if by_class else ("all",)


def add_predicted_columns(table: pd.DataFrame, units: pd.DataFrame, predicted: pd.DataFrame, lang: str,
                          currency: str, *, by_class: bool = False) -> pd.DataFrame:  # fmt: skip
    """``build_unit_table``'s table with the predicted LTV and LTV/CAC after its LTV/CAC column
    (``predicted``: ``cxdata.questions.predicted_value.predict_unit_economics`` of ``units``)."""
    shown = units["cx_class"].isin(_unit_classes(by_class)).to_numpy()
    rows = predicted[shown]
    columns = {
        translate("predicted_ltv_label", lang): [_fmt(v, "money", 0, lang, currency) for v in rows["predicted_ltv"]],
        translate("predicted_ltv_cac_label", lang): [
            translate("not_available_short", lang) if gap_of(unit, "ltv_cac") is not None else _fmt(v, "ratio", 2, lang)
            for unit, v in zip(units[shown].to_dict("records"), rows["predicted_ltv_cac"], strict=True)
        ],  # a slice without acquisition costs has no CAC to divide by: said, as in the LTV/CAC column
    }
    result = table.copy()
    after = list(result.columns).index(translate("money_col_ltv_cac", lang)) + 1
    for offset, (name, values) in enumerate(columns.items()):
        result.insert(after + offset, name, values)
    return result


def describe_never_paying_back(units: pd.DataFrame, lang: str) -> str:
    """'Never pays back …: detractors via partners, …' or that every group pays back; then the
    channels whose payback is not known and why (no acquisition costs, no churn events)."""
    data = units[(units.cx_class != "no_answer") & (units.acquisition_channel != "all") & (units.paying > 0)]
    never, unknown = data[data.pays_back.eq(False)], data[data.pays_back.isna()]
    if not never.empty:
        groups = [f"{class_label('nps', row.cx_class, lang)} · {display_name('acquisition_channel', row.acquisition_channel, lang)}" for row in never.itertuples()]
        text = translate("money_never_pays_back", lang, groups="; ".join(groups))
    else:
        text = translate("money_all_pay_back" if unknown.empty else "money_known_pay_back", lang)
    if unknown.empty:
        return text
    gaps = dict.fromkeys(gap for row in unknown.to_dict("records") if (gap := gap_of(row, "pays_back")) is not None)
    channels = ", ".join(sorted({display_name("acquisition_channel", c, lang) for c in unknown.acquisition_channel}))
    reasons = "; ".join(gap.text(lang) for gap in gaps) or translate("not_available_short", lang)
    return f"{text} {translate('money_pays_back_unknown', lang, channels=channels, reasons=reasons)}"


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
    else:
        text = translate(
            "money_whatif_drop_model", lang, percent=format_number(i["percent"], lang), dropped=format_number(i["dropped"], lang),
            stage=stage_label(i["stage"], lang, stage_labels), next_stage=stage_label(i["next_stage"] or "", lang, stage_labels),
            recovered=format_number(whatif.changed_customers, lang),
            value_to_date=money(i["value_to_date"]), lost_value=money(i["lost_value"], True),
            months=format_number(i["observed_months"], lang, 1), h=h,
        )  # fmt: skip
    return tiles, text
