"""The CX classes of the money page: score bands, complaint statuses and "poor answer" thresholds.

Constants only, importing nothing from ``cxdata``, so both the metric code (``cxdata.money_base``,
which states the rules) and the rollups built at load time (``cxdata.rollups_money``) read the
same bands.
"""

from __future__ import annotations

SCORES = ("nps", "csat", "ces")
# Score -> its classes, best first, as (class, lowest answer, highest answer).
SCORE_CLASSES: dict[str, tuple[tuple[str, int, int], ...]] = {
    "nps": (("promoter", 9, 10), ("passive", 7, 8), ("detractor", 0, 6)),
    "csat": (("satisfied", 4, 5), ("neutral", 3, 3), ("dissatisfied", 1, 2)),
    "ces": (("easy", 5, 7), ("neutral", 4, 4), ("hard", 1, 3)),
}
NO_ANSWER = "no_answer"
# The class every other class of a score is compared with.
REFERENCE_CLASS = {score: classes[0][0] for score, classes in SCORE_CLASSES.items()}
COMPLAINT_STATUSES = ("none", "resolved", "unresolved")
# A poor answer at a touchpoint (the drivers' "exposure"): below the satisfied / easy band.
POOR_ANSWER_BELOW = {"csat": 4, "ces": 5}


def class_order(score: str) -> list[str]:
    """The classes of ``score`` in display order, ``no_answer`` last.

    >>> class_order("nps")
    ['promoter', 'passive', 'detractor', 'no_answer']
    """
    return [name for name, _, _ in SCORE_CLASSES[score]] + [NO_ANSWER]
