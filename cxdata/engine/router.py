"""The one router: for each question, a saved copy (a rollup) when it holds exactly the answer,
else the portable definition on the raw tables.

A question is a function of the metric layer written as its definition (Ibis over the raw
tables). ``@answered_by(COPY, saved=reader)`` declares the saved copy that can answer it and the
DuckDB-only reader of that copy (same arguments, same result); the decorated function routes every
call here, so no query function decides for itself. The rules live in ``saved_copy_answers``:

- the rollups were built for the data version the backend shows (``meta.rollup_version``) by code
  that lays them out as today's readers expect (``rollups.SHAPE``), and the backend is DuckDB (the
  readers are DuckDB SQL; any other engine runs the definitions);
- an all-time copy (``facts`` set) answers "as of a day" only when no fact of that kind is dated
  after the day (``as_of``; the money readers take the classes as of an earlier period end from
  the facts themselves, ``cxdata.engine.money_rollup``);
- the journey copy answers only the stage order it was built for;
- the money copies answer only when built by the current refresh, and when every driver has its
  bit in their masks (``extra``).

``tests/test_router.py`` states which copy answers which question, as a table.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from cxdata.engine.db import is_duckdb, read_meta
from cxdata.engine.rollups import SHAPE, SHAPE_META_KEY, meta_says_fresh
from cxdata.engine.rollups_journey import STAGES_META_KEY


@dataclass(frozen=True)
class SavedCopy:
    """A rollup (or a family of rollups) and what it can answer."""

    name: str
    # None: dated rows (day × dimensions), any period of the current data. Else the kind of fact
    # ("transaction", "event", "fact") that must not be dated after the question's as-of day.
    facts: str | None = None
    stages: bool = False  # built for one stage order (``rollups_journey``)


# Rollups read for any period of the current data (daily sums; customer_summary for retention).
CURRENT = SavedCopy("transaction_daily, survey_daily, customer_summary")
CUSTOMER_SUMMARY = SavedCopy("customer_summary", facts="transaction")
JOURNEY_FIRST = SavedCopy("journey_first", facts="event")
JOURNEY_CUSTOMER = SavedCopy("journey_customer", facts="fact", stages=True)
MONEY = SavedCopy("money_customer, money_customer_month", facts="fact")


def saved_copy_answers(copy: SavedCopy, db, *, as_of: date | None = None, stages: list[str] | None = None) -> bool:
    """True when ``copy`` holds exactly the answer of a question about ``as_of`` over ``stages``."""
    if not is_duckdb(db):
        return False
    meta = read_meta(db.con)
    if meta.get(SHAPE_META_KEY) != SHAPE:
        return False  # built by code that laid the tables out differently: rebuilt by the next load
    day = as_of if copy.facts is not None else None
    if not meta_says_fresh(meta, day, facts=copy.facts or "transaction"):
        return False
    if copy.stages:
        built_for = meta.get(STAGES_META_KEY)
        return built_for is not None and json.loads(built_for) == list(stages or ())
    return True


def answered_by(copy: SavedCopy, *, saved: Callable, extra: Callable | None = None) -> Callable:
    """Route a definition: call ``saved`` (same arguments) when ``copy`` answers, else the definition.

    The arguments ``as_of`` and ``stages`` of the definition tell the router what is asked. ``extra(db, **arguments)`` adds a condition of that copy's own (the
    money copies store only some periods).
    """

    def decorate(definition: Callable) -> Callable:
        signature = inspect.signature(definition)

        @functools.wraps(definition)
        def route(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments = bound.arguments
            answers = saved_copy_answers(copy, arguments["db"], as_of=arguments.get("as_of"), stages=arguments.get("stages"))
            if answers and (extra is None or extra(**arguments)):
                return saved(*args, **kwargs)
            return definition(*args, **kwargs)

        route.definition = definition  # the portable definition, for a test or another engine
        route.saved = saved
        route.copy = copy
        return route

    return decorate
