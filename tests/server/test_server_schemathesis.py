"""Property-based tests of the server against its own OpenAPI document (schemathesis).

Requests generated from the document go to a real server (uvicorn on 127.0.0.1) that has an API
key and may read a real SQLite MLflow store with logged runs. Every answer must be documented: a
declared status code, a body matching its schema, the declared headers, and never a 500.

The document is the app's own (`openapi_yaml()`, kept equal to the served one and to
docs/api-spec.yaml by test_server_openapi), loaded at import so that pytest gets one test per
operation. Valid requests are steered (`_steer`) past the allowlist and random ids into the deep
paths: a sync analysis of a logged run, a queued job, the status and result of finished jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import schemathesis
import yaml
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from server_helpers import (
    ASYNC,
    MlflowRuns,
    RunningServer,
    StartServer,
    analyze_body,
    wait_for_status,
)

from deepfix_notebook.server import openapi_yaml

API_KEY = "schemathesis-key"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
SEED = 20251015  # reproducible in CI; change it locally to explore other inputs
SETTINGS = hypothesis.settings(
    max_examples=25,  # per operation, for the fuzzing phase (examples and coverage add a few)
    deadline=None,
    # One server serves every input of an operation on purpose: jobs and the queue carry over.
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)

_document = yaml.safe_load(openapi_yaml())
valid_requests = schemathesis.openapi.from_dict(
    _document,
    config=SchemathesisConfig.from_dict({"seed": SEED, "generation": {"mode": "positive"}}),
)
any_requests = schemathesis.openapi.from_dict(
    _document, config=SchemathesisConfig.from_dict({"seed": SEED})
)


@dataclass(frozen=True)
class Api:
    """The server under test, the store it may read, and jobs it holds."""

    server: RunningServer
    runs: MlflowRuns
    finished_jobs: tuple[str, ...]  # one completed, one failed (unknown run)


@pytest.fixture
def api(start_server: StartServer, mlflow_runs: MlflowRuns) -> Api:
    server = start_server(api_key=API_KEY, max_concurrent=2)
    jobs = []
    with server.client(headers=AUTH) as http:
        for run_id in (mlflow_runs.full, "0" * 32):
            body = analyze_body(run_id, mlflow_runs.uri)
            accepted = http.post("/api/v1/analyze", json=body, headers=ASYNC)
            assert accepted.status_code == 202, accepted.text
            request_id = accepted.json()["request_id"]
            wait_for_status(http, request_id, {"completed", "partial", "failed"})
            jobs.append(request_id)
    return Api(server, mlflow_runs, tuple(jobs))


@valid_requests.parametrize()
@valid_requests.given(data=st.data())
@SETTINGS
def test_valid_requests_are_accepted_and_answered_as_documented(
    case: schemathesis.Case, data: st.DataObject, api: Api
) -> None:
    allowed = _steer(case, data, api)
    # "Valid data is accepted" holds for requests naming an allowed store: any string is a valid
    # mlflow_tracking_uri to the document, but the server reads only the stores on its allowlist
    # (a runtime setting) and refuses the others with a 400, as CONTRACT.md §6 requires. And for
    # requests without blank strings: the contract's non-empty strings are stripped first, which
    # the document's minLength cannot say, so "\t" is refused with a 400 naming the field.
    accepted = allowed and not _has_blank_string(case.body)
    excluded = [] if accepted else [schemathesis.checks.positive_data_acceptance]
    case.call_and_validate(base_url=api.server.url, headers=AUTH, excluded_checks=excluded)


@any_requests.parametrize()
@SETTINGS
def test_any_request_gets_a_documented_answer(case: schemathesis.Case, api: Api) -> None:
    # Valid analyses here name random stores, which the allowlist refuses with a 400 (see
    # above): acceptance of valid data is the previous test's, whose requests name the store.
    excluded = [schemathesis.checks.positive_data_acceptance]
    case.call_and_validate(base_url=api.server.url, headers=AUTH, excluded_checks=excluded)


def _steer(case: schemathesis.Case, data: st.DataObject, api: Api) -> bool:
    """Point a valid request at what the server holds: most analyses name the allowed store,
    many a logged run, some ask to be queued; most job ids are those of real jobs.

    Hypothesis leans to the smallest values, so 0 stands for the deep path. Whether the request
    names an allowed store (True for the operations that name none).
    """
    if "request_id" in (case.path_parameters or {}):
        if data.draw(st.integers(0, 2), label="known job") != 2:
            job = data.draw(st.sampled_from(api.finished_jobs), label="job")
            case.path_parameters = {**(case.path_parameters or {}), "request_id": job}
        return True
    if case.operation.path != "/api/v1/analyze":
        return True
    if data.draw(st.integers(0, 1), label="queued") == 0:
        case.headers["Prefer"] = ASYNC["Prefer"]  # case-insensitive: replaces a generated one
    body: Any = case.body
    if data.draw(st.integers(0, 4), label="allowed store") == 4:
        return bool(body["mlflow_tracking_uri"] == api.runs.uri)
    body["mlflow_tracking_uri"] = api.runs.uri
    if data.draw(st.integers(0, 2), label="logged run") != 2:
        runs = [api.runs.full, api.runs.metrics_only]
        body["run_id"] = data.draw(st.sampled_from(runs), label="run")
    return True


def _has_blank_string(value: Any) -> bool:
    """Whether a JSON value holds a string of whitespace only (not the empty string)."""
    if isinstance(value, str):
        return bool(value) and not value.strip()
    if isinstance(value, dict):
        return any(_has_blank_string(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_blank_string(v) for v in value)
    return False
