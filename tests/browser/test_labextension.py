"""The JupyterLab extension in a real browser: saved outputs drawn natively, and the command.

``saved_analysis.ipynb`` (``data/make_saved_analysis.py``) holds real ``%deepfix`` outputs. It is
opened without a kernel (its metadata name a kernel and a language that do not exist here, and
"No Kernel" is chosen in the dialog),
so everything shown comes from the saved JSON. The notebook is untrusted (a fresh Jupyter data
dir), as a notebook from someone else is: JupyterLab then draws only safe renderers, and the
extension's renderer is one, while the saved ipywidgets view and the HTML are not chosen.
Screenshots of both themes go to ``test-output/screenshots/``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

DATA = Path(__file__).resolve().parent / "data"
SAVED = DATA / "saved_analysis.ipynb"
MIME_ANALYSIS = "application/vnd.deepfix.analysis+json"
MIME_COMPARISON = "application/vnd.deepfix.comparison+json"
MIME_KNOWLEDGE = "application/vnd.deepfix.knowledge+json"
ADVISOR = "OptimizationAdvisorAgent"
ABSENT_KERNEL = "deepfix-test-absent-kernel"
TIMEOUT_MS = 45_000


def _saved_bundles() -> dict[str, Any]:
    notebook = json.loads(SAVED.read_text(encoding="utf-8"))
    found: dict[str, Any] = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            for mime in (MIME_ANALYSIS, MIME_COMPARISON, MIME_KNOWLEDGE):
                if mime in output.get("data", {}):
                    found[mime] = output["data"][mime]
    return found


def _copy_without_kernel(root: Path, name: str) -> Path:
    notebook = json.loads(SAVED.read_text(encoding="utf-8"))
    notebook["metadata"]["kernelspec"] = {
        "display_name": "absent",
        "language": "absent",
        "name": ABSENT_KERNEL,
    }
    # JupyterLab also matches a kernel by the language the outputs were made with.
    notebook["metadata"]["language_info"] = {"name": "absent"}
    target = root / name
    target.write_text(json.dumps(notebook), encoding="utf-8")
    return target


def _open_without_kernel(page: Any, url: str, name: str) -> Any:
    # ?reset: a fresh workspace, without the tabs other tests left open on this shared server.
    page.goto(f"{url}/lab/tree/{name}?reset", wait_until="domcontentloaded")
    panel = page.locator(".jp-NotebookPanel").first
    panel.wait_for(state="visible", timeout=TIMEOUT_MS)
    # Neither the kernel nor its language exists here: JupyterLab asks which kernel to start.
    dialog = page.locator(".jp-Dialog")
    dialog.first.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert "Select Kernel" in dialog.first.inner_text()
    dialog.get_by_role("button", name="No Kernel").click()
    dialog.first.wait_for(state="detached", timeout=10_000)
    return panel


def _switch_theme(page: Any, theme: str) -> None:
    """Settings > Theme > ``theme``, as a person would; wait until the page has it."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Settings$")).click()
    page.locator(".lm-Menu-item:visible", has_text=re.compile(r"^Theme")).hover()
    page.locator(".lm-Menu-item:visible", has_text=re.compile(f"^{re.escape(theme)}$")).click()
    light = "true" if "Light" in theme else "false"
    page.wait_for_function(
        "light => document.body.dataset.jpThemeLight === light", arg=light, timeout=TIMEOUT_MS
    )
    page.wait_for_timeout(500)  # the theme's stylesheet applies after the attribute changes


def _colours(locator: Any) -> dict[str, str]:
    return locator.evaluate(  # type: ignore[no-any-return]
        "e => { const s = getComputedStyle(e); return {color: s.color, background: "
        "s.backgroundColor, badge: getComputedStyle(e.querySelector('.jp-DeepFix-badge'))"
        ".backgroundColor}; }"
    )


def _shoot(browser_page: Any, top: Any, name: str) -> None:
    """A screenshot of the page with ``top`` at the top of the notebook."""
    top.evaluate("e => e.scrollIntoView({block: 'start'})")
    browser_page.page.wait_for_timeout(200)
    browser_page.screenshot(name)


def _luminance(css: str) -> float:
    channels = [float(v) for v in re.findall(r"[\d.]+", css)[:3]]
    return sum(w * c / 255 for w, c in zip((0.2126, 0.7152, 0.0722), channels, strict=True))


