"""Churn risk of the active customers: the data the model reads, its fits on the past, the scores.

Rules, stated once here (the model is in ``cxdata.analysis.churn_risk``):

- **Who is scored at a cut-off day**: the paying customers active at its end (``rules.is_active_at``:
  bought by then, no churn event by then). **Label**: their churn (``rules.customer_churn``) within
  ``horizon_days`` after the cut-off day.
- **Features as of the cut-off day**, from the facts dated on or before it only: days since the
  last purchase; purchases a month over the last 12 months (or since the first purchase, when
  later; at least one month) and the average purchase to date, each against the median of the
  customers of the same segment active then (segments buy at their own rates and sizes, so a
  raw amount would mostly say which segment a customer is in), in log₂ so that an odds ratio is
  "per doubling" (one purchase a year is added to both rates, so that a customer without a
  purchase this year has a finite value); months as a customer; the latest NPS, CSAT and CES classes and the complaint status at the end
  of the day (``cxdata.questions.money_base`` rules); the furthest journey stage reached; the
  segment, region, first-contact channel and acquisition channel.
- **Time, never shuffled rows**: the model is trained at the cut-off ``as_of − 2 × horizon``
  (features up to it, labels in the horizon after it) and validated at ``as_of − horizon``
  (features up to it, labels up to the as-of date): AUC, Brier score, top-decile capture and the
  calibration in ten equal groups, with their n. Then it is refitted on both labelled cut-offs
  (a customer active at both is a row at each) and scores every customer active at the as-of date
  from the facts up to it.
- **Value at stake** of a customer: risk × their predicted value, the 12-month expected value of
  the lifetime-value forecast (``cxdata.questions.clv``) when there is one, else their net revenue
  of the last 12 months; which one is said with the number.
- **Fitted once per data version** on every customer; the global filters only choose which scored
  customers are shown (segment, region, first-contact channel, acquisition channel; the period
  does not apply).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd

from cxdata.analysis.churn_risk import (
    ChurnFit,
    build_encoding,
    calibration_table,
    driver_table,
    fit_churn_model,
    main_reasons,
    validation_summary,
)
from cxdata.analysis.clv import DAYS_PER_MONTH
from cxdata.i18n import WordedError, register_text
from cxdata.model.filters import Filters
from cxdata.model.rules import REFERENCE_CLASS, is_active_at, is_purchase
from cxdata.questions.clv import ATTRIBUTES, ClvModel, customer_attributes, select_by_attributes
from cxdata.questions.money_base import as_of_bound, fetch_customer_table
from cxdata.questions.money_report import fetch_stage_labels

DEFAULT_HORIZON_DAYS = 90
HORIZON_DAYS_RANGE = (7, 365)
# The features and the unit each odds ratio is stated per.
NUMERIC_FEATURES = {
    "days_since_last_purchase": 30.0,  # each month without a purchase
    "purchase_rate_vs_segment": 1.0,  # buying twice as often as the segment's typical customer
    "average_purchase_vs_segment": 1.0,  # an average purchase twice the segment's typical one
    "months_as_customer": 12.0,  # each year as a customer
}
RATE_SMOOTHING = 1 / 12  # one purchase a year, a month
# Categorical features and their reference level (None: the most frequent one).
CATEGORICAL_FEATURES = {
    "nps_class": REFERENCE_CLASS["nps"],
    "csat_class": REFERENCE_CLASS["csat"],
    "ces_class": REFERENCE_CLASS["ces"],
    "complaint_status": "none",
    "furthest_stage": None,
    "segment": None,
    "region": None,
    "channel": None,
    "acquisition_channel": None,
}
NO_STAGE = "no_stage"
LAST_YEAR_DAYS = 365
MIN_CHURNERS = 10  # a fit on fewer churners would be noise


@dataclass(frozen=True)
class ChurnRiskModel:
    """The validated model, the refitted one and the scores of one data version.

    ``validation``: ``analysis.churn_risk.validation_summary`` of the model trained at
    ``training_cutoff`` on the customers active at ``validation_cutoff``; ``calibration`` its
    ten groups; ``drivers``: ``analysis.churn_risk.driver_table`` of the refitted model.
    ``customers``: one row per customer active at the as-of date: ``customer_id``, the
    ``ATTRIBUTES``, the features, ``revenue_last_year``, ``risk``, ``reason`` (the feature that
    raises the risk most, None if none does); highest risk first.
    """

    as_of: date
    horizon_days: int
    training_cutoff: date
    validation_cutoff: date
    validation_fit: ChurnFit
    fit: ChurnFit
    validation: dict
    calibration: pd.DataFrame
    drivers: pd.DataFrame
    customers: pd.DataFrame
    stage_labels: dict


register_text({
    "risk_bad_horizon": {"en": "the horizon must be a whole number of days from {low} to {high}: {value}",
                         "ru": "горизонт должен быть целым числом дней от {low} до {high}: {value}"},
    "risk_too_little_training": {
        "en": "too little history to fit: {customers} customers active at the training cut-off, {churners} of them "
              "churned within {days} days",
        "ru": "слишком мало истории для модели: на дату обучения активны клиентов: {customers}, из них ушли в течение "
              "{days} дн.: {churners}"},
    "risk_too_little_validation": {
        "en": "too little history to fit: {customers} customers active at the validation cut-off, {churners} of them "
              "churned within {days} days",
        "ru": "слишком мало истории для модели: на дату проверки активны клиентов: {customers}, из них ушли в течение "
              "{days} дн.: {churners}"},
})  # fmt: skip


def validate_horizon_days(horizon_days) -> int:
    low, high = HORIZON_DAYS_RANGE
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, (int, np.integer)) or not low <= horizon_days <= high:
        raise WordedError("risk_bad_horizon", low=low, high=high, value=repr(horizon_days))
    return int(horizon_days)


def fetch_churn_features(db, cutoff: date, horizon_days: int) -> pd.DataFrame:
    """One row per paying customer active at the end of ``cutoff`` (module rules): ``customer_id``,
    the ``ATTRIBUTES``, the features (``NUMERIC_FEATURES``, ``CATEGORICAL_FEATURES``) and the
    amounts they are made of (``purchases_per_month``, ``average_purchase`` and their segment
    medians ``segment_purchases_per_month``, ``segment_average_purchase``), ``revenue_last_year`` (net, the 365 days to the cut-off), ``churned_at`` and
    ``churned_within_horizon`` (meaningful when the horizon ends by the as-of date); by customer id."""
    end = as_of_bound(cutoff)
    last_year = Filters(cutoff - timedelta(days=LAST_YEAR_DAYS - 1), cutoff)
    table = fetch_customer_table(db, last_year, cutoff)
    table = table.filter(is_active_at(table.first_purchase_at, table.churned_at, end))

    transactions = db.table("transactions")
    purchases = transactions.filter(is_purchase(transactions.amount), transactions.customer_id.notnull(),
                                    transactions.occurred_at < end)  # fmt: skip
    history = purchases.group_by("customer_id").aggregate(
        last_purchase_at=purchases.occurred_at.max(), purchases_to_date=purchases.count(),
        purchase_spend_to_date=purchases.amount.sum(),
    )  # fmt: skip
    events, stages = db.table("journey_events"), db.table("journey_stages")
    reached = events.filter(events.customer_id.notnull(), events.occurred_at < end).join(stages, "stage")
    reached = reached.group_by("customer_id").aggregate(furthest_position=reached.position.max())
    attributes = customer_attributes(db)

    joined = table.left_join(history, "customer_id").left_join(reached, "customer_id").left_join(attributes, "customer_id")
    frame = joined.select(
        table.customer_id, table.first_purchase_at, table.churned_at, table.nps_class, table.csat_class,
        table.ces_class, table.complaint_status, table.purchases_in_period, table.revenue_in_period,
        history.last_purchase_at, history.purchases_to_date, history.purchase_spend_to_date,
        reached.furthest_position, *(ibis.coalesce(attributes[c], "Unknown").name(c) for c in ATTRIBUTES),
    ).execute()  # fmt: skip
    return _derive_features(frame, cutoff, horizon_days, _stage_by_position(db))


def _stage_by_position(db) -> dict[int, str]:
    """Journey position -> stage name (the first by name where positions repeat)."""
    stages = db.table("journey_stages").execute().sort_values(["position", "stage"], kind="stable")
    return {int(position): str(stage) for position, stage in zip(stages["position"], stages["stage"], strict=True)
            if pd.notna(position)} if len(stages) else {}  # fmt: skip


def _derive_features(frame: pd.DataFrame, cutoff: date, horizon_days: int, stages: dict[int, str]) -> pd.DataFrame:
    day = pd.Timestamp(cutoff)
    first_day = pd.to_datetime(frame["first_purchase_at"]).dt.normalize()
    months = (day - first_day).dt.days.clip(lower=0) / DAYS_PER_MONTH
    window_months = np.maximum(np.minimum(months, LAST_YEAR_DAYS / DAYS_PER_MONTH), 1.0)
    spend = frame["purchase_spend_to_date"].astype(float)
    count = frame["purchases_to_date"].astype(float)
    position = frame["furthest_position"]
    churned_at = pd.to_datetime(frame["churned_at"])
    label_end = pd.Timestamp(cutoff + timedelta(days=1 + horizon_days))
    rate = frame["purchases_in_period"].astype(float) / window_months
    average = (spend / count).clip(lower=0.01)
    segment = frame["segment"].astype(str)
    typical_rate, typical_average = _segment_median(rate, segment), _segment_median(average, segment)
    out = pd.DataFrame({
        "customer_id": frame["customer_id"],
        **{column: frame[column].astype(str) for column in ATTRIBUTES},
        "days_since_last_purchase": (day - pd.to_datetime(frame["last_purchase_at"]).dt.normalize()).dt.days.astype(float),
        "purchases_per_month": rate,
        "average_purchase": average,
        "segment_purchases_per_month": typical_rate,
        "segment_average_purchase": typical_average,
        "purchase_rate_vs_segment": np.log2((rate + RATE_SMOOTHING) / (typical_rate + RATE_SMOOTHING)),
        "average_purchase_vs_segment": np.log2(average / typical_average),
        "months_as_customer": months.astype(float),
        "nps_class": frame["nps_class"].astype(str), "csat_class": frame["csat_class"].astype(str),
        "ces_class": frame["ces_class"].astype(str), "complaint_status": frame["complaint_status"].astype(str),
        "furthest_stage": [stages.get(int(p), NO_STAGE) if pd.notna(p) else NO_STAGE for p in position],
        "revenue_last_year": frame["revenue_in_period"].astype(float),
        "churned_at": churned_at,
        "churned_within_horizon": (churned_at < label_end).fillna(False).to_numpy(dtype=bool),
    })  # fmt: skip
    return out.sort_values("customer_id", ignore_index=True)  # one order whatever the query's: fits agree on reruns


def _segment_median(values: pd.Series, segment: pd.Series) -> pd.Series:
    """Each row's segment median of ``values`` (of the rows given: the customers active at one cut-off)."""
    return values.groupby(segment).transform("median")


