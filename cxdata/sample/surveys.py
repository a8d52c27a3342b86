"""Survey answers and their comments.

CES after registration, CSAT after the first purchase, onboarding, complaints and repeat purchases,
and NPS waves every six months. Scores follow satisfaction; the payment incident and unresolved
complaints pull them down. Answers come from a happier minority of "responders" (``customers``),
so most churners were never heard from and survey scores flatter the base a little. About 30% of
answers carry a comment whose theme and sentiment follow the answer.
"""

from __future__ import annotations

import numpy as np

from cxdata.sample.calendar import DAY, HOUR, LAST_SECOND, MONTH, order_by_day
from cxdata.sample.customers import RUSSIAN_SHARE, draw_event_channels
from cxdata.sample.draws import concat_columns, draw_offsets, index_within_groups, round_scores, take_rows
from cxdata.sample.journey import FIRST_PURCHASE, ONBOARDING, REGISTRATION, REPEAT_PURCHASE

RESPONDER_BOOST, NON_RESPONDER_DAMPING = 3.2, 0.03  # response rate multipliers; they average ~1
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


def _survey_response_probability(base: float, is_responder: np.ndarray) -> np.ndarray:
    """Chance to answer, shaped like ``is_responder``; about ``base`` on average over customers."""
    return np.where(is_responder, np.minimum(base * RESPONDER_BOOST, 0.95), base * NON_RESPONDER_DAMPING)


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
    return round_scores(3.9 + 0.8 * sat + rng.normal(0.0, 0.7, sat.size) + shift, 1, 5)


def _draw_journey_surveys(rng: np.random.Generator, customers, funnel) -> list[dict[str, np.ndarray]]:
    """Survey parts for registration (CES), first purchase (CSAT) and onboarding (CSAT + CES)."""
    n, sat, channel = customers["sat"].size, customers["sat"], customers["channel"]
    is_responder = customers["is_responder"]
    is_decided = funnel["decided_s"] <= LAST_SECOND
    # Leads who gave up answer the exit survey less often than those who registered.
    base = np.where(funnel["is_registered"], 0.40, 0.30)
    who = np.flatnonzero(is_decided & (rng.random(n) < _survey_response_probability(base, is_responder)))
    parts = [_survey_part(who, funnel["decided_s"][who] + draw_offsets(rng, 120, 3 * HOUR, who.size), REGISTRATION,
                          draw_event_channels(rng, channel[who]), THEME_REGISTRATION,
                          ces=funnel["ces_registration"][who])]  # fmt: skip
    who = np.flatnonzero(funnel["is_buyer"] & (rng.random(n) < _survey_response_probability(0.30, is_responder)))
    is_incident = funnel["is_incident"][who]
    responded_s = funnel["attempt_s"][who] + draw_offsets(rng, HOUR, 72 * HOUR, who.size)
    theme = np.where(is_incident, THEME_INCIDENT, THEME_PURCHASE)
    csat = _csat(rng, sat[who], -1.5 * is_incident)  # the broken app costs ~1.5 points
    channel_of_purchase = funnel["first_purchase_channel"][who]
    parts.append(_survey_part(who, responded_s, FIRST_PURCHASE, channel_of_purchase, theme, csat=csat))
    who = np.flatnonzero(funnel["is_onboarded"] & (rng.random(n) < _survey_response_probability(0.25, is_responder)))
    ces = round_scores(4.9 + 0.7 * sat[who] + rng.normal(0.0, 1.1, who.size), 1, 7)
    parts.append(_survey_part(who, funnel["onboarded_s"][who] + draw_offsets(rng, HOUR, 48 * HOUR, who.size), ONBOARDING,
                              draw_event_channels(rng, channel[who]), THEME_ONBOARDING,
                              csat=_csat(rng, sat[who]), ces=ces))  # fmt: skip
    return parts


