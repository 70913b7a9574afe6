"""Liveness and readiness: `GET /api/v1/health`."""

from typing import Literal

from deepfix_notebook.contract._types import ContractModel


class HealthResponse(ContractModel):
    """The server's state and that of the parts it depends on."""

    status: Literal["ok", "degraded", "down"]
    version: str
    engine: str
    job_store: str
    queue: str
