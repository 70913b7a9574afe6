"""`DisplayAnalyses`: the runs an overview page shows without an analysis, analysed in the
background by the local engine so their health badges can be shown. Nothing is written back.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING

from deepfix_notebook.report._store import DisplayKey, Health, RunStore

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow import RunSummary
    from deepfix_notebook.backends import AnalysisBackend


def display_analyses(store: RunStore, backend: AnalysisBackend) -> DisplayAnalyses | None:
    """A worker for ``backend`` when its analyses run in this process; None for a server, whose
    analyses each cost it a job: its runs wait for the Run page's Analyze."""
    return DisplayAnalyses(store, backend) if backend.in_process else None


class DisplayAnalyses:
    """One worker for every session of a report; a page's runs are queued newest first.

    Each session (``owner``) asks for the runs of the page it shows; asking again replaces what
    it asked before, and a queued run nobody waits for any more is cancelled, so changing page
    does not leave the worker busy with the old one. Two sessions asking for the same run share
    one analysis. The results are kept by the store, per (run id, end time).
    """

    def __init__(
        self, store: RunStore, backend: AnalysisBackend, *, executor: Executor | None = None
    ) -> None:
        self.store = store
        self.backend = backend
        self._executor = executor or ThreadPoolExecutor(1, thread_name_prefix="deepfix-health")
        self._lock = threading.RLock()  # an executor may run the job (and its callback) at once
        self._queued: dict[DisplayKey, tuple[Future[Health], set[object]]] = {}

    def request(self, owner: object, runs: Sequence[RunSummary]) -> dict[str, Future[Health]]:
        """Queue ``runs`` (in this order) for ``owner``, withdrawing what it asked before."""
        keys = [(run.run_id, run.end_time) for run in runs]
        futures: dict[str, Future[Health]] = {}
        with self._lock:
            self.withdraw(owner, keep=keys)
            for run, key in zip(runs, keys, strict=True):
                entry = self._queued.get(key)
                if entry is None:
                    future = self._executor.submit(
                        self.store.analyse_for_display, run, self.backend
                    )
                    entry = (future, set())
                    self._queued[key] = entry
                    future.add_done_callback(partial(self._forget, key))
                entry[1].add(owner)
                futures[run.run_id] = entry[0]
        return futures

    def withdraw(self, owner: object, *, keep: Sequence[DisplayKey] = ()) -> None:
        """Stop waiting, for ``owner``, for the runs it asked for (but ``keep``); those nobody
        else waits for are cancelled unless already running."""
        kept = set(keep)
        with self._lock:
            for key, (future, owners) in list(self._queued.items()):
                if key in kept or owner not in owners:
                    continue
                owners.discard(owner)
                if not owners and future.cancel():
                    self._queued.pop(key, None)

    @property
    def queued(self) -> int:
        """Analyses queued or running."""
        with self._lock:
            return len(self._queued)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _forget(self, key: DisplayKey, future: Future[Health]) -> None:
        with self._lock:
            entry = self._queued.get(key)
            if entry is not None and entry[0] is future:
                del self._queued[key]
