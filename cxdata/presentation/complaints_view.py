"""The complaints page as plain data: tiles, charts, tables and texts in EN/RU (no Streamlit).

Every value from the data (categories, stages, channels, regions, complaint texts) is shown by
its display name where the product has one, and always as text: tables go to ``st.dataframe``
and charts through ``make_figure``, which escapes plotly's markup.
"""

from __future__ import annotations

import pandas as pd

from cxdata.i18n import display_name, format_number, format_value, register_text, translate
from cxdata.analysis.stats import two_proportion_z
from cxdata.model.registry import METRICS, MIN_SAMPLE_SIZE
from cxdata.presentation.charts import COLORS, SMALL_SAMPLE, build_unavailable_figure, make_figure
from cxdata.presentation.outlook_text import value_label
from cxdata.presentation.tiles import Tile, describe_metric
from cxdata.questions.complaints import NOT_STATED, ComplaintsView

TEXT = {
    "complaints_headline": {
        "en": "{share} of the complaints of this selection are unresolved and {overdue} took longer than the "
              "standard; customers with an unresolved complaint churned {churn_unresolved} against {churn_others}.",
        "ru": "{share} жалоб этого выбора не решены, {overdue} решались дольше стандарта; клиенты с нерешённой "
              "жалобой ушли в {churn_unresolved} случаев против {churn_others} у остальных.",
    },
    "complaints_headline_worst": {
        "en": "Most left unresolved: {where}, {share} of its {n} complaints against {others} elsewhere.",
        "ru": "Больше всего нерешённых: {where} — {share} из {n} жалоб против {others} в остальных.",
    },
    "complaints_section_volume": {"en": "Volume over time", "ru": "Число жалоб по месяцам"},
    "complaints_section_breakdown": {"en": "Where they come from", "ru": "Откуда они"},
    "complaints_section_standard": {"en": "Resolution against the standard", "ru": "Решение в сравнении со стандартом"},
    "complaints_section_churn": {"en": "Link to churn and money", "ru": "Связь с оттоком и деньгами"},
    "complaints_section_verbatims": {"en": "What customers wrote", "ru": "Что пишут клиенты"},
    "complaints_dimension_category": {"en": "Category", "ru": "Категория"},
    "complaints_dimension_touchpoint": {"en": "Journey stage", "ru": "Этап пути"},
    "complaints_dimension_channel": {"en": "Channel", "ru": "Канал"},
    "complaints_dimension_region": {"en": "Region", "ru": "Регион"},
    "complaints_breakdown_by": {"en": "Break down by", "ru": "Разбивка"},
    "complaints_month_title": {"en": "Complaints per 1,000 active customers, by month",
                               "ru": "Жалобы на 1 000 активных клиентов по месяцам"},
    "complaints_rate_title": {"en": "Complaints per 1,000 active customers by {dimension}",
                              "ru": "Жалобы на 1 000 активных клиентов: {dimension}"},
    "complaints_column_complaints": {"en": "Complaints", "ru": "Жалобы"},
    "complaints_column_rate": {"en": "Per 1,000 customers", "ru": "На 1 000 клиентов"},
    "complaints_column_unresolved": {"en": "Unresolved, %", "ru": "Не решены, %"},
    "complaints_column_overdue": {"en": "Overdue, %", "ru": "Просрочены, %"},
    "complaints_column_median": {"en": "Median resolution, h", "ru": "Медиана решения, ч"},
    "complaints_column_target": {"en": "Standard, h", "ru": "Стандарт, ч"},
    "complaints_column_opened": {"en": "Opened", "ru": "Открыта"},
    "complaints_column_status": {"en": "Status", "ru": "Статус"},
    "complaints_column_text": {"en": "Complaint", "ru": "Жалоба"},
    "complaints_status_unresolved": {"en": "unresolved", "ru": "не решена"},
    "complaints_status_resolved": {"en": "resolved", "ru": "решена"},
    "complaints_hover": {"en": "{value} per 1,000<br>complaints: {n}<br>unresolved: {unresolved}",
                         "ru": "{value} на 1 000<br>жалоб: {n}<br>не решены: {unresolved}"},
    "complaints_hours": {"en": "{value} h", "ru": "{value} ч"},
    "complaints_no_target": {"en": "no standard set", "ru": "стандарт не задан"},
    "complaints_churn_unresolved": {"en": "Churned: with an unresolved complaint",
                                    "ru": "Ушли: с нерешённой жалобой"},
    "complaints_churn_others": {"en": "Churned: the other customers", "ru": "Ушли: остальные клиенты"},
    "complaints_stake_note": {"en": "{n} customers, revenue of the last 12 months",
                              "ru": "клиентов: {n}, выручка за 12 месяцев"},
    "complaints_reopenings": {"en": "Reopened complaints", "ru": "Повторно открытые жалобы"},
    "complaints_refunds": {"en": "Refunds on complaints", "ru": "Возвраты по жалобам"},
    "complaints_reopenings_missing": {
        "en": "not available: complaints carry no reopening date — load complaints with the date each was reopened",
        "ru": "нет данных: у жалоб нет даты повторного открытия — загрузите жалобы с датой повторного открытия",
    },
    "complaints_refunds_missing": {
        "en": "not available: no refund is linked to a complaint — load complaints with the refunded amount",
        "ru": "нет данных: возвраты не связаны с жалобами — загрузите жалобы с суммой возврата",
    },
    "complaints_verbatim_all": {"en": "all", "ru": "все"},
    "complaints_verbatim_count": {"en": "{shown} newest of the selection's complaints with a text",
                                  "ru": "последние {shown} жалоб выбора с текстом"},
    "complaints_verbatim_none": {"en": "No complaint text for this choice.", "ru": "Для этого выбора нет текстов жалоб."},
    "complaints_empty": {
        "en": "No complaints for this selection ({caption}). Widen the period or remove some filters.",
        "ru": "Нет жалоб для этого выбора ({caption}). Расширьте период или уберите часть фильтров.",
    },
}
register_text(TEXT)

