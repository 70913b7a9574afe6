"""Running jobs: the executor (a bounded thread pool), the job runner and the store's upkeep.

`JobExecutor` is the seam for other executors (Celery workers over Redis): they take request
ids and call the same `JobRunner`, which reads everything it needs from the job store.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, TypeVar

from deepfix_notebook.artifacts import ArtifactBundle, ArtifactError, redact_uri
from deepfix_notebook.contract import AnalysisResult, AnalysisStatus, ErrorCode, ErrorResponse
from deepfix_notebook.engine import Engine
from deepfix_notebook.server._errors import internal_error
from deepfix_notebook.server._jobs import Job, JobStore, JobStoreUnavailable
from deepfix_notebook.server._logging import bind_request_id, get_logger, unbind_request_id
from deepfix_notebook.server._process import release_memory

log = get_logger(__name__)

Runner = Callable[[str], None]
Loader = Callable[[str, str], ArtifactBundle]
Finished = Callable[[str, float], None]
PHASE_ONE_SHARE = 0.7  # the engine gives phase one this share of the deadline
PROGRESS_INTERVAL_S = 0.25  # a job's progress is written at most this often
STORE_RETRY_S = (0.5, 10.0)  # first and longest wait for a job store that takes no writes
T = TypeVar("T")


class ExecutorUnavailable(Exception):
    """The executor cannot take jobs now (its broker is unreachable): nothing was queued."""

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


@dataclass(frozen=True)
class QueueStats:
    """Jobs of this server's executor: running, waiting for a slot, and the slot count."""

    running: int
    queued: int
    capacity: int


class JobExecutor(Protocol):
    """Runs jobs by request id, at most ``capacity`` at a time."""

    @property
    def kind(self) -> str: ...

    def start(self, runner: Runner) -> None: ...

    def try_reserve(self) -> bool:
        """Take a slot now, or False when every slot is busy (a synchronous request's test)."""
        ...

    def release(self) -> None:
        """Give back a slot taken by `try_reserve` and not used."""
        ...

    def submit(self, request_id: str, *, reserved: bool = False) -> None:
        """Run the job when a slot is free (``reserved``: in the slot already taken).

        Raises `ExecutorUnavailable` when the job cannot be queued at all.
        """
        ...

    def future(self, request_id: str) -> Future[None] | None:
        """Done when this executor has finished with the job; None if it does not hold it."""
        ...

    def stats(self) -> QueueStats: ...

    def reconcile(self) -> list[str]:
        """Send again the queued jobs this executor lost track of; their ids.

        Raises `ExecutorUnavailable` when that cannot be found out now.
        """
        ...

    def ping(self) -> None:
        """Raise when jobs cannot be queued now (e.g. the broker does not answer)."""
        ...

    def shutdown(self) -> None: ...


class ThreadExecutor:
    """The default executor: a thread pool of ``capacity`` threads in the server process."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._pool: ThreadPoolExecutor | None = None
        self._runner: Runner | None = None
        self._lock = threading.Lock()
        self._in_flight = 0  # reserved + queued + running
        self._running = 0
        self._futures: dict[str, Future[None]] = {}

    @property
    def kind(self) -> str:
        return "threads"

    def start(self, runner: Runner) -> None:
        self._runner = runner
        self._pool = ThreadPoolExecutor(max_workers=self.capacity, thread_name_prefix="deepfix-job")

    def try_reserve(self) -> bool:
        with self._lock:
            if self._in_flight >= self.capacity:
                return False
            self._in_flight += 1
            return True

    def release(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def submit(self, request_id: str, *, reserved: bool = False) -> None:
        if self._pool is None:
            raise RuntimeError("the executor is not started")
        with self._lock:
            if request_id in self._futures:  # already here: a recovery found our own job
                if reserved:
                    self._in_flight -= 1
                return
            if not reserved:
                self._in_flight += 1
            future = self._pool.submit(self._run, request_id)
            self._futures[request_id] = future
        future.add_done_callback(lambda _: self._forget(request_id))

    def future(self, request_id: str) -> Future[None] | None:
        with self._lock:
            return self._futures.get(request_id)

    def stats(self) -> QueueStats:
        with self._lock:
            return QueueStats(
                running=self._running,
                queued=max(self._in_flight - self._running, 0),
                capacity=self.capacity,
            )

    def reconcile(self) -> list[str]:
        """Nothing to do: this queue lives and dies with the process (recovered by heartbeats)."""
        return []

    def ping(self) -> None:
        """Threads in this process: always able to queue."""

    def shutdown(self) -> None:
        """Stop taking jobs; queued ones stay queued in the store for the next start."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, request_id: str) -> None:
        assert self._runner is not None
        with self._lock:
            self._running += 1
        try:
            self._runner(request_id)
        except Exception:
            log.exception("job runner failed", extra={"job_id": request_id})
        finally:
            with self._lock:
                self._running -= 1

    def _forget(self, request_id: str) -> None:
        with self._lock:
            self._in_flight -= 1
            self._futures.pop(request_id, None)


