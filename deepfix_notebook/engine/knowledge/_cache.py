"""The query cache: ranked candidate lists keyed by query, LRU with a time to live.

The store is any `MutableMapping`; by default a `cachetools.TTLCache`. Keys are tuples of three
strings and values lists of ``[entry id, relevance]`` pairs, both JSON-serialisable, so that a
shared backend (Redis, say) can take the place of the in-process store.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import MutableMapping
from typing import NamedTuple

from cachetools import TTLCache

from deepfix_notebook.contract._vocabulary import KnowledgeDomain, QueryType

CacheKey = tuple[str, str, str]
"""(normalised query text, domain, query type)."""

Ranking = list[list[str | float]]
"""Ranked candidates as ``[[entry id, relevance], ...]``, best first."""

DEFAULT_SIZE = 1000
DEFAULT_TTL_SECONDS = 24 * 60 * 60.0


class CacheInfo(NamedTuple):
    """Counters of a `QueryCache` since it was created or cleared."""

    hits: int
    misses: int
    size: int
    hit_ratio: float


def normalize_query(text: str) -> str:
    """The form of a query that is searched and cached: NFKC, case-folded, single-spaced."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def cache_key(text: str, domain: KnowledgeDomain | None, query_type: QueryType) -> CacheKey:
    """The key of a query; no domain and the ``global`` domain are the same search."""
    return (
        normalize_query(text),
        (domain or KnowledgeDomain.GLOBAL).value,
        QueryType(query_type).value,
    )


class QueryCache:
    """A thread-safe cache of rankings with hit and miss counters."""

    def __init__(
        self,
        store: MutableMapping[CacheKey, Ranking] | None = None,
        *,
        maxsize: int = DEFAULT_SIZE,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
    ) -> None:
        if store is None:
            if maxsize < 1:
                raise ValueError(f"cache size must be at least 1, got {maxsize}")
            if ttl_seconds <= 0:
                raise ValueError(f"cache TTL must be positive, got {ttl_seconds}")
            store = TTLCache(maxsize=maxsize, ttl=ttl_seconds)
        self._store = store
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    @property
    def store(self) -> MutableMapping[CacheKey, Ranking]:
        """The underlying mapping."""
        return self._store

    def get(self, key: CacheKey) -> Ranking | None:
        """The cached ranking of ``key``, counting a hit or a miss."""
        with self._lock:
            value = self._store.get(key)
            if value is None:
                self._misses += 1
            else:
                self._hits += 1
            return value

    def put(self, key: CacheKey, ranking: Ranking) -> None:
        """Store ``ranking`` under ``key`` (may evict the least recently used entry)."""
        with self._lock:
            self._store[key] = ranking

    def clear(self) -> None:
        """Drop every cached ranking and reset the counters."""
        with self._lock:
            self._store.clear()
            self._hits = self._misses = 0

    def info(self) -> CacheInfo:
        """Hits, misses, current size and the share of lookups that hit."""
        with self._lock:
            if isinstance(self._store, TTLCache):
                self._store.expire()
            lookups = self._hits + self._misses
            return CacheInfo(
                hits=self._hits,
                misses=self._misses,
                size=len(self._store),
                hit_ratio=self._hits / lookups if lookups else 0.0,
            )
