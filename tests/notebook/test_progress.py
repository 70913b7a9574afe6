"""Progress in the cell for waits over half a second, and none for fast work: `Waiting` with
real delays in IPython's own shell (its display updates captured as a frontend receives them),
and the magics' waits (a comparison of runs read from MLflow, a status check)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.display import HTML
from IPython.utils.capture import capture_output
from notebook_helpers import rich_shell

from deepfix_notebook.notebook import _progress
from deepfix_notebook.notebook._progress import PROGRESS_AFTER_S, Waiting

PROGRESS = "deepfix-progress"


@pytest.fixture(scope="module")
def ip() -> Iterator[Any]:
    shell = rich_shell()
    yield shell
    shell.run_line_magic("unload_ext", "deepfix_notebook")


def shown(outputs: list[Any]) -> list[str]:
    """The HTML of every display and update, in the order the frontend gets them."""
    return [o.data.get("text/html", "") for o in outputs]


def kept(outputs: list[Any]) -> list[str]:
    """What stays in the cell: each display's last update."""
    by_slot: dict[str, str] = {}
    for n, output in enumerate(outputs):
        slot = (output.transient or {}).get("display_id") or str(n)
        by_slot[slot] = output.data.get("text/html", "")
    return [html for html in by_slot.values() if html]


def test_a_slow_wait_shows_progress_then_the_result_in_its_place(ip: Any) -> None:
    with capture_output() as cap:
        waiting = Waiting("analysis")
        waiting.step("reading the run")
        time.sleep(PROGRESS_AFTER_S + 0.4)
        waiting.step("running the checks", 2, 5)
        waiting.finish(HTML("<p>the result</p>"))
    html = shown(cap.outputs)
    lines = [h for h in html if PROGRESS in h]
    assert lines, html
    assert "reading the run" in lines[0] and "analysis" in lines[0]
    assert "<progress max='5' value='2'>" in lines[-1] and "2 of 5" in lines[-1]
    assert kept(cap.outputs) == ["<p>the result</p>"]  # the progress line is gone


def test_a_fast_wait_shows_no_progress(ip: Any) -> None:
    with capture_output() as cap:
        waiting = Waiting("analysis")
        time.sleep(0.05)
        waiting.finish(HTML("<p>quick</p>"))
        time.sleep(PROGRESS_AFTER_S + 0.2)  # nothing shows up late either
    assert not any(PROGRESS in h for h in shown(cap.outputs))
    assert kept(cap.outputs) == ["<p>quick</p>"]


def test_a_slow_wait_without_a_result_leaves_nothing(ip: Any) -> None:
    with capture_output() as cap, Waiting("connecting"):
        time.sleep(PROGRESS_AFTER_S + 0.3)
    assert any(PROGRESS in h for h in shown(cap.outputs))
    assert kept(cap.outputs) == []


def test_a_terminal_gets_the_result_without_progress_lines(ip: Any) -> None:
    with capture_output() as cap:
        waiting = Waiting("analysis", rich=False)
        time.sleep(PROGRESS_AFTER_S + 0.3)
        waiting.finish(HTML("<p>done</p>"))
    assert shown(cap.outputs) == ["<p>done</p>"]


def test_comparing_runs_from_mlflow_counts_them_and_a_status_check_shows_nothing(
    ip: Any, tmp_path: Path, copy_blank_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deepfix_notebook.artifacts import load_directory, log_run

    uri = copy_blank_store(tmp_path / "mlflow.db")
    examples = Path(__file__).resolve().parents[2] / "examples" / "runs"
    ids = []
    for name in ("overfitting", "diverging", "quickstart"):
        metrics = load_directory(examples / name).metrics
        ids.append(log_run(metrics=metrics, tracking_uri=uri, experiment="cmp", run_name=name))
    try:
        with capture_output():
            ip.run_line_magic("deepfix", f"connect local --tracking-uri {uri}")
        # Three MLflow reads and analyses take longer than this on any machine; the seam keeps
        # the test fast and certain (0.5 s is the threshold a person sees).
        monkeypatch.setattr(_progress, "PROGRESS_AFTER_S", 0.02)
        monkeypatch.setattr(_progress, "REFRESH_S", 0.02)
        with capture_output() as cap:
            ip.run_line_magic("deepfix", "compare " + " ".join(ids))
        lines = [h for h in shown(cap.outputs) if PROGRESS in h]
        assert lines and "comparison" in lines[-1] and " of 3" in lines[-1]
        assert not any(PROGRESS in h for h in kept(cap.outputs))
        monkeypatch.setattr(_progress, "PROGRESS_AFTER_S", 0.5)
        with capture_output() as cap:
            ip.run_line_magic("deepfix", "status")
        assert not any(PROGRESS in h for h in shown(cap.outputs))
        assert any("backend" in h for h in kept(cap.outputs))
    finally:
        with capture_output():
            ip.run_line_magic("deepfix", "connect local")


def test_a_failing_slow_wait_removes_its_progress_line(ip: Any) -> None:
    with capture_output() as cap, pytest.raises(RuntimeError), Waiting("runs"):
        time.sleep(PROGRESS_AFTER_S + 0.3)
        raise RuntimeError("MLflow went away")
    assert any(PROGRESS in h for h in shown(cap.outputs))
    assert kept(cap.outputs) == []
