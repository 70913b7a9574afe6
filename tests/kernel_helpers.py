"""A real python3 kernel for tests (jupyter_client over ZMQ), and running cells in it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def started_kernel(home: Path) -> Iterator[Any]:
    """A python3 kernel whose DeepFix home and working directory are ``home`` (no
    ``MLFLOW_TRACKING_URI`` from the test's environment); its client, shut down afterwards."""
    import jupyter_client

    env = {**os.environ, "DEEPFIX_HOME": str(home), "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(home))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run_cell(client: Any, code: str) -> list[dict[str, Any]]:
    """Execute ``code``; the iopub messages of that cell (their parent is its request)."""
    messages: list[dict[str, Any]] = []
    reply = client.execute_interactive(code, timeout=180, output_hook=messages.append)
    assert reply["content"]["status"] == "ok", reply["content"]
    return messages
