"""End to end in a real browser: JupyterLab runs ``examples/notebooks/analyze_example.ipynb``.

A person's path: open the notebook, wait for the kernel, Run > Run All Cells, then read the
DeepFix output. With the DeepFix labextension (installed by ``pip install``) JupyterLab draws the
output natively from its JSON (``.jp-DeepFix-analysis``), live and after the notebook is saved and
reopened, where the ipywidgets view it also carries would read "Error displaying widget: model
not found". With the extension disabled, the anywidget ``AnalysisWidget`` draws the same views
(the repository's ``widgets/``) instead, as in frontends without the extension that have widgets.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.sign import NotebookNotary

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

EXAMPLE = "notebooks/analyze_example.ipynb"
EXTENSION = "deepfix-notebook"
MIME_ANALYSIS = "application/vnd.deepfix.analysis+json"
MIME_WIDGET = "application/vnd.jupyter.widget-view+json"
NATIVE = f'.jp-OutputArea-output[data-mime-type="{MIME_ANALYSIS}"] .jp-DeepFix-analysis'
WIDGET_ERROR = "Error displaying widget"
KERNEL_TIMEOUT_MS = 45_000
OUTPUT_TIMEOUT_MS = 45_000


def _copy_example(jupyterlab: Any, name: str) -> str:
    """A fresh copy of the example next to it (``../runs`` still resolves); its server path."""
    path = f"notebooks/{name}"
    shutil.copy(jupyterlab.root / EXAMPLE, jupyterlab.root / path)
    return path


def _open_with_idle_kernel(page: Any, url: str, path: str, *, reset: bool = True) -> Any:
    """Open ``path`` and wait until its kernel is started and idle; the notebook's cells."""
    page.goto(f"{url}/lab/tree/{path}{'?reset' if reset else ''}", wait_until="domcontentloaded")
    notebook = page.locator(".jp-NotebookPanel").first
    notebook.wait_for(state="visible", timeout=KERNEL_TIMEOUT_MS)
    cells = notebook.locator(".jp-Notebook .jp-Cell")
    cells.nth(3).wait_for(state="attached", timeout=KERNEL_TIMEOUT_MS)
    assert cells.count() == 4
    # The status bar reads "Python 3 (ipykernel) | Idle" (the toolbar's indicator alone says idle
    # before any kernel is attached).
    status = page.locator(".jp-StatusBar-Widget").get_by_text(re.compile(r"\| Idle\s*$"))
    status.first.wait_for(state="visible", timeout=KERNEL_TIMEOUT_MS)
    # Collapse the file browser, so the notebook gets the width (cosmetic only).
    left_tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if left_tab.count():
        left_tab.first.click()
    return cells


def _menu(page: Any, menu: str, item: str) -> None:
    """``menu`` > ``item`` from the menu bar, as a person would."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{re.escape(menu)}$")).click()
    label = re.compile(f"^{re.escape(item)}$")  # "Save Notebook", not "Save Notebook As…"
    page.locator(".lm-Menu:visible .lm-Menu-itemLabel", has_text=label).click()


def _check_summary_cell(page: Any, cells: Any) -> None:
    """``deepfix_result.summary`` (cell 4) shows the summary's text, and nothing went to stderr."""
    summary = cells.nth(3).locator(".jp-OutputArea-output").first
    summary.wait_for(state="visible", timeout=OUTPUT_TIMEOUT_MS)
    text = summary.inner_text().strip()
    assert summary.get_attribute("data-mime-type") == "text/plain", text
    assert text[:1] in {"'", '"'}, text  # a str's repr, not an error
    assert len(text.strip("'\"")) > 20, text
    assert page.locator('.jp-OutputArea-output[data-mime-type*="stderr"]').count() == 0


def _check_native_analysis(cell: Any) -> Any:
    """The cell's output is the extension's view of the overfitting run: findings and curves."""
    view = cell.locator(NATIVE).first
    view.wait_for(state="visible", timeout=OUTPUT_TIMEOUT_MS)
    assert cell.locator(".deepfix-error").count() == 0, cell.inner_text()
    # Neither the widget nor the HTML fallback: one output, drawn from the JSON.
    assert cell.locator(".jp-OutputArea-output").count() == 1
    assert cell.locator(".deepfix-widget, .jupyter-widgets, .deepfix-view").count() == 0
    codes = view.locator(".jp-DeepFix-finding").evaluate_all("e => e.map(i => i.dataset.code)")
    assert "overfitting" in codes, codes
    assert view.locator(".jp-DeepFix-chart svg").count() == 2  # loss, accuracy
    assert view.locator(".jp-DeepFix-chart polyline").count() >= 4
    assert view.locator(".jp-DeepFix-filters select").count() == 3
    return view


