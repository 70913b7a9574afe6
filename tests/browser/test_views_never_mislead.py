"""Views that never mislead, in a real JupyterLab with the extension (issue 16, item 3).

A notebook of saved outputs built here (no kernel): a failed analysis, a run whose loss goes on a
log axis and then breaks into NaN, and a comparison of a short run with NaNs against a long one.
What a person sees is asserted, and screenshots of both themes go to ``test-output/screenshots/``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from test_labextension import (
    MIME_ANALYSIS,
    MIME_COMPARISON,
    TIMEOUT_MS,
    _open_without_kernel,
    _saved_bundles,
    _shoot,
    _switch_theme,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

NAME = "views_never_mislead.ipynb"


def _output(mime: str, payload: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "output_type": "display_data",
        "data": {mime: payload, "text/plain": text},
        "metadata": {},
    }


def _number(value: float) -> float | str:
    return "NaN" if math.isnan(value) else value


def _notebook(root: Path) -> None:
    saved = _saved_bundles()
    result = saved[MIME_ANALYSIS]["result"]
    failed = {
        **result,
        "status": "failed",
        "agent_results": [],
        "summary": "Nothing could be analysed: the DeepFix server is unreachable.",
        "warnings": ["DeepFix server at http://127.0.0.1:9 is unreachable (connection refused)"],
    }
    steps = list(range(0, 1200, 4))
    # A loss spanning 500x (a log axis), NaN in two stretches near the end.
    loss = [2.0 * math.exp(-s / 190) + 0.003 for s in steps]
    for i, step in enumerate(steps):
        if 1000 <= step < 1040 or 1100 <= step < 1120:
            loss[i] = math.nan
    curves = {
        "x": "step",
        "has_epoch": False,
        "series": {
            "train_loss": {
                "label": "train_loss",
                "step": steps,
                "value": [_number(v) for v in loss],
            }
        },
    }
    analysis = {
        "version": 1,
        "result": result,
        "curves": curves,
        "run_name": "resnet-lr-3e-4",
        "notice": "Server http://127.0.0.1:9 unreachable; analysed by the embedded engine.",
    }
    short = list(range(40))
    comparison = {
        "version": 1,
        "metric": "val_loss",
        "align": "step",
        "results": {"short": failed | {"run_id": "short"}, "long": result | {"run_id": "long"}},
        "params": {"short": {"lr": 0.1}, "long": {"lr": 0.001}},
        "curves": {
            "short": {
                "x": "step",
                "has_epoch": False,
                "series": {
                    "val_loss": {
                        "label": "val_loss",
                        "step": short,
                        "value": ["NaN" if s >= 10 and s % 2 else 1 / (s + 1) for s in short],
                    }
                },
            },
            "long": {
                "x": "step",
                "has_epoch": False,
                "series": {
                    "val_loss": {
                        "label": "val_loss",
                        "step": [0, 50_000, 100_000],
                        "value": [1.0, 0.6, 0.5],
                    }
                },
            },
        },
        "names": {"short": "diverged-lr-0.1", "long": "baseline"},
    }
    failed_payload = {"version": 1, "result": failed, "curves": None, "run_name": "lr-3e-4"}
    cells = [
        _output(MIME_ANALYSIS, failed_payload, "failed"),
        _output(MIME_ANALYSIS, analysis, "analysis"),
        _output(MIME_COMPARISON, comparison, "comparison"),
    ]
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"display_name": "absent", "language": "absent", "name": "absent-k"},
            "language_info": {"name": "absent"},
        },
        "cells": [
            {
                "cell_type": "code",
                "id": f"mislead-{i}",
                "metadata": {},
                "execution_count": i + 1,
                "source": "",
                "outputs": [output],
            }
            for i, output in enumerate(cells)
        ],
    }
    (root / NAME).write_text(json.dumps(notebook), encoding="utf-8")


def test_failed_analyses_nan_stretches_and_log_axes_read_truthfully(
    jupyterlab: Any, browser_page: Any
) -> None:
    page = browser_page.page
    _notebook(jupyterlab.root)
    try:
        panel = _open_without_kernel(page, jupyterlab.url, NAME)
        views = panel.locator(".jp-DeepFix-analysis")
        views.nth(1).wait_for(state="visible", timeout=TIMEOUT_MS)
        failed, analysis = views.nth(0), views.nth(1)

        # A failed analysis says so, why, and what to do; it never reads as healthy.
        assert failed.locator(".jp-DeepFix-title").inner_text() == "DeepFix analysis of lr-3e-4"
        note = failed.locator(".jp-DeepFix-status-note")
        assert "The analysis failed" in note.inner_text()
        assert "127.0.0.1:9 is unreachable" in note.inner_text()
        assert "%deepfix connect local" in note.inner_text()
        assert "No problems found" not in failed.inner_text()

        # An analysis the embedded engine made for an unreachable server opens saying so.
        notice = analysis.locator(".jp-DeepFix-notice")
        assert notice.is_visible()
        assert notice.inner_text().startswith("DeepFix: Server http://127.0.0.1:9 unreachable")
        assert failed.locator(".jp-DeepFix-notice").count() == 0

        # The run's name, its id on hover.
        title = analysis.locator(".jp-DeepFix-title")
        assert "resnet-lr-3e-4" in title.inner_text()

        # The log axis reads as numbers; the NaN stretches are one mark each, with a count.
        loss = analysis.locator(".jp-DeepFix-chart svg").first
        ticks = loss.locator(".jp-DeepFix-axis text").evaluate_all(
            "ts => ts.map(t => t.textContent)"
        )
        assert "0.01" in ticks and "1" in ticks, ticks
        assert not {"2", "5"} & set(ticks[:-8]), ticks  # no bare mantissas on the y axis
        marks = loss.locator(".jp-DeepFix-nonfinite-mark")
        assert marks.count() == 2
        assert marks.evaluate_all("ms => ms.map(m => m.dataset.count)") == ["10", "5"]

        # Band labels never overlap one another.
        boxes = analysis.locator(".jp-DeepFix-band-label").evaluate_all(
            "ls => ls.map(l => { const b = l.getBoundingClientRect();"
            " return [b.left, b.top, b.right, b.bottom]; })"
        )
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
        assert analysis.locator(".jp-DeepFix-onset").count() >= 1

        # The comparison: names, a failed run's problems unknown, the short run's NaNs one mark.
        comparison = panel.locator(".jp-DeepFix-comparison").first
        matrix = comparison.locator(".jp-DeepFix-matrix")
        assert "diverged-lr-0.1" in matrix.inner_text() and "baseline" in matrix.inner_text()
        assert matrix.locator(".jp-DeepFix-cell-unknown").count() >= 1
        overlay = comparison.locator(".jp-DeepFix-chart svg").last
        assert overlay.locator(".jp-DeepFix-nonfinite-mark").count() == 1

        left_tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
        if left_tab.count():
            left_tab.first.click()
        _shoot(browser_page, failed, "mislead-light-failed.png")
        _shoot(browser_page, analysis.locator(".jp-DeepFix-curves"), "mislead-light-curves.png")
        _shoot(browser_page, comparison, "mislead-light-comparison.png")
        _switch_theme(page, "JupyterLab Dark")
        _shoot(browser_page, failed, "mislead-dark-failed.png")
        _shoot(browser_page, analysis.locator(".jp-DeepFix-curves"), "mislead-dark-curves.png")
        _shoot(browser_page, comparison, "mislead-dark-comparison.png")
    except BaseException:
        print(f"JupyterLab's log (last lines):\n{jupyterlab.logtail()}")
        print("browser errors:\n" + "\n".join(browser_page.errors))
        raise
    finally:
        if page.evaluate("document.body.dataset.jpThemeLight") == "false":
            _switch_theme(page, "JupyterLab Light")
        jupyterlab.leave_clean(page, [NAME])
    deepfix_errors = [e for e in browser_page.errors if "deepfix" in e.lower()]
    assert not deepfix_errors, "\n".join(deepfix_errors)
