"""The CX rules every number is built from, each stated once.

Who is a promoter, a satisfied or an easy answer; what a purchase is; when a customer counts as
churned and as active; which rows are anonymous; the order of the journey. Each rule is data or
one small function here, rendered as an Ibis expression for the definitions (any engine) and as
SQL text for the saved copies built at load time (``cxdata.engine.rollups*``), so changing a rule
is one edit here and every page, the CLI, the rollups and the exports follow
(``tests/test_rules.py`` changes one and watches every path move). The registry's descriptions
quote the bands from here too.

Nothing here imports the rest of ``cxdata``, so every layer can read it.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

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

# --- survey scales -------------------------------------------------------------------------------
# A score column is answered on one of these scales, named "<low>_<high>". NPS is asked only on
# 0–10 (its bands are defined there); CSAT and CES take the scales surveys use. The top of a CSAT
# or CES answer's scale is stored with it (``surveys.csat_scale`` / ``ces_scale``); an answer
# stored without one is on the default scale (the sample's: CSAT 1–5, CES 1–7). The classes
# above (``SCORE_CLASSES``) are the default scales'; the metrics read the declared scale.
SCALES: dict[str, tuple[int, int]] = {"0_10": (0, 10), "1_5": (1, 5), "1_7": (1, 7), "1_10": (1, 10)}
SCORE_SCALES: dict[str, tuple[str, ...]] = {"nps": ("0_10",), "csat": ("1_5", "1_7", "1_10"),
                                            "ces": ("1_5", "1_7", "1_10")}
DEFAULT_SCALE = {"nps": "0_10", "csat": "1_5", "ces": "1_7"}
# The score columns whose scale is stored per answer, and the column holding its top.
SCALE_COLUMNS = {"csat": "csat_scale", "ces": "ces_scale"}


def scale_range(scale: str) -> tuple[int, int]:
    """(lowest, highest) answer of a scale.

    >>> scale_range("1_7")
    (1, 7)
    """
    return SCALES[scale]


def scale_of_top(score: str, top: int) -> str:
    """The scale of ``score`` whose top answer is ``top``.

    >>> scale_of_top("csat", 10), scale_of_top("nps", 10)
    ('1_10', '0_10')
    """
    return next(s for s in SCORE_SCALES[score] if SCALES[s][1] == top)


def scale_text(scale: str) -> str:
    """'1–5'"""
    low, high = SCALES[scale]
    return f"{low}–{high}"


def top_box_lowest(top: int) -> int:
    """The lowest answer in the top two boxes of a scale whose top answer is ``top``: CSAT counts
    an answer as satisfied from here up (4 on 1–5, 6 on 1–7, 9 on 1–10).

    >>> top_box_lowest(5), top_box_lowest(10)
    (4, 9)
    """
    return top - 1


def scale_top(surveys: ir.Table, score: str) -> ir.IntegerValue:
    """The top of each answer's declared scale (the default scale's for answers stored without
    one, and for a table laid out before scales were stored)."""
    default = SCALES[DEFAULT_SCALE[score]][1]
    column = SCALE_COLUMNS[score]
    if column not in surveys.columns:
        return ibis.literal(default, "int64")
    return surveys[column].cast("int64").fill_null(default)


def class_order(score: str) -> list[str]:
    """The classes of ``score`` in display order, ``no_answer`` last.

    >>> class_order("nps")
    ['promoter', 'passive', 'detractor', 'no_answer']
    """
    return [name for name, _, _ in SCORE_CLASSES[score]] + [NO_ANSWER]


def band(score: str, name: str) -> tuple[int, int]:
    """(lowest, highest) answer of class ``name`` of ``score``.

    >>> band("nps", "detractor")
    (0, 6)
    """
    for class_name, low, high in SCORE_CLASSES[score]:
        if class_name == name:
            return low, high
    raise KeyError(f"{score} has no class {name!r}")


def band_text(score: str, name: str) -> str:
    """The band as a reader writes it: '9–10', '3'.

    >>> band_text("nps", "promoter"), band_text("csat", "neutral")
    ('9–10', '3')
    """
    low, high = band(score, name)
    return str(low) if low == high else f"{low}–{high}"


def in_class(answer: ir.NumericValue, score: str, name: str) -> ir.BooleanValue:
    """The answer falls in class ``name`` (null for no answer)."""
    low, high = band(score, name)
    return answer.between(low, high)


def class_of(answer: ir.NumericValue, score: str) -> ir.StringValue:
    """The class of an answer, ``no_answer`` when there is none."""
    return ibis.cases(*[(answer.between(low, high), name) for name, low, high in SCORE_CLASSES[score]], else_=NO_ANSWER)


def class_of_sql(column: str, score: str) -> str:
    """``class_of`` as SQL text on ``column``."""
    branches = " ".join(f"WHEN {column} BETWEEN {low} AND {high} THEN '{name}'" for name, low, high in SCORE_CLASSES[score])
    return f"CASE {branches} ELSE '{NO_ANSWER}' END"


# --- customers ---------------------------------------------------------------------------------
# A purchase is a positive transaction; a paying customer has made one. The customer's churn is
# their first churn event at or after the first purchase (an earlier one belongs to the lead).
# Active at an instant t: bought before t and not churned before t.


def is_purchase(amount: ir.NumericValue) -> ir.BooleanValue:
    return amount > 0


def is_purchase_sql(amount: str = "amount") -> str:
    return f"{amount} > 0"


def customer_churn(churned_at: ir.TimestampValue, first_purchase_at: ir.TimestampValue) -> ir.TimestampValue:
    """The first churn event counts for the customer only at or after the first purchase."""
    return ibis.ifelse(churned_at >= first_purchase_at, churned_at, ibis.null("timestamp"))


def customer_churn_sql(churned_at: str, first_purchase_at: str) -> str:
    return f"CASE WHEN {churned_at} >= {first_purchase_at} THEN {churned_at} END"


def is_active_at(first_purchase_at: ir.TimestampValue, churned_at: ir.TimestampValue, at) -> ir.BooleanValue:
    """Bought before ``at`` and no churn (``customer_churn``) before it."""
    return (first_purchase_at < at) & (churned_at.isnull() | (churned_at >= at))


def not_churned_by_sql(churned_at: str, at: str) -> str:
    """The customer's churn (``customer_churn``) is not before ``at`` (SQL)."""
    return f"({churned_at} IS NULL OR {churned_at} >= {at})"


