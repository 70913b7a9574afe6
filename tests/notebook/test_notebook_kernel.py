"""The notebook behaviours in a real Jupyter kernel (ipykernel over ZMQ, as JupyterLab runs it):
no library log line in any output, progress routed to the cell that waits, and ``fallback`` to
the embedded engine said on top of the result, against a refused 127.0.0.1 port and a real
MLflow SQLite store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kernel_helpers import run_cell, started_kernel
from notebook_helpers import notice_on_top

jupyter_client = pytest.importorskip("jupyter_client")

MIME = "application/vnd.deepfix.analysis+json"
RUN = "0123456789abcdef0123456789abcdef"
NOISE = ("INFO", "WARNING", "alembic", "mlflow.store", "Warning:")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "runs"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A python3 kernel with ``%load_ext deepfix_notebook``, MLflow not yet imported."""
    with started_kernel(tmp_path_factory.mktemp("kernel-home")) as client:
        run_cell(client, "%load_ext deepfix_notebook")
        yield client


def streams(messages: list[dict[str, Any]]) -> str:
    return "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")


def kept(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The outputs a frontend keeps: each display as its last update, and the cell's value."""
    out: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    for message in messages:
        content, kind = message["content"], message["msg_type"]
        display_id = content.get("transient", {}).get("display_id")
        if kind in ("display_data", "execute_result"):
            out.append(dict(content["data"]))
            if display_id:
                by_id[display_id] = out[-1]
        elif kind == "update_display_data":
            by_id[display_id].clear()
            by_id[display_id].update(content["data"])
    return [data for data in out if any(data.values())]


def progress_updates(messages: list[dict[str, Any]]) -> list[str]:
    return [
        m["content"]["data"]["text/html"]
        for m in messages
        if m["msg_type"] == "update_display_data"
        and "deepfix-progress" in m["content"]["data"].get("text/html", "")
    ]


@pytest.mark.slow
def test_first_mlflow_use_logs_nothing_and_the_wait_shows_progress(
    kernel: Any, tmp_path: Path
) -> None:
    fresh = tmp_path / "fresh.db"
    sqlite3.connect(fresh).close()  # MLflow creates its tables on first use, logging INFO
    messages = run_cell(kernel, f"%deepfix analyze {RUN} --tracking-uri sqlite:///{fresh}")
    assert not any(word in streams(messages) for word in NOISE), streams(messages)
    outputs = kept(messages)
    assert len(outputs) == 1 and "RUN_NOT_FOUND" in outputs[0]["text/html"]
    # importing MLflow and migrating the store takes seconds: progress showed, in this cell
    assert progress_updates(messages), [m["msg_type"] for m in messages]

    again = tmp_path / "again.db"
    sqlite3.connect(again).close()
    messages = run_cell(
        kernel,
        "import deepfix_notebook as dfx\n"
        "from deepfix_notebook.artifacts import ArtifactError\n"
        f"try:\n    dfx.analyze('{RUN}', tracking_uri='sqlite:///{again}')\n"
        "except ArtifactError as error:\n    print(error.code.value)",
    )
    assert streams(messages) == "RUN_NOT_FOUND\n"


@pytest.mark.slow
def test_fast_work_shows_no_progress(kernel: Any) -> None:
    messages = run_cell(kernel, "%deepfix status")
    assert progress_updates(messages) == []
    assert "backend" in kept(messages)[0]["text/html"]


@pytest.mark.slow
def test_fallback_answers_with_the_embedded_engine_and_says_so(
    kernel: Any, refused_uri: str, copy_blank_store: Any, tmp_path: Path
) -> None:
    from deepfix_notebook.artifacts import load_directory, log_run

    uri = copy_blank_store(tmp_path / "mlflow.db")
    metrics = load_directory(EXAMPLES / "overfitting").metrics
    run_id = log_run(metrics=metrics, tracking_uri=uri, experiment="fb", run_name="over")
    try:
        messages = run_cell(kernel, f"%deepfix connect {refused_uri} --tracking-uri {uri}")
        assert "offline mode <code>fallback</code>" in kept(messages)[0]["text/html"]

        messages = run_cell(kernel, f"%deepfix analyze {run_id}")
        assert streams(messages) == ""  # no raw warning with a source line
        # the live widget alone: it opens with the notice (its payload's), as does the HTML its
        # bundle carries for hosts without widgets
        (view,) = kept(messages)
        notice = f"Server {refused_uri} unreachable; analysed by the embedded engine"
        assert "application/vnd.jupyter.widget-view+json" in view
        assert notice in notice_on_top(view["text/html"])
        assert view["text/plain"].startswith(notice)
        assert view[MIME]["notice"].startswith(notice)
        assert view[MIME]["result"]["warnings"][0].startswith(notice)
        assert view[MIME]["result"]["backend"] == "local (server unreachable)"
        assert view[MIME]["result"]["status"] == "completed"

        messages = run_cell(kernel, f"dfx.analyze('{RUN}')")  # in no store: nothing can read it
        assert streams(messages) == ""
        value = next(m["content"]["data"] for m in messages if m["msg_type"] == "execute_result")
        assert value[MIME]["result"]["status"] == "failed"
        assert "The analysis failed" in value["text/html"]
        assert "No problems found" not in value["text/html"]
        assert "healthy" not in value["text/plain"].lower()
        assert "could not read the run here either" in value["text/html"]
    finally:
        run_cell(kernel, "%deepfix connect local")
