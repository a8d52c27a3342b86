"""Predicted customer lifetime value for non-contractual purchasing: the BG/NBD model of purchase
frequency and dropout with the Gamma-Gamma model of spend (Fader, Hardie and Lee 2005, "Counting
your customers the easy way" and "RFM and CLV"). Pure: frames in, fits and frames out.

A thin wrapper of ``lifetimes`` (0.11.3, pinned): it reproduces the papers' estimates on the CDNOW
data (``tests/test_clv.py``) and runs unchanged on pandas 3 and numpy 2, as long as it is given
numpy arrays (its prediction methods return arrays there, not Series). Only the parameters leave
this module, so cached results never hold a fitter object.

The per-customer summary (one row per customer, in one time unit):

- ``frequency``: repeat purchase days (purchase days − 1), as the papers count CDNOW's records;
- ``recency``: time from the first to the last purchase day;
- ``T``: time from the first purchase day to the end of the observation;
- ``monetary_value``: mean spend of a repeat purchase day (0 without one).

>>> summary = pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 30.4], "T": [38.9, 38.9], "monetary_value": [0.0, 22.4]})
>>> validate_summary(summary) is summary
True
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

with warnings.catch_warnings():
    # lifetimes sets pandas' mode.chained_assignment on import, an option without effect since pandas 3.
    warnings.filterwarnings("ignore", message="The 'mode.chained_assignment' option is deprecated")
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import ConvergenceError

SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")
BGNBD_PARAMS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMS = ("p", "q", "gamma")
DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0}
DAYS_PER_MONTH = 365.25 / 12
# The validation's customer groups: repeat purchases in the calibration period, 0 … 6 and "7+",
# as in Fader, Hardie and Lee (2005), figure 4.
TOP_GROUP = 7


@dataclass(frozen=True)
class ClvFit:
    """Fitted parameters: BG/NBD (``r``, ``alpha``, ``a``, ``b``; rates per time unit) and
    Gamma-Gamma (``p``, ``q``, ``gamma``), with the numbers of customers they were fitted on."""

    bgnbd: dict[str, float]
    gamma_gamma: dict[str, float]
    customers: int
    repeat_customers: int

    def params(self) -> dict[str, float]:
        return {**self.bgnbd, **self.gamma_gamma}

    @property
    def mean_spend(self) -> float:
        """Population mean spend per purchase day, p·gamma / (q − 1) (infinite when q ≤ 1)."""
        p, q, gamma = (self.gamma_gamma[k] for k in GAMMA_GAMMA_PARAMS)
        return p * gamma / (q - 1) if q > 1 else float("inf")


def validate_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """``summary`` itself when it has the columns and the shape the models need, else ``ValueError``."""
    missing = [c for c in SUMMARY_COLUMNS if c not in summary.columns]
    if missing:
        raise ValueError(f"the summary has no column {', '.join(missing)}")
    if summary.empty:
        raise ValueError("no customers to fit")
    frequency, recency, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    if (frequency < 0).any() or (frequency != np.floor(frequency)).any():
        raise ValueError("frequency must be a whole number of repeat purchases, 0 or more")
    if (recency < 0).any() or (recency > T + 1e-9).any():
        raise ValueError("recency must lie between 0 and T")
    if ((frequency == 0) & (recency > 0)).any():
        raise ValueError("a customer without a repeat purchase has recency 0")
    return summary


def fit_clv(summary: pd.DataFrame) -> ClvFit:
    """BG/NBD on every customer of ``summary``, Gamma-Gamma on those with a repeat purchase of
    positive mean spend (the model's support). Maximum likelihood, no penalty, as the papers."""
    validate_summary(summary)
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    if len(repeat) < 2:
        raise ValueError("fewer than 2 customers with a repeat purchase: the spend model cannot be fitted")
    # Both likelihoods are equivariant in their scale: times divided by c give alpha / c, spends
    # divided by c give gamma / c. Fitting on times and spends of mean 1 keeps the optimizer,
    # which starts every parameter at 0.1, in a well-conditioned region for any currency and unit.
    time_scale = float(summary["T"].mean()) or 1.0
    spend_scale = float(repeat["monetary_value"].mean())
    frequency, recency, T = _arrays(summary, "frequency", "recency", "T")
    bgnbd = _fit(BetaGeoFitter, frequency, recency / time_scale, T / time_scale)
    repeat_frequency, spend = _arrays(repeat, "frequency", "monetary_value")
    gamma_gamma = _fit(GammaGammaFitter, repeat_frequency, spend / spend_scale)
    scaled = {"alpha": time_scale, "gamma": spend_scale}
    params = {**bgnbd.params_.to_dict(), "gamma": gamma_gamma.params_["v"], "p": gamma_gamma.params_["p"],
              "q": gamma_gamma.params_["q"]}  # fmt: skip
    params = {k: float(v) * scaled.get(k, 1.0) for k, v in params.items()}
    return ClvFit(
        bgnbd={k: params[k] for k in BGNBD_PARAMS},
        gamma_gamma={k: params[k] for k in GAMMA_GAMMA_PARAMS},
        customers=len(summary),
        repeat_customers=len(repeat),
    )


def _fit(fitter_class, *arrays: np.ndarray):
    """Maximum likelihood with lifetimes, from its own start and, if that does not converge, from
    1 for every parameter. lifetimes prints the optimizer's report on failure: kept off stdout,
    which the command line reserves for its JSON."""
    for start in (None, 1.0):
        fitter = fitter_class(penalizer_coef=0.0)
        initial = None if start is None else np.full(4 if fitter_class is BetaGeoFitter else 3, start)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                return fitter.fit(*arrays, initial_params=initial)
        except ConvergenceError:
            continue
    raise ValueError(f"the {fitter_class.__name__} model did not converge on this data")


def predict_customers(fit: ClvFit, summary: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """Per row of ``summary``: ``p_alive``, ``expected_purchases`` over ``horizon`` (in the
    summary's time unit), ``expected_spend`` (Gamma-Gamma's conditional mean; the population mean
    for a customer without a repeat purchase) and ``expected_value`` = purchases × spend,
    undiscounted. Same index as ``summary``."""
    validate_summary(summary)
    bgnbd = _bgnbd(fit)
    frequency, recency, T, monetary = _arrays(summary, *SUMMARY_COLUMNS)
    p_alive = bgnbd.conditional_probability_alive(frequency, recency, T)
    purchases = bgnbd.conditional_expected_number_of_purchases_up_to_time(horizon, frequency, recency, T)
    spend = _expected_spend(fit, frequency, monetary)
    return pd.DataFrame(
        {"p_alive": p_alive, "expected_purchases": purchases, "expected_spend": spend,
         "expected_value": purchases * spend},
        index=summary.index,
    )  # fmt: skip


def predict_repeat_purchases(fit: ClvFit, summary: pd.DataFrame, horizon: float) -> np.ndarray:
    """Expected repeat purchases of each customer of ``summary`` in the ``horizon`` after it."""
    frequency, recency, T = _arrays(summary, "frequency", "recency", "T")
    return _bgnbd(fit).conditional_expected_number_of_purchases_up_to_time(horizon, frequency, recency, T)


def validation_by_group(calibration_frequency, predicted, actual) -> pd.DataFrame:
    """Predicted against actual holdout purchases per group of calibration repeat purchases.

    Rows ``group`` "0" … "6", "7+" (only groups with customers), then "all"; columns
    ``customers``, ``predicted``, ``actual`` (means per customer), ``predicted_total``,
    ``actual_total``.

    >>> validation_by_group([0, 0, 1, 9], [0.5, 0.5, 1.0, 6.0], [0, 1, 2, 5])[["group", "customers", "predicted", "actual"]].to_dict("list")
    {'group': ['0', '1', '7+', 'all'], 'customers': [2, 1, 1, 4], 'predicted': [0.5, 1.0, 6.0, 2.0], 'actual': [0.5, 2.0, 5.0, 2.0]}
    """
    frame = pd.DataFrame({"frequency": np.asarray(calibration_frequency, dtype=float),
                          "predicted": np.asarray(predicted, dtype=float), "actual": np.asarray(actual, dtype=float)})  # fmt: skip
    frame["group"] = np.minimum(frame["frequency"], TOP_GROUP).astype(int)
    rows = []
    for group, part in frame.groupby("group", sort=True):
        rows.append(_validation_row(f"{TOP_GROUP}+" if group == TOP_GROUP else str(group), part))
    rows.append(_validation_row("all", frame))
    return pd.DataFrame(rows)


def _validation_row(group: str, part: pd.DataFrame) -> dict:
    n = len(part)
    return {"group": group, "customers": n, "predicted": part["predicted"].sum() / n if n else float("nan"),
            "actual": part["actual"].sum() / n if n else float("nan"),
            "predicted_total": float(part["predicted"].sum()), "actual_total": float(part["actual"].sum())}  # fmt: skip


def _expected_spend(fit: ClvFit, frequency: np.ndarray, monetary: np.ndarray) -> np.ndarray:
    # Gamma-Gamma's E[Z | x, zbar] = (q − 1)/(p·x + q − 1) · p·gamma/(q − 1) + p·x/(p·x + q − 1) · zbar:
    # at x = 0 the population mean. lifetimes computes the same (GammaGammaFitter.conditional_expected_average_profit).
    p, q = fit.gamma_gamma["p"], fit.gamma_gamma["q"]
    weight = p * frequency / (p * frequency + q - 1)
    return (1 - weight) * fit.mean_spend + weight * np.where(frequency > 0, monetary, 0.0)


def _bgnbd(fit: ClvFit) -> BetaGeoFitter:
    model = BetaGeoFitter()
    model.params_ = pd.Series(fit.bgnbd)
    return model


def _arrays(frame: pd.DataFrame, *columns: str) -> list[np.ndarray]:
    return [frame[c].to_numpy(dtype=float) for c in columns]
