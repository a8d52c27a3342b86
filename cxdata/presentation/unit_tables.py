"""The unit-economics tables of the money page and the sentence under them, as display frames.

"Pays back" has one definition (``cxdata.model.rules.payback_status``): the table's column, the
sentence and the command line's ``money`` output all read ``payback_status`` of
``cxdata.questions.money_units.fetch_unit_economics``. Pure functions: no query, no Streamlit.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from cxdata.i18n import display_name, format_number, register_text, translate
from cxdata.model.rules import LTV_CAC_STANDARD, PLAUSIBLE_LIFETIME_MONTHS
from cxdata.presentation.cells import NumberText, number_text
from cxdata.presentation.money_text import class_label
from cxdata.questions.money_units import gap_of

SMALL = "⚠ "
BELOW = "✗ "  # LTV/CAC under the standard

register_text({
    "money_status_paid_back": {"en": "yes: paid back (LTV ≥ CAC)", "ru": "да: окупился (LTV ≥ CAC)"},
    "money_status_expected": {"en": "not yet: within its lifetime", "ru": "пока нет: в пределах срока жизни"},
    "money_status_never": {"en": "never", "ru": "никогда"},
    "money_lifetime_no_churn": {"en": "not measurable: no churn observed", "ru": "не измерить: оттока не было"},
    "money_lifetime_over_cap": {"en": "over {years} years", "ru": "более {years} лет"},
    "money_col_standard": {"en": "LTV / CAC ≥ {standard}", "ru": "LTV / CAC ≥ {standard}"},
    "money_standard_below": {"en": "✗ below", "ru": "✗ ниже"},
    "money_standard_met": {"en": "✓ met", "ru": "✓ выполнен"},
    "money_payback_summary": {
        "en": "Paid back already (LTV ≥ CAC): {paid}. Not yet, expected within the lifetime: {expected}. "
        "Never pays back: {never}.",
        "ru": "Уже окупились (LTV ≥ CAC): {paid}. Пока нет, но окупятся за срок жизни: {expected}. "
        "Не окупятся: {never}.",
    },
    "money_below_standard": {
        "en": "Below the LTV / CAC standard of {standard}: {groups}.",
        "ru": "Ниже нормы LTV / CAC = {standard}: {groups}.",
    },
    "money_none": {"en": "none", "ru": "нет"},
})


def describe_payback(status: str | None, lang: str) -> str:
    """The "Pays back" cell: 'yes: paid back (LTV ≥ CAC)', 'not yet: within its lifetime', 'never', '—'."""
    return translate(f"money_status_{status}", lang) if isinstance(status, str) else "—"  # None or NaN: not known


def describe_lifetime(months: float | None, note: str | None, lang: str) -> str:
    """The expected lifetime in months, or why it is no number ('not measurable: no churn observed',
    'over 10 years'); '—' without one."""
    if note == "no_churn":
        return translate("money_lifetime_no_churn", lang)
    if note == "over_cap":
        return translate("money_lifetime_over_cap", lang, years=format_number(PLAUSIBLE_LIFETIME_MONTHS / 12, lang))
    return number_text(months, "months", lang, 1)


def _standard(is_below, lang: str) -> str:
    """'✗ below' / '✓ met' the LTV/CAC standard; '—' when there is no LTV/CAC (None or NaN)."""
    if is_below is True or is_below is False:
        return translate("money_standard_below" if is_below else "money_standard_met", lang)
    return "—"


def _payback_months(value, lang: str) -> str:
    shown = number_text(value, "months", lang, 1)
    return translate("money_status_never", lang) if shown == "—" else shown


def build_unit_table(units: pd.DataFrame, lang: str, currency: str, *, by_class: bool = False) -> pd.DataFrame:
    """Per acquisition channel (``by_class``: per channel × promoter/passive/detractor): paying
    customers, CAC, LTV, LTV/CAC (✗ below the standard of 3, said again in its own column), payback
    and expected lifetime in months, whether it pays back (``payback_status``).

    A value without its data says so: the first cell a gap empties in a row carries the whole
    "not available: <reason> — <what to load>", the others of that gap "not available"."""
    rows = []
    standard = format_number(LTV_CAC_STANDARD, lang)
    # Records, not itertuples: a few dozen rows, and pandas' per-row access costs more than the text.
    for u in (SimpleNamespace(**r) for r in units.to_dict("records") if r["cx_class"] in unit_classes(by_class)):
        channel = (translate("money_all_channels", lang) if u.acquisition_channel == "all"
                   else display_name("acquisition_channel", u.acquisition_channel, lang))
        row = {translate("money_col_channel", lang): channel}
        if by_class:
            row[translate("money_class", lang)] = class_label("nps", u.cx_class, lang)
        paying = number_text(u.paying, "count", lang, 0)
        row[translate("money_col_paying", lang)] = paying.with_text(f"{paying} {SMALL.strip()}") if u.is_small_sample else paying
        ratio = number_text(u.ltv_cac, "ratio", lang, 2)
        if u.is_below_standard is True and isinstance(ratio, NumberText):
            ratio = ratio.with_text(BELOW + ratio)
        said = set()  # the gaps whose whole text this row already shows
        for column, header, text in (
            ("cac", "money_col_cac", number_text(u.cac, "money", lang, 0, currency)),
            ("ltv", "money_col_ltv", number_text(u.ltv, "money", lang, 0, currency)),
            ("ltv_cac", "money_col_ltv_cac", ratio),
            ("is_below_standard", "money_col_standard", _standard(u.is_below_standard, lang)),
            ("payback_months", "money_col_payback", _payback_months(u.payback_months, lang)),
            ("expected_lifetime_months", "money_col_lifetime", describe_lifetime(u.expected_lifetime_months,
                                                                                 u.lifetime_note, lang)),
            ("payback_status", "money_col_pays_back", describe_payback(u.payback_status, lang)),
        ):  # fmt: skip
            gap = gap_of(u, column)
            if gap is not None:
                text = translate("not_available_short", lang) if gap in said else gap.text(lang)
                said.add(gap)
            row[translate(header, lang, standard=standard)] = text
        rows.append(row)
    return pd.DataFrame(rows, dtype=object)  # object: the cells keep their numbers (cxdata.presentation.cells)


def unit_classes(by_class: bool) -> tuple[str, ...]:
    """The unit-economics rows a table shows: per channel, or per channel × these NPS classes."""
    return ("promoter", "passive", "detractor") if by_class else ("all",)


def add_predicted_columns(table: pd.DataFrame, units: pd.DataFrame, predicted: pd.DataFrame, lang: str,
                          currency: str, *, by_class: bool = False) -> pd.DataFrame:  # fmt: skip
    """``build_unit_table``'s table with the predicted LTV and LTV/CAC after its LTV/CAC column
    (``predicted``: ``cxdata.questions.predicted_value.predict_unit_economics`` of ``units``)."""
    shown = units["cx_class"].isin(unit_classes(by_class)).to_numpy()
    rows = predicted[shown]
    columns = {
        translate("predicted_ltv_label", lang): [number_text(v, "money", lang, 0, currency) for v in rows["predicted_ltv"]],
        translate("predicted_ltv_cac_label", lang): [
            translate("not_available_short", lang) if gap_of(unit, "ltv_cac") is not None
            else number_text(v, "ratio", lang, 2)
            for unit, v in zip(units[shown].to_dict("records"), rows["predicted_ltv_cac"], strict=True)
        ],  # a slice without acquisition costs has no CAC to divide by: said, as in the LTV/CAC column
    }
    result = table.copy()
    after = list(result.columns).index(translate("money_col_ltv_cac", lang)) + 1
    for offset, (name, values) in enumerate(columns.items()):
        result.insert(after + offset, name, values)
    return result


def describe_never_paying_back(units: pd.DataFrame, lang: str) -> str:
    """The channels and NPS classes (with paying customers) by ``payback_status``: paid back,
    expected within the lifetime, never; those below the LTV/CAC standard; then the channels whose
    payback is not known and why (no acquisition costs, no churn events). The same words as the
    table's "Pays back" column, so the sentence never says "pays back" of an LTV/CAC under 1."""
    data = units[(units.cx_class != "no_answer") & (units.acquisition_channel != "all") & (units.paying > 0)]

    def groups(rows: pd.DataFrame) -> str:
        names = [display_name("acquisition_channel", row.acquisition_channel, lang) if row.cx_class == "all" else
                 f"{class_label('nps', row.cx_class, lang)} · {display_name('acquisition_channel', row.acquisition_channel, lang)}"
                 for row in rows.itertuples()]
        return "; ".join(names) or translate("money_none", lang)

    status = data.payback_status
    text = translate("money_payback_summary", lang, paid=groups(data[status.eq("paid_back")]),
                     expected=groups(data[status.eq("expected")]), never=groups(data[status.eq("never")]))
    below = data[data.is_below_standard.eq(True) & data.cx_class.eq("all")]
    if not below.empty:
        text += " " + translate("money_below_standard", lang, standard=format_number(LTV_CAC_STANDARD, lang),
                                groups=groups(below))
    unknown = data[status.isna()]
    if unknown.empty:
        return text
    gaps = dict.fromkeys(gap for row in unknown.to_dict("records") if (gap := gap_of(row, "payback_status")) is not None)
    channels = ", ".join(sorted({display_name("acquisition_channel", c, lang) for c in unknown.acquisition_channel}))
    reasons = "; ".join(gap.text(lang) for gap in gaps) or translate("not_available_short", lang)
    return f"{text} {translate('money_pays_back_unknown', lang, channels=channels, reasons=reasons)}"
