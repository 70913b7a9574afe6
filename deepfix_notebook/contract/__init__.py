"""The contract: the one description of what crosses a boundary.

Every payload exchanged between client, server, engine and stored results is a model from
this folder (CONTRACT.md §2-4): the analysis request and result, job status, knowledge
search, health, the error envelope, and the vocabulary they use. Nothing here imports any
other part of the project.
"""

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
from deepfix_notebook.contract._errors import HTTP_STATUS, RETRYABLE, ErrorCode, ErrorResponse
from deepfix_notebook.contract._health import HealthResponse
from deepfix_notebook.contract._jobs import AcceptedJob, JobStatus
from deepfix_notebook.contract._knowledge import KnowledgeItem, KnowledgeQuery, KnowledgeResponse
from deepfix_notebook.contract._schema import json_schema, json_schemas
from deepfix_notebook.contract._sweep import (
    SweepAssociation,
    SweepBest,
    SweepBestRun,
    SweepResult,
    SweepRun,
)
from deepfix_notebook.contract._types import (
    Confidence,
    ContractModel,
    NonEmptyStr,
    UtcDateTime,
    utc_now,
)
from deepfix_notebook.contract._vocabulary import (
    PHASE_ONE_AGENTS,
    AgentName,
    AnalysisStatus,
    FaultTarget,
    JobState,
    KnowledgeDomain,
    ModelType,
    OptimizationFocus,
    Priority,
    ProblemCode,
    QueryType,
    Severity,
    TaskType,
)

__all__ = [
    "HTTP_STATUS",
    "PHASE_ONE_AGENTS",
    "RETRYABLE",
    "AcceptedJob",
    "AgentName",
    "AgentResult",
    "Analysis",
    "AnalysisContext",
    "AnalysisOptions",
    "AnalysisRequest",
    "AnalysisResult",
    "AnalysisStatus",
    "Confidence",
    "ContractModel",
    "ErrorCode",
    "ErrorResponse",
    "FaultTarget",
    "Finding",
    "HealthResponse",
    "JobState",
    "JobStatus",
    "KnowledgeDomain",
    "KnowledgeItem",
    "KnowledgeQuery",
    "KnowledgeResponse",
    "ModelType",
    "NonEmptyStr",
    "OptimizationFocus",
    "Priority",
    "ProblemCode",
    "QueryType",
    "Recommendation",
    "Severity",
    "SweepAssociation",
    "SweepBest",
    "SweepBestRun",
    "SweepResult",
    "SweepRun",
    "TaskType",
    "UtcDateTime",
    "json_schema",
    "json_schemas",
    "utc_now",
]
