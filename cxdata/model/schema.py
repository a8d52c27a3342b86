"""The DuckDB data model: one place that states every table, its grain and its columns.

Times are naive timestamps in the company's local time. Money is in the company's currency
(stored in ``meta``), as DOUBLE. Keys are stated per table; they are enforced by the loaders,
not by DuckDB constraints, because index maintenance would slow bulk loads of tens of millions
of rows and the loaders must report duplicates with row numbers anyway.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    name: str
    grain: str
    key: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type)
    date_column: str | None  # the column the global date filter applies to
    channel_column: str | None  # the column the global channel filter applies to

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def ddl(self) -> str:
        cols = ",\n    ".join(f'"{name}" {sql_type}' for name, sql_type in self.columns)
        return f'CREATE TABLE IF NOT EXISTS "{self.name}" (\n    {cols}\n)'


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            name="customers",
            grain="one row per customer (including leads who never bought)",
            key=("customer_id",),
            columns=(
                ("customer_id", "VARCHAR NOT NULL"),
                ("signup_at", "TIMESTAMP"),  # first contact with the company
                ("segment", "VARCHAR"),
                ("region", "VARCHAR"),
                ("channel", "VARCHAR"),  # channel of first contact
                ("acquisition_channel", "VARCHAR"),
                ("acquisition_cost", "DOUBLE"),  # money spent to acquire this customer
            ),
            date_column="signup_at",
            channel_column="channel",
        ),
        Table(
            name="journey_stages",
            grain="one row per journey stage, in journey order",
            key=("stage",),
            columns=(
                ("stage", "VARCHAR NOT NULL"),
                ("position", "INTEGER NOT NULL"),
                ("label_en", "VARCHAR"),
                ("label_ru", "VARCHAR"),
            ),
            date_column=None,
            channel_column=None,
        ),
        Table(
            name="journey_events",
            grain="one row per journey event: a customer reaching a stage (repeats allowed; the funnel uses the first)",
            key=(),
            columns=(
                ("customer_id", "VARCHAR NOT NULL"),
                ("stage", "VARCHAR NOT NULL"),
                ("occurred_at", "TIMESTAMP NOT NULL"),
                ("channel", "VARCHAR"),
            ),
            date_column="occurred_at",
            channel_column="channel",
        ),
        Table(
            name="surveys",
            grain="one row per survey response",
            key=("response_id",),
            columns=(
                ("response_id", "VARCHAR NOT NULL"),
                ("customer_id", "VARCHAR"),  # null for anonymous responses
                ("responded_at", "TIMESTAMP NOT NULL"),
                ("touchpoint", "VARCHAR"),  # a journey stage
                ("channel", "VARCHAR"),
                ("nps", "TINYINT"),  # 0..10, null if not asked
                ("csat", "TINYINT"),  # on the scale csat_scale tops (1..5 by default)
                ("ces", "TINYINT"),  # on the scale ces_scale tops (1..7 by default), top = easiest
                ("comment", "VARCHAR"),
                # The top of the answer's scale, stored with it (cxdata.model.rules.SCALES): 5, 7 or 10.
                ("csat_scale", "TINYINT"),
                ("ces_scale", "TINYINT"),
            ),
            date_column="responded_at",
            channel_column="channel",
        ),
        Table(
            name="transactions",
            grain="one row per transaction (refunds are negative amounts)",
            key=("transaction_id",),
            columns=(
                ("transaction_id", "VARCHAR NOT NULL"),
                ("customer_id", "VARCHAR"),
                ("occurred_at", "TIMESTAMP NOT NULL"),
                ("amount", "DOUBLE NOT NULL"),
                ("product", "VARCHAR"),
                ("channel", "VARCHAR"),
            ),
            date_column="occurred_at",
            channel_column="channel",
        ),
        Table(
            name="complaints",
            grain="one row per complaint",
            key=("complaint_id",),
            columns=(
                ("complaint_id", "VARCHAR NOT NULL"),
                ("customer_id", "VARCHAR"),
                ("opened_at", "TIMESTAMP NOT NULL"),
                ("resolved_at", "TIMESTAMP"),  # null while unresolved
                ("touchpoint", "VARCHAR"),
                ("channel", "VARCHAR"),
                ("category", "VARCHAR"),
                ("text", "VARCHAR"),
            ),
            date_column="opened_at",
            channel_column="channel",
        ),
        Table(
            name="churn_events",
            grain="one row per lost customer or lead",
            key=("customer_id",),
            columns=(
                ("customer_id", "VARCHAR NOT NULL"),
                ("churned_at", "TIMESTAMP NOT NULL"),
                ("reason", "VARCHAR"),
            ),
            date_column="churned_at",
            channel_column=None,  # filtered through the customer's channel
        ),
        Table(
            name="targets",
            grain="one row per metric standard (optionally per segment or complaint category) and validity interval",
            key=("metric", "segment", "valid_from", "category"),
            columns=(
                ("metric", "VARCHAR NOT NULL"),  # a name from cxdata.model.registry.METRICS
                ("target_value", "DOUBLE NOT NULL"),  # in the metric's display unit
                ("segment", "VARCHAR"),  # null = every segment
                ("valid_from", "DATE NOT NULL"),
                ("valid_to", "DATE"),  # null = open-ended
                # A complaint category (the resolution-time standard is set per category); null = all.
                ("category", "VARCHAR"),
            ),
            date_column=None,
            channel_column=None,
        ),
        Table(
            name="meta",
            grain="one row per setting of the database (data_version, as_of, currency, ...)",
            key=("key",),
            columns=(("key", "VARCHAR NOT NULL"), ("value", "VARCHAR")),
            date_column=None,
            channel_column=None,
        ),
    )
}


def create_schema(con) -> None:
    """Create every table that does not exist yet on a DuckDB connection, and add the columns a
    table made by an earlier layout lacks (they are appended, empty)."""
    for table in TABLES.values():
        con.execute(table.ddl())
        for name, sql_type in table.columns:
            if "NOT NULL" not in sql_type:
                con.execute(f'ALTER TABLE "{table.name}" ADD COLUMN IF NOT EXISTS "{name}" {sql_type}')
