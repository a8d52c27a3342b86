"""The docstring examples are part of the documentation: keep them true."""

import doctest
import importlib

import pytest

MODULES = ["cxdata.stats", "cxdata.filters", "cxdata.i18n", "cxdata.metrics", "cxdata.roles", "cxdata.upload_view", "cxdata.engines"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
