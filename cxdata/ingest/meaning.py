"""What an extract means for the dashboard, checked before anything is stored: warnings that never
block a load.

- Rows dated before the dashboard's default period: where they will be visible.
- Columns empty in every row (or not in the file): the filters that will show "Unknown" and the
  metrics that stay unavailable (``cxdata.model.registry.metrics_needing``).
- Values of a category column that differ only by case or spacing (``cxdata.model.spelling``),
  in the file or against the values already stored: offered to merge, and merged when the
  preset's ``merge`` or the ``merge_variants`` switch says so (to the stored spelling, else the
  most frequent one).

Each works on the rows about to be loaded (an Arrow table or the temporary table ``incoming``).
"""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa

from cxdata.engine.db import read_meta
from cxdata.i18n import register_text, translate
from cxdata.ingest.messages import INFO, WARNING, Issue, issue
from cxdata.model.filters import DEFAULT_PRESET, preset_range
from cxdata.model.registry import METRICS, metrics_needing
from cxdata.model.rules import SCALE_COLUMNS
from cxdata.model.schema import TABLES
from cxdata.model.spelling import spelling_variants

# Columns the global filters group by: an empty one shows as "Unknown" in them.
FILTER_COLUMNS = ("segment", "region", "channel", "acquisition_channel")
# Columns whose values are categories a person reads (a spelling variant shows as a second category).
CATEGORY_COLUMNS = ("segment", "region", "channel", "acquisition_channel", "touchpoint", "category", "product",
                    "reason", "stage")


def column_label(column: str, lang: str) -> str:
    """A filter or category column as the reader's language names it ('Канал'): the filters' own
    labels (``cxdata.i18n``) for the filter columns."""
    return translate(column if column in FILTER_COLUMNS else f"column_{column}", lang)


def _labels(columns) -> dict[str, str]:
    return {lang: ", ".join(column_label(c, lang) for c in columns) for lang in ("en", "ru")}


def default_period(con) -> tuple[date, date] | None:
    """The dashboard's default period (``DEFAULT_PRESET`` ending on the data's as-of date), None
    without an as-of date."""
    as_of = read_meta(con).get("as_of")
    if not as_of:
        return None
    return preset_range(DEFAULT_PRESET, datetime.fromisoformat(as_of).date())


def period_notes(con, table: str) -> list[Issue]:
    """Rows of ``incoming`` dated before the default period, with the days they span."""
    column, period = TABLES[table].date_column, default_period(con)
    if column is None or period is None:
        return []
    count, first, last = con.execute(
        f'SELECT count(*), min("{column}"), max("{column}") FROM incoming WHERE "{column}" < ?',
        [datetime.combine(period[0], datetime.min.time())]).fetchall()[0]
    if not count:
        return []
    return [issue("before_period", WARNING, field=column, count=count, first=first.date().isoformat(),
                  last=last.date().isoformat(), start=period[0].isoformat(), end=period[1].isoformat())]


def empty_column_notes(con, table: str) -> list[Issue]:
    """Columns of ``incoming`` empty in every row that a filter or a metric reads."""
    spec = TABLES[table]
    candidates = [c for c in spec.column_names
                  if c not in spec.key and c not in SCALE_COLUMNS.values() and c != "customer_id"
                  and (c in FILTER_COLUMNS or metrics_needing(table, c))]
    if not candidates:
        return []
    counts = con.execute("SELECT count(*), " + ", ".join(f'count("{c}")' for c in candidates)
                         + " FROM incoming").fetchall()[0]
    if not counts[0]:
        return []
    empty = [c for c, n in zip(candidates, counts[1:]) if n == 0]
    notes = []
    filters = [c for c in empty if c in FILTER_COLUMNS]
    if filters:
        notes.append(issue("empty_filter_columns", WARNING, field=", ".join(filters), columns=_labels(filters)))
    for column in empty:
        needing = metrics_needing(table, column)
        if needing:
            names = {lang: ", ".join(METRICS[m].label(lang) for m in needing) for lang in ("en", "ru")}
            notes.append(issue("metrics_switched_off", WARNING, field=column, metrics=names))
    return notes


