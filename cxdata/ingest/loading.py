"""Loading a validated extract: compare with the stored rows, then change the table in one transaction.

Modes (``key`` = the table's key from ``cxdata.model.schema``):

- ``append``: rows with a new key are inserted; a row stored before with the same values is left
  as it is (counted ``already_stored``: re-sending rows is harmless); a stored key with different
  values is an error (``key_conflict``: use upsert or replace). For a table without a key
  (``journey_events``) every row is inserted, with a warning for rows identical to stored ones.
- ``upsert``: new keys are inserted, stored keys with different values are overwritten.
- ``replace``: the table's rows are replaced by the file's.

The same file (SHA-256) appended again with the same table and mapping is ``unchanged``; so is
any upload that would not change the table. The mapping counts everything that changes the stored
rows: the preset (columns, constants, formats, missing values, scales, anonymous) and the
spellings merged, whether the preset chose them or ``merge_variants`` did. Any error rejects the
whole upload: nothing changes.

A load is one DuckDB transaction: the table's rows, the undo rows, the ``uploads`` log row, a new
``meta.data_version`` (every cache key includes it) and the rollups. Readers see the old data or
the new; a process killed in the middle leaves the old data, because DuckDB never applies an
uncommitted transaction when it reopens the file.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from cxdata.engine.db import bump_data_version, read_meta, resolve_db_path
from cxdata.engine.rollups import refresh_rollups
from cxdata.ingest.errors import ExtractRefused, PresetError
from cxdata.ingest.locking import connected, upload_lock
from cxdata.ingest.log import (
    ensure_log_tables,
    find_same_upload,
    has_table,
    mapping_json,
    next_upload_id,
    record_upload,
    undo_table,
)
from cxdata.ingest.mapping import MODES, rules_for
from cxdata.ingest.meaning import empty_column_notes, merge_spellings, period_notes
from cxdata.ingest.messages import ERROR, INFO, ROW_ISSUE_LIMIT, WARNING, Issue, issue
from cxdata.ingest.preset import Limits, as_preset
from cxdata.ingest.reading import ROW, Progress, read_extract
from cxdata.ingest.report import LOADED, REJECTED, UNCHANGED, Report, build_preview
from cxdata.ingest.validation import Validated, validate_extract
from cxdata.model.schema import TABLES, create_schema
from cxdata.model.workspace import settings_from_meta


DEFAULT_LIMITS = Limits()  # frozen: one instance serves every call


@dataclass
class _Plan:
    """What the load would do to the stored table."""

    issues: list[Issue] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    removed: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    insert_condition: str = "false"  # over temp table incoming
    remove_condition: str | None = None  # over the stored table, aliased t

    @property
    def changes(self) -> bool:
        return bool(self.inserted or self.updated or self.removed)


def load_extract(db_path, table: str, path, *, mapping=None, mode: str = "append", dry_run: bool = False,
                 user: str = "local", lang: str = "en", limits: Limits = DEFAULT_LIMITS, lock_timeout: float = 60.0,
                 progress: Progress | None = None, now: datetime | None = None, connection=None,
                 merge_variants: bool = False) -> Report:
    """Load the extract at ``path`` into ``table`` of the database ``db_path`` (None: $CX_DB or the default).

    ``mapping``: a MappingPreset, a preset dict or a path to its JSON. ``merge_variants``: merge
    every group of category values that differ only by case or spacing (``cxdata.ingest.meaning``). ``connection``: an open
    read-write DuckDB connection to the same file (the app's), used instead of opening the file.
    Raises ValueError (bad table, mode or preset), FileNotFoundError, UploadBusyError.
    """
    preset, rules = as_preset(mapping), rules_for(table)
    if preset.table and preset.table != table:
        raise PresetError("preset_other_table", preset_table=preset.table, table=table)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "upsert" and not rules.key:
        raise PresetError("mode_upsert_without_key", table=table)
    path, db_path = Path(path), resolve_db_path(db_path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    step = progress or (lambda stage, fraction: None)
    report = Report(status=REJECTED, table=table, mode=mode, dry_run=dry_run, lang=lang,
                    file={"name": path.name, "size_bytes": path.stat().st_size})
    holder = {"user": user, "action": "load", "table": table, "file": path.name,
              "since": datetime.now().strftime("%H:%M:%S")}
    try:
        extract = read_extract(path, options=preset, limits=limits, progress=step)
    except ExtractRefused as refused:  # the file itself: nothing to validate, but the attempt is logged
        report.issues = [refused.issue]
        if not dry_run:
            with upload_lock(db_path, timeout=lock_timeout, holder=holder) as waited, \
                    _database(db_path, False, time.monotonic() + lock_timeout, connection) as con:
                report.waited_seconds = waited
                report.upload_id = _log_rejected(con, report, preset, user, now)
        return report
    with extract:
        step("validating", 0.4)
        validated = validate_extract(extract, table, _workspace_time_zone(db_path, connection))
        report.file.update(sha256=extract.file.sha256, format=extract.file.format)
        report.detected = {**extract.detected(), "date_formats": validated.date_formats}
        report.mapping = {"columns": validated.mapping, "constants": dict(preset.constants),
                          "generated_key": validated.generated_key}
        report.rows_read, report.rows_skipped = validated.rows_read, validated.rows_skipped
        report.issues, report.counts = list(validated.issues), dict(validated.counts)
        report.preview = build_preview(validated.data)
        step("checking", 0.55)
        with upload_lock(db_path, timeout=lock_timeout, holder=holder,
                         on_wait=lambda _holder: step("waiting", 0.55)) as waited:
            report.waited_seconds = waited
            deadline = time.monotonic() + max(lock_timeout - waited, 1.0)
            with _database(db_path, dry_run, deadline, connection) as con:
                _load(con, report, validated, preset, mode, dry_run, user, now, step, merge_variants)
    step("done", 1.0)
    return report


def _load(con, report: Report, validated: Validated, preset, mode: str, dry_run: bool, user: str, now, step,
          merge_variants: bool = False) -> None:
    table = validated.table
    report.questions = {"scales": {d.header: list(d.choices) for d in validated.scales.values() if d.choices}}
    if not validated.has_file_level_error:
        validated.data, notes, offered, merged = merge_spellings(con, table, validated.data, preset.merge,
                                                                 merge_variants)
        report.issues += notes
        report.questions["variants"] = offered
        report.mapping["merged"] = merged
        report.preview = build_preview(validated.data)
        # The merges done, however asked for (the preset's choices or ``merge_variants``), are what
        # changes the stored rows: they make the upload's fingerprint and are logged with it.
        preset = replace(preset, merge=merged)
    same = find_same_upload(con, sha256=report.file["sha256"], table=table, mode=mode,
                            mapping_sha256=preset.fingerprint())
    if mode == "append" and same is not None and not validated.has_errors:
        report.status, report.same_as_upload_id = UNCHANGED, same  # appending the same file twice: never wanted
        return
    plan = _Plan() if validated.has_file_level_error else _plan_changes(con, validated, mode)
    report.issues += plan.issues
    report.counts.update(plan.counts, inserted=plan.inserted, updated=plan.updated, removed=plan.removed)
    report.rows_rejected = validated.rows_rejected + plan.counts.get("key_conflicts", 0)
    if any(i.is_error for i in report.issues):
        report.status = REJECTED
        report.counts.update(inserted=0, updated=0, removed=0)
        if not dry_run:
            report.upload_id = _log_rejected(con, report, preset, user, now)
        return
    if not plan.changes:
        report.status, report.same_as_upload_id = UNCHANGED, same
        return
    report.status, report.rows_loaded = LOADED, plan.inserted + plan.updated
    if dry_run:
        return
    step("writing", 0.7)
    con.execute("BEGIN TRANSACTION")
    try:
        create_schema(con)
        ensure_log_tables(con, table)
        upload_id = next_upload_id(con)
        _apply(con, table, plan, upload_id)
        report.data_version = bump_data_version(con)
        step("refreshing", 0.85)
        refresh_rollups(con, changed={table})
        record_upload(con, _log_entry(report, preset, user, now, upload_id, validated.mapping, plan))
        step("committing", 0.95)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    report.upload_id = upload_id


def _plan_changes(con, validated: Validated, mode: str) -> _Plan:
    """Compare the file's rows with the stored ones; nothing is written."""
    table, rules = validated.table, rules_for(validated.table)
    columns = [f'"{c}"' for c in rules.columns]
    same_key = " AND ".join(f"t.{c} IS NOT DISTINCT FROM i.{c}" for c in (f'"{k}"' for k in rules.key)) or "false"
    same_row = " AND ".join(f"t.{c} IS NOT DISTINCT FROM i.{c}" for c in columns)
    stored = f'"{table}"'
    is_empty = _one(con, f"SELECT count(*) = 0 FROM (SELECT 1 FROM {stored} LIMIT 1)")[0]
    flags = ("false AS is_stored, false AS is_identical" if is_empty else
             f"EXISTS (SELECT 1 FROM {stored} AS t WHERE {same_key}) AS is_stored, "
             f"EXISTS (SELECT 1 FROM {stored} AS t WHERE {same_row}) AS is_identical")
    con.register("incoming_arrow", validated.data)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE incoming AS SELECT i.*, {flags} FROM incoming_arrow AS i")
    finally:
        con.unregister("incoming_arrow")
    plan = _Plan()
    total, stored_keys, identical = _one(con, "SELECT count(*), count(*) FILTER (WHERE is_stored), "
                                              "count(*) FILTER (WHERE is_identical) FROM incoming")
    if mode == "replace":
        names = ", ".join(columns)
        differ = _one(con, f"SELECT (SELECT count(*) FROM (SELECT {names} FROM incoming EXCEPT ALL "
                           f"SELECT {names} FROM {stored})) + (SELECT count(*) FROM (SELECT {names} FROM {stored} "
                           f"EXCEPT ALL SELECT {names} FROM incoming))")[0]
        if differ:
            plan.inserted, plan.removed = total, _one(con, f"SELECT count(*) FROM {stored}")[0]
            plan.insert_condition, plan.remove_condition = "true", "true"
    elif rules.key:
        conflicts = stored_keys - identical
        if identical:
            plan.issues.append(issue("already_stored", INFO, count=identical))
        plan.counts["already_stored"] = identical
        if mode == "append":
            plan.issues += _conflict_issues(con, rules, validated.mapping)
            plan.counts["key_conflicts"] = conflicts
            plan.inserted, plan.insert_condition = total - stored_keys, "NOT is_stored"
        else:
            plan.inserted, plan.updated = total - stored_keys, conflicts
            plan.insert_condition = "NOT is_identical"
            plan.remove_condition = (f"EXISTS (SELECT 1 FROM incoming AS i WHERE i.is_stored "
                                     f"AND NOT i.is_identical AND {same_key})")
            plan.removed = _one(con, f"SELECT count(*) FROM {stored} AS t WHERE {plan.remove_condition}")[0]
    else:
        if identical:
            rows = _rows(con, "incoming", "is_identical")
            plan.issues.append(issue("identical_to_stored", WARNING, count=identical, rows=rows, table=table))
        plan.inserted, plan.insert_condition = total, "true"
    plan.issues += _reference_notes(con, table, plan.counts) + period_notes(con, table) + empty_column_notes(con, table)
    return plan


def _conflict_issues(con, rules, mapping: dict[str, str]) -> list[Issue]:
    key = [f'"{k}"' for k in rules.key]
    shown = " || ' / ' || ".join(f"coalesce(CAST({k} AS VARCHAR), '∅')" for k in key)
    count = _one(con, "SELECT count(*) FROM incoming WHERE is_stored AND NOT is_identical")[0]
    rows = con.execute(f"SELECT {ROW}, {shown} FROM incoming WHERE is_stored AND NOT is_identical "
                       f"ORDER BY {ROW} LIMIT {ROW_ISSUE_LIMIT}").fetchall()
    field_name = ", ".join(rules.key)
    header = next((h for h, c in mapping.items() if c == rules.key[0]), None) if len(rules.key) == 1 else None
    issues = [issue("key_conflict", ERROR, row=r, column=header, field=field_name, value=v) for r, v in rows]
    if count > len(rows):
        issues.append(issue("more_rows", ERROR, column=header, field=field_name, count=count - len(rows)))
    return issues


def _reference_notes(con, table: str, counts: dict) -> list[Issue]:
    """Rows about unknown customers, and rows dated after the data's as-of date (warnings)."""
    notes = []
    if table != "customers" and "customer_id" in TABLES[table].column_names:
        condition = ("customer_id IS NOT NULL AND NOT EXISTS "
                     "(SELECT 1 FROM customers AS c WHERE c.customer_id = incoming.customer_id)")
        count = _one(con, f"SELECT count(*) FROM incoming WHERE {condition}")[0]
        counts["unknown_customers"] = count
        if count:
            notes.append(issue("unknown_customers", WARNING, field="customer_id", count=count,
                               rows=_rows(con, "incoming", condition)))
    # Only a pinned as-of date hides new rows: one that follows the data moves with this load.
    pinned, date_column = settings_from_meta(read_meta(con)).pinned_as_of, TABLES[table].date_column
    if pinned and date_column:
        as_of = pinned.isoformat()
        condition = f'"{date_column}" >= ?'
        limit = datetime.combine(pinned, datetime.min.time()) + timedelta(days=1)
        count = con.execute(f"SELECT count(*) FROM incoming WHERE {condition}", [limit]).fetchall()[0][0]
        counts["after_as_of"] = count
        if count:
            notes.append(issue("after_as_of", WARNING, field=date_column, count=count, as_of=as_of,
                               rows=_rows(con, "incoming", condition, [limit])))
    return notes


def _apply(con, table: str, plan: _Plan, upload_id: int) -> None:
    names = ", ".join(f'"{c}"' for c in TABLES[table].column_names)
    rows, stored = undo_table(table), f'"{table}"'
    if plan.remove_condition:
        con.execute(f"INSERT INTO {rows} SELECT ?, 'removed', {names} FROM {stored} AS t WHERE {plan.remove_condition}",
                    [upload_id])
        con.execute(f"DELETE FROM {stored} AS t WHERE {plan.remove_condition}")
    con.execute(f"INSERT INTO {rows} SELECT ?, 'inserted', {names} FROM incoming WHERE {plan.insert_condition}",
                [upload_id])
    con.execute(f"INSERT INTO {stored} SELECT {names} FROM incoming WHERE {plan.insert_condition}")


def _log_rejected(con, report: Report, preset, user: str, now) -> int:
    con.execute("BEGIN TRANSACTION")
    try:
        ensure_log_tables(con, report.table)
        upload_id = next_upload_id(con)
        record_upload(con, _log_entry(report, preset, user, now, upload_id, report.mapping.get("columns", {}), None))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return upload_id


def _log_entry(report: Report, preset, user: str, now, upload_id: int, mapping: dict, plan: _Plan | None) -> dict:
    return {
        "upload_id": upload_id, "uploaded_at": now or datetime.now(), "uploaded_by": user,
        "table_name": report.table, "mode": report.mode, "status": LOADED if plan else REJECTED,
        "file_name": report.file.get("name"), "file_size_bytes": report.file.get("size_bytes"),
        "file_sha256": report.file.get("sha256"), "mapping_sha256": preset.fingerprint(),
        "mapping_json": mapping_json(preset.to_dict(), mapping),
        "rows_read": report.rows_read, "rows_loaded": report.rows_loaded if plan else 0,
        "rows_rejected": report.rows_rejected, "rows_skipped": report.rows_skipped,
        "rows_inserted": plan.inserted if plan else 0, "rows_updated": plan.updated if plan else 0,
        "rows_removed": plan.removed if plan else 0, "error_count": report.error_count,
        "warning_count": report.warning_count, "data_version": report.data_version,
    }


def _workspace_time_zone(db_path: Path, connection) -> str:
    """The time zone stored timestamps are in (``meta.time_zone``; the default for a new file)."""
    if connection is None and not Path(db_path).exists():
        return settings_from_meta({}).time_zone
    with connected(db_path, read_only=connection is None, deadline=time.monotonic() + 10,
                   connection=connection) as con:
        return settings_from_meta(read_meta(con) if has_table(con, "meta") else {}).time_zone


@contextmanager
def _database(db_path: Path, dry_run: bool, deadline: float, connection):
    """The connection for a load: read-only for a dry run (an empty in-memory schema when the file
    does not exist yet), read-write otherwise (a new file gets the schema)."""
    if dry_run and connection is None and not db_path.exists():
        con = duckdb.connect()
        try:
            create_schema(con)
            yield con
        finally:
            con.close()
        return
    with connected(db_path, read_only=dry_run and connection is None, deadline=deadline, connection=connection) as con:
        if not dry_run and not has_table(con, "meta"):
            create_schema(con)
        yield con


def _one(con, sql: str, params=None) -> tuple:
    return con.execute(sql, params or []).fetchall()[0]


def _rows(con, table: str, condition: str, params=None) -> list[int]:
    return con.execute(f"SELECT list({ROW} ORDER BY {ROW})[1:{ROW_ISSUE_LIMIT}] FROM {table} WHERE {condition}",
                       params or []).fetchall()[0][0] or []
