"""Sweep triage of a 1,000-run experiment in a SQLite MLflow store: cold and warm.

    PYTHONPATH=. python benchmarks/bench_sweep.py [--runs 1000] [--epochs 100] [--repeat 3]

Builds (once, cached in ``benchmarks/.data/``) an experiment of ``--runs`` runs, each with the
MLflow metrics ``train_loss``, ``val_loss`` and ``val_accuracy`` logged for ``--epochs`` epochs
and the params ``learning_rate`` (log-uniform 1e-4..1), ``batch_size``, ``optimizer`` and
``seed``; runs with a learning rate of 0.3 or more diverge. The runs are written through
MLflow's SQLAlchemy store: ``create_run`` for each run, then its metric, latest-metric and param
rows inserted in bulk with MLflow's own table models (``log_batch`` costs ~60 ms a run: a
minute for the store).

Measured in this process (mlflow, scipy and the package imported beforehand), median of
``--repeat``: **cold** (every run analysed, nothing reused), **cold + save** (the analyses
written back to the runs), **warm** (every analysis reused); then the same two through the
``deepfix sweep --format json`` command, a fresh process each time (imports included). With
``--http``, cold and warm through an ``mlflow server`` on the same store (loopback; the runs'
artifacts are files this process reads directly, as on a shared file system).
Targets on 2 cores: cold < 10 s, warm < 1 s. Then the peak resident memory of this process
(the in-process sweeps; the store is built in a child) and of the largest child (a store
build, an analysis worker, a CLI run): the issue's bound is 1 GB at 10,000 runs
(``--runs 10000 --repeat 1``).

With ``--celery``, the throughput of the same sweep through a server (issue 18): every run of
a ``--celery-runs`` experiment (200 by default, its own cached store) submitted as a job to
``deepfix serve`` with a Celery broker (a ``redis-server`` this script starts on a free port)
and 1, then 2, ``deepfix worker`` processes (``--celery-concurrency`` threads each) reading
the same SQLite store; median of ``--repeat`` (workers warm: one sweep is run and discarded
first): the sweep's wall time as its caller sees it (listing the runs, submitting, polling the
results), and the jobs' own span in the server's job store (first accepted to last finished),
which the client's polling interval does not round up.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / ".data"
DATA_VERSION = 1
SEED = 20261207
EXPERIMENT = "bench-sweep"
TARGETS = {"cold": 10.0, "cold + save": 10.0, "warm": 1.0}
T0_MS = 1_700_000_000_000
BATCH_RUNS = 500  # runs whose rows are inserted together


def build(folder: Path, runs: int, epochs: int) -> str:
    """The store's URI; built into ``folder`` unless it is already there."""
    import numpy as np
    from mlflow.entities import RunStatus
    from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlMetric, SqlParam
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from sqlalchemy import insert

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    if (folder / "done").exists():
        return uri
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    from deepfix_notebook.artifacts._mlflow_store import quiet_mlflow

    with quiet_mlflow():
        store = SqlAlchemyStore(uri, (folder / "artifacts").as_uri())  # type: ignore[no-untyped-call]
    experiment = store.create_experiment(EXPERIMENT, (folder / "artifacts").as_uri())
    rng = np.random.default_rng(SEED)
    epoch = np.arange(epochs, dtype=np.float64)
    metrics: list[dict[str, Any]] = []
    latest: list[dict[str, Any]] = []
    params: list[dict[str, Any]] = []
    for index in range(runs):
        run = store.create_run(experiment, "bench", T0_MS, [], f"run-{index:04d}")
        run_id = run.info.run_id
        lr = float(10 ** rng.uniform(-4, 0))
        optimizer = str(rng.choice(["adam", "sgd"]))
        batch = int(rng.choice([16, 32, 64, 128]))
        if lr >= 0.3:  # diverges
            train = 0.7 * np.exp(0.04 * epoch) + 0.02 * rng.standard_normal(epochs)
        else:
            speed = 0.02 + 2.0 * lr**0.5
            train = 0.1 + 0.6 * np.exp(-speed * epoch) + 0.005 * rng.standard_normal(epochs)
        val = train * 1.05 + 0.01 * rng.standard_normal(epochs)
        accuracy = np.clip(1.0 - val / 1.4, 0.0, 1.0)
        for key, values in (("train_loss", train), ("val_loss", val), ("val_accuracy", accuracy)):
            rows = [
                {
                    "run_uuid": run_id,
                    "key": key,
                    "value": float(v),
                    "timestamp": T0_MS + step * 1000,
                    "step": step,
                    "is_nan": False,
                }
                for step, v in enumerate(values)
            ]
            metrics += rows
            latest.append(rows[-1])
        for key, value in (
            ("learning_rate", repr(lr)),
            ("optimizer", optimizer),
            ("batch_size", str(batch)),
            ("seed", str(index)),
        ):
            params.append({"run_uuid": run_id, "key": key, "value": value})
        store.update_run_info(run_id, RunStatus.FINISHED, T0_MS + epochs * 1000, None)
        if len(latest) >= 3 * BATCH_RUNS or index == runs - 1:
            with store.ManagedSessionMaker() as session:
                session.execute(insert(SqlMetric), metrics)
                session.execute(insert(SqlLatestMetric), latest)
                session.execute(insert(SqlParam), params)
            metrics, latest, params = [], [], []
    store.engine.dispose()
    (folder / "done").write_text("ok")
    return uri


