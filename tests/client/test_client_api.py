"""The client's surface as users meet it: typed exceptions by error code, offline modes
(``fallback`` by default: training goes on without analysis), ``analyze_async``, and the
configuration objects."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from client_helpers import FakeClock, FakeJobs, Script, accepted_json, envelope, result_json

from deepfix_notebook.client import (
    AnalysisError,
    AsyncDeepFixClient,
    AuthenticationError,
    DeepFixClient,
    DeepFixConnectionError,
    DeepFixError,
    NotFoundError,
    PollingConfig,
    PollPolicy,
    RateLimitError,
    RetryConfig,
    RetryPolicy,
    ServerUnavailableError,
    ServerUnreachableWarning,
    ValidationError,
)
from deepfix_notebook.contract import AnalysisStatus, ErrorCode

URL = "http://deepfix.test"
RUN = ("run_1", "http://mlflow:5000")
NO_JITTER = RetryConfig(jitter=0.0)


def client_for(script: Script, clock: FakeClock, **kwargs: object) -> DeepFixClient:
    return DeepFixClient(
        URL,
        transport=script.transport,
        retry=NO_JITTER,
        polling=PollingConfig(initial_interval=0.1, max_interval=0.1, max_wait_time=5),
        sleep=clock.sleep,
        clock=clock,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "VALIDATION_ERROR", ValidationError),
        (413, "PAYLOAD_TOO_LARGE", ValidationError),
        (401, "UNAUTHORIZED", AuthenticationError),
        (404, "RUN_NOT_FOUND", NotFoundError),
        (404, "ARTIFACT_NOT_FOUND", NotFoundError),
        (422, "ARTIFACT_INVALID", AnalysisError),
        (429, "RATE_LIMIT_EXCEEDED", RateLimitError),
        (503, "MLFLOW_CONNECTION_ERROR", AnalysisError),
        (504, "ANALYSIS_TIMEOUT", AnalysisError),
    ],
)
def test_each_error_code_has_its_exception(
    status: int, code: str, expected: type[DeepFixError]
) -> None:
    script = Script(envelope(status, code))
    with (
        client_for(script, FakeClock(), offline_mode="strict") as client,
        pytest.raises(expected) as raised,
    ):
        client.analyze(*RUN)
    assert isinstance(raised.value, DeepFixError)  # one base to catch them all
    assert raised.value.code is ErrorCode(code) and raised.value.status_code == status


def test_invalid_requests_are_validation_errors_before_sending() -> None:
    script = Script(httpx.Response(200, json=result_json()))
    with (
        client_for(script, FakeClock()) as client,
        pytest.raises(ValidationError, match="Request not sent"),
    ):
        client.analyze("", "http://mlflow:5000")
    assert script.requests == []


def test_an_unreachable_server_is_server_unavailable_in_strict_mode() -> None:
    script = Script(httpx.ConnectError("refused"))
    with (
        client_for(script, FakeClock(), offline_mode="strict") as client,
        pytest.raises(ServerUnavailableError) as raised,
    ):
        client.analyze(*RUN)
    assert isinstance(raised.value, DeepFixConnectionError)
    assert len(script.requests) == 4  # the first try and 3 retries


def test_fallback_is_the_default_and_goes_on_without_analysis() -> None:
    script = Script(httpx.ConnectError("refused"))
    with client_for(script, FakeClock()) as client:
        assert client.offline_mode == "fallback"
        with pytest.warns(ServerUnreachableWarning, match="Continuing without analysis"):
            result = client.analyze(*RUN)
        with pytest.warns(ServerUnreachableWarning):
            later = client.analyze_async(*RUN)
    for skipped in (result, later):
        assert skipped.status is AnalysisStatus.FAILED and skipped.run_id == "run_1"
        assert skipped.agent_results == [] and skipped.backend == f"{URL} (unreachable)"
        assert "could not be reached" in skipped.summary


def test_fallback_never_hides_answers_no_server_would_change() -> None:
    script = Script(envelope(404, "RUN_NOT_FOUND"))
    with client_for(script, FakeClock()) as client, pytest.raises(NotFoundError):
        client.analyze(*RUN)


def test_fallback_still_raises_for_a_submission_and_per_call_strict() -> None:
    with client_for(Script(httpx.ConnectError("refused")), FakeClock()) as client:
        with pytest.raises(ServerUnavailableError):
            client.submit(*RUN)  # there is no job to hand back
        with pytest.raises(ServerUnavailableError):
            client.analyze(*RUN, offline_mode="strict")


def test_an_unknown_offline_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="offline_mode must be 'strict' or 'fallback'"):
        DeepFixClient(URL, offline_mode="local")  # type: ignore[arg-type]


def test_analyze_async_submits_polls_and_fetches() -> None:
    jobs = FakeJobs(polls_until_done=2)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/analyze":
            assert request.headers["Prefer"] == "respond-async"
            return httpx.Response(202, json=accepted_json())
        return jobs(request)

    clock = FakeClock()
    seen: list[str] = []
    with client_for(Script(handler), clock) as client:
        result = client.analyze_async(*RUN, on_status=lambda s: seen.append(s.status.value))
        assert client.get_status("req_1").request_id == "req_1"
        assert client.get_result("req_1") is not None
    assert result.status is AnalysisStatus.COMPLETED
    assert seen[-1] == "completed" and len(seen) >= 2
    assert clock.sleeps and all(pause == 0.1 for pause in clock.sleeps)  # the polling config


def test_the_async_client_has_the_same_surface() -> None:
    async def main() -> None:
        async with AsyncDeepFixClient(
            URL, transport=httpx.MockTransport(Script(httpx.ConnectError("refused")))
        ) as client:
            client.retry = RetryConfig(max_retries=0)
            with pytest.warns(ServerUnreachableWarning):
                result = await client.analyze_async(*RUN)
            assert result.status is AnalysisStatus.FAILED
            with pytest.raises(ServerUnavailableError):
                await client.get_status("req_1")

    asyncio.run(main())


def test_configuration_objects_keep_their_former_names() -> None:
    assert RetryPolicy is RetryConfig and PollPolicy is PollingConfig
    polling = PollingConfig(initial_interval=2)
    assert DeepFixClient(URL, poll=polling).polling is polling
    assert DeepFixClient(URL, polling=polling).polling is polling