def test_saved_outputs_render_natively_without_a_kernel_in_both_themes(
    jupyterlab: Any, browser_page: Any
) -> None:
    page = browser_page.page
    bundles = _saved_bundles()
    assert set(bundles) == {MIME_ANALYSIS, MIME_COMPARISON, MIME_KNOWLEDGE}
    result = bundles[MIME_ANALYSIS]["result"]
    findings = [
        a for agent in result["agent_results"] if agent["agent_name"] != ADVISOR
        for a in agent["analysis"]
    ]  # fmt: skip
    plan = next(a for a in result["agent_results"] if a["agent_name"] == ADVISOR)["analysis"]
    name = "saved_analysis_no_kernel.ipynb"
    _copy_without_kernel(jupyterlab.root, name)
    started = time.monotonic()
    try:
        panel = _open_without_kernel(page, jupyterlab.url, name)
        outputs = panel.locator(".jp-OutputArea-output")

        analysis = outputs.locator(".jp-DeepFix-analysis").first
        analysis.wait_for(state="visible", timeout=TIMEOUT_MS)
        # Drawn by the extension from the JSON: not the HTML fallback, not the widget.
        output = panel.locator(f'.jp-OutputArea-output[data-mime-type="{MIME_ANALYSIS}"]')
        assert output.count() == 1
        assert panel.locator(".deepfix-view").count() == 0
        assert panel.locator(".jupyter-widgets").count() == 0

        assert analysis.locator(".jp-DeepFix-title").inner_text() == (
            f"DeepFix analysis of {result['run_id']}"
        )
        assert analysis.locator(".jp-DeepFix-finding").count() == len(findings)
        assert analysis.locator(".jp-DeepFix-step").count() == len(plan)
        codes = analysis.locator(".jp-DeepFix-finding").evaluate_all(
            "items => items.map(i => i.dataset.code)"
        )
        assert codes == [f["findings"]["code"] or "" for f in findings]
        assert "overfitting" in codes
        charts = analysis.locator(".jp-DeepFix-chart svg")
        assert charts.count() == 2  # loss, and accuracy
        assert analysis.locator(".jp-DeepFix-chart polyline").count() >= 4
        assert analysis.locator(".jp-DeepFix-band").count() >= 1

        # Opening a finding shows its recommendation and highlights its band on the charts.
        overfitting = analysis.locator('.jp-DeepFix-finding[data-code="overfitting"]').first
        overfitting.locator("summary").click()
        recommendation = overfitting.locator(".jp-DeepFix-recommendation")
        recommendation.wait_for(state="visible", timeout=5_000)
        first = next(f for f in findings if f["findings"]["code"] == "overfitting")
        assert first["recommendations"]["action"] in recommendation.inner_text()
        assert analysis.locator(".jp-DeepFix-band.jp-mod-active").count() >= 1

        # The findings filters (AnalysisWidget's), and a value under the pointer on the curves.
        severity = analysis.locator(".jp-DeepFix-filters select[name=severity]")
        severity.select_option("high")
        shown = analysis.locator(".jp-DeepFix-finding:visible")
        high = [f for f in findings if f["findings"]["severity"] == "high"]
        assert shown.count() == len(high) >= 1
        assert analysis.locator(".jp-DeepFix-shown").inner_text() == (
            f"{len(high)} of {len(findings)} shown"
        )
        _shoot(browser_page, analysis.locator(".jp-DeepFix-findings"), "labextension-filtered.png")
        severity.select_option("*")
        assert analysis.locator(".jp-DeepFix-finding:visible").count() == len(findings)
        # The topmost hover target (the last point of the last curve drawn) takes the pointer.
        point = analysis.locator(".jp-DeepFix-points").last.locator("circle").last
        point.hover()
        assert point.evaluate("e => getComputedStyle(e).fillOpacity") == "1"
        title = point.locator("title").text_content()
        assert re.fullmatch(r"val_accuracy: [\d.]+ at step [\d,]+", title), title

        comparison = outputs.locator(".jp-DeepFix-comparison").first
        comparison.wait_for(state="visible", timeout=TIMEOUT_MS)
        runs = list(bundles[MIME_COMPARISON]["results"])
        ranking = comparison.locator(".jp-DeepFix-ranking tbody tr")
        assert ranking.count() == len(runs)
        assert comparison.locator(".jp-DeepFix-chart polyline").count() >= 1

        knowledge = outputs.locator(".jp-DeepFix-knowledge").first
        knowledge.wait_for(state="visible", timeout=TIMEOUT_MS)
        entries = bundles[MIME_KNOWLEDGE]["results"]
        assert knowledge.locator(".jp-DeepFix-entry").count() == len(entries)

        # No kernel was started: the outputs came from the file alone.
        assert not [s for s in jupyterlab.sessions() if s["path"].endswith(name)]

        # Collapse the file browser, so the notebook gets the width (cosmetic only).
        left_tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
        if left_tab.count():
            left_tab.first.click()
        light = _colours(analysis)
        _shoot(browser_page, analysis, "labextension-light.png")
        _shoot(browser_page, overfitting, "labextension-light-findings.png")
        _shoot(browser_page, comparison, "labextension-light-comparison.png")

        _switch_theme(page, "JupyterLab Dark")
        dark = _colours(analysis)
        _shoot(browser_page, analysis, "labextension-dark.png")
        _shoot(browser_page, overfitting, "labextension-dark-findings.png")
        _shoot(
            browser_page, analysis.locator(".jp-DeepFix-findings"), "labextension-dark-filters.png"
        )
        # The view follows the theme: dark surface and light text in the dark theme, and the
        # other way round; the severity badges keep their (theme-independent) fills.
        assert _luminance(light["background"]) > 0.8 > 0.2 > _luminance(dark["background"])
        assert _luminance(light["color"]) < 0.3 < 0.7 < _luminance(dark["color"])
        assert light["badge"] == dark["badge"]
    except BaseException:
        print(f"JupyterLab's log (last lines):\n{jupyterlab.logtail()}")
        print("browser errors:\n" + "\n".join(browser_page.errors))
        raise
    finally:
        print(f"{time.monotonic() - started:.1f} s")
        if page.evaluate("document.body.dataset.jpThemeLight") == "false":
            _switch_theme(page, "JupyterLab Light")  # the server's settings outlive this test
        jupyterlab.leave_clean(page, [name])
    deepfix_errors = [e for e in browser_page.errors if "deepfix" in e.lower()]
    assert not deepfix_errors, "\n".join(deepfix_errors)


