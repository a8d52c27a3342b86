"""What customers write: the topics of complaint texts and survey comments, and what each costs.

Rules, stated once:

- **The topics** are found once per data version (``compute_topic_fit``, a fit of
  ``cxdata.questions.fits.FITS``) over every text dated up to the as-of date, whatever the
  filters: the filters choose the texts counted, not what the topics are
  (``cxdata.analysis.topics`` says how they are found). Complaints and comments get topics of
  their own.
- **Agreement**: when the complaints carry a category, how well the topics match it
  (``cxdata.analysis.topics.agreement``), over every complaint of the fit.
- **A topic's texts**: the texts of the period the global filters select (complaints by their
  opening day and channel, comments by their answer's day and channel; segment, region and
  acquisition channel by the writer); per month for the trend.
- **Scores**: of a comment topic, the NPS and CSAT of the answers carrying its comments; of a
  complaint topic, those of every answer in the period by the customers who wrote in it.
- **Churn and revenue effect**: the customers who wrote in the topic against the other customers
  who wrote the same kind of text in the selection: the share with a churn event on or after
  their first text of the period, up to the as-of date, and the net revenue per customer in the
  period (refunds negative).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import ibis
import pandas as pd

from cxdata.analysis.topics import NO_TOPIC, TopicModel, agreement, examples_of, find_topics
from cxdata.engine.query import filter_table, period_bounds
from cxdata.model.filters import Filters
from cxdata.model.registry import MIN_SAMPLE_SIZE
from cxdata.model.rules import survey_counts
from cxdata.questions.money_base import as_of_bound

# source -> (table, text column, date column, category column or None)
SOURCES = {
    "complaints": ("complaints", "text", "opened_at", "category"),
    "comments": ("surveys", "comment", "responded_at", None),
}
METHOD = ("TF-IDF of Snowball stems (Russian, English by script), NMF per language, "
          "number of topics by the best cosine silhouette")  # fmt: skip


@dataclass(frozen=True)
class TopicFit:
    """The topics of each source (None when too few texts; ``reasons`` says why) and, per source
    with categories, their agreement with them."""

    as_of: date
    models: dict[str, TopicModel | None]
    agreement: dict[str, dict | None]
    reasons: dict[str, str] = field(default_factory=dict)


def fetch_texts(db, source: str, as_of: date) -> pd.DataFrame:
    """Every non-blank text of ``source`` dated up to the as-of date: ``text`` and, when the
    source has one, ``category``."""
    table_name, text_column, date_column, category_column = SOURCES[source]
    table = db.table(table_name)
    table = table.filter(table[text_column].notnull(), table[date_column] < as_of_bound(as_of))
    columns = {"text": table[text_column]}
    if category_column:
        columns["category"] = table[category_column]
    frame = table.select(**columns).execute()
    return frame[frame["text"].str.strip() != ""].reset_index(drop=True)


def compute_topic_fit(db, as_of: date, progress=None) -> TopicFit:
    """The topics of complaints and comments as of ``as_of`` (module rules)."""
    models, agreements, reasons = {}, {}, {}
    for step, source in enumerate(SOURCES):
        if progress is not None:
            progress(step / len(SOURCES))
        texts = fetch_texts(db, source, as_of)
        if texts.empty:
            models[source], agreements[source], reasons[source] = None, None, "no_texts"
            continue
        try:
            model = find_topics(texts["text"])
        except ValueError:
            models[source], agreements[source], reasons[source] = None, None, "too_few_texts"
            continue
        models[source] = model
        has_categories = "category" in texts and texts["category"].notna().any()
        agreements[source] = agreement(model.topic_of(texts["text"]), texts["category"]) if has_categories else None
    return TopicFit(as_of=as_of, models=models, agreement=agreements, reasons=reasons)


def describe_topic_fit(fit: TopicFit) -> dict:
    """What ``python -m cxdata refit`` prints of a stored topic fit."""
    return {source: None if model is None else {"topics": len(model.topics), "agreement": fit.agreement[source]}
            for source, model in fit.models.items()}  # fmt: skip


def _rows_of_period(db, source: str, filters: Filters, model: TopicModel):
    """The source's texts of the selection with their topic: an Ibis table of ``customer_id``,
    ``written_at``, ``topic``, ``text`` (and for comments ``response_id``)."""
    table_name, text_column, date_column, _ = SOURCES[source]
    rows = filter_table(db, table_name, filters)
    rows = rows.filter(rows[text_column].notnull())
    topics = ibis.memtable(model.assignments[["text", "topic"]].rename(columns={"text": "_text"}))
    joined = rows.inner_join(topics, rows[text_column] == topics._text)
    return joined, date_column, text_column


def fetch_topic_report(db, fit: TopicFit, source: str, filters: Filters, as_of: date) -> dict:
    """The topics of ``source`` in the selection, largest first (module rules).

    Returns ``{"source", "texts", "texts_with_topic", "agreement", "topics": [{"id", "words",
    "language", "texts", "share", "customers", "examples", "trend": [{"month", "texts"}], "nps":
    {"value", "n"}, "csat": {"value", "n"}, "churn": {"rate", "n", "others_rate", "others_n",
    "difference"}, "revenue": {"per_customer", "n", "others_per_customer", "others_n",
    "difference", "total"}, "is_small_sample"}]}``; ``reason`` instead of topics when the fit has none.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: {', '.join(SOURCES)}")
    model = fit.models.get(source)
    report = {"source": source, "method": METHOD, "agreement": fit.agreement.get(source), "topics": []}
    if model is None:
        return report | {"texts": 0, "texts_with_topic": 0, "reason": fit.reasons.get(source, "too_few_texts")}
    rows, date_column, text_column = _rows_of_period(db, source, filters, model)
    month = rows[date_column].truncate("M").date().name("month")
    counted = rows.group_by(topic=rows.topic, month=month, text=rows[text_column]).aggregate(texts=rows.count()).execute()
    total = int(counted["texts"].sum())
    with_topic = counted[counted["topic"] != NO_TOPIC]
    report |= {"texts": total, "texts_with_topic": int(with_topic["texts"].sum())}
    if with_topic.empty:
        return report
    writers = _fetch_writers(db, rows, date_column)
    customers = _fetch_customer_effects(db, writers, filters, as_of)
    scores = _fetch_scores(db, rows, source, filters, writers)
    size = with_topic.groupby("topic")["texts"].sum().sort_values(ascending=False, kind="stable")
    for topic, texts in size.items():
        own = with_topic[with_topic["topic"] == topic]
        trend = own.groupby("month")["texts"].sum().sort_index()
        in_period = set(own["text"])
        examples = [text for text in examples_of(model, int(topic), n=len(in_period)) if text in in_period][:3]
        info = model.topics.loc[model.topics["topic"] == topic].iloc[0]
        effects = _effects(customers, int(topic))
        report["topics"].append({
            "id": int(topic), "words": list(info["words"]), "language": info["language"], "texts": int(texts),
            "share": round(float(texts) / report["texts_with_topic"], 4), "customers": effects["churn"]["n"],
            "examples": examples,
            "trend": [{"month": pd.Timestamp(m).strftime("%Y-%m"), "texts": int(n)} for m, n in trend.items()],
            **scores.get(int(topic), _no_scores()), **effects,
            "is_small_sample": int(texts) < MIN_SAMPLE_SIZE,
        })  # fmt: skip
    return report


