"""A deterministic sample CX database that tells a story an executive can discover.

Every customer has a latent satisfaction ``sat`` (about N(0, 1)) that drives, through explicit
causal links, how much they buy and spend, what they answer in surveys, how often they complain
and how soon they churn. On top of that:

- Registration is the biggest leak of the funnel, explained by registration effort (CES); the
  mobile app's sign-up is the hardest.
- A mobile-app release broke payment from ``INCIDENT_START`` to ``INCIDENT_END``: first-purchase
  conversion of app customers collapses, payment complaints and refunds spike, CSAT dips, and the
  lost leads churn with reason "payment_failed".
- Siberia is served worse (lower satisfaction, more unresolved complaints); an unresolved
  complaint doubles the churn hazard from the day it is opened.
- Customers from "partners" and "social" cost the most to acquire and are the least satisfied;
  "organic" and "referral" are cheap and loyal.
- Detractors churn more and spend less than promoters. Most churners leave silently: a few
  customers file most complaints, and survey answers come from a happier minority of
  "responders" (so survey scores also flatter the base a little).

Everything is drawn vectorised with numpy from one seeded generator in a fixed order, so the same
``seed`` and ``scale`` give identical table contents. Times are int64 epoch seconds until they
reach DuckDB; strings (ids, categories, texts) are built inside DuckDB from integer codes, which
keeps a build at scale 1 (~26M rows) well under a minute. Rows of the event tables are stored
in day order, and their ids (T..., S..., K...) follow that order.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa

from cxdata.engine.db import build_database_atomically, bump_data_version, write_meta
from cxdata.engine.rollups import refresh_rollups
from cxdata.model.rules import DEFAULT_SCALE as DEFAULT_SURVEY_SCALE, scale_range
from cxdata.model.schema import TABLES

DEFAULT_SCALE = 0.05  # 50k customers
DEFAULT_SEED = 42
SAMPLE_START = date(2023, 7, 1)
SAMPLE_AS_OF = date(2025, 12, 31)  # last day of data
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
PRODUCTS = ["Basic", "Plus", "Pro", "Service"]
PRODUCT_SHARES_BY_SEGMENT = np.array([[0.50, 0.30, 0.10, 0.10], [0.15, 0.40, 0.35, 0.10], [0.10, 0.30, 0.45, 0.15]])
COMPLAINT_CATEGORIES = [
    "registration_problem", "payment_failed", "billing", "delivery_delay", "product_quality", "staff_rudeness",
]  # fmt: skip
CHURN_REASONS = [
    "registration_too_complex", "just_browsing", "price", "payment_failed", "changed_mind",
    "poor_service", "product_quality", "payment_problems", "competitor", "no_longer_needed", "unknown",
]  # fmt: skip
# The churn reason a complainer gives, by the category of their last complaint.
REASON_BY_COMPLAINT_CATEGORY = {
    "registration_problem": "poor_service", "payment_failed": "payment_problems", "billing": "payment_problems",
    "delivery_delay": "poor_service", "product_quality": "product_quality", "staff_rudeness": "poor_service",
}  # fmt: skip

# Satisfaction shifts: who is served better or worse.
SAT_BY_SEGMENT = np.array([0.0, 0.25, -0.10])
SAT_BY_REGION = np.array([0.0, 0.0, 0.0, 0.0, -0.35])
SAT_BY_CHANNEL = np.array([0.0, 0.0, -0.10, 0.20])
SAT_BY_ACQUISITION = np.array([0.0, 0.20, -0.15, 0.0, -0.20, 0.0])
REGISTRATION_FRICTION = np.array([0.9, 1.5, 0.4, 0.1])  # CES points lost by channel
RESOLVED_SHARE_BY_REGION = np.array([0.84, 0.84, 0.84, 0.84, 0.62])

# Monthly purchase rates are tuned so that scale 1 gives ~10M transactions.
PURCHASES_PER_MONTH_BY_SEGMENT = np.array([0.8, 1.1, 1.4]) * 2.3
MEDIAN_AMOUNT_RUB_BY_SEGMENT = np.array([2_500.0, 9_000.0, 18_000.0])
REPEAT_COMPLAINTS_PER_MONTH = 0.135  # tuned so that scale 1 gives ~500k complaints
COMPLAINER_SHAPE = 0.1  # gamma shape of complaint propensity: few customers complain a lot
# Survey answers come from a minority of "responders", who are happier than average: that is why
# most churners were never heard from, and why survey scores flatter the customer base.
RESPONDER_SHARE = 0.28
RESPONDER_BOOST, NON_RESPONDER_DAMPING = 3.2, 0.03  # response rate multipliers; they average ~1
# Lead intent by acquisition channel (logit shift of the first purchase): bought leads convert less.
INTENT_BY_ACQUISITION = np.array([0.2, 0.3, -0.3, 0.0, -0.4, -0.1])

_DAY = 86_400
_HOUR = 3_600
_MONTH = 30.4375 * _DAY
_NEVER = np.iinfo(np.int64).max // 2
_MONTH_STARTS = (
    np.arange(np.datetime64("2023-07"), np.datetime64("2026-02"), dtype="datetime64[M]")
    .astype("datetime64[s]")
    .astype(np.int64)
)  # 31 knots: 2023-07-01 .. 2026-01-01
_T_FIRST = int(_MONTH_STARTS[0])
_T_LAST = int(_MONTH_STARTS[-1]) - 1  # 2025-12-31 23:59:59
_MONTH_OF_YEAR = (np.arange(30) + 6) % 12 + 1
_SIGNUP_SEASON = {7: 0.8, 8: 0.8, 11: 1.25, 12: 1.35}
_PURCHASE_SEASON = {1: 0.85, 2: 0.85, 7: 0.85, 8: 0.85, 11: 1.2, 12: 1.5}
_HOUR_WEIGHTS = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.5, 3.5, 4, 4.2,
                          4.2, 4, 4, 4, 4.2, 4.5, 4.8, 5, 4.6, 3.8, 2.6, 1.6])  # fmt: skip


def _seconds(day: date) -> int:
    return int(np.datetime64(day, "s").astype(np.int64))


_INCIDENT_FROM = _seconds(INCIDENT_START)
_INCIDENT_UNTIL = _seconds(INCIDENT_END) + _DAY  # exclusive

# Survey comments: COMMENTS[theme][sentiment] = ((ru, ru), (en, en)); sentiment 0 neg, 1 neutral, 2 pos.
THEME_REGISTRATION, THEME_PURCHASE, THEME_INCIDENT, THEME_ONBOARDING, THEME_RELATIONSHIP, THEME_SUPPORT = range(6)
COMMENTS = (
    (  # registration
        (("Регистрация слишком сложная, SMS-код пришёл только с третьего раза",
          "Зачем столько полей в анкете? Бросил на середине"),
         ("The sign-up form is way too long", "The SMS code never arrived, almost gave up")),
        (("Зарегистрировался, но пришлось повозиться", "Нормально, хотя можно было бы проще"),
         ("Registration was okay, a bit slow", "Took a while but worked in the end")),
        (("Регистрация за минуту, всё понятно", "Очень простая регистрация"),
         ("Quick and easy sign-up", "Registration took less than a minute")),
    ),
    (  # first purchase
        (("Долго оформлялся заказ, сайт зависал", "Цена выше, чем была указана в рекламе"),
         ("Checkout was confusing", "The price at checkout was higher than advertised")),
        (("Покупка прошла нормально", "В целом всё ок, но доставку ждал долго"),
         ("The purchase went fine", "It was okay, nothing special")),
        (("Быстро и удобно оплатил", "Отличный сервис, всё прошло гладко"),
         ("Smooth checkout, great experience", "Paid in seconds, very convenient")),
    ),
    (  # first purchase during the payment incident
        (("Оплата в приложении не проходит, деньги списались дважды", "Приложение выдаёт ошибку при оплате картой"),
         ("Payment failed in the app but money was charged", "The app crashes at the payment step")),
        (("Оплатил только с третьей попытки", "Пришлось оплачивать через сайт, в приложении не работало"),
         ("Payment went through on the third try", "Had to pay on the website because the app failed")),
        (("Поддержка быстро вернула деньги за сбой оплаты", "После обновления оплата снова работает"),
         ("Support refunded the failed payment quickly", "Payment works again after the update")),
    ),
    (  # onboarding
        (("Никто не объяснил, как пользоваться продуктом", "Доставка задержалась на неделю"),
         ("No one explained how to get started", "Delivery was a week late")),
        (("Инструкция есть, но запутанная", "Разобрался сам, в целом нормально"),
         ("The getting-started guide is a bit confusing", "Figured it out myself eventually")),
        (("Менеджер помог всё настроить", "Понятный онбординг, спасибо"),
         ("The welcome call was really helpful", "Clear onboarding, thank you")),
    ),
    (  # relationship (NPS)
        (("Качество стало хуже, думаю уйти к конкурентам", "Слишком дорого за такой сервис"),
         ("Quality has dropped, considering switching", "Too expensive for what you get")),
        (("Пользуюсь, но есть варианты и получше", "Нормально, без восторга"),
         ("It does the job", "Decent, but nothing special")),
        (("Рекомендую друзьям, всё отлично", "Пользуюсь давно, всем доволен"),
         ("Would recommend to anyone", "Great product and friendly staff")),
    ),
    (  # after a complaint
        (("Проблему так и не решили", "Жду ответа поддержки уже неделю"),
         ("My issue is still not resolved", "Support never called me back")),
        (("Решили, но слишком долго", "Вопрос закрыли, хотя пришлось звонить несколько раз"),
         ("Resolved, but it took too long", "Fixed after several calls")),
        (("Поддержка быстро всё решила", "Спасибо оператору, помогли сразу"),
         ("Support fixed it quickly", "Very helpful support agent")),
    ),
)  # fmt: skip
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
RUSSIAN_SHARE = 0.65

TARGETS = [  # (metric, target_value, segment)
    ("nps", 30.0, None), ("nps", 45.0, "Premium"), ("csat", 80.0, None), ("ces", 5.0, None),
    ("conversion_rate", 40.0, None), ("ltv_cac", 3.0, None), ("churn_rate", 2.0, None),
]  # fmt: skip


# ---------------------------------------------------------------- small vectorised helpers


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: np.ndarray | float) -> np.ndarray:
    return np.log(p) - np.log1p(-np.asarray(p))


def _scores(raw: np.ndarray, low: int, high: int) -> np.ndarray:
    """Round a latent score to the survey scale ``low..high``; shape kept, int8."""
    return np.clip(np.rint(raw), low, high).astype(np.int8)


def _offsets(rng: np.random.Generator, low_seconds: float, high_seconds: float, size: int) -> np.ndarray:
    """``size`` int64 durations uniform in [low, high) seconds."""
    return rng.uniform(low_seconds, high_seconds, size).astype(np.int64)


def _draw_categories(rng: np.random.Generator, shares, size: int) -> np.ndarray:
    """``size`` int8 codes drawn with the given shares."""
    return rng.choice(len(shares), size=size, p=np.asarray(shares) / np.sum(shares)).astype(np.int8)


def _draw_by_group(rng: np.random.Generator, shares_by_group: np.ndarray, group: np.ndarray) -> np.ndarray:
    """One int8 code per row of ``group``, drawn from row ``group[i]`` of ``shares_by_group`` (groups x codes)."""
    cumulative = np.cumsum(shares_by_group, axis=1)
    u = rng.random(group.size)
    code = np.zeros(group.size, dtype=np.int8)
    for column in range(shares_by_group.shape[1] - 1):  # loops over codes, not rows
        code += u >= cumulative[group, column]
    return code


def _draw_event_channels(rng: np.random.Generator, home: np.ndarray) -> np.ndarray:
    """Channel codes shaped like ``home``: the customer's own channel 75% of the time, else another one."""
    is_switch = rng.random(home.size) >= 0.75
    other = (home + rng.integers(1, len(CHANNELS), home.size)) % len(CHANNELS)
    return np.where(is_switch, other, home).astype(np.int8)


