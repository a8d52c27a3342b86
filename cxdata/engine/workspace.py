"""The workspace as stored: its settings (``meta``), the span of its data, and the one rule that
decides the as-of date.

The as-of date is "now" for every number: the pinned ``meta.as_of`` when an admin pinned one (the
sample pins 31 Dec 2025), else the latest day of any fact loaded (``FACT_DATES``). The dashboard,
the command line, the rollups' period windows and the upload check all ask ``fetch_as_of``.
"""

from __future__ import annotations

from datetime import date

import ibis
import pandas as pd

from cxdata.model.workspace import WorkspaceSettings, settings_from_meta

# Every dated fact: (table, column). The data's span, and so "All time" and the as-of date that
# follows the data, covers them all.
FACT_DATES = (
    ("customers", "signup_at"),
    ("transactions", "occurred_at"),
    ("surveys", "responded_at"),
    ("journey_events", "occurred_at"),
    ("complaints", "opened_at"),
    ("complaints", "resolved_at"),
    ("churn_events", "churned_at"),
)
# Tables whose rows make a workspace non-empty (``targets`` and ``journey_stages`` are reference).
DATA_TABLES = ("customers", "transactions", "surveys", "journey_events", "complaints", "churn_events")


def fetch_meta(db) -> dict[str, str]:
    """``meta`` as a dict on any Ibis backend."""
    rows = db.table("meta").execute()
    return {str(key): (None if pd.isna(value) else str(value)) for key, value in zip(rows["key"], rows["value"])}


def fetch_settings(db) -> WorkspaceSettings:
    return settings_from_meta(fetch_meta(db))


def fetch_data_span(db) -> tuple[date | None, date | None]:
    """(first day, last day) of any fact in ``FACT_DATES`` (None, None when there is none).

    One query: it is on the first paint.
    """
    parts = [
        db.table(table).aggregate(first=db.table(table)[column].min().cast("timestamp"),
                                  last=db.table(table)[column].max().cast("timestamp"))
        for table, column in FACT_DATES
    ]
    frame = ibis.union(*parts).execute()
    firsts = [pd.Timestamp(d).date() for d in frame["first"] if d is not None and not pd.isna(d)]
    lasts = [pd.Timestamp(d).date() for d in frame["last"] if d is not None and not pd.isna(d)]
    return (min(firsts) if firsts else None), (max(lasts) if lasts else None)


def decide_as_of(settings: WorkspaceSettings, latest_fact_day: date | None) -> date | None:
    """The as-of date: the pinned one, else the latest fact's day (None: no data and no pin).

    >>> decide_as_of(WorkspaceSettings(pinned_as_of=date(2025, 12, 31)), date(2026, 3, 1))
    datetime.date(2025, 12, 31)
    >>> decide_as_of(WorkspaceSettings(), date(1998, 6, 30))
    datetime.date(1998, 6, 30)
    """
    return settings.pinned_as_of or latest_fact_day


# Used where a date is needed and there is neither data nor a pin (an empty workspace): no number
# depends on it, every count is zero.
EMPTY_AS_OF = date(1970, 1, 1)


def fetch_as_of(db) -> date:
    """The data's as-of date (``decide_as_of``); ``EMPTY_AS_OF`` for an empty, unpinned workspace."""
    return decide_as_of(fetch_settings(db), fetch_data_span(db)[1]) or EMPTY_AS_OF


def fetch_data_start(db) -> date | None:
    """The first day of any fact (``FACT_DATES``): where "All time" starts."""
    return fetch_data_span(db)[0]


def fetch_is_empty(db) -> bool:
    """True when no table of ``DATA_TABLES`` holds a row (a workspace made by ``init --empty``)."""
    counts = ibis.union(*[db.table(t).aggregate(n=db.table(t).count()) for t in DATA_TABLES]).execute()
    return int(counts["n"].sum()) == 0


def describe_workspace(db) -> dict:
    """Everything the sidebar, the CLI and the welcome need in one dict (JSON-ready dates)."""
    settings = fetch_settings(db)
    first, last = fetch_data_span(db)
    as_of = decide_as_of(settings, last)
    return {**settings.to_dict(), "as_of_in_use": as_of.isoformat() if as_of else None,
            "data_start": first.isoformat() if first else None, "data_end": last.isoformat() if last else None}


def create_empty_database(path, *, settings: dict[str, str], force: bool = False) -> dict[str, int]:
    """A database at ``path`` with the schema, no rows, and ``settings`` (stored values, see
    ``cxdata.model.workspace.normalize_setting``) in ``meta`` with ``source=empty``; row counts per
    table. Atomic like the sample's build; FileExistsError when ``path`` exists and not ``force``.
    """
    import uuid

    from cxdata.engine.db import (
        build_database_atomically,
        bump_data_version,
        write_meta,
    )
    from cxdata.engine.rollups import refresh_rollups
    from cxdata.model.schema import TABLES

    def fill(con) -> dict[str, int]:
        write_meta(con, source="empty", settings_version=uuid.uuid4().hex[:12], **settings)
        bump_data_version(con)
        refresh_rollups(con)
        return {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0] for name in TABLES}

    return build_database_atomically(path, fill, force=force)
