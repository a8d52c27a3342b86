"""``MetricValue``: one metric over one selection, with its sample size, interval and, when it has
no value, the reason; and the small conversions every question uses to build one from a query row.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from cxdata.engine.coverage import Gap, Unmeasurable
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.model.rules import DEFAULT_SCALE, scale_text


@dataclass(frozen=True)
class MetricValue:
    """One metric over one selection: value in the registry's unit, sample size, 95% interval;
    ``gap`` says why there is no value (the data it needs was never loaded, a ``Gap``; or the
    selection cannot give it, an ``Unmeasurable``: CES answers on different scales); ``scale``:
    the scale the answers of a CES value share ("1_5")."""

    name: str
    value: float | None
    n: int
    low: float | None = None
    high: float | None = None
    gap: Gap | Unmeasurable | None = None
    scale: str | None = None

    @property
    def is_small_sample(self) -> bool:
        return self.n < MIN_SAMPLE_SIZE

    @property
    def has_interval(self) -> bool:
        return self.low is not None and not math.isnan(self.low)

    def to_dict(self, lang: str = "en") -> dict:
        """value, n, low, high as JSON, and ``scale`` ("1–5") when it is not the metric's default; a
        metric without its data: value null, n (0 when nothing was loaded) and the reason."""
        if self.gap is not None:
            return {"value": None, "n": self.n, "reason": self.gap.reason(lang)}
        data = asdict(self)
        del data["name"], data["gap"], data["scale"]
        if self.scale is not None and self.scale != DEFAULT_SCALE.get(self.name):
            data["scale"] = scale_text(self.scale)
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in data.items()}


def number(value) -> float | None:
    """A scalar from a query result as float, with SQL NULL / NaN as None."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def whole_count(value) -> int:
    as_float = number(value)
    return 0 if as_float is None else int(as_float)


def from_interval(name: str, result: tuple[float, float, float] | None, n: int) -> MetricValue:
    if result is None:
        return MetricValue(name, None, n)
    value, low, high = result
    return MetricValue(name, value, n, low, high)