def _survey_response_probability(base: float, is_responder: np.ndarray) -> np.ndarray:
    """Chance to answer, shaped like ``is_responder``; about ``base`` on average over customers."""
    return np.where(is_responder, np.minimum(base * RESPONDER_BOOST, 0.95), base * NON_RESPONDER_DAMPING)


def _repeat_index(counts: np.ndarray) -> np.ndarray:
    """For groups of the given sizes laid out one after another: each row's position in its group."""
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)


def _sorted_uniforms(rng: np.random.Generator, counts: np.ndarray) -> np.ndarray:
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


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Stack column dicts that share their keys."""
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def _take(columns: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    """The same rows (a mask or an index array) of every column."""
    return {key: values[rows] for key, values in columns.items()}


def _order_by_day(seconds: np.ndarray) -> np.ndarray:
    """Row order that groups rows by calendar day (stable radix sort on an int16 day number).

    Day-ordered storage lets DuckDB skip row groups under a date filter; ordering by the second
    would cost a full int64 sort for little gain.
    """
    day = ((seconds - _T_FIRST) // _DAY).astype(np.int16)
    return np.argsort(day, kind="stable")


def _purchase_season_curve() -> tuple[np.ndarray, np.ndarray]:
    """(knots in epoch seconds, cumulative seasonal months at each knot), both shaped (31,)."""
    weights = np.array([_PURCHASE_SEASON.get(month, 1.0) for month in _MONTH_OF_YEAR])
    lengths = np.diff(_MONTH_STARTS) / _MONTH
    return _MONTH_STARTS.astype(np.float64), np.concatenate([[0.0], np.cumsum(weights * lengths)])


# ---------------------------------------------------------------- the simulation, step by step


def draw_customers(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """``n`` customers in signup order: signup_s (int64 epoch s); segment, region, channel,
    acquisition (int8 codes); acquisition_cost (float64 RUB); sat (float64 latent satisfaction);
    is_responder (bool: answers surveys when asked)."""
    growth = 1.3 ** (np.arange(30) / 12)
    season = np.array([_SIGNUP_SEASON.get(month, 1.0) for month in _MONTH_OF_YEAR])
    month = rng.choice(30, size=n, p=growth * season / np.sum(growth * season))
    day = (rng.random(n) * (np.diff(_MONTH_STARTS) // _DAY)[month]).astype(np.int64)
    hour = rng.choice(24, size=n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    second = rng.integers(0, _HOUR, n)
    signup_s = np.sort(_MONTH_STARTS[month] + day * _DAY + hour * _HOUR + second)
    segment = _draw_categories(rng, SEGMENT_SHARES, n)
    region = _draw_categories(rng, REGION_SHARES, n)
    channel = _draw_categories(rng, CHANNEL_SHARES, n)
    acquisition = _draw_categories(rng, ACQUISITION_SHARES, n)
    cost = np.round(ACQUISITION_COST_RUB[acquisition] * np.exp(0.3 * rng.standard_normal(n)), 2)
    sat = (
        rng.standard_normal(n)
        + SAT_BY_SEGMENT[segment]
        + SAT_BY_REGION[region]
        + SAT_BY_CHANNEL[channel]
        + SAT_BY_ACQUISITION[acquisition]
    )
    is_responder = rng.random(n) < _sigmoid(_logit(RESPONDER_SHARE) + 0.6 * sat)
    return {"signup_s": signup_s, "segment": segment, "region": region, "channel": channel,
            "acquisition": acquisition, "acquisition_cost": cost, "sat": sat, "is_responder": is_responder}  # fmt: skip


def draw_funnel(rng: np.random.Generator, customers: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per customer (all arrays shaped (n,)): the way through registration, first purchase, onboarding.

    ces_registration (int8 1..7); visit_count (1..4); decided_s (when the lead registered or gave up);
    is_registered, is_attempted (a first-purchase attempt happened), is_incident (that attempt hit the
    broken app), is_buyer, is_onboarded (bool); attempt_s, onboarded_s (int64); first_purchase_channel.
    A time or flag is only meaningful where the step happened on or before the last day.
    """
    n = customers["signup_s"].size
    channel, sat = customers["channel"], customers["sat"]
    ces = _scores(5.3 - REGISTRATION_FRICTION[channel] + rng.normal(0.0, 1.3, n), 1, 7)
    decided_s = customers["signup_s"] + _offsets(rng, 0, 3 * _DAY, n)
    is_registered = (rng.random(n) < _sigmoid(-0.2 + 0.9 * (ces - 4.0))) & (decided_s <= _T_LAST)
    visit_count = rng.choice(4, size=n, p=[0.35, 0.30, 0.20, 0.15]) + 1
    attempt_s = decided_s + rng.exponential(5 * _DAY, n).astype(np.int64)
    is_attempted = is_registered & (attempt_s <= _T_LAST)
    in_window = (attempt_s >= _INCIDENT_FROM) & (attempt_s < _INCIDENT_UNTIL)
    is_incident = is_attempted & in_window & (channel == MOBILE_APP)
    intent = 0.25 * sat + INTENT_BY_ACQUISITION[customers["acquisition"]]
    buy_probability = _sigmoid(_logit(np.where(is_incident, 0.25, 0.72)) + intent)
    is_buyer = is_attempted & (rng.random(n) < buy_probability)
    first_purchase_channel = np.where(is_incident, MOBILE_APP, _draw_event_channels(rng, channel)).astype(np.int8)
    onboarded_s = attempt_s + _offsets(rng, 1 * _DAY, 7 * _DAY, n)
    is_onboarded = is_buyer & (rng.random(n) < 0.9) & (onboarded_s <= _T_LAST)
    return {"ces_registration": ces, "visit_count": visit_count, "decided_s": decided_s,
            "is_registered": is_registered, "attempt_s": attempt_s, "is_attempted": is_attempted,
            "is_incident": is_incident, "is_buyer": is_buyer, "first_purchase_channel": first_purchase_channel,
            "onboarded_s": onboarded_s, "is_onboarded": is_onboarded}  # fmt: skip


