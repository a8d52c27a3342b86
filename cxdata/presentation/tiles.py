"""KPI tiles as plain data: what a tile says, its delta, and its hover help (no Streamlit here)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from cxdata.i18n import format_compact, format_number, format_value, register_text, translate
from cxdata.model.registry import ANONYMOUS_PARTS, METRICS, MIN_SAMPLE_SIZE
from cxdata.model.rules import scale_range
from cxdata.questions.overview import Overview


@dataclass(frozen=True)
class Tile:
    metric: str
    label: str
    value: str
    delta: str | None
    delta_color: str  # "normal" (up is good), "inverse" (up is bad) or "off", as st.metric takes it
    note: str  # sample size, small-sample flag and target status, shown under the value
    help: str  # the definition, shown on hover
    status: str | None  # "met", "missed" or None


def describe_metric(metric: str, lang: str, scale: str | None = None) -> str:
    """The hover definition: description, formula, scale (Markdown); ``scale``: the survey scale
    the selected answers share ("1_5"), stated instead of the registry's default range."""
    spec = METRICS[metric]
    return (
        f"**{spec.label(lang)}** — {spec.description(lang)}\n\n"
        f"{translate('formula', lang)}: `{spec.formula_text(lang)}`  \n"
        f"{translate('scale', lang)}: {spec.scale_text(lang) if scale is None else scale_words(scale, lang)}  \n"
        f"{translate('sample', lang)}: {spec.sample_text(lang)}"
    )


def scale_words(scale: str, lang: str) -> str:
    """A CES answer scale as its range: '1 … 5 (5 = easiest)'."""
    low, high = scale_range(scale)
    return translate("ces_scale_range", lang, low=low, high=high)


def build_tile(overview: Overview, metric: str, lang: str, currency: str = "") -> Tile:
    """The tile for ``metric`` on the overview."""
    spec = METRICS[metric]
    current, previous = overview.current[metric], overview.previous[metric]
    if current.gap is not None:  # the data it needs was never loaded: say so, not a number
        return Tile(
            metric=metric,
            label=spec.label(lang),
            value=translate("not_available_short", lang),
            delta=None,
            delta_color="off",
            note=current.gap.text(lang),
            help=describe_metric(metric, lang),
            status=None,
        )

    def fmt(value, compact=False):
        return format_value(value, spec.unit, lang, spec.decimals, currency, compact=compact)

    delta = describe_delta(current, previous, spec, lang)

    notes = [translate("n_equals", lang, n=format_number(current.n, lang))]
    if delta is None and current.value is not None and previous.value is not None and current.scale == previous.scale:
        notes.append(translate("no_delta_small_sample", lang, min=MIN_SAMPLE_SIZE))
    if current.scale is not None:  # the scale the selected answers share: the range the mean lives on
        low, high = scale_range(current.scale)
        notes.append(translate("answer_scale", lang, low=low, high=high))
    if spec.unit == "money" and current.value is not None:
        notes.insert(0, fmt(current.value))
    help_text = describe_metric(metric, lang, current.scale)
    anonymous = describe_anonymous_part(overview, metric, lang, currency)
    if anonymous is not None:  # said under the total, and defined on hover next to it
        notes.insert(1 if spec.unit == "money" else 0, anonymous)
        help_text += "\n\n" + describe_metric(ANONYMOUS_PARTS[metric][0], lang)
    if spec.depends_on_cohort_age:
        notes.append(translate("cohort_age_note", lang))
    if current.value is not None and current.is_small_sample:
        notes.append(f"⚠ {translate('small_sample', lang)}")
    if current.has_interval:
        notes.append(translate("interval", lang, low=fmt(current.low), high=fmt(current.high)))
    target = overview.targets.get(metric)
    status = overview.status(metric)
    if status is not None:
        mark = "✓" if status == "met" else "✗"
        notes.append(f"{mark} " + translate(f"target_{status}", lang, target=fmt(target)))
    return Tile(
        metric=metric,
        label=f"{spec.label(lang)}, {currency}" if spec.unit == "money" and currency else spec.label(lang),
        # Tiles are narrow: money is shortened there and its currency moves to the label.
        value=format_value(current.value, spec.unit, lang, spec.decimals, compact=True)
        if current.value is not None
        else translate("no_value", lang),
        delta=delta,
        # A cohort-age metric always "falls" for recent periods: show its delta without colour.
        delta_color="off" if spec.depends_on_cohort_age else "normal" if spec.higher_is_better else "inverse",
        note=" · ".join(notes),
        help=help_text,
        status=status,
    )