def describe_churn_risk_fit(model: ChurnRiskModel) -> dict:
    """What ``python -m cxdata refit`` prints of a stored churn-risk fit."""
    return {"horizon_days": model.horizon_days, "training_cutoff": model.training_cutoff.isoformat(),
            "validation_cutoff": model.validation_cutoff.isoformat(), "active_customers": len(model.customers),
            "validation": {key: model.validation[key] for key in ("auc", "top_decile_capture", "brier", "n")
                           if key in model.validation}}  # fmt: skip


def compute_churn_risk_model(db, as_of: date, horizon_days: int = DEFAULT_HORIZON_DAYS) -> ChurnRiskModel:
    """Train at ``as_of − 2 × horizon``, validate at ``as_of − horizon``, refit on both and score
    the customers active at ``as_of`` (module rules). ValueError when the history is too short or
    too few customers churned to fit."""
    horizon_days = validate_horizon_days(horizon_days)
    validation_cutoff = as_of - timedelta(days=horizon_days)
    training_cutoff = as_of - timedelta(days=2 * horizon_days)
    training = fetch_churn_features(db, training_cutoff, horizon_days)
    validation = fetch_churn_features(db, validation_cutoff, horizon_days)
    for name, rows in (("training", training), ("validation", validation)):
        churners = int(rows["churned_within_horizon"].sum())
        if churners < MIN_CHURNERS or len(rows) - churners < MIN_CHURNERS:
            raise WordedError(f"risk_too_little_{name}", customers=len(rows), churners=churners, days=horizon_days)
    encoding = build_encoding(training, NUMERIC_FEATURES, CATEGORICAL_FEATURES)
    validation_fit = fit_churn_model(training, training["churned_within_horizon"], encoding)
    predicted = validation_fit.predict(validation)
    labels = validation["churned_within_horizon"].to_numpy()

    both = pd.concat([training, validation], ignore_index=True)
    fit = fit_churn_model(both, both["churned_within_horizon"], build_encoding(both, NUMERIC_FEATURES, CATEGORICAL_FEATURES))
    scored = fetch_churn_features(db, as_of, horizon_days).drop(columns=["churned_at", "churned_within_horizon"])
    scored["risk"] = fit.predict(scored)
    scored["reason"] = main_reasons(fit, scored)
    scored = scored.sort_values(["risk", "customer_id"], ascending=[False, True], kind="stable", ignore_index=True)
    return ChurnRiskModel(
        as_of=as_of, horizon_days=horizon_days, training_cutoff=training_cutoff, validation_cutoff=validation_cutoff,
        validation_fit=validation_fit, fit=fit, validation=validation_summary(labels, predicted),
        calibration=calibration_table(labels, predicted), drivers=driver_table(fit), customers=scored,
        stage_labels=fetch_stage_labels(db),
    )  # fmt: skip


