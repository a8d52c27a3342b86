"""Spelling variants (case and spacing) and what each metric is made of."""

import pytest

from cxdata.model.registry import (
    MEASURES,
    METRICS,
    measures_needing,
    metrics_needing,
    needs_of,
)
from cxdata.model.schema import TABLES
from cxdata.model.spelling import spelling_key, spelling_variants


@pytest.mark.parametrize(
    "value, key",
    [
        ("Web", "web"),
        ("  web  ", "web"),
        ("Mobile   App", "mobile app"),
        ("mobile_app", "mobile app"),
        ("Mobile\u00a0app", "mobile app"),  # a non-breaking space from Excel
        ("Москва", "москва"),
        ("МОСКВА ", "москва"),
        ("e-mail", "e-mail"),  # hyphens are kept
        ("Straße", "strasse"),  # case-folded, not only lower-cased
    ],
)
def test_spelling_key(value, key):
    assert spelling_key(value) == key


def test_variants_from_counts_most_frequent_first():
    counts = {"Web": 10, "web": 3, " WEB": 1, "Phone": 7, "phone": 8, "Shop": 100, "e-mail": 2, "email": 2}
    assert spelling_variants(counts) == [["phone", "Phone"], ["Web", "web", " WEB"]]


def test_variants_from_values_count_repeats():
    values = ["Москва", "москва", "москва", "Киев", None, "Kiev"]
    assert spelling_variants(values) == [["москва", "Москва"]]


def test_no_variants():
    assert spelling_variants({"Web": 1, "Phone": 1}) == []
    assert spelling_variants([]) == []


def test_every_need_is_a_column_of_the_schema():
    for name in [*METRICS, *MEASURES]:
        assert needs_of(name), name
        for need in needs_of(name):
            table, column = need.split(".")
            assert column in TABLES[table].column_names, (name, need)


def test_what_a_missing_column_switches_off():
    assert metrics_needing("churn_events", "churned_at") == ("churn_rate", "retention_rate", "period_churn_share",
                                                             "revenue_at_stake")
    assert metrics_needing("complaints", "resolved_at") == ("unresolved_share", "resolution_hours", "overdue_share",
                                                            "period_churn_share", "revenue_at_stake")
    assert metrics_needing("customers", "acquisition_cost") == ("cac", "ltv_cac")
    assert metrics_needing("surveys", "nps") == ("nps",)
    assert metrics_needing("surveys", "comment") == ()
    assert set(metrics_needing("transactions", "amount")) == {
        "revenue", "anonymous_revenue", "anonymous_revenue_share", "arpu", "churn_rate", "retention_rate", "conversion_rate", "ltv", "cac", "ltv_cac",
        "complaint_rate", "period_churn_share", "revenue_at_stake",
    }
    assert "class_retention" in measures_needing("churn_events", "churned_at")
    assert measures_needing("customers", "acquisition_cost") == ("unit_economics", "payback")
