"""Complaints: who files them, about what, and which get resolved.

A few customers file most complaints (a gamma-mixed propensity, so most churners never complain).
Sign-up trouble grows with registration effort, the payment incident adds payment complaints, and
Siberia resolves fewer (an unresolved complaint later doubles the churn hazard, ``churn``).
"""

from __future__ import annotations

import numpy as np

from cxdata.sample.calendar import DAY, HOUR, LAST_SECOND, MONTH
from cxdata.sample.customers import MOBILE_APP, RUSSIAN_SHARE, draw_event_channels
from cxdata.sample.draws import codes_of, concat_columns, draw_categories, draw_offsets
from cxdata.sample.journey import FIRST_PURCHASE, ONBOARDING, REGISTRATION, REPEAT_PURCHASE

COMPLAINT_CATEGORIES = [
    "registration_problem", "payment_failed", "billing", "delivery_delay", "product_quality", "staff_rudeness",
]  # fmt: skip
RESOLVED_SHARE_BY_REGION = np.array([0.84, 0.84, 0.84, 0.84, 0.62])
REPEAT_COMPLAINTS_PER_MONTH = 0.135  # tuned so that scale 1 gives ~500k complaints
COMPLAINER_SHAPE = 0.1  # gamma shape of complaint propensity: few customers complain a lot
# Complaint texts: COMPLAINT_TEXTS[category] = ((ru, ru), (en, en)), in COMPLAINT_CATEGORIES order.
COMPLAINT_TEXTS = (
    (("Не приходит SMS-код при регистрации", "Не могу завершить регистрацию, форма выдаёт ошибку"),
     ("The SMS verification code never arrives", "The registration form keeps showing an error")),
    (("Оплата не прошла, но деньги списались", "Приложение зависает на экране оплаты"),
     ("Payment failed in the app but money was charged", "Card payment declined although the card is fine")),
    (("Списали сумму больше, чем в заказе", "Пришёл счёт за услугу, которую я не заказывал"),
     ("I was charged twice for one order", "The invoice includes a service I never ordered")),
    (("Заказ задерживается уже неделю", "Курьер не приехал в назначенное время"),
     ("My order is a week late", "The courier never showed up")),
    (("Товар пришёл с браком", "Качество не соответствует описанию"),
     ("The product arrived damaged", "The quality does not match the description")),
    (("Оператор грубо разговаривал", "Сотрудник в отделении отказался помочь"),
     ("The call centre agent was rude", "Branch staff refused to help me")),
)  # fmt: skip


def _complaint_part(customer, opened_s, touchpoint: int, category) -> dict[str, np.ndarray]:
    return {"customer": customer.astype(np.int32), "opened_s": opened_s.astype(np.int64),
            "touchpoint": np.full(customer.size, touchpoint, np.int8),
            "category": np.broadcast_to(np.asarray(category, np.int8), customer.shape).copy()}  # fmt: skip


def _draw_lead_complaints(rng: np.random.Generator, customers, funnel) -> list[dict[str, np.ndarray]]:
    """Complaint parts from leads: sign-up trouble (more when registration is hard) and the incident."""
    n, signup_s = customers["signup_s"].size, customers["signup_s"]
    probability = np.minimum(0.03 * np.exp(-0.5 * (funnel["ces_registration"] - 4.35)), 0.5)
    who = np.flatnonzero(rng.random(n) < probability)
    span_s = np.maximum(funnel["decided_s"][who] - signup_s[who], 60)
    opened_s = signup_s[who] + (rng.random(who.size) * span_s).astype(np.int64)
    parts = [_complaint_part(who, opened_s, REGISTRATION, codes_of(COMPLAINT_CATEGORIES, "registration_problem"))]
    who = np.flatnonzero(funnel["is_incident"] & (rng.random(n) < 0.25))  # bought or not
    opened_s = funnel["attempt_s"][who] + draw_offsets(rng, 0.1 * HOUR, 24 * HOUR, who.size)
    parts.append(_complaint_part(who, opened_s, FIRST_PURCHASE, codes_of(COMPLAINT_CATEGORIES, "payment_failed")))
    return parts