def _codes(labels: list[str], *names: str) -> np.ndarray:
    """int8 codes of ``names`` in ``labels``, e.g. _codes(CHANNELS, "web") -> array([0])."""
    return np.array([labels.index(name) for name in names], np.int8)


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
    parts = [_complaint_part(who, opened_s, REGISTRATION, _codes(COMPLAINT_CATEGORIES, "registration_problem"))]
    who = np.flatnonzero(funnel["is_incident"] & (rng.random(n) < 0.25))  # bought or not
    opened_s = funnel["attempt_s"][who] + _offsets(rng, 0.1 * _HOUR, 24 * _HOUR, who.size)
    parts.append(_complaint_part(who, opened_s, FIRST_PURCHASE, _codes(COMPLAINT_CATEGORIES, "payment_failed")))
    return parts


def _draw_customer_complaints(rng: np.random.Generator, customers, funnel) -> list[dict[str, np.ndarray]]:
    """Complaint parts from paying customers: after the first purchase, onboarding, and over their life."""
    n, sat = customers["sat"].size, customers["sat"]
    is_buyer, first_purchase_s = funnel["is_buyer"], funnel["attempt_s"]
    # A few customers complain a lot (gamma-mixed Poisson), so most churners never complain.
    risk = np.exp(-0.6 * sat) * rng.gamma(COMPLAINER_SHAPE, 1 / COMPLAINER_SHAPE, n)
    who = np.flatnonzero(is_buyer & (rng.random(n) < np.minimum(0.04 * risk, 0.9)))
    labels = _codes(COMPLAINT_CATEGORIES, "payment_failed", "billing")
    category = labels[_draw_categories(rng, [0.35, 0.65], who.size)]
    opened_s = first_purchase_s[who] + _offsets(rng, 0.5 * _HOUR, 72 * _HOUR, who.size)
    parts = [_complaint_part(who, opened_s, FIRST_PURCHASE, category)]
    who = np.flatnonzero(funnel["is_onboarded"] & (rng.random(n) < np.minimum(0.05 * risk, 0.9)))
    labels = _codes(COMPLAINT_CATEGORIES, "delivery_delay", "product_quality")
    category = labels[_draw_categories(rng, [0.6, 0.4], who.size)]
    opened_s = funnel["onboarded_s"][who] + _offsets(rng, _HOUR, 7 * _DAY, who.size)
    parts.append(_complaint_part(who, opened_s, ONBOARDING, category))
    months_left = np.where(is_buyer, (_T_LAST - first_purchase_s) / _MONTH, 0.0)
    who = np.repeat(np.arange(n), rng.poisson(REPEAT_COMPLAINTS_PER_MONTH * risk * months_left))
    opened_s = first_purchase_s[who] + (rng.random(who.size) * (_T_LAST - first_purchase_s[who])).astype(np.int64)
    labels = _codes(COMPLAINT_CATEGORIES, "product_quality", "billing", "staff_rudeness")
    category = labels[_draw_categories(rng, [0.45, 0.30, 0.25], who.size)]
    parts.append(_complaint_part(who, opened_s, REPEAT_PURCHASE, category))
    return parts


