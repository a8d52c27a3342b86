"""Shared fixtures: databases built by hand (golden numbers) and from the sample (cross-checks)."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cxdata.schema import create_schema  # noqa: E402

# The small sample every test session shares (built once; ~0.5 s).
SAMPLE_SCALE = 0.02
SAMPLE_SEED = 7


def insert_rows(con, table: str, rows: list[tuple]) -> None:
    """Insert literal rows; the tests read like tables."""
    if rows:
        placeholders = ", ".join("?" * len(rows[0]))
        con.executemany(f"INSERT INTO {table} VALUES ({placeholders})", rows)


@pytest.fixture
def empty_db(tmp_path):
    """A path to a new database with the schema and nothing else."""
    path = tmp_path / "empty.duckdb"
    con = duckdb.connect(str(path))
    create_schema(con)
    con.close()
    return path


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """A small embedded sample, built once per test session."""
    from cxdata.sample import build_sample_database

    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    build_sample_database(path, scale=SAMPLE_SCALE, seed=SAMPLE_SEED)
    return path