class JobRunner:
    """Runs one stored job: load the run, analyse it, store the result or the error envelope."""

    def __init__(
        self,
        store: JobStore,
        engine: Engine,
        owner: str,
        *,
        loader: Loader,
        on_finished: Finished | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.owner = owner
        self.loader = loader
        self.on_finished = on_finished
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Stop waiting for a job store that takes no writes (the process is stopping: its
        unfinished jobs are recovered by the next server, as after a crash)."""
        self._stopping.set()

    def __call__(self, request_id: str) -> None:
        job = self._stored(lambda: self.store.claim(request_id, self.owner), request_id)
        if job is None:  # finished, or taken by another server
            return
        token = bind_request_id(job.correlation_id)
        try:
            self._execute(job)
        finally:
            unbind_request_id(token)
            release_memory()

    def _execute(self, job: Job) -> None:
        request = job.request
        options = request.analysis_options
        extra = {"job_id": job.request_id, "run_id": job.run_id, "attempt": job.attempts}
        log.info("analysis started", extra=extra)
        start = time.perf_counter()
        result: AnalysisResult | None = None
        error: ErrorResponse | None = None
        try:
            bundle = self.loader(request.run_id, job.tracking_uri)

            last_write = [start]

            def progress(name: str, done: int, total: int) -> None:
                # Most analyses take milliseconds: only a slow one is worth a write per agent.
                now = time.perf_counter()
                if now - last_write[0] < PROGRESS_INTERVAL_S:
                    return
                last_write[0] = now
                # Progress is a hint: a store that takes no writes must not stop the analysis.
                with contextlib.suppress(JobStoreUnavailable):
                    share = done / max(total, 1)
                    self.store.set_progress(job.request_id, job.attempts, done, share)

            result = self.engine.analyze(
                bundle,
                options,
                request.context,
                run_id=request.run_id,
                request_id=job.request_id,
                deadline=options.max_analysis_time,
                on_agent_done=progress,
            )
            result = result.model_copy(update={"backend": job.backend})
            if _nothing_in_time(result, options.max_analysis_time):
                error = _timeout(result, options.max_analysis_time)
                result = None
        except ArtifactError as exc:
            error = _redacted(exc.to_response(), job.tracking_uri)
        except Exception:
            log.exception("analysis failed unexpectedly", extra=extra)
            error = internal_error()
        seconds = time.perf_counter() - start
        status = result.status.value if result is not None else AnalysisStatus.FAILED.value
        stored = self._stored(
            lambda: self.store.finish(job.request_id, job.attempts, result=result, error=error),
            job.request_id,
        )
        if not stored:
            log.warning("analysis outcome discarded: the job was taken over", extra=extra)
            return
        if self.on_finished is not None:
            self.on_finished(status, seconds)
        log.info(
            "analysis finished",
            extra={
                **extra,
                "status": status,
                "seconds": round(seconds, 3),
                "error": None if error is None else error.error.value,
            },
        )

    def _stored(self, write: Callable[[], T], request_id: str) -> T:
        """``write`` to the job store, tried again while the store takes no writes (its disk
        is full): a job is accepted only once it is stored, so its outcome in memory is the
        only copy. Gives up (raising) only when this process is stopping."""
        wait, longest = STORE_RETRY_S
        warned = False
        while True:
            try:
                return write()
            except JobStoreUnavailable as exc:
                if self._stopping.is_set():
                    raise
                if not warned:
                    extra = {"job_id": request_id}
                    log.warning("job waits for the job store: %s", exc, extra=extra)
                    warned = True
            if self._stopping.wait(wait):
                continue  # stopping: one last try, then the error is raised
            wait = min(wait * 2, longest)


def _redacted(envelope: ErrorResponse, uri: str) -> ErrorResponse:
    """``envelope`` without the password of ``uri``, should the message or details quote it."""
    safe = redact_uri(uri)
    if safe == uri:
        return envelope
    text = envelope.model_dump_json().replace(json.dumps(uri)[1:-1], json.dumps(safe)[1:-1])
    return ErrorResponse.model_validate_json(text)


def _nothing_in_time(result: AnalysisResult, deadline: float) -> bool:
    """Every agent failed and the deadline was spent: nothing at all finished in time."""
    return (
        bool(result.agent_results)
        and all(agent.error_message for agent in result.agent_results)
        and result.execution_time >= PHASE_ONE_SHARE * deadline
    )


def _timeout(result: AnalysisResult, deadline: float) -> ErrorResponse:
    return ErrorResponse(
        error=ErrorCode.ANALYSIS_TIMEOUT,
        message=f"No agent finished within max_analysis_time ({deadline:g} s); raise it "
        "(up to 300 s) or disable analyses you do not need.",
        details={
            "max_analysis_time": deadline,
            "agents": {a.agent_name: a.error_message for a in result.agent_results},
        },
    )


class JobKeeper:
    """Keeps the store honest: heartbeats, takes over silent servers' jobs, has the executor
    send again the jobs it lost, purges old ones."""

    def __init__(
        self,
        store: JobStore,
        executor: JobExecutor,
        owner: str,
        *,
        heartbeat_seconds: float,
        ttl_seconds: float,
    ) -> None:
        self.store = store
        self.executor = executor
        self.owner = owner
        self.heartbeat_seconds = heartbeat_seconds
        self.ttl_seconds = ttl_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._queue_down = False  # warn once per outage, not every beat

    @property
    def stale_after(self) -> float:
        return 3 * self.heartbeat_seconds  # as Settings.stale_after_seconds

    def start(self) -> None:
        """Beat and upkeep once now, then every heartbeat, each in a daemon thread of its own:
        upkeep may wait seconds for a broker that is down, heartbeats must not (this process
        would look dead, and its running jobs would be run again elsewhere)."""
        self.tick()
        for name, step in (("deepfix-heartbeat", self.beat), ("deepfix-keeper", self.upkeep)):
            thread = threading.Thread(target=self._every_beat, args=(step,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def tick(self) -> None:
        self.beat()
        self.upkeep()

    def beat(self) -> None:
        """Mark this process's jobs alive."""
        self.store.heartbeat(self.owner)

    def upkeep(self) -> None:
        """Take over silent owners' jobs, send again lost ones, purge old ones."""
        recovery = self.store.recover(self.owner, self.stale_after)
        for request_id in recovery.failed:
            log.warning("job failed after repeated interruptions", extra={"job_id": request_id})
        try:
            for request_id in recovery.to_run:
                log.info("job recovered and queued again", extra={"job_id": request_id})
                self.executor.submit(request_id)
            for request_id in self.executor.reconcile():
                log.warning("job sent again: its message was lost", extra={"job_id": request_id})
        except ExecutorUnavailable as exc:  # queued jobs keep their lease and are sent later
            if not self._queue_down:
                log.warning("job queue unavailable: %s", exc)
            self._queue_down = True
        else:
            if self._queue_down:
                log.info("job queue available again")
            self._queue_down = False
        purged = self.store.purge(self.ttl_seconds)
        if purged:
            log.info("purged finished jobs past their TTL", extra={"count": purged})

    def _every_beat(self, step: Callable[[], None]) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            try:
                step()
            except Exception:
                log.exception("job store upkeep failed; retrying at the next heartbeat")
