"""Customer lifetime curves: Kaplan–Meier, the log-rank test and the restricted mean lifetime.

Pure numpy and scipy, written out here rather than taken from ``lifelines``: lifelines 0.30 (the
current release) requires pandas < 3, so it cannot be pinned beside this product's pandas 3.1,
and these three estimators are a few lines each (Kaplan and Meier 1958; Mantel 1966; Royston and
Parmar 2013). ``tests/test_survival.py`` checks them on small tables computed by hand.

Input everywhere: ``durations`` (time from the start of the lifetime to its end or to the end of
the observation) and ``observed`` (True when the end was seen: the customer churned; False when
the lifetime is censored).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def kaplan_meier(durations, observed) -> pd.DataFrame:
    """The Kaplan–Meier survival curve: one row per distinct event or censoring time, from 0.

    Columns ``time``, ``at_risk`` (still in the data just before ``time``), ``events``,
    ``censored``, ``survival`` (S(t) just after ``time``). Ties: events before censorings.

    >>> kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False]).to_dict("list")
    {'time': [0.0, 1.0, 2.0, 3.0, 4.0], 'at_risk': [5, 5, 4, 2, 1], 'events': [0, 1, 1, 1, 0], 'censored': [0, 0, 1, 0, 1], 'survival': [1.0, 0.8, 0.6, 0.3, 0.3]}
    """
    durations, observed = _validate(durations, observed)
    times, index = np.unique(durations, return_inverse=True)
    ends = np.bincount(index, minlength=len(times))
    events = np.bincount(index, weights=observed, minlength=len(times)).astype(int)
    at_risk = len(durations) - np.concatenate([[0], np.cumsum(ends)[:-1]]).astype(int)
    survival = np.cumprod(1.0 - events / at_risk)
    frame = pd.DataFrame({"time": times.astype(float), "at_risk": at_risk, "events": events,
                          "censored": ends - events, "survival": np.round(survival, 12)})  # fmt: skip
    if not len(times) or times[0] > 0:
        start = pd.DataFrame({"time": [0.0], "at_risk": [len(durations)], "events": [0], "censored": [0], "survival": [1.0]})
        frame = pd.concat([start, frame], ignore_index=True)
    return frame


def survival_at(curve: pd.DataFrame, time: float) -> float:
    """S(time) read off a ``kaplan_meier`` curve (a right-continuous step function).

    >>> survival_at(kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False]), 2.5)
    0.6
    """
    before = curve[curve["time"] <= time]
    return float(before["survival"].iloc[-1]) if len(before) else 1.0


def restricted_mean(curve: pd.DataFrame, horizon: float) -> float:
    """The restricted mean lifetime to ``horizon``: the area under the curve from 0 to it.

    >>> round(restricted_mean(kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False]), 4), 10)
    2.7
    """
    times = curve["time"].to_numpy(dtype=float)
    survival = curve["survival"].to_numpy(dtype=float)
    inside = times < horizon
    edges = np.append(times[inside], horizon)
    return float(np.sum(np.diff(edges) * survival[inside]))


def logrank_test(durations, observed, groups) -> dict:
    """The log-rank test that every group has the same survival: ``statistic`` (chi-square),
    ``degrees_of_freedom`` (groups − 1), ``p_value``.

    At each event time the observed events of each group are compared with those expected if
    the hazard were shared, O − E summed over times, with the hypergeometric covariance V; the
    statistic is (O − E)ᵀ V⁻ (O − E) over all groups but the last.

    >>> test = logrank_test([1, 2, 3, 4, 5, 6], [True] * 6, ["a", "a", "a", "b", "b", "b"])
    >>> round(test["statistic"], 4), test["degrees_of_freedom"]
    (5.0517, 1)
    """
    durations, observed = _validate(durations, observed)
    groups = np.asarray(groups)
    names = list(dict.fromkeys(groups.tolist()))
    if len(names) < 2:
        return {"statistic": float("nan"), "degrees_of_freedom": 0, "p_value": float("nan")}
    times = np.unique(durations[observed])
    at_risk = np.empty((len(names), len(times)))
    events = np.empty((len(names), len(times)))
    for row, name in enumerate(names):
        mine = np.sort(durations[groups == name])
        at_risk[row] = len(mine) - np.searchsorted(mine, times, side="left")
        ended = np.searchsorted(times, durations[(groups == name) & observed])
        events[row] = np.bincount(ended, minlength=len(times))
    n, d = at_risk.sum(axis=0), events.sum(axis=0)
    deviation = (events - d * at_risk / n).sum(axis=1)
    weight = np.where(n > 1, d * (n - d) / np.maximum(n - 1, 1), 0.0)
    share = at_risk / n
    covariance = np.diag((weight * share).sum(axis=1)) - (share * weight) @ share.T
    k = len(names)
    reduced, cov = deviation[:-1], covariance[:-1, :-1]
    statistic = float(reduced @ np.linalg.pinv(cov) @ reduced)
    return {"statistic": statistic, "degrees_of_freedom": k - 1, "p_value": float(stats.chi2.sf(statistic, k - 1))}


def _validate(durations, observed) -> tuple[np.ndarray, np.ndarray]:
    durations = np.asarray(durations, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    if durations.shape != observed.shape:
        raise ValueError("durations and observed must have the same length")
    if np.isnan(durations).any() or (durations < 0).any():
        raise ValueError("durations must be 0 or more")
    return durations, observed
