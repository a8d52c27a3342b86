"""Churn risk: a transparent logistic model of each customer's probability to churn within a
horizon, its validation on later time, and the drivers and reasons in its own units. Pure: frames
in, fits and frames out; no database.

A row is one customer at one cut-off: feature columns (numbers and categories) and, for fitting
and validation, a boolean label (churned within the horizon after the cut-off). The model is
scikit-learn's ``LogisticRegression`` (L2, ``C = 1``) on standardized columns: the numbers as they
are and one indicator per category level but the reference. Standardizing makes the penalty treat
every column alike and makes ``|coefficient|`` comparable (the effect of one standard deviation:
the drivers' rank); dividing by the scale gives the effect per unit of the column, so a driver is
an odds ratio a reader can check: "a detractor answer instead of a promoter one multiplies the odds
of leaving by 2.3", "each month without a purchase by 1.2".

A customer's contribution of a feature is Σ coefficient × standardized value over its columns:
how much it moves the customer's log-odds away from the average customer's. The main reason is
the feature that raises it most.

Only numbers leave this module (``ChurnFit`` holds arrays, not the scikit-learn objects), so cached
results stay small and plain.

>>> frame = pd.DataFrame({"x": [0.0, 1, 2, 3, 4, 5, 6, 7], "c": list("aabbaabb")})
>>> encoding = build_encoding(frame, {"x": 1.0}, {"c": "a"}, min_level_rows=1)
>>> encoding.columns
(('x', None), ('c', 'b'))
>>> encode(encoding, frame)[:3].tolist()
[[0.0, 0.0], [1.0, 0.0], [2.0, 1.0]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.preprocessing import StandardScaler

OTHER = "other"
# Levels of a category with fewer training rows than this are merged into OTHER: an indicator
# for a handful of customers would be noise, and the drivers would name it.
MIN_LEVEL_ROWS = 50
MAX_LEVELS = 8
CALIBRATION_BINS = 10
TOP_SHARE = 0.1


@dataclass(frozen=True)
class Encoding:
    """How feature columns become model columns.

    ``numeric``: column -> the unit its odds ratio is stated per (30 for "per 30 days").
    ``categorical``: column -> (levels kept, reference level); values outside the levels count as
    ``OTHER`` when OTHER is a level, else as the reference (a level never seen in training too). ``columns``: the model's columns in
    order, (feature, None) for a number and (feature, level) for a level's indicator.
    """

    numeric: tuple[tuple[str, float], ...]
    categorical: tuple[tuple[str, tuple[str, ...], str], ...]

    @property
    def columns(self) -> tuple[tuple[str, str | None], ...]:
        return tuple([(name, None) for name, _ in self.numeric]
                     + [(name, level) for name, levels, reference in self.categorical
                        for level in levels if level != reference])  # fmt: skip

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.numeric) + tuple(name for name, _, _ in self.categorical)

    def reference(self, feature: str) -> str | None:
        return next((reference for name, _, reference in self.categorical if name == feature), None)

    def unit(self, feature: str) -> float | None:
        return next((unit for name, unit in self.numeric if name == feature), None)


def build_encoding(frame: pd.DataFrame, numeric: dict[str, float], categorical: dict[str, str | None],
                   min_level_rows: int = MIN_LEVEL_ROWS) -> Encoding:
    """The encoding learnt from the training ``frame``: ``numeric`` maps a column to its unit,
    ``categorical`` a column to its reference level (None: the most frequent level). Levels with
    fewer than ``min_level_rows`` rows, and beyond the ``MAX_LEVELS`` most frequent, are merged
    into ``OTHER`` (into the reference when they are fewer than that together); a category left with one level, and a number that never varies, are dropped
    (they cannot explain anything)."""
    kept_numeric = tuple((name, float(unit)) for name, unit in numeric.items()
                         if name in frame and frame[name].nunique(dropna=True) > 1)  # fmt: skip
    kept_categorical = []
    for name, reference in categorical.items():
        if name not in frame:
            continue
        counts = frame[name].astype(str).value_counts(sort=False)
        counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")  # ties: by name
        common = [str(level) for level, rows in counts.items() if rows >= min_level_rows][:MAX_LEVELS]
        if reference is not None and reference not in common:
            reference = None  # the intended reference is too rare here: the most frequent level instead
        rare_rows = int(counts.sum()) - int(counts[counts.index.isin(common)].sum())
        levels = common + ([OTHER] if rare_rows >= min_level_rows and OTHER not in common else [])
        if len(levels) < 2:
            continue
        kept_categorical.append((name, tuple(levels), reference or levels[0]))
    return Encoding(kept_numeric, tuple(kept_categorical))


def encode(encoding: Encoding, frame: pd.DataFrame) -> np.ndarray:
    """The model matrix of ``frame``: one row per row, ``encoding.columns`` in order (float64).
    Missing numbers must have been filled by the caller (ValueError otherwise)."""
    parts = []
    for name, _ in encoding.numeric:
        values = frame[name].to_numpy(dtype=float)
        if np.isnan(values).any():
            raise ValueError(f"feature {name!r} has missing values; fill them before encoding")
        parts.append(values[:, None])
    for name, levels, reference in encoding.categorical:
        values = _levels_of(frame[name], levels, reference)
        parts.extend((values == level).astype(float)[:, None] for level in levels if level != reference)
    return np.hstack(parts) if parts else np.zeros((len(frame), 0))


def _levels_of(values: pd.Series, levels: tuple[str, ...], reference: str) -> np.ndarray:
    text = values.astype(str).to_numpy(dtype=object)
    fallback = OTHER if OTHER in levels else reference
    return np.where(np.isin(text, levels), text, fallback)


@dataclass(frozen=True)
class ChurnFit:
    """A fitted model: the encoding, the standardization (``mean``, ``scale`` per column), the
    coefficients on standardized columns and the intercept; the rows and churners it was fitted on."""

    encoding: Encoding
    mean: np.ndarray
    scale: np.ndarray
    coefficients: np.ndarray
    intercept: float
    rows: int
    churners: int

    def standardize(self, matrix: np.ndarray) -> np.ndarray:
        return (matrix - self.mean) / self.scale

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Each row's probability to churn within the horizon."""
        z = self.standardize(encode(self.encoding, frame)) @ self.coefficients + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