def _report(jupyterlab: Any, browser_page: Any) -> None:
    print(f"JupyterLab's log (last lines):\n{jupyterlab.logtail()}")
    print("browser errors:\n" + "\n".join(browser_page.errors))


def _shoot(browser_page: Any, top: Any, name: str) -> None:
    top.evaluate("e => e.scrollIntoView({block: 'start'})")
    browser_page.page.wait_for_timeout(300)  # let Plotly finish resizing after the scroll
    print(f"screenshot: {browser_page.screenshot(name)}")


def _no_deepfix_errors(browser_page: Any) -> None:
    deepfix_errors = [e for e in browser_page.errors if "deepfix" in e.lower()]
    assert not deepfix_errors, "\n".join(deepfix_errors)
    if browser_page.errors:
        print("console errors (not DeepFix's):\n" + "\n".join(browser_page.errors))


def test_analyze_example_notebook_renders_natively(jupyterlab: Any, browser_page: Any) -> None:
    page = browser_page.page
    path = _copy_example(jupyterlab, "analyze_native.ipynb")
    started = time.monotonic()
    try:
        cells = _open_with_idle_kernel(page, jupyterlab.url, path)
        _menu(page, "Run", "Run All Cells")
        view = _check_native_analysis(cells.nth(2))
        _check_summary_cell(page, cells)
        _shoot(browser_page, view, "jupyterlab-analysis.png")
    except BaseException:
        _report(jupyterlab, browser_page)
        raise
    finally:
        print(f"{time.monotonic() - started:.1f} s")
        jupyterlab.leave_clean(page, [path])
    _no_deepfix_errors(browser_page)


@pytest.fixture
def without_extension(jupyterlab: Any) -> Iterator[None]:
    with jupyterlab.extension_disabled(EXTENSION):
        yield


