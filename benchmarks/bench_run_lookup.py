"""`deepfix analyze --run-id` against a bare MLflow read of the same run, in fresh processes.

    python benchmarks/bench_run_lookup.py [--repeat 7]

Logs one run (3 metrics × 100 epochs, params) to a temporary SQLite store, then times, in turn,
``deepfix analyze --run-id ID --tracking-uri URI`` and ``python -c "import mlflow;
MlflowClient(URI).get_run(ID)"`` as whole processes (wall clock), pair by pair so that a machine
whose speed drifts still gives a fair ratio. Target: the median ratio ≤ 1.1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOG = """
import logging, sys, time
import mlflow
from mlflow.entities import Metric
logging.getLogger("mlflow").setLevel(logging.ERROR)
mlflow.set_tracking_uri(sys.argv[1])
with mlflow.start_run() as run:
    mlflow.log_params({"learning_rate": 1e-3, "batch_size": 32, "optimizer": "adam"})
    now = int(time.time() * 1000)
    rows = [Metric(name, value * 0.97**e, now, e)
            for e in range(100) for name, value in (("train_loss", 2.0), ("val_loss", 2.1),
                                                    ("val_accuracy", 0.5))]
    mlflow.MlflowClient().log_batch(run.info.run_id, metrics=rows)
print(run.info.run_id)
"""


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    folder = Path(tempfile.mkdtemp(prefix="bench-lookup-"))
    try:
        uri = f"sqlite:///{folder / 'mlflow.db'}"
        done = subprocess.run(
            [sys.executable, "-c", LOG, uri], check=True, capture_output=True, text=True
        )
        run_id = done.stdout.strip().splitlines()[-1]
        deepfix = shutil.which("deepfix") or "deepfix"
        ours = [deepfix, "analyze", "--run-id", run_id, "--tracking-uri", uri]
        bare = [
            sys.executable,
            "-c",
            f"import mlflow; mlflow.MlflowClient({uri!r}).get_run({run_id!r})",
        ]
        wall(ours), wall(bare)  # warm the page cache
        pairs = [(wall(ours), wall(bare)) for _ in range(args.repeat)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    ratios = [x / y for x, y in pairs]
    print(f"{'command':<44} {'median s':>9} {'min s':>7} {'max s':>7}")
    print(
        f"{'deepfix analyze --run-id (SQLite)':<44} {statistics.median(a):>9.2f} "
        f"{min(a):>7.2f} {max(a):>7.2f}"
    )
    print(
        f"{'import mlflow + MlflowClient().get_run()':<44} {statistics.median(b):>9.2f} "
        f"{min(b):>7.2f} {max(b):>7.2f}"
    )
    print(
        f"{'ratio, pair by pair':<44} {statistics.median(ratios):>9.2f} "
        f"{min(ratios):>7.2f} {max(ratios):>7.2f}   target ≤ 1.1"
    )


if __name__ == "__main__":
    main()
