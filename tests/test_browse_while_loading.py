"""Sessions keep browsing, without a single error, while uploads replace the database under the
running server (the bench's scenario, ``bench/browse_while_loading.py``, with fewer sessions)."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.async_api")  # the browser tests need Playwright

from bench.browse_while_loading import measure  # noqa: E402

pytestmark = pytest.mark.browser


def test_pages_show_no_error_while_loads_and_undos_replace_the_database(sample_db):
    report = measure(sample_db, sessions=3, visits=3, minimum_loads=1)
    assert report["uploads_failed"] == []
    assert report["loads_while_browsing"] + report["undos_while_browsing"] >= 1  # the pages met a new file
    assert report["errors"] == []
    assert report["unfinished"] == []  # every view seen to the end of its run
    assert report["views_skipped"] == 0  # no budget: every session did all its views
    assert report["pages"] == 9
    assert report["data_restored"]  # every load undone: the transactions are the sample's again