def describe_delta(current, previous, spec, lang: str) -> str | None:
    """The change vs the previous period as ``st.metric`` shows it ('+0.6 bn', '-1.20 pp'), or None
    when it would be computed from too little: a value missing on either side, a sample under
    ``MIN_SAMPLE_SIZE`` on either side, or means on different scales (CES on 1–5 now, 1–7 before).
    Money keeps the value's own scale ('2.1 bn' beside '+0.6 bn'); its currency is in the label."""
    if current.value is None or previous.value is None or current.scale != previous.scale:
        return None
    if min(current.n, previous.n) < MIN_SAMPLE_SIZE:
        return None
    change = current.value - previous.value
    suffix = {"%": " п.п." if lang == "ru" else " pp"}.get(spec.unit, "")
    # st.metric reads the arrow direction from a leading ASCII '-', so no typographic minus here.
    sign = "+" if change > 0 else "-" if change < 0 else ""
    if spec.unit == "money":
        size = format_compact(abs(change), lang, scale_of=current.value)
    else:
        size = format_number(abs(change), lang, spec.decimals)
    return f"{sign}{size}{suffix}"


register_text({
    "no_delta_small_sample": {
        "en": "no change shown: fewer than {min} in this or the previous period",
        "ru": "изменение не показано: меньше {min} в этом или прошлом периоде",
    },
})


def add_predicted_ratio(tile: Tile, value: float | None, state: str, lang: str, horizon_months: int) -> Tile:
    """The LTV/CAC tile with the predicted ratio after its note (or why it is not shown yet, for
    ``state`` other than ``ready``: ``cxdata.questions.fits``), the method in its help. A tile
    without a value (its data never loaded) stays as it is."""
    from cxdata.presentation.forecast_text import (
        describe_predicted_gap,
        describe_predicted_method,
        describe_predicted_ratio,
    )

    if tile.value in (translate("not_available_short", lang), translate("no_value", lang)):
        return tile
    text = describe_predicted_ratio(value, lang, horizon_months) if state == "ready" else describe_predicted_gap(state, lang)
    method = describe_predicted_method(lang, horizon_months)
    return replace(tile, note=f"{tile.note} · {text}", help=f"{tile.help}\n\n{method[:1].upper()}{method[1:]}.")
def describe_anonymous_part(overview: Overview, metric: str, lang: str, currency: str = "") -> str | None:
    """'of which 1,234 RUB (2.5%) anonymous — loaded without a customer', or None when nothing of
    ``metric`` in the period was loaded without a customer (or it has no anonymous part)."""
    if metric not in ANONYMOUS_PARTS:
        return None
    part_name, share_name = ANONYMOUS_PARTS[metric]
    part = overview.current.get(part_name)
    if part is None or part.gap is not None or part.value is None or not part.n:
        return None
    spec = METRICS[part_name]
    value = format_value(part.value, spec.unit, lang, spec.decimals, currency)
    share = overview.current.get(share_name) if share_name else None
    if share is None or share.value is None:
        return translate("anonymous_part", lang, value=value)
    share_spec = METRICS[share_name]
    smallest = 10 ** -share_spec.decimals  # a share that would round to 0 is not none: "< 0.1%"
    shown = format_value(max(share.value, smallest), share_spec.unit, lang, share_spec.decimals)
    return translate("anonymous_part_share", lang, value=value,
                     share=f"< {shown}" if 0 < share.value < smallest else shown)
