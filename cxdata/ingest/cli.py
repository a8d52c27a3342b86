"""Command-line glue for uploads: ``load``, ``uploads``, ``undo`` and ``presets``.

``cxdata/cli.py`` wires them in with ``add_commands(commands)`` and ``COMMANDS``; until then
``python -m cxdata.ingest load ...`` runs the same commands. The contract is the project's:
JSON on stdout; exit 0 for ``loaded``/``unchanged``, 1 for ``rejected`` or a runtime failure
(one line on stderr), 2 for usage errors (raised as ``cxdata.cli_contract.UsageError``).
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Sequence

from cxdata.cli_contract import Parser, UsageError, missing_database, positive_float, run_with_contract
from cxdata.engine.db import resolve_db_path
from cxdata.i18n import register_text, translate
from cxdata.ingest.mapping import LOADABLE_TABLES, MODES


def default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container
        return "local"


def add_commands(subparsers) -> None:
    """Register ``load``, ``uploads`` and ``undo`` on an argparse subparsers object."""
    from cxdata.ingest.preset import Limits

    load = subparsers.add_parser("load", help="load an extract (CSV/TSV/TXT, XLSX, Parquet) into a table")
    load.add_argument("table", choices=LOADABLE_TABLES, help="the table to load into")
    load.add_argument("file", help="the extract")
    load.add_argument("--db", help="DuckDB file (default: $CX_DB or data/cx.duckdb; created if missing)")
    load.add_argument("--mapping", help="mapping preset: a JSON file (columns, constants, formats, missing values) "
                                        "or the name of a preset saved on the Upload page (see: presets)")
    load.add_argument("--mode", choices=MODES, default="append", help="default: append")
    load.add_argument("--dry-run", action="store_true", help="validate and report, change nothing")
    load.add_argument("--anonymous", action="store_true",
                      help="the file has no customer column on purpose (transactions, complaints): load it as anonymous")
    load.add_argument("--scale", action="append", default=[], metavar="HEADER=SCORE_SCALE",
                      help="the scale of a survey score column, e.g. score=csat_1_5 (nps_0_10, csat_1_5, csat_1_7, "
                           "csat_1_10, ces_1_5, ces_1_7, ces_1_10); repeat for more columns")
    load.add_argument("--merge-variants", action="store_true",
                      help="merge category values that differ only by case or spacing (Web / web) into one spelling")
    load.add_argument("--lang", choices=("en", "ru"), default="en", help="language of the messages")
    load.add_argument("--user", default=None, help="who uploads (default: the login name)")
    default_mb = Limits().max_bytes // (1024 * 1024)
    load.add_argument("--max-mb", type=positive_float, default=default_mb,
                      help=f"size limit in MB (default {default_mb}; the other limits stay: README, Limits)")
    load.add_argument("--wait", type=positive_float, default=60, help="seconds to wait for another upload (default 60)")

    uploads = subparsers.add_parser("uploads", help="print the audit log as JSON, newest first: the uploads "
                                                    "(with their undos), or with --settings the settings changes")
    uploads.add_argument("--db", help="DuckDB file (default: $CX_DB or data/cx.duckdb)")
    uploads.add_argument("--settings", action="store_true",
                         help="the settings changes instead of the uploads: who changed which setting, when, old -> new")
    uploads.add_argument("--lang", choices=("en", "ru"), default="en", help="language of the messages")

    presets = subparsers.add_parser("presets", help="list the mapping presets saved beside the database as JSON")
    presets.add_argument("--db", help="DuckDB file (default: $CX_DB or data/cx.duckdb)")
    presets.add_argument("--lang", choices=("en", "ru"), default="en", help="language of the messages")

    undo = subparsers.add_parser("undo", help="revert the upload named by its id (see: uploads)")
    undo.add_argument("upload_id", nargs="?", type=int, help="the upload to revert (required; see: uploads)")
    undo.add_argument("--lang", choices=("en", "ru"), default="en", help="language of the messages")
    undo.add_argument("--db", help="DuckDB file (default: $CX_DB or data/cx.duckdb)")
    undo.add_argument("--user", default=None, help="who undoes (default: the login name)")
    undo.add_argument("--wait", type=positive_float, default=60, help="seconds to wait for another upload (default 60)")


def run_load(args) -> int:
    import duckdb

    from cxdata.i18n import translate
    from cxdata.ingest.errors import describe_failure
    from cxdata.ingest.locking import describe_holder, lock_path_for
    from cxdata.ingest.errors import PresetError
    from cxdata.ingest.preset import Limits
    from cxdata.ingest.preset_store import resolve_mapping_argument
    from cxdata.ingest.publish import load_and_publish

    db_path = resolve_db_path(args.db)
    if not Path(args.file).is_file():
        raise UsageError(translate("ingest_file_not_found", args.lang, file=args.file))
    try:
        preset = resolve_mapping_argument(db_path, args.mapping) if args.mapping else None
    except PresetError as error:
        raise UsageError(f"--mapping: {error.message(args.lang)}") from None
    except OSError as error:  # the user's own path, as they typed it
        key = "ingest_file_not_found" if isinstance(error, FileNotFoundError) else "ingest_mapping_unreadable"
        raise UsageError(f"--mapping: {translate(key, args.lang, file=args.mapping)}") from None
    if args.anonymous or args.scale:
        preset = _with_flags(preset, args)

    def progress(stage: str, fraction: float) -> None:
        if stage == "waiting":  # the only progress line the CLI prints: why it is not done yet
            print(translate("cli_waiting", args.lang, holder=describe_holder(lock_path_for(db_path))),
                  file=sys.stderr, flush=True)

    from cxdata.ingest.errors import TargetChanged
    from cxdata.ingest.log import read_table_state

    try:
        report = load_and_publish(db_path, args.table, args.file, mapping=preset, mode=args.mode, dry_run=args.dry_run,
                              user=args.user or default_user(), lang=args.lang,
                              limits=Limits(max_bytes=int(args.max_mb * 1024 * 1024)), lock_timeout=args.wait,
                              progress=progress, seen_state=read_table_state(db_path, args.table, args.mode),
                              merge_variants=args.merge_variants)
    except PresetError as error:  # the preset does not fit the table, a bad mode for the table
        raise UsageError(error.message(args.lang)) from None
    except TargetChanged as error:  # a replace or upsert that waited while another upload changed the table
        print(f"{translate('cli_error', args.lang)}: {error.message(args.lang)}", file=sys.stderr)
        return 1
    except (OSError, duckdb.Error) as error:  # disk full, a read-only folder: one line, no server path
        print(f"{translate('cli_error', args.lang)}: {describe_failure(error, args.lang)}", file=sys.stderr)
        return 1
    print(json.dumps(report.to_dict(), ensure_ascii=False, default=str))
    return 0 if report.status in ("loaded", "unchanged") else 1


def _with_flags(preset, args):
    """The preset with ``--anonymous`` and ``--scale HEADER=CHOICE`` added (the flags win)."""
    from cxdata.ingest.errors import PresetError
    from cxdata.ingest.preset import MappingPreset

    data = preset.to_dict() if preset is not None else {}
    scales = dict(data.get("scales", {}))
    for entry in args.scale:
        header, equals, choice = entry.rpartition("=")
        if not equals or not header:
            raise UsageError(translate("cli_scale_form", args.lang, entry=entry))
        scales[header] = choice
    try:
        return MappingPreset.from_dict({**data, **({"scales": scales} if scales else {}),
                                        **({"anonymous": True} if args.anonymous else {})})
    except PresetError as error:
        raise UsageError(f"--scale: {error.message(args.lang)}") from None


def run_uploads(args) -> int:
    from cxdata.ingest.log import list_uploads
    from cxdata.ingest.settings_log import list_settings_changes

    db_path = resolve_db_path(args.db)
    if not db_path.exists():
        raise missing_database(db_path, args.lang)
    entries = list_settings_changes(db_path) if args.settings else list_uploads(db_path)
    print(json.dumps(entries, ensure_ascii=False, default=str))
    return 0


def run_presets(args) -> int:
    from cxdata.ingest.preset_store import list_presets

    db_path = resolve_db_path(args.db)
    if not db_path.exists():
        raise missing_database(db_path, args.lang)
    print(json.dumps(list_presets(db_path), ensure_ascii=False))
    return 0


def run_undo(args) -> int:
    """Undo names its upload: without an id it changes nothing and says which one is the latest.

    The data version is read before waiting for the upload lock: if another upload or undo lands
    meanwhile, this undo refuses (exit 1) instead of acting on data its caller has not seen. The
    command acts with the rights of whoever can write the database file: any upload, as an admin.
    """
    from cxdata.ingest.errors import UndoError, UndoNotFound
    from cxdata.ingest.log import latest_undoable, read_data_version
    from cxdata.ingest.publish import undo_and_publish

    db_path = resolve_db_path(args.db)
    if not db_path.exists():
        raise missing_database(db_path, args.lang)
    if args.upload_id is None:
        latest = latest_undoable(db_path)
        hint = (translate("cli_undo_latest", args.lang, id=latest["upload_id"], table=latest["table_name"],
                          file=latest["file_name"], who=latest["uploaded_by"]) if latest
                else translate("cli_undo_none", args.lang))
        raise UsageError(translate("cli_undo_name_it", args.lang, hint=hint))
    user = args.user or default_user()
    try:
        result = undo_and_publish(db_path, args.upload_id, user=user, seen_version=read_data_version(db_path),
                                  lock_timeout=args.wait)
    except UndoNotFound as error:
        raise UsageError(error.message(args.lang)) from None
    except UndoError as error:
        print(f"{translate('cli_error', args.lang)}: {error.message(args.lang)}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


COMMANDS = {"load": run_load, "uploads": run_uploads, "undo": run_undo, "presets": run_presets}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cxdata.ingest``: the same commands, with ``python -m cxdata``'s error contract."""

    parser = Parser(prog="python -m cxdata.ingest", description="CX dashboard uploads")
    add_commands(parser.add_subparsers(dest="command", required=True, parser_class=Parser))
    return run_with_contract(parser, COMMANDS, argv)


register_text({
    "cli_waiting": {"en": "waiting for another upload to finish ({holder})…",
                    "ru": "ждём, пока закончится другая загрузка ({holder})…"},
    "cli_scale_form": {"en": "--scale {entry}: write it as HEADER=SCORE_SCALE, e.g. score=csat_1_5",
                       "ru": "--scale {entry}: укажите в виде СТОЛБЕЦ=ОЦЕНКА_ШКАЛА, например score=csat_1_5"},
    "cli_undo_latest": {"en": "the latest loaded one is {id}: {table} from {file} by {who}",
                        "ru": "последняя загрузка — {id}: {table} из {file}, загрузил(а) {who}"},
    "cli_undo_none": {"en": "no loaded upload is left to undo", "ru": "загрузок, которые можно отменить, не осталось"},
    "cli_undo_name_it": {"en": "name the upload to undo: python -m cxdata undo UPLOAD_ID ({hint})",
                         "ru": "укажите, какую загрузку отменить: python -m cxdata undo НОМЕР ({hint})"},
})
