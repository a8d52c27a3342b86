"""Which survey scale a score column is answered on, from its values and its header.

A score column (mapped to ``nps``, ``csat`` or ``ces``) is read on one scale of
``cxdata.model.rules.SCALES``; a scale never goes to a metric it cannot be (``SCORE_SCALES``: NPS
is only 0–10). The decision, per column:

- declared in the preset (``"scales": {"Score": "csat_1_5"}``): that metric on that scale; values
  outside it are errors, row by row;
- a header naming the metric (``CSAT``, ``Satisfaction``, ``Оценка NPS``, ``CES (1-7)``), or a
  column mapped to CSAT or CES (the aliases send only generic headers to NPS): that metric, on the scale the header writes (``1-7``, ``из 5``) or else the smallest of the metric's
  scales that holds every value; values no scale of the metric holds refuse the file;
- a generic header (``score``, ``rating``, ``оценка``): NPS when the values need 0–10 (a 0, or
  answers above 7; a 1–10 CSAT or CES is declared or named so); otherwise (answers within 1–7) it
  could be CSAT or CES on more than one scale, and the column is asked about, never guessed, as an
  ambiguous date column is: the file is refused with the choices
  (``"scales"`` in the preset, the Upload page's question, ``load --scale HEADER=csat_1_5``); values
  that fit no scale at all (``0..100``) refuse the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cxdata.ingest.detection import number_sql
from cxdata.ingest.mapping import normalize_header
from cxdata.model.rules import DEFAULT_SCALE, SCALES, SCORE_SCALES, scale_range

SCORES = tuple(SCORE_SCALES)
_HINTS = {
    "nps": ("nps", "recommend", "рекоменд", "лояльн"),
    "csat": ("csat", "satisf", "удовлетвор", "доволь"),
    "ces": ("ces", "effort", "усили", "легк"),
}
_RANGE_IN_HEADER = re.compile(r"\b([01])\s*(?:-|–|—|…|\.\.|to|до)\s*(5|7|10)\b")
_TOP_IN_HEADER = re.compile(r"(?:out of|из|/)\s*(5|7|10)\b")


def choice_name(score: str, scale: str) -> str:
    """'csat_1_5': a score on a scale, as the preset and the page name it."""
    return f"{score}_{scale}"


def parse_choice(text: str) -> tuple[str, str] | None:
    """('csat', '1_5') from 'csat_1_5'; None unless the score may be asked on that scale.

    >>> parse_choice("csat_1_7"), parse_choice("nps_1_5")
    (('csat', '1_7'), None)
    """
    score, _, scale = str(text).strip().lower().partition("_")
    return (score, scale) if scale in SCORE_SCALES.get(score, ()) else None


ALL_CHOICES = tuple(choice_name(score, scale) for score, scales in SCORE_SCALES.items() for scale in scales)


@dataclass(frozen=True)
class ScaleDecision:
    """The scale of one score column. ``scale`` is None when the column needs a decision
    (``choices`` lists them) or fits no scale of any score it could be (``choices`` empty)."""

    header: str
    score: str | None
    scale: str | None
    low: int | None = None  # the smallest and largest value in the file
    high: int | None = None
    declared: bool = False
    choices: tuple[str, ...] = ()

    @property
    def top(self) -> int | None:
        return scale_range(self.scale)[1] if self.scale else None


def header_score(header: str) -> str | None:
    """The score a header names, None for a generic one ('Score', 'Оценка').

    >>> header_score("CSAT (1-5)"), header_score("Оценка"), header_score("Насколько вы готовы рекомендовать")
    ('csat', None, 'nps')
    """
    words = normalize_header(header).split()
    named = [score for score, hints in _HINTS.items()
             if any(word == hint or (len(hint) > 3 and word.startswith(hint)) for word in words for hint in hints)]
    return named[0] if len(named) == 1 else None


def header_scale(header: str) -> str | None:
    """The scale a header writes: 'CES (1-7)' → '1_7', 'Оценка из 5' → '1_5'.

    >>> header_scale("CES (1-7)"), header_scale("Оценка из 5"), header_scale("NPS 0–10"), header_scale("Score")
    ('1_7', '1_5', '0_10', None)
    """
    text = header.lower()
    found = _RANGE_IN_HEADER.search(text)
    if found:
        scale = f"{found.group(1)}_{found.group(2)}"
        return scale if scale in SCALES else None
    found = _TOP_IN_HEADER.search(text)
    if found:
        return f"1_{found.group(1)}"
    return None


def decide_scale(header: str, score: str, low: int | None, high: int | None, declared: str | None) -> ScaleDecision:
    """The scale of a column mapped to ``score`` whose whole-number values run from ``low`` to
    ``high`` (None: no value).

    >>> decide_scale("score", "nps", 1, 5, None).choices
    ('csat_1_5', 'ces_1_5')
    >>> decide_scale("score", "nps", 0, 10, None).scale, decide_scale("CSAT", "csat", 1, 5, None).scale
    ('0_10', '1_5')
    """
    if declared:
        declared_score, scale = parse_choice(declared)
        return ScaleDecision(header, declared_score, scale, low, high, declared=True)
    if low is None:  # nothing to read: the default scale (the parse checks say what is wrong)
        return ScaleDecision(header, score, SCORE_SCALES[score][0], low, high)
    # Aliases send only generic headers to NPS; a column mapped to CSAT or CES was mapped so on purpose.
    named, written = header_score(header) or (score if score != "nps" else None), header_scale(header)
    if named:
        if written:
            return ScaleDecision(header, named, written if written in SCORE_SCALES[named] else DEFAULT_SCALE[named],
                                 low, high)
        # The default scale when it holds every value; another only when an answer reaches its top
        # (a stray 8 on a 1–7 survey is an error, not a 1–10 survey); else the default, and the
        # values outside it are reported row by row.
        reaching = [s for s in SCORE_SCALES[named] if _holds(s, low, high) and SCALES[s][1] == high]
        scale = DEFAULT_SCALE[named] if _holds(DEFAULT_SCALE[named], low, high) or len(reaching) != 1 else reaching[0]
        return ScaleDecision(header, named, scale, low, high)
    if (low == 0 or high > 7) and _holds("0_10", low, high) and written in (None, "0_10"):
        # Answers that need 0 or more than 7 under a generic header: the recommendation question,
        # by far the commonest 0–10 one (a 1–10 CSAT or CES column is declared, or named so).
        return ScaleDecision(header, "nps", "0_10", low, high)
    candidates = []
    for candidate in ("csat", "ces"):
        fitting = [s for s in SCORE_SCALES[candidate] if (written is None or s == written) and _holds(s, low, high)]
        if fitting:
            candidates.append(choice_name(candidate, fitting[0]))
    return ScaleDecision(header, score, None, low, high, choices=tuple(candidates))


def _holds(scale: str, low: int, high: int) -> bool:
    bottom, top = SCALES[scale]
    return bottom <= low and high <= top


def decide_scales(extract, by_field: dict[str, str], declared: dict[str, str]) -> dict[str, ScaleDecision]:
    """Score column → its ``ScaleDecision``, for the score columns mapped from the file.

    The values are read as numbers with the file's decimal separator; only whole numbers count
    (anything else is reported by the parse checks)."""
    decisions = {}
    for score in SCORES:
        header = by_field.get(score)
        if header is None:
            continue
        value = number_sql(f'"{extract.columns[header].source}"', extract.decimal.decimal)
        low, high = extract.workspace.execute(
            f"SELECT min(v), max(v) FROM (SELECT {value} AS v FROM clean) WHERE v = round(v)").fetchall()[0]
        low, high = (None, None) if low is None else (int(low), int(high))
        decisions[score] = decide_scale(header, score, low, high, declared.get(header))
    return decisions
