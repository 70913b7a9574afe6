"""First paint of the web report's overview over a store of many runs, in headless Chromium.

    python benchmarks/bench_report.py [--runs 500] [--repeat 5]

Seeds a SQLite MLflow store in a temp dir with ``--runs`` runs through the public API (the four
example runs of ``examples/runs`` in turn, each with its artifacts; every fourth one analysed and
the analysis saved to the run), starts ``deepfix report`` on a free loopback port, and opens the
overview in Debian's Chromium (Playwright, ``executable_path=chromium``).

Printed: the server's start (process to first HTTP 200); the first visit after the start; then,
median of ``--repeat``, the overview's first paint with a cold browser cache (a new context each
time) and a warm one (reloads), the time until the logged analyses of the first page are read
(no badge says "…") and until every badge is filled (no "analysing…": the runs without a logged
analysis were analysed for display by the local engine, in the background; on the first visit
only, later ones find them kept). Times are the page's own clock (``performance.now()``, from
navigation start); first paint is when the first page of rows is in the table. Target: first
paint < 2 s.
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
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "runs"
NAMES = ("quickstart", "overfitting", "diverging", "lightning_style")
PAGE_ROWS = 25
TARGET_S = 2.0
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def seed(uri: str, count: int) -> float:
    """``count`` runs with artifacts (every fourth analysed); the seconds it took."""
    import deepfix_notebook as dfx
    from deepfix_notebook.artifacts import load_run, log_run, save_analysis

    bundles = [load_run(EXAMPLES / name) for name in NAMES]
    start = time.perf_counter()
    for number in range(count):
        bundle = bundles[number % len(bundles)]
        assert bundle.metrics is not None and bundle.params is not None
        run_id = log_run(
            metrics=bundle.metrics,
            params=dict(bundle.params.raw),
            dataset=bundle.dataset,
            tracking_uri=uri,
            experiment="bench",
            run_name=f"{NAMES[number % len(NAMES)]}-{number:04d}",
            status="FINISHED",
        )
        if number % 4 == 1:
            save_analysis(dfx.analyze(run_id, tracking_uri=uri), tracking_uri=uri)
    return time.perf_counter() - start


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_report(uri: str, home: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "DEEPFIX_HOME": str(home), "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    command = [sys.executable, "-m", "deepfix_notebook.cli", "report"]
    command += ["--tracking-uri", uri, "--experiment", "bench", "--port", str(port)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    while time.perf_counter() - started < 120:
        if process.poll() is not None:
            raise RuntimeError(f"deepfix report exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return process, url, time.perf_counter() - started
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("deepfix report did not start within 120 s")


def paint(page: Any, url: str, *, reload: bool = False) -> tuple[float, float, float]:
    """(first paint, logged health read, every badge filled) in seconds from navigation start,
    by the page's clock."""
    if reload:
        page.reload()
    else:
        page.goto(url)
    rows = page.locator(".tabulator-row")
    rows.nth(PAGE_ROWS - 1).wait_for(timeout=60_000)
    first = float(page.evaluate("performance.now()")) / 1000
    health = ".tabulator-cell[tabulator-field='health']"
    read = _when_gone(page, f"{health} .df-reading")
    filled = _when_gone(page, f"{health} .df-analysing")
    return first, read, filled


def _when_gone(page: Any, selector: str) -> float:
    """The page's clock once nothing matches ``selector`` (polled every 20 ms, at most 60 s)."""
    pending = page.locator(selector)
    deadline = time.monotonic() + 60
    while pending.count() and time.monotonic() < deadline:
        time.sleep(0.02)
    return float(page.evaluate("performance.now()")) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Debian's chromium on PATH (scripts/install-system.sh)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="deepfix-bench-report-") as tmp:
        base = Path(tmp)
        uri = f"sqlite:///{base / 'mlflow.db'}"
        seconds = seed(uri, args.runs)
        print(f"seeded {args.runs} runs with artifacts in {seconds:.1f} s ({uri})", flush=True)
        process, url, ready = start_report(uri, base)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                viewport = {"width": 1400, "height": 1000}
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                first_visit = paint(page, url)
                context.close()
                cold: list[tuple[float, float, float]] = []
                for _ in range(args.repeat):
                    context = browser.new_context(viewport=viewport)
                    cold.append(paint(context.new_page(), url))
                    context.close()
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                paint(page, url)
                warm = [paint(page, url, reload=True) for _ in range(args.repeat)]
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)
    report(args.runs, args.repeat, ready, first_visit, cold, warm)


def report(
    runs: int,
    repeat: int,
    ready: float,
    first_visit: tuple[float, float, float],
    cold: list[tuple[float, float, float]],
    warm: list[tuple[float, float, float]],
) -> None:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\ndeepfix report, overview of {runs} runs (page of {PAGE_ROWS}), headless Chromium")
    print(f"load average at the end: {load} ({os.cpu_count()} cores)")
    print(f"{'':48} {'median s':>9} {'min s':>7} {'max s':>7}  target")
    print(f"{'server start (process to HTTP 200)':48} {ready:9.2f}")
    print(f"{'first visit after start: first paint':48} {first_visit[0]:9.2f}")
    print(f"{'first visit after start: logged health read':48} {first_visit[1]:9.2f}")
    print(f"{'first visit after start: every badge filled':48} {first_visit[2]:9.2f}")
    for label, values, target in (
        (f"first paint, cold browser cache (x{repeat})", [c[0] for c in cold], TARGET_S),
        (f"first paint, warm browser cache (x{repeat})", [w[0] for w in warm], TARGET_S),
        (f"logged health read, cold cache (x{repeat})", [c[1] for c in cold], None),
        (f"every badge filled, cold cache (x{repeat})", [c[2] for c in cold], None),
    ):
        median = statistics.median(values)
        verdict = "" if target is None else f"< {target:.0f} s {'yes' if median < target else 'NO'}"
        print(f"{label:48} {median:9.2f} {min(values):7.2f} {max(values):7.2f}  {verdict}")


if __name__ == "__main__":
    main()
