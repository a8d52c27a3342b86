"""The CX lever worth most money (the page's headline) and the report the CLI prints.

A lever is a measured gap priced by one model (``cxdata.questions.money.compute_revenue_at_risk`` and
``cxdata.questions.money_drivers.compute_drivers``): the revenue a group would keep over the horizon if it
churned like its reference group. Only gaps significant at 5% with a positive amount compete.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from cxdata.engine.coverage import Gap
from cxdata.engine.engines import read_backend_meta
from cxdata.i18n import format_value, translate
from cxdata.model.filters import Filters
from cxdata.presentation.money_text import category_label, format_p_value, stage_label
from cxdata.questions.money import (
    DEFAULT_HORIZON_MONTHS,
    ClassEconomics,
    build_class_economics,
    compute_revenue_at_risk,
    fetch_retention_gap,
)
from cxdata.questions.metrics import fetch_metric_coverage
from cxdata.questions.money_base import class_order, fetch_money_cells
from cxdata.questions.money_drivers import compute_drivers
from cxdata.questions.money_units import fetch_unit_customers, fetch_unit_economics, gap_of
from cxdata.questions.predicted_value import PREDICTED_HORIZON_MONTHS, forecast_for_ltv, predict_unit_economics


@dataclass(frozen=True)
class Lever:
    """One priced CX gap: ``kind`` is a risk group (detractor, passive, unresolved) or a driver
    kind (csat, ces, complaint) with its ``subject`` (stage or category)."""

    kind: str
    subject: str | None
    revenue: float  # kept over the horizon if the gap closed
    churn_rate: float  # % per month, the group / the exposed
    reference_churn_rate: float  # % per month, the reference group / the unexposed
    p_value: float


def rank_levers(risk: pd.DataFrame, drivers: pd.DataFrame) -> list[Lever]:
    """Significant gaps worth a positive amount, most money first."""
    levers = [
        Lever(r.group, None, r.revenue_at_risk, r.churn_rate, r.reference_churn_rate, r.p_value)
        for r in risk.itertuples()
        if r.is_significant and r.revenue_at_risk > 0
    ]
    levers += [
        Lever(d.kind, d.subject, d.revenue_at_stake, d.exposed_churn_rate, d.unexposed_churn_rate, d.churn_p_value)
        for d in drivers.itertuples()
        if d.is_churn_significant and d.revenue_at_stake > 0
    ]
    return sorted(levers, key=lambda lever: -lever.revenue)


def fetch_stage_labels(db) -> dict[str, dict[str, str]]:
    """Stage name -> {"en": label, "ru": label} from ``journey_stages``."""
    stages = db.table("journey_stages").execute()
    return {row.stage: {"en": row.label_en or row.stage, "ru": row.label_ru or row.label_en or row.stage}
            for row in stages.itertuples()}  # fmt: skip


def lever_label(lever: Lever, lang: str, stage_labels: dict[str, dict[str, str]]) -> str:
    if lever.kind == "complaint":
        return translate("money_lever_complaint", lang, category=category_label(lever.subject, lang))
    if lever.kind in ("csat", "ces"):
        return translate(f"money_lever_{lever.kind}", lang, stage=stage_label(lever.subject, lang, stage_labels))
    return translate(f"money_lever_{lever.kind}", lang)


def build_money_headline(
    risk: pd.DataFrame, drivers: pd.DataFrame, lang: str, currency: str, horizon_months: int,
    stage_labels: dict[str, dict[str, str]], retention_gap: Gap | None = None,
) -> str:  # fmt: skip
    """One or two sentences: the lever worth most money and the runner-up, or why there is none
    (every lever is a churn gap: without churn data, what is missing)."""
    if retention_gap is not None:
        return retention_gap.text(lang)
    levers = rank_levers(risk, drivers)
    if not levers:
        return translate("money_headline_none", lang)

    def money(value: float) -> str:
        return format_value(value, "money", lang, 0, currency, compact=True)

    def percent(value: float) -> str:
        return format_value(value, "%", lang, 1)

    top = levers[0]
    detail = translate(
        "money_headline_detail", lang, churn=percent(top.churn_rate), reference_churn=percent(top.reference_churn_rate),
        p=format_p_value(top.p_value, lang),
    )  # fmt: skip
    text = translate(
        "money_headline", lang, lever=lever_label(top, lang, stage_labels), money=money(top.revenue),
        h=horizon_months, detail=detail,
    )  # fmt: skip
    if len(levers) > 1:
        runner_up = levers[1]
        label = lever_label(runner_up, lang, stage_labels)
        text += " " + translate("money_headline_next", lang, lever=label[:1].lower() + label[1:], money=money(runner_up.revenue))
    return text


# ---------------------------------------------------------------- the CLI report

REPORT_METRICS = ("customers", "revenue", "arpu", "ltv", "purchase_frequency", "retention_rate", "churn_rate")


def _number(value):
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return None
    return value.item() if hasattr(value, "item") else value


def _economics_json(economics: ClassEconomics, lang: str) -> dict:
    classes = {}
    for cx_class in class_order("nps"):
        entry = {}
        for metric in REPORT_METRICS:
            row = economics.row("nps", cx_class, metric)
            if metric in ("customers", "revenue"):
                entry[metric] = _number(row["value"]) if metric == "revenue" else int(row["value"] or 0)
                continue
            if row.get("gap") is not None:
                entry[metric] = {"value": None, "n": 0, "reason": row["gap"].reason(lang)}
                continue
            entry[metric] = {
                "value": _number(row["value"]), "n": int(row["n"]), "low": _number(row["low"]),
                "high": _number(row["high"]), "p_value": _number(row["p_value"]),
                "significant": bool(row["is_significant"]),
            }  # fmt: skip
        classes[cx_class] = entry
    return classes


def _predicted_json(state: str, lang: str) -> dict:
    from cxdata.presentation.forecast_text import describe_predicted_gap, describe_predicted_method

    return {"method": describe_predicted_method(lang, PREDICTED_HORIZON_MONTHS), "horizon_months": PREDICTED_HORIZON_MONTHS,
            "state": state, "reason": None if state == "ready" else describe_predicted_gap(state, lang)}  # fmt: skip


# The money measures whose data can be missing, named as in ``cxdata.model.registry.MEASURES``.
REPORT_MEASURES = ("class_retention", "revenue_at_risk", "drivers", "cohort_retention", "unit_economics", "payback")


def build_money_report(db, filters: Filters, as_of: date, horizon_months: int = DEFAULT_HORIZON_MONTHS,
                       lang: str = "en", forecast=None, forecast_state: str = "missing") -> dict:  # fmt: skip
    """Everything ``python -m cxdata money`` prints, as plain JSON-ready values.

    ``economics``: per NPS class (promoter, passive, detractor, no_answer): ``customers``,
    ``revenue`` and, as ``{value, n, low, high, p_value, significant}`` (the p-value vs
    promoters), ``arpu``, ``ltv``, ``purchase_frequency``, ``retention_rate``, ``churn_rate``.
    ``revenue_at_risk``: per group (detractor, passive, unresolved). ``drivers``: by money.
    ``unit_economics``: per acquisition channel (and ``all``): ``cac``, ``ltv``, ``ltv_cac``,
    ``payback_months``, ``expected_lifetime_months`` (null when infinite: ``lifetime_note`` says
    ``no_churn``; ``over_cap`` past 10 years), ``pays_back`` (paid back: LTV/CAC ≥ 1) and
    ``payback_status`` (``paid_back``, ``expected``, ``never``: ``cxdata.model.rules.payback_status``),
    ``is_below_standard`` (LTV/CAC under 3), ``paying``, ``contacted``,
    and ``by_nps_class``; where some of them have no value, ``unavailable`` maps each to the reason in
    ``lang`` (a channel none of whose people has an acquisition cost: "no acquisition costs for this
    channel", the other channels keep their numbers). ``currency`` and ``headline`` (the page's
    headline in ``lang``).
    When data a measure needs was never loaded, ``unavailable`` maps the measure (``REPORT_MEASURES``)
    to the reason in ``lang``; its numbers are null (retention and churn: ``{value, n, reason}``)
    and the drivers are empty.

    ``forecast`` is the CLV fit stored for this data (``cxdata.questions.fits.read_stored_fit``,
    with its ``forecast_state``): each unit-economics row gains ``predicted_ltv`` and
    ``predicted_ltv_cac`` (``cxdata.questions.predicted_value``), null without a forecast, and
    ``predicted`` says how they are made (``method``, ``horizon_months``, ``state``) or why
    they are null (``reason``, in ``lang``).
    """
    cells = fetch_money_cells(db, filters, as_of)
    retention_gap = fetch_retention_gap(db)
    economics = build_class_economics(cells, retention_gap)
    risk = compute_revenue_at_risk(economics, horizon_months)
    drivers = compute_drivers(cells, horizon_months)
    drivers = drivers if retention_gap is None else drivers.iloc[:0]  # every driver is a churn gap
    units = fetch_unit_economics(db, filters, as_of)
    currency = read_backend_meta(db).get("currency", "")
    unit_fields = ["contacted", "paying", "cac", "ltv", "ltv_cac", "payback_months", "expected_lifetime_months",
                   "pays_back", "payback_status", "lifetime_note", "is_below_standard"]
    predicted = None
    if forecast is not None and not units.empty:
        predicted = predict_unit_economics(units, fetch_unit_customers(db, filters, as_of), forecast_for_ltv(forecast))
    predicted_rows = (predicted.to_dict(orient="records") if predicted is not None
                      else [{} for _ in range(len(units))])  # fmt: skip
    unit_economics: dict[str, dict] = {}
    for row, forecast_row in zip(units.to_dict(orient="records"), predicted_rows, strict=True):
        values = {name: _number(row[name]) for name in unit_fields}
        reasons = {name: gap.reason(lang) for name in unit_fields if (gap := gap_of(row, name)) is not None}
        values |= {name: _number(forecast_row.get(name)) for name in ("predicted_ltv", "predicted_ltv_cac")}
        if "ltv_cac" in reasons:  # no CAC to divide the predicted LTV by either
            reasons["predicted_ltv_cac"] = reasons["ltv_cac"]
        if reasons:  # the values without a number, and why (a channel without acquisition costs)
            values["unavailable"] = reasons
        channel = unit_economics.setdefault(row["acquisition_channel"], {"by_nps_class": {}})
        if row["cx_class"] == "all":
            channel.update(values)
        else:
            channel["by_nps_class"][row["cx_class"]] = values
    coverage = fetch_metric_coverage(db, REPORT_MEASURES)
    gaps = {name: coverage.gap_of(name) for name in REPORT_MEASURES}
    unavailable = {name: gap.reason(lang) for name, gap in gaps.items() if gap is not None}
    report = {
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        "as_of": as_of.isoformat(),
        "horizon_months": horizon_months,
        "economics": _economics_json(economics, lang),
        "revenue_at_risk": {
            row["group"]: {k: _number(v) for k, v in row.items() if k not in ("group", "dimension")}
            for row in risk.to_dict(orient="records")
        },
        "drivers": [{k: _number(v) for k, v in row.items()} for row in drivers.to_dict(orient="records")],
        "unit_economics": unit_economics,
        "predicted": _predicted_json(forecast_state if forecast is None else "ready", lang),
        "currency": currency,
        "headline": build_money_headline(risk, drivers, lang, currency, horizon_months, fetch_stage_labels(db),
                                         retention_gap),
    }
    return {**report, "unavailable": unavailable} if unavailable else report
