"""Process-wide settings of a server or worker process (never applied in a user's kernel)."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable
from functools import cache
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


def release_memory() -> None:
    """Give the memory an analysis freed back to the system: pyarrow's pool (CSV reading) and
    glibc's heap (``malloc_trim``).

    Both keep freed memory for reuse, and glibc raises its mmap threshold after large frees so
    later large arrays come from the heap too: without this a server stays near its peak after
    a few large runs. Costs microseconds when there is nothing to return.
    """
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:  # imported only once a metrics.csv was read
        arrow.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return None
    return trim
