"""The sample's past CEM maturity assessment: two executives answered the questionnaire half a year
before the as-of date, so the CEM maturity page opens with a level, a radar and a history, and a new
assessment is drawn against it.

Its story matches the data: surveys run at most stages (measurement is the strongest element), the
complaints in Siberia stay unresolved and nobody set a standard for them (fixing problems is among
the weakest), new services come from experts' opinion. Within an element, the answers fall as the
questions climb its stages: base + 2, + 1, 0, − 1, − 2, so the element's mean is its base.
"""

from __future__ import annotations

from datetime import datetime

from cxdata.ingest.maturity_store import ASSESSMENTS, MATURITY_LOG, create_maturity_tables
from cxdata.model.maturity import ELEMENTS, questions_of

ANSWERED_AT = datetime(2025, 6, 30, 11, 0)
# respondent -> base score per element (measurement, fixing, knowledge, innovation, strategy, culture)
RESPONDENTS = {
    "Ирина Соколова": (6, 3, 5, 2, 4, 5),
    "Дмитрий Орлов": (7, 2, 5, 3, 5, 4),
}
STAGE_OFFSETS = (2, 1, 0, -1, -2)


def load_past_assessment(con) -> None:
    """Assessment 1 with the answers of ``RESPONDENTS``, logged as stored by the sample."""
    create_maturity_tables(con)
    rows, log = [], []
    for entry_id, (respondent, bases) in enumerate(RESPONDENTS.items(), 1):
        for element, base in zip(ELEMENTS, bases, strict=True):
            for question, offset in zip(questions_of(element), STAGE_OFFSETS, strict=True):
                rows.append([1, respondent, ANSWERED_AT, question.id, base + offset])
        log.append([entry_id, ANSWERED_AT, "sample", "answered", 1, respondent, len(ELEMENTS) * len(STAGE_OFFSETS)])
    con.executemany(f"INSERT INTO {ASSESSMENTS} VALUES (?, ?, ?, ?, ?)", rows)
    con.executemany(f"INSERT INTO {MATURITY_LOG} VALUES (?, ?, ?, ?, ?, ?, ?)", log)
