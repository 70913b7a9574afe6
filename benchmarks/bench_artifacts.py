"""Benchmark: reading ``metrics.csv`` and importing ``deepfix_notebook``.

Table 1 times ``read_metrics_csv`` (load + name normalisation) on generated wide and long files
of 8 metrics, and reports the peak RSS of the process that did it. Every measurement runs in a
fresh interpreter (this script re-run with ``--child``) that pre-imports numpy, pyarrow,
pyarrow.csv and the package, so the time is the loader's own; a baseline child that only imports
them shows how much of the peak is the loader's increment.

Table 2 times ``import deepfix_notebook`` (median of 7 fresh interpreters minus the median of 7
bare ``python -c pass``) and lists the heavy modules that the import pulled in.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_artifacts.py [--sizes 1e4,1e6,1e7] [--repeat N]

Input files are generated once into ``benchmarks/.data/`` (1e7 rows need ~4 GB) and reused.
The parent process imports only the standard library: on Linux a child reports the peak RSS of
the process that forked it when that peak is higher, so all the numpy work happens in children.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / ".data"
DATA_VERSION = 3
SEED = 20240601
CHUNK = 1_000_000
EPOCHS = 100
VAL_EVERY = 10
T0_MS = 1_700_000_000_000
MS_PER_STEP = 50
SHAPES = ("wide", "long")
METRICS = (
    "train_loss",
    "val_loss",
    "train_accuracy",
    "val_accuracy",
    "learning_rate",
    "grad_norm",
    "samples_per_second",
    "gpu_mem_gb",
)
HEAVY = ("mlflow", "pyarrow", "pandas", "pydantic", "numpy", "plotly", "fastapi", "torch")
IMPORTS = ("deepfix_notebook", "deepfix_notebook.artifacts", "deepfix_notebook.cli")
IMPORT_RUNS = 7
TARGET_ROWS = 1_000_000
TARGET_SECONDS = 1.5
TARGET_RSS_MB = 600.0
TARGET_IMPORT_SECONDS = 0.25


@dataclass(frozen=True)
class Reading:
    """One file read in a fresh child, repeated ``runs`` times."""

    shape: str
    steps: int
    metrics: int
    lines: int
    megabytes: float
    seconds: float
    peak_mb: float
    runs: int
    imported: tuple[str, ...]


# --- children ------------------------------------------------------------------------------


def _child_env() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{path}" if path else str(ROOT)}


def _run_child(args: Sequence[str]) -> dict[str, Any]:
    """Run this script with ``args`` in a fresh interpreter; its last stdout line is JSON."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        env=_child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _peak_kib() -> tuple[int, int]:
    """``ru_maxrss`` (KiB on Linux) and the kernel's VmHWM of this process, as a cross-check."""
    import resource

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    status = Path("/proc/self/status")
    hwm = 0
    if status.exists():
        line = next(ln for ln in status.read_text().splitlines() if ln.startswith("VmHWM:"))
        hwm = int(line.split()[1])
    return maxrss, hwm


def child_read(path: str) -> dict[str, Any]:
    """In a fresh child: import the stack, read ``path`` once (``-`` = baseline, no read)."""
    import numpy
    import pyarrow
    import pyarrow.csv  # the loader imports it lazily: keep that out of the timing

    from deepfix_notebook.artifacts import read_metrics_csv

    out: dict[str, Any] = {"numpy": numpy.__version__, "pyarrow": pyarrow.__version__}
    if path != "-":
        before = set(sys.modules)
        start = time.perf_counter()
        table, warnings = read_metrics_csv(path)
        out["seconds"] = time.perf_counter() - start
        out.update(steps=len(table), metrics=len(table.metrics), warnings=warnings)
        out["imported"] = [m for m in HEAVY if m in sys.modules and m not in before]
    out["peak_kib"], out["hwm_kib"] = _peak_kib()
    return out


# --- input files ---------------------------------------------------------------------------


