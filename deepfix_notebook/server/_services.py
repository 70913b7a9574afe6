"""The adapters ``DEEPFIX_*`` settings choose: the engine's knowledge cache and the executor."""

from __future__ import annotations

from deepfix_notebook.engine import Engine, default_engine
from deepfix_notebook.engine.knowledge import KnowledgeBridge
from deepfix_notebook.server._executor import JobExecutor, ThreadExecutor
from deepfix_notebook.server._jobs import JobStore
from deepfix_notebook.server._settings import Settings


def build_engine(settings: Settings) -> Engine:
    """The shared engine; with ``DEEPFIX_REDIS_URL`` its knowledge cache lives in Redis."""
    if not settings.redis_url:
        return default_engine()
    from deepfix_notebook.server._redis_cache import RedisRankingCache

    cache = RedisRankingCache.from_url(settings.redis_url)
    return Engine(knowledge=KnowledgeBridge(cache=cache))


def build_executor(settings: Settings, store: JobStore) -> JobExecutor:
    """Celery workers when ``DEEPFIX_BROKER_URL`` is set, else a thread pool in this process."""
    if settings.broker_url:
        from deepfix_notebook.server._celery import CeleryExecutor

        return CeleryExecutor(settings, store)
    return ThreadExecutor(settings.max_concurrent)
