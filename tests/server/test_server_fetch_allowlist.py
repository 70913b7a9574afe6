"""Every URL the server fetches is on an allowlist (issue 17, F2): a run's artifact location
that is not, in any spelling, is refused with a 400 naming the setting to change and is never
contacted (a counting HTTP server sees zero requests); redirects are not followed, to anywhere."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from server_helpers import ASYNC, ENVELOPE_KEYS, StartServer, analyze_body, wait_for_status

from deepfix_notebook.server._fetch import artifact_allowed

ROUTE = "/api/2.0/mlflow-artifacts/artifacts"


@dataclass
class Counter:
    """An HTTP server on 127.0.0.1 recording every request; it answers an empty artifact
    listing, or redirects everything to ``redirect_to``."""

    url: str = ""
    seen: list[str] = field(default_factory=list)
    redirect_to: str | None = None


@contextlib.contextmanager
def counting_server(redirect_to: str | None = None) -> Iterator[Counter]:
    counter = Counter(redirect_to=redirect_to)

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            counter.seen.append(f"{self.command} {self.path}")
            if counter.redirect_to is not None:
                self.send_response(302)
                self.send_header("Location", counter.redirect_to + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps({"files": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_HEAD = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    counter.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield counter
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def counter() -> Iterator[Counter]:
    with counting_server() as server:
        yield server


@pytest.fixture
def store(copy_blank_store: Callable[[Path], str], tmp_path: Path) -> str:
    return copy_blank_store(tmp_path / "store" / "mlflow.db")


def _run_at(uri: str, location: str) -> str:
    """A run with MLflow metric history, in an experiment whose artifacts are at ``location``."""
    client = MlflowClient(tracking_uri=uri)
    name = f"at-{uuid.uuid4().hex[:12]}"
    experiment = client.create_experiment(name, artifact_location=location)
    run_id: str = client.create_run(experiment).info.run_id
    for step in range(12):
        client.log_metric(run_id, "train_loss", 1.0 / (step + 1), step=step)
    return run_id


LOCATIONS = {
    "http": lambda url: f"{url}{ROUTE}/runs",
    "mlflow-artifacts-host": lambda url: f"{url.replace('http', 'mlflow-artifacts', 1)}/runs",
    "credentials": lambda url: f"{url.replace('//', '//user:pw@', 1)}{ROUTE}/runs",
}


@pytest.mark.parametrize("spelling", sorted(LOCATIONS))
def test_an_artifact_location_off_the_allowlist_is_refused_and_never_contacted(
    start_server: StartServer, store: str, counter: Counter, spelling: str
) -> None:
    location = LOCATIONS[spelling](counter.url)
    run_id = _run_at(store, location)
    server = start_server(allowed_tracking_uris=[store])
    with server.client() as http:
        answer = http.post("/api/v1/analyze", json=analyze_body(run_id, store))
        assert answer.status_code == 400, answer.text
        envelope = answer.json()
        assert set(envelope) == ENVELOPE_KEYS and envelope["error"] == "VALIDATION_ERROR"
        assert envelope["details"]["field"] == "artifact_location"
        assert envelope["details"]["setting"] == "DEEPFIX_ALLOWED_ARTIFACT_URIS"
        assert "DEEPFIX_ALLOWED_ARTIFACT_URIS" in envelope["message"]
        assert "pw" not in answer.text

        body = analyze_body(run_id, store, max_analysis_time=31)
        accepted = http.post("/api/v1/analyze", json=body, headers=ASYNC).json()
        wait_for_status(http, accepted["request_id"], {"failed"})
        result = http.get(accepted["result_url"])
        assert result.status_code == 400 and result.json()["error"] == "VALIDATION_ERROR"
    assert counter.seen == []


def test_a_real_mlflow_servers_runs_with_foreign_artifact_locations_are_refused(
    start_server: StartServer,
    start_mlflow_server: Callable[[], Any],
    counter: Counter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On an ``mlflow server`` (an HTTP store) that accepts host-addressed artifact locations
    (older MLflow, or this setting), neither another host nor the DeepFix server's own disk is
    read; the store's proxied artifacts are (test_server_artifact_faults)."""
    monkeypatch.setenv("MLFLOW_ALLOWED_HOST_ADDRESSED_ARTIFACT_SCHEMES", "http,mlflow-artifacts")
    mlflow = start_mlflow_server().url
    locations = {
        "http": f"{counter.url}{ROUTE}/x",
        "mlflow-artifacts": counter.url.replace("http", "mlflow-artifacts", 1) + "/x",
        "local": (tmp_path / "art").as_uri(),
    }
    server = start_server(allowed_tracking_uris=[mlflow])
    with server.client() as http:
        for where, location in locations.items():
            run_id = _run_at(mlflow, location)
            answer = http.post("/api/v1/analyze", json=analyze_body(run_id, mlflow))
            assert answer.status_code == 400, (where, answer.text)
            assert answer.json()["details"]["setting"] == "DEEPFIX_ALLOWED_ARTIFACT_URIS"
    assert counter.seen == []


