"""``%deepfix runs`` in JupyterLab: the shared front end's table, sorted and filtered as a person
would, and its Analyze button. With the extension (the table drawn natively from its JSON, live
and saved alike) Analyze inserts ``%deepfix analyze RUN`` in a cell below and runs it; without it
(the anywidget, as in VS Code or Colab) Analyze asks the kernel, which draws the analysis below
the table."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import nbformat
import pytest
from test_jupyterlab import (
    EXTENSION,
    OUTPUT_TIMEOUT_MS,
    _fits,
    _menu,
    _no_deepfix_errors,
    _open_with_idle_kernel,
    _report,
    _shoot,
    _switch_theme,
)
from test_labextension import ABSENT_KERNEL, _open_without_kernel

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

RUNS = ("overfitting", "diverging", "quickstart")
MIME_RUNS = "application/vnd.deepfix.runs+json"
LOG_RUNS = f"""
from deepfix_notebook.artifacts import load_directory, log_run
for i, name in enumerate({RUNS!r}):
    log_run(metrics=load_directory(f"../runs/{{name}}").metrics, tracking_uri=URI,
            experiment="table", run_name=name, status="FINISHED",
            params={{"learning_rate": [0.01, 0.8, 0.001][i], "batch_size": 32, "seed": i}})
"""


def _runs_notebook(jupyterlab: Any, name: str) -> str:
    """A notebook that logs the example runs to a new MLflow store and lists them."""
    store = jupyterlab.root / "notebooks" / f"{name}.db"
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# My runs"),
            nbformat.v4.new_code_cell(
                f'URI = "sqlite:///{store}"\n%load_ext deepfix_notebook\n'
                "%deepfix connect local --tracking-uri $URI"
            ),
            nbformat.v4.new_code_cell(LOG_RUNS.strip()),
            nbformat.v4.new_code_cell("%deepfix runs --experiment table"),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    path = f"notebooks/{name}.ipynb"
    nbformat.write(notebook, jupyterlab.root / path)
    return path


def _names(table: Any) -> list[str]:
    return table.locator("tbody tr:visible .jp-DeepFix-run").all_inner_texts()  # type: ignore[no-any-return]


def _sorts_and_filters(view: Any) -> None:
    """The table a person reads: every run by name, sorted by a click, narrowed by the filter."""
    assert view.locator(".jp-DeepFix-title").inner_text() == "DeepFix: 3 runs"
    assert sorted(_names(view)) == sorted(RUNS)
    heads = view.locator("thead th").all_inner_texts()
    assert heads[:5] == ["name", "status", "start", "duration", "health"], heads
    assert "learning_rate" in heads and "seed" in heads and heads[-1] == "analyze"
    # Sort by learning rate (numbers as numbers), then the other way round.
    sort = view.locator('th[data-sort-key="param:learning_rate"] .jp-DeepFix-sort')
    sort.click()
    assert _names(view) == ["quickstart", "overfitting", "diverging"]
    sort.click()
    assert _names(view) == ["diverging", "overfitting", "quickstart"]
    # The filter narrows to the runs with every word typed.
    view.locator("input[name=filter]").fill("learning_rate=0.8")
    assert _names(view) == ["diverging"]
    assert view.locator(".jp-DeepFix-shown").inner_text() == "1 of 3 shown"
    view.locator("input[name=filter]").fill("")
    assert len(_names(view)) == 3
    _fits(view)


def _analyze(page: Any, view: Any, run: str) -> None:
    row = view.locator("tbody tr", has=page.locator(".jp-DeepFix-run", has_text=run))
    row.locator(".jp-DeepFix-analyze").click()
    assert row.get_attribute("class") == "jp-mod-active"


def _check_analysis(cell: Any, run: str) -> Any:
    analysis = cell.locator(".jp-DeepFix-analysis").first
    analysis.wait_for(state="visible", timeout=OUTPUT_TIMEOUT_MS)
    title = analysis.locator(".jp-DeepFix-title").inner_text()
    assert title == f"DeepFix analysis of {run}", title
    assert analysis.locator(".jp-DeepFix-chart svg").count() >= 1
    return analysis


def test_with_the_extension_analyze_runs_the_magic_in_a_cell_below(
    jupyterlab: Any, browser_page: Any
) -> None:
    page = browser_page.page
    path = _runs_notebook(jupyterlab, "runs_native")
    started = time.monotonic()
    try:
        cells = _open_with_idle_kernel(page, jupyterlab.url, path)
        _menu(page, "Run", "Run All Cells")
        cell = cells.nth(3)
        view = cell.locator(f'[data-mime-type="{MIME_RUNS}"] .jp-DeepFix-runs-view').first
        view.wait_for(state="visible", timeout=OUTPUT_TIMEOUT_MS)
        assert cell.locator(".deepfix-anywidget, .deepfix-runs").count() == 0  # native only
        _sorts_and_filters(view)
        _shoot(browser_page, view, "jupyterlab-runs-native-light.png")

        run_id = view.locator(
            "tbody tr", has=page.locator(".jp-DeepFix-run", has_text="overfitting")
        )
        run_id = run_id.get_attribute("data-run-id")
        _analyze(page, view, "overfitting")
        added = cells.nth(4)
        added.wait_for(state="attached", timeout=OUTPUT_TIMEOUT_MS)
        source = added.locator(".jp-InputArea-editor").inner_text().strip()
        assert source == f"%deepfix analyze {run_id}", source
        _check_analysis(added, "overfitting")
        assert cells.count() == 5
        _shoot(browser_page, cell, "jupyterlab-runs-native-analyzed-light.png")
    except BaseException:
        print("the page reads:\n" + page.locator(".jp-NotebookPanel").first.inner_text()[:3000])
        _report(jupyterlab, browser_page)
        raise
    finally:
        print(f"{time.monotonic() - started:.1f} s")
        jupyterlab.leave_clean(page, [path])
    _no_deepfix_errors(browser_page)


@pytest.fixture
def no_extension(jupyterlab: Any) -> Iterator[None]:
    with jupyterlab.extension_disabled(EXTENSION):
        yield


def test_without_the_extension_analyze_asks_the_kernel_and_draws_below_the_table(
    jupyterlab: Any, no_extension: None, browser_page: Any
) -> None:
    page = browser_page.page
    path = _runs_notebook(jupyterlab, "runs_widget")
    started = time.monotonic()
    try:
        cells = _open_with_idle_kernel(page, jupyterlab.url, path)
        _menu(page, "Run", "Run All Cells")
        cell = cells.nth(3)
        view = cell.locator(".deepfix-anywidget .jp-DeepFix-runs-view").first
        view.wait_for(state="visible", timeout=OUTPUT_TIMEOUT_MS)
        assert cell.locator(".deepfix-runs").count() == 0  # the widget, not the HTML fallback
        _sorts_and_filters(view)
        _shoot(browser_page, view, "jupyterlab-runs-light.png")

        # Analyze asks the kernel; the analysis of that run is drawn below the table.
        _analyze(page, view, "overfitting")
        analysis = _check_analysis(cell, "overfitting")
        codes = analysis.locator(".jp-DeepFix-finding").evaluate_all(
            "e => e.map(i => i.dataset.code)"
        )
        assert "overfitting" in codes, codes
        below = analysis.evaluate("e => e.getBoundingClientRect().top") > view.evaluate(
            "e => e.getBoundingClientRect().bottom"
        )
        assert below
        assert cells.count() == 4  # no cell added
        # A second Analyze replaces the analysis, it does not pile up.
        _analyze(page, view, "diverging")
        page.wait_for_function(
            "cell => [...cell.querySelectorAll('.jp-DeepFix-analysis .jp-DeepFix-title')]"
            ".map(e => e.textContent).join() === 'DeepFix analysis of diverging'",
            arg=cell.element_handle(),
            timeout=OUTPUT_TIMEOUT_MS,
        )
        _shoot(browser_page, cell, "jupyterlab-runs-analyzed-light.png")
        _switch_theme(page, "JupyterLab Dark")
        _fits(view)
        _shoot(browser_page, cell, "jupyterlab-runs-analyzed-dark.png")
    except BaseException:
        print("the page reads:\n" + page.locator(".jp-NotebookPanel").first.inner_text()[:3000])
        _report(jupyterlab, browser_page)
        raise
    finally:
        print(f"{time.monotonic() - started:.1f} s")
        if page.evaluate("document.body.dataset.jpThemeLight") == "false":
            _switch_theme(page, "JupyterLab Light")
        jupyterlab.leave_clean(page, [path])
    _no_deepfix_errors(browser_page)


def _saved_runs_notebook(jupyterlab: Any, name: str) -> None:
    """A saved notebook whose output is a live ``RunsWidget``'s (its widget long gone), opened
    where neither its kernel nor its language exists."""
    from datetime import UTC, datetime, timedelta

    from deepfix_notebook.artifacts._mlflow_runs import RunSummary
    from deepfix_notebook.notebook._runs import RunsView

    start = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)
    runs = [
        RunSummary(
            run_id=f"{i:032x}",
            run_name=name,
            experiment="table",
            status="FAILED" if name == "diverging" else "FINISHED",
            start_time=start + timedelta(minutes=i),
            end_time=start + timedelta(minutes=i, seconds=30 * (i + 1)),
            metrics={"val_loss": 0.3 + i},
            params={"learning_rate": str(lr), "batch_size": "32", "seed": str(i)},
        )
        for i, (name, lr) in enumerate(zip(RUNS, (0.01, 0.8, 0.001), strict=True))
    ]
    data = RunsView(runs)._repr_mimebundle_()
    data["application/vnd.jupyter.widget-view+json"] = {
        "version_major": 2,
        "version_minor": 0,
        "model_id": "0" * 32,  # the kernel that had it is gone
    }
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("%deepfix runs")],
        metadata={
            "kernelspec": {"display_name": "absent", "language": "absent", "name": ABSENT_KERNEL},
            "language_info": {"name": "absent"},
        },
    )
    notebook.cells[0].outputs = [nbformat.v4.new_output("display_data", data=data)]
    nbformat.write(notebook, jupyterlab.root / name)


def test_a_saved_runs_table_is_drawn_natively_without_a_kernel(
    jupyterlab: Any, browser_page: Any
) -> None:
    page = browser_page.page
    name = "saved_runs_no_kernel.ipynb"
    _saved_runs_notebook(jupyterlab, name)
    try:
        panel = _open_without_kernel(page, jupyterlab.url, name)
        view = panel.locator(f'[data-mime-type="{MIME_RUNS}"] .jp-DeepFix-runs-view').first
        view.wait_for(state="visible", timeout=OUTPUT_TIMEOUT_MS)
        page.wait_for_timeout(1000)  # the widget manager has answered for the saved widget
        assert "Error displaying widget" not in panel.inner_text()
        assert panel.locator(".deepfix-runs, .jupyter-widgets").count() == 0
        _sorts_and_filters(view)
        sort = view.locator('th[data-sort-key="duration"] .jp-DeepFix-sort')
        sort.click()
        assert _names(view) == list(RUNS)  # 30 s, 60 s, 90 s
        # A failed run's status stands out from the finished ones'.
        colours = view.locator("td[data-status]").evaluate_all(
            "e => e.map(td => [td.dataset.status, getComputedStyle(td).color])"
        )
        failed = {c for status, c in colours if status == "FAILED"}
        finished = {c for status, c in colours if status == "FINISHED"}
        assert len(failed) == 1 and failed.isdisjoint(finished), colours
        _shoot(browser_page, view, "jupyterlab-runs-saved-light.png")
    except BaseException:
        _report(jupyterlab, browser_page)
        raise
    finally:
        jupyterlab.leave_clean(page, [name])
    _no_deepfix_errors(browser_page)
