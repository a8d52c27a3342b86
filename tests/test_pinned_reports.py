"""The three CLI reports on the test sample, pinned: a change of structure must not move a number.

``tests/golden/pinned_reports.json`` holds what ``metrics``, ``funnel`` and ``money`` printed on
the session sample (scale 0.02, seed 7) for a few filter sets, before the metric layer was
restructured. Every path must print them: the rollups (fresh sample) and the definitions on the
raw tables (rollups marked stale). Regenerate only for an intended change of a definition:

    python -m tests.test_pinned_reports PATH_TO_SAMPLE_DB
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from cxdata.cli import main

PINS = Path(__file__).parent / "golden" / "pinned_reports.json"

# (command, arguments): the default view, the incident window of the app channel (a custom
# period), a narrow slice, a long custom range of two acquisition channels, the dashboard's
# default half year, a quarter of one segment and channel, another window and horizon.
CASES = [
    ("metrics", []),
    ("metrics", ["--start", "2025-10-06", "--end", "2025-11-02", "--channel", "mobile_app"]),
    ("metrics", ["--segment", "Premium", "--region", "Siberia"]),
    ("metrics", ["--start", "2024-01-01", "--end", "2025-06-30", "--acquisition-channel", "partners",
                 "--acquisition-channel", "social"]),
    ("metrics", ["--start", "2025-07-01", "--end", "2025-12-31"]),
    ("funnel", []),
    ("funnel", ["--start", "2025-10-06", "--end", "2025-11-02", "--channel", "mobile_app"]),
    ("funnel", ["--start", "2025-07-01", "--end", "2025-12-31", "--segment", "SMB", "--window-days", "7"]),
    ("funnel", ["--start", "2024-01-01", "--end", "2025-06-30", "--acquisition-channel", "partners"]),
    ("money", []),
    ("money", ["--start", "2025-10-06", "--end", "2025-11-02", "--channel", "mobile_app"]),
    ("money", ["--start", "2025-07-01", "--end", "2025-12-31", "--segment", "Premium", "--region", "Siberia"]),
    ("money", ["--start", "2024-01-01", "--end", "2025-06-30", "--horizon-months", "6"]),
]


def case_id(command: str, arguments: list[str]) -> str:
    return " ".join([command, *arguments])


# Fields added after the pins were taken: not pinned here, they have tests of their own (the
# predicted LTV: tests/test_predicted_value.py; the pays-back status, the lifetime's note and the
# LTV/CAC standard: tests/test_board_ready.py); every pinned field must still print the same.
ADDED_FIELDS = {"predicted", "predicted_ltv", "predicted_ltv_cac", "payback_status", "lifetime_note",
                "is_below_standard"}


def without_added_fields(report):
    if isinstance(report, dict):
        return {k: without_added_fields(v) for k, v in report.items() if k not in ADDED_FIELDS}
    if isinstance(report, list):
        return [without_added_fields(item) for item in report]
    return report


def run_report(db: Path, command: str, arguments: list[str], capsys) -> object:
    assert main([command, "--db", str(db), *arguments]) == 0
    return without_added_fields(json.loads(capsys.readouterr().out))


def assert_same(actual, expected, where: str = "") -> None:
    """Equal structure and text; numbers equal to 1e-9 relative (1e-9 absolute near zero)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and sorted(actual) == sorted(expected), where
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{where}[{index}]")
    elif isinstance(expected, float) and not isinstance(expected, bool):
        assert isinstance(actual, (int, float)), f"{where}: {actual!r} != {expected!r}"
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9), f"{where}: {actual!r} != {expected!r}"
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


@pytest.fixture(scope="module")
def pins() -> dict:
    return json.loads(PINS.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", ["rollups", "raw tables"])
@pytest.mark.parametrize(("command", "arguments"), CASES, ids=[case_id(*case) for case in CASES])
def test_report_matches_its_pin(command, arguments, path, pins, sample_db, stale_rollups_db, capsys):
    db = sample_db if path == "rollups" else stale_rollups_db
    assert_same(run_report(db, command, arguments, capsys), pins[case_id(command, arguments)], case_id(command, arguments))


def _regenerate(db: str) -> None:
    import contextlib
    import io

    reports = {}
    for command, arguments in CASES:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main([command, "--db", db, *arguments]) == 0
        reports[case_id(command, arguments)] = without_added_fields(json.loads(out.getvalue()))
    PINS.write_text(json.dumps(reports, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    _regenerate(sys.argv[1])
