"""Server memory around large analyses (issue 17, limits): RSS idle, at the peak of K large
analyses at once, and after them; and what a run beyond the limits costs (refused early).

    python benchmarks/bench_memory.py [--steps 500000] [--concurrent 5] [--over 2000000]

Starts a real ``mlflow server`` and ``deepfix serve`` (default limits unless given with
``--max-artifact-bytes`` / ``--max-metric-rows``) on 127.0.0.1 in a temporary directory,
stops both and prints one table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from bench_server import PeakRss, Stack, log_large_run, start_mlflow, start_server

MIB = 1024 * 1024
SETTLE_S = 3.0  # after the last answer: let the allocator and the GC give memory back


def _analyze(url: str, body: dict[str, object]) -> int:
    return httpx.post(f"{url}/api/v1/analyze", json=body, timeout=900).status_code


def _body(run_id: str, mlflow_url: str, i: int) -> dict[str, object]:
    # Each its own max_analysis_time: identical in-flight analyses would share one job.
    options = {"max_analysis_time": 120 + i / 1000}
    return {"run_id": run_id, "mlflow_tracking_uri": mlflow_url, "analysis_options": options}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500_000, help="steps of a large run")
    parser.add_argument("--concurrent", type=int, default=5, help="large analyses at once")
    parser.add_argument("--over", type=int, default=2_000_000, help="steps of a run over limits")
    parser.add_argument("--max-artifact-bytes", type=str, default=None)
    parser.add_argument("--max-metric-rows", type=str, default=None)
    args = parser.parse_args()
    settings = {"max_concurrent": str(max(args.concurrent, 1))}
    if args.max_artifact_bytes:
        settings["max_artifact_bytes"] = args.max_artifact_bytes
    if args.max_metric_rows:
        settings["max_metric_rows"] = args.max_metric_rows

    with tempfile.TemporaryDirectory(prefix="deepfix-bench-memory-") as tmp:
        stack = Stack(Path(tmp))
        try:
            _, mlflow_url = start_mlflow(stack)
            print(f"logging runs of {args.steps:,} and {args.over:,} steps ...", file=sys.stderr)
            small = log_large_run(mlflow_url, 2_000)
            large = log_large_run(mlflow_url, args.steps)
            over = log_large_run(mlflow_url, args.over)
            server, url = start_server(stack, "server", mlflow_url, **settings)

            _analyze(url, _body(small, mlflow_url, 0))  # imports and caches warm
            time.sleep(SETTLE_S)
            idle = server.rss()

            bodies = [_body(large, mlflow_url, i + 1) for i in range(args.concurrent)]
            start = time.perf_counter()
            with PeakRss(server) as peak, ThreadPoolExecutor(args.concurrent) as pool:
                statuses = list(pool.map(lambda body: _analyze(url, body), bodies))
            seconds = time.perf_counter() - start
            time.sleep(SETTLE_S)
            after = server.rss()

            with PeakRss(server) as over_peak:
                over_start = time.perf_counter()
                over_status = _analyze(url, _body(over, mlflow_url, 999))
                over_seconds = time.perf_counter() - over_start
            time.sleep(SETTLE_S)
            after_over = server.rss()
        finally:
            stack.close()

    print(f"\nserver RSS, {args.concurrent} analyses of {args.steps:,} steps at once")
    print(f"{'moment':<34} {'RSS MiB':>8} {'vs idle':>8}")
    rows = [
        ("idle (after one small analysis)", idle),
        (f"peak of {args.concurrent} large ({seconds:.1f} s)", peak.peak),
        (f"{SETTLE_S:g} s after them", after),
        (f"peak, run of {args.over:,} steps", over_peak.peak),
        (f"{SETTLE_S:g} s after it", after_over),
    ]
    for label, rss in rows:
        print(f"{label:<34} {rss / MIB:>8.0f} {rss / idle:>7.2f}x")
    print(f"\nlarge analyses answered: {sorted(set(statuses))}")
    print(f"run over the limits answered {over_status} in {over_seconds:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
