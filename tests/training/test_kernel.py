"""The live view in a real Jupyter kernel: curves and warnings as displays updated in place."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")
pytest.importorskip("plotly")

PLOTLY = "application/vnd.plotly.v1+json"
CELL = textwrap.dedent(
    """
    import math, time
    import deepfix_notebook as dfx

    with dfx.track("in-a-kernel", stop_on=["nan_loss"], analysis_mode="off") as run:
        for epoch in range(400):
            loss = 2 * math.exp(-epoch / 50) + 0.1 if epoch < 300 else float("nan")
            run.log(epoch=epoch, train_loss=loss)
            time.sleep(0.005)
            if run.should_stop:
                break
    print("stopped at", epoch, run.stop_reason.findings.code.value)
    """
)


def run_cell(code: str, env: dict[str, str]) -> list[dict[str, Any]]:
    """Execute ``code`` in a fresh python3 kernel; every iopub message of the execution."""
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel(env=env)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        messages: list[dict[str, Any]] = []
        reply = client.execute_interactive(code, timeout=120, output_hook=messages.append)
        assert reply["content"]["status"] == "ok", reply["content"]
        return messages
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.mark.slow
def test_live_view_in_a_kernel(deepfix_env: Path) -> None:
    env = {**os.environ, "DEEPFIX_HOME": str(deepfix_env), "MLFLOW_DISABLE_TELEMETRY": "true"}
    messages = run_cell(CELL, env)
    kinds = [m["msg_type"] for m in messages]
    shown = [m["content"] for m in messages if m["msg_type"] == "display_data"]
    updates = [m["content"] for m in messages if m["msg_type"] == "update_display_data"]
    curves = [c for c in shown + updates if PLOTLY in c["data"]]
    assert curves, kinds
    ids = {c["transient"]["display_id"] for c in curves}
    assert len(ids) == 1  # one output, updated in place
    # ~2 s of training: the first frame after 0.5 s, at most 2 per second, plus the last one
    assert 1 <= len(curves) <= 7
    trace_names = {t.get("name") for t in curves[-1]["data"][PLOTLY]["data"]}
    assert "train_loss" in trace_names
    alerts = [
        c for c in shown + updates if "deepfix-early-warnings" in c["data"].get("text/html", "")
    ]
    assert alerts and "nan_loss" in alerts[-1]["data"]["text/html"]
    printed = "".join(m["content"].get("text", "") for m in messages if m["msg_type"] == "stream")
    assert "stopped at 300 nan_loss" in printed
    assert "early warning" not in printed  # said in the view, not on stderr
