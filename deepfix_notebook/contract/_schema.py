"""JSON Schemas of the contract models, for documentation and for peers in other languages."""

from typing import Any

from deepfix_notebook.contract._analysis import (
    AgentResult,
    Analysis,
    AnalysisContext,
    AnalysisOptions,
    AnalysisRequest,
    AnalysisResult,
    Finding,
    Recommendation,
)
from deepfix_notebook.contract._errors import ErrorResponse
from deepfix_notebook.contract._health import HealthResponse
from deepfix_notebook.contract._jobs import AcceptedJob, JobStatus
from deepfix_notebook.contract._knowledge import KnowledgeItem, KnowledgeQuery, KnowledgeResponse
from deepfix_notebook.contract._sweep import (
    SweepAssociation,
    SweepBest,
    SweepBestRun,
    SweepResult,
    SweepRun,
)
from deepfix_notebook.contract._types import ContractModel

_MODELS: dict[str, type[ContractModel]] = {
    model.__name__: model
    for model in (
        AnalysisOptions,
        AnalysisContext,
        AnalysisRequest,
        Finding,
        Recommendation,
        Analysis,
        AgentResult,
        AnalysisResult,
        AcceptedJob,
        JobStatus,
        KnowledgeQuery,
        KnowledgeItem,
        KnowledgeResponse,
        HealthResponse,
        ErrorResponse,
        SweepRun,
        SweepAssociation,
        SweepBestRun,
        SweepBest,
        SweepResult,
    )
}


def json_schemas() -> dict[str, dict[str, Any]]:
    """Every public model's name mapped to its JSON Schema as serialised on the wire."""
    return {name: model.model_json_schema(mode="serialization") for name, model in _MODELS.items()}


def json_schema(name: str) -> dict[str, Any]:
    """The serialisation JSON Schema of one public model, by class name."""
    model = _MODELS.get(name)
    if model is None:
        raise KeyError(f"no contract model named {name!r}; known: {', '.join(sorted(_MODELS))}")
    return model.model_json_schema(mode="serialization")