def _metric_chunk(start: int, stop: int, rows: int) -> dict[str, Any]:
    """Columns for steps ``[start, stop)``: name -> (values, logged mask or None)."""
    import numpy as np

    rng = np.random.default_rng([SEED, start])
    step = np.arange(start, stop, dtype=np.int64)
    n = step.size
    p = step / max(rows - 1, 1)
    val = step % VAL_EVERY == 0

    def noise(scale: float) -> Any:
        return np.exp(scale * rng.standard_normal(n))

    warmup = np.minimum(1.0, p / 0.02)
    return {
        "epoch": ((step * EPOCHS) // max(rows, EPOCHS), None),
        "train_loss": ((0.08 + 2.2 * np.exp(-6 * p)) * noise(0.08), None),
        "val_loss": ((0.25 + 2.0 * np.exp(-5 * p) + 0.15 * p**2) * noise(0.03), val),
        "train_accuracy": (np.clip((0.97 - 0.87 * np.exp(-6 * p)) * noise(0.01), 0, 1), None),
        "val_accuracy": (np.clip((0.91 - 0.81 * np.exp(-5 * p)) * noise(0.005), 0, 1), val),
        "learning_rate": (1e-3 * warmup * 0.5 * (1 + np.cos(np.pi * p)), None),
        "grad_norm": (1.8 * np.exp(-1.5 * p) * noise(0.3), None),
        "samples_per_second": (1200.0 * noise(0.04), None),
        "gpu_mem_gb": (10.5 + 0.2 * rng.random(n), None),
    }


def _chunks(rows: int) -> list[tuple[int, int]]:
    return [(start, min(start + CHUNK, rows)) for start in range(0, rows, CHUNK)]


def _write_options() -> Any:
    """Unquoted cells and header, as pandas or MLflow would write them."""
    import pyarrow.csv as pacsv

    try:
        return pacsv.WriteOptions(quoting_style="none", quoting_header="none")  # type: ignore[call-arg]
    except TypeError:  # pyarrow < 20 always quotes the header
        return pacsv.WriteOptions(quoting_style="none")


def _write_wide(path: Path, rows: int) -> int:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    fields = [pa.field("step", pa.int64()), pa.field("epoch", pa.int64())]
    schema = pa.schema(fields + [pa.field(name, pa.float32()) for name in METRICS])
    options = _write_options()
    with pacsv.CSVWriter(path, schema, write_options=options) as writer:
        for start, stop in _chunks(rows):
            columns = _metric_chunk(start, stop, rows)
            arrays = [pa.array(np.arange(start, stop)), pa.array(columns["epoch"][0])]
            for name in METRICS:
                values, logged = columns[name]
                mask = None if logged is None else ~logged
                arrays.append(pa.array(values.astype(np.float32), mask=mask))
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
    return rows + 1


def _write_long(path: Path, rows: int) -> int:
    """MLflow's history shape: per metric (epoch included), its rows in step order."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = ("key", "value", "step", "timestamp")
    types = (pa.string(), pa.float32(), pa.int64(), pa.int64())
    schema = pa.schema([pa.field(n, t) for n, t in zip(names, types, strict=True)])
    options = _write_options()
    lines = 1
    with pacsv.CSVWriter(path, schema, write_options=options) as writer:
        for key in ("epoch", *METRICS):
            for start, stop in _chunks(rows):
                values, logged = _metric_chunk(start, stop, rows)[key]
                step = np.arange(start, stop)
                if logged is not None:
                    values, step = values[logged], step[logged]
                arrays = [
                    pa.repeat(key, step.size),
                    pa.array(values.astype(np.float32)),
                    pa.array(step),
                    pa.array(T0_MS + MS_PER_STEP * step),
                ]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
                lines += step.size
    return lines


def child_generate(shape: str, rows: int, path: str) -> dict[str, Any]:
    """In a child: write the ``shape`` file of ``rows`` steps atomically, with its sidecar."""
    target = Path(path)
    tmp = target.with_suffix(".tmp")
    lines = (_write_wide if shape == "wide" else _write_long)(tmp, rows)
    tmp.replace(target)
    info = {"version": DATA_VERSION, "rows": rows, "lines": lines, "bytes": target.stat().st_size}
    _sidecar(target).write_text(json.dumps(info))
    return info


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def ensure_file(shape: str, rows: int) -> tuple[Path, dict[str, Any]]:
    """The input file for ``shape``/``rows``: reused when its sidecar matches, else generated."""
    path = DATA / f"{shape}_{rows}.csv"
    sidecar = _sidecar(path)
    if path.exists() and sidecar.exists():
        info: dict[str, Any] = json.loads(sidecar.read_text())
        fresh = info.get("version") == DATA_VERSION and info.get("rows") == rows
        if fresh and info.get("bytes") == path.stat().st_size:
            return path, info
    DATA.mkdir(parents=True, exist_ok=True)
    _log(f"generating {path.name} ...")
    start = time.perf_counter()
    info = _run_child(["--generate", shape, str(rows), str(path)])
    _log(f"  {info['bytes'] / 1e6:.0f} MB in {time.perf_counter() - start:.1f} s")
    return path, info


# --- measurements --------------------------------------------------------------------------


def measure_read(shape: str, rows: int, repeat: int) -> Reading:
    """Read the file in ``repeat`` fresh children: median time, highest peak RSS."""
    path, info = ensure_file(shape, rows)
    results = [_run_child(["--child", str(path)]) for _ in range(repeat)]
    for result in results:
        _check(result, rows, path)
    return Reading(
        shape=shape,
        steps=int(results[0]["steps"]),
        metrics=int(results[0]["metrics"]),
        lines=int(info["lines"]),
        megabytes=info["bytes"] / 1e6,
        seconds=statistics.median(r["seconds"] for r in results),
        peak_mb=max(r["peak_kib"] for r in results) / 1024,
        runs=repeat,
        imported=tuple(results[0]["imported"]),
    )


def _check(result: dict[str, Any], rows: int, path: Path) -> None:
    if result["steps"] != rows or result["metrics"] != len(METRICS) or result["warnings"]:
        _log(f"  unexpected result for {path.name}: {result}")
    if result["peak_kib"] > 1.1 * result["hwm_kib"] + 4096:
        _log(f"  ru_maxrss {result['peak_kib']} KiB > VmHWM {result['hwm_kib']} KiB: inherited?")


def _wall(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=_child_env(), check=True)
    return time.perf_counter() - start


def measure_imports(modules: Sequence[str]) -> tuple[float, list[tuple[str, float, list[str]]]]:
    """Bare interpreter median, and per module: median import time and heavy modules loaded."""
    bare: list[float] = []
    times: dict[str, list[float]] = {module: [] for module in modules}
    for _ in range(IMPORT_RUNS):
        bare.append(_wall("pass"))
        for module in modules:
            times[module].append(_wall(f"import {module}"))
    rows = []
    for module in modules:
        code = (
            f"import json, sys, {module}; "
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
        )
        loaded = subprocess.run(
            [sys.executable, "-c", code],
            env=_child_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append((module, statistics.median(times[module]), json.loads(loaded.stdout)))
    return statistics.median(bare), rows


# --- report --------------------------------------------------------------------------------


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain-text table: text columns left-aligned, numeric ones right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    numeric = [all(_is_number(r[i]) for r in rows if r[i]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def read_table(readings: Sequence[Reading], baseline_mb: float) -> str:
    header = [
        "shape",
        "steps",
        "metrics",
        "lines",
        "file MB",
        "median s",
        "runs",
        "peak RSS MB",
        "over baseline MB",
        "target (1e6)",
        "ok",
        "read imported",
    ]
    rows = []
    for r in readings:
        targeted = r.steps == TARGET_ROWS
        ok = r.seconds < TARGET_SECONDS and r.peak_mb < TARGET_RSS_MB
        rows.append(
            [
                r.shape,
                f"{r.steps:,}",
                str(r.metrics),
                f"{r.lines:,}",
                f"{r.megabytes:.1f}",
                f"{r.seconds:.3f}",
                str(r.runs),
                f"{r.peak_mb:.0f}",
                f"{r.peak_mb - baseline_mb:.0f}",
                f"< {TARGET_SECONDS} s, < {TARGET_RSS_MB:.0f} MB" if targeted else "",
                ("yes" if ok else "NO") if targeted else "",
                ", ".join(r.imported) or "-",
            ]
        )
    return format_table(header, rows)


def import_table(bare: float, rows: Sequence[tuple[str, float, list[str]]]) -> str:
    header = ["import", "median s", "minus bare s", "target", "ok", "heavy modules loaded"]
    out = [["(python -c pass)", f"{bare:.3f}", "", "", "", ""]]
    for module, seconds, heavy in rows:
        targeted = module == "deepfix_notebook"
        own = seconds - bare
        out.append(
            [
                module,
                f"{seconds:.3f}",
                f"{own:.3f}",
                f"< {TARGET_IMPORT_SECONDS} s" if targeted else "",
                ("yes" if own < TARGET_IMPORT_SECONDS else "NO") if targeted else "",
                ", ".join(heavy) or "-",
            ]
        )
    return format_table(header, out)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _parse_sizes(text: str) -> list[int]:
    return [int(float(size)) for size in text.split(",") if size.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Benchmark metrics.csv reading and imports.")
    parser.add_argument(
        "--sizes",
        type=_parse_sizes,
        default=_parse_sizes("1e4,1e6"),
        help="steps per file, comma-separated (default 1e4,1e6)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="runs per file (default 5 up to 1e6 steps, 1 above)",
    )
    parser.add_argument("--shapes", default="wide,long", help="wide, long or both")
    parser.add_argument("--skip-import", action="store_true", help="skip the import table")
    parser.add_argument("--child", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument(
        "--generate", nargs=3, metavar=("SHAPE", "ROWS", "PATH"), help=argparse.SUPPRESS
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.child:
        print(json.dumps(child_read(args.child)))
        return 0
    if args.generate:
        shape, rows, path = args.generate
        print(json.dumps(child_generate(shape, int(rows), path)))
        return 0
    shapes = [s for s in args.shapes.split(",") if s in SHAPES]
    baseline = _run_child(["--child", "-"])
    baseline_mb = baseline["peak_kib"] / 1024
    readings = []
    for rows in args.sizes:
        repeat = args.repeat or (5 if rows <= TARGET_ROWS else 1)
        for shape in shapes:
            _log(f"reading {shape} {rows:,} steps x{repeat} ...")
            readings.append(measure_read(shape, rows, repeat))
    print(
        f"{time.strftime('%Y-%m-%d')}  {platform.platform()}  {os.cpu_count()} cores  "
        f"Python {platform.python_version()}  numpy {baseline['numpy']}  "
        f"pyarrow {baseline['pyarrow']}"
    )
    print(
        f"\nread_metrics_csv, {len(METRICS)} metrics (val every {VAL_EVERY}th step); "
        f"baseline child (numpy + pyarrow + package imported): {baseline_mb:.0f} MB peak RSS"
    )
    print(read_table(readings, baseline_mb))
    if not args.skip_import:
        bare, rows = measure_imports(IMPORTS)
        print(f"\nimport time, median of {IMPORT_RUNS} fresh interpreters")
        print(import_table(bare, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
