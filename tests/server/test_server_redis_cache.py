"""The knowledge query cache in a real Redis (``DEEPFIX_REDIS_URL``): shared between servers,
expiring, and never in the way: with Redis down, queries are answered without it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import redis
from process_helpers import free_port
from server_helpers import StartServer
from services import start_redis

from deepfix_notebook.server._redis_cache import PREFIX, RedisRankingCache

pytestmark = pytest.mark.slow
QUERY = {
    "query": "validation loss rises while training loss falls",
    "query_type": "diagnostic",
    "max_results": 3,
}


def _hit_ratio(metrics: str) -> float:
    for line in metrics.splitlines():
        if line.startswith("deepfix_knowledge_cache_hit_ratio "):
            return float(line.split()[1])
    raise AssertionError("no deepfix_knowledge_cache_hit_ratio in /metrics")


@pytest.fixture
def cache(redis_url: str) -> RedisRankingCache:
    cache = RedisRankingCache.from_url(redis_url, ttl_seconds=60)
    cache.clear()
    return cache


def test_entries_round_trip_with_a_ttl_under_hashed_names(
    cache: RedisRankingCache, redis_url: str
) -> None:
    key = ("overfitting", "training", "best_practice")
    ranking: list[list[str | float]] = [["kb-1", 1.0], ["kb-7", 0.42]]
    cache[key] = ranking
    assert cache[key] == ranking
    assert cache.get(("other", "training", "best_practice")) is None
    names = list(cache)
    assert len(names) == 1 and names[0].startswith(PREFIX) and "overfitting" not in names[0]
    assert 0 < redis.Redis.from_url(redis_url).ttl(names[0]) <= 60
    assert len(cache) == 1
    del cache[key]
    assert len(cache) == 0
    with pytest.raises(KeyError):
        del cache[key]


def test_servers_share_the_cache(start_server: StartServer, redis_url: str) -> None:
    RedisRankingCache.from_url(redis_url).clear()
    first = start_server(redis_url=redis_url)
    second = start_server(redis_url=redis_url)
    with first.client() as http:
        answer = http.post("/api/v1/knowledge/query", json=QUERY)
        assert answer.status_code == 200, answer.text
        assert _hit_ratio(http.get("/metrics").text) == 0.0  # computed, then stored
    with second.client() as http:
        again = http.post("/api/v1/knowledge/query", json=QUERY)
        assert again.status_code == 200, again.text
        assert _hit_ratio(http.get("/metrics").text) == 1.0  # the other server's entry
    assert again.json()["results"] == answer.json()["results"]


def test_queries_go_on_while_redis_is_down_and_use_it_when_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    cache = RedisRankingCache.from_url(f"redis://127.0.0.1:{port}/0", ttl_seconds=60)
    key = ("nan loss", "training", "solution")
    with caplog.at_level(logging.WARNING, logger="deepfix_notebook.server._redis_cache"):
        assert cache.get(key) is None
        cache[key] = [["kb-1", 1.0]]  # skipped, not raised
        assert cache.get(key) is None
    warnings = [r for r in caplog.records if "knowledge cache unavailable" in r.getMessage()]
    assert len(warnings) == 1  # once per outage, not once per query

    server = start_redis(tmp_path, port=port)
    try:
        cache[key] = [["kb-1", 1.0]]
        assert cache[key] == [["kb-1", 1.0]]
    finally:
        server.stop()


def test_a_server_answers_knowledge_queries_with_redis_down(start_server: StartServer) -> None:
    server = start_server(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with server.client() as http:
        answer = http.post("/api/v1/knowledge/query", json=QUERY)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"]
