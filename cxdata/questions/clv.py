"""Predicted lifetime value of the customer base: the data the models read, the fits, the forecast.

Rules, stated once here (the models are in ``cxdata.analysis.clv``):

- **Purchases** follow the product's rule (``rules.is_purchase``: a positive transaction); refunds
  are not purchases and are not netted from the spend. A customer's purchases of one calendar day
  are one purchase occasion, as the papers count CDNOW's records.
- **Calibration and holdout.** The models are fitted on the purchases up to the calibration end
  (default: the day 70% of the way from the first purchase to the as-of date) and predict the
  repeat purchases after it, up to the as-of date, of the customers who had bought by then; the
  validation compares that with what they did. Then the models are refitted on everything up to
  the as-of date for the forecast.
- **Forecast** over the horizon (months of 365.25 / 12 days): P(alive), expected purchases and
  expected value (expected purchases × the Gamma-Gamma expected spend, undiscounted) of every
  paying customer. A customer with a churn event (``rules.customer_churn``) on or before the
  as-of date has left for certain: P(alive) 0 and no expected value (in the validation: churned
  by the calibration end). Customer equity = the sum of expected values.
- **Fitted once per data version** on every paying customer; the global filters choose which
  customers' forecasts are summed (segment, region, first-contact channel, acquisition channel;
  the period does not apply: the models read the whole history to the as-of date).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxdata.analysis.clv import (
    DAYS_PER_MONTH,
    DAYS_PER_UNIT,
    ClvFit,
    fit_clv,
    predict_customers,
    predict_repeat_purchases,
    validation_by_group,
)
from cxdata.engine.query import day_start
from cxdata.i18n import WordedError, register_text
from cxdata.model.filters import UNKNOWN, Filters
from cxdata.model.rules import customer_churn, is_purchase
from cxdata.questions.money_base import fetch_customer_table
from cxdata.questions.overview import fetch_data_start

DEFAULT_TIME_UNIT = "weeks"
DEFAULT_HORIZON_MONTHS = 12
HORIZON_CHOICES = ("12", "24", "36")  # the Outlook page's horizons, in months (as the link writes them)
CALIBRATION_SHARE = 0.7
ATTRIBUTES = ("segment", "region", "channel", "acquisition_channel")
CLASS_COLUMNS = ("nps_class", "csat_class", "complaint_status")
EQUITY_DIMENSIONS = ("segment", "channel", "acquisition_channel", "nps_class")


@dataclass(frozen=True)
class ClvModel:
    """The fits and the per-customer forecast of one data version.

    ``customers``: one row per paying customer: ``customer_id``, the ``ATTRIBUTES``, the
    ``CLASS_COLUMNS`` (as of the as-of date, ``money_base`` rules), ``first_purchase_at``,
    ``churned_at``; the calibration summary (``calibration_frequency``, ``calibration_recency``,
    ``calibration_T``, null for customers who first bought after the calibration end),
    ``holdout_purchases``, ``predicted_holdout_purchases``; the full summary (``frequency``,
    ``recency``, ``T``, ``monetary_value``) and the forecast (``p_alive``,
    ``expected_purchases``, ``expected_spend``, ``expected_value``).
    """

    calibration_fit: ClvFit
    fit: ClvFit
    customers: pd.DataFrame
    calibration_end: date
    as_of: date
    time_unit: str
    horizon_months: int

    @property
    def horizon(self) -> float:
        """The horizon in the time unit."""
        return self.horizon_months * DAYS_PER_MONTH / DAYS_PER_UNIT[self.time_unit]


def default_calibration_end(first_purchase: date, as_of: date) -> date:
    """The day ``CALIBRATION_SHARE`` of the way from the first purchase to the as-of date.

    >>> default_calibration_end(date(2023, 7, 1), date(2025, 12, 31))
    datetime.date(2025, 3, 23)
    """
    return first_purchase + timedelta(days=int((as_of - first_purchase).days * CALIBRATION_SHARE))


def fetch_purchase_summary(db, calibration_end: date, as_of: date) -> pd.DataFrame:
    """One query: per paying customer, in days, ``first_day`` and for the calibration period (to
    the end of ``calibration_end``) and for the whole history (to the end of ``as_of``): purchase
    days, the last one's distance from the first, and the spend of the repeat ones; and the
    purchase days after the calibration end (``holdout_purchases``).

    Columns: ``customer_id``, ``first_day``, ``calibration_days``, ``calibration_last``,
    ``calibration_repeat_spend``, ``holdout_purchases``, ``purchase_days``, ``last``,
    ``repeat_spend``.
    """
    transactions = db.table("transactions")
    purchases = transactions.filter(
        is_purchase(transactions.amount), transactions.customer_id.notnull(),
        transactions.occurred_at < ibis.timestamp(day_start(as_of + timedelta(days=1))),
    )  # fmt: skip
    days = (purchases.mutate(day=purchases.occurred_at.date())
            .group_by(["customer_id", "day"]).aggregate(spend=ibis._.amount.sum()))  # fmt: skip
    first = days.group_by("customer_id").aggregate(first_day=days.day.min())
    joined = days.join(first, "customer_id")
    offset = joined.day.delta(joined.first_day, unit="day")
    in_calibration = joined.day <= ibis.date(calibration_end)
    is_repeat = offset > 0
    summary = joined.group_by("customer_id").aggregate(
        first_day=joined.first_day.min(),
        calibration_days=in_calibration.cast("int64").sum(),
        calibration_last=offset.max(where=in_calibration),
        calibration_repeat_spend=joined.spend.sum(where=in_calibration & is_repeat),
        holdout_purchases=(~in_calibration).cast("int64").sum(),
        purchase_days=joined.count(),
        last=offset.max(),
        repeat_spend=joined.spend.sum(where=is_repeat),
    )
    return summary.execute()


def customer_attributes(db) -> ir.Table:
    """``customer_id`` and the ``ATTRIBUTES`` of every known customer ("Unknown" when missing)."""
    customers = db.table("customers")
    return customers.select("customer_id", **{c: ibis.coalesce(customers[c], UNKNOWN) for c in ATTRIBUTES})


def fetch_customer_attributes(db, as_of: date) -> pd.DataFrame:
    """Per paying customer: ``customer_id``, ``ATTRIBUTES`` ("Unknown" when missing),
    ``CLASS_COLUMNS`` as of the as-of date, ``first_purchase_at``, ``churned_at``."""
    start = fetch_data_start(db) or as_of
    table = fetch_customer_table(db, Filters(min(start, as_of), as_of), as_of)
    attributes = customer_attributes(db)
    joined = table.left_join(attributes, "customer_id").select(
        table.customer_id, *(ibis.coalesce(attributes[c], UNKNOWN).name(c) for c in ATTRIBUTES),
        *(table[c] for c in CLASS_COLUMNS), table.first_purchase_at,
        customer_churn(table.churned_at, table.first_purchase_at).name("churned_at"),
    )  # fmt: skip
    return joined.execute()


def compute_clv_model(
    db,
    as_of: date,
    calibration_end: date | None = None,
    time_unit: str = DEFAULT_TIME_UNIT,
    horizon_months: int = DEFAULT_HORIZON_MONTHS,
    progress: Callable[[float], None] | None = None,
) -> ClvModel:
    """Fit on the calibration period, predict the holdout, refit on everything, forecast.
    ``progress(share)`` hears how far it is (the query, then each fit)."""
    report = progress or (lambda share: None)
    if time_unit not in DAYS_PER_UNIT:
        raise WordedError("clv_bad_time_unit", units=", ".join(DAYS_PER_UNIT), value=repr(time_unit))
    if horizon_months < 1:
        raise WordedError("clv_bad_horizon", value=horizon_months)
    first_day = _first_purchase_day(db, as_of)
    if first_day is None:
        raise WordedError("clv_no_purchases")
    calibration_end = calibration_end or default_calibration_end(first_day, as_of)
    if not first_day <= calibration_end < as_of:
        raise WordedError("clv_bad_calibration_end", first=first_day, as_of=as_of, value=calibration_end)
    unit = DAYS_PER_UNIT[time_unit]
    summary = fetch_purchase_summary(db, calibration_end, as_of)
    attributes = fetch_customer_attributes(db, as_of)
    report(0.2)
    # In one order whatever order the query returned: the fits sum in it, so reruns agree to the last digit.
    frame = attributes.merge(summary, on="customer_id", how="inner").sort_values("customer_id", ignore_index=True)
    first = pd.to_datetime(frame["first_day"])

    frame["calibration_frequency"] = (frame["calibration_days"] - 1).where(frame["calibration_days"] > 0)
    frame["calibration_recency"] = frame["calibration_last"].astype(float) / unit
    frame["calibration_T"] = ((pd.Timestamp(calibration_end) - first).dt.days / unit).where(frame["calibration_days"] > 0)
    frame["frequency"] = frame["purchase_days"] - 1
    frame["recency"] = frame["last"].astype(float) / unit
    frame["T"] = (pd.Timestamp(as_of) - first).dt.days / unit
    frame["monetary_value"] = (frame["repeat_spend"].fillna(0.0) / frame["frequency"].where(frame["frequency"] > 0)).fillna(0.0)

    calibrated = frame[frame["calibration_days"] > 0]
    calibration_summary = pd.DataFrame({
        "frequency": calibrated["calibration_frequency"], "recency": calibrated["calibration_recency"],
        "T": calibrated["calibration_T"],
        "monetary_value": (calibrated["calibration_repeat_spend"].fillna(0.0)
                           / calibrated["calibration_frequency"].where(calibrated["calibration_frequency"] > 0)).fillna(0.0),
    })  # fmt: skip
    calibration_fit = fit_clv(calibration_summary)
    report(0.55)
    holdout = (as_of - calibration_end).days / unit
    predicted = predict_repeat_purchases(calibration_fit, calibration_summary, holdout)
    churned_by_calibration = _churned_by(calibrated["churned_at"], calibration_end)
    frame["predicted_holdout_purchases"] = pd.Series(np.where(churned_by_calibration, 0.0, predicted),
                                                     index=calibrated.index)  # fmt: skip

    fit = fit_clv(frame[["frequency", "recency", "T", "monetary_value"]])
    report(0.9)
    model = ClvModel(calibration_fit, fit, frame, calibration_end, as_of, time_unit, horizon_months)
    forecast = _forecast(model, frame)
    frame[forecast.columns] = forecast
    keep = ["customer_id", *ATTRIBUTES, *CLASS_COLUMNS, "first_purchase_at", "churned_at", "calibration_frequency",
            "calibration_recency", "calibration_T", "holdout_purchases", "predicted_holdout_purchases", "frequency",
            "recency", "T", "monetary_value", *forecast.columns]  # fmt: skip
    return ClvModel(calibration_fit, fit, frame[keep].reset_index(drop=True), calibration_end, as_of, time_unit,
                    horizon_months)  # fmt: skip


def _forecast(model: ClvModel, frame: pd.DataFrame) -> pd.DataFrame:
    """``predict_customers`` of the forecast fit over the model's horizon; a customer who churned
    by the as-of date has left for certain (P(alive), purchases and value 0)."""
    forecast = predict_customers(model.fit, frame, model.horizon)
    gone = _churned_by(frame["churned_at"], model.as_of)
    for column in ("p_alive", "expected_purchases", "expected_value"):
        forecast[column] = forecast[column].where(~gone, 0.0)
    return forecast


def reforecast(model: ClvModel, horizon_months: int) -> ClvModel:
    """The same fits' forecast over another horizon: the fitted parameters do not depend on it,
    so this recomputes the per-customer predictions only (no refit)."""
    if horizon_months < 1:
        raise ValueError(f"the horizon must be at least one month: {horizon_months}")
    if horizon_months == model.horizon_months:
        return model
    changed = replace(model, horizon_months=horizon_months)
    customers = model.customers.copy()
    forecast = _forecast(changed, customers)
    customers[forecast.columns] = forecast
    return replace(changed, customers=customers)


def expected_values(model: ClvModel, horizon_months: int) -> pd.DataFrame:
    """Per customer of the model: ``customer_id``, ``expected_value`` over ``horizon_months`` from
    the same fits (``reforecast``'s, without the other columns: small enough to cache per page)."""
    customers = reforecast(model, horizon_months).customers
    return customers[["customer_id", "expected_value"]].reset_index(drop=True)


def describe_clv_fit(model: ClvModel) -> dict:
    """What ``python -m cxdata refit`` prints of a stored CLV fit."""
    return {"params": _rounded(model.fit.params()), "calibration_params": _rounded(model.calibration_fit.params()),
            "customers": len(model.customers), "calibration_end": model.calibration_end.isoformat(),
            "time_unit": model.time_unit, "horizon_months": model.horizon_months}  # fmt: skip


def select_customers(model: ClvModel, filters: Filters) -> pd.DataFrame:
    """The model's customers that the global filters' attributes allow (the period does not apply)."""
    return select_by_attributes(model.customers, filters)


def select_by_attributes(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of a per-customer frame with the ``ATTRIBUTES`` columns that the global filters'
    attributes allow (segment, region, first-contact channel, acquisition channel)."""
    wanted = filters.allow_lists("channel")
    if not wanted:
        return frame
    keep = np.ones(len(frame), dtype=bool)
    for column, values in wanted.items():
        keep &= frame[column].isin(values).to_numpy()
    return frame[keep]


def validation_table(model: ClvModel, filters: Filters) -> pd.DataFrame:
    """Predicted against actual holdout repeat purchases of the selected customers who had bought by
    the calibration end, per group of calibration repeat purchases and in total
    (``cxdata.analysis.clv.validation_by_group``)."""
    customers = select_customers(model, filters)
    calibrated = customers[customers["calibration_frequency"].notna()]
    return validation_by_group(calibrated["calibration_frequency"], calibrated["predicted_holdout_purchases"],
                               calibrated["holdout_purchases"])  # fmt: skip


def equity_by(model: ClvModel, filters: Filters, dimension: str) -> pd.DataFrame:
    """Customer equity of the selected customers per value of ``dimension``, largest first:
    ``value``, ``customers``, ``alive`` (Σ P(alive)), ``expected_purchases``, ``equity``,
    ``equity_per_customer``, ``share`` (of the selection's equity)."""
    customers = select_customers(model, filters)
    grouped = customers.groupby(dimension, sort=False).agg(
        customers=("customer_id", "size"), alive=("p_alive", "sum"),
        expected_purchases=("expected_purchases", "sum"), equity=("expected_value", "sum"),
    ).reset_index().rename(columns={dimension: "value"})  # fmt: skip
    grouped["equity_per_customer"] = grouped["equity"] / grouped["customers"]
    total = grouped["equity"].sum()
    grouped["share"] = grouped["equity"] / total if total else np.nan
    return grouped.sort_values("equity", ascending=False, kind="stable").reset_index(drop=True)


def build_clv_report(model: ClvModel, filters: Filters) -> dict:
    """The ``clv`` command's JSON: parameters of the forecast fit (rates per time unit), the
    calibration fit's, the selection's customers, validation totals and equity by class."""
    customers = select_customers(model, filters)
    validation = validation_table(model, filters).set_index("group")
    by_class = equity_by(model, filters, "nps_class").set_index("value")
    total = validation.loc["all"] if "all" in validation.index else None
    return {
        "params": _rounded(model.fit.params()),
        "calibration_params": _rounded(model.calibration_fit.params()),
        "customers": len(customers),
        "calibration_end": model.calibration_end.isoformat(),
        "as_of": model.as_of.isoformat(),
        "time_unit": model.time_unit,
        "horizon_months": model.horizon_months,
        "validation": {
            "customers": int(total["customers"]) if total is not None else 0,
            "predicted_repeat_purchases": float(total["predicted_total"]) if total is not None else 0.0,
            "actual_repeat_purchases": float(total["actual_total"]) if total is not None else 0.0,
        },
        "equity": float(customers["expected_value"].sum()),
        "expected_purchases": float(customers["expected_purchases"].sum()),
        "by_class": {
            str(name): {"customers": int(row["customers"]), "equity": float(row["equity"]),
                        "equity_per_customer": float(row["equity_per_customer"]), "alive": float(row["alive"])}
            for name, row in by_class.iterrows()
        },
    }


def _first_purchase_day(db, as_of: date) -> date | None:
    transactions = db.table("transactions")
    purchases = transactions.filter(is_purchase(transactions.amount), transactions.customer_id.notnull())
    first = purchases.occurred_at.min().execute()
    if first is None or pd.isna(first):
        return None
    return min(pd.Timestamp(first).date(), as_of)


def _churned_by(churned_at: pd.Series, day: date) -> np.ndarray:
    return (pd.to_datetime(churned_at) < pd.Timestamp(day_start(day + timedelta(days=1)))).fillna(False).to_numpy(dtype=bool)


def _rounded(params: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 6) for k, v in params.items()}


register_text({
    "clv_bad_time_unit": {"en": "time unit must be one of {units}: {value}",
                          "ru": "единица времени должна быть одной из {units}: {value}"},
    "clv_bad_horizon": {"en": "the horizon must be at least one month: {value}",
                        "ru": "горизонт прогноза должен быть не меньше месяца: {value}"},
    "clv_no_purchases": {"en": "no purchases up to the as-of date: nothing to fit",
                         "ru": "до даты актуальности нет покупок: модели не на чем обучаться"},
    "clv_bad_calibration_end": {"en": "the calibration end must lie from {first} to the day before {as_of}: {value}",
                                "ru": "конец периода калибровки должен быть от {first} до дня перед {as_of}: {value}"},
})
