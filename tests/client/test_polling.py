"""Polling (CONTRACT.md §5: start 1 s, x1.5, cap 10 s, give up after max_wait_time) and the
asynchronous analysis flow, on a scripted job and a fake clock."""

from __future__ import annotations

import httpx
import pytest
from client_helpers import FakeClock, FakeJobs, Script, accepted_json, result_json, status_json

from deepfix_notebook.client import (
    DeepFixClient,
    DeepFixError,
    DeepFixTimeoutError,
    PollPolicy,
    RetryPolicy,
)
from deepfix_notebook.contract import AcceptedJob, AnalysisResult, JobState, JobStatus

URL = "http://deepfix.test"
RUN = ("run_1", "http://mlflow.test:5000")
SCHEDULE = [1.0, 1.5, 2.25, 3.375, 5.0625, 7.59375, 10.0, 10.0, 10.0]


def client_for(handler: object, clock: FakeClock, **kwargs: object) -> DeepFixClient:
    return DeepFixClient(
        URL,
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        sleep=clock.sleep,
        clock=clock,
        retry=RetryPolicy(jitter=0.0),
        offline_mode="strict",
        **kwargs,  # type: ignore[arg-type]
    )


def test_poll_intervals_grow_by_half_and_cap_at_ten() -> None:
    intervals = PollPolicy().intervals()
    assert [next(intervals) for _ in SCHEDULE] == SCHEDULE


def test_wait_polls_at_once_then_on_the_schedule_until_done(clock: FakeClock) -> None:
    jobs = FakeJobs(polls_until_done=8)
    seen: list[JobStatus] = []
    with client_for(jobs, clock) as client:
        result = client.wait("req_1", on_status=seen.append)
    assert isinstance(result, AnalysisResult)
    assert clock.sleeps == SCHEDULE[:7]
    assert [s.status for s in seen] == [JobState.RUNNING] * 7 + [JobState.COMPLETED]
    assert jobs.seen[-1] == "GET /api/v1/result/req_1"
    assert jobs.seen.count("GET /api/v1/result/req_1") == 1  # fetched once it is finished


def test_wait_gives_up_at_max_wait_time_and_says_where_the_job_stands(clock: FakeClock) -> None:
    jobs = FakeJobs(polls_until_done=10_000)
    with client_for(jobs, clock) as client, pytest.raises(DeepFixTimeoutError) as raised:
        client.wait("req_1", max_wait_time=20.0)
    # 1 + 1.5 + 2.25 + 3.375 + 5.0625 = 13.1875; the last pause is cut to the deadline.
    assert clock.sleeps == pytest.approx([1.0, 1.5, 2.25, 3.375, 5.0625, 6.8125])
    assert clock.now == pytest.approx(20.0)
    error = raised.value
    assert isinstance(error, TimeoutError)
    assert error.request_id == "req_1"
    assert error.waited == pytest.approx(20.0)
    assert error.last_status is not None and error.last_status.status is JobState.RUNNING
    assert "still running" in str(error) and "result('req_1')" in str(error)


def test_default_max_wait_time_is_three_hundred_seconds(clock: FakeClock) -> None:
    jobs = FakeJobs(polls_until_done=10_000)
    with client_for(jobs, clock) as client, pytest.raises(DeepFixTimeoutError):
        client.wait("req_1")
    assert clock.now == pytest.approx(300.0)
    assert max(clock.sleeps) == 10.0


def test_wait_returns_a_failed_result_as_data(clock: FakeClock) -> None:
    jobs = FakeJobs(polls_until_done=2, final_state="failed")
    with client_for(jobs, clock) as client:
        result = client.wait("req_1")
    assert result.status.value == "failed"
    assert clock.sleeps == [1.0]


def test_wait_raises_the_error_a_failed_job_answers_with_at_once(clock: FakeClock) -> None:
    failure = {"error": "MLFLOW_CONNECTION_ERROR", "message": "MLflow is down", "details": {}}
    script = Script(
        lambda request: (
            httpx.Response(200, json=status_json(state="failed"))
            if "/status/" in request.url.path
            else httpx.Response(503, json=failure, headers={"Retry-After": "30"})
        )
    )
    with client_for(script, clock) as client, pytest.raises(DeepFixError) as raised:
        client.wait("req_1")
    assert raised.value.code.value == "MLFLOW_CONNECTION_ERROR"
    # The job's stored error is final: fetched once, not retried like a live 503.
    assert script.paths == ["GET /api/v1/status/req_1", "GET /api/v1/result/req_1"]
    assert clock.sleeps == []


def test_unknown_job_is_request_not_found_without_retries(clock: FakeClock) -> None:
    with client_for(FakeJobs(), clock) as client, pytest.raises(DeepFixError) as raised:
        client.status("req_nope")
    assert raised.value.code.value == "REQUEST_NOT_FOUND"
    assert clock.sleeps == []


def test_result_is_none_while_the_job_runs(clock: FakeClock) -> None:
    jobs = FakeJobs(polls_until_done=1)
    with client_for(jobs, clock) as client:
        assert client.result("req_1") is None
        client.status("req_1")
        assert isinstance(client.result("req_1"), AnalysisResult)


def test_submit_asks_for_an_asynchronous_answer(clock: FakeClock) -> None:
    script = Script(httpx.Response(202, json=accepted_json()))
    with client_for(script, clock) as client:
        job = client.analyze(*RUN, wait=False)
        again = client.submit(*RUN)
    assert isinstance(job, AcceptedJob) and isinstance(again, AcceptedJob)
    assert job.request_id == "req_1"
    assert all(r.headers["Prefer"] == "respond-async" for r in script.requests)


def test_synchronous_analyze_sends_no_prefer_and_gets_the_result(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json=result_json()))
    with client_for(script, clock) as client:
        result = client.analyze(*RUN)
    assert isinstance(result, AnalysisResult)
    assert "Prefer" not in script.requests[0].headers
    assert clock.sleeps == []


def test_synchronous_analyze_follows_a_202_by_polling(clock: FakeClock) -> None:
    jobs = FakeJobs(polls_until_done=3)
    script = Script(httpx.Response(202, json=accepted_json()), jobs)
    with client_for(script, clock) as client:
        result = client.analyze(*RUN)
    assert isinstance(result, AnalysisResult)
    assert clock.sleeps == [1.0, 1.5]
    ids = {r.headers["X-Request-ID"] for r in script.requests}
    assert len(ids) == 1  # the analysis and its polls share one correlation id


def test_a_200_to_an_asynchronous_request_breaks_the_contract(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json=result_json()))
    with client_for(script, clock) as client, pytest.raises(DeepFixError) as raised:
        client.submit(*RUN)
    assert "should answer 202" in raised.value.message


def test_polls_are_retried_like_any_request(clock: FakeClock) -> None:
    jobs = FakeJobs(polls_until_done=2)
    flaky = Script(
        httpx.Response(200, json=status_json()),
        httpx.Response(503, json={"error": "INTERNAL_SERVER_ERROR", "message": "busy"}),
        jobs,
    )
    with client_for(flaky, clock) as client:
        assert isinstance(client.wait("req_1"), AnalysisResult)
    assert clock.sleeps == [1.0, 1.0, 1.5]  # poll pause, retry backoff, poll pause