def draw_complaints(rng: np.random.Generator, customers, funnel) -> dict[str, np.ndarray]:
    """Every complaint a customer would file if they never churned; one row per complaint.

    Columns: customer (int32 index), opened_s, resolved_s (int64), touchpoint, category, channel,
    language, variant (int8), is_resolved (bool). ``draw_churn`` later drops those after churn.
    About 80% get resolved (fewer in Siberia), after a lognormal time with a median of 30 hours.
    """
    parts = _draw_lead_complaints(rng, customers, funnel) + _draw_customer_complaints(rng, customers, funnel)
    complaints = _concat(parts)
    size, who = complaints["customer"].size, complaints["customer"]
    is_app_incident = (complaints["touchpoint"] == FIRST_PURCHASE) & funnel["is_incident"][who]
    channel = _draw_event_channels(rng, customers["channel"][who])
    complaints["channel"] = np.where(is_app_incident, MOBILE_APP, channel).astype(np.int8)
    complaints["is_resolved"] = rng.random(size) < RESOLVED_SHARE_BY_REGION[customers["region"][who]]
    resolution_s = (np.exp(np.log(30.0) + 0.9 * rng.standard_normal(size)) * _HOUR).astype(np.int64)
    complaints["resolved_s"] = complaints["opened_s"] + resolution_s
    complaints["language"] = (rng.random(size) >= RUSSIAN_SHARE).astype(np.int8)
    complaints["variant"] = rng.integers(0, 2, size).astype(np.int8)
    return complaints


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
    first_unresolved_s = np.full(n, _NEVER, np.int64)
    np.minimum.at(first_unresolved_s, complaints["customer"][is_unresolved], complaints["opened_s"][is_unresolved])
    hazard = 0.025 * np.exp(-0.8 * customers["sat"]) / _MONTH  # per second
    exposure = rng.standard_exponential(n)
    calm_s = np.clip(first_unresolved_s - first_purchase_s, 0, None).astype(np.float64)
    is_before_doubling = hazard * calm_s >= exposure
    life_s = np.where(is_before_doubling, exposure / hazard, calm_s + (exposure - hazard * calm_s) / (2 * hazard))
    churn_s = np.where(is_buyer, np.minimum(first_purchase_s + life_s, _NEVER), _NEVER).astype(np.int64)
    is_lost_at_registration = ~funnel["is_registered"] & (funnel["decided_s"] <= _T_LAST)
    is_lost_at_purchase = funnel["is_attempted"] & ~is_buyer
    is_lost_lead = is_lost_at_registration | is_lost_at_purchase
    churn_s = np.where(is_lost_lead, funnel["decided_s"] + _offsets(rng, 30 * _DAY, 32 * _DAY, n), churn_s)

    owner = complaints["customer"]
    kept = _take(complaints, complaints["opened_s"] <= np.minimum(churn_s[owner], _T_LAST))

    # Reasons: hard sign-up for lost leads, the broken app for its victims, the last complaint for
    # complainers, and everyday reasons for the silent.
    too_complex_share = np.where(funnel["ces_registration"] <= 4, 0.85, 0.45)
    u = rng.random(n)
    other_share = (1 - too_complex_share) * 2 / 3
    registration_reason = _codes(CHURN_REASONS, "registration_too_complex", "just_browsing", "price")[
        (u >= too_complex_share).astype(np.int8) + (u >= too_complex_share + other_share)]  # fmt: skip
    labels = _codes(CHURN_REASONS, "price", "changed_mind", "payment_failed")
    purchase_reason = labels[_draw_categories(rng, [0.45, 0.45, 0.10], n)]
    purchase_reason = np.where(funnel["is_incident"], _codes(CHURN_REASONS, "payment_failed")[0], purchase_reason)
    labels = _codes(CHURN_REASONS, "price", "competitor", "no_longer_needed", "unknown")
    silent_reason = labels[_draw_categories(rng, [0.35, 0.30, 0.20, 0.15], n)]
    complaint_reason = _codes(CHURN_REASONS, *(REASON_BY_COMPLAINT_CATEGORY[name] for name in COMPLAINT_CATEGORIES))
    last_category = _last_category(kept, n)
    payer_reason = np.where(last_category >= 0, complaint_reason[last_category], silent_reason)
    reason = np.where(is_lost_at_registration, registration_reason,
                      np.where(is_lost_at_purchase, purchase_reason, payer_reason))  # fmt: skip
    churn = {"churn_s": churn_s, "reason": reason.astype(np.int8), "first_unresolved_s": first_unresolved_s,
             "is_churned": churn_s <= _T_LAST}  # fmt: skip
    return churn, kept


