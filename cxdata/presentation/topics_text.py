"""What customers write, in words, a table and a chart: from ``cxdata.questions.topics`` reports.

Topic words and example texts are data: they go out as plain strings (a table cell, a chart label
through ``make_figure``, or a sentence the page escapes with ``markdown_text``), never as markup.
"""

from __future__ import annotations

import pandas as pd

from cxdata.i18n import format_number, format_value, register_text, translate
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.presentation.charts import build_unavailable_figure, make_figure
from cxdata.presentation.money_tables import SMALL

TOPICS_IN_CHART = 6

register_text({
    "voice_source": {"en": "Texts", "ru": "Тексты"},
    "voice_source_complaints": {"en": "Complaints", "ru": "Жалобы"},
    "voice_source_comments": {"en": "Survey comments", "ru": "Комментарии к опросам"},
    "voice_fitting": {"en": "Finding the topics of the texts…", "ru": "Ищем темы текстов…"},
    "voice_reason_no_texts_complaints": {"en": "No complaint texts loaded: load complaints with their text.",
                                         "ru": "Тексты жалоб не загружены: загрузите жалобы вместе с текстом."},
    "voice_reason_no_texts_comments": {"en": "No survey comments loaded: load survey answers with their comments.",
                                       "ru": "Комментарии к опросам не загружены: загрузите ответы вместе с комментариями."},
    "voice_reason_too_few_texts": {"en": "Too few distinct texts to find topics (at least 3 are needed).",
                                   "ru": "Слишком мало разных текстов, чтобы найти темы (нужно хотя бы 3)."},
    "voice_no_texts_in_period": {"en": "No texts in the selected period and filters.",
                                 "ru": "За выбранный период и фильтры текстов нет."},
    "voice_headline": {
        "en": "{texts} texts in the selection, {topics} topics. The largest, “{words}”: {size} texts ({share}); "
              "its writers churned {churn} against {others} of the other writers.",
        "ru": "{texts} текстов в выборке, тем: {topics}. Самая большая, «{words}»: {size} текстов ({share}); "
              "ушли {churn} её авторов против {others} у остальных писавших.",
    },
    "voice_agreement": {
        "en": "Check against the complaints' own categories ({n} complaints): {purity} of the texts are in a topic "
              "whose most common category is their own (one topic for everything would give {baseline}); "
              "adjusted Rand index {ari} (1 = the same grouping, 0 = chance).",
        "ru": "Проверка по собственным категориям жалоб ({n} жалоб): {purity} текстов попали в тему, где "
              "чаще всего встречается их категория (одна тема на всё дала бы {baseline}); "
              "скорректированный индекс Рэнда {ari} (1 — та же группировка, 0 — случайная).",
    },
    "voice_method": {
        "en": "Topics are found once per data load over every text up to the as-of date: words cut to their stem "
              "(Russian and English told apart by the alphabet), weighted by TF-IDF and grouped by non-negative "
              "matrix factorisation, the number of topics chosen by the silhouette. A Russian and an English text "
              "about one thing share no word, so they are two topics. Churn: writers with a churn event on or "
              "after their first text of the period; revenue: net revenue per writer in the period; both against "
              "the other customers who wrote.",
        "ru": "Темы находятся один раз после каждой загрузки данных по всем текстам до расчётной даты: слова "
              "сводятся к основе (русские и английские различаются по алфавиту), взвешиваются по частоте и редкости и "
              "группируются неотрицательным разложением матрицы, число тем выбирается по силуэту. У русского и "
              "английского текста об одном и том же нет общих слов, поэтому это две темы. Отток: авторы, ушедшие "
              "в день первого текста периода или позже; выручка: чистая выручка на автора за период; то и другое "
              "в сравнении с остальными писавшими клиентами.",
    },
    "voice_trend_title": {"en": "Texts per month, largest topics", "ru": "Тексты по месяцам, крупнейшие темы"},
    "voice_trend_axis": {"en": "texts", "ru": "текстов"},
    "voice_examples_title": {"en": "Examples", "ru": "Примеры"},
    "voice_col_topic": {"en": "Topic (top words)", "ru": "Тема (главные слова)"},
    "voice_col_language": {"en": "Language", "ru": "Язык"},
    "voice_col_texts": {"en": "Texts", "ru": "Текстов"},
    "voice_col_share": {"en": "Share", "ru": "Доля"},
    "voice_col_nps": {"en": "NPS (answers)", "ru": "NPS (ответов)"},
    "voice_col_csat": {"en": "CSAT (answers)", "ru": "CSAT (ответов)"},
    "voice_col_churn": {"en": "Churn: topic / others", "ru": "Отток: тема / остальные"},
    "voice_col_revenue": {"en": "Revenue per customer: topic / others", "ru": "Выручка на клиента: тема / остальные"},
    "voice_col_sample": {"en": "Sample", "ru": "Выборка"},
    "voice_col_examples": {"en": "Example texts", "ru": "Примеры текстов"},
    "voice_small_sample": {"en": "small: under {n} texts", "ru": "мало: меньше {n} текстов"},
    "voice_small_note": {"en": "⚠ fewer than {n} answers or texts: read as a hint, not a measure.",
                         "ru": "⚠ меньше {n} ответов или текстов: это подсказка, а не измерение."},
    "voice_language_ru": {"en": "Russian", "ru": "русский"},
    "voice_language_en": {"en": "English", "ru": "английский"},
})  # fmt: skip


