"""The same views in Notebook 7 (``jupyter notebook``): an analysis and a comparison run by a
person (Run > Run All Cells), checked as in JupyterLab: the run's name, filters that filter, the
open finding's segment highlighted, nothing clipped, in the light and the dark theme."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser_settings import EXAMPLES, LAB_SETTINGS, REPO, SERVER_START_TIMEOUT_S
from process_helpers import free_port, stop_process_tree, tail
from test_jupyterlab import (
    EXAMPLE,
    OUTPUT_TIMEOUT_MS,
    _comparison_notebook,
    _fits,
    _luminance,
    _menu,
    _no_deepfix_errors,
    _shoot,
    _switch_theme,
)
from test_runs_table import MIME_RUNS, _analyze, _check_analysis, _runs_notebook, _sorts_and_filters

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

KERNEL_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class NotebookServer:
    url: str
    root: Path
    stderr: Path

    def logtail(self, lines: int = 60) -> str:
        return tail(self.stderr, lines)


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NotebookServer]:
    """``jupyter notebook`` (Notebook 7) on 127.0.0.1 over a temp copy of ``examples/``, with
    every Jupyter and IPython directory in a temp dir and no token; stopped after the module."""
    pytest.importorskip("notebook", minversion="7")
    base = tmp_path_factory.mktemp("notebook7")
    root = base / "root"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dirs = {
        name: base / "home" / name.lower()
        for name in (
            "JUPYTER_CONFIG_DIR",
            "JUPYTER_DATA_DIR",
            "JUPYTER_RUNTIME_DIR",
            "IPYTHONDIR",
            "DEEPFIX_HOME",
        )
    }
    for path in dirs.values():
        path.mkdir(parents=True)
    settings = dirs["JUPYTER_CONFIG_DIR"] / "lab" / "user-settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values), encoding="utf-8")
    pythonpath = os.environ.get("PYTHONPATH")
    env = {
        **os.environ,
        **{k: str(v) for k, v in dirs.items()},
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": os.pathsep.join([str(REPO), *([pythonpath] if pythonpath else [])]),
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    env.pop("JUPYTER_TOKEN", None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stderr = base / "notebook.err"
    command = [
        sys.executable, "-m", "jupyter", "notebook",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.terminals_enabled=False",
    ]  # fmt: skip
    with (base / "notebook.out").open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
    atexit.register(lambda: stop_process_tree(process, timeout=15))
    try:
        _wait_ready(process, url, stderr)
        yield NotebookServer(url, root, stderr)
    finally:
        stop_process_tree(process, timeout=15)


def _wait_ready(process: subprocess.Popen[bytes], url: str, stderr: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"jupyter notebook exited with {process.returncode}:\n{tail(stderr)}")
        with (
            contextlib.suppress(urllib.error.URLError, OSError),
            urllib.request.urlopen(f"{url}/tree", timeout=5) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.25)
    pytest.fail(f"jupyter notebook did not answer {url}/tree:\n{tail(stderr)}")


def _api(server: NotebookServer, path: str) -> Any:
    with urllib.request.urlopen(f"{server.url}/api/{path}", timeout=5) as response:
        return json.loads(response.read())


def _open(page: Any, server: NotebookServer, path: str) -> Any:
    """Open ``path`` in Notebook 7 and wait until its kernel is idle; the notebook's cells."""
    page.goto(f"{server.url}/notebooks/{path}", wait_until="domcontentloaded")
    cells = page.locator(".jp-Notebook .jp-Cell")
    cells.nth(3).wait_for(state="attached", timeout=OUTPUT_TIMEOUT_MS)
    deadline = time.monotonic() + KERNEL_TIMEOUT_S
    while True:
        sessions = [s for s in _api(server, "sessions") if s["path"] == path]
        if sessions and _api(server, f"kernels/{sessions[0]['kernel']['id']}")[
            "execution_state"
        ] in {"idle"}:
            break
        assert time.monotonic() < deadline, f"no idle kernel for {path}: {sessions}"
        time.sleep(0.5)
    page.wait_for_timeout(500)  # the page's kernel connection settles after the server's
    return cells


def _close(page: Any, server: NotebookServer, path: str) -> None:
    xsrf = next((c["value"] for c in page.context.cookies() if c["name"] == "_xsrf"), "")
    for session in _api(server, "sessions"):
        if session["path"] == path:
            page.request.delete(
                f"{server.url}/api/sessions/{session['id']}", headers={"X-XSRFToken": xsrf}
            )


def _report(server: NotebookServer, browser_page: Any) -> None:
    print(f"Notebook 7's log (last lines):\n{server.logtail()}")
    print("browser errors:\n" + "\n".join(browser_page.errors))