DIMENSIONS = ("category", "touchpoint", "channel", "region")


def display_value(dimension: str, value: str, lang: str, stage_labels: dict[str, str]) -> str:
    """A category, stage, channel or region as the reader calls it ('Задержка доставки', 'Сибирь');
    a value the product has no name for is shown as the data has it."""
    if value == NOT_STATED:
        return display_name("reason", NOT_STATED, lang)
    if dimension == "category":
        return display_name("category", value, lang)
    if dimension == "touchpoint":
        return stage_labels.get(value, value)
    return value_label(dimension, value, lang)


def dimension_values(view: ComplaintsView, dimension: str) -> list[str]:
    """The values of ``dimension`` among the selection's complaints, most complaints first."""
    return view.breakdown.loc[view.breakdown["dimension"] == dimension, "value"].tolist()


def build_complaint_tile(view: ComplaintsView, metric: str, lang: str, currency: str = "", label: str | None = None,
                         value=None) -> Tile:  # fmt: skip
    """A tile of the complaints page: its value, n, small-sample flag and interval; the definition on hover."""
    spec = METRICS[metric]
    current = view.metrics[metric] if value is None else value
    label = label or (f"{spec.label(lang)}, {currency}" if spec.unit == "money" and currency else spec.label(lang))
    if current.gap is not None:
        return Tile(metric, label, translate("not_available_short", lang), None, "off", current.gap.text(lang),
                    describe_metric(metric, lang), None)  # fmt: skip
    notes = [translate("n_equals", lang, n=format_number(current.n, lang))]
    if current.value is not None and current.is_small_sample:
        notes.append(f"⚠ {translate('small_sample', lang)}")
    if current.has_interval:
        notes.append(translate("interval", lang, low=_format(current.low, spec, lang), high=_format(current.high, spec, lang)))
    if metric == "revenue_at_stake":
        notes = [translate("complaints_stake_note", lang, n=format_number(current.n, lang))]
    shown = (format_value(current.value, spec.unit, lang, spec.decimals, compact=True) if spec.unit == "money"
             else _format(current.value, spec, lang)) if current.value is not None else translate("no_value", lang)
    return Tile(metric, label, shown, None, "off", " · ".join(notes), describe_metric(metric, lang), None)


