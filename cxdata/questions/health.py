"""Data health: what each table holds, what is missing, and what that switches off.

Per data table: rows, the date range of its date column, the share of rows linked to a known
customer, the columns never filled, and the values of its text dimensions that differ only by
case or spacing (``cxdata.model.spelling``). Each missing piece — a table without rows, a column
never filled — comes with the metrics and measures it switches off (``cxdata.model.registry``),
in words. Per table one aggregate (counts, date range), one semi-join of its rows counted per
customer (linked rows) and one query for the distinct values of its text dimensions, all in the
database: seconds on ten million rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import ibis
import pandas as pd

from cxdata.engine.coverage import DATA_TABLES, Gap, table_label
from cxdata.i18n import register_text, translate
from cxdata.model.registry import MEASURES, METRICS, measures_needing, metrics_needing
from cxdata.model.rules import SCALE_COLUMNS
from cxdata.model.schema import TABLES
from cxdata.model.spelling import spelling_variants

# The text columns that become filters and chart categories, where "Web" and "web" split a group.
TEXT_DIMENSIONS = ("channel", "segment", "region", "category", "touchpoint", "product", "acquisition_channel", "reason")
# The column a table is dated by, for tables without a date filter column.
DATE_COLUMNS = {name: TABLES[name].date_column for name in DATA_TABLES} | {"targets": "valid_from"}
# Columns where no value is a statement, not a gap: a target without an end date is open-ended.
# Columns whose emptiness means something: an open-ended target; an answer on its score's default
# scale (``cxdata.model.rules.SCALE_COLUMNS``).
EMPTY_BY_DESIGN = {("targets", "valid_to"), ("targets", "category"), *(("surveys", column) for column in SCALE_COLUMNS.values())}


@dataclass(frozen=True)
class TableHealth:
    table: str
    rows: int
    first: datetime | None = None  # earliest and latest value of the date column
    last: datetime | None = None
    linked: int | None = None  # rows whose customer is in ``customers`` (None: no customer column)
    never_filled: tuple[str, ...] = ()
    variants: dict[str, list[list[str]]] = field(default_factory=dict)  # column -> spelling groups

    @property
    def linked_share(self) -> float | None:
        """Percent of rows linked to a known customer (None without a customer column or rows)."""
        return None if self.linked is None or not self.rows else 100 * self.linked / self.rows

    def gaps(self) -> list[Gap]:
        """The missing pieces: the whole table when it has no rows, else each never-filled column."""
        return [Gap(self.table)] if not self.rows else [Gap(self.table, column) for column in self.never_filled]


def fetch_table_health(db, name: str, customers: ibis.Table) -> TableHealth:
    """``TableHealth`` of one table: one aggregate, and one query for its text dimensions' values."""
    table, spec = db.table(name), TABLES[name]
    aggregates = {"rows": table.count(), **{f"filled_{c}": table[c].count() for c in spec.column_names}}
    date_column = DATE_COLUMNS.get(name)
    if date_column:
        aggregates |= {"first": table[date_column].min(), "last": table[date_column].max()}
    has_link = "customer_id" in spec.column_names and name != "customers"
    counts = table.aggregate(**aggregates).execute().iloc[0]
    linked = _count_linked(table, customers) if has_link and len(counts) else None
    rows = int(counts["rows"])
    return TableHealth(
        table=name,
        rows=rows,
        first=_timestamp(counts.get("first")),
        last=_timestamp(counts.get("last")),
        linked=linked,
        never_filled=tuple(c for c in spec.column_names
                           if rows and not int(counts[f"filled_{c}"]) and (name, c) not in EMPTY_BY_DESIGN),
        variants=_fetch_variants(table, [c for c in spec.column_names if c in TEXT_DIMENSIONS]) if rows else {},
    )


def _count_linked(table: ibis.Table, customers: ibis.Table) -> int:
    """Rows of ``table`` whose customer is in ``customers``.

    The rows are counted per customer first and only those counts are matched with the customers
    (a hash semi-join): on ten million rows that takes about a fifth less work than matching every
    row, and an IN (subquery) inside an aggregate is ~50× slower. A row without a customer matches
    none."""
    per_customer = table.group_by("customer_id").aggregate(row_count=table.count())
    linked = per_customer.semi_join(customers, "customer_id").row_count.sum().execute()
    return 0 if linked is None or pd.isna(linked) else int(linked)


def _timestamp(value) -> datetime | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def _fetch_variants(table: ibis.Table, columns: list[str]) -> dict[str, list[list[str]]]:
    """Column -> groups of values that differ only by case or spacing, from the distinct values
    and their counts (one query for all the columns)."""
    if not columns:
        return {}
    parts = [
        table.select(value=table[c]).filter(lambda t: t.value.notnull()).group_by("value")
        .aggregate(n=lambda t: t.count()).mutate(column=ibis.literal(c))
        for c in columns
    ]
    values = ibis.union(*parts).execute()
    found = {}
    for column in columns:
        rows = values[values["column"] == column]
        groups = spelling_variants(dict(zip(rows["value"], rows["n"].astype(int), strict=True)))
        if groups:
            found[column] = groups
    return found


def fetch_health(db) -> list[TableHealth]:
    """``TableHealth`` of every data table, in schema order."""
    customers = db.table("customers")
    return [fetch_table_health(db, name, customers) for name in DATA_TABLES]


def switched_off(gap: Gap) -> list[str]:
    """The names of the metrics and measures a missing piece switches off, registry order."""
    columns = TABLES[gap.table].column_names if gap.column is None else (gap.column,)
    names = [n for c in columns for n in (*metrics_needing(gap.table, c), *measures_needing(gap.table, c))]
    return list(dict.fromkeys(names))


def label_of(name: str, lang: str) -> str:
    return METRICS[name].label(lang) if name in METRICS else MEASURES[name].label(lang)


def describe_gap(gap: Gap, lang: str) -> dict:
    """A missing piece in words: what, why, what it switches off, what to load."""
    off = [label_of(name, lang) for name in switched_off(gap)]
    return {
        "table": gap.table,
        "column": gap.column,
        "reason": gap.reason(lang),
        "switches_off": off,
        "switches_off_text": ", ".join(off) if off else translate("health_nothing_off", lang),
        "remedy": gap.remedy(lang),
    }


def build_health_report(health: list[TableHealth], lang: str = "en") -> dict:
    """Everything ``python -m cxdata health`` prints: per table, and the missing pieces."""
    tables = []
    for h in health:
        share = h.linked_share
        tables.append({
            "table": h.table,
            "label": table_label(h.table, lang),
            "rows": h.rows,
            "date_column": DATE_COLUMNS.get(h.table),
            "first": h.first.isoformat() if h.first else None,
            "last": h.last.isoformat() if h.last else None,
            "linked_rows": h.linked,
            "linked_share": None if share is None else round(share, 1),
            "never_filled": list(h.never_filled),
            "spelling_variants": h.variants,
            "missing": [describe_gap(gap, lang) for gap in h.gaps()],
        })  # fmt: skip
    return {"tables": tables}


register_text({
    "health_nothing_off": {"en": "no metric", "ru": "ни одного показателя"},
})