def remove_analyses(folder: Path) -> None:
    for path in (folder / "artifacts").glob("*/artifacts/deepfix/analysis.json"):
        path.unlink()


def measure(uri: str, *, reuse: bool, save: bool, backend: Any = None) -> tuple[float, Any]:
    from deepfix_notebook.sweeps import run_sweep

    start = time.perf_counter()
    result = run_sweep(EXPERIMENT, tracking_uri=uri, reuse=reuse, save=save, backend=backend)
    return time.perf_counter() - start, result


def cli(uri: str, *extra: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MLFLOW_DISABLE_TELEMETRY": "true"}
    command = [sys.executable, "-m", "deepfix_notebook.cli", "sweep", "--experiment", EXPERIMENT]
    start = time.perf_counter()
    subprocess.run(
        [*command, "--tracking-uri", uri, "--format", "json", *extra],
        check=True,
        capture_output=True,
        env=env,
    )
    return time.perf_counter() - start


def http_server(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``mlflow server`` on the store (its runs' artifacts stay where they are), on loopback."""
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return server, url
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit(f"mlflow server did not answer on {url}")


def stop(server: subprocess.Popen[bytes]) -> None:
    import signal

    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def celery_throughput(
    runs: int, epochs: int, repeat: int, concurrency: int
) -> dict[str, list[tuple[float, float]]]:
    """(Sweep seconds, job-store span seconds) per sweep through ``deepfix serve`` with 1 and
    2 Celery workers, by row name."""
    import tempfile

    from bench_server import Stack, deepfix_command, deepfix_env, start_redis, start_server

    from deepfix_notebook.backends import RemoteBackend

    folder = DATA / f"sweep-v{DATA_VERSION}-{runs}x{epochs}"
    if not (folder / "done").exists():
        own = [sys.executable, __file__, "--build-only", "--runs", str(runs)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run([*own, "--epochs", str(epochs)], check=True, env=env)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    rows: dict[str, list[tuple[float, float]]] = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory(prefix="deepfix-sweep-celery-") as tmp:
            stack = Stack(Path(tmp))
            try:
                broker = start_redis(stack)
                settings = {
                    "broker_url": f"{broker}/0",
                    "job_store_url": f"sqlite:///{Path(tmp) / 'jobs.db'}",
                    "poll_after_seconds": "1",
                }
                _, url = start_server(stack, "server", uri, **settings)
                env = deepfix_env(stack, uri, settings)
                command = deepfix_command(
                    "worker", "--concurrency", str(concurrency), "--log-level", "info"
                )
                started = [stack.spawn(f"worker-{i}", command, env) for i in range(workers)]
                _wait_ready(started)
                backend = RemoteBackend(url, tracking_uri=uri, offline="strict")
                name = f"Celery, {workers} worker{'s' * (workers > 1)} x {concurrency} threads"
                times = []
                for attempt in range(repeat + 1):
                    since = _utc_now()
                    seconds, result = measure(uri, reuse=False, save=False, backend=backend)
                    analysed = sum(run.status == "analysed" for run in result.runs)
                    if analysed != runs:
                        raise SystemExit(f"{name}: {analysed} of {runs} runs analysed")
                    if attempt:  # the first warms the workers (imports, knowledge base)
                        times.append((seconds, _job_span(settings["job_store_url"], since)))
                rows[name] = times
                analysis_ms[name] = _analysis_median_ms([worker.log for worker in started])
                backend.close()
            finally:
                stack.close()
    return rows


analysis_ms: dict[str, float] = {}  # median time of one analysis in a worker, by row name


def _analysis_median_ms(logs: list[Path]) -> float:
    import json

    seconds = [
        json.loads(line)["seconds"]
        for log in logs
        for line in log.read_text(errors="replace").splitlines()
        if line.startswith("{") and '"analysis finished"' in line
    ]
    return 1000 * statistics.median(seconds) if seconds else float("nan")


def _utc_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _job_span(job_store_url: str, since: Any) -> float:
    """Seconds from the first job accepted after ``since`` to the last one finished."""
    import sqlalchemy as sa

    from deepfix_notebook.server._jobs import SqlJobStore, jobs

    store = SqlJobStore(job_store_url)
    try:
        with store._begin() as conn:
            first, last = conn.execute(
                sa.select(sa.func.min(jobs.c.submitted_at), sa.func.max(jobs.c.finished_at)).where(
                    jobs.c.submitted_at >= since.replace(tzinfo=None)
                )
            ).one()
    finally:
        store.close()
    return float((last - first).total_seconds())


def _wait_ready(workers: list[Any], timeout: float = 120.0) -> None:
    from bench_server import tail

    deadline = time.monotonic() + timeout
    for worker in workers:
        while " ready." not in worker.log.read_text(errors="replace"):
            if worker.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{worker.name} did not start:\n{tail(worker.log)}")
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--http", action="store_true", help="also through `mlflow server`")
    parser.add_argument("--celery", action="store_true", help="also through Celery workers")
    parser.add_argument("--celery-only", action="store_true", help="only the Celery rows")
    parser.add_argument("--celery-runs", type=int, default=200)
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

    folder = DATA / f"sweep-v{DATA_VERSION}-{args.runs}x{args.epochs}"
    if args.build_only:
        build(folder, args.runs, args.epochs)
        return
    if args.celery_only:
        celery = celery_throughput(
            args.celery_runs, args.epochs, args.repeat, args.celery_concurrency
        )
        print_celery(celery, args.celery_runs, args.repeat)
        return
    start = time.perf_counter()
    built = (folder / "done").exists()
    if not built:  # in a child: this process's peak memory is the sweeps' alone
        own = [sys.executable, __file__, "--build-only"]
        subprocess.run(
            [*own, "--runs", str(args.runs), "--epochs", str(args.epochs)],
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    print(
        f"store: {args.runs} runs x 3 metrics x {args.epochs} epochs, "
        f"{'cached' if built else f'built in {time.perf_counter() - start:.1f} s'} ({folder})"
    )
    import scipy.stats  # noqa: F401  (imported before timing, like mlflow)

    import deepfix_notebook.sweeps  # noqa: F401

    remove_analyses(folder)
    rows: dict[str, list[float]] = {name: [] for name in TARGETS}
    result = None
    for _ in range(args.repeat):
        seconds, result = measure(uri, reuse=False, save=False)
        rows["cold"].append(seconds)
    for _ in range(args.repeat):
        remove_analyses(folder)
        rows["cold + save"].append(measure(uri, reuse=True, save=True)[0])
    for _ in range(args.repeat):
        seconds, warm = measure(uri, reuse=True, save=False)
        assert all(run.status == "reused" for run in warm.runs), "warm sweep analysed runs"
        rows["warm"].append(seconds)
    if args.http:
        server, url = http_server(folder)
        try:
            rows["HTTP cold"] = [
                measure(url, reuse=False, save=False)[0] for _ in range(args.repeat)
            ]
            rows["HTTP warm"] = [
                measure(url, reuse=True, save=False)[0] for _ in range(args.repeat)
            ]
        finally:
            stop(server)
    rows["CLI cold (fresh process)"] = [cli(uri, "--no-reuse") for _ in range(args.repeat)]
    rows["CLI warm (fresh process)"] = [cli(uri) for _ in range(args.repeat)]

    print(f"\nCPUs: {os.cpu_count()}, Python {sys.version.split()[0]}, repeat {args.repeat}")
    print(f"{'sweep':<26} {'median s':>9} {'min s':>7} {'max s':>7} {'target':>8}  met")
    for name, times in rows.items():
        target = TARGETS.get(name)
        median = statistics.median(times)
        shown = f"< {target:g} s" if target else "-"
        met = ("yes" if median < target else "NO") if target else ""
        print(f"{name:<26} {median:>9.2f} {min(times):>7.2f} {max(times):>7.2f} {shown:>8}  {met}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: the in-process sweeps {own:.0f} MB; largest child {children:.0f} MB")
    assert result is not None
    print(f"\n{result.summary}")
    if args.celery:
        celery = celery_throughput(
            args.celery_runs, args.epochs, args.repeat, args.celery_concurrency
        )
        print_celery(celery, args.celery_runs, args.repeat)


def print_celery(rows: dict[str, list[tuple[float, float]]], runs: int, repeat: int) -> None:
    print(f"\nthrough deepfix serve + Celery ({runs} runs, repeat {repeat}, medians)")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"CPUs: {os.cpu_count()}; load average before: {load}")
    head = f"{'workers':<34} {'sweep s':>8} {'runs/s':>7} {'jobs span s':>12} {'jobs/s':>7}"
    print(f"{head} {'1 analysis ms':>14}")
    for name, pairs in rows.items():
        sweep = statistics.median(seconds for seconds, _ in pairs)
        span = statistics.median(span for _, span in pairs)
        cells = f"{sweep:>8.2f} {runs / sweep:>7.1f} {span:>12.2f} {runs / span:>7.1f}"
        print(f"{name:<34} {cells} {analysis_ms.get(name, float('nan')):>14.0f}")


if __name__ == "__main__":
    main()
