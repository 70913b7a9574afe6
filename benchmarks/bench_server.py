"""The DeepFix server under load, over HTTP on 127.0.0.1.

    python benchmarks/bench_server.py [--quick] [--no-celery]

Starts on free loopback ports a real ``mlflow server`` (one worker, SQLite store, proxied
artifacts in a temp dir) with the example runs of ``examples/runs`` logged to it, and
``deepfix serve`` (thread executor, SQLite job store in the temp dir); then measures

1. synchronous ``POST /api/v1/analyze`` at concurrency 10: requests/s, latency p50/p95, and
   the CPU each process spent per analysis;
2. ``POST /api/v1/analyze`` with ``Prefer: respond-async``: time to the 202, p50/p95;
3. ``POST /api/v1/knowledge/query``: p50/p95 cold (first time the server sees the query: its
   result cache misses) and warm (the same queries again);
4. server RSS per analysis in flight: (peak RSS while K analyses run - idle RSS) / K;
5. when Celery is installed and ``redis-server`` is on PATH: (1) and (2) again with
   ``DEEPFIX_BROKER_URL`` and one ``deepfix worker``.

The server deduplicates identical in-flight analyses, so no two requests are alike: each has its
own ``max_analysis_time`` (30.000 s, 30.001 s, ...) and they go round the logged runs; the script
checks that every 200 carries a job of its own. Everything started is stopped at the end (also
on failure or SIGTERM).

Targets: sync throughput >= 30 requests/s; async submit p95 < 30 ms; knowledge p95 < 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "runs"
START_TIMEOUT_S = 90.0
CONCURRENCY = 10
ASYNC = {"Prefer": "respond-async"}
FINAL = {"completed", "partial", "failed"}
MB = 2**20


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "<no output>"


@dataclass
class Service:
    """A process this script started, with its log."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tree(self) -> list[psutil.Process]:
        try:
            parent = psutil.Process(self.process.pid)
            return [parent, *parent.children(recursive=True)]
        except psutil.Error:
            return []

    def rss(self) -> int:
        """Resident bytes of the process and its children."""
        total = 0
        for proc in self.tree():
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total

    def cpu(self) -> float:
        """CPU seconds (user + system) of the process and its children so far."""
        total = 0.0
        for proc in self.tree():
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
        return total

    def stop(self) -> None:
        children = self.tree()[1:]
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.terminate()
        _, alive = psutil.wait_procs(children, timeout=5)
        for child in alive:
            with contextlib.suppress(psutil.Error):
                child.kill()


@dataclass
class Stack:
    """Everything this script started; `close` stops it all, newest first."""

    base: Path
    services: list[Service] = field(default_factory=list)
    redis_pidfiles: list[Path] = field(default_factory=list)

    def spawn(self, name: str, command: list[str], env: dict[str, str]) -> Service:
        log = self.base / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                command,
                cwd=self.base,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        service = Service(name, process, log)
        self.services.append(service)
        return service

    def stop(self, service: Service) -> None:
        service.stop()
        self.services.remove(service)

    def close(self) -> None:
        for service in reversed(self.services):
            with contextlib.suppress(Exception):
                service.stop()
        self.services.clear()
        for pidfile in self.redis_pidfiles:
            stop_by_pidfile(pidfile)


def base_env(base: Path) -> dict[str, str]:
    """This environment without DEEPFIX_* or MLFLOW_TRACKING_URI settings from outside."""
    env = {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        "DEEPFIX_HOME": str(base / "home"),
    }
    for name in list(env):
        if name.startswith("DEEPFIX_") and name != "DEEPFIX_HOME":
            del env[name]
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


