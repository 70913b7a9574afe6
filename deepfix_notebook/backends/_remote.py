"""`RemoteBackend`: a DeepFix server behind HTTP, with an offline mode for when it is unreachable.

Offline modes (CONTRACT.md §5), applied when the server cannot be reached: connection errors,
and 5xx or 429 answers still failing after the client's retries (its retry budget bounds the
wait). A 503 ``MLFLOW_CONNECTION_ERROR`` counts too: the server is up but its MLflow is not, and
the warning says so.

- ``strict``: the client's error is raised (`DeepFixConnectionError` or `DeepFixError`).
- ``fallback`` (default): a `ServerUnreachableWarning` is issued and the embedded engine
  analyses the run instead when this process can read it (`LocalBackend` on the same
  ``tracking_uri``): the result's ``backend`` is ``"local (server unreachable)"`` and its first
  warning says so (`fallback_notice`). When this process cannot read the run either, `analyze`
  returns an `AnalysisResult` with status ``failed``, no agent results, both reasons in
  ``summary`` and ``warnings``, and ``backend`` ``"<url> (unreachable)"``: the protocol's
  return type holds, so callers (a training callback, the notebook) need no special case.
  With ``fallback_engine=False`` it is the client's ``fallback`` (`DeepFixClient`): warn and go
  on without analysis (the ``failed`` result), as a training loop wants (CONTRACT.md §5).
- ``local``: as ``fallback``, but when this process cannot read the run either,
  `LocalBackend`'s error is raised.

The modes apply to `analyze`, `submit`, `query_knowledge` and `health`. Other errors
(400/401/404/422, a timed-out poll) are raised in every mode, since no other backend would fix
them, and so are errors asking `status`/`result` about a job the server holds.

Errors are those of `LocalBackend` where the two can fail alike: an unknown job is `JobNotFound`,
and a run the server could not read (RUN_NOT_FOUND, ARTIFACT_NOT_FOUND, ARTIFACT_INVALID,
MLFLOW_CONNECTION_ERROR) a `RemoteArtifactError`: an `ArtifactError` and the client's error.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, get_args

from deepfix_notebook.artifacts import ArtifactBundle, ArtifactError, RunRef, load_run, run_ref
from deepfix_notebook.backends._local import JobNotFound, LocalBackend
from deepfix_notebook.backends._notice import LOCAL_BACKEND_NAME
from deepfix_notebook.backends._protocol import AnalysedRun, Progress
from deepfix_notebook.client._errors import DeepFixError
from deepfix_notebook.client._offline import (
    Outage,
    ServerUnreachableWarning,
    offline_reason,
    skipped_result,
    unanalysed_result,
)
from deepfix_notebook.contract import (
    AnalysisContext,
    AnalysisOptions,
    AnalysisResult,
    ErrorCode,
    HealthResponse,
    JobState,
    JobStatus,
    KnowledgeQuery,
    KnowledgeResponse,
    utc_now,
)

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow_runs import RunSummary
    from deepfix_notebook.client import DeepFixClient

OfflineMode = Literal["strict", "fallback", "local"]


MAX_REMEMBERED_JOBS = 50  # submitted jobs `jobs()` reports on (for %deepfix status)
_ARTIFACT_CODES = frozenset(
    {
        ErrorCode.RUN_NOT_FOUND,
        ErrorCode.ARTIFACT_NOT_FOUND,
        ErrorCode.ARTIFACT_INVALID,
        ErrorCode.MLFLOW_CONNECTION_ERROR,
    }
)


class RemoteArtifactError(ArtifactError, DeepFixError):
    """The server could not read the run: the `ArtifactError` `LocalBackend` raises for the
    same run, and the client's `DeepFixError` it answered (HTTP status, correlation id)."""

    def __init__(self, error: DeepFixError) -> None:
        DeepFixError.__init__(
            self,
            error.code,
            error.message,
            error.details,
            error.status_code,
            error.retry_after,
            correlation_id=error.correlation_id,
        )
        self.file = error.details.get("file")
        self.field = error.details.get("field")


