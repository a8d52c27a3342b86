"""Keys inside one file: duplicate keys (an error) and deterministic ids for files without an id column.

A generated id is ``auto-`` + 24 hex digits of SHA-256 over the table name, the row's canonical
values (parsed, so the same purchase in a CP1251 ``;`` file and a UTF-8 ``,`` file gets the same
id) and the row's occurrence among identical rows of the file (1, 2, ...). Identical rows are
therefore kept as separate records, and loading the same rows again produces the same ids, which
the loader recognises as already stored.
"""

from __future__ import annotations

from cxdata.ingest.messages import ERROR, INFO, ROW_ISSUE_LIMIT, Issue, issue
from cxdata.ingest.reading import ROW

_UNIT, _RECORD, _NULL = "chr(31)", "chr(30)", "chr(0)"


def duplicate_key_issues(con, table: str, key: list[str], required: tuple[str, ...],
                         headers: dict[str, str]) -> tuple[list[Issue], int]:
    """Rows whose key already appeared in an earlier row of ``table`` (workspace), and their count.

    Rows with an empty required key column are skipped here: they are reported as missing values.
    """
    columns = ", ".join(key)
    present = " AND ".join(f"{k} IS NOT NULL" for k in key if k in required) or "true"
    repeats = (f"SELECT {ROW}, {columns}, min({ROW}) OVER (PARTITION BY {columns}) AS first_row "
               f"FROM {table} WHERE {present}")
    shown = " || ' / ' || ".join(f"coalesce(CAST({k} AS VARCHAR), '∅')" for k in key)
    count = con.execute(f"SELECT count(*) FROM ({repeats}) WHERE {ROW} <> first_row").fetchall()[0][0]
    if not count:
        return [], 0
    rows = con.execute(f"SELECT {ROW}, first_row, {shown} FROM ({repeats}) WHERE {ROW} <> first_row "
                       f"ORDER BY {ROW} LIMIT {ROW_ISSUE_LIMIT}").fetchall()
    field, header = ", ".join(key), headers.get(key[0]) if len(key) == 1 else None
    issues = [issue("duplicate_key", ERROR, row=r, column=header, field=field, value=v, first_row=first)
              for r, first, v in rows]
    if count > len(rows):
        issues.append(issue("more_rows", ERROR, column=header, field=field, count=count - len(rows)))
    return issues, count


def add_generated_ids(con, table: str, table_name: str, id_column: str, columns: list[str]) -> Issue | None:
    """Add ``id_column`` to workspace table ``table``; return the identical-rows notice, if any."""
    content = f" || {_UNIT} || ".join(f"coalesce(CAST({c} AS VARCHAR), {_NULL})" for c in columns)
    con.execute(
        f"CREATE OR REPLACE TABLE {table} AS "
        f"SELECT * EXCLUDE (content, occurrence), "
        f"'auto-' || left(sha256($table || {_RECORD} || content || {_RECORD} || occurrence), 24) AS {id_column}, "
        f"occurrence FROM (SELECT *, row_number() OVER (PARTITION BY content ORDER BY {ROW}) AS occurrence "
        f"FROM (SELECT *, {content} AS content FROM {table}))",
        {"table": table_name},
    )
    count, rows = con.execute(f"SELECT count(*), list({ROW} ORDER BY {ROW})[1:{ROW_ISSUE_LIMIT}] FROM {table} "
                              f"WHERE occurrence > 1").fetchall()[0]
    return issue("identical_rows", INFO, count=count, rows=rows) if count else None
