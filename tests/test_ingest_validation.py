"""Validation: every problem at once, with the row a person sees; what is accepted and counted."""

from __future__ import annotations

import pytest

from cxdata.ingest import load_extract
from tests.fixtures.ingest.support import fixture, new_database, write_csv


@pytest.fixture
def db(tmp_path):
    return new_database(tmp_path / "cx.duckdb")


def dry_run(db, table, name, **options):
    path = name if not isinstance(name, str) else fixture(name)
    return load_extract(db, table, path, dry_run=True, **options)


def problems(report, *codes):
    """(row, field, code) of the issues with these codes (all errors when none given)."""
    return [(i.row, i.field, i.code) for i in report.issues
            if (i.code in codes if codes else i.is_error and i.row is not None)]


def test_scores_out_of_range_and_not_whole_are_all_reported():
    report = dry_run(None, "surveys", "surveys_out_of_range.csv")
    assert report.status == "rejected" and report.rows_read == 5 and report.rows_rejected == 3
    assert sorted(problems(report)) == [
        (2, "nps", "out_of_range"), (3, "csat", "out_of_range"), (3, "nps", "out_of_range"),
        (4, "ces", "out_of_range"), (4, "csat", "out_of_range"), (4, "nps", "not_a_whole_number")]
    first = next(i for i in report.issues if i.code == "out_of_range")
    assert first.message("en") == "nps must be between 0 and 10; found 11."
    assert first.message("ru") == "nps должно быть от 0 до 10; в файле 11."


def test_unparseable_dates_and_numbers_and_mixed_types(db):
    report = dry_run(db, "transactions", "transactions_bad_values.csv")
    assert report.status == "rejected" and report.rows_read == 7 and report.rows_rejected == 5
    assert problems(report) == [(2, "occurred_at", "not_a_date"), (3, "occurred_at", "not_a_date"),
                                (4, "amount", "not_a_number"), (5, "amount", "not_a_number"),
                                (6, "amount", "required_value_missing")]
    mixed = {i.field: i for i in report.issues if i.code == "mixed_types"}
    assert mixed["occurred_at"].message("en") == (
        "The column mixes 5 dates with 2 values that are not dates (rows 2, 3).")
    assert mixed["amount"].rows == (4, 5)
    assert report.detected["decimal"] == ","  # "10,5" decided it; "1,2,3" is not a number either way
    not_a_date = next(i for i in report.issues if i.code == "not_a_date")
    assert not_a_date.message("ru") == "Не дата в формате этого столбца %d.%m.%Y: 31.02.2024."


def test_a_column_mapped_to_the_wrong_field_is_reported_once(tmp_path, db):
    path = write_csv(tmp_path / "t.csv", "id,customer,date,amount\nT1,C001,2024-12-01,card\nT2,C002,2024-12-01,loan\n")
    report = dry_run(db, "transactions", path)
    assert [(i.code, i.field) for i in report.issues if i.is_error] == [("no_values_of_type", "amount")]
    assert report.rows_rejected == 2


def test_duplicate_keys_in_the_file_name_both_rows(db):
    report = dry_run(db, "transactions", "transactions_duplicates.csv")
    assert problems(report) == [(3, "transaction_id", "duplicate_key"), (5, "transaction_id", "duplicate_key")]
    assert [i.message("en") for i in report.issues if i.code == "duplicate_key"][1] == (
        "Duplicate transaction_id D2: the same key is also in row 2.")


def test_ambiguous_dates_are_asked_about_and_the_answer_is_used(db):
    report = dry_run(db, "transactions", "transactions_ambiguous_dates.csv")
    assert report.status == "rejected" and report.rows_rejected == 3
    (ambiguous,) = [i for i in report.issues if i.code == "ambiguous_dates"]
    assert ambiguous.column == "occurred_at" and ambiguous.value == "03/04/2024"
    assert '"%d/%m/%Y" / "%m/%d/%Y"' in ambiguous.message("en")
    day_first = dry_run(db, "transactions", "transactions_ambiguous_dates.csv", mapping={"date_format": "%d/%m/%Y"})
    month_first = dry_run(db, "transactions", "transactions_ambiguous_dates.csv", mapping={"date_format": "%m/%d/%Y"})
    assert day_first.status == month_first.status == "loaded"
    assert day_first.preview[0]["occurred_at"] == "2024-04-03 00:00:00"
    assert month_first.preview[0]["occurred_at"] == "2024-03-04 00:00:00"


