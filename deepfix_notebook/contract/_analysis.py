"""Analysis request and result: the body of `POST /api/v1/analyze` and what it answers."""

from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from deepfix_notebook.contract._types import (
    Confidence,
    ContractModel,
    NonEmptyStr,
    UtcDateTime,
    utc_now,
)
from deepfix_notebook.contract._vocabulary import (
    AgentName,
    AnalysisStatus,
    FaultTarget,
    ModelType,
    OptimizationFocus,
    Priority,
    ProblemCode,
    Severity,
    TaskType,
)

_TRACKING_SCHEMES = (
    "http",
    "https",
    "file",
    "sqlite",
    "postgresql",
    "mysql",
    "mssql",
    "databricks",
)
# SQLAlchemy URLs may name a driver: `postgresql+psycopg2://...`.
_DRIVER_SCHEMES = frozenset({"sqlite", "postgresql", "mysql", "mssql"})
_HOST_SCHEMES = frozenset({"http", "https"})
_SCHEME_HINT = f"use a URI with one of the schemes {', '.join(_TRACKING_SCHEMES)}"


def _uri_error(message: str) -> PydanticCustomError:
    # The message is data, not a template: a URI may contain braces.
    return PydanticCustomError("tracking_uri", "{message}", {"message": message})


def _check_tracking_uri(uri: str) -> str:
    # Shape only; which URIs the server will actually read is its own allowlist (§6).
    if uri.lower() == "databricks":  # MLflow's own spelling of the default Databricks workspace
        return uri
    if any(ord(char) < 33 or ord(char) == 127 for char in uri):
        raise _uri_error("URI must not contain whitespace or control characters")
    try:
        parts = urlsplit(uri)
        _ = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise _uri_error(f"Malformed URI ({exc})") from None
    scheme, _, driver = parts.scheme.lower().partition("+")
    if len(scheme) <= 1:  # `C:\mlruns` parses with scheme `c`
        raise _uri_error(f"Not a URI but a bare path; {_SCHEME_HINT}")
    if scheme not in _TRACKING_SCHEMES or (driver and scheme not in _DRIVER_SCHEMES):
        raise _uri_error(f"Scheme {parts.scheme!r} is not allowed; {_SCHEME_HINT}")
    if scheme in _HOST_SCHEMES and not parts.hostname:
        raise _uri_error(f"An {scheme} URI needs a host, such as http://localhost:5000")
    return uri


_TrackingUri = Annotated[NonEmptyStr, AfterValidator(_check_tracking_uri)]


def _check_ordered(pair: tuple[Any, Any]) -> tuple[Any, Any]:
    if pair[0] > pair[1]:
        raise PydanticCustomError(
            "range_order", "Range must be [first, last] with first less than or equal to last"
        )
    return pair


_Step = Annotated[int, Field(ge=0)]
_Epoch = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
_StepRange = Annotated[tuple[_Step, _Step], AfterValidator(_check_ordered)]
_EpochRange = Annotated[tuple[_Epoch, _Epoch], AfterValidator(_check_ordered)]


def _dedupe(values: list[OptimizationFocus]) -> list[OptimizationFocus]:
    return list(dict.fromkeys(values))


class AnalysisOptions(ContractModel):
    """What to analyse and for how long."""

    enable_training_analysis: bool = True
    enable_dataset_analysis: bool = True
    enable_deepchecks_analysis: bool = True
    optimization_focus: Annotated[list[OptimizationFocus], AfterValidator(_dedupe)] = Field(
        default_factory=list
    )
    max_analysis_time: float = Field(default=60.0, ge=30.0, le=300.0, allow_inf_nan=False)


class AnalysisContext(ContractModel):
    """What the user says about the run, when the artifacts do not say it."""

    dataset_name: str | None = None
    model_type: ModelType | None = None
    task_type: TaskType | None = None


class AnalysisRequest(ContractModel):
    """Body of `POST /api/v1/analyze`."""

    run_id: NonEmptyStr
    mlflow_tracking_uri: _TrackingUri
    analysis_options: AnalysisOptions = Field(default_factory=AnalysisOptions)
    context: AnalysisContext = Field(default_factory=AnalysisContext)


class Finding(ContractModel):
    """One thing an agent noticed, with the evidence for it."""

    description: NonEmptyStr
    evidence: NonEmptyStr
    severity: Severity
    confidence: Confidence
    code: ProblemCode | None = None
    metric: str | None = None
    step_range: _StepRange | None = None
    epoch_range: _EpochRange | None = None


class Recommendation(ContractModel):
    """One thing the user should do, and why."""

    action: NonEmptyStr
    rationale: NonEmptyStr
    priority: Priority
    confidence: Confidence
    targets: list[FaultTarget] = Field(default_factory=list)
    knowledge_refs: list[str] = Field(default_factory=list)


class Analysis(ContractModel):
    """A finding and the recommendation answering it.

    Both fields are single objects despite their plural names, exactly as on the wire.
    """

    findings: Finding
    recommendations: Recommendation


class AgentResult(ContractModel):
    """What one agent produced; `error_message` is set when it failed or timed out."""

    agent_name: NonEmptyStr
    analysis: list[Analysis] = Field(default_factory=list)
    analyzed_artifacts: list[str] = Field(default_factory=list)
    retrieved_knowledge: list[str] = Field(default_factory=list)
    additional_outputs: dict[str, Any] = Field(default_factory=dict)
    error_message: str | None = None


class AnalysisResult(ContractModel):
    """Answer to an analysis request: every agent's findings and a summary."""

    request_id: NonEmptyStr
    run_id: NonEmptyStr
    status: AnalysisStatus
    summary: str
    agent_results: list[AgentResult] = Field(default_factory=list, validate_default=True)
    execution_time: float = Field(ge=0.0, allow_inf_nan=False)
    timestamp: UtcDateTime = Field(default_factory=utc_now)
    warnings: list[str] = Field(default_factory=list)
    backend: str | None = None

    @field_validator("agent_results")
    @classmethod
    def _require_agents_unless_failed(
        cls, value: list[AgentResult], info: ValidationInfo
    ) -> list[AgentResult]:
        status = info.data.get("status")  # absent when status itself failed validation
        if not value and status is not None and status is not AnalysisStatus.FAILED:
            raise PydanticCustomError(
                "agent_results_empty",
                "At least one agent result is required unless status is 'failed'",
            )
        return value

    def findings(self, *, plan: bool = False) -> Iterator[tuple[str, Analysis]]:
        """Every analysis as `(agent_name, analysis)`, in result order.

        The optimization advisor's plan restates the other agents' findings as ordered steps;
        it is left out unless ``plan`` is true, so each problem is counted once.
        """
        for agent in self.agent_results:
            if agent.agent_name == AgentName.OPTIMIZATION.value and not plan:
                continue
            for analysis in agent.analysis:
                yield agent.agent_name, analysis

    def counts_by_severity(self) -> dict[str, int]:
        """Number of problems per severity, the plan not counted; all three keys present.

        A problem code reported by several agents (a dataset finding and the cross-artifact
        cause it explains) is one problem, counted at its worst severity.
        """
        worst: dict[ProblemCode, Severity] = {}
        counts = {severity.value: 0 for severity in Severity}
        for _, analysis in self.findings():
            finding = analysis.findings
            if finding.code is None:
                counts[finding.severity.value] += 1
            elif finding.code not in worst or finding.severity.rank > worst[finding.code].rank:
                worst[finding.code] = finding.severity
        for severity in worst.values():
            counts[severity.value] += 1
        return counts
