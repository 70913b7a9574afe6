"""Speed of the embedded engine, the knowledge base and `deepfix analyze`.

    python benchmarks/bench_engine.py [--repeat 7]

Tables printed:
1. engine alone on artifacts already in memory (1e4 and 1e6 steps, 6 metrics, validation every
   10th step): median wall time of `Engine.analyze` over warm repeats, and the peak RSS of a fresh
   process that builds the bundle and analyses it once;
2. knowledge queries: p50/p95 of cache hits (warm) and misses (cold, index built);
3. `deepfix analyze DIR --format json` end to end, a fresh process each time.

Targets: 1e4 steps < 30 ms, 1e6 steps < 1 s, peak RSS < 500 MB; knowledge p95 < 5 ms warm,
< 30 ms cold; `deepfix analyze` of one directory < 1 s wall.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "runs" / "overfitting"

CHILD = """
import json, resource, sys, time
import numpy as np
from deepfix_notebook.artifacts import bundle_from_memory
from deepfix_notebook.engine import Engine

n, repeat = int(float(sys.argv[1])), int(sys.argv[2])
rng = np.random.default_rng(0)
t = np.linspace(0, 1, n)
loss = (0.3 + 2.7 * np.exp(-6 * t)) * np.exp(0.2 * rng.standard_normal(n))
val = np.full(n, np.nan)
val[::10] = 0.35 + 2.5 * np.exp(-5 * t[::10]) + 0.3 * t[::10] ** 2
acc = 0.95 - 0.6 * np.exp(-5 * t)
columns = {"step": np.arange(n, dtype=float), "epoch": np.floor(t * 50), "train_loss": loss,
           "val_loss": val, "train_accuracy": acc, "learning_rate": np.full(n, 1e-3),
           "grad_norm": 1 + 0.1 * rng.standard_normal(n)}
engine = Engine()
first = time.perf_counter()
result = engine.analyze(bundle_from_memory(columns))
cold = time.perf_counter() - first
times = []
for _ in range(repeat):
    bundle = bundle_from_memory(columns)
    start = time.perf_counter()
    engine.analyze(bundle)
    times.append(time.perf_counter() - start)
print(json.dumps({"cold": cold, "times": times,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "findings": sum(len(r.analysis) for r in result.agent_results)}))
"""


def engine_table(repeat: int) -> None:
    print("engine alone, artifacts in memory (6 metrics, val every 10th step)")
    print(f"{'steps':>10}  {'median ms':>10}  {'first ms':>9}  {'peak RSS MB':>11}  target")
    for n, target in (("1e4", "< 30 ms"), ("1e6", "< 1000 ms")):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, n, str(repeat)],
            check=True,
            capture_output=True,
            text=True,
        )
        data = json.loads(out.stdout)
        median = statistics.median(data["times"]) * 1000
        print(
            f"{int(float(n)):>10,}  {median:>10.1f}  {data['cold'] * 1000:>9.1f}  "
            f"{data['peak_mb']:>11.0f}  {target}, < 500 MB"
        )


def knowledge_table() -> None:
    from deepfix_notebook.engine.knowledge import KnowledgeBridge

    bridge = KnowledgeBridge()
    bridge.search("warm up the index", max_results=5)
    words = [e.title for e in bridge.entries]
    cold, warm = [], []
    for text in words:
        start = time.perf_counter()
        bridge.search(text, max_results=5, min_confidence=0.0)
        cold.append(time.perf_counter() - start)
    for text in words:
        start = time.perf_counter()
        bridge.search(text, max_results=5, min_confidence=0.0)
        warm.append(time.perf_counter() - start)

    def p(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100)[q - 1] * 1000

    print(f"\nknowledge queries ({len(words)} distinct queries)")
    print(f"{'':>6}  {'p50 ms':>7}  {'p95 ms':>7}  target (p95)")
    print(f"{'warm':>6}  {p(warm, 50):>7.3f}  {p(warm, 95):>7.3f}  < 5 ms")
    print(f"{'cold':>6}  {p(cold, 50):>7.3f}  {p(cold, 95):>7.3f}  < 30 ms")


def cli_table(repeat: int) -> None:
    script = shutil.which("deepfix")
    if script is None:
        print("\n`deepfix` is not installed: pip install -e .")
        return
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [script, "analyze", str(EXAMPLE), "--format", "json"],
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
    print(f"\n`deepfix analyze {EXAMPLE.relative_to(ROOT)} --format json`, fresh process")
    print(
        f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
        f"over {repeat} runs; target < 1000 ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark the engine.")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    engine_table(args.repeat)
    knowledge_table()
    cli_table(args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
