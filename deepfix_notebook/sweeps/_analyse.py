"""Analysing many bundles with the embedded engine: in this process, or in forked workers."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from deepfix_notebook.sweeps._health import Health, health

if TYPE_CHECKING:
    from deepfix_notebook.artifacts import ArtifactBundle
    from deepfix_notebook.backends import AnalysisBackend, LocalBackend
    from deepfix_notebook.contract import AnalysisResult

# Runs per worker process below which forking it costs more than it saves (one run: ~3 ms).
MIN_RUNS_PER_PROCESS = 100
CHUNKSIZE = 16


@dataclass(frozen=True, slots=True)
class Analysed:
    """A new analysis: its JSON text (what ``--save`` writes) and the run's health."""

    text: str
    problems: list[str]
    health: Health


@dataclass(frozen=True, slots=True)
class Failed:
    """Why a run could not be analysed: a contract error code and a message."""

    code: str
    message: str


Outcome = Analysed | Failed


def worker_count(requested: int | None, runs: int) -> int:
    """Processes for ``runs`` analyses: ``requested``, else the CPUs this process may use, never
    more than the runs make worth it; 1 (this process) but on Linux, where forking is safe."""
    if not sys.platform.startswith("linux"):
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    wanted = requested if requested is not None else (cpus or 1)
    return max(1, min(wanted, runs // MIN_RUNS_PER_PROCESS))


class Analyser:
    """Analyses bundles with ``workers`` forked processes (1: in this process).

    Forked children inherit the engine and its knowledge index already built here, so a
    worker starts in milliseconds.
    """

    def __init__(self, workers: int) -> None:
        self._pool: ProcessPoolExecutor | None = None
        if workers > 1:
            _backend().engine.knowledge  # noqa: B018  (built once, before the fork)
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(workers, mp_context=context)

    def submit(self, bundles: Sequence[ArtifactBundle]) -> Iterator[Outcome]:
        """Start analysing ``bundles``; the outcomes, in order, as they are read. With workers,
        the caller reads the next runs meanwhile."""
        if self._pool is None or len(bundles) < 2:
            return (analyse_one(bundle) for bundle in bundles)
        return self._pool.map(analyse_one, bundles, chunksize=CHUNKSIZE)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Analyser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def analyse_one(bundle: ArtifactBundle) -> Outcome:
    """Analyse one bundle; never raises."""
    try:
        result = _backend().analyze(bundle)
    except Exception as error:  # one run's failure is reported on its line, never raised
        return failure(error)
    return outcome(result)


def outcome(result: AnalysisResult) -> Outcome:
    """A finished analysis as the sweep keeps it; one that analysed nothing is a failure."""
    from deepfix_notebook.contract import AnalysisStatus

    if result.status is AnalysisStatus.FAILED:
        return Failed("ARTIFACT_INVALID", result.summary)
    problems, state = health(result)
    return Analysed(result.model_dump_json(), [code.value for code in problems], state)


def failure(error: Exception) -> Failed:
    """An exception as a failed run: its contract error code when it has one."""
    code = getattr(getattr(error, "code", None), "value", None)
    message = getattr(error, "message", None)
    if isinstance(code, str) and isinstance(message, str):
        return Failed(code, message)
    return Failed("INTERNAL_SERVER_ERROR", f"{type(error).__name__}: {error}")


class RemoteAnalyser:
    """Analyses runs as jobs of a DeepFix server, which reads them from its MLflow store; its
    workers are the parallel part."""

    def __init__(self, backend: AnalysisBackend) -> None:
        self._backend = backend

    def start(self, run_ids: Sequence[str]) -> Callable[[], dict[str, Outcome]]:
        """Submit every run at once; the returned call waits for their outcomes."""
        submitted: dict[str, str] = {}
        failed: dict[str, Outcome] = {}
        for run_id in run_ids:
            try:
                submitted[run_id] = self._backend.submit(run_id)
            except Exception as error:  # a refused run is reported, the others go on
                failed[run_id] = failure(error)

        def finish() -> dict[str, Outcome]:
            outcomes = dict(failed)
            for run_id, request_id in submitted.items():
                try:
                    outcomes[run_id] = outcome(self._backend.result(request_id))
                except Exception as error:
                    outcomes[run_id] = failure(error)
            return outcomes

        return finish


_BACKEND: list[LocalBackend] = []


def _backend() -> LocalBackend:
    """This process's backend: the embedded engine with its agents run inline (the sweep runs
    are the parallel part)."""
    if not _BACKEND:
        from deepfix_notebook.backends import LocalBackend
        from deepfix_notebook.engine import Engine

        _BACKEND.append(LocalBackend(engine=Engine(threads=False), max_workers=1))
    return _BACKEND[0]
