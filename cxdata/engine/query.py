"""Turning ``Filters`` into Ibis expressions over the DuckDB tables.

Every table is narrowed the same way: its date column to the filter's days, its channel column
to the channel allow-list, and its customers' attributes (segment, region, acquisition channel)
to theirs. A row whose customer is not in ``customers`` has those attributes "Unknown".
"""

from __future__ import annotations

from datetime import date, datetime, time

import duckdb
import ibis
import ibis.expr.types as ir
from ibis.backends.duckdb import Backend as DuckDBBackend

from cxdata.engine.db import resolve_db_path
from cxdata.engine.router import CURRENT, answered_by
from cxdata.model.filters import UNKNOWN, Filters
from cxdata.model.rules import customer_churn, is_purchase
from cxdata.model.schema import TABLES


def open_backend(path=None, *, connection: duckdb.DuckDBPyConnection | None = None):
    """An Ibis DuckDB backend on a read-only connection to the database (or on ``connection``)."""
    if connection is None:
        db_path = resolve_db_path(path)
        if not db_path.exists():
            raise FileNotFoundError(f"database not found: {db_path} (create it with: python -m cxdata init)")
        connection = duckdb.connect(str(db_path), read_only=True)
    return ibis.duckdb.from_connection(connection)


class SnapshotBackend(DuckDBBackend):
    """An Ibis DuckDB backend on a read-only snapshot, whose tables cannot change: each table's
    schema is looked up once per backend, not once per query (``Backend.table`` asks DuckDB every
    time; a page's queries ask for about twenty tables)."""

    def table(self, name: str, /, *, database=None) -> ir.Table:
        tables = self.__dict__.setdefault("_snapshot_tables", {})
        key = (name, tuple(database) if isinstance(database, list) else database)
        if key not in tables:
            tables[key] = super().table(name, database=database)
        return tables[key]


def open_snapshot_backend(connection: duckdb.DuckDBPyConnection) -> SnapshotBackend:
    """``open_backend`` on a cursor of a read-only snapshot (``cxdata.engine.db.snapshot_cursor``)."""
    return SnapshotBackend.from_connection(connection)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time())


def period_bounds(filters: Filters) -> tuple[ir.Scalar, ir.Scalar]:
    """``Filters.bounds`` as timestamp literals."""
    start, end = filters.bounds()
    return ibis.timestamp(start), ibis.timestamp(end)


def narrow_by_customer(db, rel: ir.Table, filters: Filters, *, customer_channel: bool = False) -> ir.Table:
    """Keep rows of ``rel`` (which has ``customer_id``) whose customer matches the dimension filters.

    With ``customer_channel`` the channel filter applies to the customer's first-contact channel
    (for relations that have no channel of their own).
    """
    wanted = filters.allow_lists("channel" if customer_channel else None)
    if not wanted:
        return rel
    customers = db.table("customers")
    attributes = customers.select(
        customers.customer_id, **{f"_{column}": customers[column] for column in wanted}
    )
    joined = rel.left_join(attributes, rel.customer_id == attributes.customer_id)
    predicates = [ibis.coalesce(joined[f"_{column}"], UNKNOWN).isin(values) for column, values in wanted.items()]
    return joined.filter(*predicates).select(*rel.columns)


def filter_table(db, name: str, filters: Filters, *, date_range: bool = True, table: ir.Table | None = None) -> ir.Table:
    """Table ``name`` narrowed by ``filters`` (its date column only when ``date_range``).

    ``table`` reads another relation with the same columns as ``name`` (e.g. the
    ``customer_summary`` rollup in place of ``customers``).
    """
    spec = TABLES[name]
    table = db.table(name) if table is None else table
    predicates = []
    if date_range and spec.date_column:
        start, end = period_bounds(filters)
        column = table[spec.date_column]
        predicates += [column >= start, column < end]
    if filters.channels and spec.channel_column:
        predicates.append(table[spec.channel_column].isin(filters.channels))
    if predicates:
        table = table.filter(*predicates)
    if name == "customers":
        predicates = filters.predicates(table)
        return table.filter(*predicates) if predicates else table
    return narrow_by_customer(db, table, filters, customer_channel=spec.channel_column is None)


def _lifecycle_from_summary(db, filters: Filters) -> ir.Table:
    """``customer_lifecycle`` read from the ``customer_summary`` rollup (its saved copy)."""
    summary = db.table("customer_summary")
    summary = summary.filter(summary.first_purchase_at.notnull(), *filters.predicates(summary, "channel"))
    return summary.select(
        "customer_id",
        "first_purchase_at",
        churned_at=customer_churn(summary.churned_at, summary.first_purchase_at),
    )


@answered_by(CURRENT, saved=_lifecycle_from_summary)
def customer_lifecycle(db, filters: Filters) -> ir.Table:
    """One row per paying customer matching the dimension filters (dates ignored):
    ``customer_id``, ``first_purchase_at`` (first positive transaction), ``churned_at`` (or null).
    """
    transactions = db.table("transactions")
    purchases = transactions.filter(is_purchase(transactions.amount), transactions.customer_id.notnull())
    first = purchases.group_by("customer_id").aggregate(first_purchase_at=purchases.occurred_at.min())
    churn = db.table("churn_events")
    churn = churn.group_by("customer_id").aggregate(churned_at=churn.churned_at.min())
    life = first.left_join(churn, first.customer_id == churn.customer_id).select(
        first.customer_id, first.first_purchase_at, churn.churned_at
    )
    life = life.mutate(churned_at=customer_churn(life.churned_at, life.first_purchase_at))
    return narrow_by_customer(db, life, filters, customer_channel=True)
