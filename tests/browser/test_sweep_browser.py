"""The sweep view in Debian's Chromium: the report's Sweep page over a real SQLite MLflow store
(``deepfix report``, a real server subprocess), and a saved ``%deepfix sweep`` output drawn by the
JupyterLab extension in the light and dark themes.

The store is the planted sweep of ``tests/sweep`` (45 runs; a learning rate >= 0.3 diverges),
with a run whose name is markup and a run that logged no metrics (it cannot be analysed).
Without the extension, a live kernel's ``%deepfix sweep`` shows the anywidget drawing the same
view. Screenshots go to ``test-output/screenshots/sweep-*.png``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_jupyterlab import _menu, without_extension  # noqa: F401  (a fixture)
from test_labextension import ABSENT_KERNEL, _luminance, _open_without_kernel, _switch_theme
from test_report import ReportServer, _serve

from deepfix_notebook.contract import SweepResult
from deepfix_notebook.sweeps import run_sweep

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

SWEEP_FIXTURES = Path(__file__).resolve().parents[1] / "sweep" / "conftest.py"
MIME_SWEEP = "application/vnd.deepfix.sweep+json"
HOSTILE = "<img src=x onerror=window.__deepfix_xss=1>"
TIMEOUT_MS = 60_000


def _fixtures() -> Any:
    spec = importlib.util.spec_from_file_location("sweep_fixtures", SWEEP_FIXTURES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory, blank_mlflow_db: Path) -> Any:
    from mlflow import MlflowClient
    from mlflow.entities import Param

    fixtures = _fixtures()
    built = fixtures.build(tmp_path_factory.mktemp("sweep-view"), blank_mlflow_db, runs=45)
    client = MlflowClient(tracking_uri=built.uri)
    experiment_id = client.get_experiment_by_name(built.experiment).experiment_id
    params = {"learning_rate": "0.001", "optimizer": "adam", "batch_size": "32", "seed": "1"}
    curves = fixtures.curves(False, np.random.default_rng(1))
    fixtures.log(client, experiment_id, HOSTILE, params, curves)
    bare = client.create_run(experiment_id, run_name="no-metrics").info.run_id
    client.log_batch(bare, params=[Param(k, v) for k, v in params.items()])
    client.set_terminated(bare)
    return built


@pytest.fixture(scope="module")
def expected(sweep: Any) -> SweepResult:
    return run_sweep(sweep.experiment, tracking_uri=sweep.uri)


@pytest.fixture(scope="module")
def report(sweep: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportServer]:
    yield from _serve(tmp_path_factory.mktemp("sweep-report"), sweep.uri)


def _visible_runs(view: Any) -> list[str]:
    return view.evaluate(  # type: ignore[no-any-return]
        "v => [...v.querySelectorAll('path.jp-DeepFix-sweep-run')]"
        ".filter(p => !p.hasAttribute('hidden')).map(p => p.dataset.runId)"
    )


def _clipped(view: Any) -> list[str]:
    """What does not fit: SVG text outside its SVG, boxes wider than their container."""
    return view.evaluate(  # type: ignore[no-any-return]
        """v => {
        const out = [];
        for (const svg of v.querySelectorAll('svg')) {
          const box = svg.viewBox.baseVal;
          for (const t of svg.querySelectorAll('text')) {
            const b = t.getBBox();
            if (b.x < 0 || b.y < 0 || b.x + b.width > box.width || b.y + b.height > box.height)
              out.push('text ' + t.textContent);
          }
          if (svg.getBoundingClientRect().width < box.width - 1) out.push('svg scaled down');
        }
        for (const e of [v, ...v.querySelectorAll('.jp-DeepFix-scroll, table, h3, h4, p')])
          if (e.scrollWidth > e.clientWidth + 1) out.push('overflow ' + e.className + e.tagName);
        if (v.getBoundingClientRect().right > window.innerWidth) out.push('past the window');
        return out;
      }"""
    )


def _check_view(view: Any, expected: SweepResult) -> None:
    """What a person sees: the title, every run by name, the hover, the legend's filter."""
    assert view.locator(".jp-DeepFix-title").inner_text() == (
        f"DeepFix sweep of {expected.experiment}"
    )
    assert sorted(_visible_runs(view)) == sorted(r.run_id for r in expected.runs)
    names = view.locator(".jp-DeepFix-sweep-health tr[data-run] td:first-child").evaluate_all(
        "cells => cells.map(c => c.textContent)"
    )
    assert sorted(names) == sorted(r.run_name for r in expected.runs)
    assert HOSTILE in names
    diverged = next(r for r in expected.runs if r.run_name == "run-08")  # learning rate 1
    line = view.locator(f'path[data-run-id="{diverged.run_id}"]')
    hover = line.locator("title").text_content() or ""
    assert hover.startswith(f"run-08 (run id {diverged.run_id})")
    assert "learning_rate = 1.0" in hover and "exploding_loss" in hover
    # The mouse on a point of that line: the line under it (maybe another run's, where lines
    # cross) is drawn thicker and says whose it is.
    x, y = line.evaluate(
        "p => { const m = p.getScreenCTM(), l = p.getTotalLength();"
        " const q = p.getPointAtLength(l * 0.3); return [q.x * m.a + m.e, q.y * m.d + m.f]; }"
    )
    view.page.mouse.move(x, y)
    under = view.page.evaluate(
        """([x, y]) => {
        let e = document.elementFromPoint(x, y);
        while (e && e.shadowRoot) {
          const inner = e.shadowRoot.elementFromPoint(x, y);
          if (!inner || inner === e) break;
          e = inner;
        }
        return e && e.matches('path.jp-DeepFix-sweep-run')
          ? [getComputedStyle(e).strokeWidth, e.dataset.runId, e.querySelector('title').textContent]
          : null;
      }""",
        [x, y],
    )
    assert under is not None
    width, run_id, title = under
    name = next(r.run_name for r in expected.runs if r.run_id == run_id)
    assert width == "4px" and title.startswith(f"{name} (run id {run_id})")
    failed = next(r for r in expected.runs if r.run_name == "no-metrics")
    assert failed.status == "failed"
    assert "jp-DeepFix-sweep-failed" in (
        view.locator(f'path[data-run-id="{failed.run_id}"]').get_attribute("class") or ""
    )
    # The legend filters: only the runs with the problem clicked, then every run again.
    key = view.locator('button[data-filter="exploding_loss"]')
    key.click()
    shown = _visible_runs(view)
    with_it = [r.run_id for r in expected.runs if "exploding_loss" in r.problems]
    assert sorted(shown) == sorted(with_it) and 0 < len(shown) < len(expected.runs)
    assert key.get_attribute("aria-pressed") == "true"
    assert (
        view.locator(".jp-DeepFix-shown")
        .inner_text()
        .startswith(f"{len(with_it)} run(s) with exploding_loss")
    )
    rows = view.locator(".jp-DeepFix-sweep-matrix tbody tr:not([hidden])")
    assert rows.count() == 1 and "learning_rate ≥ 0.316" in rows.inner_text()
    key.click()
    assert len(_visible_runs(view)) == len(expected.runs)
    assert _clipped(view) == []