def draw_purchases(rng: np.random.Generator, customers, funnel, churn) -> dict[str, np.ndarray]:
    """One row per purchase (first purchases then repeats), grouped by customer in time order.

    Columns: customer (int32), occurred_s (int64), purchase_number (1 = first), channel, product
    (int8), amount (float64 RUB), is_incident (bool: a first purchase through the broken app).
    Paying customers buy at a seasonal monthly rate segment base * exp(0.3 sat) until churn.
    """
    payers = np.flatnonzero(funnel["is_buyer"])
    sat, segment = customers["sat"][payers], customers["segment"][payers]
    first_s = funnel["attempt_s"][payers]
    until_s = np.minimum(churn["churn_s"][payers], _T_LAST)
    knots, curve = _purchase_season_curve()
    low, high = np.interp(first_s, knots, curve), np.interp(until_s, knots, curve)
    rate = PURCHASES_PER_MONTH_BY_SEGMENT[segment] * np.exp(0.3 * sat)
    counts = rng.poisson(rate * np.maximum(high - low, 0.0))
    position = np.repeat(np.arange(payers.size), counts)
    uniforms = _sorted_uniforms(rng, counts)
    repeat_s = np.interp(low[position] + uniforms * (high - low)[position], curve, knots).astype(np.int64)
    repeat_s = np.clip(repeat_s, first_s[position] + 60, _T_LAST)  # a repeat never precedes the first buy
    customer = np.concatenate([payers, payers[position]]).astype(np.int32)
    channel = np.concatenate([funnel["first_purchase_channel"][payers],
                              _draw_event_channels(rng, customers["channel"][payers[position]])])  # fmt: skip
    size = customer.size
    segment_of_row = customers["segment"][customer]
    product = _draw_by_group(rng, PRODUCT_SHARES_BY_SEGMENT, segment_of_row)
    log_amount = np.log(MEDIAN_AMOUNT_RUB_BY_SEGMENT[segment_of_row]) + 0.6 * rng.standard_normal(size)
    amount = np.round(np.exp(log_amount + 0.15 * customers["sat"][customer]), 2)
    return {"customer": customer, "occurred_s": np.concatenate([first_s, repeat_s]),
            "purchase_number": np.concatenate([np.ones(payers.size, np.int64), _repeat_index(counts) + 2]),
            "channel": channel, "product": product, "amount": amount,
            "is_incident": np.concatenate([funnel["is_incident"][payers], np.zeros(position.size, bool)])}  # fmt: skip


def draw_transactions(rng: np.random.Generator, purchases) -> dict[str, np.ndarray]:
    """Purchases plus refunds (negative amount of a prior purchase, 1-10 days later), ordered by day.

    Columns: customer (int32), occurred_s (int64), amount (float64), product, channel (int8).
    About 3% of purchases are refunded; far more of those hit by the payment incident.
    """
    t = purchases["occurred_s"]
    in_window = (t >= _INCIDENT_FROM) & (t < _INCIDENT_UNTIL) & (purchases["channel"] == MOBILE_APP)
    probability = np.where(purchases["is_incident"], 0.35, np.where(in_window, 0.10, 0.028))
    refunded = np.flatnonzero(rng.random(t.size) < probability)
    refund_s = t[refunded] + _offsets(rng, _DAY, 10 * _DAY, refunded.size)
    refunded, refund_s = refunded[refund_s <= _T_LAST], refund_s[refund_s <= _T_LAST]
    columns = ("customer", "amount", "product", "channel")
    buys = {key: purchases[key] for key in columns} | {"occurred_s": t}
    refunds = {key: purchases[key][refunded] for key in columns} | {"occurred_s": refund_s}
    refunds["amount"] = -refunds["amount"]
    transactions = _concat([buys, refunds])
    return _take(transactions, _order_by_day(transactions["occurred_s"]))


def _survey_part(customer, responded_s, touchpoint, channel, theme, *, nps=None, csat=None, ces=None) -> dict:
    """Survey columns for the given responses; scores not asked are -1."""
    size = customer.size

    def column(values, dtype=np.int8) -> np.ndarray:
        if values is None:
            return np.full(size, -1, dtype)  # -1 = not asked; NULL in the table
        return np.broadcast_to(np.asarray(values, dtype), (size,)).copy()

    return {"customer": customer.astype(np.int32), "responded_s": responded_s.astype(np.int64),
            "touchpoint": column(touchpoint), "channel": column(channel), "theme": column(theme),
            "nps": column(nps), "csat": column(csat), "ces": column(ces)}  # fmt: skip


def _csat(rng: np.random.Generator, sat: np.ndarray, shift: np.ndarray | float = 0.0) -> np.ndarray:
    """CSAT 1..5 shaped like ``sat``."""
    return _scores(3.9 + 0.8 * sat + rng.normal(0.0, 0.7, sat.size) + shift, 1, 5)


