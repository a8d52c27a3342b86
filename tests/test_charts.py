"""The charts the pages send are valid plotly figures, serialized exactly as plotly would.

``cxdata.presentation.charts`` builds figures as plain dicts and ``cxdata.app.ui.show_chart`` hands them to
``st.plotly_chart`` without plotly's validation; here plotly validates every chart a page really
sent (``go.Figure`` raises on any unknown property or bad value) and serializes it again.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from tests.test_app import PAGES, clear_streamlit_caches, open_app  # noqa: F401 - the fixture clears caches


@pytest.mark.parametrize("page", PAGES)
def test_every_sent_chart_is_plotly_s_own_serialization_of_a_valid_figure(tmp_path, monkeypatch, sample_db, page):
    app = open_app(tmp_path, monkeypatch, sample_db, page)
    assert not app.exception
    sent = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    assert len(sent) >= 5, page
    for spec in sent:
        title = spec["layout"].get("title", {}).get("text", "(blank)")
        assert json.loads(pio.to_json(go.Figure(spec))) == spec, title
        assert spec["layout"]["template"]["layout"], title  # Streamlit's theme template is there


def test_charts_are_rebuilt_when_an_input_changes_and_only_then(tmp_path, monkeypatch, sample_db):
    """``ui.derive`` keys a chart by where its inputs came from: a rerun that changes nothing
    rebuilds nothing, a changed input (a widget, a filter) rebuilds it, and going back serves
    the first chart again."""
    import functools

    import cxdata.presentation.money_charts

    calls = []
    original = cxdata.presentation.money_charts.build_driver_figure

    @functools.wraps(original)
    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(cxdata.presentation.money_charts, "build_driver_figure", counted)

    def driver_chart(app) -> dict:
        charts = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
        return next(c for c in charts if c["layout"]["title"]["text"].startswith("Importance in money"))

    app = open_app(tmp_path, monkeypatch, sample_db, "money")
    first = driver_chart(app)
    assert len(calls) == 1
    app.run()
    assert len(calls) == 1 and driver_chart(app) == first
    horizon = app.number_input(key="money_horizon")
    horizon.set_value(horizon.value * 2).run()
    assert len(calls) == 2 and driver_chart(app) != first
    app.number_input(key="money_horizon").set_value(horizon.value // 2).run()
    assert len(calls) == 2 and driver_chart(app) == first
    app.sidebar.multiselect(key="f_region").select("Siberia").run()
    assert not app.exception
    assert len(calls) == 3 and driver_chart(app) != first
