"""Prometheus metrics, in a registry of the app's own (several apps may share a process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from deepfix_notebook.engine.knowledge import KnowledgeBridge
from deepfix_notebook.server._executor import JobExecutor
from deepfix_notebook.server._jobs import JobStore
from deepfix_notebook.server._logging import get_logger

log = get_logger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
ANALYSIS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class _StateCollector(Collector):
    """Read at scrape time: jobs by state, this server's queue, the knowledge cache."""

    def __init__(
        self,
        store: JobStore,
        executor: JobExecutor,
        knowledge: Callable[[], KnowledgeBridge],
    ) -> None:
        self.store = store
        self.executor = executor
        self.knowledge = knowledge

    def collect(self) -> Iterator[Metric]:
        try:
            counts = self.store.count_by_state()
        except Exception:
            log.exception("job store unavailable for metrics")
        else:
            jobs = GaugeMetricFamily(
                "deepfix_jobs", "Jobs in the job store by state", labels=["state"]
            )
            for state, count in counts.items():
                jobs.add_metric([state.value], count)
            yield jobs
        stats = self.executor.stats()
        yield GaugeMetricFamily(
            "deepfix_queue_depth", "Jobs waiting for a slot in this server", value=stats.queued
        )
        yield GaugeMetricFamily(
            "deepfix_analyses_running", "Analyses running in this server", value=stats.running
        )
        yield GaugeMetricFamily(
            "deepfix_analyses_capacity", "Analyses this server runs at once", value=stats.capacity
        )
        info = self.knowledge().cache_info()
        yield GaugeMetricFamily(
            "deepfix_knowledge_cache_hit_ratio",
            "Hits over lookups of the knowledge query cache",
            value=info.hit_ratio,
        )
        yield GaugeMetricFamily(
            "deepfix_knowledge_cache_entries",
            "Entries in the knowledge query cache",
            value=info.size,
        )


class Metrics:
    """The app's metrics; `render` gives the Prometheus text exposition."""

    def __init__(
        self,
        store: JobStore,
        executor: JobExecutor,
        knowledge: Callable[[], KnowledgeBridge],
    ) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "deepfix_http_requests",
            "HTTP requests by method, route template and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "deepfix_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["route"],
            registry=self.registry,
        )
        self.analysis = Histogram(
            "deepfix_analysis_duration_seconds",
            "Time to load and analyse a run, by outcome",
            ["status"],
            buckets=ANALYSIS_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_StateCollector(store, executor, knowledge))

    def request_done(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def analysis_done(self, status: str, seconds: float) -> None:
        self.analysis.labels(status).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
