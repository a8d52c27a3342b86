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

# --- survey scales -------------------------------------------------------------------------------
# A score column is answered on one of these scales, named "<low>_<high>". NPS is asked only on
# 0–10 (its bands are defined there); CSAT and CES take the scales surveys use. The top of a CSAT
# or CES answer's scale is stored with it (``surveys.csat_scale`` / ``ces_scale``); an answer
# stored without one is on the default scale (the sample's: CSAT 1–5, CES 1–7). Every CSAT and
# CES answer is classed on its own scale (``classes_on_scale``).
SCALES: dict[str, tuple[int, int]] = {"0_10": (0, 10), "1_5": (1, 5), "1_7": (1, 7), "1_10": (1, 10)}
SCORE_SCALES: dict[str, tuple[str, ...]] = {"nps": ("0_10",), "csat": ("1_5", "1_7", "1_10"),
                                            "ces": ("1_5", "1_7", "1_10")}
DEFAULT_SCALE = {"nps": "0_10", "csat": "1_5", "ces": "1_7"}
# The score columns whose scale is stored per answer, and the column holding its top.
SCALE_COLUMNS = {"csat": "csat_scale", "ces": "ces_scale"}


def top_box_lowest(top: int) -> int:
    """The lowest answer in the top two boxes of a scale whose top answer is ``top``: CSAT counts
    an answer as satisfied from here up (4 on 1–5, 6 on 1–7, 9 on 1–10).

    >>> top_box_lowest(5), top_box_lowest(10)
    (4, 9)
    """
    return top - 1


def csat_classes(top: int) -> tuple[tuple[str, int, int], ...]:
    """CSAT's classes on the scale 1…``top``, best first: satisfied = the top two boxes,
    dissatisfied = the bottom two, neutral = the answers between (none on a scale of four).

    >>> csat_classes(5)
    (('satisfied', 4, 5), ('neutral', 3, 3), ('dissatisfied', 1, 2))
    >>> csat_classes(10)
    (('satisfied', 9, 10), ('neutral', 3, 8), ('dissatisfied', 1, 2))
    """
    low = 1
    return _non_empty((("satisfied", top_box_lowest(top), top), ("neutral", low + 2, top - 2), ("dissatisfied", low, low + 1)))