def test_an_artifact_location_on_the_allowlist_is_read(
    start_server: StartServer, store: str, counter: Counter
) -> None:
    run_id = _run_at(store, f"{counter.url}{ROUTE}/runs")
    server = start_server(allowed_tracking_uris=[store], allowed_artifact_uris=[counter.url])
    with server.client() as http:
        answer = http.post("/api/v1/analyze", json=analyze_body(run_id, store))
    assert answer.status_code == 200, answer.text  # no layout files: the metric history is used
    assert counter.seen and all(ROUTE in line for line in counter.seen)


def test_a_tracking_server_that_redirects_is_refused_and_the_target_never_contacted(
    start_server: StartServer, counter: Counter
) -> None:
    with counting_server(redirect_to=counter.url) as redirector:
        server = start_server(allowed_tracking_uris=[redirector.url])
        with server.client() as http:
            answer = http.post("/api/v1/analyze", json=analyze_body("a" * 32, redirector.url))
    assert answer.status_code == 400, answer.text
    envelope = answer.json()
    assert envelope["error"] == "VALIDATION_ERROR"
    assert envelope["details"]["field"] == "mlflow_tracking_uri"
    assert "redirect" in envelope["message"]
    assert redirector.seen, "the allowed server was asked"
    assert counter.seen == []


def test_an_artifact_route_that_redirects_is_not_followed(
    start_server: StartServer, store: str, counter: Counter
) -> None:
    with counting_server(redirect_to=counter.url) as redirector:
        run_id = _run_at(store, f"{redirector.url}{ROUTE}/runs")
        server = start_server(allowed_tracking_uris=[store], allowed_artifact_uris=[redirector.url])
        with server.client() as http:
            answer = http.post("/api/v1/analyze", json=analyze_body(run_id, store))
    assert 400 <= answer.status_code < 600 and answer.status_code != 500, answer.text
    assert redirector.seen
    assert counter.seen == []


# --------------------------------------------------------------------------- the rule alone

SQLITE = "sqlite:////srv/mlflow.db"
HTTP = "http://mlflow:5000"


@pytest.mark.parametrize(
    ("artifact_uri", "tracking_uri", "allowed", "expected"),
    [
        ("mlflow-artifacts:/1/abc/artifacts", HTTP, [], True),
        ("http://mlflow:5000/api/2.0/mlflow-artifacts/artifacts/1", HTTP, [], True),
        ("http://user:pw@mlflow:5000/api/2.0/mlflow-artifacts/artifacts", HTTP, [], True),
        ("mlflow-artifacts://mlflow:5000/1", HTTP, [], True),
        ("http://127.0.0.1:9/api/2.0/mlflow-artifacts/artifacts", HTTP, [], False),
        ("mlflow-artifacts://127.0.0.1:9/1", HTTP, [], False),
        ("file:///etc", HTTP, [], False),
        ("/etc", HTTP, [], False),
        ("file:///srv/artifacts/1", SQLITE, [], True),
        ("/srv/artifacts/1", SQLITE, [], True),
        ("s3://bucket/mlflow/1", SQLITE, [], False),
        ("s3://bucket/mlflow/1", SQLITE, ["s3://bucket/mlflow"], True),
        ("s3://bucket/mlflow-other/1", SQLITE, ["s3://bucket/mlflow"], False),
        ("s3://BUCKET/mlflow/1", SQLITE, ["s3://bucket/mlflow/"], True),
        ("http://art:80/api/2.0/mlflow-artifacts/artifacts", HTTP, ["http://art"], True),
        ("http://art.evil/api", HTTP, ["http://art"], False),
        ("https://mlflow:5000/api/2.0/mlflow-artifacts/artifacts", HTTP, [], True),
    ],
)
def test_which_artifact_locations_are_allowed(
    artifact_uri: str, tracking_uri: str, allowed: list[str], expected: bool
) -> None:
    assert artifact_allowed(artifact_uri, tracking_uri, allowed) is expected


def test_local_paths_are_allowed_by_a_file_entry() -> None:
    assert artifact_allowed("/data/art/1", HTTP, ["file:///data/art"])
    assert not artifact_allowed("/data/artistic", HTTP, ["file:///data/art"])
