"""Topics of customer texts (cxdata.analysis.topics): a hand-made set where the topics are obvious."""

from __future__ import annotations

import pytest

from cxdata.analysis.topics import NO_TOPIC, agreement, examples_of, find_topics, stem, text_language, words_of

# Three things customers write about, in each language; a reader sees the groups at once.
OBVIOUS = {
    ("payment", "en"): [
        "Payment failed and I want a refund",
        "Still no refund for the failed payment",
        "The payment was declined, please refund me",
        "Refund my payment, it failed twice",
    ],
    ("delivery", "en"): [
        "Delivery is late again",
        "The courier delivery was late by two days",
        "Late delivery, the courier never called",
        "Courier came late with my delivery",
    ],
    ("crash", "en"): [
        "The app crashes on start",
        "App crash after the update",
        "The app keeps crashing after every update",
    ],
    ("payment", "ru"): [
        "Оплата не прошла, верните деньги",
        "Оплата картой не прошла, деньги списали",
        "Оплатил заказ, но оплата не прошла",
        "Деньги за оплату так и не вернули",
    ],
    ("delivery", "ru"): [
        "Доставка опоздала на два дня",
        "Курьер опоздал с доставкой",
        "Доставка снова опоздала, курьер не звонил",
        "Курьер задержал доставку",
    ],
    ("crash", "ru"): [
        "Приложение вылетает при запуске",
        "Приложение постоянно вылетает",
        "После обновления приложение вылетает",
    ],
}


def test_stemming_groups_forms_of_one_word():
    assert {stem(w) for w in ("оплата", "оплаты", "оплатил", "оплату")} == {"оплат"}
    assert stem("payment") == stem("payments") == "payment"
    assert stem("delivery") == stem("deliveries")
    assert stem("не") is None and stem("the") is None  # stop words say nothing about a topic


def test_language_is_read_from_the_script():
    assert text_language("Оплата не прошла") == "ru"
    assert text_language("Payment failed") == "en"
    assert text_language("Оплата не прошла, app") == "ru"  # most letters are Cyrillic
    assert text_language("12345 !!!") is None
    # Each word is stemmed in its own script's language, even in a mixed text.
    assert words_of("Оплата payments") == [("оплат", "оплата"), ("payment", "payments")]


def test_each_text_lands_with_its_peers_and_nowhere_else():
    texts = [text for group in OBVIOUS.values() for text in group]
    model = find_topics(texts)
    topic_of = dict(zip(texts, model.topic_of(texts), strict=True))
    groups = {key: {topic_of[text] for text in group} for key, group in OBVIOUS.items()}
    assert all(len(topics) == 1 for topics in groups.values()), groups  # peers together
    assert len({next(iter(topics)) for topics in groups.values()}) == len(OBVIOUS)  # groups apart
    assert NO_TOPIC not in topic_of.values()
    # Six topics, one per group; each named by its group's words and in its language.
    assert len(model.topics) == 6
    for (subject, language), group in OBVIOUS.items():
        row = model.topics[model.topics["topic"] == topic_of[group[0]]].iloc[0]
        assert row["language"] == language and row["texts"] == len(group)
        expected = {"payment": {"payment", "refund", "оплата"}, "delivery": {"delivery", "доставка", "late"},
                    "crash": {"app", "приложение"}}[subject]  # fmt: skip
        assert expected & set(row["words"][:2]), row["words"]


def test_repeats_count_as_volume_not_as_new_documents():
    texts = OBVIOUS[("payment", "en")] * 5 + OBVIOUS[("crash", "en")] + OBVIOUS[("delivery", "en")] + [None, "  "]
    model = find_topics(texts)
    sizes = sorted(model.topics["texts"], reverse=True)
    assert sizes == [20, 4, 3]  # 4 payment texts × 5, blanks skipped
    assert set(model.assignments["count"]) == {5, 1}


def test_examples_are_texts_of_the_topic():
    texts = [text for group in OBVIOUS.values() for text in group]
    model = find_topics(texts)
    crash = model.topic_of(["The app crashes on start"])[0]
    examples = examples_of(model, crash)
    assert examples and set(examples) <= set(OBVIOUS[("crash", "en")])


def test_a_text_without_known_words_gets_no_topic():
    texts = [text for group in OBVIOUS.values() for text in group] + ["!!! 123", "支付失败"]
    model = find_topics(texts)
    assert list(model.topic_of(["!!! 123", "支付失败"])) == [NO_TOPIC, NO_TOPIC]


def test_too_few_texts_is_said():
    with pytest.raises(ValueError, match="too few texts"):
        find_topics(["payment failed", "", None])


def test_agreement_by_hand():
    # Topic 0 holds 3 payment + 1 delivery; topic 1 holds 2 delivery: purity 5/6.
    topics = [0, 0, 0, 0, 1, 1, NO_TOPIC]
    categories = ["pay", "pay", "pay", "ship", "ship", "ship", "pay"]
    result = agreement(topics, categories)
    assert result["texts"] == 6 and result["purity"] == pytest.approx(5 / 6, abs=1e-4)
    assert result["majority_baseline"] == 0.5
    assert agreement([0, 0, 1, 1], ["a", "a", "b", "b"])["adjusted_rand"] == 1.0
