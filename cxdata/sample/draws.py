"""Vectorised draws that every story of the sample uses: arrays in, arrays out, the generator passed in.

Nothing here knows the story; each function states the shape it returns.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def logit(p: np.ndarray | float) -> np.ndarray:
    return np.log(p) - np.log1p(-np.asarray(p))


def round_scores(raw: np.ndarray, low: int, high: int) -> np.ndarray:
    """Round a latent score to the survey scale ``low..high``; shape kept, int8."""
    return np.clip(np.rint(raw), low, high).astype(np.int8)


def draw_offsets(rng: np.random.Generator, low_seconds: float, high_seconds: float, size: int) -> np.ndarray:
    """``size`` int64 durations uniform in [low, high) seconds."""
    return rng.uniform(low_seconds, high_seconds, size).astype(np.int64)


def draw_categories(rng: np.random.Generator, shares, size: int) -> np.ndarray:
    """``size`` int8 codes drawn with the given shares."""
    return rng.choice(len(shares), size=size, p=np.asarray(shares) / np.sum(shares)).astype(np.int8)


def draw_by_group(rng: np.random.Generator, shares_by_group: np.ndarray, group: np.ndarray) -> np.ndarray:
    """One int8 code per row of ``group``, drawn from row ``group[i]`` of ``shares_by_group`` (groups x codes)."""
    cumulative = np.cumsum(shares_by_group, axis=1)
    u = rng.random(group.size)
    code = np.zeros(group.size, dtype=np.int8)
    for column in range(shares_by_group.shape[1] - 1):  # loops over codes, not rows
        code += u >= cumulative[group, column]
    return code


def index_within_groups(counts: np.ndarray) -> np.ndarray:
    """For groups of the given sizes laid out one after another: each row's position in its group."""
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)


def draw_sorted_uniforms(rng: np.random.Generator, counts: np.ndarray) -> np.ndarray:
    """For groups of the given sizes: uniforms in (0, 1), increasing within each group, without a sort.

    Normalised cumulative exponential spacings are distributed as sorted uniforms.
    """
    sizes = counts + 1
    ends = np.cumsum(sizes)
    cumulative = np.cumsum(rng.standard_exponential(int(ends[-1]) if ends.size else 0))
    if cumulative.size == 0:
        return cumulative
    before = np.where(ends - sizes > 0, cumulative[np.maximum(ends - sizes - 1, 0)], 0.0)
    totals = cumulative[ends - 1] - before
    is_kept = np.ones(cumulative.size, dtype=bool)
    is_kept[ends - 1] = False
    return (cumulative[is_kept] - np.repeat(before, counts)) / np.repeat(totals, counts)


def concat_columns(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Stack column dicts that share their keys."""
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def take_rows(columns: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    """The same rows (a mask or an index array) of every column."""
    return {key: values[rows] for key, values in columns.items()}


def codes_of(labels: list[str], *names: str) -> np.ndarray:
    """int8 codes of ``names`` in ``labels``, e.g. codes_of(CHANNELS, "web") -> array([0])."""
    return np.array([labels.index(name) for name in names], np.int8)
