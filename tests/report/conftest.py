"""Stores for the report's tests: seeded once per session, read-only afterwards.

Tests that write to a run (Analyze, save) use ``fresh_seeded``, a store of their own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from seeding import Seeded, seed_many, seed_store

MANY = 500


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """The example, hostile and empty runs; ``overfitting`` has a logged analysis."""
    return seed_store(tmp_path_factory.mktemp("report-store"))


@pytest.fixture
def fresh_seeded(tmp_path: Path) -> Seeded:
    """Like ``seeded``, but the test's own (it may write to it)."""
    return seed_store(tmp_path / "store")


@pytest.fixture(scope="session")
def many(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """A store with `MANY` runs: the seeded six and small runs without artifacts."""
    seeded = seed_store(tmp_path_factory.mktemp("report-many"))
    seed_many(seeded.uri, MANY - len(seeded.ids), experiment=seeded.experiment)
    return seeded
