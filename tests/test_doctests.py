"""The docstring examples are part of the documentation: keep them true."""

import doctest
import importlib

import pytest

MODULES = ["cxdata.cli_contract", "cxdata.ingest.messages", "cxdata.ingest.settings_log", "cxdata.analysis.stats", "cxdata.model.filters", "cxdata.model.rules", "cxdata.i18n", "cxdata.questions.metrics",
           "cxdata.questions.funnel", "cxdata.model.roles", "cxdata.presentation.upload_view",
           "cxdata.engine.engines", "cxdata.model.registry", "cxdata.model.spelling", "cxdata.ingest.read_errors",
           "cxdata.engine.fit_store", "cxdata.presentation.forecast_text", "cxdata.questions.journey_weekly",
           "cxdata.analysis.maturity", "cxdata.model.maturity", "cxdata.ingest.maturity_store", "cxdata.analysis.signals",
           "cxdata.presentation.complaints_view"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