def describe_reason(report: dict, lang: str) -> str | None:
    """Why the report has no topics ("not available, load X"), or None when it has some."""
    reason = report.get("reason")
    if reason is None:
        return translate("voice_no_texts_in_period", lang) if not report["topics"] else None
    key = f"voice_reason_{reason}_{report['source']}" if reason == "no_texts" else f"voice_reason_{reason}"
    return translate(key, lang)


def _percent(value: float | None, lang: str) -> str:
    return format_value(None if value is None else 100 * value, "%", lang, 1)


def _with_n(value: float | None, n: int, lang: str, decimals: int = 1, unit: str = "") -> str:
    """'5.3 (12) ⚠': the value, its sample size, and a mark when the sample is small (0 < n < 30).
    No "+" before a positive NPS: a cell starting with it is one a spreadsheet would run as a formula."""
    shown = "—" if value is None else (format_value(value, unit, lang, decimals) if unit else format_number(value, lang, decimals))
    return f"{shown} ({format_number(n, lang)})" + (f" {SMALL.strip()}" if 0 < n < MIN_SAMPLE_SIZE else "")


def build_topics_headline(report: dict, lang: str) -> str:
    """One sentence: how many texts and topics, the largest topic, its writers' churn against the others'."""
    first = report["topics"][0]
    return translate(
        "voice_headline", lang, texts=format_number(report["texts_with_topic"], lang),
        topics=format_number(len(report["topics"]), lang), words=", ".join(first["words"][:3]),
        size=format_number(first["texts"], lang), share=_percent(first["share"], lang),
        churn=_percent(first["churn"]["rate"], lang), others=_percent(first["churn"]["others_rate"], lang),
    )  # fmt: skip


def describe_agreement(agreement: dict | None, lang: str) -> str | None:
    """The topics against the complaints' categories, in words (None without categories)."""
    if not agreement or not agreement.get("texts"):
        return None
    return translate("voice_agreement", lang, n=format_number(agreement["texts"], lang),
                     purity=_percent(agreement["purity"], lang), baseline=_percent(agreement["majority_baseline"], lang),
                     ari=format_number(agreement["adjusted_rand"], lang, 2))  # fmt: skip


def build_topics_table(report: dict, lang: str, currency: str) -> pd.DataFrame:
    """One row per topic, largest first, every number with its sample size; headers in ``lang``."""
    rows = []
    for topic in report["topics"]:
        churn, revenue = topic["churn"], topic["revenue"]
        rows.append({
            "voice_col_topic": ", ".join(topic["words"]),
            "voice_col_language": translate(f"voice_language_{topic['language']}", lang) if topic["language"] else "—",
            "voice_col_texts": format_number(topic["texts"], lang),
            "voice_col_share": _percent(topic["share"], lang),
            "voice_col_nps": _with_n(topic["nps"]["value"], topic["nps"]["n"], lang),
            "voice_col_csat": _with_n(topic["csat"]["value"], topic["csat"]["n"], lang, unit="%"),
            "voice_col_churn": f"{_percent(churn['rate'], lang)} ({format_number(churn['n'], lang)}) / "
                               f"{_percent(churn['others_rate'], lang)} ({format_number(churn['others_n'], lang)})",
            "voice_col_revenue": f"{format_value(revenue['per_customer'], 'money', lang, 0, currency)} / "
                                 f"{format_value(revenue['others_per_customer'], 'money', lang, 0, currency)}",
            "voice_col_sample": translate("voice_small_sample", lang, n=MIN_SAMPLE_SIZE) if topic["is_small_sample"] else "",
            "voice_col_examples": " | ".join(topic["examples"]),
        })  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else None)
    return frame.rename(columns=lambda key: translate(key, lang))


def build_topic_trend_figure(report: dict, lang: str, caption: str, top: int = TOPICS_IN_CHART) -> dict:
    """Texts per month of the ``top`` largest topics, one line each, named by their top words."""
    title = translate("voice_trend_title", lang)
    if not report["topics"]:
        return build_unavailable_figure(title, caption, describe_reason(report, lang) or "")
    months = sorted({point["month"] for topic in report["topics"] for point in topic["trend"]})
    traces = []
    for topic in report["topics"][:top]:
        counts = {point["month"]: point["texts"] for point in topic["trend"]}
        traces.append({"type": "scatter", "mode": "lines+markers", "name": ", ".join(topic["words"][:3]),
                       "x": months, "y": [counts.get(month, 0) for month in months]})  # fmt: skip
    layout = {"title": {"text": title, "subtitle": {"text": caption}, "x": 0, "xanchor": "left"},
              "yaxis": {"title": {"text": translate("voice_trend_axis", lang)}, "rangemode": "tozero"},
              "xaxis": {"type": "category"}, "legend": {"orientation": "h", "y": -0.2}, "margin": {"t": 80}}
    return make_figure(traces, layout)
