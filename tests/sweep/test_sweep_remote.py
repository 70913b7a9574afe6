"""A sweep through a DeepFix server: every run a job of the server, which reads the store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from conftest import Sweep

from deepfix_notebook.backends import RemoteBackend
from deepfix_notebook.sweeps import run_sweep


@pytest.fixture
def server(make_sweep: Callable[..., Sweep], tmp_path: object) -> Iterator[tuple[str, Sweep]]:
    import uvicorn

    from deepfix_notebook.server import Settings, create_app

    sweep = make_sweep(runs=12)
    settings = Settings(
        allowed_tracking_uris=[sweep.uri],
        job_store_url=f"sqlite:///{tmp_path}/jobs.db",
        max_concurrent=4,
    )
    app = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=app.run, name="deepfix-sweep-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not app.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{app.servers[0].sockets[0].getsockname()[1]}", sweep
    finally:
        app.should_exit = True
        thread.join(timeout=15)


def test_each_run_is_a_server_job(server: tuple[str, Sweep]) -> None:
    url, sweep = server
    backend = RemoteBackend(url, tracking_uri=sweep.uri, offline="strict")
    submitted: list[str] = []
    submit = backend.submit

    def counted(source: object, *args: object) -> str:
        request_id = submit(source, *args)  # type: ignore[arg-type]
        submitted.append(request_id)
        return request_id

    backend.submit = counted  # type: ignore[method-assign]
    local = run_sweep(sweep.experiment, tracking_uri=sweep.uri, reuse=False)
    remote = run_sweep(sweep.experiment, tracking_uri=sweep.uri, reuse=False, backend=backend)

    assert {run.status for run in remote.runs} == {"analysed"}
    assert remote.warnings == []
    assert [r.problems for r in remote.runs] == [r.problems for r in local.runs]
    assert len(submitted) == 12
    assert all(backend.status(request_id).status.value == "completed" for request_id in submitted)


def test_a_server_on_another_store_is_not_asked(server: tuple[str, Sweep]) -> None:
    url, sweep = server
    backend = RemoteBackend(url, tracking_uri="http://127.0.0.1:9", offline="strict")
    result = run_sweep(sweep.experiment, tracking_uri=sweep.uri, backend=backend)
    assert {run.status for run in result.runs} == {"analysed"}
    assert "Analysed in this process" in result.warnings[0]