def _draw_customer_complaints(rng: np.random.Generator, customers, funnel) -> list[dict[str, np.ndarray]]:
    """Complaint parts from paying customers: after the first purchase, onboarding, and over their life."""
    n, sat = customers["sat"].size, customers["sat"]
    is_buyer, first_purchase_s = funnel["is_buyer"], funnel["attempt_s"]
    # A few customers complain a lot (gamma-mixed Poisson), so most churners never complain.
    risk = np.exp(-0.6 * sat) * rng.gamma(COMPLAINER_SHAPE, 1 / COMPLAINER_SHAPE, n)
    who = np.flatnonzero(is_buyer & (rng.random(n) < np.minimum(0.04 * risk, 0.9)))
    labels = codes_of(COMPLAINT_CATEGORIES, "payment_failed", "billing")
    category = labels[draw_categories(rng, [0.35, 0.65], who.size)]
    opened_s = first_purchase_s[who] + draw_offsets(rng, 0.5 * HOUR, 72 * HOUR, who.size)
    parts = [_complaint_part(who, opened_s, FIRST_PURCHASE, category)]
    who = np.flatnonzero(funnel["is_onboarded"] & (rng.random(n) < np.minimum(0.05 * risk, 0.9)))
    labels = codes_of(COMPLAINT_CATEGORIES, "delivery_delay", "product_quality")
    category = labels[draw_categories(rng, [0.6, 0.4], who.size)]
    opened_s = funnel["onboarded_s"][who] + draw_offsets(rng, HOUR, 7 * DAY, who.size)
    parts.append(_complaint_part(who, opened_s, ONBOARDING, category))
    months_left = np.where(is_buyer, (LAST_SECOND - first_purchase_s) / MONTH, 0.0)
    who = np.repeat(np.arange(n), rng.poisson(REPEAT_COMPLAINTS_PER_MONTH * risk * months_left))
    opened_s = first_purchase_s[who] + (rng.random(who.size) * (LAST_SECOND - first_purchase_s[who])).astype(np.int64)
    labels = codes_of(COMPLAINT_CATEGORIES, "product_quality", "billing", "staff_rudeness")
    category = labels[draw_categories(rng, [0.45, 0.30, 0.25], who.size)]
    parts.append(_complaint_part(who, opened_s, REPEAT_PURCHASE, category))
    return parts


def draw_complaints(rng: np.random.Generator, customers, funnel) -> dict[str, np.ndarray]:
    """Every complaint a customer would file if they never churned; one row per complaint.

    Columns: customer (int32 index), opened_s, resolved_s (int64), touchpoint, category, channel,
    language, variant (int8), is_resolved (bool). ``draw_churn`` later drops those after churn.
    About 80% get resolved (fewer in Siberia), after a lognormal time with a median of 30 hours.
    """
    parts = _draw_lead_complaints(rng, customers, funnel) + _draw_customer_complaints(rng, customers, funnel)
    complaints = concat_columns(parts)
    size, who = complaints["customer"].size, complaints["customer"]
    is_app_incident = (complaints["touchpoint"] == FIRST_PURCHASE) & funnel["is_incident"][who]
    channel = draw_event_channels(rng, customers["channel"][who])
    complaints["channel"] = np.where(is_app_incident, MOBILE_APP, channel).astype(np.int8)
    complaints["is_resolved"] = rng.random(size) < RESOLVED_SHARE_BY_REGION[customers["region"][who]]
    resolution_s = (np.exp(np.log(30.0) + 0.9 * rng.standard_normal(size)) * HOUR).astype(np.int64)
    complaints["resolved_s"] = complaints["opened_s"] + resolution_s
    complaints["language"] = (rng.random(size) >= RUSSIAN_SHARE).astype(np.int8)
    complaints["variant"] = rng.integers(0, 2, size).astype(np.int8)
    return complaints
