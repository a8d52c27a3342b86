"""The CEM maturity questionnaire on screen (Streamlit): the form analysts and admins answer, and
storing its answers. The questions and rules are ``cxdata.model.maturity``; storing is
``cxdata.ingest.maturity_store``."""

from __future__ import annotations

from datetime import date

import duckdb
import streamlit as st

from cxdata import i18n
from cxdata.engine.db import resolve_db_path
from cxdata.ingest import UploadBusyError
from cxdata.ingest.errors import ChangeRefused, describe_failure
from cxdata.ingest.maturity_store import record_answers
from cxdata.model.maturity import ELEMENTS, QUESTIONS, element_name, questions_of
from cxdata.presentation.plaintext import markdown_text

FORM_KEY_PREFIX = "maturity_q_"
NEW_ASSESSMENT = 0  # the choice "a new assessment" (stored ids start at 1)


def render_questionnaire(assessments: list[dict], user: str, lang: str) -> tuple[dict | None, int | None, str]:
    """The form: (the answers ``{question id: score or None}`` when it is submitted, else None; the
    assessment they go to, None for a new one; the respondent typed)."""
    t = lambda key, **values: i18n.translate(key, lang, **values)  # noqa: E731
    by_id = {summary["assessment_id"]: summary for summary in assessments}

    def describe_choice(choice: int) -> str:
        if choice == NEW_ASSESSMENT:
            return t("maturity_form_new")
        summary = by_id[choice]
        return t("maturity_form_add_to", id=choice, n=len(summary["respondents"]),
                 date=i18n.format_date(date.fromisoformat(summary["answered_at"][:10]), lang))

    with st.form("maturity_form"):
        choice = st.selectbox(t("maturity_form_assessment"), [NEW_ASSESSMENT, *reversed(list(by_id))],
                              format_func=describe_choice, key="maturity_assessment")
        respondent = st.text_input(t("maturity_form_respondent"), value=user, key="maturity_respondent",
                                   max_chars=100)
        st.caption(t("maturity_form_scale"))
        answers = {}
        number = 0
        for element in ELEMENTS:
            st.subheader(element_name(element, lang))
            for question in questions_of(element):
                number += 1
                answers[question.id] = st.number_input(f"{number}. {question.text(lang)}", min_value=0, max_value=10,
                                                       step=1, value=None, key=f"{FORM_KEY_PREFIX}{question.id}",
                                                       placeholder=t("maturity_form_placeholder"))
        submitted = st.form_submit_button(t("maturity_form_submit"), type="primary")
    if not submitted:
        return None, None, respondent
    return answers, (None if choice == NEW_ASSESSMENT else choice), respondent


def store_questionnaire(answers: dict, assessment_id: int | None, respondent: str, user: str, lang: str) -> list[str]:
    """Store the answers typed; what went wrong in words (none: stored, logged with who and when)."""
    unanswered = [str(QUESTIONS.index(q) + 1) for q in QUESTIONS if answers.get(q.id) is None]
    if unanswered:
        return [i18n.translate("maturity_form_unanswered", lang, numbers=", ".join(unanswered))]
    try:
        record_answers(resolve_db_path(), {key: int(value) for key, value in answers.items()},
                       respondent=respondent, user=user, assessment_id=assessment_id, lock_timeout=30)
    except i18n.WordedError as error:  # the respondent's name
        return [error.message(lang)]
    except ChangeRefused as error:  # the assessment is gone, or this respondent answered it meanwhile
        return [error.message(lang)]
    except UploadBusyError:
        return [i18n.translate("maturity_busy", lang)]
    except (OSError, duckdb.Error) as error:
        return [describe_failure(error, lang)]
    forget_answers()
    return []


def forget_answers() -> None:
    """The form's typed answers: the next run shows an empty questionnaire."""
    for key in [key for key in st.session_state if str(key).startswith(("maturity_q_", "maturity_assessment",
                                                                         "maturity_respondent"))]:
        del st.session_state[key]


def show_errors(messages: list[str]) -> None:
    for message in messages:  # may quote a respondent's name, typed by a user: shown as text
        st.error(markdown_text(message))


i18n.register_text({
    "maturity_intro": {
        "en": "A self-assessment of how the company manages customer experience: 30 questions in six elements, "
              "each answered 0–10 (about 25 minutes), placed on Gartner's five levels from reactive to anticipatory. "
              "Beside each element, what the data shows.",
        "ru": "Самооценка того, как компания управляет клиентским опытом: 30 вопросов в шести элементах, ответ на "
              "каждый от 0 до 10 (около 25 минут), и место на одном из пяти уровней по методике Гартнер — от "
              "реактивного до предвосхищающего. Рядом с каждым элементом — что показывают данные."},
    "maturity_none_yet": {"en": "No assessment has been stored yet.", "ru": "Ни одной оценки ещё не сохранено."},
    "maturity_viewer_note": {
        "en": "Analysts and admins answer the questionnaire; you see the results (you are {role}).",
        "ru": "Отвечают на анкету аналитики и администраторы; вам доступны результаты (ваша роль: {role})."},
    "maturity_section_level": {"en": "Where the company stands", "ru": "Где находится компания"},
    "maturity_section_elements": {"en": "Elements: score, next step and what the data shows",
                                  "ru": "Элементы: балл, следующий шаг и что показывают данные"},
    "maturity_section_history": {"en": "Assessments over time", "ru": "Оценки во времени"},
    "maturity_section_questionnaire": {"en": "Questionnaire", "ru": "Анкета"},
    "maturity_element_score": {"en": "{score} of 10 · {level}", "ru": "{score} из 10 · {level}"},
    "maturity_next_step": {"en": "Next step: {text}", "ru": "Следующий шаг: {text}"},
    "maturity_no_evidence": {"en": "The data cannot show this element: the self-score stands alone.",
                             "ru": "Данные не показывают этот элемент: остаётся только самооценка."},
    "maturity_evidence_period": {"en": "What the data shows is for {period}.",
                                 "ru": "Данные показаны за период {period}."},
    "maturity_radar_caption": {"en": "Assessment {id} · respondents: {names}",
                               "ru": "Оценка {id} · отвечали: {names}"},
    "maturity_form_assessment": {"en": "Answers for", "ru": "Ответы для"},
    "maturity_form_new": {"en": "A new assessment", "ru": "Новой оценки"},
    "maturity_form_add_to": {"en": "Assessment {id} of {date} ({n} answered so far)",
                             "ru": "Оценки {id} от {date} (уже ответили: {n})"},
    "maturity_form_respondent": {"en": "Respondent", "ru": "Кто отвечает"},
    "maturity_form_scale": {"en": "Score each statement from 0 (not at all) to 10 (fully, as routine everywhere).",
                            "ru": "Оцените каждое утверждение от 0 (совсем нет) до 10 (полностью, везде и всегда)."},
    "maturity_form_placeholder": {"en": "0–10", "ru": "0–10"},
    "maturity_form_submit": {"en": "Store the answers", "ru": "Сохранить ответы"},
    "maturity_form_unanswered": {"en": "Nothing was stored: answer every question (no answer yet: {numbers}).",
                                 "ru": "Ничего не сохранено: ответьте на все вопросы (без ответа: {numbers})."},
    "maturity_saved": {"en": "The answers are stored.", "ru": "Ответы сохранены."},
    "maturity_busy": {"en": "An upload is running: nothing was stored. Store the answers again when it has finished.",
                      "ru": "Идёт загрузка данных: ничего не сохранено. Сохраните ответы снова, когда она закончится."},
})
