"""Speed and size of the notebook layer, each measurement in a fresh IPython shell.

    python benchmarks/bench_notebook.py [--repeat 5]

Printed: `%load_ext deepfix_notebook`; `%deepfix analyze DIR` first and second call, from the
magic to a rendered mime bundle; `%deepfix compare` of 20 runs x 1e4 steps; the bytes a rendered
analysis puts into a notebook (all mime types) for 1e4- and 1e6-step runs; and the widget's first
paint in Chromium for the 1e6-step run: from its output's JSON arriving in a page to the first
frame painted after the anywidget front end (the built ``widgets/`` bundle) drew it, cold (the
bundle imported first, as for a page's first DeepFix output) and warm.
Targets: load_ext < 0.3 s; analyze first < 2 s, second < 0.3 s; compare 20 x 1e4 < 2 s;
the view of a 1e6-step run < 1 MB; first paint < 300 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "examples" / "runs" / "overfitting"

SHELL = """
import json, sys, time
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output
ip = start_ipython()
ip.display_formatter.active_types = ip.display_formatter.format_types
"""

LOAD_AND_ANALYZE = (
    SHELL
    + """
t = time.perf_counter(); ip.run_line_magic("load_ext", "deepfix_notebook")
load = time.perf_counter() - t
times = []
for _ in range(2):
    with capture_output() as cap:
        t = time.perf_counter()
        ip.run_line_magic("deepfix", "analyze " + sys.argv[1])
        times.append(time.perf_counter() - t)
print(json.dumps({"load": load, "first": times[0], "second": times[1]}))
"""
)

COMPARE = (
    SHELL
    + """
ip.run_line_magic("load_ext", "deepfix_notebook")
runs = " ".join(sys.argv[1:])
with capture_output():
    t = time.perf_counter()
    ip.run_line_magic("deepfix", "compare " + runs)
print(json.dumps({"compare": time.perf_counter() - t}))
"""
)

SIZE = (
    SHELL
    + """
import numpy as np
from deepfix_notebook.artifacts import bundle_from_memory
ip.run_line_magic("load_ext", "deepfix_notebook")
n = int(float(sys.argv[1]))
rng = np.random.default_rng(0)
t = np.linspace(0, 1, n)
columns = {"step": np.arange(n, dtype=float), "train_loss": (0.3 + 2.7 * np.exp(-6 * t))
           * np.exp(0.2 * rng.standard_normal(n)), "train_accuracy": 0.95 - 0.6 * np.exp(-5 * t),
           "learning_rate": np.full(n, 1e-3), "grad_norm": 1 + 0.1 * rng.standard_normal(n)}
val = np.full(n, np.nan); val[::10] = 0.35 + 2.5 * np.exp(-5 * t[::10]) + 0.3 * t[::10] ** 2
columns["val_loss"] = val
ip.user_ns["bundle"] = bundle_from_memory(columns, run_id="size")
with capture_output() as cap:
    ip.run_line_magic("deepfix", "analyze $bundle")
if len(sys.argv) > 2:  # the analysis JSON, for the first-paint measurement
    [payload] = [o.data for o in cap.outputs if "application/vnd.deepfix.analysis+json" in o.data]
    with open(sys.argv[2], "w", encoding="utf-8") as file:
        json.dump({"mime": "application/vnd.deepfix.analysis+json", "text": payload["text/plain"],
                   "payload": payload["application/vnd.deepfix.analysis+json"]}, file)
sizes = {}
for output in cap.outputs:
    for mime, data in output.data.items():
        text = data if isinstance(data, str) else json.dumps(data)
        sizes[mime] = max(sizes.get(mime, 0), len(text.encode()))
