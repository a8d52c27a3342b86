"""CEM maturity answers as stored: written on a working copy published atomically (as a settings
save is), with an entry in the audit log saying who stored them and when.

Tables this module creates in the database (grain), idempotently, on the first write (a database
made before them simply has no assessment; readers treat a missing table as none):

- ``maturity_assessments``: one row per answer: ``assessment_id``, ``respondent``, ``answered_at``,
  ``question_id`` (``cxdata.model.maturity.QUESTION_IDS``), ``score`` (0–10). An assessment is
  answered by one or several respondents, each once; assessments are kept over time.
- ``maturity_log``: one row per stored set of answers: ``entry_id``, ``recorded_at``,
  ``recorded_by`` (the login that stored them; the respondent may be someone else, e.g. answers
  typed in from a workshop), ``action`` (``answered``), ``assessment_id``, ``respondent``,
  ``answer_count``.

A write names what it acts on: a new assessment (its id is given under the lock), or the existing
assessment the writer saw. It is checked again once the lock is held: the assessment must still be
there and the respondent must not have answered it meanwhile (``AssessmentRefused``: nothing stored).
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Mapping

import duckdb

from cxdata.analysis.maturity import validate_answers
from cxdata.engine.db import resolve_db_path
from cxdata.i18n import WordedError, register_text
from cxdata.ingest.errors import ChangeRefused
from cxdata.ingest.locking import connected
from cxdata.ingest.publish import working_copy

ASSESSMENTS = "maturity_assessments"
ASSESSMENT_COLUMNS = (
    ("assessment_id", "BIGINT NOT NULL"), ("respondent", "VARCHAR NOT NULL"), ("answered_at", "TIMESTAMP NOT NULL"),
    ("question_id", "VARCHAR NOT NULL"), ("score", "TINYINT NOT NULL"),
)
MATURITY_LOG = "maturity_log"
LOG_COLUMNS = (
    ("entry_id", "BIGINT NOT NULL"), ("recorded_at", "TIMESTAMP NOT NULL"), ("recorded_by", "VARCHAR NOT NULL"),
    ("action", "VARCHAR NOT NULL"), ("assessment_id", "BIGINT NOT NULL"), ("respondent", "VARCHAR NOT NULL"),
    ("answer_count", "INTEGER NOT NULL"),
)
MAX_RESPONDENT_CHARS = 100


class AssessmentRefused(ChangeRefused):
    """Answers refused once the lock was held (the assessment is gone, the respondent answered it
    meanwhile): nothing was stored."""


def validate_respondent(name: object) -> str:
    """The respondent's name, trimmed: not empty, at most ``MAX_RESPONDENT_CHARS`` characters, one line.

    >>> validate_respondent("  Anna  ")
    'Anna'
    """
    text = " ".join(str(name or "").split())
    if not text:
        raise WordedError("maturity_no_respondent")
    if len(text) > MAX_RESPONDENT_CHARS:
        raise WordedError("maturity_long_respondent", limit=MAX_RESPONDENT_CHARS)
    return text


def create_maturity_tables(con) -> None:
    """Both tables, if they are not there yet (any database, however old)."""
    for name, columns in ((ASSESSMENTS, ASSESSMENT_COLUMNS), (MATURITY_LOG, LOG_COLUMNS)):
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(f'{c} {t}' for c, t in columns)})")


def record_answers(db_path, answers: Mapping[str, object], *, respondent: str, user: str,
                   assessment_id: int | None = None, now: datetime | None = None,
                   lock_timeout: float = 60.0) -> dict:
    """Store one respondent's answers to the whole questionnaire, in a new assessment
    (``assessment_id`` None) or in the named one, atomically, and log who stored them and when.

    WordedError for answers or a name that cannot be stored (checked first, nothing is locked);
    AssessmentRefused when, once the lock is held, the assessment is gone or this respondent has
    answered it already; UploadBusyError when another write holds the lock past ``lock_timeout``.
    Returns ``{"assessment_id", "respondent", "answered_at", "answer_count", "entry_id"}``.
    """
    checked = validate_answers(answers)
    name = validate_respondent(respondent)
    live = resolve_db_path(db_path)
    if not live.exists():
        raise FileNotFoundError(f"database not found: {live}")
    holder = {"user": user, "action": "maturity", "table": "", "since": datetime.now().strftime("%H:%M:%S")}
    with working_copy(live, timeout=lock_timeout, holder=holder) as (work, _waited):
        con = duckdb.connect(str(work))
        try:
            con.execute("BEGIN TRANSACTION")
            create_maturity_tables(con)
            target = _check_target(con, assessment_id, name)
            when = (now or datetime.now()).replace(microsecond=0)
            con.executemany(f"INSERT INTO {ASSESSMENTS} VALUES (?, ?, ?, ?, ?)",
                            [[target, name, when, question, score] for question, score in checked.items()])
            entry_id = con.execute(f"SELECT coalesce(max(entry_id), 0) + 1 FROM {MATURITY_LOG}").fetchall()[0][0]
            con.execute(f"INSERT INTO {MATURITY_LOG} VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [entry_id, when, user, "answered", target, name, len(checked)])
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        finally:
            con.close()
    return {"assessment_id": target, "respondent": name, "answered_at": when.isoformat(sep=" "),
            "answer_count": len(checked), "entry_id": entry_id}


def _check_target(con, assessment_id: int | None, respondent: str) -> int:
    """The assessment the answers go to, as it is now that the lock is held."""
    if assessment_id is None:
        return con.execute(f"SELECT coalesce(max(assessment_id), 0) + 1 FROM {ASSESSMENTS}").fetchall()[0][0]
    answered = con.execute(f"SELECT respondent, min(answered_at) FROM {ASSESSMENTS} WHERE assessment_id = ? "
                           f"GROUP BY respondent", [assessment_id]).fetchall()
    if not answered:
        raise AssessmentRefused("maturity_assessment_gone", assessment=assessment_id)
    for who, when in answered:
        if who.casefold() == respondent.casefold():
            raise AssessmentRefused("maturity_already_answered", assessment=assessment_id, who=who,
                                    when=when.strftime("%Y-%m-%d %H:%M"))
    return assessment_id


def list_maturity_log(db_path=None, *, timeout: float = 10.0) -> list[dict]:
    """Every stored set of answers, newest first: ``{"entry_id", "recorded_at", "recorded_by",
    "action", "assessment_id", "respondent", "answer_count"}``."""
    path = resolve_db_path(db_path)
    if not Path(path).exists():
        return []
    with connected(path, read_only=True, deadline=time.monotonic() + timeout) as con:
        if not has_table(con, MATURITY_LOG):
            return []
        cursor = con.execute(f"SELECT * FROM {MATURITY_LOG} ORDER BY entry_id DESC")
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    return [{name: (value.isoformat(sep=" ") if isinstance(value, datetime) else value)
             for name, value in zip(names, row, strict=True)} for row in rows]


def has_table(con, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
                            [name]).fetchall()[0][0])


register_text({
    "maturity_no_respondent": {"en": "name the respondent who gave these answers",
                               "ru": "укажите, кто дал эти ответы"},
    "maturity_long_respondent": {"en": "the respondent's name is longer than {limit} characters",
                                 "ru": "имя отвечающего длиннее {limit} символов"},
    "maturity_assessment_gone": {"en": "Nothing was stored: there is no assessment {assessment}.",
                                 "ru": "Ничего не сохранено: оценки {assessment} нет."},
    "maturity_already_answered": {
        "en": "Nothing was stored: {who} already answered assessment {assessment} at {when}.",
        "ru": "Ничего не сохранено: {who} уже ответил(а) в оценке {assessment} в {when}."},
})
