"""The rows limit (``DEEPFIX_MAX_METRIC_ROWS`` on a server) is checked while ``metrics.csv``
is read: a file far beyond it is refused from the first block past the limit, so its rows
are never materialised (measured in a fresh process: peak RSS with and without the limit)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from deepfix_notebook.artifacts import ArtifactError, read_metrics_csv
from deepfix_notebook.contract import ErrorCode

ROWS = 3_000_000
LIMIT = 10_000
METRICS = ["train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr", "grad_norm"]

# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, from the (large) pytest parent.
MEASURE = """
import json, sys
import numpy, pyarrow, pyarrow.csv  # imported before the baseline: libraries are not data
from deepfix_notebook.artifacts import ArtifactError, read_metrics_csv
def peak_kib():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
limit = int(sys.argv[2]) if len(sys.argv) > 2 else None
base = peak_kib()
try:
    table, _ = read_metrics_csv(sys.argv[1], max_rows=limit)
    outcome = {"rows": len(table)}
except ArtifactError as error:
    outcome = {"error": error.code.value, "details": error.details}
print(json.dumps({**outcome, "growth_mib": (peak_kib() - base) / 1024}))
"""


@pytest.fixture(scope="module")
def wide_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rows") / "metrics.csv"
    rng = np.random.default_rng(0)
    chunk = 500_000
    schema = pa.schema([("step", pa.int64())] + [(m, pa.float64()) for m in METRICS])
    with pacsv.CSVWriter(path, schema) as writer:
        for start in range(0, ROWS, chunk):
            columns = [pa.array(np.arange(start, start + chunk))]
            columns += [pa.array(rng.random(chunk)) for _ in METRICS]
            writer.write_batch(pa.record_batch(columns, schema=schema))
    return path


def _measure(path: Path, *limit: int) -> dict[str, object]:
    command = [sys.executable, "-c", MEASURE, str(path), *map(str, limit)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    figures: dict[str, object] = json.loads(done.stdout)
    print(f"{path.stat().st_size >> 20} MiB, limit {limit or 'none'}: {figures}")
    return figures


def test_a_file_past_the_limit_is_refused_without_being_materialised(wide_csv: Path) -> None:
    whole = _measure(wide_csv)
    limited = _measure(wide_csv, LIMIT)
    assert whole["rows"] == ROWS
    assert limited["error"] == "ARTIFACT_INVALID"
    details = limited["details"]
    assert isinstance(details, dict) and details["max_rows"] == LIMIT
    assert LIMIT < details["rows_read"] < LIMIT + 100_000  # one block past the limit
    # Reading all of it holds 7 float64 columns of 3M rows (~170 MB) on top of the reader's own
    # (arrow's read-ahead blocks and thread arenas, ~60 MB whatever the file's size); stopping
    # early, that alone.
    assert isinstance(whole["growth_mib"], float) and isinstance(limited["growth_mib"], float)
    assert whole["growth_mib"] > 200
    assert limited["growth_mib"] < min(100, whole["growth_mib"] / 3)


def test_a_long_file_is_refused_once_it_must_have_more_steps(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    steps = np.repeat(np.arange(50_000), 2)
    keys = np.tile(np.array(["train_loss", "val_loss"]), 50_000)
    table = pa.table({"key": keys, "value": np.linspace(2, 0.1, steps.size), "step": steps})
    pacsv.write_csv(table, path)
    with pytest.raises(ArtifactError) as raised:
        read_metrics_csv(path, max_rows=1_000)
    error = raised.value
    assert error.code is ErrorCode.ARTIFACT_INVALID and error.field == "metrics"
    assert "more than 1,000 rows" in error.message
    assert error.details["rows_read"] < steps.size  # stopped before the end of the file

    within, _ = read_metrics_csv(path, max_rows=50_000)
    assert len(within) == 50_000