def _draw_journey_surveys(rng: np.random.Generator, customers, funnel) -> list[dict[str, np.ndarray]]:
    """Survey parts for registration (CES), first purchase (CSAT) and onboarding (CSAT + CES)."""
    n, sat, channel = customers["sat"].size, customers["sat"], customers["channel"]
    is_responder = customers["is_responder"]
    is_decided = funnel["decided_s"] <= _T_LAST
    # Leads who gave up answer the exit survey less often than those who registered.
    base = np.where(funnel["is_registered"], 0.40, 0.30)
    who = np.flatnonzero(is_decided & (rng.random(n) < _survey_response_probability(base, is_responder)))
    parts = [_survey_part(who, funnel["decided_s"][who] + _offsets(rng, 120, 3 * _HOUR, who.size), REGISTRATION,
                          _draw_event_channels(rng, channel[who]), THEME_REGISTRATION,
                          ces=funnel["ces_registration"][who])]  # fmt: skip
    who = np.flatnonzero(funnel["is_buyer"] & (rng.random(n) < _survey_response_probability(0.30, is_responder)))
    is_incident = funnel["is_incident"][who]
    responded_s = funnel["attempt_s"][who] + _offsets(rng, _HOUR, 72 * _HOUR, who.size)
    theme = np.where(is_incident, THEME_INCIDENT, THEME_PURCHASE)
    csat = _csat(rng, sat[who], -1.5 * is_incident)  # the broken app costs ~1.5 points
    channel_of_purchase = funnel["first_purchase_channel"][who]
    parts.append(_survey_part(who, responded_s, FIRST_PURCHASE, channel_of_purchase, theme, csat=csat))
    who = np.flatnonzero(funnel["is_onboarded"] & (rng.random(n) < _survey_response_probability(0.25, is_responder)))
    ces = _scores(4.9 + 0.7 * sat[who] + rng.normal(0.0, 1.1, who.size), 1, 7)
    parts.append(_survey_part(who, funnel["onboarded_s"][who] + _offsets(rng, _HOUR, 48 * _HOUR, who.size), ONBOARDING,
                              _draw_event_channels(rng, channel[who]), THEME_ONBOARDING,
                              csat=_csat(rng, sat[who]), ces=ces))  # fmt: skip
    return parts


