"""Customers and acquisition: who signs up when, in which segment and region, through which channel,
from which acquisition channel at what cost, and how satisfied they are.

Every customer has a latent satisfaction ``sat`` (about N(0, 1)) that the other stories read: it
drives how much they buy and spend, what they answer, how often they complain and how soon they
churn. Siberia is served worse; "partners" and "social" cost the most to acquire and are the least
satisfied, "organic" and "referral" are cheap and loyal.
"""

from __future__ import annotations

import numpy as np

from cxdata.sample.calendar import DAY, HOUR, MONTH_OF_YEAR, MONTH_STARTS
from cxdata.sample.draws import draw_categories, logit, sigmoid

SEGMENTS = ["Retail", "Premium", "SMB"]
SEGMENT_SHARES = [0.60, 0.15, 0.25]
REGIONS = ["Central", "North-West", "Volga", "Ural", "Siberia"]
REGION_SHARES = [0.35, 0.20, 0.20, 0.13, 0.12]
CHANNELS = ["web", "mobile_app", "call_centre", "branch"]
CHANNEL_SHARES = [0.40, 0.35, 0.15, 0.10]
MOBILE_APP = 1
ACQUISITION_CHANNELS = ["organic", "referral", "social", "paid_search", "partners", "offline_ads"]
ACQUISITION_SHARES = [0.25, 0.10, 0.20, 0.25, 0.10, 0.10]
# Spend per lead (every first contact, buyer or not). Paid channels cost tens of thousands per
# paying customer, so LTV/CAC spreads from far above 3 (organic, referral) to below it (partners).
ACQUISITION_COST_RUB = np.array([3_000.0, 9_000.0, 18_000.0, 25_000.0, 40_000.0, 35_000.0])
# Satisfaction shifts: who is served better or worse.
SAT_BY_SEGMENT = np.array([0.0, 0.25, -0.10])
SAT_BY_REGION = np.array([0.0, 0.0, 0.0, 0.0, -0.35])
SAT_BY_CHANNEL = np.array([0.0, 0.0, -0.10, 0.20])
SAT_BY_ACQUISITION = np.array([0.0, 0.20, -0.15, 0.0, -0.20, 0.0])
# Survey answers come from a minority of "responders", who are happier than average: that is why
# most churners were never heard from, and why survey scores flatter the customer base.
RESPONDER_SHARE = 0.28
_SIGNUP_SEASON = {7: 0.8, 8: 0.8, 11: 1.25, 12: 1.35}
_HOUR_WEIGHTS = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.5, 3.5, 4, 4.2,
                          4.2, 4, 4, 4, 4.2, 4.5, 4.8, 5, 4.6, 3.8, 2.6, 1.6])  # fmt: skip
# The language of a free text (a survey comment, a complaint): Russian for 65% of them.
RUSSIAN_SHARE = 0.65


def draw_event_channels(rng: np.random.Generator, home: np.ndarray) -> np.ndarray:
    """Channel codes shaped like ``home``: the customer's own channel 75% of the time, else another one."""
    is_switch = rng.random(home.size) >= 0.75
    other = (home + rng.integers(1, len(CHANNELS), home.size)) % len(CHANNELS)
    return np.where(is_switch, other, home).astype(np.int8)


def draw_customers(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """``n`` customers in signup order: signup_s (int64 epoch s); segment, region, channel,
    acquisition (int8 codes); acquisition_cost (float64 RUB); sat (float64 latent satisfaction);
    is_responder (bool: answers surveys when asked)."""
    growth = 1.3 ** (np.arange(30) / 12)
    season = np.array([_SIGNUP_SEASON.get(month, 1.0) for month in MONTH_OF_YEAR])
    month = rng.choice(30, size=n, p=growth * season / np.sum(growth * season))
    day = (rng.random(n) * (np.diff(MONTH_STARTS) // DAY)[month]).astype(np.int64)
    hour = rng.choice(24, size=n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    second = rng.integers(0, HOUR, n)
    signup_s = np.sort(MONTH_STARTS[month] + day * DAY + hour * HOUR + second)
    segment = draw_categories(rng, SEGMENT_SHARES, n)
    region = draw_categories(rng, REGION_SHARES, n)
    channel = draw_categories(rng, CHANNEL_SHARES, n)
    acquisition = draw_categories(rng, ACQUISITION_SHARES, n)
    cost = np.round(ACQUISITION_COST_RUB[acquisition] * np.exp(0.3 * rng.standard_normal(n)), 2)
    sat = (
        rng.standard_normal(n)
        + SAT_BY_SEGMENT[segment]
        + SAT_BY_REGION[region]
        + SAT_BY_CHANNEL[channel]
        + SAT_BY_ACQUISITION[acquisition]
    )
    is_responder = rng.random(n) < sigmoid(logit(RESPONDER_SHARE) + 0.6 * sat)
    return {"signup_s": signup_s, "segment": segment, "region": region, "channel": channel,
            "acquisition": acquisition, "acquisition_cost": cost, "sat": sat, "is_responder": is_responder}  # fmt: skip