def test_the_report_sweep_page_draws_the_shared_view(
    report: ReportServer, expected: SweepResult, browser_page: Any
) -> None:
    page = browser_page.page
    page.goto(f"{report.url}?page=sweep&experiment={expected.experiment}")
    view = page.locator(".jp-DeepFix-sweep")
    view.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert page.locator(".bk-tab.bk-active").inner_text() == "Sweep"
    _check_view(view, expected)
    assert page.evaluate("window.__deepfix_xss") is None
    view.scroll_into_view_if_needed()
    print(f"screenshot: {browser_page.screenshot('sweep-report-light.png')}")
    # Picked and swept from the page: the URL follows, so the view can be shared.
    page.goto(f"{report.url}?page=sweep")
    page.locator(".bk-btn", has_text="Sweep").first.click()
    page.locator(".jp-DeepFix-sweep").wait_for(state="visible", timeout=TIMEOUT_MS)
    page.wait_for_function(
        "name => new URL(location.href).searchParams.get('experiment') === name",
        arg=expected.experiment,
        timeout=TIMEOUT_MS,
    )
    assert browser_page.errors == []


def _saved_notebook(root: Path, expected: SweepResult) -> str:
    from deepfix_notebook.notebook._sweep import SweepView

    bundle = SweepView(expected)._repr_mimebundle_()
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "sweep",
                "metadata": {},
                "source": f"%deepfix sweep --experiment {expected.experiment}",
                "outputs": [{"output_type": "display_data", "data": bundle, "metadata": {}}],
            }
        ],
        "metadata": {
            "kernelspec": {"display_name": "absent", "language": "absent", "name": ABSENT_KERNEL},
            "language_info": {"name": "absent"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    name = "saved_sweep_no_kernel.ipynb"
    (root / name).write_text(json.dumps(notebook), encoding="utf-8")
    return name


def test_a_saved_sweep_renders_natively_in_both_themes(
    jupyterlab: Any, browser_page: Any, expected: SweepResult
) -> None:
    page = browser_page.page
    name = _saved_notebook(jupyterlab.root, expected)
    panel = _open_without_kernel(page, jupyterlab.url, name)
    try:
        view = panel.locator(".jp-DeepFix-sweep")
        view.wait_for(state="visible", timeout=TIMEOUT_MS)
        output = panel.locator(f'.jp-OutputArea-output[data-mime-type="{MIME_SWEEP}"]')
        assert output.count() == 1  # the extension's view, not the HTML
        _check_view(view, expected)
        colours = {}
        for theme in ("JupyterLab Light", "JupyterLab Dark"):
            if theme.endswith("Dark"):
                _switch_theme(page, theme)
            axis = view.locator(".jp-DeepFix-sweep-axis-name").first
            colours[theme] = (
                _luminance(view.evaluate("e => getComputedStyle(e).backgroundColor")),
                _luminance(axis.evaluate("e => getComputedStyle(e).fill")),
            )
            assert _clipped(view) == []
            view.evaluate("e => e.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(200)
            slug = "light" if theme.endswith("Light") else "dark"
            print(f"screenshot: {browser_page.screenshot(f'sweep-jupyterlab-{slug}.png')}")
        (light_bg, light_text), (dark_bg, dark_text) = colours.values()
        assert light_bg > 0.8 and light_text < 0.4, colours
        assert dark_bg < 0.3 and dark_text > 0.6, colours
        assert browser_page.errors == []
    finally:
        if page.evaluate("document.body.dataset.jpThemeLight") == "false":
            _switch_theme(page, "JupyterLab Light")
        jupyterlab.leave_clean(page, [name])


def test_the_static_html_reads_in_both_colour_schemes(
    browser_page: Any, expected: SweepResult
) -> None:
    """What nbconvert and GitHub show: the HTML alone, no script, in a light and a dark page."""
    from deepfix_notebook.views import sweep_html

    page = browser_page.page
    fragment = str(sweep_html(expected))
    assert "<script" not in fragment
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        background = "#fff" if scheme == "light" else "#0d1117"
        page.set_content(f"<!doctype html><body style='background:{background}'>{fragment}</body>")
        view = page.locator(".deepfix-view")
        assert view.locator("svg path").count() == len(expected.runs)
        names = view.locator("details td:first-child").all_text_contents()
        assert HOSTILE in names and "run-08" in names
        assert page.evaluate("window.__deepfix_xss") is None
        assert _clipped(view) == []
        label = view.locator("svg text").first.evaluate("e => getComputedStyle(e).fill")
        luminance = _luminance(label)
        assert luminance < 0.4 if scheme == "light" else luminance > 0.6, (scheme, label)
        print(f"screenshot: {browser_page.screenshot(f'sweep-html-{scheme}.png')}")
    assert browser_page.errors == []


@pytest.mark.usefixtures("without_extension")
def test_without_the_extension_a_live_sweep_is_the_anywidget(
    jupyterlab: Any, browser_page: Any, sweep: Any, expected: SweepResult
) -> None:
    page = browser_page.page
    name = "live_sweep.ipynb"
    notebook = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
             "outputs": [], "source": source}
            for i, source in enumerate([
                "%load_ext deepfix_notebook",
                f"%deepfix sweep --experiment {sweep.experiment} --tracking-uri {sweep.uri}",
            ])
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                    "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    (jupyterlab.root / name).write_text(json.dumps(notebook), encoding="utf-8")
    try:
        page.goto(f"{jupyterlab.url}/lab/tree/{name}?reset", wait_until="domcontentloaded")
        panel = page.locator(".jp-NotebookPanel").first
        panel.wait_for(state="visible", timeout=TIMEOUT_MS)
        idle = page.locator(".jp-StatusBar-Widget").get_by_text(re.compile(r"\| Idle\s*$"))
        idle.first.wait_for(state="visible", timeout=TIMEOUT_MS)
        _menu(page, "Run", "Run All Cells")
        view = panel.locator(".jp-OutputArea-output .deepfix-anywidget .jp-DeepFix-sweep")
        view.wait_for(state="visible", timeout=TIMEOUT_MS)
        assert panel.locator(f'[data-mime-type="{MIME_SWEEP}"]').count() == 0  # not the extension
        assert panel.locator(".deepfix-view").count() == 0  # nor the HTML
        _check_view(view, expected)
        view.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(200)
        print(f"screenshot: {browser_page.screenshot('sweep-jupyterlab-anywidget-light.png')}")
        assert browser_page.errors == []
    finally:
        jupyterlab.leave_clean(page, [name])
