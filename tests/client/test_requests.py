"""What the client sends: validated bodies (a bad request never leaves the process), headers,
URLs; and what it hands back (contract models, correlation ids)."""

from __future__ import annotations

import json

import httpx
import pytest
from client_helpers import FakeClock, Script, result_json

from deepfix_notebook.client import DeepFixClient, DeepFixError, correlation_id
from deepfix_notebook.contract import (
    AnalysisOptions,
    ErrorCode,
    HealthResponse,
    KnowledgeQuery,
    KnowledgeResponse,
    QueryType,
)

URL = "http://deepfix.test"

HEALTH = {"status": "ok", "version": "0.1", "engine": "e", "job_store": "j", "queue": "q"}
KNOWLEDGE = {
    "query": "overfitting",
    "results": [
        {
            "id": "dropout",
            "content": "Add dropout.",
            "source": "Srivastava 2014",
            "confidence": 0.9,
            "relevance_score": 3.2,
        }
    ],
}


def client_for(script: Script, clock: FakeClock, **kwargs: object) -> DeepFixClient:
    return DeepFixClient(
        URL,
        transport=script.transport,
        sleep=clock.sleep,
        clock=clock,
        offline_mode="strict",
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"run_id": "", "mlflow_tracking_uri": "http://mlflow:5000"}, "run_id"),
        ({"run_id": "r1"}, "mlflow_tracking_uri"),
        ({"run_id": "r1", "mlflow_tracking_uri": "/local/mlruns"}, "mlflow_tracking_uri"),
        (
            {
                "run_id": "r1",
                "mlflow_tracking_uri": "http://mlflow:5000",
                "analysis_options": {"max_analysis_time": 5},
            },
            "analysis_options.max_analysis_time",
        ),
        (
            {
                "run_id": "r1",
                "mlflow_tracking_uri": "http://mlflow:5000",
                "context": {"model_type": "quantum"},
            },
            "context.model_type",
        ),
    ],
)
def test_an_invalid_analysis_request_never_leaves_the_process(
    clock: FakeClock, kwargs: dict[str, object], field: str
) -> None:
    script = Script(httpx.Response(200, json=result_json()))
    with client_for(script, clock) as client, pytest.raises(DeepFixError) as raised:
        client.analyze(**kwargs)  # type: ignore[call-overload]
    assert script.requests == []
    error = raised.value
    assert error.code is ErrorCode.VALIDATION_ERROR
    assert error.status_code is None
    assert error.details["field"] == field
    assert error.message.startswith("Request not sent:")


def test_an_invalid_knowledge_query_never_leaves_the_process(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json=KNOWLEDGE))
    with client_for(script, clock) as client:
        for bad in (
            {"query": ""},
            {"query": "x", "max_results": 50},
            {"query": "x", "domain": "astrology"},
            {"query": "x", "query_type": "gossip"},
        ):
            with pytest.raises(DeepFixError) as raised:
                client.query_knowledge(**bad)
            assert raised.value.code is ErrorCode.VALIDATION_ERROR
    assert script.requests == []


def test_analysis_request_body_and_headers(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json=result_json(), headers={"X-Request-ID": "srv-1"}))
    with client_for(script, clock, api_key="s3cret") as client:
        result = client.analyze(
            run_id="run_1",
            mlflow_uri="http://mlflow:5000",  # seed 001's spelling
            analysis_options={"optimization_focus": ["overfitting"]},
            context={"model_type": "cnn"},
        )
    request = script.requests[0]
    assert (request.method, str(request.url)) == ("POST", f"{URL}/api/v1/analyze")
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("deepfix-notebook")
    assert len(request.headers["X-Request-ID"]) == 32
    body = json.loads(request.content)
    assert body["run_id"] == "run_1"
    assert body["mlflow_tracking_uri"] == "http://mlflow:5000"
    assert body["analysis_options"]["optimization_focus"] == ["overfitting"]
    assert body["analysis_options"]["max_analysis_time"] == 60.0
    assert body["context"]["model_type"] == "cnn"
    assert correlation_id(result) == "srv-1"