class RemoteBackend:
    """Analyses MLflow runs on a DeepFix server (`DeepFixClient`): it sends the run's id and
    store, and the server reads the run (this process reads it only to draw it).

    ``tracking_uri`` is the MLflow store the *server* reads the runs from (it must be on the
    server's allowlist); ``offline`` says what happens when the server is unreachable (see the
    module's docstring), and ``fallback_engine=False`` keeps the embedded engine out of
    ``fallback``. ``client`` replaces the `DeepFixClient` built from ``url`` and
    ``api_key``; it is then not closed by `close`.
    """

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        tracking_uri: str | None = None,
        offline: OfflineMode = "fallback",
        client: DeepFixClient | None = None,
        fallback_engine: bool = True,
    ) -> None:
        if offline not in get_args(OfflineMode):
            raise ValueError(
                f"offline must be one of {', '.join(get_args(OfflineMode))}; got {offline!r}"
            )
        if client is None:
            from deepfix_notebook.client import DeepFixClient

            client = DeepFixClient(url, api_key=api_key)
            self._owns_client = True
        else:
            self._owns_client = False
        self._client = client
        self.tracking_uri = tracking_uri
        self.offline: OfflineMode = offline
        self.fallback_engine = fallback_engine
        self._lock = threading.Lock()
        self._local: LocalBackend | None = None
        self._local_jobs: dict[str, tuple[str, Outage]] = {}
        self._skipped: dict[str, AnalysisResult] = {}  # fallback without the engine
        self._submitted: list[str] = []

    def __repr__(self) -> str:
        return f"RemoteBackend({self.name!r}, offline={self.offline!r})"

    @property
    def name(self) -> str:
        """The server's URL."""
        return self._client.base_url

    @property
    def in_process(self) -> bool:
        return False

    @property
    def client(self) -> DeepFixClient:
        return self._client

    # ------------------------------------------------------------------ analysis

    def analyze(
        self,
        source: Any,
        options: AnalysisOptions | None = None,
        context: AnalysisContext | None = None,
        *,
        on_progress: Progress | None = None,
    ) -> AnalysisResult:
        """Analyse MLflow run ``source`` on the server, polling its progress."""
        ref, run_id, uri = self._request(source)
        try:
            with _artifact_errors():
                job = self._client.submit(run_id, uri, options, context)
                self._remember(job.request_id)
                result = self._client.wait(job.request_id, on_status=on_progress)
        except Exception as exc:
            outage = self._offline_reason(exc)
            if outage is None:
                raise
            if not self._engine_takes_over():
                return skipped_result(run_id, outage, stacklevel=3)
            return self._analyze_locally(ref, options, context, on_progress, outage)
        if result.backend is None:
            result.backend = self.name
        return result

    def analyze_run(
        self,
        source: Any,
        options: AnalysisOptions | None = None,
        context: AnalysisContext | None = None,
        *,
        on_progress: Progress | None = None,
        read: bool = True,
    ) -> AnalysedRun:
        """The server analyses the run, fetching it from its store; meanwhile this process
        reads it for display where it can (a bundle given is shown as it is)."""
        ref = self._request(source)[0]  # what cannot be sent is refused before anything is read
        if not read or ref.bundle is not None:
            result = self.analyze(ref, options, context, on_progress=on_progress)
            return AnalysedRun(result, ref.bundle if read else None)
        with ThreadPoolExecutor(1, thread_name_prefix="deepfix-read") as pool:
            reading = pool.submit(self._read_for_display, ref)
            result = self.analyze(ref, options, context, on_progress=on_progress)
            bundle, note = reading.result()
        return AnalysedRun(result, bundle, note)

    def submit(
        self,
        source: Any,
        options: AnalysisOptions | None = None,
        context: AnalysisContext | None = None,
    ) -> str:
        """Queue an analysis on the server; its request id."""
        ref, run_id, uri = self._request(source)
        try:
            request_id = self._client.submit(run_id, uri, options, context).request_id
            self._remember(request_id)
            return request_id
        except Exception as exc:
            outage = self._offline_reason(exc)
            if outage is None:
                raise
            if not self._engine_takes_over():
                skipped = skipped_result(run_id, outage, stacklevel=3)
                with self._lock:
                    self._skipped[skipped.request_id] = skipped
                return skipped.request_id
            message = f"{outage} Analysing with the embedded engine."
            self._warn(message)
            request_id = self._local_backend().submit(ref, options, context)
            with self._lock:
                self._local_jobs[request_id] = (run_id, outage)
            return request_id

    def status(self, request_id: str) -> JobStatus:
        if self._local_for(request_id) is not None:
            return self._local_backend().status(request_id)
        if (skipped := self._skipped.get(request_id)) is not None:
            return _skipped_status(skipped)
        with _job_not_found(request_id):
            return self._client.status(request_id)

    def result(self, request_id: str, *, timeout: float | None = None) -> AnalysisResult:
        """The job's result, polling up to ``timeout`` seconds (None: the client's
        ``poll.max_wait_time``, 300 s by default); `TimeoutError` after that."""
        if (offline := self._local_for(request_id)) is not None:
            run_id, outage = offline
            try:
                result = self._local_backend().result(request_id, timeout=timeout)
            except ArtifactError as error:
                if self.offline == "local":
                    raise
                return self._unreadable(run_id, outage, error)
            return _marked(result, outage)
        if (skipped := self._skipped.get(request_id)) is not None:
            return skipped
        with _job_not_found(request_id), _artifact_errors():
            result = self._client.wait(request_id, max_wait_time=timeout)
        if result.backend is None:
            result.backend = self.name
        return result

    # ------------------------------------------------------------------ knowledge, health

    def query_knowledge(self, query: KnowledgeQuery) -> KnowledgeResponse:
        try:
            return self._client.query_knowledge(query)
        except Exception as exc:
            outage = self._offline_reason(exc)
            if outage is None:
                raise
            self._warn(f"{outage} Searched the embedded knowledge base.")
            return self._local_backend().query_knowledge(query)

    def health(self) -> HealthResponse:
        """The server's health; when unreachable (and not ``strict``) the embedded engine's,
        as ``degraded``, its ``engine`` naming the server and why it could not be reached."""
        try:
            return self._client.health()
        except Exception as exc:
            outage = self._offline_reason(exc)
            if outage is None:
                raise
            return (
                self._local_backend()
                .health()
                .model_copy(update={"status": "degraded", "engine": f"embedded ({outage})"})
            )

    def close(self) -> None:
        if self._owns_client:
            self._client.close()
        with self._lock:
            local, self._local = self._local, None
        if local is not None:
            local.close()

    # ------------------------------------------------------------------ helpers

    def _request(self, source: Any) -> tuple[RunRef, str, str]:
        """The run ``source`` names, its id and store; a clear error for what a server cannot
        read (it reads MLflow runs by id from a store it can reach)."""
        ref = run_ref(source, connected=self.tracking_uri)
        if ref.run_id is None:
            what = (
                f"the directory {str(ref.path)!r}"
                if ref.path is not None
                else f"the data in memory ({ref})"
            )
            raise ValueError(self._not_remote(what))
        return ref, ref.run_id, ref.tracking_uri or self._require_tracking_uri()

    def _not_remote(self, what: str) -> str:
        return (
            f"{self.name} analyses MLflow runs by id, which it reads from its tracking server; "
            f"{what} is on this machine only. Analyse it in-process with connect('local'), or "
            "log it to MLflow (deepfix_notebook.artifacts.log_run) and pass the run id."
        )

    def _require_tracking_uri(self) -> str:
        if not self.tracking_uri:
            raise ValueError(
                f"RemoteBackend({self.name!r}) needs tracking_uri: the MLflow tracking URI the "
                "DeepFix server reads runs from (on its allowlist), such as "
                "http://mlflow.internal:5000."
            )
        return self.tracking_uri

    def _engine_takes_over(self) -> bool:
        return self.offline == "local" or self.fallback_engine

    def _offline_reason(self, exc: BaseException) -> Outage | None:
        """What could not be reached, or None when ``exc`` is not about that or the mode is
        ``strict`` (the caller then re-raises)."""
        return None if self.offline == "strict" else offline_reason(exc, self.name)

    def _warn(self, message: str, *, depth: int = 1) -> None:
        """Warn at the caller of the public method ``depth`` frames above this one."""
        warnings.warn(message, ServerUnreachableWarning, stacklevel=depth + 2)

    def _analyze_locally(
        self,
        ref: RunRef,
        options: AnalysisOptions | None,
        context: AnalysisContext | None,
        on_progress: Progress | None,
        outage: Outage,
    ) -> AnalysisResult:
        try:
            result = self._local_backend().analyze(ref, options, context, on_progress=on_progress)
        except ArtifactError as error:
            self._warn(f"{outage} {_not_read_either(error)}", depth=2)
            if self.offline == "local":
                raise
            return self._unreadable(ref.label, outage, error)
        self._warn(f"{outage} Analysed with the embedded engine instead.", depth=2)
        return _marked(result, outage)

    def _unreadable(self, run_id: str, outage: Outage, error: ArtifactError) -> AnalysisResult:
        """The ``failed`` result of ``fallback`` when neither the server nor this process could
        read the run: what failed on each side, and what to do."""
        notes = [str(outage), _not_read_either(error)]
        return unanalysed_result(run_id, outage, notes, engine_tried=True)

    def _local_backend(self) -> LocalBackend:
        with self._lock:
            if self._local is None:
                self._local = LocalBackend(tracking_uri=self.tracking_uri)
            return self._local

    def runs(self, *, experiment: str | None = None, limit: int = 50) -> list[RunSummary]:
        """The runs of the store the server reads, listed by this process."""
        from deepfix_notebook.artifacts import list_runs

        return list_runs(self.tracking_uri, experiment=experiment, limit=limit)

    def _read_for_display(self, ref: RunRef) -> tuple[ArtifactBundle | None, str | None]:
        try:
            return load_run(ref, connected=self.tracking_uri), None
        except Exception as error:  # display only: the analysis does not depend on it
            message = getattr(error, "message", None) or str(error)
            return None, f"The run's curves could not be read here: {message}"

    def jobs(self) -> list[JobStatus]:
        """Status of the analyses this backend submitted to the server, oldest first."""
        out = []
        for request_id in list(self._submitted):
            try:
                out.append(self.status(request_id))
            except Exception:  # forgotten by the server (TTL) or unreachable: skip it
                continue
        return out

    def _remember(self, request_id: str) -> None:
        self._submitted.append(request_id)
        del self._submitted[:-MAX_REMEMBERED_JOBS]

    def _local_for(self, request_id: str) -> tuple[str, Outage] | None:
        """The run id and outage of a job the embedded engine took over, or None."""
        with self._lock:
            return self._local_jobs.get(request_id)