def fit_churn_model(frame: pd.DataFrame, labels, encoding: Encoding) -> ChurnFit:
    """Fit the logistic model on ``frame`` (encoded by ``encoding``) and boolean ``labels``.

    ValueError when the labels hold only one class: nothing to tell apart.
    """
    labels = np.asarray(labels, dtype=bool)
    if len(labels) != len(frame):
        raise ValueError(f"{len(frame)} rows but {len(labels)} labels")
    churners = int(labels.sum())
    if churners == 0 or churners == len(labels):
        raise ValueError(f"{churners} of {len(labels)} customers churned: both outcomes are needed to fit")
    matrix = encode(encoding, frame)
    scaler = StandardScaler().fit(matrix)
    model = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(matrix), labels)
    return ChurnFit(encoding, scaler.mean_.copy(), scaler.scale_.copy(), model.coef_[0].copy(),
                    float(model.intercept_[0]), len(labels), churners)  # fmt: skip


def driver_table(fit: ChurnFit) -> pd.DataFrame:
    """One row per model column, strongest first (by |coefficient| on the standardized column):
    ``feature``, ``level`` (None for a number), ``reference`` (the level it is compared with),
    ``unit`` (of a number), ``odds_ratio`` (per unit of a number; a level against the reference),
    ``importance`` (|standardized coefficient|)."""
    rows = []
    for (feature, level), coefficient, scale in zip(fit.encoding.columns, fit.coefficients, fit.scale, strict=True):
        unit = fit.encoding.unit(feature)
        per_unit = coefficient / scale * (unit if level is None else 1.0)
        rows.append({"feature": feature, "level": level, "reference": fit.encoding.reference(feature),
                     "unit": unit, "odds_ratio": math.exp(per_unit), "importance": abs(float(coefficient))})  # fmt: skip
    table = pd.DataFrame(rows, columns=["feature", "level", "reference", "unit", "odds_ratio", "importance"])
    return table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def feature_contributions(fit: ChurnFit, frame: pd.DataFrame) -> pd.DataFrame:
    """Per row and feature: Σ coefficient × standardized value over the feature's columns (log-odds
    against the average row). Columns: ``fit.encoding.features``."""
    weighted = fit.standardize(encode(fit.encoding, frame)) * fit.coefficients
    columns = [feature for feature, _ in fit.encoding.columns]
    sums = {feature: weighted[:, [i for i, name in enumerate(columns) if name == feature]].sum(axis=1)
            for feature in fit.encoding.features}  # fmt: skip
    return pd.DataFrame(sums, index=frame.index, columns=list(fit.encoding.features))