def _switch_theme(page: Any, theme: str) -> None:
    """Settings > Theme > ``theme``, as a person would; wait until the page has it."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Settings$")).click()
    page.locator(".lm-Menu-item:visible", has_text=re.compile(r"^Theme")).hover()
    page.locator(".lm-Menu-item:visible", has_text=re.compile(f"^{re.escape(theme)}$")).click()
    light = "true" if "Light" in theme else "false"
    page.wait_for_function(
        "light => document.body.dataset.jpThemeLight === light",
        arg=light,
        timeout=KERNEL_TIMEOUT_MS,
    )
    page.wait_for_timeout(500)  # the theme's stylesheet applies after the attribute changes


def _fits(view: Any) -> None:
    """Nothing of ``view`` is cut off on the right, and no two band labels overlap."""
    overflow = view.evaluate(
        "e => [e, ...e.querySelectorAll('*')].filter(x => x.scrollWidth > x.clientWidth + 1 "
        "&& getComputedStyle(x).overflowX === 'visible' && x.clientWidth > 0)"
        ".map(x => `${x.className.baseVal ?? x.className}: ${x.textContent.slice(0, 40)} "
        "(${x.scrollWidth} > ${x.clientWidth})`)"
    )
    assert not overflow, overflow
    boxes = view.locator(".jp-DeepFix-band-label:visible").evaluate_all(
        "e => e.map(x => { const r = x.getBoundingClientRect(); "
        "return [r.left, r.top, r.right, r.bottom]; })"
    )
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, (a, b)


def _luminance(css: str) -> float:
    channels = [float(v) for v in re.findall(r"[\d.]+", css)[:3]]
    return sum(w * c / 255 for w, c in zip((0.2126, 0.7152, 0.0722), channels, strict=True))


def test_without_the_extension_the_anywidget_draws_the_same_view(
    jupyterlab: Any, without_extension: None, browser_page: Any
) -> None:
    """What JupyterLab shows after ``SKIP_JUPYTER_BUILDER=1 pip install .`` (or with the
    extension disabled), as frontends with widgets but not the extension (VS Code, Colab) do:
    ``AnalysisWidget``, an anywidget drawing the extension's views from the same JSON."""
    page = browser_page.page
    path = _copy_example(jupyterlab, "analyze_widget.ipynb")
    started = time.monotonic()
    try:
        cells = _open_with_idle_kernel(page, jupyterlab.url, path)
        disabled = page.evaluate(
            "JSON.parse(document.getElementById('jupyter-config-data').textContent)"
            ".disabledExtensions"
        )
        assert EXTENSION in disabled, disabled
        _menu(page, "Run", "Run All Cells")
        cell = cells.nth(2)
        view = cell.locator(".jp-OutputArea-output .deepfix-anywidget .jp-DeepFix-analysis").first
        view.wait_for(state="visible", timeout=OUTPUT_TIMEOUT_MS)
        # The widget, not the extension's renderer (disabled) nor the HTML fallback.
        assert cell.locator(f'[data-mime-type="{MIME_ANALYSIS}"]').count() == 0
        assert cell.locator(".deepfix-view").count() == 0
        assert view.locator(".jp-DeepFix-title").inner_text() == "DeepFix analysis of overfitting"
        assert view.locator(".jp-DeepFix-chart svg").count() == 2  # loss, accuracy
        assert view.locator(".jp-DeepFix-chart polyline").count() >= 4
        findings = view.locator(".jp-DeepFix-finding")
        total = findings.count()
        codes = findings.evaluate_all("e => e.map(i => i.dataset.code)")
        assert "overfitting" in codes, codes
        _check_summary_cell(page, cells)

        # Filters filter: only the medium findings, and the count says so.
        severity = view.locator(".jp-DeepFix-filters select[name=severity]")
        severity.select_option("medium")
        shown = view.locator(".jp-DeepFix-finding:visible")
        severities = shown.evaluate_all("e => e.map(i => i.dataset.severity)")
        assert severities and set(severities) == {"medium"} and len(severities) < total
        assert view.locator(".jp-DeepFix-shown").inner_text() == (
            f"{len(severities)} of {total} shown"
        )
        severity.select_option("*")
        assert view.locator(".jp-DeepFix-finding:visible").count() == total

        # Opening a finding highlights its segment on the curves, and only its own.
        overfitting = view.locator('.jp-DeepFix-finding[data-code="overfitting"]').first
        key = overfitting.get_attribute("data-deepfix-band")
        assert key
        overfitting.locator("summary").click()
        active = view.locator(".jp-DeepFix-band.jp-mod-active")
        assert active.count() >= 1
        assert set(active.evaluate_all("e => e.map(b => b.dataset.deepfixBand)")) == {key}
        _fits(view)
        _shoot(browser_page, view, "jupyterlab-anywidget-light.png")
        _shoot(
            browser_page, view.locator(".jp-DeepFix-findings"), "jupyterlab-anywidget-light-2.png"
        )
        light = _luminance(view.evaluate("e => getComputedStyle(e).backgroundColor"))

        _switch_theme(page, "JupyterLab Dark")
        dark = _luminance(view.evaluate("e => getComputedStyle(e).backgroundColor"))
        assert light > 0.8 and dark < 0.3, (light, dark)
        _fits(view)
        _shoot(browser_page, view, "jupyterlab-anywidget-dark.png")
        _shoot(
            browser_page, view.locator(".jp-DeepFix-findings"), "jupyterlab-anywidget-dark-2.png"
        )
    except BaseException:
        _report(jupyterlab, browser_page)
        raise
    finally:
        print(f"{time.monotonic() - started:.1f} s")
        if page.evaluate("document.body.dataset.jpThemeLight") == "false":
            _switch_theme(page, "JupyterLab Light")  # the server's settings outlive this test
        jupyterlab.leave_clean(page, [path])
    _no_deepfix_errors(browser_page)


def _comparison_notebook(jupyterlab: Any, name: str) -> str:
    """A notebook next to the example that compares three example runs; its server path."""
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Three runs side by side"),
            nbformat.v4.new_code_cell("%load_ext deepfix_notebook"),
            nbformat.v4.new_code_cell(
                "%deepfix compare ../runs/overfitting ../runs/diverging ../runs/quickstart"
            ),
            nbformat.v4.new_code_cell("len(deepfix_result_comparison.results)"),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    path = f"notebooks/{name}"
    nbformat.write(notebook, jupyterlab.root / path)
    return path


def test_without_the_extension_the_comparison_widget_fits_in_both_themes(
    jupyterlab: Any, without_extension: None, browser_page: Any
) -> None:
    """``%deepfix compare`` as ``ComparisonWidget``: every run in the matrix, the run column
    stays in view while the matrix scrolls, headers wrap, nothing is cut off."""
    page = browser_page.page
    path = _comparison_notebook(jupyterlab, "compare_widget.ipynb")
    started = time.monotonic()
    try:
        cells = _open_with_idle_kernel(page, jupyterlab.url, path)
        _menu(page, "Run", "Run All Cells")
        cell = cells.nth(2)
        view = cell.locator(".deepfix-anywidget .jp-DeepFix-comparison").first
        view.wait_for(state="visible", timeout=OUTPUT_TIMEOUT_MS)
        assert cell.locator(".deepfix-view").count() == 0  # the widget, not the HTML
        assert view.locator(".jp-DeepFix-title").inner_text() == "DeepFix comparison of 3 run(s)"
        runs = view.locator(".jp-DeepFix-matrix tbody .jp-DeepFix-run").all_inner_texts()
        assert runs == ["overfitting", "diverging", "quickstart"], runs
        ranked = view.locator(".jp-DeepFix-ranking tbody .jp-DeepFix-run").all_inner_texts()
        assert sorted(ranked) == sorted(runs)
        first = view.locator(".jp-DeepFix-matrix tbody td:first-child").first
        assert first.evaluate("e => getComputedStyle(e).position") == "sticky"
        _fits(view)
        _shoot(browser_page, view, "jupyterlab-anywidget-comparison-light.png")
        _switch_theme(page, "JupyterLab Dark")
        _fits(view)
        _shoot(browser_page, view, "jupyterlab-anywidget-comparison-dark.png")
    except BaseException:
        _report(jupyterlab, browser_page)
        raise
    finally:
        print(f"{time.monotonic() - started:.1f} s")
        if page.evaluate("document.body.dataset.jpThemeLight") == "false":
            _switch_theme(page, "JupyterLab Light")
        jupyterlab.leave_clean(page, [path])
    _no_deepfix_errors(browser_page)