def test_declared_missing_codes_become_empty_and_are_counted(db):
    report = dry_run(db, "surveys", "surveys_missing_codes.csv", mapping=fixture("preset_missing_codes.json"))
    assert report.status == "loaded" and report.counts["missing_values"] == 4
    assert {i.column: i.count for i in report.issues if i.code == "missing_codes"} == {
        "customer_id": 1, "nps": 2, "csat": 1}
    assert [(r["customer_id"], r["nps"], r["csat"]) for r in report.preview] == [
        ("C001", 9, 5), (None, None, 4), ("C002", None, None), ("C003", 3, 2)]
    undeclared = dry_run(db, "surveys", "surveys_missing_codes.csv")
    assert undeclared.status == "rejected"  # -99 is out of range, n/a is not a number


def test_rows_without_an_id_get_stable_ids_and_identical_rows_are_kept(tmp_path, db):
    report = dry_run(db, "transactions", "transactions_no_id.csv")
    assert report.status == "loaded" and report.rows_loaded == 6
    (identical,) = [i for i in report.issues if i.code == "identical_rows"]
    assert identical.rows == (3, 5, 6) and identical.severity == "info"
    ids = [r["transaction_id"] for r in report.preview]
    assert len(set(ids)) == 6 and all(i.startswith("auto-") for i in ids)
    # The same purchases written the Russian way get the same ids: ids come from values, not text.
    russian = write_csv(tmp_path / "same.csv", "Клиент;Дата;Сумма;Товар\r\n" + "".join(
        f"{c};{d};{a};card\r\n" for c, d, a in [("C001", "01.12.2024", "100,00"), ("C002", "01.12.2024", "50"),
                                                 ("C002", "01.12.2024", "50,0"), ("C003", "02.12.2024", "-10"),
                                                 ("C003", "02.12.2024", "-10"), ("C003", "02.12.2024", "-10")]),
        encoding="cp1251")
    assert [r["transaction_id"] for r in dry_run(db, "transactions", russian).preview] == ids


def test_negative_amounts_are_refunds_and_unknown_customers_are_counted(db):
    report = dry_run(db, "transactions", "crm_transactions_cp1251.csv")
    assert report.status == "loaded"
    assert report.counts["refunds"] == 1 and report.counts["unknown_customers"] == 1
    (unknown,) = [i for i in report.issues if i.code == "unknown_customers"]
    assert unknown.rows == (4,) and unknown.severity == "warning"
    assert [r["amount"] for r in report.preview] == [1234.5, 99.9, -200.0, 12000.0, 0.5]


def test_anonymous_survey_answers_are_accepted(db):
    report = dry_run(db, "surveys", "surveys_anonymous.csv")
    assert report.status == "loaded" and report.counts["anonymous_responses"] == 3
    assert {r["customer_id"] for r in report.preview} == {None}
    assert [r["nps"] for r in report.preview] == [9, 4, 10]


def test_rows_with_the_wrong_number_of_fields(db):
    report = dry_run(db, "transactions", "transactions_malformed.csv")
    assert report.status == "rejected" and report.rows_read == 5 and report.rows_rejected == 2
    assert problems(report) == [(2, None, "malformed_row"), (4, None, "malformed_row")]
    assert report.issues[0].message("en") == (
        "The row has 5 fields but the header has 4; check quotes and delimiters in it.")
    assert [r["row"] for r in report.preview] == [1, 3, 5]  # the good rows keep their numbers


