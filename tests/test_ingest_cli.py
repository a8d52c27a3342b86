"""The command-line contract of load / uploads / undo: JSON on stdout; exit 0 loaded or unchanged,
1 rejected or failed (one line on stderr), 2 usage errors (one line on stderr, no traceback)."""

from __future__ import annotations

import json

import pytest

from cxdata.cli_contract import Parser, UsageError
from cxdata.ingest.cli import COMMANDS, add_commands
from tests.fixtures.ingest.support import (
    cli_json,
    fixture,
    new_database,
    query,
    run_cli,
)


def parse(*argv: str):
    """The parser the team lead will have: cxdata's parser class plus add_commands."""
    parser = Parser(prog="python -m cxdata")
    add_commands(parser.add_subparsers(dest="command", required=True, parser_class=Parser))
    return parser.parse_args(argv)


@pytest.fixture
def db(tmp_path):
    return new_database(tmp_path / "cx.duckdb")


def test_load_prints_one_json_report_and_exits_0(db, capsys):
    args = parse("load", "transactions", str(fixture("crm_transactions_cp1251.csv")), "--db", str(db),
                 "--mapping", str(fixture("preset_crm_cp1251.json")), "--user", "anna")
    assert COMMANDS[args.command](args) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["status"], report["table"], report["rows_read"], report["rows_loaded"], report["rows_rejected"],
            report["upload_id"]) == ("loaded", "transactions", 5, 5, 0, 1)
    assert {"row", "column", "message"} <= set(report["issues"][0])
    args = parse("load", "transactions", str(fixture("crm_transactions_cp1251.csv")), "--db", str(db),
                 "--mapping", str(fixture("preset_crm_cp1251.json")))
    assert COMMANDS[args.command](args) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "unchanged"


def test_rejected_exits_1_and_dry_run_changes_nothing(db, capsys):
    args = parse("load", "surveys", str(fixture("surveys_out_of_range.csv")), "--db", str(db), "--lang", "ru")
    assert COMMANDS["load"](args) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "rejected" and "должно быть от 0 до 10" in report["issues"][1]["message"]
    args = parse("load", "transactions", str(fixture("transactions.tsv")), "--db", str(db), "--dry-run")
    assert COMMANDS["load"](args) == 0
    assert json.loads(capsys.readouterr().out)["dry_run"] is True
    assert query(db, "SELECT count(*) FROM transactions") == [(0,)]


@pytest.mark.parametrize("argv, message", [
    (["load", "bogus", "x.csv"], "invalid choice: 'bogus'"),
    (["load", "transactions", "/nonexistent.csv"], "file not found: /nonexistent.csv"),
    (["load", "transactions", "FIXTURE", "--mapping", "/nonexistent.json"], "--mapping:"),
    (["load", "transactions", "FIXTURE", "--mode", "merge"], "invalid choice: 'merge'"),
    (["load", "journey_events", "FIXTURE", "--mode", "upsert"], "journey_events has no key"),
    (["load", "transactions", "FIXTURE", "--mapping", "BAD_PRESET"], "unknown keys: colums"),
    (["uploads", "--db", "/nonexistent/cx.duckdb"], "database not found"),
    (["undo", "abc"], "invalid int value: 'abc'"),
])
def test_usage_errors(argv, message, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"colums": {}}')
    argv = [str(fixture("transactions.tsv")) if a == "FIXTURE" else str(bad) if a == "BAD_PRESET" else a for a in argv]
    with pytest.raises(UsageError, match=message):
        args = parse(*argv, *([] if "--db" in argv or argv[0] == "undo" else ["--db", str(tmp_path / "x.duckdb")]))
        COMMANDS[args.command](args)


def test_the_module_entry_point_keeps_the_contract(db):
    loaded = run_cli("load", "transactions", str(fixture("transactions.tsv")), "--db", str(db))
    assert loaded.returncode == 0 and cli_json(loaded)["status"] == "loaded" and loaded.stderr == ""
    rejected = run_cli("load", "transactions", str(fixture("actually_xlsx.csv")), "--db", str(db))
    assert rejected.returncode == 1 and cli_json(rejected)["issues"][0]["code"] == "extension_mismatch"
    usage = run_cli("load", "transactions", "/nonexistent.csv", "--db", str(db))
    assert usage.returncode == 2 and usage.stdout == ""
    assert usage.stderr.count("\n") == 1 and "Traceback" not in usage.stderr
    uploads = run_cli("uploads", "--db", str(db))
    assert [(u["upload_id"], u["status"]) for u in cli_json(uploads)] == [(2, "rejected"), (1, "loaded")]
    unnamed = run_cli("undo", "--db", str(db))  # undo names what it reverts: no id, no change
    assert unnamed.returncode == 2 and unnamed.stderr.count("\n") == 1
    assert "name the upload to undo" in unnamed.stderr and "the latest loaded one is 1: transactions" in unnamed.stderr
    undone = run_cli("undo", "1", "--db", str(db))
    assert undone.returncode == 0 and cli_json(undone)["upload_id"] == 1
    again = run_cli("undo", "1", "--db", str(db))
    assert again.returncode == 1 and again.stderr.count("\n") == 1 and "was undone" in again.stderr
    unknown = run_cli("undo", "42", "--db", str(db))
    assert unknown.returncode == 2 and "no upload 42" in unknown.stderr


def test_a_column_without_a_header_is_named_in_russian_with_lang_ru(db, tmp_path, capsys):
    """The 4th header cell is empty: with --lang ru the report calls that column 'столбец 4' (messages,
    issues, mapping), and a preset may name it so; the English name ('column 4') works the same."""
    extract = tmp_path / "answers.csv"
    extract.write_text("response_id,customer_id,responded_at,,channel\nR1,C1,2025-12-01,3,web\nR2,C2,2025-12-02,5,app\n"
                       "R3,C3,2025-12-03,1,web\n", encoding="utf-8")
    reports = {}
    for name in ("column 4", "столбец 4"):
        preset = tmp_path / "preset.json"
        preset.write_text(json.dumps({"columns": {name: "csat"}}, ensure_ascii=False), encoding="utf-8")
        args = parse("load", "surveys", str(extract), "--db", str(db), "--mapping", str(preset), "--dry-run",
                     "--lang", "ru")
        assert COMMANDS[args.command](args) == 0
        reports[name] = capsys.readouterr().out
    assert reports["column 4"] == reports["столбец 4"]
    report = json.loads(reports["column 4"])
    assert report["rows_loaded"] == 3 and report["mapping"]["columns"]["столбец 4"] == "csat"
    scale = next(i for i in report["issues"] if i["code"] == "scale_detected")
    assert scale["column"] == "столбец 4" and "столбец 4" in scale["message"]
    keys = {"column", "columns"}  # the JSON's own keys are the contract, not text for the reader

    def texts(value):
        if isinstance(value, dict):
            return [t for k, v in value.items() for t in ([] if k in keys else [k]) + texts(v)]
        return [t for v in value for t in texts(v)] if isinstance(value, list) else [str(value)]

    assert not [t for t in texts(report) if "column" in t.lower()]
