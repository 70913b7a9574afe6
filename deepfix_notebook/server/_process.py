"""Process-wide settings of a server or worker process (never applied in a user's kernel)."""

from __future__ import annotations

import sys
from importlib.util import find_spec

SWITCH_INTERVAL_S = 0.001
# MLflow's HTTP client tries ``import dbruntime`` (Databricks' runtime) on every request; off
# Databricks each try searches all of sys.path again and takes the import lock.
_ABSENT_PROBES = ("dbruntime",)


def tune_process() -> None:
    """Shorter GIL switch interval and no repeated failing imports; idempotent."""
    # Jobs run on threads beside the event loop: a shorter switch interval keeps requests
    # answering while analyses compute (async submit p95 halves; see benchmarks/README.md).
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    for name in _ABSENT_PROBES:
        if name not in sys.modules and find_spec(name) is None:
            sys.modules[name] = None  # type: ignore[assignment]  # `import` now fails at once
