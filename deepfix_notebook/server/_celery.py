"""Celery over Redis: the executor that sends jobs to `deepfix worker` processes.

Only request ids travel through the broker; the job itself (request, correlation id, attempts)
is in the SQL job store, which servers and workers share. A message that arrives twice is
harmless: `JobRunner` claims a job with a compare-and-set, so it runs once.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from deepfix_notebook.artifacts import redact_uri
from deepfix_notebook.contract import JobState
from deepfix_notebook.server._executor import ExecutorUnavailable, QueueStats, Runner
from deepfix_notebook.server._jobs import JobStore
from deepfix_notebook.server._logging import current_request_id, get_logger
from deepfix_notebook.server._settings import Settings

if TYPE_CHECKING:
    from celery import Celery

log = get_logger(__name__)

TASK_NAME = "deepfix.run_job"
CORRELATION_HEADER = "deepfix_request_id"
# Publishing waits at most ~1 s for an unreachable broker before the request is refused.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.25, "interval_max": 0.5}


def celery_app(settings: Settings) -> Celery:
    """The Celery app of ``settings.broker_url``; results live in the job store, not Celery."""
    try:
        from celery import Celery
    except ImportError as exc:
        raise ImportError(
            "DEEPFIX_BROKER_URL is set but Celery is not installed: "
            "pip install 'deepfix-notebook[worker]'"
        ) from exc
    if not settings.broker_url:
        raise ValueError("celery_app() needs DEEPFIX_BROKER_URL (e.g. redis://127.0.0.1:6379/0)")
    app = Celery("deepfix", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=settings.queue_name,
        task_ignore_result=True,
        task_acks_late=True,  # a worker that dies mid-job leaves the message to redeliver
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_publish_retry_policy=PUBLISH_RETRY,
        broker_connection_timeout=2.0,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"socket_connect_timeout": 2, "socket_timeout": 5},
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        task_serializer="json",
        accept_content=["json"],
    )
    return app


class CeleryExecutor:
    """Sends jobs to Celery workers. ``capacity`` bounds the jobs in flight for synchronous
    requests (read from the shared store, so it holds across servers, give or take a race);
    asynchronous ones wait in the broker's queue."""

    def __init__(self, settings: Settings, store: JobStore, *, app: Celery | None = None) -> None:
        self.capacity = settings.max_concurrent
        self.store = store
        self._settings = settings
        self._app = app

    @property
    def kind(self) -> str:
        return "celery"

    @property
    def app(self) -> Celery:
        if self._app is None:
            self._app = celery_app(self._settings)
        return self._app

    def start(self, runner: Runner) -> None:
        """Workers run the jobs, not this process; builds the app to fail early if misconfigured."""
        del runner
        _ = self.app

    def try_reserve(self) -> bool:
        counts = self.store.count_by_state()
        return counts[JobState.QUEUED] + counts[JobState.RUNNING] < self.capacity

    def release(self) -> None:
        """Nothing to give back: reservations are read from the store."""

    def submit(self, request_id: str, *, reserved: bool = False) -> None:
        del reserved
        correlation = current_request_id()
        try:
            self.app.send_task(
                TASK_NAME,
                args=[request_id],
                queue=self._settings.queue_name,
                headers={CORRELATION_HEADER: correlation},
                retry=True,
            )
        except Exception as exc:  # kombu's OperationalError, redis' ConnectionError, ...
            broker = redact_uri(self._settings.broker_url or "")
            log.warning(
                "job not queued: broker unreachable (%s)",
                type(exc).__name__,
                extra={"job_id": request_id, "broker": broker},
            )
            raise ExecutorUnavailable(
                f"The job queue at {broker} cannot be reached ({type(exc).__name__}).",
                details={"broker": broker, "reason": str(exc)[:200]},
            ) from exc

    def future(self, request_id: str) -> Future[None] | None:
        """Jobs run elsewhere: waiters read the store."""
        del request_id
        return None

    def stats(self) -> QueueStats:
        counts = self.store.count_by_state()
        return QueueStats(
            running=counts[JobState.RUNNING],
            queued=counts[JobState.QUEUED],
            capacity=self.capacity,
        )

    def ping(self) -> None:
        """Raise when the broker does not answer within about a second."""
        with self.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=1)

    def shutdown(self) -> None:
        if self._app is not None:
            self._app.close()


def register_task(app: Celery, runner: Runner) -> Any:
    """Bind the worker's `JobRunner` to the task the servers send."""
    from deepfix_notebook.server._logging import bind_request_id, unbind_request_id

    @app.task(name=TASK_NAME, bind=True, acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]
    def run_job(task: Any, request_id: str) -> None:
        headers = getattr(task.request, "headers", None) or {}
        correlation = headers.get(CORRELATION_HEADER) or getattr(
            task.request, CORRELATION_HEADER, None
        )
        token = bind_request_id(correlation)
        try:
            runner(request_id)
        finally:
            unbind_request_id(token)

    return run_job
