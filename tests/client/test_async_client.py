"""`AsyncDeepFixClient` behaves as `DeepFixClient`: same requests, retries, polling, errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
import pytest
from client_helpers import FakeClock, FakeJobs, Script, accepted_json, envelope, result_json

from deepfix_notebook.client import (
    AsyncDeepFixClient,
    DeepFixConnectionError,
    DeepFixError,
    DeepFixTimeoutError,
    RetryPolicy,
    correlation_id,
)
from deepfix_notebook.contract import AcceptedJob, AnalysisResult, JobState, JobStatus

URL = "http://deepfix.test"
RUN = ("run_1", "http://mlflow.test:5000")
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def client_for(handler: object, clock: FakeClock) -> AsyncDeepFixClient:
    return AsyncDeepFixClient(
        URL,
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        sleep=clock.async_sleep,
        clock=clock,
        retry=RetryPolicy(jitter=0.0),
        offline_mode="strict",
    )


def test_analyze_waits_for_the_result(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json=result_json(), headers={"X-Request-ID": "srv-9"}))

    async def main() -> AnalysisResult:
        async with client_for(script, clock) as client:
            return await client.analyze(run_id="run_1", mlflow_uri="http://mlflow.test:5000")

    result = run(main())
    assert isinstance(result, AnalysisResult)
    assert correlation_id(result) == "srv-9"
    assert "Prefer" not in script.requests[0].headers
    assert json.loads(script.requests[0].content)["mlflow_tracking_uri"] == RUN[1]


def test_submit_then_wait_polls_on_the_same_schedule(clock: FakeClock) -> None:
    jobs = FakeJobs(polls_until_done=5)
    seen: list[JobStatus] = []

    async def record(status: JobStatus) -> None:  # an async callback is awaited
        seen.append(status)

    async def main() -> tuple[AcceptedJob, AnalysisResult]:
        async with client_for(jobs, clock) as client:
            job = await client.analyze(*RUN, wait=False)
            return job, await client.wait(job.request_id, on_status=record)

    job, result = run(main())
    assert job.request_id == "req_1"
    assert isinstance(result, AnalysisResult)
    assert clock.sleeps == [1.0, 1.5, 2.25, 3.375]
    assert [s.status for s in seen][-1] is JobState.COMPLETED


def test_wait_gives_up_at_max_wait_time(clock: FakeClock) -> None:
    async def main() -> None:
        async with client_for(FakeJobs(polls_until_done=10_000), clock) as client:
            await client.wait("req_1", max_wait_time=5.0)

    with pytest.raises(DeepFixTimeoutError):
        run(main())
    assert clock.sleeps == [1.0, 1.5, 2.25, 0.25]


def test_synchronous_analyze_follows_a_202(clock: FakeClock) -> None:
    script = Script(httpx.Response(202, json=accepted_json()), FakeJobs(polls_until_done=2))

    async def main() -> AnalysisResult:
        async with client_for(script, clock) as client:
            return await client.analyze(*RUN)

    assert isinstance(run(main()), AnalysisResult)
    assert clock.sleeps == [1.0]


def test_query_knowledge_and_health(clock: FakeClock) -> None:
    script = Script(
        httpx.Response(
            200,
            json={"query": "lr", "results": []},
        ),
        httpx.Response(
            200,
            json={"status": "ok", "version": "1", "engine": "e", "job_store": "j", "queue": "q"},
        ),
    )

    async def main() -> tuple[str, str]:
        async with client_for(script, clock) as client:
            knowledge = await client.query_knowledge("lr", query_type="solution")
            health = await client.health()
            return knowledge.query, health.status

    assert run(main()) == ("lr", "ok")
    assert json.loads(script.requests[0].content)["query_type"] == "solution"


def test_retries_and_retry_after_are_the_same(clock: FakeClock) -> None:
    script = Script(
        envelope(503, "MLFLOW_CONNECTION_ERROR", headers={"Retry-After": "3"}),
        envelope(500, "INTERNAL_SERVER_ERROR"),
        envelope(500, "INTERNAL_SERVER_ERROR"),
        envelope(500, "INTERNAL_SERVER_ERROR"),
    )

    async def main() -> None:
        async with client_for(script, clock) as client:
            await client.analyze(*RUN)

    with pytest.raises(DeepFixError) as raised:
        run(main())
    assert clock.sleeps == [3.0, 2.0, 4.0]
    assert raised.value.status_code == 500
    assert len(script.requests) == 4


def test_client_errors_are_not_retried(clock: FakeClock) -> None:
    script = Script(envelope(401, "UNAUTHORIZED", "Missing or wrong API key"))

    async def main() -> None:
        async with client_for(script, clock) as client:
            await client.query_knowledge("overfitting")

    with pytest.raises(DeepFixError) as raised:
        run(main())
    assert raised.value.code.value == "UNAUTHORIZED"
    assert len(script.requests) == 1 and clock.sleeps == []


def test_refused_connection_is_retried_then_raised(refused_uri: str, clock: FakeClock) -> None:
    async def main() -> None:
        async with AsyncDeepFixClient(
            refused_uri, sleep=clock.async_sleep, clock=clock, retry=RetryPolicy(jitter=0.0)
        ) as client:
            await client.health()

    with pytest.raises(DeepFixConnectionError) as raised:
        run(main())
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert raised.value.url == refused_uri and raised.value.attempts == 4


def test_invalid_requests_are_not_sent(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json=result_json()))

    async def main() -> None:
        async with client_for(script, clock) as client:
            await client.analyze("run_1", "not a uri")

    with pytest.raises(DeepFixError) as raised:
        run(main())
    assert raised.value.status_code is None and script.requests == []
