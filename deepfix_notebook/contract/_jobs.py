"""Asynchronous analysis jobs: the 202 answer and `GET /api/v1/status/{request_id}`."""

from pydantic import Field

from deepfix_notebook.contract._types import ContractModel, NonEmptyStr, UtcDateTime
from deepfix_notebook.contract._vocabulary import JobState


class AcceptedJob(ContractModel):
    """Body of the 202 answer to `POST /api/v1/analyze` with `Prefer: respond-async`."""

    request_id: NonEmptyStr
    status: JobState
    status_url: NonEmptyStr
    result_url: NonEmptyStr


class JobStatus(ContractModel):
    """Where an asynchronous analysis job stands."""

    request_id: NonEmptyStr
    run_id: NonEmptyStr
    status: JobState
    progress: float = Field(default=0.0, ge=0.0, le=1.0, allow_inf_nan=False)
    agents_done: int = Field(default=0, ge=0)
    submitted_at: UtcDateTime
    started_at: UtcDateTime | None = None
    finished_at: UtcDateTime | None = None
    error: str | None = None