@contextlib.contextmanager
def _job_not_found(request_id: str) -> Iterator[None]:
    """Turn the server's REQUEST_NOT_FOUND into `JobNotFound`, as `LocalBackend` raises."""
    try:
        yield
    except DeepFixError as exc:
        if exc.code is ErrorCode.REQUEST_NOT_FOUND:
            raise JobNotFound(f"no analysis job {request_id!r} on the server") from exc
        raise


@contextlib.contextmanager
def _artifact_errors() -> Iterator[None]:
    """Raise the server's errors about a run as `RemoteArtifactError`."""
    try:
        yield
    except DeepFixError as exc:
        if exc.code in _ARTIFACT_CODES and not isinstance(exc, ArtifactError):
            raise RemoteArtifactError(exc) from exc
        raise


def _not_read_either(error: ArtifactError) -> str:
    return f"The embedded engine could not read the run here either: {error.message or error}"


def _marked(result: AnalysisResult, outage: Outage) -> AnalysisResult:
    """``result`` marked as the embedded engine's: the outage's one-line notice first among its
    warnings (the views show it as `fallback_notice`), then the outage with its reason."""
    result.backend = LOCAL_BACKEND_NAME
    result.warnings[:0] = [outage.notice, str(outage)]
    return result


def _skipped_status(result: AnalysisResult) -> JobStatus:
    now = utc_now()
    return JobStatus(
        request_id=result.request_id,
        run_id=result.run_id,
        status=JobState.FAILED,
        progress=1.0,
        agents_done=0,
        submitted_at=now,
        started_at=None,
        finished_at=now,
        error=result.warnings[0] if result.warnings else result.summary,
    )
