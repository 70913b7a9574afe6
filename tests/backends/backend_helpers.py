"""Helpers of the backend suite: the runs it analyses, and each backend built the same way.

Imported by module name (``from backend_helpers import ...``): ``conftest`` is ambiguous when
several test folders have one."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from deepfix_notebook.backends import AnalysisBackend, LocalBackend, RemoteBackend
from deepfix_notebook.client import DeepFixClient, PollingConfig

# Jobs take well under a second: poll fast rather than on CONTRACT.md §5's 1 s schedule.
FAST_POLL = PollingConfig(initial_interval=0.05, max_interval=0.2, max_wait_time=60.0)


@dataclass(frozen=True)
class Runs:
    """Runs logged to the MLflow server at ``tracking_uri`` in ``experiment``, by scenario
    (each run is named after its scenario)."""

    tracking_uri: str
    experiment: str
    by_name: dict[str, str]


def make_backend(kind: str, request: pytest.FixtureRequest, runs: Runs) -> AnalysisBackend:
    """``local``: the embedded engine; ``remote``: the `deepfix_server` fixture's server. Both
    read ``runs.tracking_uri``."""
    if kind == "local":
        return LocalBackend(tracking_uri=runs.tracking_uri)
    url = request.getfixturevalue("deepfix_server")
    # strict: an unreachable server must fail the test, not fall back to the embedded engine.
    client = DeepFixClient(url, polling=FAST_POLL, offline_mode="strict")
    request.addfinalizer(client.close)  # a client passed in is not closed by the backend
    return RemoteBackend(url, tracking_uri=runs.tracking_uri, offline="strict", client=client)