def variant_groups(con, table: str, data: pa.Table) -> dict[str, list[list[str]]]:
    """Column → groups of spellings of one value (the spelling to keep first: the stored one, else
    the most frequent), for the groups that include a value of ``data``."""
    groups: dict[str, list[list[str]]] = {}
    con.register("variant_rows", data)
    try:
        for column in (c for c in CATEGORY_COLUMNS if c in data.column_names):
            incoming = dict(con.execute(f'SELECT "{column}", count(*) FROM variant_rows WHERE "{column}" IS NOT NULL '
                                        f"GROUP BY ALL").fetchall())
            if not incoming:
                continue
            stored = dict(con.execute(f'SELECT "{column}", count(*) FROM "{table}" WHERE "{column}" IS NOT NULL '
                                      f"GROUP BY ALL").fetchall())
            counts = {value: incoming.get(value, 0) + stored.get(value, 0) for value in {*incoming, *stored}}
            found = []
            for group in spelling_variants(counts):
                if not any(value in incoming for value in group):
                    continue  # a matter of the stored data only: the data health page's
                kept = [v for v in group if v in stored] or group
                found.append([kept[0], *[v for v in group if v != kept[0]]])
            if found:
                groups[column] = found
    finally:
        con.unregister("variant_rows")
    return groups


def merge_spellings(con, table: str, data: pa.Table, merge: dict[str, dict[str, str]], merge_all: bool
                    ) -> tuple[pa.Table, list[Issue], dict[str, list[list[str]]], dict[str, dict[str, str]]]:
    """(rows with the chosen spellings merged, issues, the groups still offered, the merges done).

    ``merge``: column → {spelling: spelling to write instead} (the preset's); ``merge_all``: merge
    every group found to its first spelling. A group neither names stays as it is, with a warning."""
    groups = variant_groups(con, table, data)
    done: dict[str, dict[str, str]] = {}
    issues, offered = [], {}
    for column, column_groups in groups.items():
        chosen = merge.get(column, {})
        for group in column_groups:
            renames = {v: chosen[v] for v in group if v in chosen and chosen[v] != v}
            if not renames and merge_all:
                renames = {v: group[0] for v in group[1:]}
            shown = " / ".join(f'"{v}"' for v in group)
            if renames:
                done.setdefault(column, {}).update(renames)
                issues.append(issue("variants_merged", INFO, field=column, label=_labels([column]), values=shown,
                                    target=f'"{next(iter(renames.values()))}"'))
            else:
                offered.setdefault(column, []).append(group)
                issues.append(issue("spelling_variants", WARNING, field=column, label=_labels([column]), values=shown,
                                    target=f'"{group[0]}"'))
    if done:
        data = _renamed(con, data, done)
    return data, issues, offered, done


def _renamed(con, data: pa.Table, renames: dict[str, dict[str, str]]) -> pa.Table:
    params, cases = [], []
    for column, mapping in renames.items():
        whens = []
        for old, new in mapping.items():
            whens.append("WHEN ? THEN ?")
            params += [old, new]
        cases.append(f'CASE "{column}" {" ".join(whens)} ELSE "{column}" END AS "{column}"')
    con.register("merge_rows", data)
    try:
        return con.sql(f"SELECT * REPLACE ({', '.join(cases)}) FROM merge_rows", params=params).to_arrow_table()
    finally:
        con.unregister("merge_rows")


TEXT = {
    "column_touchpoint": {"en": "Touchpoint", "ru": "Точка контакта"},
    "column_category": {"en": "Category", "ru": "Категория"},
    "column_product": {"en": "Product", "ru": "Продукт"},
    "column_reason": {"en": "Reason", "ru": "Причина"},
    "column_stage": {"en": "Stage", "ru": "Этап"},
}
register_text(TEXT)