def _draw_relationship_surveys(rng: np.random.Generator, customers, funnel, churn) -> dict[str, np.ndarray]:
    """NPS waves: every paying customer is asked about every 6 months while active and answers
    with probability ~0.4; an unresolved complaint drags the score down from its opening."""
    payers = np.flatnonzero(funnel["is_buyer"])
    first_wave_s = funnel["attempt_s"][payers] + _offsets(rng, 0.5 * _MONTH, 6 * _MONTH, payers.size)
    until_s = np.minimum(churn["churn_s"][payers], _T_LAST)
    counts = np.where(first_wave_s <= until_s, (until_s - first_wave_s) // int(6 * _MONTH) + 1, 0)
    position = np.repeat(np.arange(payers.size), counts)
    wave = _repeat_index(counts)
    owner = payers[position]
    asked_s = first_wave_s[position] + wave * int(6 * _MONTH)
    is_answered = rng.random(owner.size) < _survey_response_probability(0.40, customers["is_responder"][owner])
    owner, asked_s, wave = owner[is_answered], asked_s[is_answered], wave[is_answered]
    sat = customers["sat"][owner]
    is_aggrieved = asked_s >= churn["first_unresolved_s"][owner]
    nps = _scores(7.2 + 2.0 * sat + rng.normal(0.0, 1.0, owner.size) - 1.5 * is_aggrieved, 0, 10)
    csat = np.where(rng.random(owner.size) < 0.6, _csat(rng, sat, -0.7 * is_aggrieved), -1)
    touchpoint = np.where(wave == 0, ONBOARDING, REPEAT_PURCHASE)
    return _survey_part(owner, asked_s, touchpoint, _draw_event_channels(rng, customers["channel"][owner]),
                        THEME_RELATIONSHIP, nps=nps, csat=csat)  # fmt: skip


def _draw_complaint_surveys(rng: np.random.Generator, customers, complaints) -> dict[str, np.ndarray]:
    """CSAT after ~30% of complaints: good if resolved, poor if not."""
    probability = _survey_response_probability(0.3, customers["is_responder"][complaints["customer"]])
    who = np.flatnonzero(rng.random(probability.size) < probability)
    owner = complaints["customer"][who]
    sat = customers["sat"][owner]
    is_resolved = complaints["is_resolved"][who]
    responded_s = np.where(is_resolved, complaints["resolved_s"][who] + _offsets(rng, _HOUR, 48 * _HOUR, who.size),
                           complaints["opened_s"][who] + _offsets(rng, 3 * _DAY, 10 * _DAY, who.size))  # fmt: skip
    resolved_csat = _scores(3.4 + 0.6 * sat + rng.normal(0.0, 0.8, who.size), 1, 5)
    unresolved_csat = _scores(1.6 + 0.3 * sat + rng.normal(0.0, 0.6, who.size), 1, 5)
    return _survey_part(owner, responded_s, complaints["touchpoint"][who], complaints["channel"][who],
                        THEME_SUPPORT, csat=np.where(is_resolved, resolved_csat, unresolved_csat))  # fmt: skip


def _draw_purchase_surveys(rng: np.random.Generator, customers, churn, purchases) -> dict[str, np.ndarray]:
    """CSAT after ~11% of repeat purchases (the post-purchase e-mail)."""
    is_repeat = purchases["purchase_number"] >= 2
    probability = _survey_response_probability(0.11, customers["is_responder"][purchases["customer"]])
    who = np.flatnonzero(is_repeat & (rng.random(is_repeat.size) < probability))
    owner = purchases["customer"][who]
    responded_s = purchases["occurred_s"][who] + _offsets(rng, 2 * _HOUR, 72 * _HOUR, who.size)
    is_aggrieved = responded_s >= churn["first_unresolved_s"][owner]
    csat = _csat(rng, customers["sat"][owner], -0.7 * is_aggrieved)
    return _survey_part(owner, responded_s, REPEAT_PURCHASE, purchases["channel"][who], THEME_PURCHASE, csat=csat)


def _draw_comments(rng: np.random.Generator, surveys) -> np.ndarray:
    """(rows,) int16 index into the flattened COMMENTS, -1 for no comment (~70% of responses).

    The comment's sentiment follows the response's main score: NPS, else CSAT, else CES.
    """
    nps, csat, ces = surveys["nps"], surveys["csat"], surveys["ces"]
    sentiment = np.where(ces >= 6, 2, np.where(ces >= 4, 1, 0))
    sentiment = np.where(csat >= 0, np.where(csat >= 4, 2, np.where(csat == 3, 1, 0)), sentiment)
    sentiment = np.where(nps >= 0, np.where(nps >= 9, 2, np.where(nps >= 7, 1, 0)), sentiment)
    size = nps.size
    has_comment = rng.random(size) < 0.3
    language = rng.random(size) >= RUSSIAN_SHARE
    variant = rng.integers(0, 2, size)
    code = ((surveys["theme"].astype(np.int16) * 3 + sentiment) * 2 + language) * 2 + variant
    return np.where(has_comment, code, -1).astype(np.int16)


def draw_surveys(rng: np.random.Generator, customers, funnel, churn, complaints, purchases) -> dict[str, np.ndarray]:
    """One row per response, ordered by day. Columns: customer (int32), responded_s (int64),
    touchpoint, channel (int8), nps, csat, ces (int8, -1 = not asked), comment (int16, -1 = none)."""
    parts = _draw_journey_surveys(rng, customers, funnel)
    parts.append(_draw_relationship_surveys(rng, customers, funnel, churn))
    parts.append(_draw_complaint_surveys(rng, customers, complaints))
    parts.append(_draw_purchase_surveys(rng, customers, churn, purchases))
    surveys = _concat(parts)
    surveys = _take(surveys, surveys["responded_s"] <= _T_LAST)
    surveys["comment"] = _draw_comments(rng, surveys)
    del surveys["theme"]
    return _take(surveys, _order_by_day(surveys["responded_s"]))


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
    late_s = funnel["attempt_s"][registered] + _offsets(rng, 60, 1800, registered.size)
    registered_s = np.where(is_logged_late, late_s, registered_s)
    buyers = np.flatnonzero(funnel["is_buyer"])
    onboarded = np.flatnonzero(funnel["is_onboarded"])
    is_repeat = purchases["purchase_number"] >= 2
    is_fifth = purchases["purchase_number"] == 5
    needed = {key: purchases[key] for key in ("customer", "occurred_s", "channel")}
    repeats, fifths = _take(needed, is_repeat), _take(needed, is_fifth)
    events = _concat([
        _event_part(everyone, signup_s, FIRST_CONTACT, channel),
        _event_part(extra, extra_s, FIRST_CONTACT, _draw_event_channels(rng, channel[extra])),
        _event_part(registered, registered_s, REGISTRATION, _draw_event_channels(rng, channel[registered])),
        _event_part(buyers, funnel["attempt_s"][buyers], FIRST_PURCHASE, funnel["first_purchase_channel"][buyers]),
        _event_part(onboarded, funnel["onboarded_s"][onboarded], ONBOARDING,
                    _draw_event_channels(rng, channel[onboarded])),
        _event_part(repeats["customer"], repeats["occurred_s"], REPEAT_PURCHASE, repeats["channel"]),
        _event_part(fifths["customer"], fifths["occurred_s"], LOYALTY, fifths["channel"]),
    ])  # fmt: skip
    events = _take(events, events["occurred_s"] <= _T_LAST)
    return _take(events, _order_by_day(events["occurred_s"]))


def simulate(rng: np.random.Generator, n: int) -> dict[str, dict[str, np.ndarray]]:
    """The whole sample as numpy columns, table name -> column name -> (rows,) array.

    The draws happen in this fixed order; changing it changes every table for a given seed.
    """
    customers = draw_customers(rng, n)
    funnel = draw_funnel(rng, customers)
    complaints = draw_complaints(rng, customers, funnel)
    churn, complaints = draw_churn(rng, customers, funnel, complaints)
    purchases = draw_purchases(rng, customers, funnel, churn)
    transactions = draw_transactions(rng, purchases)
    surveys = draw_surveys(rng, customers, funnel, churn, complaints, purchases)
    journey = assemble_journey(rng, customers, funnel, purchases)
    complaints = _take(complaints, _order_by_day(complaints["opened_s"]))
    is_resolved_by_last_day = complaints["is_resolved"] & (complaints["resolved_s"] <= _T_LAST)
    churned = np.flatnonzero(churn["is_churned"])
    churn_events = {"customer": churned.astype(np.int32), "churned_s": churn["churn_s"][churned],
                    "reason": churn["reason"][churned]}  # fmt: skip
    return {
        "customers": {"customer": np.arange(n, dtype=np.int32)} | {key: customers[key] for key in
                     ("signup_s", "segment", "region", "channel", "acquisition", "acquisition_cost")},
        "journey_events": journey,
        "surveys": surveys,
        "transactions": transactions,
        "complaints": {key: complaints[key] for key in
                       ("customer", "opened_s", "resolved_s", "touchpoint", "channel", "category")}
        | {"is_resolved": is_resolved_by_last_day,
           "text": (complaints["category"].astype(np.int16) * 2 + complaints["language"]) * 2 + complaints["variant"]},
        "churn_events": _take(churn_events, _order_by_day(churn_events["churned_s"])),
    }  # fmt: skip


# ---------------------------------------------------------------- loading into DuckDB


def _flatten(nested) -> list[str]:
    """Leaves of nested tuples of strings, depth first: the order the integer codes assume."""
    if isinstance(nested, str):
        return [nested]
    return [leaf for item in nested for leaf in _flatten(item)]


def _id_width(count: int) -> int:
    """Digits of zero-padded ids: at least 7, and never fewer than the largest number needs."""
    return max(7, len(str(count)))


def _customer_id(column: str = "customer") -> str:
    return f"'C' || lpad(CAST({column} + 1 AS VARCHAR), $customer_width, '0')"


def _row_id(prefix: str) -> str:
    return f"'{prefix}' || lpad(CAST(row_number + 1 AS VARCHAR), $row_width, '0')"


def _timestamp(column: str) -> str:
    return f"make_timestamp({column} * 1000000)"


# table -> SELECT list over the registered numpy columns; values reach SQL only as parameters.
_SELECTS = {
    "customers": f"""{_customer_id()}, {_timestamp('signup_s')}, list_extract($segments, segment + 1),
        list_extract($regions, region + 1), list_extract($channels, channel + 1),
        list_extract($acquisition_channels, acquisition + 1), acquisition_cost""",
    "journey_events": f"""{_customer_id()}, list_extract($stages, stage + 1), {_timestamp('occurred_s')},
        list_extract($channels, channel + 1)""",
    "surveys": f"""{_row_id('S')}, {_customer_id()}, {_timestamp('responded_s')},
        list_extract($stages, touchpoint + 1), list_extract($channels, channel + 1),
        NULLIF(nps, -1), NULLIF(csat, -1), NULLIF(ces, -1),
        CASE WHEN comment >= 0 THEN list_extract($comments, comment + 1) END,
        CASE WHEN csat >= 0 THEN {scale_range(DEFAULT_SURVEY_SCALE['csat'])[1]} END,
        CASE WHEN ces >= 0 THEN {scale_range(DEFAULT_SURVEY_SCALE['ces'])[1]} END""",
    "transactions": f"""{_row_id('T')}, {_customer_id()}, {_timestamp('occurred_s')}, amount,
        list_extract($products, product + 1), list_extract($channels, channel + 1)""",
    "complaints": f"""{_row_id('K')}, {_customer_id()}, {_timestamp('opened_s')},
        CASE WHEN is_resolved THEN {_timestamp('resolved_s')} END, list_extract($stages, touchpoint + 1),
        list_extract($channels, channel + 1), list_extract($categories, category + 1),
        list_extract($complaint_texts, text + 1)""",
    "churn_events": f"{_customer_id()}, {_timestamp('churned_s')}, list_extract($reasons, reason + 1)",
}
_LABELS = {
    "segments": SEGMENTS, "regions": REGIONS, "channels": CHANNELS, "acquisition_channels": ACQUISITION_CHANNELS,
    "stages": [stage for stage, *_ in STAGES], "products": PRODUCTS, "categories": COMPLAINT_CATEGORIES,
    "reasons": CHURN_REASONS, "comments": _flatten(COMMENTS), "complaint_texts": _flatten(COMPLAINT_TEXTS),
}  # fmt: skip


def load_table(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, np.ndarray], customer_count: int) -> None:
    """Insert numpy columns into ``table`` (a key of _SELECTS), building strings inside DuckDB."""
    select = _SELECTS[table]
    rows = next(iter(columns.values())).size
    source = pa.table(columns | {"row_number": np.arange(rows, dtype=np.int64)})
    params = {"customer_width": _id_width(customer_count)}
    if "$row_width" in select:
        params["row_width"] = _id_width(rows)
    params |= {name: _LABELS[name] for name in re.findall(r"\$(\w+)", select) if name in _LABELS}
    con.register("sample_source", source)
    try:
        con.execute(f'INSERT INTO "{table}" SELECT {select} FROM sample_source', params)
    finally:
        con.unregister("sample_source")