def test_options_may_be_contract_models(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json=result_json()))
    with client_for(script, clock) as client:
        client.analyze("run_1", "http://mlflow:5000", AnalysisOptions(max_analysis_time=120))
    assert json.loads(script.requests[0].content)["analysis_options"]["max_analysis_time"] == 120


def test_synchronous_analyze_waits_as_long_as_the_analysis_may_take(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json=result_json()), httpx.Response(200, json=HEALTH))
    with client_for(script, clock, timeout=10.0) as client:
        client.analyze("run_1", "http://mlflow:5000", {"max_analysis_time": 200})
        client.health()
    analysis, health = (r.extensions["timeout"]["read"] for r in script.requests)
    assert (analysis, health) == (230.0, 10.0)


def test_without_api_key_there_is_no_authorization_header(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json=HEALTH))
    with client_for(script, clock) as client:
        assert isinstance(client.health(), HealthResponse)
    assert "Authorization" not in script.requests[0].headers
    assert script.requests[0].extensions["timeout"]["read"] == 60.0


def test_a_given_correlation_id_is_sent_and_kept_when_the_server_echoes_none(
    clock: FakeClock,
) -> None:
    script = Script(httpx.Response(200, json=HEALTH))
    with client_for(script, clock) as client:
        health = client.health(correlation_id="trace-abc")
    assert script.requests[0].headers["X-Request-ID"] == "trace-abc"
    assert correlation_id(health) == "trace-abc"
    assert correlation_id(object()) is None


def test_query_knowledge_sends_the_query_and_returns_the_response(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json=KNOWLEDGE))
    with client_for(script, clock) as client:
        response = client.query_knowledge(
            "How to prevent overfitting in CNNs?", domain="training", max_results=3
        )
        again = client.query_knowledge(KnowledgeQuery(query="lr", query_type=QueryType.DIAGNOSTIC))
    assert isinstance(response, KnowledgeResponse) and isinstance(again, KnowledgeResponse)
    assert response.results[0].id == "dropout"
    first, second = (json.loads(r.content) for r in script.requests)
    assert script.requests[0].url.path == "/api/v1/knowledge/query"
    assert first == {
        "query": "How to prevent overfitting in CNNs?",
        "domain": "training",
        "query_type": "best_practice",
        "max_results": 3,
        "min_confidence": 0.7,
    }
    assert second["query_type"] == "diagnostic"


@pytest.mark.parametrize(
    "given",
    ["http://deepfix.test", "http://deepfix.test/", "http://deepfix.test/api/v1/"],
)
def test_base_url_is_normalised(clock: FakeClock, given: str) -> None:
    script = Script(httpx.Response(200, json=HEALTH))
    with DeepFixClient(given, transport=script.transport) as client:
        client.health()
        assert client.base_url == "http://deepfix.test"
    assert str(script.requests[0].url) == "http://deepfix.test/api/v1/health"


def test_a_path_prefix_is_kept(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json=HEALTH))
    with DeepFixClient(server_url="http://proxy.test/deepfix", transport=script.transport) as c:
        c.health()
    assert str(script.requests[0].url) == "http://proxy.test/deepfix/api/v1/health"


@pytest.mark.parametrize("bad", ["localhost:8000", "ftp://host", "http://", ""])
def test_a_bad_base_url_is_refused_at_once(bad: str) -> None:
    with pytest.raises(ValueError, match="DeepFix server URL"):
        DeepFixClient(bad)


def test_job_ids_are_escaped_in_paths(clock: FakeClock) -> None:
    script = Script(httpx.Response(202))
    with client_for(script, clock) as client:
        assert client.result("a/b?c") is None
        with pytest.raises(ValueError):
            client.status(" ")
    assert script.requests[0].url.raw_path == b"/api/v1/result/a%2Fb%3Fc"
