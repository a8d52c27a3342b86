"""CEM maturity: the scores and level of hand-made answers, answers stored and logged with who and
when (and refused, storing nothing, when their target changed), the evidence from a hand-built
month of data, and the command line's contract."""

from __future__ import annotations

import json
from datetime import date, datetime

import duckdb
import pytest

from cxdata.analysis.maturity import place_on_levels, score_assessment, validate_answers
from cxdata.engine.query import open_backend
from cxdata.i18n import WordedError
from cxdata.ingest.maturity_store import AssessmentRefused, list_maturity_log, record_answers
from cxdata.model.filters import Filters
from cxdata.model.maturity import ELEMENTS, QUESTION_IDS, QUESTIONS
from cxdata.questions.maturity import compute_evidence, fetch_assessments
from tests.conftest import insert_rows


def answers_by_element(**scores: int) -> dict[str, int]:
    """Every question of an element answered with that element's score."""
    return {q.id: scores[q.element] for q in QUESTIONS}


ONE_TO_SIX = dict(zip(ELEMENTS, (2, 4, 6, 8, 10, 0), strict=True))


def test_element_scores_2_4_6_8_10_0_are_level_2_held_by_the_weakest():
    placed = score_assessment({"anna": answers_by_element(**ONE_TO_SIX)})
    assert placed.elements == {e: float(s) for e, s in ONE_TO_SIX.items()}
    # (2 + 4 + 6 + 8 + 10 + 0) / 6 = 5.0: band 3 "extended"; culture at 0 is level 1, so at most level 2.
    assert (placed.overall, placed.overall_band, placed.level, placed.level_number) == (5.0, "extended", "regular", 2)
    assert (placed.weakest, placed.capped) == ("culture", True)


def test_an_element_is_the_mean_of_its_questions_and_respondents_count_once_each():
    anna = answers_by_element(**{e: 4 for e in ELEMENTS})
    anna.update({"measurement_1": 0, "measurement_2": 5, "measurement_3": 5, "measurement_4": 10, "measurement_5": 10})
    boris = answers_by_element(**{e: 7 for e in ELEMENTS})
    placed = score_assessment({"anna": anna, "boris": boris})
    # measurement: anna (0+5+5+10+10)/5 = 6, boris 7 -> 6.5; the others (4 + 7) / 2 = 5.5.
    assert placed.elements["measurement"] == 6.5 and placed.elements["culture"] == 5.5
    assert placed.overall == pytest.approx((6.5 + 5 * 5.5) / 6)  # 5.667: band extended
    assert (placed.level, placed.capped) == ("extended", False)  # weakest 5.5 is extended too


def test_a_company_even_at_8_is_anticipatory():
    assert place_on_levels({e: 8 for e in ELEMENTS}).level == "anticipatory"


@pytest.mark.parametrize("answers, key", [
    ({**answers_by_element(**ONE_TO_SIX), "measurement_1": 11}, "maturity_bad_score"),
    ({**answers_by_element(**ONE_TO_SIX), "measurement_1": 2.5}, "maturity_bad_score"),
    ({**answers_by_element(**ONE_TO_SIX), "measurement_1": True}, "maturity_bad_score"),
    ({**answers_by_element(**ONE_TO_SIX), "culture_6": 3}, "maturity_unknown_question"),
    ({q: 5 for q in QUESTION_IDS[:29]}, "maturity_unanswered"),
    ([1, 2, 3], "maturity_answers_not_object"),
])
def test_answers_that_cannot_be_scored_are_refused(answers, key):
    with pytest.raises(WordedError) as refused:
        validate_answers(answers)
    assert refused.value.text_key == key


