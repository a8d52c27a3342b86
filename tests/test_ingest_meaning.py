"""Uploads that understand what the data means: survey scales, anonymous files, and the warnings
a check gives before anything is stored (period, empty columns, metrics switched off, spellings).

Fixtures: ``shop_reviews.csv`` (20 hand-made reviews scored 1–5: seven 5s, five 4s, three 3s,
two 2s, three 1s, so CSAT top-2-box = 12 / 20 = 60 %), ``transactions_no_customer.csv`` (four
anonymous amounts: 100 + 50.5 + 20 − 10 = 160.5), ``telco_customers_slice.csv`` (the first 20
rows of the public Telco churn extract) and the CFPB complaints extract in ../shared/datasets.
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from cxdata.cli import main
from cxdata.engine.query import open_backend
from cxdata.ingest import load_extract
from cxdata.model.filters import Filters
from cxdata.questions.metrics import compute_metrics
from tests.fixtures.ingest.support import CFPB, fixture, require_dataset

NOVEMBER = Filters(date(2025, 11, 1), date(2025, 11, 30))


def query(db, sql: str):
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def survey_metrics(db, period: Filters = NOVEMBER) -> dict:
    backend = open_backend(db)
    return compute_metrics(backend, period, date(2025, 12, 31))


def codes(report, severity: str) -> list[str]:
    return [i.code for i in report.issues if i.severity == severity]


def test_a_1_to_5_score_is_never_nps_and_is_asked_about(tmp_path):
    db = tmp_path / "shop.duckdb"
    refused = load_extract(db, "surveys", fixture("shop_reviews.csv"))
    assert refused.status == "rejected" and codes(refused, "error") == ["ambiguous_scale"]
    assert refused.questions["scales"] == {"score": ["csat_1_5", "ces_1_5"]}
    (question,) = [i for i in refused.issues if i.code == "ambiguous_scale"]
    assert "1–5" in question.message("en") and "шкалу" in question.message("ru")
    assert query(db, "SELECT count(*) FROM surveys") == [(0,)]  # refused: nothing stored

    report = load_extract(db, "surveys", fixture("shop_reviews.csv"), mapping={"scales": {"score": "csat_1_5"}})
    assert report.status == "loaded" and report.rows_loaded == 20
    assert query(db, "SELECT count(nps), count(csat), min(csat_scale), max(csat_scale), count(ces_scale) "
                     "FROM surveys") == [(0, 20, 5, 5, 0)]
    metrics = survey_metrics(db)
    assert metrics["csat"].value == pytest.approx(60.0) and metrics["csat"].n == 20  # 12 of 20 answered 4 or 5
    assert metrics["nps"].n == 0 and metrics["nps"].value is None


def test_a_preset_cannot_put_a_1_to_5_scale_on_nps(tmp_path, capsys):
    preset = tmp_path / "nps.json"
    preset.write_text(json.dumps({"scales": {"score": "nps_1_5"}}))
    code = main(["load", "surveys", str(fixture("shop_reviews.csv")), "--db", str(tmp_path / "x.duckdb"),
                 "--mapping", str(preset), "--lang", "ru"])
    assert code == 2 and "NPS только 0–10" in capsys.readouterr().err
    assert main(["load", "surveys", str(fixture("shop_reviews.csv")), "--db", str(tmp_path / "x.duckdb"),
                 "--scale", "score=nps_1_5"]) == 2
    assert not (tmp_path / "x.duckdb").exists()


def test_scale_flag_on_the_command_line_in_russian(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    assert main(["load", "surveys", str(fixture("shop_reviews.csv")), "--db", str(db), "--lang", "ru"]) == 1
    report = json.loads(capsys.readouterr().out)
    (question,) = [i for i in report["issues"] if i["code"] == "ambiguous_scale"]
    assert question["message"].startswith("В столбце score ответы от 1 до 5")
    assert main(["load", "surveys", str(fixture("shop_reviews.csv")), "--db", str(db), "--scale", "score=ces_1_5"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "loaded"
    # As CES on 1–5: the mean of the 20 answers (7×5 + 5×4 + 3×3 + 2×2 + 3×1) / 20 = 71 / 20.
    assert survey_metrics(db)["ces"].value == pytest.approx(71 / 20)
    assert query(db, "SELECT DISTINCT ces_scale FROM surveys") == [(5,)]


def test_csat_on_ten_points_counts_the_top_two_boxes_and_mixed_ces_scales_are_not_averaged(tmp_path):
    db = tmp_path / "scales.duckdb"
    ten = tmp_path / "ten.csv"
    ten.write_text("date,CSAT (1-10),CES\n2025-11-02,10,7\n2025-11-03,9,6\n2025-11-04,8,1\n2025-11-05,3,4\n")
    report = load_extract(db, "surveys", ten)
    assert report.status == "loaded", [i.message() for i in report.issues]
    november = survey_metrics(db)
    assert november["csat"].value == pytest.approx(50.0)  # 10 and 9 of four answers on 1–10
    assert november["ces"].value == pytest.approx(18 / 4)  # one scale, 1–7: a mean
    five = tmp_path / "five.csv"
    five.write_text("date,Effort (1-5)\n2025-11-20,5\n2025-11-21,4\n")
    assert load_extract(db, "surveys", five).status == "loaded"
    assert query(db, "SELECT ces_scale, count(*) FROM surveys GROUP BY ALL ORDER BY 1") == [(5, 2), (7, 4)]
    mixed = survey_metrics(db)["ces"]
    assert mixed.value is None and mixed.n == 6  # 1–5 and 1–7 answers: no mean across them
    late = survey_metrics(db, Filters(date(2025, 11, 15), date(2025, 11, 30)))["ces"]
    assert late.value == pytest.approx(4.5) and late.n == 2  # only the 1–5 answers


def test_transactions_without_a_customer_column_are_refused_unless_anonymous(sample_db, tmp_path, capsys):
    db = tmp_path / "sample.duckdb"
    shutil.copy(sample_db, db)
    before = query(db, "SELECT count(*), sum(amount) FROM transactions")
    path = str(fixture("transactions_no_customer.csv"))
    assert main(["load", "transactions", path, "--db", str(db), "--lang", "ru"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "rejected" and [i["code"] for i in report["issues"] if i["severity"] == "error"] == [
        "no_customer_column"]
    assert "load --anonymous" in report["issues"][-1]["message"] or any(
        "load --anonymous" in i["message"] for i in report["issues"])
    after = query(db, "SELECT count(*), sum(amount) FROM transactions")
    # nothing stored changed (a parallel sum of doubles may differ in its last digits from run to run)
    assert after[0][0] == before[0][0] and after[0][1] == pytest.approx(before[0][1], rel=1e-12)

    revenue_before = compute_metrics(open_backend(db), NOVEMBER, date(2025, 12, 31))["revenue"].value
    assert main(["load", "transactions", path, "--db", str(db), "--anonymous"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "loaded" and report["counts"]["anonymous_rows"] == 4
    assert query(db, "SELECT count(*), sum(amount) FROM transactions WHERE customer_id IS NULL") == [(4, 160.5)]
    revenue_after = compute_metrics(open_backend(db), NOVEMBER, date(2025, 12, 31))["revenue"].value
    assert revenue_after - revenue_before == pytest.approx(150.5)  # the two November amounts


def test_a_customers_file_with_empty_target_columns_is_warned(tmp_path):
    report = load_extract(tmp_path / "telco.duckdb", "customers", fixture("telco_customers_slice.csv"), dry_run=True)
    assert report.status == "loaded" and report.rows_loaded == 20
    notes = {i.code: i for i in report.issues if i.severity == "warning" and i.code != "unknown_column"}
    empty = notes["empty_filter_columns"]
    assert empty.message("en") == ('Segment, Region, Channel, Acquisition channel: empty in every row of the file; '
                                   'the filters will show these rows as "Unknown".')
    assert empty.message("ru").startswith("Сегмент, Регион, Канал, Канал привлечения: пусто во всех строках")
    switched = {i.field: i.message("ru") for i in report.issues if i.code == "metrics_switched_off"}
    assert set(switched) == {"signup_at", "acquisition_cost"}
    assert "CAC" in switched["acquisition_cost"] and "будут недоступны" in switched["acquisition_cost"]


def test_cfpb_complaints_dates_customers_channels_and_resolution(sample_db, tmp_path):
    source = require_dataset(CFPB)
    db = tmp_path / "sample.duckdb"
    shutil.copy(sample_db, db)
    before = query(db, "SELECT count(*) FROM complaints")
    preset = json.loads(fixture("preset_cfpb_complaints.json").read_text())
    refused = load_extract(db, "complaints", source, mapping=preset)
    assert codes(refused, "error") == ["no_customer_column"] and query(db, "SELECT count(*) FROM complaints") == before

    report = load_extract(db, "complaints", source, mapping={**preset, "anonymous": True}, dry_run=True)
    assert report.status == "loaded" and report.rows_loaded == 6623
    messages = {i.code: i.message("en") for i in report.issues}
    assert messages["before_period"] == (
        'Rows dated before the dashboard\'s default period (2025-07-01 … 2025-12-31): 6623, dated 2015-04-06 … '
        '2020-03-19: visible with "All time" or a custom range.')
    assert "resolved_at is empty in every row" in messages["metrics_switched_off"]
    # "Web" in the extract, "web" stored by the sample: one channel spelled twice, the stored spelling kept.
    assert report.questions["variants"]["channel"] == [["web", "Web"]]
    merged = load_extract(db, "complaints", source, mapping={**preset, "anonymous": True}, merge_variants=True)
    assert merged.status == "loaded" and merged.mapping["merged"] == {"channel": {"Web": "web"}}
    assert query(db, "SELECT count(*) FROM complaints WHERE channel = 'Web'") == [(0,)]
    assert query(db, "SELECT count(*) FROM complaints WHERE channel = 'web' AND customer_id IS NULL") == [(5143,)]


def test_arpu_is_over_known_customers_revenue(sample_db, tmp_path):
    db = tmp_path / "sample.duckdb"
    shutil.copy(sample_db, db)
    arpu_before = compute_metrics(open_backend(db), NOVEMBER, date(2025, 12, 31))["arpu"]
    report = load_extract(db, "transactions", fixture("transactions_no_customer.csv"), mapping={"anonymous": True})
    assert report.status == "loaded"
    after = compute_metrics(open_backend(db), NOVEMBER, date(2025, 12, 31))
    # The anonymous 150.5 of November is revenue, but no customer's: ARPU and its customers do not move.
    assert (after["arpu"].value, after["arpu"].n) == (pytest.approx(arpu_before.value), arpu_before.n)
    (revenue, customers), = query(db, "SELECT sum(amount), count(DISTINCT customer_id) FROM transactions "
                                      "WHERE customer_id IS NOT NULL AND occurred_at >= '2025-11-01' "
                                      "AND occurred_at < '2025-12-01'")
    assert after["arpu"].value == pytest.approx(revenue / customers)


def test_the_ces_tile_states_the_scale_of_the_selected_answers(tmp_path, capsys):
    from cxdata.presentation.tiles import build_tile
    from cxdata.questions.overview import fetch_overview

    db = tmp_path / "effort.duckdb"
    five = tmp_path / "five.csv"
    five.write_text("date,Effort (1-5)\n2025-11-20,5\n2025-11-21,4\n2025-11-22,2\n")
    assert load_extract(db, "surveys", five).status == "loaded"
    overview = fetch_overview(open_backend(db), NOVEMBER, date(2025, 12, 31))
    tile = build_tile(overview, "ces", "en")
    assert tile.value == "3.67"  # (5 + 4 + 2) / 3 on 1–5
    assert "scale 1–5" in tile.note and "Scale: 1 … 5 (5 = easiest)" in tile.help and "1 … 7" not in tile.help
    russian = build_tile(overview, "ces", "ru")
    assert "шкала 1–5" in russian.note and "Шкала: 1 … 5 (5 = легче всего)" in russian.help
    period = ["--start", "2025-11-01", "--end", "2025-11-30"]
    assert main(["metrics", "--db", str(db), *period]) == 0
    printed = json.loads(capsys.readouterr().out)["ces"]
    assert (printed["value"], printed["n"], printed["scale"]) == (pytest.approx(11 / 3), 3, "1–5")

    seven = tmp_path / "seven.csv"
    seven.write_text("date,CES (1-7)\n2025-11-25,7\n")
    assert load_extract(db, "surveys", seven).status == "loaded"
    assert query(db, "SELECT ces_scale, count(*) FROM surveys GROUP BY ALL ORDER BY 1") == [(5, 3), (7, 1)]
    mixed = build_tile(fetch_overview(open_backend(db), NOVEMBER, date(2025, 12, 31)), "ces", "en")
    assert mixed.value == "not available"
    assert mixed.note == ("not available: the selected answers mix CES scales — narrow the period or filters to "
                          "answers on one scale")
    assert main(["metrics", "--db", str(db), *period, "--lang", "ru"]) == 0
    assert json.loads(capsys.readouterr().out)["ces"] == {
        "value": None, "n": 4, "reason": "выбранные ответы даны по разным шкалам CES"}
def test_merging_spellings_is_part_of_what_makes_an_upload_the_same(tmp_path, capsys):
    """The same file loaded again with --merge-variants would store other values: it is not
    'unchanged'. Appended, its rows clash with the stored spellings (the key conflict says to
    upsert); upserted, the spellings are merged; the same load a third time is unchanged."""
    db, extract = str(tmp_path / "variants.duckdb"), tmp_path / "kiosk.csv"
    extract.write_text("transaction_id,customer_id,occurred_at,amount,channel\n"
                       "v1,C1,2025-06-01,10.0,Kiosk\n"
                       "v2,C1,2025-06-02,20.0,kiosk\n")

    def load(*options) -> dict:
        main(["load", "transactions", str(extract), "--db", db, *options])
        return json.loads(capsys.readouterr().out)

    def channels() -> list:
        return query(db, "SELECT transaction_id, channel FROM transactions ORDER BY ALL")

    first = load()
    assert first["status"] == "loaded" and "spelling_variants" in codes_of(first)
    assert channels() == [("v1", "Kiosk"), ("v2", "kiosk")]
    assert load()["status"] == "unchanged"  # the same file, the same options

    appended = load("--merge-variants")
    assert appended["status"] == "rejected" and appended["same_as_upload_id"] is None
    conflict = next(i for i in appended["issues"] if i["code"] == "key_conflict")
    assert conflict["value"] == "v2" and "upsert" in conflict["message"]
    assert channels() == [("v1", "Kiosk"), ("v2", "kiosk")]

    merged = load("--merge-variants", "--mode", "upsert")
    assert (merged["status"], merged["counts"]["updated"]) == ("loaded", 1)
    assert merged["mapping"]["merged"] == {"channel": {"kiosk": "Kiosk"}}
    assert channels() == [("v1", "Kiosk"), ("v2", "Kiosk")]
    again = load("--merge-variants", "--mode", "upsert")
    assert (again["status"], again["same_as_upload_id"]) == ("unchanged", merged["upload_id"])
    assert load("--merge-variants")["status"] == "unchanged"  # appended now, it stores nothing new
    logged = query(db, "SELECT upload_id, status, mapping_json FROM uploads ORDER BY upload_id")
    assert [row[1] for row in logged] == ["loaded", "rejected", "loaded"]
    assert json.loads(logged[2][2])["preset"] == {"merge": {"channel": {"kiosk": "Kiosk"}}}


def codes_of(report: dict) -> list[str]:
    return [i["code"] for i in report["issues"]]


def test_every_option_that_changes_the_stored_rows_changes_the_fingerprint():
    from cxdata.ingest.preset import MappingPreset

    plain = MappingPreset().fingerprint()
    changed = [{"anonymous": True}, {"scales": {"score": "csat_1_5"}}, {"merge": {"channel": {"Web": "web"}}},
               {"columns": {"Сумма": "amount"}}, {"constants": {"channel": "branch"}}, {"decimal": ","},
               {"date_format": "%d.%m.%Y"}, {"missing_values": ["-99"]}, {"skip_rows_missing": ["amount"]}]
    prints = [MappingPreset.from_dict(options).fingerprint() for options in changed]
    assert plain not in prints and len(set(prints)) == len(changed)
    assert MappingPreset.from_dict({"table": "transactions"}).fingerprint() == plain  # only a label