def _fetch_writers(db, rows, date_column: str) -> pd.DataFrame:
    """``topic``, ``customer_id``, ``first_written_at``: each customer's first text of the period in each topic."""
    rows = rows.filter(rows.customer_id.notnull(), rows.topic != NO_TOPIC)
    return rows.group_by("topic", "customer_id").aggregate(first_written_at=rows[date_column].min()).execute()


def _fetch_customer_effects(db, writers: pd.DataFrame, filters: Filters, as_of: date) -> pd.DataFrame:
    """``writers`` with ``is_churned`` (a churn event on or after the customer's first text of the
    period in any topic, up to the as-of date; the same for the topic and the others) and
    ``revenue`` (net revenue in the period)."""
    first = writers.groupby("customer_id", as_index=False)["first_written_at"].min()
    ids = ibis.memtable(first)
    churn = db.table("churn_events")
    churned = churn.inner_join(ids, "customer_id").filter(
        lambda t: (t.churned_at >= t.first_written_at) & (t.churned_at < as_of_bound(as_of))
    ).select("customer_id").distinct().execute()
    start, end = period_bounds(filters)
    transactions = db.table("transactions")
    period = transactions.filter(transactions.occurred_at >= start, transactions.occurred_at < end,
                                 transactions.occurred_at < as_of_bound(as_of))  # fmt: skip
    period = period.semi_join(ids, "customer_id")
    revenue = period.group_by("customer_id").aggregate(revenue=period.amount.sum()).execute()
    per_customer = first[["customer_id"]].assign(is_churned=first["customer_id"].isin(churned["customer_id"]))
    per_customer = per_customer.merge(revenue, on="customer_id", how="left").fillna({"revenue": 0.0})
    return writers[["topic", "customer_id"]].merge(per_customer, on="customer_id")