def _themes(page: Any, view: Any, browser_page: Any, name: str) -> None:
    """Screenshots of ``view`` (its top, and its findings when it has some) in the light and the
    dark theme; nothing clipped in either."""
    findings = view.locator(".jp-DeepFix-findings")
    for theme in ("light", "dark"):
        if theme == "dark":
            light = _luminance(view.evaluate("e => getComputedStyle(e).backgroundColor"))
            _switch_theme(page, "JupyterLab Dark")
            dark = _luminance(view.evaluate("e => getComputedStyle(e).backgroundColor"))
            assert light > 0.8 and dark < 0.3, (light, dark)
        _fits(view)
        _shoot(browser_page, view, f"notebook7-{name}-{theme}.png")
        if findings.count():
            _shoot(browser_page, findings.first, f"notebook7-{name}-{theme}-findings.png")


def test_notebook7_draws_the_analysis(notebook7: NotebookServer, browser_page: Any) -> None:
    page = browser_page.page
    path = "notebooks/analyze_notebook7.ipynb"
    shutil.copy(notebook7.root / EXAMPLE, notebook7.root / path)
    try:
        cells = _open(page, notebook7, path)
        _menu(page, "Run", "Run All Cells")
        view = cells.nth(2).locator(".jp-DeepFix-analysis").first
        view.wait_for(state="visible", timeout=OUTPUT_TIMEOUT_MS)
        assert view.locator(".jp-DeepFix-title").inner_text() == "DeepFix analysis of overfitting"
        assert view.locator(".jp-DeepFix-chart svg").count() == 2  # loss, accuracy
        findings = view.locator(".jp-DeepFix-finding")
        total = findings.count()

        severity = view.locator(".jp-DeepFix-filters select[name=severity]")
        severity.select_option("medium")
        severities = view.locator(".jp-DeepFix-finding:visible").evaluate_all(
            "e => e.map(i => i.dataset.severity)"
        )
        assert severities and set(severities) == {"medium"} and len(severities) < total
        assert view.locator(".jp-DeepFix-shown").inner_text() == (
            f"{len(severities)} of {total} shown"
        )
        severity.select_option("*")

        overfitting = view.locator('.jp-DeepFix-finding[data-code="overfitting"]').first
        key = overfitting.get_attribute("data-deepfix-band")
        overfitting.locator("summary").click()
        active = view.locator(".jp-DeepFix-band.jp-mod-active")
        assert active.count() >= 1
        assert set(active.evaluate_all("e => e.map(b => b.dataset.deepfixBand)")) == {key}
        _themes(page, view, browser_page, "analysis")
    except BaseException:
        _report(notebook7, browser_page)
        raise
    finally:
        if page.evaluate("document.body.dataset.jpThemeLight") == "false":
            _switch_theme(page, "JupyterLab Light")
        _close(page, notebook7, path)
    _no_deepfix_errors(browser_page)


def test_notebook7_draws_the_comparison(notebook7: NotebookServer, browser_page: Any) -> None:
    page = browser_page.page
    path = _comparison_notebook(notebook7, "compare_notebook7.ipynb")
    try:
        cells = _open(page, notebook7, path)
        _menu(page, "Run", "Run All Cells")
        view = cells.nth(2).locator(".jp-DeepFix-comparison").first
        view.wait_for(state="visible", timeout=OUTPUT_TIMEOUT_MS)
        assert view.locator(".jp-DeepFix-title").inner_text() == "DeepFix comparison of 3 run(s)"
        runs = view.locator(".jp-DeepFix-matrix tbody .jp-DeepFix-run").all_inner_texts()
        assert runs == ["overfitting", "diverging", "quickstart"], runs
        ranked = view.locator(".jp-DeepFix-ranking tbody .jp-DeepFix-run").all_inner_texts()
        assert sorted(ranked) == sorted(runs)
        first = view.locator(".jp-DeepFix-matrix tbody td:first-child").first
        assert first.evaluate("e => getComputedStyle(e).position") == "sticky"
        _themes(page, view, browser_page, "comparison")
    except BaseException:
        _report(notebook7, browser_page)
        raise
    finally:
        if page.evaluate("document.body.dataset.jpThemeLight") == "false":
            _switch_theme(page, "JupyterLab Light")
        _close(page, notebook7, path)
    _no_deepfix_errors(browser_page)


def test_notebook7_runs_table_analyzes_a_run(notebook7: NotebookServer, browser_page: Any) -> None:
    """``%deepfix runs``: the same table; Analyze runs the magic in a new cell below."""
    page = browser_page.page
    path = _runs_notebook(notebook7, "runs_notebook7")
    try:
        cells = _open(page, notebook7, path)
        _menu(page, "Run", "Run All Cells")
        view = cells.nth(3).locator(f'[data-mime-type="{MIME_RUNS}"] .jp-DeepFix-runs-view')
        view.first.wait_for(state="visible", timeout=OUTPUT_TIMEOUT_MS)
        _sorts_and_filters(view.first)
        _analyze(page, view.first, "quickstart")
        _check_analysis(cells.nth(4), "quickstart")
        _themes(page, view.first, browser_page, "runs")
    except BaseException:
        _report(notebook7, browser_page)
        raise
    finally:
        if page.evaluate("document.body.dataset.jpThemeLight") == "false":
            _switch_theme(page, "JupyterLab Light")
        _close(page, notebook7, path)
    _no_deepfix_errors(browser_page)