def wait_http(service: Service, url: str, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited early:\n{tail(service.log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(
        f"{service.name} did not answer {url} in {timeout:.0f} s:\n{tail(service.log)}"
    )


def start_mlflow(stack: Stack) -> tuple[Service, str]:
    port = free_port()
    # no job runner (huey consumers): not needed here, slow to start
    env = {**base_env(stack.base), "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", "1",
        "--backend-store-uri", f"sqlite:///{stack.base / 'mlflow.db'}",
        "--artifacts-destination", str(stack.base / "mlflow-artifacts"),
        "--serve-artifacts",
    ]  # fmt: skip
    service = stack.spawn("mlflow", command, env)
    url = f"http://127.0.0.1:{port}"
    wait_http(service, f"{url}/health")
    return service, url


def deepfix_command(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("deepfix")
    found = str(script) if script.exists() else shutil.which("deepfix")
    if found is None:
        raise RuntimeError("`deepfix` is not installed: pip install -e '.[server,worker]'")
    return [found, *args]


def deepfix_env(stack: Stack, mlflow_url: str, settings: dict[str, str]) -> dict[str, str]:
    return {
        **base_env(stack.base),
        "DEEPFIX_ALLOWED_TRACKING_URIS": mlflow_url,
        **{f"DEEPFIX_{key.upper()}": value for key, value in settings.items()},
    }


def start_server(stack: Stack, name: str, mlflow_url: str, **settings: str) -> tuple[Service, str]:
    """``deepfix serve`` on a free port; ``settings`` are DEEPFIX_* values (lower-case names)."""
    settings.setdefault("job_store_url", f"sqlite:///{stack.base / f'{name}-jobs.db'}")
    port = free_port()
    env = deepfix_env(stack, mlflow_url, settings)
    service = stack.spawn(name, deepfix_command("serve", "--port", str(port)), env)
    url = f"http://127.0.0.1:{port}"
    wait_http(service, f"{url}/api/v1/health")
    return service, url


def start_worker(stack: Stack, mlflow_url: str, concurrency: int, **settings: str) -> Service:
    env = deepfix_env(stack, mlflow_url, settings)
    command = deepfix_command("worker", "--concurrency", str(concurrency), "--log-level", "warning")
    return stack.spawn(f"worker-{concurrency}", command, env)


def start_redis(stack: Stack) -> str:
    """A private ``redis-server`` on a free port, no persistence; its URL (no database)."""
    port = free_port()
    pidfile = stack.base / f"redis-{port}.pid"
    stack.redis_pidfiles.append(pidfile)
    subprocess.run(
        [
            "redis-server",
            "--daemonize", "yes",
            "--pidfile", str(pidfile),
            "--logfile", str(stack.base / "redis.log"),
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(stack.base),
            "--save", "",
            "--appendonly", "no",
        ],
        check=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return f"redis://127.0.0.1:{port}"
        if time.monotonic() > deadline:
            raise RuntimeError(f"redis-server did not start:\n{tail(stack.base / 'redis.log')}")
        time.sleep(0.05)


def stop_by_pidfile(pidfile: Path) -> None:
    try:
        pid = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(psutil.Error):
        psutil.Process(pid).wait(timeout=10)


# --------------------------------------------------------------------------- runs


def log_example_runs(url: str, copies: int) -> list[str]:
    """Each run of examples/runs logged ``copies`` times with `log_run`; the run ids."""
    import yaml

    from deepfix_notebook.artifacts import log_run, read_metrics_csv

    ids = []
    for directory in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        training, dataset = directory / "training_artifacts", directory / "dataset"
        data: dict[str, Any] = {
            "metrics": read_metrics_csv(training / "metrics.csv")[0],
            "params": yaml.safe_load((training / "params.yaml").read_text()),
            "dataset": yaml.safe_load((dataset / "metadata.yaml").read_text()),
        }
        if (dataset / "statistics.json").is_file():
            data["statistics"] = json.loads((dataset / "statistics.json").read_text())
        for copy in range(copies):
            with contextlib.redirect_stdout(io.StringIO()):  # MLflow prints a line per run
                run_id = log_run(
                    **data,
                    tracking_uri=url,
                    experiment="bench-server",
                    run_name=f"{directory.name}-{copy}",
                    status="FINISHED",
                )
            ids.append(run_id)
    return ids


def log_large_run(url: str, steps: int) -> str:
    """A run of ``steps`` steps and 6 metrics (validation every 10th step)."""
    import numpy as np

    from deepfix_notebook.artifacts import log_run

    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, steps)
    val = np.full(steps, np.nan)
    val[::10] = 0.35 + 2.5 * np.exp(-5 * t[::10]) + 0.3 * t[::10] ** 2
    metrics = {
        "step": np.arange(steps),
        "epoch": np.floor(t * 50),
        "train_loss": (0.3 + 2.7 * np.exp(-6 * t)) * np.exp(0.2 * rng.standard_normal(steps)),
        "val_loss": val,
        "train_accuracy": 0.95 - 0.6 * np.exp(-5 * t),
        "learning_rate": np.full(steps, 1e-3),
        "grad_norm": 1 + 0.1 * rng.standard_normal(steps),
    }
    params = {"learning_rate": 1e-3, "batch_size": 64, "optimizer": "adam", "num_epochs": 50}
    with contextlib.redirect_stdout(io.StringIO()):
        return log_run(
            metrics=metrics, params=params, tracking_uri=url, experiment="bench-server-large"
        )


class Bodies:
    """Analysis requests no two alike: each its own max_analysis_time, round the runs."""

    def __init__(self, runs: list[str], mlflow_url: str) -> None:
        self._runs = itertools.cycle(runs)
        self._counter = itertools.count()
        self._url = mlflow_url

    def take(self, n: int) -> list[dict[str, Any]]:
        return [
            {
                "run_id": next(self._runs),
                "mlflow_tracking_uri": self._url,
                "analysis_options": {"max_analysis_time": 30 + next(self._counter) / 1000},
            }
            for _ in range(n)
        ]


def knowledge_queries(n: int) -> list[dict[str, Any]]:
    """``n`` distinct queries made from the knowledge base's entry titles."""
    from deepfix_notebook.engine.knowledge import KnowledgeBridge

    kinds = ("diagnostic", "solution", "best_practice", "validation")
    titles = [entry.title for entry in KnowledgeBridge().entries]
    texts = [*titles, *(f"how to fix {title.lower()}" for title in titles)][:n]
    return [
        {"query": text, "query_type": kinds[i % len(kinds)], "max_results": 5}
        for i, text in enumerate(texts)
    ]


# --------------------------------------------------------------------------- measuring


def pct(values: list[float], q: float) -> float:
    """The ``q``-th percentile of seconds (linear interpolation), in ms."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return (ordered[low] + (ordered[high] - ordered[low]) * (position - low)) * 1000


@dataclass
class Load:
    """Latencies of the answers with the expected status, the others' statuses, wall time."""

    latencies: list[float]
    failures: dict[str, int]
    wall: float
    answers: list[httpx.Response]
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per expected answer

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall

    def failed(self) -> str:
        return ", ".join(f"{n} x {code}" for code, n in sorted(self.failures.items()))


async def _send(
    url: str,
    path: str,
    bodies: list[dict[str, Any]],
    concurrency: int,
    headers: dict[str, str] | None,
    ok: int,
) -> Load:
    queue = iter(bodies)
    latencies: list[float] = []
    failures: dict[str, int] = {}
    answers: list[httpx.Response] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:

        async def sender() -> None:
            for body in queue:  # one shared iterator: each body is sent once
                start = time.perf_counter()
                try:
                    answer = await http.post(path, json=body, headers=headers)
                except httpx.HTTPError as exc:
                    failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
                    continue
                elapsed = time.perf_counter() - start
                answers.append(answer)
                if answer.status_code == ok:
                    latencies.append(elapsed)
                else:
                    failures[str(answer.status_code)] = failures.get(str(answer.status_code), 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        wall = time.perf_counter() - start
    return Load(latencies, failures, wall, answers)


def post(
    url: str,
    path: str,
    bodies: list[dict[str, Any]],
    *,
    concurrency: int,
    headers: dict[str, str] | None = None,
    ok: int = 200,
    services: Sequence[Service] = (),
) -> Load:
    """POST ``bodies`` with ``concurrency`` requests in flight on one shared client; with
    ``services``, also the CPU each spent per expected answer."""
    before = {s.name: s.cpu() for s in services}
    result = asyncio.run(_send(url, path, bodies, concurrency, headers, ok))
    if services and result.latencies:
        n = len(result.latencies)
        result.cpu_ms = {s.name: (s.cpu() - before[s.name]) / n * 1000 for s in services}
    return result


def health_queue(http: httpx.Client) -> tuple[int, int]:
    """(running, queued) from the health route's ``queue`` text."""
    queue = http.get("/api/v1/health").json()["queue"]  # "threads: 2 running, 0 queued, ..."
    words = queue.split(":", 1)[1].replace(",", " ").split()
    return int(words[0]), int(words[2])


def wait_idle(url: str, timeout: float = 600) -> None:
    """Block until the server reports no job running or queued."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, timeout=10) as http:
        while health_queue(http) != (0, 0):
            if time.monotonic() > deadline:
                raise RuntimeError(f"jobs still in flight after {timeout:.0f} s")
            time.sleep(0.1)


def check_distinct(result: Load) -> None:
    """Every 200 is an analysis of its own that completed (dedup did not answer it)."""
    bodies = [a.json() for a in result.answers if a.status_code == 200]
    ids = [b["request_id"] for b in bodies]
    if len(set(ids)) != len(ids):
        raise RuntimeError("two requests were answered by the same job: bodies not distinct")
    statuses = {b["status"] for b in bodies}
    if not statuses <= {"completed", "partial"}:
        raise RuntimeError(f"unexpected analysis statuses {statuses}")


class PeakRss:
    """Samples a service's RSS every ``interval`` s in a thread, keeping the peak."""

    def __init__(self, service: Service, interval: float = 0.005) -> None:
        self.service = service
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.service.rss())
            time.sleep(self.interval)


# --------------------------------------------------------------------------- table


@dataclass
class Row:
    what: str
    result: Load
    target: str = ""
    passed: bool | None = None

    def line(self) -> str:
        r = self.result
        ok = "" if self.passed is None else ("yes" if self.passed else "NO")
        notes = []
        if r.cpu_ms:
            notes.append(
                "CPU ms/analysis: " + ", ".join(f"{k} {v:.0f}" for k, v in r.cpu_ms.items())
            )
        if r.failures:
            notes.append(f"failed: {r.failed()}")
        return (
            f"{self.what:<46} {len(r.latencies):>4} {r.rate:>7.1f} {pct(r.latencies, 50):>8.1f} "
            f"{pct(r.latencies, 95):>8.1f}  {self.target:<13} {ok:<3}  {'; '.join(notes)}"
        ).rstrip()


def print_table(title: str, rows: list[Row]) -> None:
    header = (
        f"{'measurement':<46} {'n':>4} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8}  {'target':<13} ok"
    )
    print(f"\n{title}\n{header}\n{'-' * len(header)}")
    for row in rows:
        print(row.line())
    for row in rows:
        if row.result.cpu_ms:
            print(f"  {row.what}: {ceiling(row.result.cpu_ms)}")
    sys.stdout.flush()


def ceiling(cpu_ms: dict[str, float]) -> str:
    """The rate the CPU time per analysis allows on this machine's cores when nothing else runs:
    all processes together get every core, each Python process one core at most (its GIL)."""
    cores = os.cpu_count() or 1
    rate = min(cores * 1000 / sum(cpu_ms.values()), *(1000 / ms for ms in cpu_ms.values() if ms))
    return f"CPU-bound ceiling {rate:.0f} analyses/s on {cores} otherwise idle cores"


def throughput(what: str, result: Load) -> Row:
    return Row(what, result, ">= 30 req/s", result.rate >= 30 and not result.failures)


def latency(what: str, result: Load, target_ms: float) -> Row:
    p95 = pct(result.latencies, 95)
    return Row(what, result, f"p95 < {target_ms:g} ms", p95 < target_ms and not result.failures)


# --------------------------------------------------------------------------- phases


def bench_threads(
    stack: Stack, mlflow: Service, mlflow_url: str, runs: list[str], args: argparse.Namespace
) -> None:
    server, url = start_server(stack, "deepfix", mlflow_url)
    bodies = Bodies(runs, mlflow_url)
    post(url, "/api/v1/analyze", bodies.take(20), concurrency=CONCURRENCY)  # warm-up
    rows = []

    sync = post(
        url,
        "/api/v1/analyze",
        bodies.take(args.requests),
        concurrency=CONCURRENCY,
        services=[mlflow, server],
    )
    check_distinct(sync)
    rows.append(throughput(f"sync analyze, concurrency {CONCURRENCY}", sync))

    for concurrency in (1, CONCURRENCY):
        wait_idle(url)
        submit = post(
            url,
            "/api/v1/analyze",
            bodies.take(args.requests),
            concurrency=concurrency,
            headers=ASYNC,
            ok=202,
        )
        rows.append(latency(f"async submit (202), concurrency {concurrency}", submit, 30))
    wait_idle(url)

    queries = knowledge_queries(args.queries)
    for label in ("cold (first time)", "warm (cached)"):
        result = post(url, "/api/v1/knowledge/query", queries, concurrency=1)
        rows.append(latency(f"knowledge query, {label}", result, 20))
    print_table(
        f"deepfix serve, thread executor (DEEPFIX_MAX_CONCURRENT=10), SQLite job store; "
        f"{len(runs)} runs",
        rows,
    )
    stack.stop(server)


def bench_memory(stack: Stack, mlflow_url: str, args: argparse.Namespace) -> None:
    """For each K, a fresh server: one analysis of the large run first (imports, pools and the
    allocator's first growth are not per job), then K at once while RSS is sampled."""
    large = log_large_run(mlflow_url, args.large_steps)
    bodies = Bodies([large], mlflow_url)
    print(f"\nserver RSS per analysis in flight (a run of {args.large_steps:,} steps x 6 metrics)")
    header = f"{'K':>3} {'idle MB':>8} {'peak MB':>8} {'(peak-idle)/K MB':>17} {'most running':>13}"
    print(f"{header}\n{'-' * len(header)}")
    for k in args.memory_k:
        server, url = start_server(stack, f"deepfix-memory-{k}", mlflow_url)
        post(url, "/api/v1/analyze", bodies.take(1), concurrency=1)
        time.sleep(1.0)
        idle = min(server.rss() for _ in range(5))
        most = 0
        with httpx.Client(base_url=url, timeout=30) as http, PeakRss(server) as sampler:
            batch = post(
                url, "/api/v1/analyze", bodies.take(k), concurrency=k, headers=ASYNC, ok=202
            )
            pending = {a.json()["request_id"] for a in batch.answers}
            while pending:
                most = max(most, health_queue(http)[0])
                for request_id in list(pending):
                    if http.get(f"/api/v1/status/{request_id}").json()["status"] in FINAL:
                        pending.discard(request_id)
                time.sleep(0.01)
        per = (sampler.peak - idle) / k / MB
        print(f"{k:>3} {idle / MB:>8.0f} {sampler.peak / MB:>8.0f} {per:>17.1f} {most:>13}")
        sys.stdout.flush()
        stack.stop(server)


def bench_celery(
    stack: Stack, mlflow: Service, mlflow_url: str, runs: list[str], args: argparse.Namespace
) -> None:
    try:
        import celery  # noqa: F401
    except ImportError:
        print("\nCelery executor: skipped (pip install 'deepfix-notebook[worker]')")
        return
    if shutil.which("redis-server") is None:
        print("\nCelery executor: skipped (redis-server is not on PATH)")
        return
    redis_url = start_redis(stack)
    settings = {
        "broker_url": f"{redis_url}/0",
        "redis_url": f"{redis_url}/1",
        "job_store_url": f"sqlite:///{stack.base / 'celery-jobs.db'}",
    }
    server, url = start_server(stack, "deepfix-celery", mlflow_url, **settings)
    bodies = Bodies(runs, mlflow_url)
    rows = []
    for concurrency in args.worker_concurrency:
        worker = start_worker(stack, mlflow_url, concurrency, **settings)
        post(url, "/api/v1/analyze", bodies.take(20), concurrency=CONCURRENCY)  # worker ready
        sync = post(
            url,
            "/api/v1/analyze",
            bodies.take(args.requests),
            concurrency=CONCURRENCY,
            services=[mlflow, server, worker],
        )
        check_distinct(sync)
        rows.append(
            throughput(f"sync analyze, concurrency {CONCURRENCY}, worker x{concurrency}", sync)
        )
        if concurrency == args.worker_concurrency[-1]:
            submit = post(
                url,
                "/api/v1/analyze",
                bodies.take(args.requests),
                concurrency=1,
                headers=ASYNC,
                ok=202,
            )
            rows.append(latency("async submit (202), concurrency 1", submit, 30))
        wait_idle(url)
        stack.stop(worker)
    print_table(
        "deepfix serve + one `deepfix worker --concurrency N` (Celery over a local Redis; "
        "knowledge cache in Redis)",
        rows,
    )
    stack.stop(server)


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark the DeepFix server over HTTP.")
    parser.add_argument("--quick", action="store_true", help="fewer requests (about 1 min)")
    parser.add_argument("--no-celery", action="store_true", help="skip the Celery executor")
    args = parser.parse_args()
    args.requests = 60 if args.quick else 200
    args.queries = 40 if args.quick else 160
    args.copies = 2 if args.quick else 5
    args.large_steps = 50_000 if args.quick else 200_000
    args.memory_k = (1, 5) if args.quick else (1, 5, 10)
    args.worker_concurrency = (2,) if args.quick else (2, 4)
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops it all

    with tempfile.TemporaryDirectory(prefix="deepfix-bench-server-") as tmp:
        stack = Stack(Path(tmp))
        try:
            load1, _, _ = os.getloadavg()
            mlflow, mlflow_url = start_mlflow(stack)
            runs = log_example_runs(mlflow_url, args.copies)
            print(
                f"{os.cpu_count()} CPUs, load average {load1:.1f} before starting; "
                f"mlflow server (1 worker) with {len(runs)} runs of examples/runs; "
                f"all on 127.0.0.1"
            )
            bench_threads(stack, mlflow, mlflow_url, runs, args)
            bench_memory(stack, mlflow_url, args)
            if not args.no_celery:
                bench_celery(stack, mlflow, mlflow_url, runs, args)
            load1, _, _ = os.getloadavg()
            print(f"\nload average {load1:.1f} at the end")
        finally:
            stack.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
