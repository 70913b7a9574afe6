"""The %deepfix magics against a real DeepFix server: connect, analyze a run id, status."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from client_helpers import API_KEY, LiveServer
from IPython.testing import globalipapp
from IPython.utils.capture import capture_output

from deepfix_notebook.notebook import MIME_ANALYSIS


@pytest.fixture
def ip() -> Iterator[Any]:
    globalipapp.start_ipython()  # once per process; later calls return None
    shell = globalipapp.get_ipython()
    assert shell is not None
    shell.display_formatter.active_types = shell.display_formatter.format_types
    shell.run_line_magic("load_ext", "deepfix_notebook")
    yield shell
    with capture_output():
        shell.run_line_magic("deepfix", "connect local")


def test_connect_and_analyze_through_the_server(ip: Any, live_server: LiveServer) -> None:
    with capture_output() as cap:
        ip.run_line_magic(
            "deepfix",
            f"connect {live_server.url} --api-key {API_KEY} "
            f"--tracking-uri {live_server.tracking_uri} --offline strict",
        )
        ip.run_line_magic("deepfix", f"analyze {live_server.run_id} --out remote")
        ip.run_line_magic("deepfix", "status")
    result = ip.user_ns["remote"]
    assert result.run_id == live_server.run_id
    assert result.backend == live_server.url
    data = next(o.data for o in cap.outputs if MIME_ANALYSIS in o.data)
    assert data[MIME_ANALYSIS]["curves"] is not None  # read from MLflow for display
    html = "".join(o.data.get("text/html", "") for o in cap.outputs)
    assert f"backend <code>{live_server.url}</code>: ok" in html
    from deepfix_notebook.backends import current

    (job,) = current().jobs()  # type: ignore[attr-defined]
    assert job.run_id == live_server.run_id and job.status.value == "completed"
