"""``Filters`` renders its own predicate: a table of filter -> SQL text and parameters, and the
same allow-lists as Ibis predicates checked on rows a person can read."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import ibis
import pytest

from cxdata.model.filters import Filters

JAN = dict(start=date(2025, 1, 1), end=date(2025, 1, 31))

# (filters, options of Filters.sql) -> (SQL predicates, parameters)
SQL_CASES = [
    (Filters(**JAN), {}, [], {}),
    (Filters(**JAN, segments=("SMB",)), {},
     ["list_contains($allowed_segment, coalesce(segment, $unknown))"],
     {"allowed_segment": ["SMB"], "unknown": "Unknown"}),
    (Filters(**JAN, segments=("SMB", "Premium"), regions=("Ural",)), {},
     ["list_contains($allowed_segment, coalesce(segment, $unknown))",
      "list_contains($allowed_region, coalesce(region, $unknown))"],
     {"allowed_segment": ["Premium", "SMB"], "allowed_region": ["Ural"], "unknown": "Unknown"}),
    (Filters(**JAN, channels=("web",)), {},
     ["list_contains($allowed_channel, coalesce(channel, $unknown))"],
     {"allowed_channel": ["web"], "unknown": "Unknown"}),
    (Filters(**JAN, channels=("web",)), {"channel_column": "entry_channel"},
     ["list_contains($allowed_entry_channel, coalesce(entry_channel, $unknown))"],
     {"allowed_entry_channel": ["web"], "unknown": "Unknown"}),
    # The stored channel only: no "Unknown", and no $unknown parameter DuckDB would refuse.
    (Filters(**JAN, channels=("web",)), {"raw_channel": True},
     ["list_contains($allowed_channel, channel)"], {"allowed_channel": ["web"]}),
    (Filters(**JAN, acquisition_channels=("partners",), channels=("branch",)), {"raw_channel": True},
     ["list_contains($allowed_acquisition_channel, coalesce(acquisition_channel, $unknown))",
      "list_contains($allowed_channel, channel)"],
     {"allowed_acquisition_channel": ["partners"], "allowed_channel": ["branch"], "unknown": "Unknown"}),
]


@pytest.mark.parametrize(("filters", "options", "sql", "params"), SQL_CASES)
def test_filters_render_sql(filters, options, sql, params):
    rendered: dict = {}
    assert filters.sql(rendered, **options) == sql
    assert rendered == params


def test_period_parameters_end_at_midnight_after_the_last_day():
    assert Filters(**JAN).period_params() == {"start": datetime(2025, 1, 1), "end": datetime(2025, 2, 1)}


ROWS = [  # customer, segment, region, channel
    ("a", "SMB", "Ural", "web"),
    ("b", "Premium", "Ural", "branch"),
    ("c", None, "Volga", "web"),
    ("d", "SMB", None, None),
]


@pytest.mark.parametrize(("filters", "channel_column", "kept"), [
    (Filters(**JAN), None, ["a", "b", "c", "d"]),
    (Filters(**JAN, segments=("SMB",)), None, ["a", "d"]),
    (Filters(**JAN, segments=("Unknown",)), None, ["c"]),  # a missing segment is "Unknown"
    (Filters(**JAN, regions=("Ural", "Unknown")), None, ["a", "b", "d"]),
    (Filters(**JAN, channels=("web",)), None, ["a", "b", "c", "d"]),  # no channel column: no channel filter
    (Filters(**JAN, channels=("web",)), "channel", ["a", "c"]),
    (Filters(**JAN, segments=("SMB",), channels=("Unknown",)), "channel", ["d"]),
])  # fmt: skip
def test_filters_render_ibis_predicates_and_sql_that_keep_the_same_rows(filters, channel_column, kept):
    con = duckdb.connect()
    con.execute("CREATE TABLE people (customer_id VARCHAR, segment VARCHAR, region VARCHAR, channel VARCHAR)")
    con.executemany("INSERT INTO people VALUES (?, ?, ?, ?)", ROWS)
    table = ibis.duckdb.from_connection(con).table("people")
    predicates = filters.predicates(table, channel_column)
    narrowed = table.filter(*predicates) if predicates else table
    assert sorted(narrowed.customer_id.execute()) == kept
    if channel_column is None and filters.channels:
        return  # the saved copies' SQL always has a channel column
    params: dict = {}
    where = filters.sql(params, channel_column=channel_column or "channel")
    sql = "SELECT customer_id FROM people" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY 1"
    assert [row[0] for row in con.execute(sql, params).fetchall()] == kept
