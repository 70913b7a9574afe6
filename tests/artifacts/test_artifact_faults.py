"""Artifacts MLflow must not or cannot serve, read with real MLflow (SQLite stores, a real
``mlflow server``): a link out of the run's artifacts, a FIFO, a plain HTTP artifact location,
a run id that is a path. Each is a permanent error naming what to fix (ARTIFACT_INVALID,
VALIDATION_ERROR), never MLFLOW_CONNECTION_ERROR (which clients retry), a hang or a crash."""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

import pytest
from mlflow import MlflowClient

from deepfix_notebook.artifacts import (
    ArtifactError,
    load_directory,
    load_mlflow_run,
    load_run,
    log_run,
    write_run,
)
from deepfix_notebook.backends import LocalBackend
from deepfix_notebook.contract import HTTP_STATUS, ErrorCode

METRICS = "training_artifacts/metrics.csv"
T = TypeVar("T")


def artifact_dir(uri: str, run_id: str) -> Path:
    parsed = urlparse(MlflowClient(tracking_uri=uri).get_run(run_id).info.artifact_uri)
    return Path(unquote(parsed.path))


def within(seconds: float, call: Callable[[], T]) -> T:
    """``call()`` in a daemon thread; fails the test if it has not returned in ``seconds``
    (opening a FIFO for reading would block it for good)."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(("ok", call()))
        except BaseException as exc:
            outcome.append(("raised", exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still blocked after {seconds} s"
    kind, value = outcome[0]
    if kind == "raised":
        raise value
    return value  # type: ignore[no-any-return]


@pytest.fixture
def store_uri(copy_blank_store: Callable[[Path], str], tmp_path: Path) -> str:
    """A real, empty SQLite store in tmp_path (experiments keep artifacts beside it)."""
    return copy_blank_store(tmp_path / "store" / "mlflow.db")


@pytest.fixture
def logged(store_uri: str, run_data: dict[str, Any]) -> tuple[str, str, Path]:
    """A run logged to a SQLite store: ``(tracking_uri, run_id, its artifact directory)``."""
    run_id = log_run(**run_data, tracking_uri=store_uri, experiment="faults")
    return store_uri, run_id, artifact_dir(store_uri, run_id)


def test_a_file_linked_out_of_the_run_is_artifact_invalid_naming_it(
    logged: tuple[str, str, Path], tmp_path: Path
) -> None:
    uri, run_id, artifacts = logged
    metrics = artifacts / METRICS
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes(metrics.read_bytes())
    metrics.unlink()
    metrics.symlink_to(outside)
    with pytest.raises(ArtifactError) as raised:
        load_mlflow_run(run_id, uri)
    error = raised.value
    assert error.code is ErrorCode.ARTIFACT_INVALID
    assert HTTP_STATUS[error.code] == 422
    assert error.file == METRICS and METRICS in error.message
    assert "outside the artifact directory" in error.message
    assert "Cannot reach" not in error.message


def test_a_folder_linked_out_of_the_run_is_artifact_invalid_naming_it(
    logged: tuple[str, str, Path], tmp_path: Path
) -> None:
    uri, run_id, artifacts = logged
    folder = artifacts / "training_artifacts"
    folder.rename(tmp_path / "moved")
    folder.symlink_to(tmp_path / "moved", target_is_directory=True)
    with pytest.raises(ArtifactError) as raised:
        load_mlflow_run(run_id, uri)
    assert raised.value.code is ErrorCode.ARTIFACT_INVALID
    assert raised.value.file == "training_artifacts"


def test_a_fifo_in_the_run_is_artifact_invalid_and_never_opened(
    logged: tuple[str, str, Path],
) -> None:
    uri, run_id, artifacts = logged
    (artifacts / METRICS).unlink()
    os.mkfifo(artifacts / METRICS)
    with pytest.raises(ArtifactError) as raised:
        within(20, lambda: load_mlflow_run(run_id, uri))
    assert raised.value.code is ErrorCode.ARTIFACT_INVALID
    assert raised.value.file == METRICS
    assert "not a regular file" in raised.value.message
    assert str(artifacts) not in raised.value.message  # the store's own paths stay private


def test_a_fifo_in_a_run_directory_is_artifact_invalid(
    tmp_path: Path, run_data: dict[str, Any]
) -> None:
    root = write_run(tmp_path / "run", **run_data)
    (root / METRICS).unlink()
    os.mkfifo(root / METRICS)
    with pytest.raises(ArtifactError) as raised:
        within(20, lambda: load_directory(root))
    assert raised.value.code is ErrorCode.ARTIFACT_INVALID
    assert raised.value.file == METRICS


@pytest.fixture
def plain_http_host() -> Iterator[tuple[str, list[str]]]:
    """A web server on 127.0.0.1 that is no MLflow: ``(its URL, the paths asked of it)``."""
    asked: list[str] = []

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>not MLflow</html>")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_plain_http_artifact_location_is_refused_before_any_request(
    store_uri: str, plain_http_host: tuple[str, list[str]]
) -> None:
    host, asked = plain_http_host
    client = MlflowClient(tracking_uri=store_uri)
    experiment = client.create_experiment("plain-http", artifact_location=f"{host}/some/path")
    run_id = client.create_run(experiment).info.run_id
    for step in range(5):
        client.log_metric(run_id, "train_loss", 1.0 / (step + 1), step=step)
    with pytest.raises(ArtifactError) as raised:
        load_mlflow_run(run_id, store_uri)
    error = raised.value
    assert error.code is ErrorCode.ARTIFACT_INVALID
    assert error.field == "artifact_location"
    assert f"{host}/some/path" in error.message and "mlflow-artifacts" in error.message
    assert asked == []


@pytest.mark.slow
def test_a_link_out_of_a_servers_artifacts_is_artifact_invalid(
    start_mlflow_server: Callable[[], Any], run_data: dict[str, Any], tmp_path: Path
) -> None:
    server = start_mlflow_server()
    run_id = log_run(**run_data, tracking_uri=server.url, experiment="links")
    destination = server.stdout.parent / "artifacts"  # the server's --artifacts-destination
    (metrics,) = destination.glob(f"**/{run_id}/artifacts/{METRICS}")
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes(metrics.read_bytes())
    metrics.unlink()
    metrics.symlink_to(outside)
    with pytest.raises(ArtifactError) as raised:
        load_mlflow_run(run_id, server.url)
    assert raised.value.code is ErrorCode.ARTIFACT_INVALID
    assert raised.value.file == METRICS
    assert "outside the artifact directory" in raised.value.message


# --------------------------------------------------------------------------- run ids are not paths


@pytest.fixture
def etc_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_data: dict[str, Any]) -> Path:
    """A valid run directory at ``../../etc`` of the working directory."""
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return write_run(tmp_path / "etc", **run_data)


@pytest.mark.parametrize("source", ["runs:/../../etc", " runs:/../../etc "])
def test_load_run_told_it_is_a_run_id_never_reads_a_directory(
    etc_run: Path, source: str, store_uri: str
) -> None:
    assert Path("../../etc").resolve() == etc_run.resolve()
    for load in (
        lambda: load_run(source),
        lambda: load_run(source, tracking_uri=store_uri),
        lambda: LocalBackend(tracking_uri=store_uri).load(source),
    ):
        with pytest.raises(ArtifactError) as raised:
            load()
        assert raised.value.code is ErrorCode.VALIDATION_ERROR
        assert "32 hexadecimal characters" in raised.value.message


def test_load_run_reads_runs_ids_from_mlflow(logged: tuple[str, str, Path]) -> None:
    uri, run_id, _ = logged
    assert load_run(f"runs:/{run_id}", tracking_uri=uri).run_id == run_id
