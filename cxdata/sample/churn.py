"""Churn: when customers leave and the reason they give.

Detractors churn more than promoters: paying customers leave with a monthly hazard that falls with
satisfaction and doubles from the opening of an unresolved complaint; lost leads leave about 30
days after they gave up (with reason "payment_failed" when the broken app lost them). Most
churners leave silently.
"""

from __future__ import annotations

import numpy as np

from cxdata.sample.calendar import DAY, LAST_SECOND, MONTH, NEVER
from cxdata.sample.complaints import COMPLAINT_CATEGORIES
from cxdata.sample.draws import codes_of, draw_categories, draw_offsets, take_rows

CHURN_REASONS = [
    "registration_too_complex", "just_browsing", "price", "payment_failed", "changed_mind",
    "poor_service", "product_quality", "payment_problems", "competitor", "no_longer_needed", "unknown",
]  # fmt: skip
# The churn reason a complainer gives, by the category of their last complaint.
REASON_BY_COMPLAINT_CATEGORY = {
    "registration_problem": "poor_service", "payment_failed": "payment_problems", "billing": "payment_problems",
    "delivery_delay": "poor_service", "product_quality": "product_quality", "staff_rudeness": "poor_service",
}  # fmt: skip


def _last_category(complaints: dict[str, np.ndarray], n: int) -> np.ndarray:
    """(n,) int8: the category of each customer's latest complaint, -1 for customers without one."""
    order = np.lexsort((complaints["opened_s"], complaints["customer"]))
    customer = complaints["customer"][order]
    is_last = np.append(customer[1:] != customer[:-1], True) if customer.size else np.zeros(0, bool)
    last = np.full(n, -1, np.int8)
    last[customer[is_last]] = complaints["category"][order][is_last]
    return last


def draw_churn(rng: np.random.Generator, customers, funnel, complaints) -> tuple[dict, dict]:
    """(churn per customer, the complaints filed before churn and the last day).

    Per customer, shaped (n,): churn_s (int64, beyond the last day if they stay), reason (int8 code
    into CHURN_REASONS), first_unresolved_s (int64: opening of their first complaint that will never
    be resolved, or a far-future value), is_churned (bool: churned on or before the last day).
    Paying customers leave with a monthly hazard 0.025 * exp(-0.8 sat), doubled from the opening of
    an unresolved complaint; lost leads leave about 30 days after they gave up.
    """
    n = customers["signup_s"].size
    is_buyer, first_purchase_s = funnel["is_buyer"], funnel["attempt_s"]
    is_unresolved = ~complaints["is_resolved"]
    first_unresolved_s = np.full(n, NEVER, np.int64)
    np.minimum.at(first_unresolved_s, complaints["customer"][is_unresolved], complaints["opened_s"][is_unresolved])
    hazard = 0.025 * np.exp(-0.8 * customers["sat"]) / MONTH  # per second
    exposure = rng.standard_exponential(n)
    calm_s = np.clip(first_unresolved_s - first_purchase_s, 0, None).astype(np.float64)
    is_before_doubling = hazard * calm_s >= exposure
    life_s = np.where(is_before_doubling, exposure / hazard, calm_s + (exposure - hazard * calm_s) / (2 * hazard))
    churn_s = np.where(is_buyer, np.minimum(first_purchase_s + life_s, NEVER), NEVER).astype(np.int64)
    is_lost_at_registration = ~funnel["is_registered"] & (funnel["decided_s"] <= LAST_SECOND)
    is_lost_at_purchase = funnel["is_attempted"] & ~is_buyer
    is_lost_lead = is_lost_at_registration | is_lost_at_purchase
    churn_s = np.where(is_lost_lead, funnel["decided_s"] + draw_offsets(rng, 30 * DAY, 32 * DAY, n), churn_s)

    owner = complaints["customer"]
    kept = take_rows(complaints, complaints["opened_s"] <= np.minimum(churn_s[owner], LAST_SECOND))

    # Reasons: hard sign-up for lost leads, the broken app for its victims, the last complaint for
    # complainers, and everyday reasons for the silent.
    too_complex_share = np.where(funnel["ces_registration"] <= 4, 0.85, 0.45)
    u = rng.random(n)
    other_share = (1 - too_complex_share) * 2 / 3
    registration_reason = codes_of(CHURN_REASONS, "registration_too_complex", "just_browsing", "price")[
        (u >= too_complex_share).astype(np.int8) + (u >= too_complex_share + other_share)]  # fmt: skip
    labels = codes_of(CHURN_REASONS, "price", "changed_mind", "payment_failed")
    purchase_reason = labels[draw_categories(rng, [0.45, 0.45, 0.10], n)]
    purchase_reason = np.where(funnel["is_incident"], codes_of(CHURN_REASONS, "payment_failed")[0], purchase_reason)
    labels = codes_of(CHURN_REASONS, "price", "competitor", "no_longer_needed", "unknown")
    silent_reason = labels[draw_categories(rng, [0.35, 0.30, 0.20, 0.15], n)]
    complaint_reason = codes_of(CHURN_REASONS, *(REASON_BY_COMPLAINT_CATEGORY[name] for name in COMPLAINT_CATEGORIES))
    last_category = _last_category(kept, n)
    payer_reason = np.where(last_category >= 0, complaint_reason[last_category], silent_reason)
    reason = np.where(is_lost_at_registration, registration_reason,
                      np.where(is_lost_at_purchase, purchase_reason, payer_reason))  # fmt: skip
    churn = {"churn_s": churn_s, "reason": reason.astype(np.int8), "first_unresolved_s": first_unresolved_s,
             "is_churned": churn_s <= LAST_SECOND}  # fmt: skip
    return churn, kept
