"""What customers write on the sample: the topics against the categories the sample's texts were
generated with, the report against independent SQL, and the ``topics`` command's contract."""

from __future__ import annotations

import json
import shutil
from datetime import date

import duckdb
import pytest

from cxdata.analysis.topics import NO_TOPIC, agreement
from cxdata.engine.query import open_backend
from cxdata.model.filters import Filters
from cxdata.sample.surveys import COMMENTS
from cxdata.questions.topics import compute_topic_fit, fetch_texts, fetch_topic_report
from tests.test_cli import run_cli

AS_OF = date(2025, 12, 31)
PERIOD = Filters(date(2025, 7, 1), AS_OF)


@pytest.fixture(scope="module")
def fit(sample_db):
    db = open_backend(sample_db)
    try:
        return compute_topic_fit(db, AS_OF)
    finally:
        db.disconnect()


@pytest.fixture(scope="module")
def report(sample_db, fit):
    db = open_backend(sample_db)
    try:
        return {source: fetch_topic_report(db, fit, source, PERIOD, AS_OF) for source in ("complaints", "comments")}
    finally:
        db.disconnect()


def test_topics_agree_with_the_complaint_categories_of_the_sample(fit):
    # The sample writes each category in two phrasings per language, which mostly share no word
    # ("The product arrived damaged" / "The quality does not match the description"), while some
    # words cross categories ("charged" in payment and billing, "order" in billing and delivery).
    # So no word-based grouping into fewer topics than phrasings is pure; the one topic for
    # everything scores the majority baseline (40%). 80% is twice as far from that baseline as a
    # chance grouping gets, and below the 88% found, so a real regression fails it, not noise.
    found = fit.agreement["complaints"]
    assert found["texts"] == 10324
    assert found["majority_baseline"] == pytest.approx(0.4046, abs=1e-4)
    assert found["purity"] >= 0.80
    assert found["adjusted_rand"] >= 0.2
    assert fit.agreement["comments"] is None  # comments carry no category in the database


def test_comment_topics_agree_with_the_themes_the_sample_wrote_them_from(sample_db, fit):
    theme = {text: number for number, by_sentiment in enumerate(COMMENTS) for languages in by_sentiment
             for pair in languages for text in pair}  # fmt: skip
    db = open_backend(sample_db)
    try:
        texts = fetch_texts(db, "comments", AS_OF)
    finally:
        db.disconnect()
    found = agreement(fit.models["comments"].topic_of(texts["text"]), texts["text"].map(theme))
    assert found["texts"] == len(texts) > 10_000
    # The relationship theme alone holds 66%; the comments of one theme range from praise to
    # complaint in other words, so the bar is lower than for complaints but well above lumping.
    assert found["purity"] >= found["majority_baseline"] + 0.15


def test_every_complaint_of_the_period_is_counted_once(sample_db, report):
    complaints = report["complaints"]
    with duckdb.connect(str(sample_db), read_only=True) as con:
        expected = con.sql("SELECT count(*) FROM complaints WHERE text IS NOT NULL AND opened_at >= '2025-07-01' "
                           "AND opened_at < '2026-01-01'").fetchall()[0][0]  # fmt: skip
    assert complaints["texts"] == complaints["texts_with_topic"] == expected
    assert sum(topic["texts"] for topic in complaints["topics"]) == expected
    assert sum(topic["share"] for topic in complaints["topics"]) == pytest.approx(1.0, abs=1e-3)
    for topic in complaints["topics"]:
        assert sum(point["texts"] for point in topic["trend"]) == topic["texts"]
        assert [point["month"] for point in topic["trend"]] == sorted(point["month"] for point in topic["trend"])
        assert topic["examples"] and len(topic["examples"]) <= 3


def _topic_texts(fit, source: str, topic: int) -> list[str]:
    rows = fit.models[source].assignments
    return rows.loc[rows["topic"] == topic, "text"].tolist()


