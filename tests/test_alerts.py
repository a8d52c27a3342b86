"""Early warnings: control limits checked by hand on tiny series, the sample's planted payment
incident found with no dates given (and nothing else), and the ``alerts`` command's contract."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest
from scipy import stats

from cxdata.analysis.signals import Z_ALERT, check_series, flag_windows
from cxdata.engine.query import open_backend
from cxdata.model.filters import Filters
from cxdata.questions.alerts import ALERT_KEYS, fetch_alerts, find_alerts
from tests.conftest import ROOT

WEEKS = pd.date_range("2025-01-06", periods=14, freq="W-MON")


def proportion_series(successes: list[int], size: int = 100) -> pd.DataFrame:
    return pd.DataFrame({"period_start": WEEKS[: len(successes)], "size": float(size),
                         "count": [float(k) for k in successes], "total": 0.0, "total_squares": 0.0})


def test_a_share_is_tested_exactly_against_the_pooled_baseline():
    # Ten weeks of 50 of 100 (the baseline: 500 of 1,000, no spread between weeks), then 30 and 25 of 100.
    checked = check_series(proportion_series([50] * 10 + [30, 25, 50]), "proportion")
    assert checked["z"].iloc[:8].isna().all()  # fewer than 8 earlier weeks: nothing to compare with
    assert checked["expected"].iloc[10] == pytest.approx(0.5)
    assert checked["dispersion"].iloc[10] == 1.0
    # Fisher's one-sided test of 30/100 against 500/1000, computed here with scipy's own distribution.
    by_hand = -stats.norm.isf(stats.hypergeom(1100, 530, 100).cdf(30))
    assert checked["z"].iloc[10] == pytest.approx(by_hand, abs=1e-9)
    # The normal approximation by hand: (0.30 − 0.50) / sqrt(0.25/100 + 0.25/1000) = −3.81.
    assert checked["z"].iloc[10] == pytest.approx(-3.81, abs=0.3)
    assert checked["z"].iloc[11] == pytest.approx(-4.77, abs=0.3)  # (0.25 − 0.5) / 0.0524
    # Weeks out of control stay out of the baseline: the 13th week still expects 50%.
    assert checked["expected"].iloc[12] == pytest.approx(0.5)
    assert bool(checked["is_out"].iloc[10]) and bool(checked["is_out"].iloc[11])
    # 30/100 alone is a warning (|z| ≥ 3), 25/100 an alarm (≥ 4): together one window of two weeks.
    assert flag_windows(checked["z"].to_numpy(), higher_is_better=True) == [(10, 11)]


def test_a_restless_baseline_widens_the_limits():
    # Weeks alternate 40 and 60 of 100: each is 2 standard errors (0.05) from the pooled 50%, so the
    # dispersion is 2² = 4 and every z is halved.
    checked = check_series(proportion_series([40, 60] * 5 + [25]), "proportion")
    assert checked["dispersion"].iloc[10] == pytest.approx(4.0)
    by_hand = -stats.norm.isf(stats.hypergeom(1100, 525, 100).cdf(25)) / 2
    assert checked["z"].iloc[10] == pytest.approx(by_hand, abs=1e-9)
    assert abs(checked["z"].iloc[10]) < Z_ALERT  # an alarm on a quiet baseline, not on this one


def test_a_rate_is_tested_with_the_conditional_binomial():
    # 2 complaints per 1,000 purchases for ten weeks (20 in 10,000), then 12 in 1,000: 2 expected.
    series = pd.DataFrame({"period_start": WEEKS[:11], "size": 1000.0, "count": [2.0] * 10 + [12.0],
                           "total": 0.0, "total_squares": 0.0})
    checked = check_series(series, "rate")
    assert checked["expected"].iloc[10] * 1000 == pytest.approx(2.0)
    by_hand = stats.norm.isf(stats.binom(32, 1000 / 11000).sf(11))  # P(X ≥ 12), X ~ Bin(12 + 20, 1/11)
    assert checked["z"].iloc[10] == pytest.approx(by_hand, abs=1e-9)
    assert checked["z"].iloc[10] > Z_ALERT


def test_consecutive_flagged_weeks_make_one_alert_with_start_and_end():
    series = proportion_series([50] * 10 + [20, 30, 25, 50])
    [alert] = find_alerts([("step_conversion", {"stage": "first_purchase"}, series)], as_of=date(2025, 4, 30))
    assert (alert.start, alert.end) == (date(2025, 3, 17), date(2025, 4, 6))  # Monday of week 11 … Sunday of week 13
    assert alert.observed == pytest.approx(25.0)  # 75 of 300, in percent
    assert alert.expected == pytest.approx(50.0)
    assert alert.z < -Z_ALERT and alert.severity in ("critical", "major")
    assert list(alert.chart["is_flagged"]) == [False] * 10 + [True] * 3 + [False]


# --- the sample --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_alerts(sample_db):
    db = open_backend(sample_db)
    return fetch_alerts(db, Filters(date(2025, 12, 31), date(2025, 12, 31)), date(2025, 12, 31))


def test_the_sample_flags_the_payment_incident_without_being_told_its_dates(sample_alerts):
    # Planted in cxdata/sample/journey.py: mobile-app first purchases broken from 6 Oct to 2 Nov 2025.
    conversion = [a for a in sample_alerts
                  if a.metric == "step_conversion" and dict(a.where) == {"stage": "first_purchase", "channel": "mobile_app"}]
    assert len(conversion) == 1
    alert = conversion[0]
    assert date(2025, 9, 22) <= alert.start <= date(2025, 10, 13)
    assert date(2025, 10, 19) <= alert.end <= date(2025, 11, 9)
    assert alert.expected > 55 and alert.observed < 40  # ~65% usually, about a third during the incident
    assert {a.metric for a in sample_alerts} >= {"refund_rate", "complaint_rate"}
    payment = [a for a in sample_alerts if a.metric == "complaint_rate"]
    assert all(dict(a.where)["category"] == "payment_failed" for a in payment)


def test_the_quiet_weeks_raise_no_alert(sample_alerts):
    # Two and a half years of data and ~40 series: every alert lies around the incident.
    assert sample_alerts
    for alert in sample_alerts:
        assert alert.start >= date(2025, 9, 22) and alert.end <= date(2025, 11, 16), alert.to_dict()


def test_the_weekly_refunds_match_pandas(sample_db):
    from cxdata.questions.alerts import fetch_transaction_weeks

    db = open_backend(sample_db)
    weeks = fetch_transaction_weeks(db, Filters(date(2025, 12, 31), date(2025, 12, 31)), date(2025, 12, 31))
    raw = db.con.sql("SELECT occurred_at, amount, channel FROM transactions").df()
    raw["week"] = raw["occurred_at"].dt.to_period("W-SUN").dt.start_time
    mobile = raw[raw["channel"] == "mobile_app"]
    expected = mobile[mobile["amount"] < 0].groupby("week").size()
    got = weeks[weeks["channel"] == "mobile_app"].set_index("period_start")["refunds"]
    assert got[got > 0].sort_index().to_dict() == expected.sort_index().to_dict()


# --- the command line --------------------------------------------------------------------------


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "cxdata", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_cli_alerts_prints_the_incident_as_json(sample_db):
    result = run_cli("alerts", "--db", str(sample_db), "--since", "2025-07-01")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed and all(tuple(row) == ALERT_KEYS for row in printed)
    for row in printed:
        assert isinstance(row["metric"], str) and isinstance(row["where"], dict)
        assert date.fromisoformat(row["start"]) <= date.fromisoformat(row["end"])
        assert all(isinstance(row[key], float) and math.isfinite(row[key]) for key in ("observed", "expected", "z"))
        assert row["severity"] in ("critical", "major", "minor")
    assert {"metric": "step_conversion", "where": {"stage": "first_purchase", "channel": "mobile_app"}}.items() <= {
        k: v for row in printed for k, v in row.items() if row["metric"] == "step_conversion"
        and row["where"].get("channel") == "mobile_app"}.items()
    later = json.loads(run_cli("alerts", "--db", str(sample_db), "--since", "2025-12-01").stdout)
    assert later == []  # nothing going on since the fix


@pytest.mark.parametrize("since", ["2025-13-01", "yesterday"])
def test_cli_alerts_refuses_a_bad_since_in_russian_too(sample_db, since):
    result = run_cli("alerts", "--db", str(sample_db), "--since", since, "--lang", "ru")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("ошибка:") and result.stderr.count("\n") == 1, result.stderr
    assert since in result.stderr


def test_cli_alerts_refuses_a_since_after_the_end(sample_db):
    result = run_cli("alerts", "--db", str(sample_db), "--since", "2025-12-01", "--end", "2025-11-01")
    assert result.returncode == 2 and "--since 2025-12-01" in result.stderr


def test_a_database_without_rows_has_no_alerts(empty_db):
    db = open_backend(empty_db)
    assert fetch_alerts(db, Filters(date(2025, 12, 31), date(2025, 12, 31)), date(2025, 12, 31)) == []


def test_an_alert_in_russian_names_its_values_and_draws_a_valid_chart():
    import plotly.graph_objects as go

    from cxdata.presentation.alerts_view import alert_detail, alert_title, build_alert_figure

    series = proportion_series([50] * 10 + [20, 30, 25, 50])
    [alert] = find_alerts([("step_conversion", {"stage": "first_purchase", "channel": "mobile_app"}, series)],
                          as_of=date(2025, 4, 30))
    title = alert_title(alert, "ru", {"first_purchase": "Первая покупка"})
    assert title == ("Конверсия шага до этапа «Первая покупка» · Мобильное приложение: 25,0\u00a0% вместо обычных "
                     "50,0\u00a0%, 17 мар 2025 – 6 апр 2025")
    assert alert_detail(alert, "ru").endswith("выборка: 300 — клиенты, дошедшие до предыдущего этапа.")
    figure = build_alert_figure(alert, "ru", title, "все клиенты")
    go.Figure(figure)  # plotly validates every property
    line = figure["data"][2]
    assert line["y"][10:13] == pytest.approx([20.0, 30.0, 25.0])
    assert [color == "#c0392b" for color in line["marker"]["color"]] == [False] * 10 + [True] * 3 + [False]
    assert all(not any("a" <= c.lower() <= "z" for c in text) for text in figure["layout"]["xaxis"]["ticktext"])


def test_a_metric_whose_data_was_never_loaded_says_it_is_not_watched():
    from cxdata.engine.coverage import Coverage
    from cxdata.presentation.alerts_view import unwatched_lines

    # Transactions and surveys loaded; no complaints, no journey: their silence is no good news.
    filled = {f"surveys.{c}": 3 for c in ("responded_at", "nps", "csat", "ces")} | {"transactions.amount": 5,
                                                                                   "transactions.customer_id": 5}
    lines = unwatched_lines(Coverage(rows={"transactions": 5, "surveys": 3}, filled=filled), "en")
    assert lines == ["Step conversion is not watched: not available: no journey stages loaded — load journey stages",
                     "Complaint rate is not watched: not available: no complaints loaded — load complaints"]
