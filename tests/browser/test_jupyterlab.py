"""End to end in a real browser: JupyterLab runs ``examples/notebooks/analyze_example.ipynb``.

A person's path: open the notebook, wait for the kernel, Run > Run All Cells, then read the
DeepFix output. With widgets (ipywidgets + plotly in the kernel and JupyterLab) the output is the
interactive ``.deepfix-widget`` with a Plotly figure; without them, the self-contained HTML view
``.deepfix-view`` with inline SVG curves. Either must show the findings and a chart.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]

NOTEBOOK = "notebooks/analyze_example.ipynb"
DEEPFIX_OUTPUT = ".jp-OutputArea-output .deepfix-view, .jp-OutputArea-output .deepfix-widget"
KERNEL_TIMEOUT_MS = 45_000
OUTPUT_TIMEOUT_MS = 45_000


def test_analyze_example_notebook_renders_findings_and_chart(
    jupyterlab: Any, browser_page: Any
) -> None:
    page = browser_page.page
    started = time.monotonic()
    try:
        page.goto(f"{jupyterlab.url}/lab/tree/{NOTEBOOK}", wait_until="domcontentloaded")
        notebook = page.locator(".jp-NotebookPanel").first
        notebook.wait_for(state="visible", timeout=KERNEL_TIMEOUT_MS)
        cells = notebook.locator(".jp-Notebook .jp-Cell")
        cells.nth(3).wait_for(state="attached", timeout=KERNEL_TIMEOUT_MS)
        assert cells.count() == 4

        # The kernel is started and idle: the status bar reads "Python 3 (ipykernel) | Idle"
        # (the toolbar's indicator alone says idle before any kernel is attached).
        status = page.locator(".jp-StatusBar-Widget").get_by_text(re.compile(r"\| Idle\s*$"))
        status.first.wait_for(state="visible", timeout=KERNEL_TIMEOUT_MS)

        # Collapse the file browser, so the notebook gets the width (cosmetic only).
        left_tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
        if left_tab.count():
            left_tab.first.click()

        # Run > Run All Cells, from the menu bar as a person would.
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-item:visible", has_text=re.compile(r"^Run All Cells")).click()

        # DeepFix's output: the widget or the static view, in cell 3's output.
        output = cells.nth(2).locator(DEEPFIX_OUTPUT).first
        output.wait_for(state="visible", timeout=OUTPUT_TIMEOUT_MS)
        assert cells.nth(2).locator(".deepfix-error").count() == 0, cells.nth(2).inner_text()

        # The findings: the run overfits, and the output says so.
        text = output.inner_text()
        assert "overfitting" in text.lower(), text[:2000]

        # A chart: inline SVG curves (static view) or a drawn Plotly figure (widget).
        # (Selectors inside a locator are matched within it: no ".deepfix-widget" prefix.)
        widget = bool(output.evaluate("e => e.classList.contains('deepfix-widget')"))
        if widget:
            output.locator(".js-plotly-plot").first.wait_for(timeout=OUTPUT_TIMEOUT_MS)
            traces = output.locator(".js-plotly-plot .scatterlayer .trace")
            traces.first.wait_for(state="attached", timeout=OUTPUT_TIMEOUT_MS)
            assert traces.count() >= 2  # train and val loss at least
        else:
            output.locator("svg").first.wait_for(timeout=OUTPUT_TIMEOUT_MS)
            assert output.locator("svg path, svg polyline").count() > 0

        # `deepfix_result.summary`: cell 4 shows the summary's text, no error.
        summary = cells.nth(3).locator(".jp-OutputArea-output").first
        summary.wait_for(state="visible", timeout=OUTPUT_TIMEOUT_MS)
        summary_text = summary.inner_text().strip()
        assert summary.get_attribute("data-mime-type") == "text/plain", summary_text
        assert summary_text[:1] in {"'", '"'}, summary_text  # a str's repr, not an error
        assert len(summary_text.strip("'\"")) > 20, summary_text
        assert page.locator('.jp-OutputArea-output[data-mime-type*="stderr"]').count() == 0

        # For the screenshot: the widget's findings list at the top, its figure below; the
        # static view from its top (header, curves, then the findings).
        findings = output.locator(".deepfix-findings")
        top = findings.first if widget and findings.count() else output
        top.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)  # let Plotly finish resizing after the scroll
    except BaseException:
        print(f"JupyterLab's log (last lines):\n{jupyterlab.log_tail()}")
        print("browser errors:\n" + "\n".join(browser_page.errors))
        raise
    finally:
        try:
            shot = browser_page.screenshot("jupyterlab-analysis.png")
            print(f"screenshot: {shot} ({time.monotonic() - started:.1f} s)")
        except Exception as error:  # never hide the test's own failure
            print(f"no screenshot: {error}")

    deepfix_errors = [e for e in browser_page.errors if "deepfix" in e.lower()]
    assert not deepfix_errors, "\n".join(deepfix_errors)
    if browser_page.errors:
        print("console errors (not DeepFix's):\n" + "\n".join(browser_page.errors))