# --- anonymous rows ------------------------------------------------------------------------------
# A transaction or complaint loaded on purpose without a customer (``--anonymous``, the box on the
# Upload page) is anonymous: its amount is revenue, but no customer's (not in ARPU, LTV or cohorts).


def is_anonymous(customer_id: ir.Value) -> ir.BooleanValue:
    return customer_id.isnull()


def is_anonymous_sql(customer_id: str = "customer_id") -> str:
    return f"{customer_id} IS NULL"


# --- measures ----------------------------------------------------------------------------------


def survey_counts(surveys: ir.Table) -> dict[str, ir.Scalar]:
    """The counts NPS, CSAT and CES are made of, as aggregates over survey answers: ``nps_n``,
    ``promoters``, ``detractors``, ``csat_n``, ``satisfied`` (top two boxes of each answer's own
    scale), ``ces_n``, ``ces_sum``, ``ces_sum_squares``, and ``ces_scale_sum`` /
    ``ces_scale_sum_squares`` (the sum and sum of squares of the answers' scale tops: the answers
    share one scale exactly when n × Σtop² = (Σtop)², and it survives summing over days). The
    metrics sum them over a selection; the ``survey_daily`` rollup is these aggregates per day and
    dimensions."""
    ces = surveys.ces.cast("int64")
    ces_top = ibis.ifelse(surveys.ces.isnull(), ibis.null("int64"), scale_top(surveys, "ces"))
    return {
        "nps_n": surveys.nps.count(),
        "promoters": in_class(surveys.nps, "nps", "promoter").cast("int64").sum(),
        "detractors": in_class(surveys.nps, "nps", "detractor").cast("int64").sum(),
        "csat_n": surveys.csat.count(),
        "satisfied": (surveys.csat.cast("int64") >= top_box_lowest(scale_top(surveys, "csat"))).cast("int64").sum(),
        "ces_n": surveys.ces.count(),
        "ces_sum": ces.sum(),
        "ces_sum_squares": (ces * ces).sum(),
        "ces_scale_sum": ces_top.sum(),
        "ces_scale_sum_squares": (ces_top * ces_top).sum(),
    }


def common_scale_top(n: int, scale_sum, scale_sum_squares) -> int | None:
    """The scale top all ``n`` answers share, None when they mix scales (or there are none).

    >>> common_scale_top(3, 21, 147), common_scale_top(2, 12, 74)
    (7, None)
    """
    if n <= 0 or scale_sum is None:
        return None
    scale_sum, scale_sum_squares = int(scale_sum), int(scale_sum_squares or 0)
    if n * scale_sum_squares != scale_sum * scale_sum or scale_sum % n:
        return None
    return scale_sum // n


def stage_order(db) -> list[str]:
    """Stage names of ``journey_stages`` in journey order: by ``position``, then name."""
    stages = db.table("journey_stages")
    return stages.order_by([stages.position, stages.stage]).stage.execute().tolist()
