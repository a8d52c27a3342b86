"""The journey and the payment incident.

Registration is the biggest leak of the funnel, explained by registration effort (CES); the mobile
app's sign-up is the hardest. A mobile-app release broke payment from ``INCIDENT_START`` to
``INCIDENT_END``: first-purchase conversion of app customers collapses in that window.
``draw_funnel`` draws each customer's way through registration, first purchase and onboarding;
``assemble_journey`` turns it and the purchases into journey events.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from cxdata.sample.calendar import DAY, LAST_SECOND, epoch_seconds, order_by_day
from cxdata.sample.customers import MOBILE_APP, draw_event_channels
from cxdata.sample.draws import concat_columns, draw_offsets, logit, round_scores, sigmoid, take_rows

INCIDENT_START = date(2025, 10, 6)  # mobile app release broke payment ...
INCIDENT_END = date(2025, 11, 2)  # ... until the fix (inclusive)
STAGES = [
    ("first_contact", 1, "First contact", "Первый контакт"),
    ("registration", 2, "Registration", "Регистрация"),
    ("first_purchase", 3, "First purchase", "Первая покупка"),
    ("onboarding", 4, "Onboarding", "Онбординг"),
    ("repeat_purchase", 5, "Repeat purchase", "Повторная покупка"),
    ("loyalty", 6, "Loyal customer (5+ purchases)", "Лояльный клиент (5+ покупок)"),
]
FIRST_CONTACT, REGISTRATION, FIRST_PURCHASE, ONBOARDING, REPEAT_PURCHASE, LOYALTY = range(6)
REGISTRATION_FRICTION = np.array([0.9, 1.5, 0.4, 0.1])  # CES points lost by channel
# Lead intent by acquisition channel (logit shift of the first purchase): bought leads convert less.
INTENT_BY_ACQUISITION = np.array([0.2, 0.3, -0.3, 0.0, -0.4, -0.1])

INCIDENT_FROM = epoch_seconds(INCIDENT_START)
INCIDENT_UNTIL = epoch_seconds(INCIDENT_END) + DAY  # exclusive


def draw_funnel(rng: np.random.Generator, customers: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per customer (all arrays shaped (n,)): the way through registration, first purchase, onboarding.

    ces_registration (int8 1..7); visit_count (1..4); decided_s (when the lead registered or gave up);
    is_registered, is_attempted (a first-purchase attempt happened), is_incident (that attempt hit the
    broken app), is_buyer, is_onboarded (bool); attempt_s, onboarded_s (int64); first_purchase_channel.
    A time or flag is only meaningful where the step happened on or before the last day.
    """
    n = customers["signup_s"].size
    channel, sat = customers["channel"], customers["sat"]
    ces = round_scores(5.3 - REGISTRATION_FRICTION[channel] + rng.normal(0.0, 1.3, n), 1, 7)
    decided_s = customers["signup_s"] + draw_offsets(rng, 0, 3 * DAY, n)
    is_registered = (rng.random(n) < sigmoid(-0.2 + 0.9 * (ces - 4.0))) & (decided_s <= LAST_SECOND)
    visit_count = rng.choice(4, size=n, p=[0.35, 0.30, 0.20, 0.15]) + 1
    attempt_s = decided_s + rng.exponential(5 * DAY, n).astype(np.int64)
    is_attempted = is_registered & (attempt_s <= LAST_SECOND)
    in_window = (attempt_s >= INCIDENT_FROM) & (attempt_s < INCIDENT_UNTIL)
    is_incident = is_attempted & in_window & (channel == MOBILE_APP)
    intent = 0.25 * sat + INTENT_BY_ACQUISITION[customers["acquisition"]]
    buy_probability = sigmoid(logit(np.where(is_incident, 0.25, 0.72)) + intent)
    is_buyer = is_attempted & (rng.random(n) < buy_probability)
    first_purchase_channel = np.where(is_incident, MOBILE_APP, draw_event_channels(rng, channel)).astype(np.int8)
    onboarded_s = attempt_s + draw_offsets(rng, 1 * DAY, 7 * DAY, n)
    is_onboarded = is_buyer & (rng.random(n) < 0.9) & (onboarded_s <= LAST_SECOND)
    return {"ces_registration": ces, "visit_count": visit_count, "decided_s": decided_s,
            "is_registered": is_registered, "attempt_s": attempt_s, "is_attempted": is_attempted,
            "is_incident": is_incident, "is_buyer": is_buyer, "first_purchase_channel": first_purchase_channel,
            "onboarded_s": onboarded_s, "is_onboarded": is_onboarded}  # fmt: skip


def _event_part(customer, occurred_s, stage: int, channel) -> dict[str, np.ndarray]:
    return {"customer": customer.astype(np.int32), "occurred_s": occurred_s.astype(np.int64),
            "stage": np.full(customer.size, stage, np.int8), "channel": channel.astype(np.int8)}  # fmt: skip


def assemble_journey(rng: np.random.Generator, customers, funnel, purchases) -> dict[str, np.ndarray]:
    """One row per journey event, ordered by day. Columns: customer (int32), occurred_s (int64),
    stage (int8 index into STAGES), channel (int8)."""
    n, signup_s, channel = customers["signup_s"].size, customers["signup_s"], customers["channel"]
    everyone = np.arange(n)
    extra = np.repeat(everyone, funnel["visit_count"] - 1)  # repeat visits before deciding to register
    extra_s = signup_s[extra] + (rng.random(extra.size) * (funnel["decided_s"] - signup_s)[extra]).astype(np.int64)
    registered = np.flatnonzero(funnel["is_registered"])
    registered_s = funnel["decided_s"][registered]
    # Real CRMs sometimes log the registration minutes after the first purchase.
    is_logged_late = funnel["is_buyer"][registered] & (rng.random(registered.size) < 0.01)
    late_s = funnel["attempt_s"][registered] + draw_offsets(rng, 60, 1800, registered.size)
    registered_s = np.where(is_logged_late, late_s, registered_s)
    buyers = np.flatnonzero(funnel["is_buyer"])
    onboarded = np.flatnonzero(funnel["is_onboarded"])
    is_repeat = purchases["purchase_number"] >= 2
    is_fifth = purchases["purchase_number"] == 5
    needed = {key: purchases[key] for key in ("customer", "occurred_s", "channel")}
    repeats, fifths = take_rows(needed, is_repeat), take_rows(needed, is_fifth)
    events = concat_columns([
        _event_part(everyone, signup_s, FIRST_CONTACT, channel),
        _event_part(extra, extra_s, FIRST_CONTACT, draw_event_channels(rng, channel[extra])),
        _event_part(registered, registered_s, REGISTRATION, draw_event_channels(rng, channel[registered])),
        _event_part(buyers, funnel["attempt_s"][buyers], FIRST_PURCHASE, funnel["first_purchase_channel"][buyers]),
        _event_part(onboarded, funnel["onboarded_s"][onboarded], ONBOARDING,
                    draw_event_channels(rng, channel[onboarded])),
        _event_part(repeats["customer"], repeats["occurred_s"], REPEAT_PURCHASE, repeats["channel"]),
        _event_part(fifths["customer"], fifths["occurred_s"], LOYALTY, fifths["channel"]),
    ])  # fmt: skip
    events = take_rows(events, events["occurred_s"] <= LAST_SECOND)
    return take_rows(events, order_by_day(events["occurred_s"]))