def _palette_command(page: Any, label: str) -> None:
    """Open the command palette (Ctrl+Shift+C), find ``label`` and run it."""
    page.locator(".jp-Notebook").first.click()  # focus the notebook, not the file browser
    page.keyboard.press("Control+Shift+C")
    search = page.locator(".jp-ModalCommandPalette .lm-CommandPalette-input")
    search.wait_for(state="visible", timeout=10_000)
    search.fill(label)
    item = page.locator(".jp-ModalCommandPalette .lm-CommandPalette-item", has_text=label)
    item.first.wait_for(state="visible", timeout=10_000)
    item.first.click()


def _answer_dialog(page: Any, text: str) -> Any:
    dialog = page.locator(".jp-Dialog")
    dialog.first.wait_for(state="visible", timeout=10_000)
    dialog.locator("input").fill(text)
    dialog.get_by_role("button", name="Analyze").click()
    return dialog


def _source(cell: Any) -> str:
    return cell.locator(".cm-content").inner_text().replace("\u00a0", " ").strip()  # type: ignore[no-any-return]


def test_analyze_command_inserts_and_runs_the_magic(jupyterlab: Any, browser_page: Any) -> None:
    page = browser_page.page
    notebook = {
        "cells": [{"cell_type": "code", "execution_count": None, "id": "first", "metadata": {},
                   "outputs": [], "source": "x = 1"}],
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                    "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    (jupyterlab.root / "command.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    try:
        page.goto(f"{jupyterlab.url}/lab/tree/command.ipynb?reset", wait_until="domcontentloaded")
        panel = page.locator(".jp-NotebookPanel").first
        panel.wait_for(state="visible", timeout=TIMEOUT_MS)
        idle = page.locator(".jp-StatusBar-Widget").get_by_text(re.compile(r"\| Idle\s*$"))
        idle.first.wait_for(state="visible", timeout=TIMEOUT_MS)
        cells = panel.locator(".jp-Notebook .jp-Cell")
        cells.first.click()

        # A first analysis: the kernel has no %deepfix yet, so the cell loads the extension.
        _palette_command(page, "DeepFix: Analyze run")
        _answer_dialog(page, "runs/overfitting").first.wait_for(state="detached", timeout=10_000)
        cells.nth(1).wait_for(state="visible", timeout=10_000)
        assert cells.count() == 2
        expected = "%load_ext deepfix_notebook\n%deepfix analyze runs/overfitting"
        assert _source(cells.nth(1)) == expected
        # Live too, the native view outranks the AnalysisWidget the output also carries.
        output = cells.nth(1).locator(".jp-DeepFix-analysis").first
        output.wait_for(state="visible", timeout=TIMEOUT_MS)
        assert "overfitting" in output.inner_text().lower()
        assert cells.nth(1).locator(".deepfix-widget").count() == 0
        browser_page.screenshot("labextension-command.png")

        # A bad answer is refused in the dialog, with the reason; cancelling inserts nothing.
        _palette_command(page, "DeepFix: Analyze run")
        dialog = _answer_dialog(page, "--all")
        dialog.get_by_text('cannot start with "-"').wait_for(state="visible", timeout=10_000)
        dialog.get_by_role("button", name="Cancel").click()
        dialog.first.wait_for(state="detached", timeout=10_000)
        assert cells.count() == 2

        # Now the magics are loaded: no %load_ext, and a path with a space is quoted.
        _palette_command(page, "DeepFix: Analyze run")
        _answer_dialog(page, "runs/no such run").first.wait_for(state="detached", timeout=10_000)
        cells.nth(2).wait_for(state="visible", timeout=10_000)
        assert _source(cells.nth(2)) == '%deepfix analyze "runs/no such run"'
        error = cells.nth(2).locator(".deepfix-error")
        error.wait_for(state="visible", timeout=TIMEOUT_MS)
        assert "runs/no such run" in error.inner_text()  # one argument reached the magic
    except BaseException:
        print(f"JupyterLab's log (last lines):\n{jupyterlab.logtail()}")
        print("browser errors:\n" + "\n".join(browser_page.errors))
        browser_page.screenshot("labextension-command-failure.png")
        raise
    finally:
        jupyterlab.leave_clean(page, ["command.ipynb"])
    deepfix_errors = [e for e in browser_page.errors if "deepfix" in e.lower()]
    assert not deepfix_errors, "\n".join(deepfix_errors)
