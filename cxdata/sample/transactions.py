"""Purchases and refunds: paying customers buy at a seasonal monthly rate until they churn, and
spend more the more satisfied they are; refunds follow a few purchases, many more of those the
payment incident hit.
"""

from __future__ import annotations

import numpy as np

from cxdata.sample.calendar import DAY, LAST_SECOND, MONTH, MONTH_OF_YEAR, MONTH_STARTS, order_by_day
from cxdata.sample.customers import MOBILE_APP, draw_event_channels
from cxdata.sample.draws import (
    concat_columns,
    draw_by_group,
    draw_offsets,
    draw_sorted_uniforms,
    index_within_groups,
    take_rows,
)
from cxdata.sample.journey import INCIDENT_FROM, INCIDENT_UNTIL

PRODUCTS = ["Basic", "Plus", "Pro", "Service"]
PRODUCT_SHARES_BY_SEGMENT = np.array([[0.50, 0.30, 0.10, 0.10], [0.15, 0.40, 0.35, 0.10], [0.10, 0.30, 0.45, 0.15]])
# Monthly purchase rates are tuned so that scale 1 gives ~10M transactions.
PURCHASES_PER_MONTH_BY_SEGMENT = np.array([0.8, 1.1, 1.4]) * 2.3
MEDIAN_AMOUNT_RUB_BY_SEGMENT = np.array([2_500.0, 9_000.0, 18_000.0])
_PURCHASE_SEASON = {1: 0.85, 2: 0.85, 7: 0.85, 8: 0.85, 11: 1.2, 12: 1.5}


def _purchase_season_curve() -> tuple[np.ndarray, np.ndarray]:
    """(knots in epoch seconds, cumulative seasonal months at each knot), both shaped (31,)."""
    weights = np.array([_PURCHASE_SEASON.get(month, 1.0) for month in MONTH_OF_YEAR])
    lengths = np.diff(MONTH_STARTS) / MONTH
    return MONTH_STARTS.astype(np.float64), np.concatenate([[0.0], np.cumsum(weights * lengths)])


def draw_purchases(rng: np.random.Generator, customers, funnel, churn) -> dict[str, np.ndarray]:
    """One row per purchase (first purchases then repeats), grouped by customer in time order.

    Columns: customer (int32), occurred_s (int64), purchase_number (1 = first), channel, product
    (int8), amount (float64 RUB), is_incident (bool: a first purchase through the broken app).
    Paying customers buy at a seasonal monthly rate segment base * exp(0.3 sat) until churn.
    """
    payers = np.flatnonzero(funnel["is_buyer"])
    sat, segment = customers["sat"][payers], customers["segment"][payers]
    first_s = funnel["attempt_s"][payers]
    until_s = np.minimum(churn["churn_s"][payers], LAST_SECOND)
    knots, curve = _purchase_season_curve()
    low, high = np.interp(first_s, knots, curve), np.interp(until_s, knots, curve)
    rate = PURCHASES_PER_MONTH_BY_SEGMENT[segment] * np.exp(0.3 * sat)
    counts = rng.poisson(rate * np.maximum(high - low, 0.0))
    position = np.repeat(np.arange(payers.size), counts)
    uniforms = draw_sorted_uniforms(rng, counts)
    repeat_s = np.interp(low[position] + uniforms * (high - low)[position], curve, knots).astype(np.int64)
    repeat_s = np.clip(repeat_s, first_s[position] + 60, LAST_SECOND)  # a repeat never precedes the first buy
    customer = np.concatenate([payers, payers[position]]).astype(np.int32)
    channel = np.concatenate([funnel["first_purchase_channel"][payers],
                              draw_event_channels(rng, customers["channel"][payers[position]])])  # fmt: skip
    size = customer.size
    segment_of_row = customers["segment"][customer]
    product = draw_by_group(rng, PRODUCT_SHARES_BY_SEGMENT, segment_of_row)
    log_amount = np.log(MEDIAN_AMOUNT_RUB_BY_SEGMENT[segment_of_row]) + 0.6 * rng.standard_normal(size)
    amount = np.round(np.exp(log_amount + 0.15 * customers["sat"][customer]), 2)
    return {"customer": customer, "occurred_s": np.concatenate([first_s, repeat_s]),
            "purchase_number": np.concatenate([np.ones(payers.size, np.int64), index_within_groups(counts) + 2]),
            "channel": channel, "product": product, "amount": amount,
            "is_incident": np.concatenate([funnel["is_incident"][payers], np.zeros(position.size, bool)])}  # fmt: skip


def draw_transactions(rng: np.random.Generator, purchases) -> dict[str, np.ndarray]:
    """Purchases plus refunds (negative amount of a prior purchase, 1-10 days later), ordered by day.

    Columns: customer (int32), occurred_s (int64), amount (float64), product, channel (int8).
    About 3% of purchases are refunded; far more of those hit by the payment incident.
    """
    t = purchases["occurred_s"]
    in_window = (t >= INCIDENT_FROM) & (t < INCIDENT_UNTIL) & (purchases["channel"] == MOBILE_APP)
    probability = np.where(purchases["is_incident"], 0.35, np.where(in_window, 0.10, 0.028))
    refunded = np.flatnonzero(rng.random(t.size) < probability)
    refund_s = t[refunded] + draw_offsets(rng, DAY, 10 * DAY, refunded.size)
    refunded, refund_s = refunded[refund_s <= LAST_SECOND], refund_s[refund_s <= LAST_SECOND]
    columns = ("customer", "amount", "product", "channel")
    buys = {key: purchases[key] for key in columns} | {"occurred_s": t}
    refunds = {key: purchases[key][refunded] for key in columns} | {"occurred_s": refund_s}
    refunds["amount"] = -refunds["amount"]
    transactions = concat_columns([buys, refunds])
    return take_rows(transactions, order_by_day(transactions["occurred_s"]))
