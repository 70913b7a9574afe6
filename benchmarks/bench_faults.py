"""Faults against a real stack on 127.0.0.1 (issue 17): for each, the jobs accepted, completed,
failed (with a message), lost and duplicated, and the time to recover.

    python benchmarks/bench_faults.py [--jobs 16] [--only broker,worker,server,mlflow,...]

Each scenario starts its own ``mlflow server``, ``deepfix serve`` and, with Celery, Redis
(no persistence, as a broker that loses its messages) and two ``deepfix worker`` (2 threads
each), in a temporary directory; everything is stopped at the end.

- broker: jobs accepted, Redis killed while most wait in it, restarted empty 3 s later;
- worker: one of two workers killed (SIGKILL) while it runs jobs;
- server: ``deepfix serve`` (thread executor) killed (SIGKILL) with jobs in flight, restarted;
- mlflow: MLflow stopped: analyses fail at once with 503 ``MLFLOW_CONNECTION_ERROR`` (none
  hangs); MLflow restarted: recovery is the time until an analysis succeeds again.
- slow: MLflow behind a TCP proxy (tests/delay_proxy.py) that holds every request 0.5 s: the
  jobs complete. Then it holds them 60 s (MLflow hangs): a `DeepFixClient` analysis must end
  within its retry budget (15 s by default) with an error naming MLflow; recovery is the time
  from the delay's end until an analysis succeeds again.
- disk: the job store (SQLite) on a 4 MiB tmpfs that a file then fills while jobs run: new
  submissions are refused (503 + Retry-After, counted as refused, not accepted), the accepted
  jobs keep their outcome until the store takes it; recovery is from the file's removal to the
  last accepted job finished and a new one accepted. Needs root (``mount -t tmpfs``): where
  mounting is refused the row says so.

Recovery is timed from the end of the fault (broker or server back, worker killed, MLflow
back) to the last job finished. Lost: accepted, not finished within ``--deadline``.
Duplicated: analyses run to the end more than once (the "analysis finished" log lines per job);
re-run: jobs started more than once (attempts > 1: a worker or server died under them).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from bench_server import (
    ASYNC,
    FINAL,
    Service,
    Stack,
    base_env,
    deepfix_command,
    deepfix_env,
    log_large_run,
    start_mlflow,
    start_redis,
    start_server,
    tail,
    wait_http,
)

from deepfix_notebook.server._jobs import SqlJobStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from delay_proxy import delay_proxy  # a test helper, shared with the fault tests

STEPS = 200_000  # a run that takes a good part of a second to analyse: jobs are in flight
WORKER_START_S = 90.0
SLOW_S = 0.5  # MLflow slow: each request held this long
HUNG_S = 60.0  # MLflow hung: longer than every timeout on the way
CLIENT_BUDGET_S = 15.0  # the client's default retry budget (RetryPolicy.max_total_wait)
DISK = "4m"


@dataclass
class Row:
    fault: str
    accepted: int
    completed: int
    failed: int
    lost: int
    duplicated: int
    rerun: int
    recover_s: float
    note: str = ""


@dataclass
class Stage:
    """One scenario's stack, its MLflow and a run to analyse."""

    stack: Stack
    mlflow: Service
    mlflow_url: str
    run_id: str
    jobs_db: str

    def body(self, i: int) -> dict[str, object]:
        # Each its own max_analysis_time: identical in-flight analyses would share one job.
        options = {"max_analysis_time": 60 + i / 1000}
        return {"run_id": self.run_id, "mlflow_tracking_uri": self.mlflow_url,
                "analysis_options": options}  # fmt: skip


def start_worker(stage: Stage, name: str, **settings: str) -> Service:
    env = deepfix_env(stage.stack, stage.mlflow_url, settings)
    command = deepfix_command("worker", "--concurrency", "2", "--log-level", "info")
    worker = stage.stack.spawn(name, command, env)
    deadline = time.monotonic() + WORKER_START_S
    while " ready." not in worker.log.read_text(errors="replace"):
        if worker.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start:\n{tail(worker.log)}")
        time.sleep(0.1)
    return worker


def submit(url: str, stage: Stage, n: int, offset: int = 0) -> list[str]:
    ids = []
    with httpx.Client(base_url=url, timeout=30) as http:
        for i in range(n):
            answer = http.post("/api/v1/analyze", json=stage.body(offset + i), headers=ASYNC)
            if answer.status_code == 202:
                ids.append(answer.json()["request_id"])
    return ids