def _draw_relationship_surveys(rng: np.random.Generator, customers, funnel, churn) -> dict[str, np.ndarray]:
    """NPS waves: every paying customer is asked about every 6 months while active and answers
    with probability ~0.4; an unresolved complaint drags the score down from its opening."""
    payers = np.flatnonzero(funnel["is_buyer"])
    first_wave_s = funnel["attempt_s"][payers] + draw_offsets(rng, 0.5 * MONTH, 6 * MONTH, payers.size)
    until_s = np.minimum(churn["churn_s"][payers], LAST_SECOND)
    counts = np.where(first_wave_s <= until_s, (until_s - first_wave_s) // int(6 * MONTH) + 1, 0)
    position = np.repeat(np.arange(payers.size), counts)
    wave = index_within_groups(counts)
    owner = payers[position]
    asked_s = first_wave_s[position] + wave * int(6 * MONTH)
    is_answered = rng.random(owner.size) < _survey_response_probability(0.40, customers["is_responder"][owner])
    owner, asked_s, wave = owner[is_answered], asked_s[is_answered], wave[is_answered]
    sat = customers["sat"][owner]
    is_aggrieved = asked_s >= churn["first_unresolved_s"][owner]
    nps = round_scores(7.2 + 2.0 * sat + rng.normal(0.0, 1.0, owner.size) - 1.5 * is_aggrieved, 0, 10)
    csat = np.where(rng.random(owner.size) < 0.6, _csat(rng, sat, -0.7 * is_aggrieved), -1)
    touchpoint = np.where(wave == 0, ONBOARDING, REPEAT_PURCHASE)
    return _survey_part(owner, asked_s, touchpoint, draw_event_channels(rng, customers["channel"][owner]),
                        THEME_RELATIONSHIP, nps=nps, csat=csat)  # fmt: skip


def _draw_complaint_surveys(rng: np.random.Generator, customers, complaints) -> dict[str, np.ndarray]:
    """CSAT after ~30% of complaints: good if resolved, poor if not."""
    probability = _survey_response_probability(0.3, customers["is_responder"][complaints["customer"]])
    who = np.flatnonzero(rng.random(probability.size) < probability)
    owner = complaints["customer"][who]
    sat = customers["sat"][owner]
    is_resolved = complaints["is_resolved"][who]
    responded_s = np.where(is_resolved, complaints["resolved_s"][who] + draw_offsets(rng, HOUR, 48 * HOUR, who.size),
                           complaints["opened_s"][who] + draw_offsets(rng, 3 * DAY, 10 * DAY, who.size))  # fmt: skip
    resolved_csat = round_scores(3.4 + 0.6 * sat + rng.normal(0.0, 0.8, who.size), 1, 5)
    unresolved_csat = round_scores(1.6 + 0.3 * sat + rng.normal(0.0, 0.6, who.size), 1, 5)
    return _survey_part(owner, responded_s, complaints["touchpoint"][who], complaints["channel"][who],
                        THEME_SUPPORT, csat=np.where(is_resolved, resolved_csat, unresolved_csat))  # fmt: skip


def _draw_purchase_surveys(rng: np.random.Generator, customers, churn, purchases) -> dict[str, np.ndarray]:
    """CSAT after ~11% of repeat purchases (the post-purchase e-mail)."""
    is_repeat = purchases["purchase_number"] >= 2
    probability = _survey_response_probability(0.11, customers["is_responder"][purchases["customer"]])
    who = np.flatnonzero(is_repeat & (rng.random(is_repeat.size) < probability))
    owner = purchases["customer"][who]
    responded_s = purchases["occurred_s"][who] + draw_offsets(rng, 2 * HOUR, 72 * HOUR, who.size)
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
    surveys = concat_columns(parts)
    surveys = take_rows(surveys, surveys["responded_s"] <= LAST_SECOND)
    surveys["comment"] = _draw_comments(rng, surveys)
    del surveys["theme"]
    return take_rows(surveys, order_by_day(surveys["responded_s"]))
