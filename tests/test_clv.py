"""Predicted lifetime value: the published CDNOW estimates reproduced, and the ``clv`` command's contract.

The published numbers (BG/NBD in weeks, calibration 1 Jan – 30 Sep 1997, the 2,357 customers of
the CDNOW 1/10 sample that is ``CDNOW_sample.txt``):

- BG/NBD: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 (Fader, Hardie and Lee 2005, "Counting
  your customers the easy way", Marketing Science 24(2), section 4; lifetimes'
  ``test_params_out_is_close_to_Hardie_paper``, asserted there to 3 decimals);
- Gamma-Gamma: p = 6.25, q = 3.74, gamma = 15.44 (Fader and Hardie 2013, "The Gamma-Gamma Model
  of Monetary Value", on the 946 customers with a repeat purchase; lifetimes' test of the same
  name, to 2 decimals).
"""

from __future__ import annotations

import json
from datetime import date
from importlib.resources import files

import duckdb
import numpy as np
import pandas as pd
import pytest

from cxdata.analysis.clv import fit_clv
from cxdata.engine.query import open_backend
from cxdata.model.filters import Filters
from cxdata.model.schema import create_schema
from cxdata.questions.clv import compute_clv_model, equity_by, select_customers
from tests.test_cli import run_cli

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}
CDNOW = files("lifetimes.datasets")
CALIBRATION_END, HOLDOUT_END = date(1997, 9, 30), date(1998, 6, 30)


def read_cdnow_transactions() -> pd.DataFrame:
    """CDNOW_sample.txt: master id, sample id, day, CDs, dollars; one row per record."""
    with CDNOW.joinpath("CDNOW_sample.txt").open() as handle:
        frame = pd.read_csv(handle, sep=r"\s+", header=None, names=["master_id", "customer_id", "day", "cds", "amount"])
    frame["occurred_at"] = pd.to_datetime(frame["day"].astype(str), format="%Y%m%d")
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame


def test_the_models_reproduce_the_published_estimates_on_the_papers_summary():
    with CDNOW.joinpath("cdnow_customers_summary_with_transactions.csv").open() as handle:
        published = pd.read_csv(handle)  # ID, x, t_x, T, zbar: the papers' own calibration summary
    summary = published.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
    fit = fit_clv(summary)
    assert (fit.customers, fit.repeat_customers) == (2357, 946)
    assert fit.bgnbd == pytest.approx(PUBLISHED_BGNBD, abs=1e-3)
    assert fit.gamma_gamma == pytest.approx(PUBLISHED_GAMMA_GAMMA, abs=1e-2)


@pytest.fixture(scope="module")
def cdnow_db(tmp_path_factory):
    """The CDNOW sample's records as this product's customers and transactions."""
    transactions_frame = read_cdnow_transactions()  # read by DuckDB by its name
    customers_frame = transactions_frame.groupby("customer_id", as_index=False)["occurred_at"].min()  # noqa: F841 (read by DuckDB by its name)
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.duckdb"
    con = duckdb.connect(str(path))
    create_schema(con)
    con.execute("INSERT INTO customers (customer_id, signup_at) SELECT customer_id, occurred_at FROM customers_frame")
    con.execute("""INSERT INTO transactions (transaction_id, customer_id, occurred_at, amount)
                   SELECT row_number() OVER ()::VARCHAR, customer_id, occurred_at, amount FROM transactions_frame""")
    con.execute("INSERT INTO meta VALUES ('as_of', ?), ('currency', 'USD')", [HOLDOUT_END.isoformat()])
    con.close()
    return path


def test_the_product_reproduces_them_from_the_cdnow_transactions(cdnow_db):
    model = compute_clv_model(open_backend(cdnow_db), HOLDOUT_END, CALIBRATION_END, "weeks", 12)
    # The product's purchase rule (a positive amount) leaves out CDNOW's 8 records of $0, each a
    # customer's only first-quarter record: 2,349 customers, and estimates within 0.5% of the papers'.
    assert model.calibration_fit.customers == 2349
    assert model.calibration_fit.bgnbd == pytest.approx(PUBLISHED_BGNBD, rel=5e-3)
    assert model.calibration_fit.gamma_gamma == pytest.approx(PUBLISHED_GAMMA_GAMMA, rel=1e-2)

    # The summary it read equals one computed here in pandas from the file.
    records = read_cdnow_transactions()
    days = records[records["amount"] > 0].groupby(["customer_id", "occurred_at"], as_index=False)["amount"].sum()
    first = days.groupby("customer_id")["occurred_at"].transform("min")
    calibration = days[days["occurred_at"] <= pd.Timestamp(CALIBRATION_END)]
    customers = model.customers.set_index("customer_id")
    assert customers["calibration_frequency"].sum() == len(calibration) - calibration["customer_id"].nunique()
    assert customers["holdout_purchases"].sum() == (days["occurred_at"] > pd.Timestamp(CALIBRATION_END)).sum()
    recency = (calibration["occurred_at"] - first[calibration.index]).dt.days.groupby(calibration["customer_id"]).max() / 7
    assert customers.loc[recency.index, "calibration_recency"].to_numpy() == pytest.approx(recency.to_numpy())


