"""The topics table and sentences (cxdata.presentation.topics_text) on a hand-made report."""

from __future__ import annotations

import re

from cxdata.presentation.topics_text import build_topics_headline, build_topics_table, describe_reason

REPORT = {
    "source": "complaints", "texts": 50, "texts_with_topic": 50, "agreement": None,
    "topics": [{
        "id": 0, "words": ["оплата", "деньги", "вернуть"], "language": "ru", "texts": 40, "share": 0.8, "customers": 20,
        "examples": ["**bold** <img src=http://x>"], "trend": [{"month": "2025-12", "texts": 40}],
        "nps": {"value": 5.3, "n": 12}, "csat": {"value": 50.0, "n": 4},
        "churn": {"rate": 0.25, "n": 20, "others_rate": 0.1, "others_n": 10, "difference": 0.15},
        "revenue": {"per_customer": 1000.0, "n": 20, "others_per_customer": 1500.0, "others_n": 10, "difference": -500.0,
                    "total": 20000.0},
        "is_small_sample": False,
    }, {
        "id": 1, "words": ["app", "crash"], "language": "en", "texts": 10, "share": 0.2, "customers": 10,
        "examples": ["App crash"], "trend": [{"month": "2025-12", "texts": 10}],
        "nps": {"value": None, "n": 0}, "csat": {"value": None, "n": 0},
        "churn": {"rate": 0.1, "n": 10, "others_rate": 0.25, "others_n": 20, "difference": -0.15},
        "revenue": {"per_customer": 1500.0, "n": 10, "others_per_customer": 1000.0, "others_n": 20, "difference": 500.0,
                    "total": 15000.0},
        "is_small_sample": True,
    }],
}  # fmt: skip


def test_table_in_russian_keeps_numbers_with_their_n_and_data_as_typed():
    table = build_topics_table(REPORT, "ru", "RUB")
    assert not any(re.search(r"[A-Za-z]", column.replace("NPS", "").replace("CSAT", "")) for column in table.columns)
    first, second = table.to_dict("records")
    assert first["NPS (ответов)"] == "5,3 (12) ⚠"  # no "+" (a spreadsheet would read it as a formula); n < 30
    assert first["CSAT (ответов)"] == "50,0\u00a0% (4) ⚠"
    assert first["Отток: тема / остальные"] == "25,0\u00a0% (20) / 10,0\u00a0% (10)"
    assert first["Примеры текстов"] == "**bold** <img src=http://x>"
    assert first["Язык"] == "русский" and second["Язык"] == "английский"
    assert second["NPS (ответов)"] == "— (0)" and second["Выборка"] == "мало: меньше 30 текстов"
    assert not any(str(value).startswith(("+", "=", "-", "@")) for row in (first, second) for value in row.values())


def test_headline_names_the_largest_topic_and_its_churn_against_the_others():
    assert build_topics_headline(REPORT, "en") == (
        "50 texts in the selection, 2 topics. The largest, “оплата, деньги, вернуть”: 40 texts (80.0%); "
        "its writers churned 25.0% against 10.0% of the other writers."
    )


def test_reasons_say_what_to_load():
    assert describe_reason(REPORT, "en") is None
    empty = {"source": "comments", "topics": [], "reason": "no_texts"}
    assert describe_reason(empty, "ru") == "Комментарии к опросам не загружены: загрузите ответы вместе с комментариями."
    assert describe_reason({"source": "complaints", "topics": []}, "en") == "No texts in the selected period and filters."