def test_missing_required_column_and_extra_columns(tmp_path, db):
    path = write_csv(tmp_path / "t.csv", "Клиент,Дата,Примечание,Менеджер\nC001,2024-12-01,x,Анна\n")
    report = dry_run(db, "transactions", path)
    errors = [i for i in report.issues if i.is_error]
    assert [(i.code, i.field) for i in errors] == [("missing_required", "amount")]
    assert errors[0].message("en") == ("Required column amount is missing; map a column of the file to it "
                                       "(columns not mapped yet: Примечание, Менеджер).")
    assert [i.column for i in report.issues if i.code == "unknown_column"] == ["Примечание", "Менеджер"]
    assert report.rows_rejected == 1


def test_skip_rows_missing_skips_and_counts(tmp_path, db):
    text = "customer,date,amount\nC001,2024-12-01,10\nC002,2024-12-01, \nC003,2024-12-02,5\n"
    path = write_csv(tmp_path / "t.csv", text)
    assert dry_run(db, "transactions", path).status == "rejected"
    report = dry_run(db, "transactions", path, mapping={"skip_rows_missing": ["amount"]})
    assert report.status == "loaded" and report.rows_loaded == 2 and report.rows_skipped == 1
    assert [i.rows for i in report.issues if i.code == "rows_skipped"] == [(2,)]


def test_row_rules_across_columns(tmp_path, db):
    path = write_csv(tmp_path / "c.csv", "id,opened,closed\nK1,2024-12-05,2024-12-01\nK2,2024-12-05,2024-12-06\n")
    report = dry_run(db, "complaints", path)
    assert problems(report) == [(1, "resolved_at", "end_before_start")]
    targets = write_csv(tmp_path / "targets.csv", "metric,target,from\nnps,30,2025-01-01\nhappiness,3,2025-01-01\n")
    assert problems(dry_run(db, "targets", targets)) == [(2, "metric", "unknown_metric")]


def test_many_bad_rows_are_summarised_with_a_count(tmp_path, db):
    rows = "T0,C001,2024-12-01,10\n" + "".join(f"T{i},C001,2024-12-01,oops\n" for i in range(1, 121))
    report = dry_run(db, "transactions", write_csv(tmp_path / "t.csv", "id,customer,date,amount\n" + rows))
    assert report.rows_rejected == 120
    (more,) = [i for i in report.issues if i.code == "more_rows"]
    assert more.count == 70 and len(problems(report, "not_a_number")) == 50


def test_messages_in_russian(db):
    report = dry_run(db, "transactions", "transactions_duplicates.csv", lang="ru")
    messages = [i["message"] for i in report.to_dict()["issues"] if i["code"] == "duplicate_key"]
    assert messages[0] == "Повтор transaction_id D1: этот же ключ есть в строке 1."


def test_every_issue_reads_in_english_and_russian(db):
    cases = [("transactions", "crm_transactions_cp1251.csv"), ("transactions", "transactions_bad_values.csv"),
             ("transactions", "transactions_duplicates.csv"), ("transactions", "transactions_ambiguous_dates.csv"),
             ("transactions", "transactions_no_id.csv"), ("transactions", "transactions_malformed.csv"),
             ("transactions", "transactions_decimal_ambiguous.csv"), ("transactions", "actually_xlsx.csv"),
             ("transactions", "empty.csv"), ("surveys", "surveys_out_of_range.csv"),
             ("surveys", "surveys_anonymous.csv"),
             ("customers", "customers_bom.csv"), ("complaints", "complaints_pipe.txt"),
             ("transactions", "surveys_utf16.txt")]
    codes = set()
    for table, name in cases:
        for item in dry_run(db, table, name, mapping={"missing_values": ["-1"]}).issues:
            english, russian = item.message("en"), item.message("ru")
            assert english != russian and any("а" <= ch <= "я" for ch in russian.lower()), (item.code, russian)
            codes.add(item.code)
    assert codes == {
        "ambiguous_dates", "anonymous_responses", "decimal_guessed", "duplicate_key", "empty_file",
        "extension_mismatch", "generated_ids", "identical_rows", "key_conflict", "malformed_row", "missing_codes",
        "missing_required", "mixed_types", "scale_detected", "before_period", "empty_filter_columns",
        "metrics_switched_off", "not_a_date", "not_a_number", "not_a_whole_number", "out_of_range", "refunds", "required_value_missing",
        "unknown_column", "unknown_customers"}