def _format(value, spec, lang: str) -> str:
    if spec.name == "resolution_hours":
        return translate("complaints_hours", lang, value=format_number(value, lang, spec.decimals))
    return format_value(value, spec.unit, lang, spec.decimals)


def build_headline(view: ComplaintsView, lang: str) -> str:
    """One sentence: unresolved and overdue shares, and the churn of the customers left waiting."""
    share = METRICS["unresolved_share"]

    def percent(value) -> str:
        return "—" if value is None or value.value is None else format_value(value.value, "%", lang, share.decimals)

    text = translate("complaints_headline", lang, share=percent(view.metrics["unresolved_share"]),
                     overdue=percent(view.metrics["overdue_share"]), churn_unresolved=percent(view.churn["unresolved"]),
                     churn_others=percent(view.churn["others"]))  # fmt: skip
    worst = find_most_unresolved(view.breakdown)
    if worst is None:
        return text
    where = display_value(worst["dimension"], worst["value"], lang, {})
    return text + " " + translate(
        "complaints_headline_worst", lang, where=where, n=format_number(worst["complaints"], lang),
        share=format_value(worst["unresolved_share"], "%", lang, share.decimals),
        others=format_value(worst["others_share"], "%", lang, share.decimals),
    )


WORST_DIMENSIONS = ("region", "channel", "category")
WORST_Z = 3.0


def find_most_unresolved(breakdown: pd.DataFrame) -> dict | None:
    """The region, channel or category (in that order of preference on a tie) that leaves the
    largest share of its complaints unresolved, when it stands out: at least ``MIN_SAMPLE_SIZE``
    complaints and a two-proportion z of at least ``WORST_Z`` against the rest of its dimension
    (three dimensions of a handful of values each are compared, hence a bar above 2). None
    when nothing stands out. Adds ``others_share`` (%) and ``z``.

    >>> rows = pd.DataFrame({"dimension": ["region"] * 3, "value": ["North", "South", "East"],
    ...                      "complaints": [200, 200, 10], "unresolved": [80, 40, 9]})
    >>> worst = find_most_unresolved(rows)
    >>> worst["value"], worst["unresolved_share"], round(worst["others_share"], 1), round(worst["z"], 2)
    ('North', 40.0, 23.3, 3.63)
    """
    best = None
    for dimension in WORST_DIMENSIONS:
        rows = breakdown[breakdown["dimension"] == dimension]
        total, unresolved = int(rows["complaints"].sum()), int(rows["unresolved"].sum())
        for row in rows.to_dict("records"):
            n, x = int(row["complaints"]), int(row["unresolved"])
            if n < MIN_SAMPLE_SIZE or total - n <= 0:
                continue
            z = two_proportion_z(x, n, unresolved - x, total - n)
            if z >= WORST_Z and (best is None or x / n > best["unresolved_share"] / 100):
                best = {"dimension": dimension, "value": row["value"], "complaints": n, "z": z,
                        "unresolved_share": 100.0 * x / n, "others_share": 100.0 * (unresolved - x) / (total - n)}
    return best


def build_month_figure(view: ComplaintsView, lang: str, caption: str) -> dict:
    """Complaints per 1,000 active customers per month; months of a small sample in amber."""
    title = translate("complaints_month_title", lang)
    gap = view.metrics["complaint_rate"].gap
    if gap is not None:
        return build_unavailable_figure(title, caption, gap.text(lang))
    months = view.months
    text = [translate("complaints_hover", lang, value=format_number(rate, lang, 1), n=format_number(n, lang),
                      unresolved=format_number(unresolved, lang))
            for rate, n, unresolved in zip(months["rate"], months["complaints"], months["unresolved"], strict=True)]
    trace = {"type": "scatter", "mode": "lines+markers", "x": [str(d) for d in months["period_start"]],
             "y": [None if pd.isna(r) else float(r) for r in months["rate"]], "line": {"color": COLORS["line"]},
             "marker": {"color": [COLORS["flag"] if n < SMALL_SAMPLE else COLORS["line"] for n in months["complaints"]]},
             "customdata": [[t] for t in text], "hovertemplate": "%{x}<br>%{customdata[0]}<extra></extra>"}  # fmt: skip
    layout = {"title": {"text": title, "subtitle": {"text": caption}, "x": 0, "xanchor": "left"},
              "margin": {"l": 10, "r": 10, "t": 60, "b": 10}, "height": 300, "showlegend": False,
              "xaxis": {"type": "category"}, "yaxis": {"rangemode": "tozero"}}  # fmt: skip
    return make_figure([trace], layout)


