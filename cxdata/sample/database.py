"""Writing the sample into DuckDB: numpy columns in, rows out.

Strings (ids, categories, texts) are built inside DuckDB from integer codes, which keeps a build at
scale 1 (~26M rows) well under a minute; values reach SQL only as parameters. Also the reference
rows: the journey stages and the targets the sample's board set.
"""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pyarrow as pa

from cxdata.model.rules import DEFAULT_SCALE as DEFAULT_SURVEY_SCALE, scale_range
from cxdata.model.schema import TABLES
from cxdata.sample.calendar import SAMPLE_START
from cxdata.sample.churn import CHURN_REASONS
from cxdata.sample.complaints import COMPLAINT_CATEGORIES, COMPLAINT_TEXTS
from cxdata.sample.customers import ACQUISITION_CHANNELS, CHANNELS, REGIONS, SEGMENTS
from cxdata.sample.journey import STAGES
from cxdata.sample.surveys import COMMENTS
from cxdata.sample.transactions import PRODUCTS

TARGETS = [  # (metric, target_value, segment)
    ("nps", 30.0, None), ("nps", 45.0, "Premium"), ("csat", 80.0, None), ("ces", 5.0, None),
    ("conversion_rate", 40.0, None), ("ltv_cac", 3.0, None), ("churn_rate", 2.0, None),
]  # fmt: skip
# The CX standard for resolving a complaint, in hours, per category (metric resolution_hours).
RESOLUTION_TARGETS = {
    "registration_problem": 24.0, "payment_failed": 24.0, "billing": 48.0, "delivery_delay": 72.0,
    "product_quality": 72.0, "staff_rudeness": 48.0,
}  # fmt: skip


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
        "INSERT INTO targets (metric, target_value, segment, valid_from) VALUES (?, ?, ?, ?)",
        [[metric, value, segment, SAMPLE_START] for metric, value, segment in TARGETS],
    )
    con.executemany(
        "INSERT INTO targets (metric, target_value, valid_from, category) VALUES ('resolution_hours', ?, ?, ?)",
        [[hours, SAMPLE_START, category] for category, hours in RESOLUTION_TARGETS.items()],
    )


def count_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every table in the schema."""
    return {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0] for name in TABLES}
