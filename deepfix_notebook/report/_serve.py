"""Serving the report: `serve` blocks (``deepfix report``), `start` runs it in a daemon thread
(``%deepfix report``). Both bind the loopback interface unless told otherwise."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from deepfix_notebook.artifacts import ArtifactError
from deepfix_notebook.report._store import RunStore

if TYPE_CHECKING:
    from deepfix_notebook.backends import AnalysisBackend

TITLE = "DeepFix report"
START_TIMEOUT_S = 30.0
PAGE_SIZE = 25


@dataclass
class RunningReport:
    """A report served from a background thread."""

    url: str
    stop: Callable[[], None]


def serve(
    store: RunStore,
    backend: AnalysisBackend,
    *,
    host: str = "127.0.0.1",
    port: int = 5006,
    show: bool = False,
    out: TextIO = sys.stdout,
) -> None:
    """Serve the report until interrupted (Ctrl+C); ``port=0`` picks a free one."""
    import panel as pn

    from deepfix_notebook.report._command import ReportError

    warm(store)
    port = port or _free_port(host)
    try:
        server = pn.serve(
            _factory(store, backend),
            port=port,
            address=host,
            websocket_origin=origins(host, port),
            show=False,
            start=False,
            title=TITLE,
            verbose=False,
        )
    except OSError as error:
        raise ReportError(f"cannot listen on {host}:{port} ({error.strerror or error})") from None
    url = f"http://{_url_host(host)}:{port}/"
    if not _is_loopback(host):
        print(
            f"warning: the report listens on {host} without authentication; anyone who can reach "
            "this machine can read the runs and start analyses.",
            file=sys.stderr,
        )
    print(f"DeepFix report at {url} (Ctrl+C to stop)", file=out, flush=True)
    if show:
        server.io_loop.add_callback(server.show, "/")
    try:
        server.start()
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def start(
    store: RunStore, backend: AnalysisBackend, *, host: str = "127.0.0.1", port: int = 0
) -> RunningReport:
    """Serve the report from a daemon thread (its own event loop); ``port=0`` picks a free one."""
    import panel as pn

    warm(store)
    port = port or _free_port(host)
    ready = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        from tornado.ioloop import IOLoop

        asyncio.set_event_loop(asyncio.new_event_loop())
        loop = IOLoop.current()
        try:
            server = pn.serve(
                _factory(store, backend),
                port=port,
                address=host,
                websocket_origin=origins(host, port),
                loop=loop,
                show=False,
                start=False,
                title=TITLE,
                verbose=False,
            )
            server.start()
        except Exception as error:  # a port in use, ...: reported by the caller
            box["error"] = error
            ready.set()
            return
        box["server"], box["loop"] = server, loop
        ready.set()
        loop.start()
        server.stop()
        loop.close(all_fds=True)

    thread = threading.Thread(target=run, name="deepfix-report", daemon=True)
    thread.start()
    if not ready.wait(START_TIMEOUT_S):
        raise RuntimeError(f"the report did not start within {START_TIMEOUT_S:.0f} s")
    if "error" in box:
        raise box["error"]
    loop = box["loop"]

    def stop() -> None:
        loop.add_callback(loop.stop)
        thread.join(timeout=10)

    return RunningReport(f"http://{_url_host(host)}:{port}/", stop)


def warm(store: RunStore) -> None:
    """Import what every session needs and list the runs once, so the first visitor does not
    wait for it; a store that cannot be read is reported by the page, not here."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import plotly.graph_objects  # type: ignore[import-untyped]  # noqa: F401

    load_models()
    try:
        runs = store.runs()
    except ArtifactError:
        return
    threading.Thread(
        target=store.read_health, args=(runs[:PAGE_SIZE],), name="deepfix-report-warm", daemon=True
    ).start()


def load_models() -> None:
    """Import the Bokeh models of the Plotly and Tabulator panes: a served page bundles the
    JavaScript of every model imported, so a plot added after the first paint can render.
    (``pn.extension`` does the same, but in a Jupyter kernel it also writes to the notebook.)"""
    import panel.models.plotly
    import panel.models.tabulator  # noqa: F401


def origins(host: str, port: int) -> list[str]:
    """Websocket origins the browser may connect from: the served host (and its loopback
    aliases), or any origin when listening on every interface."""
    if host in {"0.0.0.0", "::", ""}:
        return ["*"]
    names = {host, "localhost", "127.0.0.1"} if _is_loopback(host) else {host}
    return sorted(f"{name}:{port}" for name in names)


def _factory(store: RunStore, backend: AnalysisBackend) -> Callable[[], Any]:
    """Sessions sharing the store, the backend and one worker for analyses made for display."""
    from deepfix_notebook.report._app import session_app
    from deepfix_notebook.report._background import display_analyses

    analyses = display_analyses(store, backend)

    def app() -> Any:
        return session_app(store, backend, PAGE_SIZE, analyses)

    return app


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    if host in {"0.0.0.0", "::", ""}:
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