def _saved_outputs(file: Path, timeout_s: float = 20) -> list[dict[str, Any]]:
    """The outputs of the notebook's analysis cell on disk, once the save has written them."""
    deadline = time.monotonic() + timeout_s
    while True:
        notebook = json.loads(file.read_text(encoding="utf-8"))
        outputs: list[dict[str, Any]] = notebook["cells"][2].get("outputs", [])
        if outputs or time.monotonic() > deadline:
            return outputs
        time.sleep(0.25)


def test_a_saved_live_analysis_renders_natively_when_reopened(
    jupyterlab: Any, browser_page: Any
) -> None:
    """The user's own notebook, saved after a live ``%deepfix analyze``, reopened with a new
    kernel: the saved widget view has no model any more; the native view draws the JSON."""
    page = browser_page.page
    path = _copy_example(jupyterlab, "analyze_reopened.ipynb")
    file = jupyterlab.root / path
    started = time.monotonic()
    try:
        cells = _open_with_idle_kernel(page, jupyterlab.url, path)
        _menu(page, "Run", "Run All Cells")
        _check_native_analysis(cells.nth(2))  # live: the extension wins over the widget
        _check_summary_cell(page, cells)
        _shoot(browser_page, cells.nth(2), "jupyterlab-reopen-live.png")

        _menu(page, "File", "Save Notebook")
        outputs = _saved_outputs(file)
        # The case that broke: a trusted notebook whose output names a widget of the old kernel.
        [data] = [o["data"] for o in outputs if MIME_ANALYSIS in o.get("data", {})]
        assert {MIME_ANALYSIS, MIME_WIDGET, "text/html", "text/plain"} <= set(data)
        saved = nbformat.read(file, as_version=4)
        assert NotebookNotary(data_dir=str(jupyterlab.data_dir)).check_signature(saved)

        _menu(page, "Kernel", "Shut Down Kernel")
        deadline = time.monotonic() + 20
        while [s for s in jupyterlab.sessions() if s["path"] == path]:
            assert time.monotonic() < deadline, "the kernel was not shut down"
            time.sleep(0.25)

        page.reload(wait_until="domcontentloaded")  # reopens the notebook, with a new kernel
        cells = _open_with_idle_kernel(page, jupyterlab.url, path, reset=False)
        view = _check_native_analysis(cells.nth(2))
        assert [s for s in jupyterlab.sessions() if s["path"] == path]  # a new kernel is up
        # The widget manager has answered for the saved widget by now (it does once the kernel
        # is idle); give it a moment more, then no "Error displaying widget" anywhere.
        page.wait_for_timeout(2000)
        body = page.evaluate("document.body.innerText")
        assert WIDGET_ERROR not in body, body[:3000]

        # Still interactive: only the medium findings after filtering; opening one lights its band.
        view.locator(".jp-DeepFix-filters select[name=severity]").select_option("medium")
        shown = view.locator(".jp-DeepFix-finding:visible")
        assert shown.count() >= 1
        severities = shown.evaluate_all("e => e.map(i => i.dataset.severity)")
        assert set(severities) == {"medium"}, severities
        overfitting = view.locator('.jp-DeepFix-finding[data-code="overfitting"]').first
        overfitting.locator("summary").click()
        assert view.locator(".jp-DeepFix-band.jp-mod-active").count() >= 1
        _shoot(browser_page, view, "jupyterlab-reopened.png")
        _shoot(
            browser_page, view.locator(".jp-DeepFix-findings"), "jupyterlab-reopened-findings.png"
        )
    except BaseException:
        _report(jupyterlab, browser_page)
        raise
    finally:
        print(f"{time.monotonic() - started:.1f} s")
        jupyterlab.leave_clean(page, [path])
    _no_deepfix_errors(browser_page)
