"""The knowledge query cache in Redis, shared by every server and worker (``DEEPFIX_REDIS_URL``).

A `MutableMapping` the knowledge bridge's `QueryCache` takes in place of its in-process
``TTLCache``: keys are tuples of strings, values JSON, each entry expires after the TTL (Redis
``SET ... EX``). A cache must never take a query down: when Redis does not answer, lookups miss
and writes are skipped, with one warning per outage.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

from deepfix_notebook.artifacts import redact_uri
from deepfix_notebook.server._logging import get_logger

if TYPE_CHECKING:
    from redis import Redis

log = get_logger(__name__)

PREFIX = "deepfix:knowledge:"
DEFAULT_TTL_SECONDS = 24 * 60 * 60


class RedisRankingCache(MutableMapping[Any, Any]):
    """Entries under ``deepfix:knowledge:<sha256 of the key>``, expiring after ``ttl_seconds``."""

    def __init__(
        self, client: Redis, *, ttl_seconds: int = DEFAULT_TTL_SECONDS, url: str = "redis"
    ) -> None:
        if ttl_seconds < 1:
            raise ValueError(f"cache TTL must be at least 1 s, got {ttl_seconds}")
        self._redis = client
        self._ttl = ttl_seconds
        self._url = redact_uri(url)
        self._down = False
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, *, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> RedisRankingCache:
        try:
            import redis
        except ImportError as exc:
            raise ImportError(
                "DEEPFIX_REDIS_URL is set but the redis client is not installed: "
                "pip install 'deepfix-notebook[worker]'"
            ) from exc
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        return cls(client, ttl_seconds=ttl_seconds, url=url)

    def __getitem__(self, key: Any) -> Any:
        raw = self._call(self._redis.get, _name(key))
        if raw is None:
            raise KeyError(key)
        return json.loads(raw)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._call(self._redis.set, _name(key), json.dumps(value), ex=self._ttl)

    def __delitem__(self, key: Any) -> None:
        if not self._call(self._redis.delete, _name(key)):
            raise KeyError(key)

    def __iter__(self) -> Iterator[Any]:
        """Names of the stored entries (keys are hashed: the original tuples are not kept)."""
        names = self._call(lambda: list(self._redis.scan_iter(match=PREFIX + "*", count=500)))
        for name in names or ():
            yield name.decode() if isinstance(name, bytes) else name

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def clear(self) -> None:
        names = list(self)
        if names:
            self._call(self._redis.delete, *names)

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        import redis

        try:
            value = method(*args, **kwargs)
        except redis.RedisError as exc:
            with self._lock:
                first, self._down = not self._down, True
            if first:
                log.warning(
                    "knowledge cache unavailable, searching without it: %s",
                    type(exc).__name__,
                    extra={"redis": self._url},
                )
            return None
        with self._lock:
            if self._down:
                self._down = False
                log.info("knowledge cache available again", extra={"redis": self._url})
        return value


def _name(key: Any) -> str:
    text = json.dumps(key, ensure_ascii=False, separators=(",", ":"))
    return PREFIX + hashlib.sha256(text.encode()).hexdigest()
