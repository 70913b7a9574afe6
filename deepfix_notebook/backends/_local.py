"""`LocalBackend`: the embedded engine in-process, with a small thread pool for `submit`."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from deepfix_notebook._version import __version__
from deepfix_notebook.artifacts import ArtifactBundle, ArtifactError, RunRef, load_run, run_ref
from deepfix_notebook.backends._protocol import AnalysedRun, Progress
from deepfix_notebook.contract import (
    AnalysisContext,
    AnalysisOptions,
    AnalysisResult,
    HealthResponse,
    JobState,
    JobStatus,
    KnowledgeQuery,
    KnowledgeResponse,
    utc_now,
)
from deepfix_notebook.engine import Engine, default_engine

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow_runs import RunSummary

MAX_KEPT_JOBS = 256  # finished jobs remembered for status/result; the oldest go first


class JobNotFound(KeyError):
    """No job with this request id (never submitted, or forgotten)."""


@dataclass
class _Job:
    status: JobStatus
    future: Future[AnalysisResult] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class LocalBackend:
    """The default backend: offline, in-process, milliseconds."""

    def __init__(
        self,
        *,
        tracking_uri: str | None = None,
        engine: Engine | None = None,
        max_workers: int = 2,
    ) -> None:
        self.tracking_uri = tracking_uri
        self._engine = engine
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="deepfix-job")
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return "local"

    @property
    def in_process(self) -> bool:
        return True

    @property
    def engine(self) -> Engine:
        return self._engine or default_engine()

    def load(self, source: Any) -> ArtifactBundle:
        """The bundle of ``source`` (anything `run_ref` accepts): an MLflow run is read from its
        store when known, else looked for in this backend's store first, then the other
        candidate stores (`artifacts.candidate_stores`)."""
        return load_run(source, connected=self.tracking_uri)

    def analyze(
        self,
        source: Any,
        options: AnalysisOptions | None = None,
        context: AnalysisContext | None = None,
        *,
        on_progress: Progress | None = None,
    ) -> AnalysisResult:
        return self.analyze_run(
            source, options, context, on_progress=on_progress, read=False
        ).result

    def analyze_run(
        self,
        source: Any,
        options: AnalysisOptions | None = None,
        context: AnalysisContext | None = None,
        *,
        on_progress: Progress | None = None,
        read: bool = True,
    ) -> AnalysedRun:
        ref = run_ref(source, connected=self.tracking_uri)
        request_id = f"req_{uuid.uuid4().hex[:16]}"
        job = _Job(_status(request_id, ref.label, JobState.RUNNING))
        loaded: list[ArtifactBundle] = []
        result = self._run(job, ref, options, context, on_progress, loaded.append)
        return AnalysedRun(result, loaded[0] if read else None)

    def submit(
        self,
        source: Any,
        options: AnalysisOptions | None = None,
        context: AnalysisContext | None = None,
    ) -> str:
        ref = run_ref(source, connected=self.tracking_uri)
        request_id = f"req_{uuid.uuid4().hex[:16]}"
        job = _Job(_status(request_id, ref.label, JobState.QUEUED))
        with self._lock:
            self._forget_old()
            self._jobs[request_id] = job
        job.future = self._pool.submit(self._run, job, ref, options, context, None)
        return request_id

    def status(self, request_id: str) -> JobStatus:
        job = self._job(request_id)
        with job.lock:
            return job.status.model_copy()

    def result(self, request_id: str, *, timeout: float | None = None) -> AnalysisResult:
        job = self._job(request_id)
        assert job.future is not None
        try:
            return job.future.result(timeout=timeout)
        except FutureTimeout:
            raise TimeoutError(f"{request_id} is still {job.status.status.value}") from None

    def query_knowledge(self, query: KnowledgeQuery) -> KnowledgeResponse:
        return self.engine.knowledge.query(query)

    def health(self) -> HealthResponse:
        with self._lock:
            active = sum(1 for job in self._jobs.values() if job.future and not job.future.done())
        return HealthResponse(
            status="ok",
            version=__version__,
            engine="embedded",
            job_store="in-memory",
            queue=f"threads ({active} in flight)",
        )

    def jobs(self) -> list[JobStatus]:
        """Every remembered job, oldest first."""
        with self._lock:
            return [job.status.model_copy() for job in self._jobs.values()]

    def runs(self, *, experiment: str | None = None, limit: int = 50) -> list[RunSummary]:
        from deepfix_notebook.artifacts import list_runs

        return list_runs(self.tracking_uri, experiment=experiment, limit=limit)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(
        self,
        job: _Job,
        ref: RunRef,
        options: AnalysisOptions | None,
        context: AnalysisContext | None,
        on_progress: Progress | None,
        on_loaded: Callable[[ArtifactBundle], None] | None = None,
    ) -> AnalysisResult:
        self._update(job, on_progress, status=JobState.RUNNING, started_at=utc_now())
        try:
            bundle = self.load(ref)
            if on_loaded is not None:
                on_loaded(bundle)
            self._update(job, on_progress, run_id=bundle.run_id or str(bundle.source))

            def agent_done(name: str, done: int, total: int) -> None:
                self._update(job, on_progress, agents_done=done, progress=done / max(total, 1))

            result = self.engine.analyze(
                bundle,
                options,
                context,
                request_id=job.status.request_id,
                on_agent_done=agent_done,
            )
        except ArtifactError as error:
            self._update(
                job, on_progress, status=JobState.FAILED, error=str(error), finished_at=utc_now()
            )
            raise
        except Exception as error:
            self._update(
                job,
                on_progress,
                status=JobState.FAILED,
                error=f"{type(error).__name__}: {error}",
                finished_at=utc_now(),
            )
            raise
        self._update(
            job,
            on_progress,
            status=JobState(result.status.value),
            run_id=result.run_id,
            progress=1.0,
            finished_at=utc_now(),
        )
        return result

    def _update(self, job: _Job, on_progress: Progress | None, **changes: Any) -> None:
        with job.lock:
            job.status = job.status.model_copy(update=changes)
            snapshot = job.status.model_copy()
        if on_progress is not None:
            on_progress(snapshot)

    def _job(self, request_id: str) -> _Job:
        with self._lock:
            job = self._jobs.get(request_id)
        if job is None:
            raise JobNotFound(f"no analysis job {request_id!r} in this session")
        return job

    def _forget_old(self) -> None:
        finished = [rid for rid, job in self._jobs.items() if job.future and job.future.done()]
        for rid in finished[: max(0, len(self._jobs) - MAX_KEPT_JOBS + 1)]:
            del self._jobs[rid]


def _status(request_id: str, run_id: str | None, state: JobState) -> JobStatus:
    return JobStatus(
        request_id=request_id,
        run_id=run_id or "pending",
        status=state,
        progress=0.0,
        agents_done=0,
        submitted_at=utc_now(),
    )
