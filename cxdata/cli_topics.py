"""``python -m cxdata topics``: what customers write, as JSON (rules in ``cxdata.questions.topics``)."""

from __future__ import annotations

import json

from cxdata.engine.db import resolve_db_path


def add_topics_command(commands, add_filter_arguments, add_lang_argument) -> None:
    topics = commands.add_parser("topics", help="print the topics of complaint texts and survey comments, with their "
                                                "volume, trend, scores, churn and revenue effect, as JSON")
    add_filter_arguments(topics)
    topics.add_argument("--source", choices=("complaints", "comments", "all"), default="all",
                        help="which texts (default: both)")
    add_lang_argument(topics)


def print_topics(db, db_path, filters, as_of, source: str, lang: str) -> int:
    """Print the topics the refit stored for this data (found here, as the refit finds them, when
    none is stored), counted over ``filters``' selection, for ``source`` (or ``all``)."""
    from cxdata.engine.engines import read_backend_meta
    from cxdata.engine.fit_store import fit_key
    from cxdata.presentation.topics_text import describe_reason
    from cxdata.questions.fits import READY, read_stored_fit
    from cxdata.questions.topics import SOURCES, compute_topic_fit, fetch_topic_report

    version = read_backend_meta(db).get("data_version") or "none"
    fit, state = read_stored_fit(resolve_db_path(db_path), "topics", fit_key(version, as_of))
    if state != READY:
        fit = compute_topic_fit(db, as_of)
    printed = {"as_of": as_of.isoformat(), "start": filters.start.isoformat(), "end": filters.end.isoformat(),
               "fit": "stored" if state == READY else "computed"}  # fmt: skip
    for name in SOURCES if source == "all" else (source,):
        report = fetch_topic_report(db, fit, name, filters, as_of)
        reason = describe_reason(report, lang)
        if reason is not None:
            report["reason"] = reason
        printed[name] = report
    print(json.dumps(printed, ensure_ascii=False))
    return 0
