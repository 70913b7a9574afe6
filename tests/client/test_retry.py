"""Retries (CONTRACT.md §5): which answers are retried, how long the client waits, Retry-After,
network errors, and what the errors carry. Faults come from scripted answers through the
``transport=`` seam; the clock is fake, so delays are checked exactly and nothing sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from client_helpers import FakeClock, Script, envelope, result_json

from deepfix_notebook.client import (
    DeepFixClient,
    DeepFixConnectionError,
    DeepFixError,
    RetryPolicy,
    correlation_id,
)
from deepfix_notebook.client._policy import parse_retry_after
from deepfix_notebook.contract import ErrorCode

URL = "http://deepfix.test"
NO_JITTER = RetryPolicy(jitter=0.0)
RUN = ("run_1", "http://mlflow.test:5000")


def client_for(script: Script, clock: FakeClock, retry: RetryPolicy = NO_JITTER) -> DeepFixClient:
    return DeepFixClient(
        URL,
        retry=retry,
        transport=script.transport,
        sleep=clock.sleep,
        clock=clock,
        offline_mode="strict",
    )


# --------------------------------------------------------------------------- the policy


def test_backoff_doubles_from_one_second_and_is_capped_at_ten() -> None:
    policy = RetryPolicy(jitter=0.0)
    assert [policy.delay(n) for n in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_jitter_adds_at_most_ten_percent() -> None:
    highest = RetryPolicy(random=lambda: 0.999999)
    lowest = RetryPolicy(random=lambda: 0.0)
    for attempt in range(5):
        base = min(2.0**attempt, 10.0)
        assert lowest.delay(attempt) == base
        assert base < highest.delay(attempt) < base * 1.1
    default = RetryPolicy()
    assert all(1.0 <= default.delay(0) <= 1.1 for _ in range(200))


def test_parse_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2025, 10, 15, 10, 30, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after(format_datetime(now + timedelta(seconds=7), usegmt=True), now=now) == 7
    assert parse_retry_after(format_datetime(now - timedelta(seconds=7), usegmt=True), now=now) == 0
    assert parse_retry_after("-4") == 0.0
    for unreadable in (None, "", "soon", "nan", "inf"):
        assert parse_retry_after(unreadable) is None


# --------------------------------------------------------------------------- what is retried


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (408, "ANALYSIS_TIMEOUT"),
        (429, "RATE_LIMIT_EXCEEDED"),
        (500, "INTERNAL_SERVER_ERROR"),
        (502, "INTERNAL_SERVER_ERROR"),
        (503, "MLFLOW_CONNECTION_ERROR"),
        (504, "ANALYSIS_TIMEOUT"),
    ],
)
def test_retryable_status_is_retried_three_times_with_backoff(
    clock: FakeClock, status: int, code: str
) -> None:
    script = Script(envelope(status, code, "try again"))
    with client_for(script, clock) as client, pytest.raises(DeepFixError) as raised:
        client.analyze(*RUN)
    assert len(script.requests) == 4  # the request and 3 retries
    assert clock.sleeps == [1.0, 2.0, 4.0]
    error = raised.value
    assert (error.status_code, error.code) == (status, ErrorCode(code))
    assert error.message == "try again"


def test_success_after_transient_failures_returns_the_result(clock: FakeClock) -> None:
    script = Script(
        envelope(502, "INTERNAL_SERVER_ERROR"),
        envelope(500, "INTERNAL_SERVER_ERROR"),
        httpx.Response(200, json=result_json()),
    )
    with client_for(script, clock) as client:
        result = client.analyze(*RUN)
    assert result.summary == "Training looks healthy."
    assert clock.sleeps == [1.0, 2.0]
    # One logical request: the same correlation id on every attempt, and the same body.
    ids = {r.headers["X-Request-ID"] for r in script.requests}
    assert len(ids) == 1
    assert len({r.content for r in script.requests}) == 1


def test_jittered_delays_stay_within_ten_percent(clock: FakeClock) -> None:
    script = Script(envelope(500, "INTERNAL_SERVER_ERROR"))
    with (
        client_for(script, clock, RetryPolicy(random=lambda: 0.5)) as client,
        pytest.raises(DeepFixError),
    ):
        client.health()
    assert clock.sleeps == pytest.approx([1.05, 2.1, 4.2])


def test_delays_are_capped_at_ten_seconds(clock: FakeClock) -> None:
    script = Script(envelope(503, "MLFLOW_CONNECTION_ERROR"))
    policy = RetryPolicy(max_retries=6, jitter=0.0, max_total_wait=60.0)
    with client_for(script, clock, policy) as client, pytest.raises(DeepFixError):
        client.health()
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "VALIDATION_ERROR"),
        (401, "UNAUTHORIZED"),
        (404, "RUN_NOT_FOUND"),
        (404, "REQUEST_NOT_FOUND"),
        (413, "PAYLOAD_TOO_LARGE"),
        (422, "ARTIFACT_INVALID"),
    ],
)
def test_other_client_errors_are_never_retried(clock: FakeClock, status: int, code: str) -> None:
    script = Script(
        envelope(status, code, "fix the request", details={"field": "run_id"}),
        httpx.Response(200, json=result_json()),
    )
    with client_for(script, clock) as client, pytest.raises(DeepFixError) as raised:
        client.analyze(*RUN)
    assert len(script.requests) == 1
    assert clock.sleeps == []
    assert raised.value.code is ErrorCode(code)
    assert raised.value.details == {"field": "run_id"}
    assert raised.value.status_code == status


# --------------------------------------------------------------------------- Retry-After


def test_retry_after_seconds_replace_the_backoff(clock: FakeClock) -> None:
    script = Script(
        envelope(503, "MLFLOW_CONNECTION_ERROR", headers={"Retry-After": "5"}),
        envelope(429, "RATE_LIMIT_EXCEEDED", headers={"Retry-After": "3"}),
        envelope(500, "INTERNAL_SERVER_ERROR"),  # none given: the computed backoff
        httpx.Response(200, json=result_json()),
    )
    with client_for(script, clock) as client:
        client.analyze(*RUN)
    assert clock.sleeps == [5.0, 3.0, 4.0]


def test_retry_after_gets_jitter_on_top_never_below(clock: FakeClock) -> None:
    script = Script(
        envelope(429, "RATE_LIMIT_EXCEEDED", headers={"Retry-After": "5"}),
        httpx.Response(200, json=result_json()),
    )
    with client_for(script, clock, RetryPolicy(random=lambda: 0.5)) as client:
        client.analyze(*RUN)
    assert clock.sleeps == pytest.approx([5.25])


def test_retry_after_as_http_date_is_honoured(clock: FakeClock) -> None:
    when = datetime.now(UTC) + timedelta(seconds=10)
    script = Script(
        envelope(503, "MLFLOW_CONNECTION_ERROR", headers={"Retry-After": format_datetime(when)}),
        httpx.Response(200, json=result_json()),
    )
    with client_for(script, clock) as client:
        client.analyze(*RUN)
    assert clock.sleeps == [pytest.approx(10.0, abs=2.0)]


def test_a_retry_after_beyond_the_budget_is_raised_at_once(clock: FakeClock) -> None:
    # What a server says when its MLflow is down (Retry-After: 30): no point in waiting 90 s.
    script = Script(envelope(503, "MLFLOW_CONNECTION_ERROR", headers={"Retry-After": "30"}))
    with client_for(script, clock) as client, pytest.raises(DeepFixError) as raised:
        client.analyze(*RUN)
    assert len(script.requests) == 1 and clock.sleeps == []
    assert raised.value.retry_after == 30.0
    assert RetryPolicy().max_total_wait == 15.0


def test_the_retry_budget_bounds_the_time_slept_for_one_request(clock: FakeClock) -> None:
    script = Script(
        envelope(429, "RATE_LIMIT_EXCEEDED", headers={"Retry-After": "6"}),
        envelope(429, "RATE_LIMIT_EXCEEDED", headers={"Retry-After": "6"}),
        envelope(429, "RATE_LIMIT_EXCEEDED", headers={"Retry-After": "6"}),
    )
    with client_for(script, clock) as client, pytest.raises(DeepFixError):
        client.analyze(*RUN)
    assert clock.sleeps == [6.0, 6.0]  # a third wait would end past 15 s: raised instead
    assert len(script.requests) == 3
    backoff, later = Script(envelope(500, "INTERNAL_SERVER_ERROR")), FakeClock()
    policy = RetryPolicy(max_retries=10, jitter=0.0)
    with client_for(backoff, later, policy) as client, pytest.raises(DeepFixError):
        client.health()
    assert later.sleeps == [1.0, 2.0, 4.0, 8.0]  # 15 s; 10 more would pass the budget


def test_the_retry_budget_counts_slow_attempts_too(clock: FakeClock) -> None:
    """A hung upstream makes each attempt slow: 6 s per attempt + 2 s waits end within 15 s."""

    def slow_503(request: httpx.Request) -> httpx.Response:
        clock.now += 6.0
        return envelope(503, "MLFLOW_CONNECTION_ERROR", headers={"Retry-After": "2"})

    script = Script(slow_503)
    with client_for(script, clock) as client, pytest.raises(DeepFixError):
        client.analyze(*RUN)
    assert len(script.requests) == 2  # 6 + 2 + 6 = 14 s; another 2 + 6 would pass 15 s
    assert clock.now <= 15.0


def test_retry_after_beyond_the_cap_is_raised_not_waited_for(clock: FakeClock) -> None:
    script = Script(envelope(503, "MLFLOW_CONNECTION_ERROR", headers={"Retry-After": "3600"}))
    with client_for(script, clock) as client, pytest.raises(DeepFixError) as raised:
        client.analyze(*RUN)
    assert len(script.requests) == 1
    assert clock.sleeps == []
    assert raised.value.retry_after == 3600.0


# --------------------------------------------------------------------------- network errors


def test_refused_connection_is_retried_then_raises_with_the_url(
    refused_uri: str, clock: FakeClock
) -> None:
    with (
        DeepFixClient(
            refused_uri, retry=NO_JITTER, sleep=clock.sleep, clock=clock, offline_mode="strict"
        ) as client,
        pytest.raises(DeepFixConnectionError) as raised,
    ):
        client.analyze(*RUN, correlation_id="corr-42")
    error = raised.value
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert error.attempts == 4
    assert error.url == refused_uri
    assert refused_uri in str(error)
    assert "POST /api/v1/analyze" in str(error)
    assert "tried 4 times" in str(error)
    assert isinstance(error, ConnectionError)
    assert error.correlation_id == "corr-42"
    assert isinstance(error.__cause__, httpx.ConnectError)


@pytest.mark.parametrize(
    "fault",
    [httpx.ReadTimeout("read timed out"), httpx.RemoteProtocolError("server hung up")],
)
def test_other_network_errors_are_retried(clock: FakeClock, fault: Exception) -> None:
    script = Script(fault, httpx.Response(200, json=result_json()))
    with client_for(script, clock) as client:
        assert client.analyze(*RUN).status.value == "completed"
    assert clock.sleeps == [1.0]


def test_no_retries_policy_sends_once(clock: FakeClock) -> None:
    script = Script(envelope(503, "MLFLOW_CONNECTION_ERROR"))
    with (
        client_for(script, clock, RetryPolicy(max_retries=0)) as client,
        pytest.raises(DeepFixError),
    ):
        client.health()
    assert len(script.requests) == 1
    assert clock.sleeps == []


# --------------------------------------------------------------------------- what errors carry


def test_error_keeps_the_correlation_id_the_server_answered_with(clock: FakeClock) -> None:
    script = Script(
        envelope(404, "RUN_NOT_FOUND", "Run run_1 not found", headers={"X-Request-ID": "srv-7"})
    )
    with client_for(script, clock) as client, pytest.raises(DeepFixError) as raised:
        client.analyze(*RUN, correlation_id="mine")
    assert script.requests[0].headers["X-Request-ID"] == "mine"
    assert raised.value.correlation_id == "srv-7"
    assert correlation_id(raised.value) == "srv-7"
    assert str(raised.value) == "HTTP 404 RUN_NOT_FOUND: Run run_1 not found"


def test_answer_without_an_envelope_is_still_a_deepfix_error(clock: FakeClock) -> None:
    script = Script(httpx.Response(502, text="<html>Bad Gateway</html>"))
    with (
        client_for(script, clock, RetryPolicy(max_retries=0)) as client,
        pytest.raises(DeepFixError) as raised,
    ):
        client.health()
    assert raised.value.code is ErrorCode.INTERNAL_SERVER_ERROR
    assert raised.value.status_code == 502
    assert "502 Bad Gateway" in raised.value.message


def test_an_unknown_error_code_from_a_newer_server_is_kept(clock: FakeClock) -> None:
    script = Script(envelope(400, "QUOTA_EXCEEDED", "Monthly quota exceeded"))
    with client_for(script, clock) as client, pytest.raises(DeepFixError) as raised:
        client.health()
    assert raised.value.code is ErrorCode.VALIDATION_ERROR
    assert raised.value.details["error"] == "QUOTA_EXCEEDED"
    assert raised.value.message == "Monthly quota exceeded"


def test_an_answer_that_breaks_the_contract_is_reported(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json={"status": "fine"}))
    with client_for(script, clock) as client, pytest.raises(DeepFixError) as raised:
        client.health()
    assert "not a valid HealthResponse" in raised.value.message
    assert len(script.requests) == 1