def load_reference_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Journey stages and metric targets (valid from the first day, open-ended)."""
    con.executemany("INSERT INTO journey_stages VALUES (?, ?, ?, ?)", [list(stage) for stage in STAGES])
    con.executemany(
        "INSERT INTO targets VALUES (?, ?, ?, ?, NULL)",
        [[metric, value, segment, SAMPLE_START] for metric, value, segment in TARGETS],
    )


# ---------------------------------------------------------------- public API


def validate_scale(scale: float) -> int:
    """The number of customers for ``scale`` (1 = one million); ValueError unless it is positive."""
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive number (1 = one million customers), got {scale!r}")
    customer_count = round(1_000_000 * scale)
    if customer_count < 1:
        raise ValueError(f"scale {scale!r} gives no customers; the smallest usable scale is 0.000001")
    return customer_count


def validate_seed(seed: int) -> int:
    """``seed`` itself; ValueError unless it is a non-negative integer."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def count_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every table in the schema."""
    return {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0] for name in TABLES}


def generate_sample(con, *, scale: float = DEFAULT_SCALE, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Fill the (empty, already created) tables on `con`; return row counts per table.

    ``round(1_000_000 * scale)`` customers; same ``seed`` and ``scale`` give the same rows (only
    meta's data_version differs). Raises ValueError for a bad scale or seed or non-empty tables.
    """
    customer_count = validate_scale(scale)
    seed = validate_seed(seed)
    filled = {name: count for name, count in count_rows(con).items() if count and name != "meta"}
    if filled:
        raise ValueError(f"generate_sample needs empty tables, but these have rows: {filled}")
    tables = simulate(np.random.Generator(np.random.PCG64(seed)), customer_count)
    for table, columns in tables.items():
        load_table(con, table, columns, customer_count)
    load_reference_rows(con)
    write_meta(con, as_of=SAMPLE_AS_OF.isoformat(), currency="RUB", source="sample", seed=seed, scale=scale)
    bump_data_version(con)
    refresh_rollups(con)
    return count_rows(con)


def build_sample_database(path: str | os.PathLike, *, scale: float = DEFAULT_SCALE, seed: int = DEFAULT_SEED,
                          force: bool = False) -> dict[str, int]:  # fmt: skip
    """Create the DuckDB file at `path` with schema + sample; return row counts per table.

    Atomic: the database is built in a temp file in the same folder and moved onto `path` with
    os.replace, so a killed build never leaves a half-written database. FileExistsError if `path`
    exists and not `force`.
    """
    validate_scale(scale)
    validate_seed(seed)
    return build_database_atomically(path, lambda con: generate_sample(con, scale=scale, seed=seed), force=force)