@pytest.fixture(scope="module")
def clv_printed(sample_db):
    result = run_cli("clv", "--db", str(sample_db))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_cli_clv_prints_the_contract_with_numbers_from_the_data(clv_printed, sample_db):
    printed = clv_printed
    assert set(printed) >= {"params", "customers", "calibration_end", "validation", "equity", "by_class"}
    assert set(printed["params"]) == {"r", "alpha", "a", "b", "p", "q", "gamma"}
    assert all(value > 0 for value in printed["params"].values())
    # The default calibration end: 70% of the way from the first purchase (2 Jul 2023) to 31 Dec 2025.
    assert printed["calibration_end"] == "2025-04-01"
    con = duckdb.connect(str(sample_db), read_only=True)
    paying = con.execute("SELECT count(DISTINCT customer_id) FROM transactions WHERE amount > 0 "
                         "AND occurred_at < TIMESTAMP '2026-01-01'").fetchall()[0][0]  # fmt: skip
    holdout = con.execute("""
        WITH days AS (SELECT DISTINCT customer_id, occurred_at::DATE AS day FROM transactions
                      WHERE amount > 0 AND customer_id IS NOT NULL AND occurred_at < TIMESTAMP '2026-01-01'),
             calibrated AS (SELECT customer_id FROM days GROUP BY customer_id HAVING min(day) <= DATE '2025-04-01')
        SELECT count(*) FROM days JOIN calibrated USING (customer_id) WHERE day > DATE '2025-04-01'
    """).fetchall()[0][0]  # fmt: skip
    con.close()
    assert printed["customers"] == paying
    assert printed["validation"]["actual_repeat_purchases"] == holdout
    # Predicted within 15% of what happened in the nine months after the calibration end.
    assert printed["validation"]["predicted_repeat_purchases"] == pytest.approx(holdout, rel=0.15)
    by_class = printed["by_class"]
    assert set(by_class) == {"promoter", "passive", "detractor", "no_answer"}
    assert sum(c["customers"] for c in by_class.values()) == paying
    assert sum(c["equity"] for c in by_class.values()) == pytest.approx(printed["equity"])
    # The sample's promoters are worth more a head than its detractors.
    assert by_class["promoter"]["equity_per_customer"] > by_class["detractor"]["equity_per_customer"]


def test_cli_clv_rates_scale_with_the_time_unit_and_filters_narrow_the_customers(clv_printed, sample_db):
    result = run_cli("clv", "--db", str(sample_db), "--time-unit", "days", "--segment", "SMB")
    assert result.returncode == 0, result.stderr
    days = json.loads(result.stdout)
    weekly, daily = clv_printed["params"], days["params"]
    # BG/NBD's time scale is alpha alone: in days it is 7 × alpha in weeks; r, a, b do not change.
    assert daily["alpha"] == pytest.approx(7 * weekly["alpha"], rel=2e-3)
    assert [daily[k] for k in ("r", "a", "b")] == pytest.approx([weekly[k] for k in ("r", "a", "b")], rel=2e-3)
    con = duckdb.connect(str(sample_db), read_only=True)
    smb = con.execute("SELECT count(DISTINCT t.customer_id) FROM transactions t JOIN customers c USING (customer_id) "
                      "WHERE t.amount > 0 AND c.segment = 'SMB'").fetchall()[0][0]  # fmt: skip
    con.close()
    assert days["customers"] == smb < clv_printed["customers"]


def test_cli_clv_usage_errors_exit_2(sample_db):
    for args in (["--calibration-end", "2030-01-01"], ["--time-unit", "months"], ["--horizon-months", "0"]):
        result = run_cli("clv", "--db", str(sample_db), *args)
        assert result.returncode == 2, args
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_equity_by_dimension_sums_the_customers_forecasts(sample_db):
    db = open_backend(sample_db)
    model = compute_clv_model(db, date(2025, 12, 31))
    everyone = Filters(date(2025, 12, 31), date(2025, 12, 31))
    customers = select_customers(model, everyone)
    # A churned customer has left for certain; everyone else has a chance to be alive.
    churned = customers["churned_at"].notna()
    assert (customers.loc[churned, "expected_value"] == 0).all() and (customers.loc[~churned, "p_alive"] > 0).all()
    for dimension in ("segment", "channel", "nps_class"):
        table = equity_by(model, everyone, dimension).set_index("value")
        expected = customers.groupby(dimension)["expected_value"].sum()
        assert table["equity"].sort_index().to_numpy() == pytest.approx(expected.sort_index().to_numpy())
        assert table["share"].sum() == pytest.approx(1.0)
    assert np.isfinite(customers["expected_value"]).all()