def build_breakdown_figure(view: ComplaintsView, dimension: str, lang: str, caption: str,
                           stage_labels: dict[str, str]) -> dict:  # fmt: skip
    """Horizontal bars: complaints per 1,000 active customers by ``dimension``, the unresolved on hover."""
    name = translate(f"complaints_dimension_{dimension}", lang)
    title = translate("complaints_rate_title", lang, dimension=name.lower())
    gap = view.metrics["complaint_rate"].gap
    if gap is not None:
        return build_unavailable_figure(title, caption, gap.text(lang))
    rows = view.breakdown[view.breakdown["dimension"] == dimension].iloc[::-1]
    labels = [display_value(dimension, v, lang, stage_labels) for v in rows["value"]]
    text = [translate("complaints_hover", lang, value=format_number(rate, lang, 1), n=format_number(n, lang),
                      unresolved=format_value(share, "%", lang, 1))
            for rate, n, share in zip(rows["rate"], rows["complaints"], rows["unresolved_share"], strict=True)]
    trace = {"type": "bar", "orientation": "h", "x": [None if pd.isna(r) else float(r) for r in rows["rate"]],
             "y": labels, "marker": {"color": COLORS["line"]}, "customdata": [[t] for t in text],
             "hovertemplate": "%{y}<br>%{customdata[0]}<extra></extra>"}  # fmt: skip
    layout = {"title": {"text": title, "subtitle": {"text": caption}, "x": 0, "xanchor": "left"},
              "margin": {"l": 10, "r": 10, "t": 60, "b": 10}, "height": 120 + 32 * len(rows), "showlegend": False}
    return make_figure([trace], layout)


def build_breakdown_table(view: ComplaintsView, dimension: str, lang: str, stage_labels: dict[str, str]) -> pd.DataFrame:
    """The breakdown by ``dimension`` with display names and translated headers (numbers stay numbers)."""
    rows = view.breakdown[view.breakdown["dimension"] == dimension]
    table = pd.DataFrame({
        translate(f"complaints_dimension_{dimension}", lang): [display_value(dimension, v, lang, stage_labels)
                                                               for v in rows["value"]],
        translate("complaints_column_complaints", lang): rows["complaints"].to_numpy(),
        translate("complaints_column_rate", lang): rows["rate"].round(1).to_numpy(),
        translate("complaints_column_unresolved", lang): rows["unresolved_share"].round(1).to_numpy(),
        translate("complaints_column_overdue", lang): rows["overdue_share"].round(1).to_numpy(),
        translate("complaints_column_median", lang): rows["median_hours"].round(1).to_numpy(),
    })  # fmt: skip
    if dimension == "category":
        table[translate("complaints_column_target", lang)] = rows["target_hours"].to_numpy()
    return table


def build_verbatim_table(verbatims: pd.DataFrame, lang: str, stage_labels: dict[str, str]) -> pd.DataFrame:
    """The complaint texts with their category, stage, channel and status in the reader's words."""
    status = {True: translate("complaints_status_unresolved", lang), False: translate("complaints_status_resolved", lang)}
    table = {translate("complaints_column_opened", lang): pd.to_datetime(verbatims["opened_at"]).dt.date}
    for dimension in DIMENSIONS:
        table[translate(f"complaints_dimension_{dimension}", lang)] = [
            display_value(dimension, v, lang, stage_labels) for v in verbatims[dimension]]
    table[translate("complaints_column_status", lang)] = [status[bool(v)] for v in verbatims["is_unresolved"]]
    table[translate("complaints_column_text", lang)] = verbatims["text"].astype(str).to_numpy()
    return pd.DataFrame(table)
