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

Everything is drawn vectorised with numpy from one seeded generator in a fixed order (``simulate``),
so the same ``seed`` and ``scale`` give identical table contents. Rows of the event tables are
stored in day order, and their ids (T..., S..., K...) follow that order.

One module per part of the story: ``customers`` (and acquisition), ``journey`` (and the payment
incident), ``complaints``, ``churn``, ``transactions`` (purchases and refunds), ``surveys``; then
``database`` writes the arrays into DuckDB and ``maturity`` plants a past CEM maturity assessment.
``calendar`` and ``draws`` are what they all share.
"""

from __future__ import annotations

import math
import numbers
import os

import numpy as np

from cxdata.engine.db import build_database_atomically, bump_data_version, write_meta
from cxdata.engine.rollups import refresh_rollups
from cxdata.sample.calendar import LAST_SECOND, SAMPLE_AS_OF, order_by_day
from cxdata.sample.churn import draw_churn
from cxdata.sample.complaints import draw_complaints
from cxdata.sample.customers import draw_customers
from cxdata.sample.database import count_rows, load_reference_rows, load_table
from cxdata.sample.maturity import load_past_assessment
from cxdata.sample.draws import take_rows
from cxdata.sample.journey import assemble_journey, draw_funnel
from cxdata.sample.surveys import draw_surveys
from cxdata.sample.transactions import draw_purchases, draw_transactions

DEFAULT_SCALE = 0.05  # 50k customers
DEFAULT_SEED = 42


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
    complaints = take_rows(complaints, order_by_day(complaints["opened_s"]))
    is_resolved_by_last_day = complaints["is_resolved"] & (complaints["resolved_s"] <= LAST_SECOND)
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
        "churn_events": take_rows(churn_events, order_by_day(churn_events["churned_s"])),
    }  # fmt: skip


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
    load_past_assessment(con)
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