print(json.dumps(sizes))
"""
)


def child(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# In the page: `output` (the output's JSON text) arrives at t0; the widget bundle is imported
# (cold only), the model made from the parsed JSON and the view rendered into the page; first
# paint is the end of the first frame after that (a task queued from requestAnimationFrame runs
# once that frame is painted).
FIRST_PAINT = """async ([bundle, output, cold]) => {
  const t0 = performance.now();
  const module = cold || !window.deepfixWidget
    ? await import(URL.createObjectURL(new Blob([bundle], {type: 'text/javascript'})))
    : window.deepfixWidget;
  window.deepfixWidget = module;
  const state = JSON.parse(output);
  const model = {get: name => state[name], on() {}, off() {}, send() {}};
  const el = document.createElement('div');
  document.body.replaceChildren(el);
  module.default.render({model, el});
  await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)));
  const t1 = performance.now();
  if (!el.querySelector('.jp-DeepFix-analysis svg')) throw new Error(el.textContent.slice(0, 300));
  return t1 - t0;
}"""


def first_paint(output: Path, repeat: int) -> dict[str, float] | None:
    """Median first paint (ms) of the analysis in ``output``, cold and warm; None without
    Chromium or the built bundle."""
    import shutil

    chromium = shutil.which("chromium")
    static = ROOT / "deepfix_notebook" / "notebook" / "static"
    if chromium is None or not (static / "widget.js").is_file():
        return None
    from playwright.sync_api import sync_playwright

    bundle = (static / "widget.js").read_text(encoding="utf-8")
    text = output.read_text(encoding="utf-8")
    times: dict[str, list[float]] = {"cold": [], "warm": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for _ in range(repeat):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_content(f"<style>{(static / 'widget.css').read_text()}</style>")
                times["cold"].append(page.evaluate(FIRST_PAINT, [bundle, text, True]))
                times["warm"].append(page.evaluate(FIRST_PAINT, [bundle, text, False]))
                page.close()
        finally:
            browser.close()
    return {k: statistics.median(v) for k, v in times.items()}


def make_runs(folder: Path, count: int, steps: int) -> list[str]:
    import numpy as np

    from deepfix_notebook.artifacts import write_run

    rng = np.random.default_rng(1)
    paths = []
    for i in range(count):
        t = np.linspace(0, 1, steps)
        lr = 10 ** rng.uniform(-4, -2)
        loss = (0.2 + 2 * np.exp(-lr * 400 * t)) * np.exp(0.05 * rng.standard_normal(steps))
        val = np.full(steps, np.nan)
        val[::50] = loss[::50] + 0.1 + 0.2 * t[::50] ** 2
        path = folder / f"run{i:02d}"
        write_run(
            path,
            metrics={"step": np.arange(steps, dtype=float), "train_loss": loss, "val_loss": val},
            params={"learning_rate": float(lr), "batch_size": int(2 ** rng.integers(4, 8))},
        )
        paths.append(str(path))
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark the notebook layer.")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runs = [child(LOAD_AND_ANALYZE, str(RUN)) for _ in range(args.repeat)]
    med = {k: statistics.median(r[k] for r in runs) * 1000 for k in ("load", "first", "second")}
    print(f"fresh IPython shell, median of {args.repeat}")
    print(f"  %load_ext deepfix_notebook          {med['load']:8.1f} ms   target < 300 ms")
    print(f"  %deepfix analyze, first call        {med['first']:8.1f} ms   target < 2000 ms")
    print(f"  %deepfix analyze, second call       {med['second']:8.1f} ms   target < 300 ms")
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_runs(Path(tmp), 20, 10_000)
        compare = statistics.median(child(COMPARE, *paths)["compare"] for _ in range(3)) * 1000
    print(f"  %deepfix compare 20 runs x 1e4      {compare:8.1f} ms   target < 2000 ms")
    print("\nbytes a rendered analysis puts into the notebook (largest output per mime type)")
    output = Path(tempfile.mkdtemp()) / "analysis-1e6.json"
    for steps in ("1e4", "1e6"):
        sizes = child(SIZE, steps, *([str(output)] if steps == "1e6" else []))
        total = sum(sizes.values())
        detail = ", ".join(f"{k} {v / 1024:.0f} KB" for k, v in sorted(sizes.items()))
        print(
            f"  {int(float(steps)):>9,} steps: {total / 1024:7.0f} KB ({detail})"
            + ("   target < 1 MB" if steps == "1e6" else "")
        )
    paint = first_paint(output, args.repeat)
    output.unlink()
    output.parent.rmdir()
    print(f"\nwidget first paint in Chromium, 1e6-step run, median of {args.repeat}")
    if paint is None:
        print("  skipped: no chromium on PATH, or the widget bundle is not built")
    else:
        print(f"  cold (bundle imported first)        {paint['cold']:8.1f} ms   target < 300 ms")
        print(f"  warm                                {paint['warm']:8.1f} ms   target < 300 ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