def test_churn_and_revenue_of_a_topic_match_plain_sql(sample_db, fit, report):
    topic = report["complaints"]["topics"][0]
    own = _topic_texts(fit, "complaints", topic["id"])
    with duckdb.connect(str(sample_db), read_only=True) as con:
        con.execute("CREATE TEMP TABLE own AS SELECT unnest($texts) AS text", {"texts": own})
        rows = con.sql("""
            WITH period AS (SELECT * FROM complaints WHERE customer_id IS NOT NULL AND text IS NOT NULL
                            AND opened_at >= '2025-07-01' AND opened_at < '2026-01-01'),
            writers AS (SELECT customer_id, min(opened_at) AS first_at,
                               bool_or(text IN (SELECT text FROM own)) AS is_own FROM period GROUP BY 1),
            facts AS (SELECT w.customer_id, w.is_own,
                        EXISTS (SELECT 1 FROM churn_events c WHERE c.customer_id = w.customer_id
                                AND c.churned_at >= w.first_at AND c.churned_at < '2026-01-01') AS churned,
                        coalesce((SELECT sum(amount) FROM transactions t WHERE t.customer_id = w.customer_id
                                  AND t.occurred_at >= '2025-07-01' AND t.occurred_at < '2026-01-01'), 0) AS revenue
                      FROM writers w)
            SELECT is_own, count(*), avg(churned::INT), avg(revenue) FROM facts GROUP BY 1
        """).fetchall()  # fmt: skip
    by_group = {is_own: (n, churn, revenue) for is_own, n, churn, revenue in rows}
    assert topic["churn"]["n"] == by_group[True][0] and topic["churn"]["others_n"] == by_group[False][0]
    assert topic["churn"]["rate"] == pytest.approx(by_group[True][1], abs=1e-4)
    assert topic["churn"]["others_rate"] == pytest.approx(by_group[False][1], abs=1e-4)
    assert topic["revenue"]["per_customer"] == pytest.approx(by_group[True][2], abs=0.01)
    assert topic["revenue"]["others_per_customer"] == pytest.approx(by_group[False][2], abs=0.01)


def test_comment_scores_are_those_of_the_answers_carrying_them(sample_db, fit, report):
    topic = max(report["comments"]["topics"], key=lambda t: t["nps"]["n"])
    own = _topic_texts(fit, "comments", topic["id"])
    with duckdb.connect(str(sample_db), read_only=True) as con:
        n, promoters, detractors, csat_n, satisfied = con.execute("""
            SELECT count(nps), count(*) FILTER (nps >= 9), count(*) FILTER (nps <= 6),
                   count(csat), count(*) FILTER (csat >= 4)
            FROM surveys WHERE comment IN (SELECT unnest($texts))
              AND responded_at >= '2025-07-01' AND responded_at < '2026-01-01'
        """, {"texts": own}).fetchone()  # fmt: skip
    assert topic["nps"]["n"] == n > 0 and topic["csat"]["n"] == csat_n
    assert topic["nps"]["value"] == pytest.approx(100 * (promoters - detractors) / n, abs=0.05)
    if csat_n:
        assert topic["csat"]["value"] == pytest.approx(100 * satisfied / csat_n, abs=0.05)


def test_a_database_without_texts_says_what_to_load(empty_db):
    db = open_backend(empty_db)
    try:
        fit = compute_topic_fit(db, AS_OF)
        found = fetch_topic_report(db, fit, "complaints", PERIOD, AS_OF)
    finally:
        db.disconnect()
    assert found["topics"] == [] and found["reason"] == "no_texts" and found["texts"] == 0


def test_cli_prints_topics_with_the_agreement(sample_db):
    result = run_cli("topics", "--db", str(sample_db), "--start", "2025-07-01", "--source", "complaints")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert set(printed) == {"as_of", "start", "end", "fit", "complaints"}
    complaints = printed["complaints"]
    assert complaints["agreement"]["purity"] >= 0.80
    first = complaints["topics"][0]
    assert set(first) >= {"id", "words", "language", "texts", "share", "customers", "examples", "trend", "nps",
                          "csat", "churn", "revenue", "is_small_sample"}  # fmt: skip
    assert first["id"] != NO_TOPIC and first["words"] and first["language"] in ("ru", "en")



def test_the_command_reads_the_topics_the_refit_stored(sample_db, tmp_path):
    from cxdata.questions.fits import run_refit

    path = tmp_path / "copy.duckdb"
    shutil.copy(sample_db, path)
    before = json.loads(run_cli("topics", "--db", str(path), "--source", "complaints").stdout)
    assert before["fit"] == "computed"  # nothing stored yet: found by the command itself
    refit = run_refit(path, names=["topics"])
    assert refit["fits"]["topics"]["complaints"]["agreement"] == before["complaints"]["agreement"]
    after = json.loads(run_cli("topics", "--db", str(path), "--source", "complaints").stdout)
    assert after["fit"] == "stored"
    assert after["complaints"] == before["complaints"]  # the same topics, stored or found here