def stored_rows(path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT assessment_id, respondent, count(*), sum(score) FROM maturity_assessments "
                           "GROUP BY ALL ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_answers_round_trip_with_the_audit_log_and_refusals_store_nothing(empty_db):
    first = record_answers(empty_db, answers_by_element(**ONE_TO_SIX), respondent="  Anna ", user="ann",
                           now=datetime(2026, 3, 2, 10, 30))
    assert first == {"assessment_id": 1, "respondent": "Anna", "answered_at": "2026-03-02 10:30:00",
                     "answer_count": 30, "entry_id": 1}
    record_answers(empty_db, answers_by_element(**{e: 6 for e in ELEMENTS}), respondent="Boris", user="ann",
                   assessment_id=1, now=datetime(2026, 3, 2, 11, 0))
    later = record_answers(empty_db, answers_by_element(**{e: 9 for e in ELEMENTS}), respondent="Anna", user="ivan",
                           now=datetime(2026, 9, 1, 9, 0))
    assert later["assessment_id"] == 2
    # 5 questions x (2+4+6+8+10+0) = 150; Boris 30 x 6 = 180; Anna later 30 x 9 = 270.
    assert stored_rows(empty_db) == [(1, "Anna", 30, 150), (1, "Boris", 30, 180), (2, "Anna", 30, 270)]
    log = list_maturity_log(empty_db)
    assert [(e["entry_id"], e["recorded_by"], e["action"], e["assessment_id"], e["respondent"], e["answer_count"],
             e["recorded_at"]) for e in log] == [
        (3, "ivan", "answered", 2, "Anna", 30, "2026-09-01 09:00:00"),
        (2, "ann", "answered", 1, "Boris", 30, "2026-03-02 11:00:00"),
        (1, "ann", "answered", 1, "Anna", 30, "2026-03-02 10:30:00")]

    with pytest.raises(AssessmentRefused) as twice:  # the same person again, however spelled
        record_answers(empty_db, answers_by_element(**ONE_TO_SIX), respondent="anna", user="ann", assessment_id=1)
    assert twice.value.message("en") == "Nothing was stored: Anna already answered assessment 1 at 2026-03-02 10:30."
    with pytest.raises(AssessmentRefused):
        record_answers(empty_db, answers_by_element(**ONE_TO_SIX), respondent="Olga", user="ann", assessment_id=7)
    with pytest.raises(WordedError):
        record_answers(empty_db, answers_by_element(**ONE_TO_SIX), respondent="   ", user="ann")
    assert len(stored_rows(empty_db)) == 3 and len(list_maturity_log(empty_db)) == 3

    db = open_backend(empty_db)
    try:
        first_assessment, second = fetch_assessments(db)
    finally:
        db.disconnect()
    # Assessment 1: Anna's 2,4,6,8,10,0 and Boris's 6s -> 4, 5, 6, 7, 8, 3; overall 33 / 6 = 5.5.
    assert first_assessment["elements"] == dict(zip(ELEMENTS, (4.0, 5.0, 6.0, 7.0, 8.0, 3.0), strict=True))
    assert (first_assessment["overall"], first_assessment["level"]) == (5.5, "extended")
    assert [r["respondent"] for r in first_assessment["respondents"]] == ["Anna", "Boris"]
    assert (second["overall"], second["level"]) == (9.0, "anticipatory")


def test_a_database_without_the_tables_has_no_assessment_and_no_log(empty_db):
    db = open_backend(empty_db)
    try:
        assert fetch_assessments(db) == []
    finally:
        db.disconnect()
    assert list_maturity_log(empty_db) == []


JANUARY = Filters(start=date(2025, 1, 1), end=date(2025, 1, 31))


@pytest.fixture
def month_db(empty_db):
    """Four journey stages; January's data: events in three channels, survey answers at two stages in
    two channels, four active customers, two complaints (one resolved)."""
    con = duckdb.connect(str(empty_db))
    insert_rows(con, "journey_stages", [("a", 1, "A", "А"), ("b", 2, "B", "Б"), ("c", 3, "C", "В"), ("d", 4, "D", "Г")])
    insert_rows(con, "customers", [(f"C{n}", datetime(2024, 6, 1)) for n in range(1, 7)])
    insert_rows(con, "journey_events", [
        ("C1", "a", datetime(2025, 1, 3), "web"), ("C2", "b", datetime(2025, 1, 4), "app"),
        ("C3", "a", datetime(2025, 1, 5), "store"), ("C4", "a", datetime(2024, 12, 5), "phone")])  # phone: December
    insert_rows(con, "surveys", [
        ("R1", "C1", datetime(2025, 1, 6), "a", "web", 9), ("R2", "C2", datetime(2025, 1, 7), "b", "app", 3),
        ("R3", "C4", datetime(2024, 12, 20), "c", "store", 8)])  # December: outside the period
    insert_rows(con, "transactions", [
        ("T1", "C1", datetime(2025, 1, 2), 10.0), ("T2", "C2", datetime(2025, 1, 2), 10.0),
        ("T3", "C3", datetime(2025, 1, 2), 10.0), ("T4", "C4", datetime(2025, 1, 9), 10.0),
        ("T5", None, datetime(2025, 1, 9), 10.0), ("T6", "C5", datetime(2024, 12, 9), 10.0)])
    insert_rows(con, "complaints", [
        ("K1", "C3", datetime(2025, 1, 10), datetime(2025, 1, 12)), ("K2", "C6", datetime(2025, 1, 15), None)])
    insert_rows(con, "targets", [("nps", 30.0, None, date(2024, 1, 1), None)])
    con.close()
    return empty_db


def evidence_of(path, lang: str = "en") -> dict:
    db = open_backend(path)
    try:
        return compute_evidence(db, JANUARY, date(2025, 1, 31), lang)
    finally:
        db.disconnect()


def test_the_evidence_of_a_hand_built_month(month_db):
    evidence = evidence_of(month_db)
    measurement = evidence["measurement"]
    # Stages a and b of a-d have answers (2/4); channels with answers: web, app of web, app, store (2/3).
    assert (measurement["stages_covered"], measurement["stages_total"], measurement["stage_share"]) == (2, 4, 50.0)
    assert (measurement["channels_covered"], measurement["channels_total"], measurement["channel_share"]) == (2, 3, 66.7)
    assert measurement["stages_without_answers"] == ["c", "d"] and measurement["channels_without_answers"] == ["store"]
    # Active in January: C1-C4 (the anonymous and C5's December purchase do not count); C1, C2 answered
    # a survey, C3 complained: 3 of 4.
    assert (evidence["knowledge"]["active_customers"], evidence["knowledge"]["with_signal"],
            evidence["knowledge"]["value"]) == (4, 3, 75.0)
    # Two complaints, one unresolved: 50% unresolved, but no standard to compare with.
    fixing = evidence["fixing"]
    assert (fixing["available"], fixing["unresolved_share"], fixing["complaints"]) == (False, 50.0, 2)
    assert "load a target for unresolved complaints" in fixing["reason"]
    assert evidence["strategy"]["metrics_with_target"] == ["nps"] and evidence["strategy"]["value"] == 16.7  # 1 of 6

    con = duckdb.connect(str(month_db))
    insert_rows(con, "targets", [("unresolved_share", 40.0, None, date(2024, 1, 1), None)])
    con.close()
    fixing = evidence_of(month_db)["fixing"]
    # 50% resolved against a standard of at least 100 - 40 = 60%: not met.
    assert (fixing["value"], fixing["resolved_standard"], fixing["meets_target"]) == (50.0, 60.0, False)


def run_maturity(*argv: str, capsys) -> tuple[int, str, str]:
    from cxdata.cli import main

    code = main(["maturity", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_command_line_stores_answers_and_prints_the_latest_assessment(month_db, tmp_path, capsys):
    answer_file = tmp_path / "answers.json"
    answer_file.write_text(json.dumps(answers_by_element(**ONE_TO_SIX)), encoding="utf-8")
    code, out, err = run_maturity("--db", str(month_db), "--answer", str(answer_file), "--respondent", "Anna",
                                  "--user", "ann", "--start", "2025-01-01", "--end", "2025-01-31", capsys=capsys)
    assert code == 0, err
    printed = json.loads(out)
    assert printed["stored"]["assessment_id"] == 1 and printed["stored"]["respondent"] == "Anna"
    assert list_maturity_log(month_db)[0]["recorded_by"] == "ann"

    code, out, err = run_maturity("--db", str(month_db), "--start", "2025-01-01", "--end", "2025-01-31", "--lang", "ru",
                                  capsys=capsys)
    assert code == 0, err
    printed = json.loads(out)
    assert [a["assessment_id"] for a in printed["assessments"]] == [1] and "stored" not in printed
    latest = printed["latest"]
    assert latest["elements"] == {e: float(s) for e, s in ONE_TO_SIX.items()}
    assert (latest["overall"], latest["level"], latest["level_number"]) == (5.0, "regular", 2)
    assert latest["level_name"] == "Регулярное обслуживание"
    assert latest["evidence"]["knowledge"]["value"] == 75.0
    assert latest["next_steps"]["culture"].startswith("Пусть руководители")


@pytest.mark.parametrize("argv, code", [
    (["--answer", "{file}"], 2),  # no respondent
    (["--answer", "{bad}", "--respondent", "Anna"], 2),  # a score of 12
    (["--answer", "{missing}", "--respondent", "Anna"], 2),
    (["--answer", "{file}", "--respondent", "Anna", "--assessment", "5"], 1),  # no assessment 5
])
def test_command_line_refusals_are_one_russian_line_and_store_nothing(argv, code, month_db, tmp_path, capsys):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(answers_by_element(**ONE_TO_SIX)), encoding="utf-8")
    bad.write_text(json.dumps({**answers_by_element(**ONE_TO_SIX), "strategy_2": 12}), encoding="utf-8")
    args = [a.format(file=good, bad=bad, missing=tmp_path / "none.json") for a in argv]
    returned, out, err = run_maturity("--db", str(month_db), *args, "--lang", "ru", capsys=capsys)
    assert (returned, out) == (code, "")
    assert err.startswith("ошибка: ") and err.count("\n") == 1, err
    assert list_maturity_log(month_db) == []


def test_the_radar_is_a_valid_plotly_figure_of_the_element_scores_closed_on_itself():
    import plotly.graph_objects as go

    from cxdata.presentation.maturity_charts import build_maturity_radar

    latest = {"assessment_id": 2, "answered_at": "2026-03-02 10:30:00",
              "elements": {e: float(s) for e, s in ONE_TO_SIX.items()}}
    previous = {**latest, "assessment_id": 1, "elements": {e: 1.0 for e in ELEMENTS}}
    figure = go.Figure(build_maturity_radar(latest, previous, "ru", "Оценка 2 · отвечали: <b>Анна</b>"))
    old, new = figure.data
    assert list(new.r) == [2, 4, 6, 8, 10, 0, 2] and new.theta[0] == new.theta[-1] == "Измерение"
    assert list(old.r) == [1.0] * 7 and (old.name, new.name) == ("Оценка 1 (2 мар 2026)", "Оценка 2 (2 мар 2026)")
    assert figure.layout.title.subtitle.text == "Оценка 2 · отвечали: &lt;b&gt;Анна&lt;/b&gt;"  # typed text, not markup


def test_the_sample_plants_one_past_assessment_of_two_executives(empty_db):
    from cxdata.sample.maturity import load_past_assessment

    con = duckdb.connect(str(empty_db))
    load_past_assessment(con)
    con.close()
    db = open_backend(empty_db)
    try:
        (planted,) = fetch_assessments(db)
    finally:
        db.disconnect()
    # Element means are the bases; two respondents: (6+7)/2, (3+2)/2, 5, (2+3)/2, (4+5)/2, (5+4)/2.
    assert planted["elements"] == dict(zip(ELEMENTS, (6.5, 2.5, 5.0, 2.5, 4.5, 4.5), strict=True))
    assert (planted["overall"], planted["level"], planted["weakest"]) == (4.25, "extended", "fixing")  # 25.5 / 6
    assert [e["recorded_by"] for e in list_maturity_log(empty_db)] == ["sample", "sample"]