def at_risk_customers(model: ChurnRiskModel, filters: Filters, clv: ClvModel | None = None) -> pd.DataFrame:
    """The scored customers the global filters select, highest risk first, with
    ``predicted_value`` (the lifetime-value forecast's expected value over its horizon when
    ``clv`` is given, else ``revenue_last_year``, not below 0), ``value_basis`` (``clv`` or
    ``revenue_last_year``) and ``value_at_stake`` = risk × predicted value."""
    customers = select_by_attributes(model.customers, filters).copy()
    if clv is not None:
        expected = clv.customers.set_index("customer_id")["expected_value"]
        customers["predicted_value"] = customers["customer_id"].map(expected).fillna(0.0).to_numpy(dtype=float)
        customers["value_basis"] = "clv"
    else:
        customers["predicted_value"] = customers["revenue_last_year"].clip(lower=0.0)
        customers["value_basis"] = "revenue_last_year"
    customers["value_at_stake"] = customers["risk"] * customers["predicted_value"]
    return customers


def risk_by(customers: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Per value of ``dimension`` of ``at_risk_customers``: ``value``, ``customers``,
    ``expected_churners`` (Σ risk), ``value_at_stake``, ``share`` (of the selection's value at
    stake); largest value at stake first."""
    grouped = customers.groupby(dimension, sort=False).agg(
        customers=("customer_id", "size"), expected_churners=("risk", "sum"), value_at_stake=("value_at_stake", "sum"),
    ).reset_index().rename(columns={dimension: "value"})  # fmt: skip
    total = grouped["value_at_stake"].sum()
    grouped["share"] = grouped["value_at_stake"] / total if total else math.nan
    return grouped.sort_values("value_at_stake", ascending=False, kind="stable").reset_index(drop=True)


def rank_customers(customers: pd.DataFrame, order: str = "risk", top: int | None = None) -> pd.DataFrame:
    """``at_risk_customers`` ordered by ``risk`` or ``value_at_stake`` (highest first; ties by
    customer id), the first ``top`` of them when given."""
    if order not in ("risk", "value_at_stake"):
        raise ValueError(f"order must be risk or value_at_stake: {order!r}")
    ranked = customers.sort_values([order, "customer_id"], ascending=[False, True], kind="stable", ignore_index=True)
    return ranked if top is None else ranked.head(top)
