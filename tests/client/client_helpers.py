"""Helpers of the client tests: a fake clock, scripted HTTP answers, contract payloads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from deepfix_notebook.contract import (
    AgentResult,
    AnalysisResult,
    AnalysisStatus,
    JobState,
    JobStatus,
    utc_now,
)

# --------------------------------------------------------------------------- time


class FakeClock:
    """A monotonic clock that only moves when slept on; records every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


# --------------------------------------------------------------------------- scripted answers

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """An `httpx.MockTransport` handler answering with ``answers`` in turn (the last one
    repeats), recording every request it was sent."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    @property
    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


def envelope(
    status: int,
    code: str,
    message: str = "something went wrong",
    *,
    headers: dict[str, str] | None = None,
    details: dict[str, Any] | None = None,
) -> httpx.Response:
    """A DeepFix error answer (CONTRACT.md §4)."""
    return httpx.Response(
        status,
        json={
            "error": code,
            "message": message,
            "details": details or {},
            "timestamp": "2025-10-15T10:30:00Z",
        },
        headers=headers,
    )


def result_json(
    request_id: str = "req_1", run_id: str = "run_1", status: str = "completed"
) -> dict[str, Any]:
    agents = [] if status == "failed" else [AgentResult(agent_name="TrainingArtifactsAnalyzer")]
    return AnalysisResult(
        request_id=request_id,
        run_id=run_id,
        status=AnalysisStatus(status),
        summary="Training looks healthy.",
        agent_results=agents,
        execution_time=0.5,
    ).model_dump(mode="json")


def status_json(
    request_id: str = "req_1", state: str = "running", progress: float = 0.0
) -> dict[str, Any]:
    return JobStatus(
        request_id=request_id,
        run_id="run_1",
        status=JobState(state),
        progress=progress,
        submitted_at=utc_now(),
    ).model_dump(mode="json")


def accepted_json(request_id: str = "req_1") -> dict[str, Any]:
    return {
        "request_id": request_id,
        "status": "queued",
        "status_url": f"/api/v1/status/{request_id}",
        "result_url": f"/api/v1/result/{request_id}",
    }


@dataclass
class FakeJobs:
    """A job that finishes after ``polls_until_done`` status polls, answering like the server:
    status 200 always, result 202 + Retry-After until done, then 200."""

    polls_until_done: int = 3
    final_state: str = "completed"
    polls: int = 0
    seen: list[str] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.seen.append(f"{request.method} {path}")
        if request.method == "POST" and path == "/api/v1/analyze":
            if request.headers.get("Prefer") == "respond-async":
                return httpx.Response(
                    202, json=accepted_json(), headers={"Location": "/api/v1/status/req_1"}
                )
            return httpx.Response(200, json=result_json())
        if path == "/api/v1/status/req_1":
            self.polls += 1
            done = self.polls >= self.polls_until_done
            state = self.final_state if done else "running"
            return httpx.Response(200, json=status_json(state=state, progress=1.0 if done else 0.3))
        if path == "/api/v1/result/req_1":
            if self.polls < self.polls_until_done:
                return httpx.Response(202, json=status_json(), headers={"Retry-After": "2"})
            return httpx.Response(200, json=result_json(status=self.final_state))
        return envelope(404, "REQUEST_NOT_FOUND", f"no job at {path}")


API_KEY = "test-key"
"""The API key of the live test server."""


@dataclass(frozen=True)
class LiveServer:
    """A DeepFix server on 127.0.0.1 and the MLflow store it may read."""

    url: str
    tracking_uri: str
    run_id: str
    experiment: str
