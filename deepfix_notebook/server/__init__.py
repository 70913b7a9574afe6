"""The DeepFix REST server (CONTRACT.md §2): FastAPI, a SQL job store, and jobs run by a thread
pool in the server or by Celery workers over Redis.

``serve()`` runs it with uvicorn on 127.0.0.1:8000; ``create_app(settings)`` gives the ASGI app;
``run_worker()`` is ``deepfix worker``.
Configuration is `Settings`, read from ``DEEPFIX_*`` environment variables.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from deepfix_notebook.server._app import create_app
from deepfix_notebook.server._logging import configure_logging
from deepfix_notebook.server._openapi import openapi_yaml, write_openapi
from deepfix_notebook.server._process import tune_process
from deepfix_notebook.server._settings import Settings

__all__ = [
    "Settings",
    "configure_logging",
    "create_app",
    "openapi_yaml",
    "run_worker",
    "serve",
    "write_openapi",
]

_LOG_LEVEL_ENV = "DEEPFIX_LOG_LEVEL"


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    *,
    settings: Settings | None = None,
    log_level: str = "info",
) -> None:
    """Run the server with uvicorn until interrupted; logs are JSON lines on stderr.

    Loopback by default: pass ``host="0.0.0.0"`` to serve other machines (and set an API key).
    With ``workers > 1`` each worker process builds its app from the environment, so
    ``settings`` cannot be given; the workers share the job store.
    """
    import uvicorn

    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if workers > 1 and settings is not None:
        raise ValueError("settings cannot be passed to several workers; use DEEPFIX_* variables")
    os.environ[_LOG_LEVEL_ENV] = log_level.upper()  # read by the worker processes
    tune_process()
    configure_logging(log_level.upper())
    app: FastAPI | str = create_app(settings) if workers == 1 else f"{__name__}:worker_app"
    uvicorn.run(
        app,
        host=host,
        port=port,
        workers=workers if workers > 1 else None,
        factory=workers > 1,
        log_config=None,  # JSON logs (configure_logging), not uvicorn's own format
        access_log=False,  # the app logs each request itself, with its correlation id
        log_level=log_level.lower(),
    )


def run_worker(
    settings: Settings | None = None, *, concurrency: int | None = None, log_level: str = "info"
) -> None:
    """Run a Celery worker for the jobs servers queue (needs ``DEEPFIX_BROKER_URL``)."""
    from deepfix_notebook.server._worker import run_worker as _run

    _run(settings, concurrency=concurrency, log_level=log_level)


def worker_app() -> FastAPI:
    """The app of one worker process of ``serve(workers=N)``: JSON logs, settings from env."""
    configure_logging(os.environ.get(_LOG_LEVEL_ENV, "INFO"))
    tune_process()
    return create_app()
