"""How a finished run is saved and analysed: one code path for `track` and `DeepFixCallback`.

`AnalysisSettings` says which backend analyses the run and when (``sync``, ``async``, ``off``);
`save` writes what a `TrackedRun` holds to MLflow; `analyze` asks for the analysis.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from deepfix_notebook.backends import AnalysisBackend
    from deepfix_notebook.client import DeepFixClient
    from deepfix_notebook.training._tracker import TrackedRun

AnalysisMode = Literal["sync", "async", "off"]
OfflineMode = Literal["strict", "fallback", "local"]


class AnalysisSkippedWarning(UserWarning):
    """The run was saved but could not be analysed (e.g. too few metric rows)."""


@dataclass
class AnalysisSettings:
    """Which backend analyses a finished run, and how long to wait for it.

    ``backend`` (an `AnalysisBackend`) or ``server_url`` (a DeepFix server, reached with
    ``offline_mode``, ``poll_interval``, ``max_wait_time``, ``max_retries`` and ``timeout``);
    neither: the current backend (`connect`, the embedded engine by default).
    """

    mode: AnalysisMode = "sync"
    backend: AnalysisBackend | None = None
    server_url: str | None = None
    offline_mode: OfflineMode = "fallback"
    poll_interval: float = 1.0
    max_wait_time: float = 300.0
    max_retries: int = 3
    timeout: float = 60.0
    _owned: list[AnalysisBackend] = field(default_factory=list, init=False, repr=False)
    _clients: list[DeepFixClient] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in get_args(AnalysisMode):
            raise ValueError(f"analysis_mode must be 'sync', 'async' or 'off', not {self.mode!r}")
        if self.offline_mode not in get_args(OfflineMode):
            raise ValueError(
                f"offline_mode must be 'strict', 'fallback' or 'local', not {self.offline_mode!r}"
            )
        if self.backend is not None and self.server_url is not None:
            raise ValueError("pass backend= or server_url=, not both")
        if self.server_url is not None and not self.server_url.startswith(("http://", "https://")):
            raise ValueError(
                f"server_url must be the http(s) URL of a DeepFix server, not {self.server_url!r}"
            )
        if self.backend is not None and not _is_backend(self.backend):
            raise TypeError(
                "backend must be an AnalysisBackend (LocalBackend, RemoteBackend or "
                f"the value of connect()), not {type(self.backend).__name__}"
            )
        for name in ("poll_interval", "timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0 seconds, got {getattr(self, name)!r}")
        if not self.max_wait_time >= 0:
            raise ValueError(f"max_wait_time must be >= 0 seconds, got {self.max_wait_time!r}")
        if isinstance(self.max_retries, bool) or not (
            isinstance(self.max_retries, int) and self.max_retries >= 0
        ):
            raise ValueError(f"max_retries must be an integer >= 0, got {self.max_retries!r}")

    def open(self, tracking_uri: str | None) -> AnalysisBackend:
        """The backend to use; one built from ``server_url`` reads runs from ``tracking_uri``."""
        if self.backend is not None:
            return self.backend
        if self.server_url is None:
            from deepfix_notebook.backends import current

            return current()
        from deepfix_notebook.artifacts import resolve_tracking_uri
        from deepfix_notebook.backends import RemoteBackend
        from deepfix_notebook.client import DeepFixClient, PollPolicy, RetryPolicy

        client = DeepFixClient(
            self.server_url,
            timeout=self.timeout,
            retry=RetryPolicy(max_retries=self.max_retries),
            poll=PollPolicy(
                initial_interval=self.poll_interval,
                backoff_factor=1.0,
                max_interval=self.poll_interval,
                max_wait_time=self.max_wait_time,
            ),
        )
        backend = RemoteBackend(
            self.server_url,
            tracking_uri=resolve_tracking_uri(tracking_uri),
            offline=self.offline_mode,
            client=client,
            fallback_engine=False,  # CONTRACT.md §5: a training loop goes on without analysis
        )
        self._owned.append(backend)
        self._clients.append(client)  # a client passed in is not closed by its backend
        return backend

    def close(self) -> None:
        """Close the backends built from ``server_url`` (never a given or current one)."""
        while self._owned:
            self._owned.pop().close()
        while self._clients:
            self._clients.pop().close()


def save(run: TrackedRun, tracking_uri: str | None, *, status: str | None) -> None:
    """Write the run's metrics, params and dataset metadata to MLflow (``run.run_id``, or a new
    run); ``status`` ends the run (``FINISHED``/``FAILED``), None leaves it as it is."""
    from deepfix_notebook.artifacts import log_run

    run.run_id = log_run(
        metrics=run.columns(),
        params=run.params or None,
        dataset=run.dataset,
        statistics=run.statistics,
        tracking_uri=store(tracking_uri),
        experiment=run.experiment,
        run_name=run.name,
        run_id=run.run_id,
        status=status,
    )
    run.tracking_uri = store(tracking_uri)


def analyze(run: TrackedRun, settings: AnalysisSettings, tracking_uri: str | None) -> None:
    """Ask for the run's analysis as ``settings.mode`` says: ``run.result`` (sync) or
    ``run.request_id`` (async). A run that cannot be analysed (too few rows, no train loss) is
    left saved with an `AnalysisSkippedWarning`; backend errors propagate (``strict``)."""
    from deepfix_notebook.artifacts import ArtifactError
    from deepfix_notebook.contract import ErrorCode

    if settings.mode == "off" or run.run_id is None:
        return
    uri = store(tracking_uri)
    backend = settings.open(uri)
    run.backend = backend
    try:
        source = replace(run.__deepfix_run__(), tracking_uri=uri)
        if settings.mode == "async":
            run.request_id, run.bundle = backend.submit(source), source.bundle
            return
        analysed = backend.analyze_run(source)
        run.result, run.bundle = analysed.result, analysed.bundle
    except ArtifactError as error:
        if not run.rows and error.code is ErrorCode.ARTIFACT_NOT_FOUND:
            return  # nothing was logged, neither through the run nor to MLflow
        warnings.warn(
            f"DeepFix saved run {run.run_id} but did not analyse it: {error.message}",
            AnalysisSkippedWarning,
            stacklevel=3,
        )
        return
    write_back(run, uri)


def write_back(run: TrackedRun, tracking_uri: str | None) -> None:
    """Store ``run.result`` as the run's ``deepfix/analysis.json`` (not a skipped analysis)."""
    from deepfix_notebook.artifacts import save_analysis
    from deepfix_notebook.contract import AnalysisStatus

    if run.result is not None and run.result.status is not AnalysisStatus.FAILED:
        save_analysis(run.result, tracking_uri=store(tracking_uri))


def memory_bundle(run: TrackedRun) -> Any:
    """The bundle of what the run logged, without reading it back from MLflow."""
    from deepfix_notebook.artifacts import bundle_from_memory

    return bundle_from_memory(
        run.columns(),
        params=run.params or None,
        dataset=run.dataset,
        statistics=run.statistics,
        run_id=run.run_id,
        source=f"runs:/{run.run_id}" if run.run_id else "tracked run",
    )


def store(tracking_uri: str | None) -> str | None:
    """``tracking_uri``, else the current backend's store (None: the configured default)."""
    if tracking_uri is not None:
        return tracking_uri
    from deepfix_notebook.backends import tracking_uri as backend_uri

    return backend_uri()


def _is_backend(value: object) -> bool:
    from deepfix_notebook.backends import AnalysisBackend

    return isinstance(value, AnalysisBackend)
