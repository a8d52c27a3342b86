"""Predicted LTV and LTV/CAC: revenue to date plus the forecast of what is still to come.

The historical LTV (``cxdata.questions.money_units``) counts only revenue to date, so young
cohorts look worthless: recent customers have had less time to spend. The predicted LTV of a
slice (acquisition channel × NPS class, as the unit economics slice it) is

    predicted_ltv = (net revenue to date of its paying customers
                     + Σ their expected value over ``PREDICTED_HORIZON_MONTHS``) / paying customers

with the expected value of the BG/NBD + Gamma-Gamma forecast (``cxdata.questions.clv``, the fit
stored for the data version, ``cxdata.questions.fits``), undiscounted; a paying customer the
forecast does not know (no positive purchase) or who churned expects 0. ``predicted_ltv_cac`` =
predicted_ltv / cac, with the slice's CAC as the unit economics have it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxdata.questions.clv import ClvModel, expected_values
from cxdata.questions.money_units import ALL

PREDICTED_HORIZON_MONTHS = 24
PREDICTED_COLUMNS = ["acquisition_channel", "cx_class", "expected_value", "predicted_ltv", "predicted_ltv_cac"]


def forecast_for_ltv(model: ClvModel) -> pd.DataFrame:
    """What the predicted LTV adds: per customer, ``customer_id`` and ``expected_value`` over
    ``PREDICTED_HORIZON_MONTHS`` from the stored fit."""
    return expected_values(model, PREDICTED_HORIZON_MONTHS)


def predict_unit_economics(units: pd.DataFrame, unit_customers: pd.DataFrame, forecast: pd.DataFrame) -> pd.DataFrame:
    """One row per row of ``units`` (``fetch_unit_economics``), same order: ``PREDICTED_COLUMNS``.

    ``unit_customers`` are ``fetch_unit_customers``' paying customers of the same filters;
    ``forecast`` the expected values to add (``forecast_for_ltv``). ``expected_value`` is the
    slice's sum.
    """
    values = unit_customers[["customer_id", "acquisition_channel", "cx_class"]].merge(
        forecast[["customer_id", "expected_value"]], on="customer_id", how="left")
    values["expected_value"] = values["expected_value"].fillna(0.0)
    parts = [
        values.groupby(["acquisition_channel", "cx_class"], as_index=False)["expected_value"].sum(),
        values.groupby("acquisition_channel", as_index=False)["expected_value"].sum().assign(cx_class=ALL),
        values.groupby("cx_class", as_index=False)["expected_value"].sum().assign(acquisition_channel=ALL),
        pd.DataFrame({"acquisition_channel": [ALL], "cx_class": [ALL], "expected_value": [values["expected_value"].sum()]}),
    ]  # fmt: skip
    sums = pd.concat(parts, ignore_index=True)
    keys = units[["acquisition_channel", "cx_class"]].astype(object)
    sums[["acquisition_channel", "cx_class"]] = sums[["acquisition_channel", "cx_class"]].astype(object)
    frame = keys.merge(sums, on=["acquisition_channel", "cx_class"], how="left")
    frame["expected_value"] = frame["expected_value"].fillna(0.0)
    paying = units["paying"].to_numpy(dtype=float)
    revenue = units["net_revenue"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ltv = np.where(paying > 0, (revenue + frame["expected_value"].to_numpy()) / paying, np.nan)
        frame["predicted_ltv"] = ltv
        cac = units["cac"].to_numpy(dtype=float)
        frame["predicted_ltv_cac"] = np.where(cac > 0, ltv / cac, np.nan)
    return frame[PREDICTED_COLUMNS]


def overall_predicted_ltv_cac(predicted: pd.DataFrame) -> float | None:
    """The predicted LTV/CAC of the whole selection (the row all channels × all classes): the
    overview tile's, whose revenue-to-date LTV/CAC that row equals."""
    row = predicted[(predicted["acquisition_channel"] == ALL) & (predicted["cx_class"] == ALL)]
    if row.empty or pd.isna(row["predicted_ltv_cac"].iloc[0]):
        return None
    return float(row["predicted_ltv_cac"].iloc[0])