def wait_final(url: str, ids: list[str], deadline_s: float) -> dict[str, str]:
    """Each job's last state, polling until all are final or ``deadline_s`` passes."""
    states: dict[str, str] = dict.fromkeys(ids, "queued")
    deadline = time.monotonic() + deadline_s
    with httpx.Client(base_url=url, timeout=10) as http:
        while time.monotonic() < deadline:
            for request_id in [i for i, s in states.items() if s not in FINAL]:
                with contextlib.suppress(httpx.HTTPError):
                    states[request_id] = http.get(f"/api/v1/status/{request_id}").json()["status"]
            if all(s in FINAL for s in states.values()):
                break
            time.sleep(0.2)
    return states


def finished_counts(logs: list[Path]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"analysis finished"' in line:
                counts[json.loads(line).get("job_id", "")] += 1
    return counts


def row(fault: str, stage: Stage, ids: list[str], states: dict[str, str],
        logs: list[Path], recover_s: float, note: str = "") -> Row:  # fmt: skip
    store = SqlJobStore(stage.jobs_db)
    try:
        attempts = {i: getattr(store.get(i), "attempts", 0) for i in ids}
    finally:
        store.close()
    finished = finished_counts(logs)
    return Row(
        fault=fault,
        accepted=len(ids),
        completed=sum(states[i] in {"completed", "partial"} for i in ids),
        failed=sum(states[i] == "failed" for i in ids),
        lost=sum(states[i] not in FINAL for i in ids),
        duplicated=sum(max(finished[i] - 1, 0) for i in ids),
        rerun=sum(attempts[i] > 1 for i in ids),
        recover_s=recover_s,
        note=note,
    )


def kill(service: Service) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(service.process.pid, signal.SIGKILL)
    service.process.wait(timeout=10)


# --------------------------------------------------------------------------- scenarios


def celery_settings(stage: Stage, broker: str) -> dict[str, str]:
    return {
        "broker_url": f"{broker}/0",
        "job_store_url": stage.jobs_db,
        "heartbeat_seconds": "1",
        "dispatch_lease_seconds": "5",
    }


def broker_restart(stage: Stage, jobs: int, deadline: float) -> Row:
    broker = start_redis(stage.stack)
    settings = celery_settings(stage, broker)
    _, url = start_server(stage.stack, "server", stage.mlflow_url, **settings)
    workers = [start_worker(stage, f"worker-{i}", **settings) for i in range(2)]
    ids = submit(url, stage, jobs)
    pidfile = stage.stack.redis_pidfiles[-1]
    port = broker.rsplit(":", 1)[1]
    os.kill(int(pidfile.read_text().split()[0]), signal.SIGKILL)  # no shutdown, no save
    time.sleep(3)
    start_redis_on(stage.stack, port)
    back = time.monotonic()
    states = wait_final(url, ids, deadline)
    recover = time.monotonic() - back
    return row("broker restarted empty", stage, ids, states, [w.log for w in workers], recover)


def start_redis_on(stack: Stack, port: str) -> str:
    """Redis again on ``port`` (empty: no persistence), stopped with the stack."""
    pidfile = stack.base / f"redis-{port}-again.pid"
    stack.redis_pidfiles.append(pidfile)
    subprocess.run(
        ["redis-server", "--daemonize", "yes", "--pidfile", str(pidfile),
         "--logfile", str(stack.base / "redis-again.log"), "--port", port,
         "--bind", "127.0.0.1", "--dir", str(stack.base), "--save", "", "--appendonly", "no"],
        check=True,
    )  # fmt: skip
    return f"redis://127.0.0.1:{port}"


def worker_kill(stage: Stage, jobs: int, deadline: float) -> Row:
    broker = start_redis(stage.stack)
    settings = celery_settings(stage, broker)
    _, url = start_server(stage.stack, "server", stage.mlflow_url, **settings)
    workers = [start_worker(stage, f"worker-{i}", **settings) for i in range(2)]
    ids = submit(url, stage, jobs)
    wait_running(url, ids)
    kill(workers[0])
    killed = time.monotonic()
    states = wait_final(url, ids, deadline)
    recover = time.monotonic() - killed
    return row("worker killed", stage, ids, states, [w.log for w in workers], recover)


def server_kill(stage: Stage, jobs: int, deadline: float) -> Row:
    settings = {"job_store_url": stage.jobs_db, "heartbeat_seconds": "1", "max_concurrent": "2"}
    server, url = start_server(stage.stack, "server", stage.mlflow_url, **settings)
    ids = submit(url, stage, jobs)
    wait_running(url, ids)
    kill(server)
    stage.stack.services.remove(server)
    time.sleep(1)
    again, url = start_server(stage.stack, "server-again", stage.mlflow_url, **settings)
    back = time.monotonic()
    states = wait_final(url, ids, deadline)
    recover = time.monotonic() - back
    return row("server killed", stage, ids, states, [server.log, again.log], recover)


def mlflow_down(stage: Stage, jobs: int, deadline: float) -> Row:
    settings = {"job_store_url": stage.jobs_db}
    server, url = start_server(stage.stack, "server", stage.mlflow_url, **settings)
    port = stage.mlflow_url.rsplit(":", 1)[1]
    stage.stack.stop(stage.mlflow)
    ids = submit(url, stage, jobs)
    states = wait_final(url, ids, deadline)
    restart_mlflow(stage, port)
    back = time.monotonic()
    with httpx.Client(base_url=url, timeout=120) as http:
        for attempt in range(jobs, jobs + 1000):  # a new analysis each time: no shared job
            answer = http.post("/api/v1/analyze", json=stage.body(attempt))
            if answer.status_code == 200 or time.monotonic() - back > deadline:
                break
            time.sleep(0.5)
    recover = time.monotonic() - back
    return row("MLflow down", stage, ids, states, [server.log], recover)


def restart_mlflow(stage: Stage, port: str) -> Service:
    """The same ``mlflow server`` (store and artifacts) again on its port."""
    env = {**base_env(stage.stack.base), "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    command = [
        sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", port,
        "--workers", "1", "--backend-store-uri", f"sqlite:///{stage.stack.base / 'mlflow.db'}",
        "--artifacts-destination", str(stage.stack.base / "mlflow-artifacts"), "--serve-artifacts",
    ]  # fmt: skip
    service = stage.stack.spawn("mlflow-again", command, env)
    wait_http(service, f"{stage.mlflow_url}/health")
    return service


def wait_running(url: str, ids: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, timeout=10) as http:
        while time.monotonic() < deadline:
            if any(http.get(f"/api/v1/status/{i}").json()["status"] == "running" for i in ids):
                return
            time.sleep(0.05)
    raise RuntimeError("no job started running")


def mlflow_slow(stage: Stage, jobs: int, deadline: float) -> Row:
    from deepfix_notebook.client import DeepFixClient, DeepFixError

    port = int(stage.mlflow_url.rsplit(":", 1)[1])
    for key in ("MLFLOW_HTTP_REQUEST_TIMEOUT", "MLFLOW_HTTP_REQUEST_MAX_RETRIES"):
        # Set in this process by its own MLflow calls (DeepFix's client defaults): not an
        # operator's choice, so not passed on; the server sets its own, tighter ones.
        os.environ.pop(key, None)
    with delay_proxy(port, SLOW_S) as proxy:
        slow = replace(stage, mlflow_url=proxy.url)
        server, url = start_server(stage.stack, "server", proxy.url, job_store_url=stage.jobs_db)
        start = time.monotonic()
        ids = submit(url, slow, jobs)
        states = wait_final(url, ids, deadline)
        took = time.monotonic() - start
        proxy.delay = HUNG_S
        asked = time.monotonic()
        with DeepFixClient(url, offline_mode="strict") as client:
            try:
                client.analyze(stage.run_id, proxy.url, {"max_analysis_time": 61})
                answer = "an analysis (not an error)"
            except DeepFixError as error:
                answer = f"{type(error).__name__}: {str(error)[:160]}"
        budget = time.monotonic() - asked
        proxy.delay = 0.0
        back = time.monotonic()
        with httpx.Client(base_url=url, timeout=120) as http:
            for attempt in range(jobs, jobs + 1000):
                answer_ok = http.post("/api/v1/analyze", json=slow.body(attempt))
                if answer_ok.status_code == 200 or time.monotonic() - back > deadline:
                    break
                time.sleep(0.5)
        recover = time.monotonic() - back
    note = (
        f"{jobs} jobs through +{SLOW_S:g} s per request in {took:.1f} s; MLflow hung "
        f"({HUNG_S:g} s per request): the client ended in {budget:.1f} s "
        f"(budget {CLIENT_BUDGET_S:g} s) with {answer}"
    )
    return row("MLflow slow, then hung", stage, ids, states, [server.log], recover, note)


def disk_full(stage: Stage, jobs: int, deadline: float) -> Row:
    disk = stage.stack.base / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        why = f"not measured: a {DISK} tmpfs cannot be mounted here ({mounted.stderr.strip()})"
        return Row("job store disk full", 0, 0, 0, 0, 0, 0, float("nan"), why)
    try:
        jobs_db = f"sqlite:///{disk / 'jobs.db'}"
        staged = replace(stage, jobs_db=jobs_db)
        settings = {"job_store_url": jobs_db, "max_concurrent": "2", "retry_after_seconds": "5"}
        server, url = start_server(stage.stack, "server", stage.mlflow_url, **settings)
        ids = submit(url, staged, jobs)
        filler = fill(disk)
        refused, headers = refuse_count(url, staged, jobs)
        time.sleep(3)
        filler.unlink()
        back = time.monotonic()
        states = wait_final(url, ids, deadline)
        more = submit(url, staged, 1, offset=2 * jobs)
        recover = time.monotonic() - back
        note = (
            f"disk filled with {len(ids)} jobs in flight: {refused} of {jobs} new submissions "
            f"refused ({headers}), {len(more)} accepted after space returned"
        )
        return row("job store disk full", staged, ids, states, [server.log], recover, note)
    finally:
        stage.stack.close()  # the server holds the store open: stop it before unmounting
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Every free byte of ``disk`` taken by a file; the file."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(descriptor, b"\0" * 4096)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
    finally:
        os.close(descriptor)
    return filler


def refuse_count(url: str, stage: Stage, n: int) -> tuple[int, str]:
    """Submissions answered 503 with Retry-After (nothing accepted), and what they said."""
    refused, seen = 0, set()
    with httpx.Client(base_url=url, timeout=30) as http:
        for i in range(n):
            answer = http.post("/api/v1/analyze", json=stage.body(1000 + i), headers=ASYNC)
            if answer.status_code == 503 and "Retry-After" in answer.headers:
                refused += 1
                reason = answer.json()["details"].get("reason")
                seen.add(f"503 {reason}, Retry-After {answer.headers['Retry-After']}")
            else:
                seen.add(str(answer.status_code))
    return refused, "; ".join(sorted(seen))


SCENARIOS: dict[str, Callable[[Stage, int, float], Row]] = {
    "broker": broker_restart,
    "worker": worker_kill,
    "server": server_kill,
    "mlflow": mlflow_down,
    "slow": mlflow_slow,
    "disk": disk_full,
}


def run(name: str, jobs: int, deadline: float) -> Row:
    with tempfile.TemporaryDirectory(prefix=f"deepfix-faults-{name}-") as tmp:
        stack = Stack(Path(tmp))
        try:
            mlflow, mlflow_url = start_mlflow(stack)
            run_id = log_large_run(mlflow_url, STEPS)
            jobs_db = f"sqlite:///{Path(tmp) / 'jobs.db'}"
            stage = Stage(stack, mlflow, mlflow_url, run_id, jobs_db)
            return SCENARIOS[name](stage, jobs, deadline)
        finally:
            stack.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=16, help="jobs accepted per scenario")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="scenarios, comma-separated")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds before 'lost'")
    args = parser.parse_args()
    rows = []
    for name in args.only.split(","):
        print(f"scenario {name} ...", file=sys.stderr, flush=True)
        rows.append(run(name.strip(), args.jobs, args.deadline))
    header = ("fault", "accepted", "completed", "failed", "lost", "duplicated", "re-run",
              "recovered in")  # fmt: skip
    print(f"\n{header[0]:<24}" + "".join(f"{h:>11}" for h in header[1:-1]) + f"{header[-1]:>14}")
    for r in rows:
        numbers = (r.accepted, r.completed, r.failed, r.lost, r.duplicated, r.rerun)
        cells = "".join(f"{n:>11}" for n in numbers)
        print(f"{r.fault:<24}{cells}{r.recover_s:>12.1f} s")
    for r in rows:
        if r.note:
            print(f"{r.fault}: {r.note}")
    return 0 if all(r.lost == 0 and r.duplicated == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