def _effects(customers: pd.DataFrame, topic: int) -> dict:
    """Churn and revenue of the topic's customers against every other customer who wrote (module rules)."""
    everyone = customers.drop_duplicates("customer_id")
    own_ids = set(customers.loc[customers["topic"] == topic, "customer_id"])
    own = everyone[everyone["customer_id"].isin(own_ids)]
    others = everyone[~everyone["customer_id"].isin(own_ids)]

    def mean(frame: pd.DataFrame, column: str):
        return round(float(frame[column].mean()), 4) if len(frame) else None

    churn, others_churn = mean(own, "is_churned"), mean(others, "is_churned")
    revenue, others_revenue = mean(own, "revenue"), mean(others, "revenue")
    return {
        "churn": {"rate": churn, "n": len(own), "others_rate": others_churn, "others_n": len(others),
                  "difference": None if churn is None or others_churn is None else round(churn - others_churn, 4)},
        "revenue": {"per_customer": None if revenue is None else round(revenue, 2), "n": len(own),
                    "others_per_customer": None if others_revenue is None else round(others_revenue, 2),
                    "others_n": len(others), "total": round(float(own["revenue"].sum()), 2),
                    "difference": None if revenue is None or others_revenue is None else round(revenue - others_revenue, 2)},
    }  # fmt: skip


def _no_scores() -> dict:
    return {"nps": {"value": None, "n": 0}, "csat": {"value": None, "n": 0}}


def _fetch_scores(db, rows, source: str, filters: Filters, writers: pd.DataFrame) -> dict[int, dict]:
    """Per topic: ``nps`` (% promoters − % detractors) and ``csat`` (% satisfied), each with its
    answers ``n`` (module rules)."""
    if source == "comments":
        answers = rows.filter(rows.topic != NO_TOPIC)
    else:
        surveys = filter_table(db, "surveys", filters)
        pairs = ibis.memtable(writers[["topic", "customer_id"]].rename(columns={"customer_id": "_customer"}))
        answers = surveys.inner_join(pairs, surveys.customer_id == pairs._customer)
    counts = answers.group_by("topic").aggregate(**survey_counts(answers)).execute()
    scores = {}
    for row in counts.itertuples():
        nps_n, csat_n = int(row.nps_n or 0), int(row.csat_n or 0)
        nps = 100.0 * (float(row.promoters) - float(row.detractors)) / nps_n if nps_n else None
        csat = 100.0 * float(row.satisfied) / csat_n if csat_n else None
        scores[int(row.topic)] = {"nps": {"value": None if nps is None else round(nps, 1), "n": nps_n},
                                  "csat": {"value": None if csat is None else round(csat, 1), "n": csat_n}}  # fmt: skip
    return scores