def ces_classes(top: int) -> tuple[tuple[str, int, int], ...]:
    """CES's classes on the scale 1…``top`` (top = least effort), best first: easy above the
    scale's middle, hard below it, neutral at it (a scale with an even number of answers has no
    middle answer, so no neutral one). On 1–7: easy 5–7, neutral 4, hard 1–3.

    >>> ces_classes(7)
    (('easy', 5, 7), ('neutral', 4, 4), ('hard', 1, 3))
    >>> ces_classes(5), ces_classes(10)
    ((('easy', 4, 5), ('neutral', 3, 3), ('hard', 1, 2)), (('easy', 6, 10), ('hard', 1, 5)))
    """
    low = 1
    middle_twice = low + top  # twice the middle, to stay in integers
    return _non_empty((("easy", middle_twice // 2 + 1, top), ("neutral", (middle_twice + 1) // 2, middle_twice // 2),
                       ("hard", low, (middle_twice + 1) // 2 - 1)))  # fmt: skip


def _non_empty(classes: tuple[tuple[str, int, int], ...]) -> tuple[tuple[str, int, int], ...]:
    return tuple((name, low, high) for name, low, high in classes if low <= high)


# The classes of the scores on a scale of their own, by the scale's top.
CLASSES_ON_SCALE = {"csat": csat_classes, "ces": ces_classes}
# Score -> its classes on its default scale, best first, as (class, lowest answer, highest answer).
SCORE_CLASSES: dict[str, tuple[tuple[str, int, int], ...]] = {
    "nps": (("promoter", 9, 10), ("passive", 7, 8), ("detractor", 0, 6)),
    **{score: classes(SCALES[DEFAULT_SCALE[score]][1]) for score, classes in CLASSES_ON_SCALE.items()},
}
NO_ANSWER = "no_answer"
# The class every other class of a score is compared with.
REFERENCE_CLASS = {score: classes[0][0] for score, classes in SCORE_CLASSES.items()}
COMPLAINT_STATUSES = ("none", "resolved", "unresolved")
# The scores whose poor answers at a touchpoint are the drivers' "exposure" (``is_poor``).
DRIVER_SCORES = ("csat", "ces")


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


def default_top(score: str) -> int:
    """The top of ``score``'s default scale.

    >>> default_top("csat"), default_top("ces"), default_top("nps")
    (5, 7, 10)
    """
    return SCALES[DEFAULT_SCALE[score]][1]


def scale_top(surveys: ir.Table, score: str) -> ir.IntegerValue:
    """The top of each answer's declared scale (the default scale's for answers stored without
    one, for a table laid out before scales were stored, and for NPS, asked on 0–10 only)."""
    default = default_top(score)
    column = SCALE_COLUMNS.get(score)
    if column is None or column not in surveys.columns:
        return ibis.literal(default, "int64")
    return surveys[column].cast("int64").fill_null(default)


def scale_top_sql(score: str, alias: str = "") -> str:
    """``scale_top`` as SQL text on the surveys table (``alias``: its alias in the query)."""
    if score not in SCALE_COLUMNS:
        return str(default_top(score))
    prefix = f"{alias}." if alias else ""
    return f"coalesce(CAST({prefix}{SCALE_COLUMNS[score]} AS BIGINT), {default_top(score)})"


def classes_on_scale(score: str, top: int | None = None) -> tuple[tuple[str, int, int], ...]:
    """The classes of ``score`` on the scale whose top is ``top`` (default: the default scale's).

    >>> classes_on_scale("csat", 7)
    (('satisfied', 6, 7), ('neutral', 3, 5), ('dissatisfied', 1, 2))
    """
    if top is None or top == default_top(score) or score not in CLASSES_ON_SCALE:
        return SCORE_CLASSES[score]
    return CLASSES_ON_SCALE[score](top)


def _tops(score: str) -> list[int]:
    return [SCALES[scale][1] for scale in SCORE_SCALES[score]]


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


def class_of(answer: ir.NumericValue, score: str, top: ir.IntegerValue | None = None) -> ir.StringValue:
    """The class of an answer on its scale (``top``: the top of each answer's scale, ``scale_top``;
    None: the default scale), ``no_answer`` when there is none."""
    if top is None or score not in CLASSES_ON_SCALE:
        return ibis.cases(*[(answer.between(low, high), name) for name, low, high in SCORE_CLASSES[score]],
                          else_=NO_ANSWER)  # fmt: skip
    top = top.fill_null(default_top(score))
    return ibis.cases(*[((top == scale) & answer.between(low, high), name)
                        for scale in _tops(score) for name, low, high in classes_on_scale(score, scale)],
                      else_=NO_ANSWER)  # fmt: skip


def class_of_sql(column: str, score: str, top: str | None = None) -> str:
    """``class_of`` as SQL text on ``column``, ``top`` the SQL of its scale's top (None: the default)."""
    if top is None or score not in CLASSES_ON_SCALE:
        branches = " ".join(f"WHEN {column} BETWEEN {low} AND {high} THEN '{name}'" for name, low, high in SCORE_CLASSES[score])
    else:
        branches = " ".join(
            f"WHEN coalesce({top}, {default_top(score)}) = {scale} AND {column} BETWEEN {low} AND {high} THEN '{name}'"
            for scale in _tops(score) for name, low, high in classes_on_scale(score, scale)
        )
    return f"CASE {branches} ELSE '{NO_ANSWER}' END"


def poor_below(score: str, top: int | None = None) -> int:
    """A driver's poor answer is below this on the scale whose top is ``top``: below the satisfied
    (CSAT) or easy (CES) class.

    >>> poor_below("csat"), poor_below("ces"), poor_below("csat", 10), poor_below("ces", 5)
    (4, 5, 9, 4)
    """
    return classes_on_scale(score, top)[0][1]


def is_poor(answer: ir.NumericValue, score: str, top: ir.IntegerValue) -> ir.BooleanValue:
    """The answer on its scale (``top``) is poor (``poor_below``); null for no answer."""
    return answer < ibis.cases(*[(top == scale, poor_below(score, scale)) for scale in _tops(score)],
                               else_=poor_below(score))  # fmt: skip


def is_poor_sql(column: str, score: str, top: str) -> str:
    """``is_poor`` as SQL text on ``column`` and the SQL of its scale's top."""
    branches = " ".join(f"WHEN {scale} THEN {poor_below(score, scale)}" for scale in _tops(score))
    return f"{column} < CASE {top} {branches} ELSE {poor_below(score)} END"


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


# --- complaints ----------------------------------------------------------------------------------


def is_unresolved_by(resolved_at: ir.TimestampValue, end) -> ir.BooleanValue:
    """A complaint is unresolved at the instant ``end`` (midnight after the as-of date) when it has
    no resolution date or one at or after ``end``."""
    return resolved_at.isnull() | (resolved_at >= end)


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


# --- unit economics: the one definition of "pays back" and of a plausible lifetime --------------

# Healthy acquisition: LTV at least this many times CAC (the usual standard; the registry's LTV/CAC).
LTV_CAC_STANDARD = 3.0
# An expected lifetime past this is an extrapolation, not a measurement: shown as "over 10 years",
# and a payback is only "expected" within it.
PLAUSIBLE_LIFETIME_MONTHS = 120.0
# Whether a group's acquisition cost is recovered, in one of three words (None: not known).
PAYBACK_STATUSES = ("paid_back", "expected", "never")


def payback_status(ltv_cac: float | None, payback_months: float | None, lifetime_months: float | None,
                   monthly_revenue: float | None) -> str | None:  # fmt: skip
    """Whether the average paying customer of a group recovers its CAC.

    - ``paid_back``: the revenue to date already covers the CAC (LTV/CAC ≥ 1);
    - ``expected``: not yet (LTV/CAC < 1), but the payback fits within the expected lifetime, capped
      at ``PLAUSIBLE_LIFETIME_MONTHS`` (a lifetime without churn observed counts as the cap);
    - ``never``: no positive monthly revenue, or a payback longer than that lifetime;
    - None: not known (no LTV/CAC: no CAC or no paying customer; or no payback or lifetime).

    So "pays back" never stands beside an LTV/CAC below 1 without saying "not yet".

    >>> [payback_status(*row) for row in ((1.2, 3, 10, 50), (0.54, 2.9, 108.9, 40), (0.5, 30, 12, 5),
    ...                                   (0.5, 130, float("inf"), 5), (0.0, None, 4, 0), (None, 2, 10, 50))]
    ['paid_back', 'expected', 'never', 'never', 'never', None]
    """
    if ltv_cac is None or ltv_cac != ltv_cac:
        return None
    if ltv_cac >= 1:
        return "paid_back"
    if monthly_revenue is not None and monthly_revenue == monthly_revenue and monthly_revenue <= 0:
        return "never"
    if payback_months is None or lifetime_months is None or payback_months != payback_months \
            or lifetime_months != lifetime_months:
        return None
    return "expected" if payback_months <= min(lifetime_months, PLAUSIBLE_LIFETIME_MONTHS) else "never"


def lifetime_note(lifetime_months: float | None) -> str | None:
    """Why an expected lifetime is not shown as a number: ``no_churn`` (infinite: no churn
    observed among the group's paying customers, so it cannot be measured) or ``over_cap``
    (longer than ``PLAUSIBLE_LIFETIME_MONTHS``); None when the number stands.

    >>> [lifetime_note(v) for v in (59.7, 487.6, float("inf"), None)]
    [None, 'over_cap', 'no_churn', None]
    """
    if lifetime_months is None or lifetime_months != lifetime_months:
        return None
    if lifetime_months == float("inf"):
        return "no_churn"
    return "over_cap" if lifetime_months > PLAUSIBLE_LIFETIME_MONTHS else None


def is_below_standard(ltv_cac: float | None) -> bool | None:
    """Whether LTV/CAC is under ``LTV_CAC_STANDARD`` (None when there is none).

    >>> [is_below_standard(v) for v in (0.54, 3.0, None)]
    [True, False, None]
    """
    if ltv_cac is None or ltv_cac != ltv_cac:
        return None
    return bool(ltv_cac < LTV_CAC_STANDARD)
