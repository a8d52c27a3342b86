"""CEM maturity scores: pure functions from answers to element scores and a level (the questions,
levels and the rule are in ``cxdata.model.maturity``).

- A respondent's element score is the mean of their answers to its five questions (0–10).
- An assessment's element score is the mean of its respondents' element scores: every respondent
  counts once, whoever answered first.
- The overall score is the mean of the six element scores; the level is the overall score's band,
  capped at one level above the weakest element's band (``place_on_levels``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from cxdata.i18n import WordedError, register_text
from cxdata.model.maturity import (
    ELEMENTS,
    LEVEL_FLOORS,
    LEVELS,
    QUESTION_IDS,
    QUESTIONS,
    SCORE_MAX,
    SCORE_MIN,
    WEAKEST_ELEMENT_LEAD,
)


def validate_answers(answers: Mapping[str, object]) -> dict[str, int]:
    """One respondent's answers ``{question id: score}`` checked: every question of
    ``QUESTION_IDS`` answered once with a whole number 0–10, nothing else. WordedError naming the
    first problem; the checked answers in questionnaire order otherwise.

    >>> validate_answers({question: 5 for question in QUESTION_IDS})["culture_5"]
    5
    >>> validate_answers({"measurement_1": 11})
    Traceback (most recent call last):
    ...
    cxdata.i18n.WordedError: measurement_1: the score must be a whole number from 0 to 10, not 11
    """
    if not isinstance(answers, Mapping):
        raise WordedError("maturity_answers_not_object")
    unknown = [key for key in answers if key not in QUESTION_IDS]
    if unknown:
        raise WordedError("maturity_unknown_question", question=str(unknown[0])[:60])
    checked = {}
    for question in QUESTION_IDS:
        if question not in answers or answers[question] is None:
            continue
        score = answers[question]
        whole = isinstance(score, int) and not isinstance(score, bool)
        if isinstance(score, float) and score.is_integer():
            score, whole = int(score), True
        if not whole or not SCORE_MIN <= score <= SCORE_MAX:
            raise WordedError("maturity_bad_score", question=question, value=str(score)[:20])
        checked[question] = score
    missing = [question for question in QUESTION_IDS if question not in checked]
    if missing:
        raise WordedError("maturity_unanswered", count=len(missing), first=missing[0])
    return checked


def score_elements(answers: Mapping[str, int]) -> dict[str, float]:
    """One respondent's element scores: the mean of each element's answers.

    >>> scores = score_elements({q.id: (10 if q.element == "strategy" else 0) for q in QUESTIONS})
    >>> scores["strategy"], scores["culture"]
    (10.0, 0.0)
    """
    return {element: sum(answers[q.id] for q in QUESTIONS if q.element == element)
            / sum(1 for q in QUESTIONS if q.element == element) for element in ELEMENTS}


def combine_respondents(per_respondent: list[Mapping[str, float]]) -> dict[str, float]:
    """The assessment's element scores: the mean over respondents of their element scores.

    >>> combine_respondents([{e: 2.0 for e in ELEMENTS}, {e: 5.0 for e in ELEMENTS}])["fixing"]
    3.5
    """
    if not per_respondent:
        raise ValueError("an assessment needs at least one respondent")
    return {element: sum(scores[element] for scores in per_respondent) / len(per_respondent) for element in ELEMENTS}


def level_of(score: float) -> str:
    """The band of a 0–10 score: reactive below 2, regular below 4, extended below 6, proactive
    below 8, anticipatory from 8.

    >>> [level_of(s) for s in (0, 1.99, 2, 5.5, 7.99, 8, 10)]
    ['reactive', 'reactive', 'regular', 'extended', 'proactive', 'anticipatory', 'anticipatory']
    """
    if math.isnan(score) or not SCORE_MIN <= score <= SCORE_MAX:
        raise ValueError(f"a score is from {SCORE_MIN} to {SCORE_MAX}, not {score}")
    return LEVELS[sum(score >= floor for floor in LEVEL_FLOORS)]


@dataclass(frozen=True)
class Placement:
    """Where an assessment stands: its element scores, overall score and level. ``capped`` says the
    weakest element held the level below the overall score's band."""

    elements: dict[str, float]
    overall: float
    level: str
    overall_band: str
    weakest: str
    capped: bool

    @property
    def level_number(self) -> int:
        return LEVELS.index(self.level) + 1

    def element_levels(self) -> dict[str, str]:
        return {element: level_of(score) for element, score in self.elements.items()}


def place_on_levels(elements: Mapping[str, float]) -> Placement:
    """The overall score (mean of the six element scores) and the level: the overall score's band,
    but no more than ``WEAKEST_ELEMENT_LEAD`` level above the weakest element's band.

    Element scores 2, 4, 6, 8, 10, 0: overall 30 / 6 = 5.0, band "extended" (level 3); the weakest
    element (culture, 0) is "reactive" (level 1), so the level is capped at 2, "regular".

    >>> placed = place_on_levels(dict(zip(ELEMENTS, (2, 4, 6, 8, 10, 0))))
    >>> placed.overall, placed.overall_band, placed.level, placed.weakest, placed.capped
    (5.0, 'extended', 'regular', 'culture', True)
    """
    missing = [element for element in ELEMENTS if element not in elements]
    if missing:
        raise ValueError(f"element scores missing: {', '.join(missing)}")
    scores = {element: float(elements[element]) for element in ELEMENTS}
    overall = sum(scores.values()) / len(scores)
    band = LEVELS.index(level_of(overall))
    weakest = min(ELEMENTS, key=lambda element: (scores[element], ELEMENTS.index(element)))
    ceiling = LEVELS.index(level_of(scores[weakest])) + WEAKEST_ELEMENT_LEAD
    level = min(band, ceiling)
    return Placement(elements=scores, overall=overall, level=LEVELS[level], overall_band=LEVELS[band],
                     weakest=weakest, capped=level < band)


def score_assessment(respondents: Mapping[str, Mapping[str, int]]) -> Placement:
    """``{respondent: {question id: score}}`` of one assessment -> its placement."""
    return place_on_levels(combine_respondents([score_elements(answers) for answers in respondents.values()]))


register_text({
    "maturity_answers_not_object": {
        "en": "the answers must be a JSON object of question id: score (0–10)",
        "ru": "ответы должны быть объектом JSON вида номер вопроса: оценка (0–10)"},
    "maturity_unknown_question": {"en": "there is no question {question} in the questionnaire",
                                  "ru": "в анкете нет вопроса {question}"},
    "maturity_bad_score": {"en": "{question}: the score must be a whole number from 0 to 10, not {value}",
                           "ru": "{question}: оценка должна быть целым числом от 0 до 10, а не {value}"},
    "maturity_unanswered": {"en": "{count} of the 30 questions have no answer (the first: {first})",
                            "ru": "без ответа вопросов: {count} из 30 (первый: {first})"},
})