def main_reasons(fit: ChurnFit, frame: pd.DataFrame) -> pd.Series:
    """Per row: the feature that raises its risk most (largest positive contribution), None when
    none raises it."""
    contributions = feature_contributions(fit, frame)
    if contributions.empty or not len(contributions.columns):
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    best = contributions.idxmax(axis=1).to_numpy(dtype=object)
    return pd.Series(np.where(contributions.max(axis=1).to_numpy() > 0, best, None), index=frame.index, dtype=object)


# --- validation ---------------------------------------------------------------------------------


def top_share_capture(labels, risk, share: float = TOP_SHARE) -> float:
    """The share of all churners found among the ``share`` of rows with the highest risk (the
    top ``ceil(share × n)`` rows; equal risks in the order given). A random order finds ``share``.

    >>> top_share_capture([1, 0, 0, 1, 0, 0, 0, 0, 0, 0], [.9, .8, .1, .2, .1, .1, .1, .1, .1, .1])
    0.5
    """
    labels, risk = np.asarray(labels, dtype=bool), np.asarray(risk, dtype=float)
    if not labels.any():
        return float("nan")
    top = math.ceil(share * len(labels))
    order = np.argsort(-risk, kind="stable")[:top]
    return float(labels[order].sum() / labels.sum())


def calibration_table(labels, risk, bins: int = CALIBRATION_BINS) -> pd.DataFrame:
    """Predicted against observed churn in ``bins`` groups of equal size by predicted risk (lowest
    first; the first ``n mod bins`` groups hold one row more): ``bin`` (1…), ``customers``,
    ``predicted`` (mean risk), ``observed`` (share that churned), ``churners``."""
    labels, risk = np.asarray(labels, dtype=bool), np.asarray(risk, dtype=float)
    order = np.argsort(risk, kind="stable")
    rows = []
    for number, part in enumerate(np.array_split(order, min(bins, len(order))), 1):
        rows.append({"bin": number, "customers": len(part), "predicted": float(risk[part].mean()),
                     "observed": float(labels[part].mean()), "churners": int(labels[part].sum())})  # fmt: skip
    return pd.DataFrame(rows, columns=["bin", "customers", "predicted", "observed", "churners"])


def validation_summary(labels, risk) -> dict:
    """``auc`` (ROC, scikit-learn), ``brier`` (mean squared error of the probabilities),
    ``top_decile_capture`` (``top_share_capture`` at 10%), ``n`` (rows), ``churners``; the AUC is
    None when only one outcome occurred."""
    labels, risk = np.asarray(labels, dtype=bool), np.asarray(risk, dtype=float)
    both = 0 < labels.sum() < len(labels)
    return {
        "auc": float(roc_auc_score(labels, risk)) if both else None,
        "top_decile_capture": top_share_capture(labels, risk) if labels.any() else None,
        "brier": float(brier_score_loss(labels, risk)) if len(labels) else None,
        "n": int(len(labels)),
        "churners": int(labels.sum()),
    }
