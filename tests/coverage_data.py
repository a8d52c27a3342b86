"""A small database where each piece can be left out: churn events, resolution dates, acquisition costs
(all of them, or those of some acquisition channels only).

Five customers (c5 a lead who never bought), five transactions, four survey answers, five
complaints of which two belong to known customers, one churn event. Data as of 30 Jun 2025.
"""

from __future__ import annotations

from datetime import datetime as dt
from pathlib import Path

import duckdb

from cxdata.model.schema import create_schema
from tests.conftest import build_rollups, insert_rows

AS_OF = "2025-06-30"


def build_partial_db(path: Path, *, churn: bool = True, resolved: bool = True, costs: bool = True,
                     costless_channels: tuple[str, ...] = ()) -> Path:  # fmt: skip
    con = duckdb.connect(str(path))
    create_schema(con)

    def cost(value: float, channel: str) -> float | None:
        return value if costs and channel not in costless_channels else None

    insert_rows(con, "customers", [
        ("c1", dt(2025, 1, 5), "Retail", "Central", "web", "ads", cost(100.0, "ads")),
        ("c2", dt(2025, 1, 10), "Retail", "Central", "Web", "ads", cost(100.0, "ads")),
        ("c3", dt(2025, 2, 1), "SMB", "Volga", "web", "seo", cost(50.0, "seo")),
        ("c4", dt(2025, 2, 15), "SMB", "Volga", "web", "seo", cost(50.0, "seo")),
        ("c5", dt(2025, 5, 1), "Retail", "Central", "web", "ads", cost(100.0, "ads")),
    ])  # fmt: skip
    insert_rows(con, "transactions", [
        ("t1", "c1", dt(2025, 1, 20), 100.0, "A", "web"),
        ("t2", "c2", dt(2025, 1, 25), 200.0, "A", "web"),
        ("t3", "c3", dt(2025, 2, 20), 300.0, "B", "web"),
        ("t4", "c4", dt(2025, 3, 1), 400.0, "B", "web"),
        ("t5", "c1", dt(2025, 5, 10), 150.0, "A", "web"),
    ])  # fmt: skip
    insert_rows(con, "surveys", [
        ("s1", "c1", dt(2025, 5, 1), "purchase", "web", 10, 5, 7, None),
        ("s2", "c2", dt(2025, 5, 2), "purchase", "web", 9, 4, 6, None),
        ("s3", "c3", dt(2025, 5, 3), "purchase", "web", 3, 2, 2, None),
        ("s4", "c4", dt(2025, 5, 4), "purchase", "web", 8, 3, 4, None),
    ])  # fmt: skip
    resolution = (lambda value: value) if resolved else (lambda value: None)
    insert_rows(con, "complaints", [
        ("k1", "c1", dt(2025, 5, 5), resolution(dt(2025, 5, 6)), "purchase", "web", "Billing", None),
        ("k2", "c2", dt(2025, 5, 6), resolution(dt(2025, 5, 8)), "purchase", "web", "billing ", None),
        ("k3", "zz1", dt(2025, 5, 7), None, "purchase", "web", "Billing", None),
        ("k4", "zz2", dt(2025, 5, 8), None, "purchase", "web", "Delivery", None),
        ("k5", None, dt(2025, 5, 9), None, "purchase", "web", "Delivery", None),
    ])  # fmt: skip
    if churn:
        insert_rows(con, "churn_events", [("c4", dt(2025, 5, 20), "price")])
    build_rollups(con, as_of=AS_OF)
    con.close()
    return path
