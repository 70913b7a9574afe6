"""`deepfix worker`: a Celery worker that runs the jobs servers queue in the broker.

A worker shares the servers' job store and settings (``DEEPFIX_*``). It runs each job with the
same `JobRunner` as the thread executor, marks its jobs alive and, like a server, recovers the
jobs of processes that died (re-queued once, then failed with a message).
"""

from __future__ import annotations

import socket

from deepfix_notebook.artifacts import redact_uri
from deepfix_notebook.server._celery import CeleryExecutor, celery_app, register_task
from deepfix_notebook.server._executor import JobKeeper, JobRunner
from deepfix_notebook.server._fetch import guarded_loader
from deepfix_notebook.server._jobs import SqlJobStore, new_owner
from deepfix_notebook.server._logging import configure_logging, get_logger
from deepfix_notebook.server._process import tune_process
from deepfix_notebook.server._services import build_engine
from deepfix_notebook.server._settings import Settings

log = get_logger(__name__)


def run_worker(
    settings: Settings | None = None,
    *,
    concurrency: int | None = None,
    log_level: str = "info",
) -> None:
    """Run a worker until interrupted (SIGINT/SIGTERM: finish the jobs at hand, then stop)."""
    settings = settings or Settings()
    if not settings.broker_url:
        raise ValueError(
            "deepfix worker needs a broker: set DEEPFIX_BROKER_URL (e.g. redis://127.0.0.1:6379/0)"
        )
    configure_logging(log_level.upper())
    tune_process()
    threads = concurrency or settings.worker_concurrency
    if threads < 1:
        raise ValueError(f"concurrency must be at least 1, got {threads}")
    store = SqlJobStore(settings.job_store_url)
    store.open()
    engine = build_engine(settings)
    owner = new_owner()
    app = celery_app(settings)
    runner = JobRunner(store, engine, owner, loader=guarded_loader(settings))
    register_task(app, runner)
    keeper = JobKeeper(
        store,
        CeleryExecutor(settings, store, app=app),
        owner,
        heartbeat_seconds=settings.heartbeat_seconds,
        ttl_seconds=settings.result_ttl_seconds,
    )
    engine.knowledge.warm()
    keeper.start()
    log.info(
        "worker started",
        extra={
            "owner": owner,
            "broker": redact_uri(settings.broker_url),
            "queue": settings.queue_name,
            "job_store": store.kind,
            "concurrency": threads,
        },
    )
    try:
        app.worker_main(
            [
                "--quiet",  # no banner on stdout: the logs are JSON lines
                "worker",
                "--pool=threads",  # the engine releases the GIL in numpy; jobs share one store
                f"--concurrency={threads}",
                f"--queues={settings.queue_name}",
                f"--hostname=deepfix-{owner.split(':')[1]}@{socket.gethostname()}",
                f"--loglevel={log_level.upper()}",
                "--without-gossip",
                "--without-mingle",
            ]
        )
    finally:
        keeper.stop()
        runner.stop()
        store.close()
        log.info("worker stopped", extra={"owner": owner})
