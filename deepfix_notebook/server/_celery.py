"""Celery over Redis: the executor that sends jobs to `deepfix worker` processes.

Only request ids travel through the broker; the job itself (request, correlation id, attempts)
is in the SQL job store, which servers and workers share. A message that arrives twice is
harmless: `JobRunner` claims a job with a compare-and-set, so it runs once. A message that never
arrives (a broker restarted empty, flushed, failed over) is made good by `reconcile`: when the
broker holds fewer messages than the store has queued jobs, the oldest queued jobs past their
dispatch lease are sent again.
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
RECONNECT_MAX_S = 2.0  # a lost broker is retried this often at most (kombu backs off to 30 s)


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
    app.amqp.Connection = _prompt_connection()
    return app


def _prompt_connection() -> type[Any]:
    """kombu's connection, retrying a lost broker every `RECONNECT_MAX_S` at most: a worker
    is back within seconds of the broker, however long the broker was away."""
    from kombu.connection import Connection

    class PromptConnection(Connection):
        def ensure_connection(
            self,
            errback: Any = None,
            max_retries: int | None = None,
            interval_start: float = 2,
            interval_step: float = 2,
            interval_max: float = 30,
            **kwargs: Any,
        ) -> Any:
            return super().ensure_connection(  # type: ignore[no-untyped-call]
                errback,
                max_retries,
                min(interval_start, RECONNECT_MAX_S),
                min(interval_step, 1),
                min(interval_max, RECONNECT_MAX_S),
                **kwargs,
            )

    return PromptConnection


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
        """Room for one more when running jobs (live ones) and queued jobs the broker still
        holds are fewer than ``capacity``: jobs stranded by a lost message or a dead worker do
        not count."""
        counts = self.store.in_flight(self._settings.stale_after_seconds)
        try:
            queued = min(counts.queued, self.pending())
        except ExecutorUnavailable:  # submit() will refuse with the reason
            queued = counts.queued
        return counts.running + queued < self.capacity

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
            log.warning(
                "job not queued: broker unreachable (%s)",
                type(exc).__name__,
                extra={"job_id": request_id, "broker": redact_uri(self._settings.broker_url or "")},
            )
            raise self._unavailable(exc) from exc

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

    def pending(self) -> int:
        """Messages waiting in the broker's queue (not counting those workers hold)."""
        try:
            with self.app.pool.acquire(block=True, timeout=2) as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, timeout=1)
                channel = connection.default_channel
                try:
                    declared = channel.queue_declare(self._settings.queue_name, passive=True)
                except connection.channel_errors:  # no such queue: nothing in it
                    return 0
                return int(declared.message_count)
        except Exception as exc:
            raise self._unavailable(exc) from exc

    def reconcile(self) -> list[str]:
        """Send again the oldest queued jobs past their lease, as many as the broker lacks."""
        queued = self.store.in_flight(self._settings.stale_after_seconds).queued
        if queued == 0:
            return []
        missing = queued - self.pending()
        lost = self.store.take_undispatched(self._settings.dispatch_lease_seconds, missing)
        for request_id in lost:
            self.submit(request_id)
        return lost

    def ping(self) -> None:
        """Raise when the broker does not answer within about a second."""
        with self.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=1)

    def shutdown(self) -> None:
        if self._app is not None:
            self._app.close()

    def _unavailable(self, exc: Exception) -> ExecutorUnavailable:
        broker = redact_uri(self._settings.broker_url or "")
        return ExecutorUnavailable(
            f"The job queue at {broker} cannot be reached ({type(exc).__name__}).",
            details={"broker": broker, "reason": str(exc)[:200]},
        )


def register_task(app: Celery, runner: Runner) -> Any:
    """Bind the worker's `JobRunner` to the task the servers send."""
    from deepfix_notebook.server._logging import bind_request_id, unbind_request_id

    @app.task(  # type: ignore[untyped-decorator]
        name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True
    )
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
