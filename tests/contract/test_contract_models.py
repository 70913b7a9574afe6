"""Validation rules of every model of CONTRACT.md §2."""

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from deepfix_notebook.contract import (
    AcceptedJob,
    AgentResult,
    Analysis,
    AnalysisContext,
    AnalysisOptions,
    AnalysisRequest,
    AnalysisResult,
    AnalysisStatus,
    ErrorResponse,
    FaultTarget,
    Finding,
    HealthResponse,
    JobStatus,
    KnowledgeItem,
    KnowledgeQuery,
    KnowledgeResponse,
    OptimizationFocus,
    Priority,
    Recommendation,
    Severity,
)

ALLOWED_SCHEMES = "http, https, file, sqlite, postgresql, mysql, mssql, databricks"


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str, str]]:
    return [(".".join(map(str, e["loc"])), e["type"]) for e in exc.value.errors()]


def finding(**overrides: Any) -> dict[str, Any]:
    return {
        "description": "Validation loss rises.",
        "evidence": "val_loss 0.6 -> 0.9",
        "severity": "high",
        "confidence": 0.9,
    } | overrides


def recommendation(**overrides: Any) -> dict[str, Any]:
    return {
        "action": "Add early stopping.",
        "rationale": "No improvement for 18 epochs.",
        "priority": "medium",
        "confidence": 0.8,
    } | overrides


def agent(name: str = "TrainingArtifactsAnalyzer", *severities: str) -> dict[str, Any]:
    return {
        "agent_name": name,
        "analysis": [
            {"findings": finding(severity=severity), "recommendations": recommendation()}
            for severity in severities
        ],
    }


def result(**overrides: Any) -> dict[str, Any]:
    return {
        "request_id": "req_1",
        "run_id": "run_1",
        "status": "completed",
        "summary": "All good.",
        "agent_results": [agent()],
        "execution_time": 1.5,
    } | overrides


# AnalysisOptions


def test_analysis_options_defaults() -> None:
    options = AnalysisOptions()
    assert options.enable_training_analysis
    assert options.enable_dataset_analysis
    assert options.enable_deepchecks_analysis
    assert options.optimization_focus == []
    assert options.max_analysis_time == 60.0


@pytest.mark.parametrize("seconds", [30, 30.0, 59.5, 300])
def test_max_analysis_time_in_range(seconds: float) -> None:
    assert AnalysisOptions(max_analysis_time=seconds).max_analysis_time == seconds


@pytest.mark.parametrize("seconds", [29.99, 0, -1, 300.01, 500, float("nan"), float("inf")])
def test_max_analysis_time_out_of_range(seconds: float) -> None:
    with pytest.raises(ValidationError) as exc:
        AnalysisOptions(max_analysis_time=seconds)
    assert [loc for loc, _ in _errors(exc)] == ["max_analysis_time"]


def test_optimization_focus_keeps_first_occurrences_in_order() -> None:
    options = AnalysisOptions.model_validate(
        {"optimization_focus": ["stability", "overfitting", "stability", "overfitting"]}
    )
    assert options.optimization_focus == [
        OptimizationFocus.STABILITY,
        OptimizationFocus.OVERFITTING,
    ]


def test_optimization_focus_rejects_unknown_values() -> None:
    with pytest.raises(ValidationError) as exc:
        AnalysisOptions.model_validate({"optimization_focus": ["overfitting", "speed"]})
    assert _errors(exc) == [("optimization_focus.1", "enum")]


# AnalysisContext


def test_analysis_context_is_all_optional() -> None:
    assert AnalysisContext().model_dump() == {
        "dataset_name": None,
        "model_type": None,
        "task_type": None,
    }


@pytest.mark.parametrize(("field", "value"), [("model_type", "svm"), ("task_type", "ranking")])
def test_analysis_context_rejects_unknown_kinds(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        AnalysisContext.model_validate({field: value})
    assert _errors(exc) == [(field, "enum")]


# AnalysisRequest


def request(uri: str, **overrides: Any) -> AnalysisRequest:
    return AnalysisRequest.model_validate(
        {"run_id": "abc123", "mlflow_tracking_uri": uri} | overrides
    )


def test_minimal_request_gets_default_options_and_context() -> None:
    parsed = request("http://localhost:5000")
    assert parsed.analysis_options == AnalysisOptions()
    assert parsed.context == AnalysisContext()


def test_request_strips_run_id_and_uri() -> None:
    parsed = request("  http://localhost:5000 ", run_id="  abc123\n")
    assert parsed.run_id == "abc123"
    assert parsed.mlflow_tracking_uri == "http://localhost:5000"


@pytest.mark.parametrize("run_id", ["", "   ", None])
def test_request_rejects_blank_run_id(run_id: object) -> None:
    with pytest.raises(ValidationError) as exc:
        request("http://localhost:5000", run_id=run_id)
    assert [loc for loc, _ in _errors(exc)] == ["run_id"]


def test_request_requires_both_fields() -> None:
    with pytest.raises(ValidationError) as exc:
        AnalysisRequest.model_validate({})
    assert _errors(exc) == [("run_id", "missing"), ("mlflow_tracking_uri", "missing")]


@pytest.mark.parametrize(
    "uri",
    [
        "http://localhost:5000",
        "https://mlflow.example.com",
        "HTTPS://MLflow.Example.com:8443/prefix",
        "http://127.0.0.1:5000",
        "http://[::1]:5000",
        "file:///tmp/mlruns",
        "file:mlruns",
        "sqlite:///mlflow.db",
        "postgresql://mlflow:secret@db:5432/mlflow",
        "postgresql+psycopg2://mlflow@db/mlflow",
        "mysql+pymysql://mlflow@db/mlflow",
        "mssql+pyodbc://mlflow@db/mlflow",
        "sqlite+pysqlite:///mlflow.db",
        "databricks",
        "databricks://my-profile",
    ],
)
def test_tracking_uri_accepted(uri: str) -> None:
    assert request(uri).mlflow_tracking_uri == uri


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("ftp://x", "Scheme 'ftp' is not allowed"),
        ("javascript:alert(1)", "Scheme 'javascript' is not allowed"),
        ("gopher://localhost:70", "Scheme 'gopher' is not allowed"),
        ("https+evil://host", "Scheme 'https+evil' is not allowed"),
        ("/tmp/mlruns", "bare path"),
        ("mlruns", "bare path"),
        ("./mlruns", "bare path"),
        ("C:\\mlruns", "bare path"),
        ("localhost:5000", "Scheme 'localhost' is not allowed"),
    ],
)
def test_tracking_uri_rejected_with_the_allowed_schemes(uri: str, says: str) -> None:
    with pytest.raises(ValidationError) as exc:
        request(uri)
    [error] = exc.value.errors()
    assert error["loc"] == ("mlflow_tracking_uri",)
    assert error["type"] == "tracking_uri"
    assert says in error["msg"]
    assert ALLOWED_SCHEMES in error["msg"]


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("http://", "needs a host"),
        ("https://", "needs a host"),
        ("http:///srv/mlruns", "needs a host"),
        ("http://:5000", "needs a host"),
        ("http://host:port", "Malformed URI"),
        ("http://host:99999", "Malformed URI"),
        ("http://[::1", "Malformed URI"),
        ("http://local host:5000", "whitespace"),
        ("http://localhost:5000/\x00", "control characters"),
        ("http://localhost\n:5000", "whitespace"),
    ],
)
def test_tracking_uri_rejected_when_malformed(uri: str, says: str) -> None:
    with pytest.raises(ValidationError) as exc:
        request(uri)
    [error] = exc.value.errors()
    assert error["loc"] == ("mlflow_tracking_uri",)
    assert says in error["msg"]


def test_tracking_uri_error_message_with_braces_is_not_a_template() -> None:
    with pytest.raises(ValidationError) as exc:
        request("ftp://{host}")
    assert "Scheme 'ftp' is not allowed" in exc.value.errors()[0]["msg"]


# Finding


def test_finding_extensions_default_to_none() -> None:
    parsed = Finding.model_validate(finding())
    assert (parsed.code, parsed.metric, parsed.step_range, parsed.epoch_range) == (None,) * 4


@pytest.mark.parametrize("field", ["description", "evidence"])
@pytest.mark.parametrize("value", ["", "  "])
def test_finding_texts_must_not_be_blank(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        Finding.model_validate(finding(**{field: value}))
    assert _errors(exc) == [(field, "string_too_short")]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("severity", "critical", "enum"),
        ("severity", "HIGH", "enum"),
        ("confidence", 1.2, "less_than_equal"),
        ("confidence", -0.1, "greater_than_equal"),
        ("code", "gradient_explosion", "enum"),
    ],
)
def test_finding_rejects_out_of_vocabulary(field: str, value: object, error: str) -> None:
    with pytest.raises(ValidationError) as exc:
        Finding.model_validate(finding(**{field: value}))
    assert _errors(exc) == [(field, error)]


def test_step_range_is_a_tuple_and_dumps_as_a_list() -> None:
    parsed = Finding.model_validate(finding(step_range=[2, 2], epoch_range=[0, 1.5]))
    assert parsed.step_range == (2, 2)
    assert parsed.epoch_range == (0.0, 1.5)
    dumped = parsed.model_dump(mode="json")
    assert dumped["step_range"] == [2, 2]
    assert dumped["epoch_range"] == [0.0, 1.5]
    assert '"step_range":[2,2]' in parsed.model_dump_json()


@pytest.mark.parametrize("field", ["step_range", "epoch_range"])
def test_ranges_must_be_in_order(field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        Finding.model_validate(finding(**{field: [5, 2]}))
    [error] = exc.value.errors()
    assert (error["loc"], error["type"]) == ((field,), "range_order")
    assert "first less than or equal to last" in error["msg"]


@pytest.mark.parametrize(
    "value",
    [[-1, 5], [0, -5], [1, 2, 3], [1], "1-2", [1.5, 2]],
)
def test_step_range_rejects_malformed_pairs(value: object) -> None:
    with pytest.raises(ValidationError):
        Finding.model_validate(finding(step_range=value))


@pytest.mark.parametrize("value", [[-0.5, 1.0], [0.0, float("inf")], [float("nan"), 1.0]])
def test_epoch_range_rejects_negative_and_non_finite(value: list[float]) -> None:
    with pytest.raises(ValidationError):
        Finding.model_validate(finding(epoch_range=value))


# Recommendation and Analysis


def test_recommendation_defaults() -> None:
    parsed = Recommendation.model_validate(recommendation())
    assert parsed.targets == []
    assert parsed.knowledge_refs == []
    assert parsed.priority is Priority.MEDIUM


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("action", " "),
        ("rationale", ""),
        ("priority", "urgent"),
        ("confidence", 2),
        ("targets", ["learning_rate", "vibes"]),
    ],
)
def test_recommendation_rejects_invalid(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as exc:
        Recommendation.model_validate(recommendation(**{field: value}))
    assert [loc.split(".")[0] for loc, _ in _errors(exc)] == [field]


def test_recommendation_targets_parse_as_fault_targets() -> None:
    parsed = Recommendation.model_validate(recommendation(targets=["epochs"]))
    assert parsed.targets == [FaultTarget.EPOCHS]


def test_analysis_needs_one_finding_and_one_recommendation_object() -> None:
    with pytest.raises(ValidationError) as exc:
        Analysis.model_validate({"findings": [finding()]})
    assert _errors(exc) == [("findings", "model_type"), ("recommendations", "missing")]


# AgentResult


def test_agent_result_accepts_agents_the_contract_does_not_name_yet() -> None:
    parsed = AgentResult.model_validate({"agent_name": "CalibrationAgent"})
    assert parsed.agent_name == "CalibrationAgent"
    assert parsed.analysis == []
    assert parsed.analyzed_artifacts == []
    assert parsed.retrieved_knowledge == []
    assert parsed.additional_outputs == {}
    assert parsed.error_message is None


def test_agent_result_needs_a_name() -> None:
    with pytest.raises(ValidationError) as exc:
        AgentResult.model_validate({"agent_name": "  "})
    assert _errors(exc) == [("agent_name", "string_too_short")]


# AnalysisResult


def test_failed_result_may_have_no_agents() -> None:
    explicit = AnalysisResult.model_validate(result(status="failed", agent_results=[]))
    omitted = AnalysisResult.model_validate(
        {k: v for k, v in result(status="failed").items() if k != "agent_results"}
    )
    assert explicit.agent_results == omitted.agent_results == []
    assert omitted.model_dump(mode="json")["agent_results"] == []


@pytest.mark.parametrize("status", ["completed", "partial"])
def test_non_failed_result_needs_an_agent(status: str) -> None:
    with pytest.raises(ValidationError) as exc:
        AnalysisResult.model_validate(result(status=status, agent_results=[]))
    assert _errors(exc) == [("agent_results", "agent_results_empty")]
    with pytest.raises(ValidationError):
        AnalysisResult.model_validate(
            {k: v for k, v in result(status=status).items() if k != "agent_results"}
        )


def test_result_with_a_bad_status_reports_only_the_status() -> None:
    with pytest.raises(ValidationError) as exc:
        AnalysisResult.model_validate(result(status="done", agent_results=[]))
    assert _errors(exc) == [("status", "enum")]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("request_id", ""),
        ("run_id", " "),
        ("execution_time", -0.1),
        ("execution_time", float("inf")),
        ("timestamp", "not a time"),
        ("warnings", "one warning"),
    ],
)
def test_result_rejects_invalid(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as exc:
        AnalysisResult.model_validate(result(**{field: value}))
    assert [loc for loc, _ in _errors(exc)] == [field]


def test_result_defaults() -> None:
    before = datetime.now(UTC)
    parsed = AnalysisResult.model_validate(result())
    assert parsed.warnings == []
    assert parsed.backend is None
    assert before <= parsed.timestamp <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2025-10-15T10:30:00", "2025-10-15T10:30:00Z"),
        ("2025-10-15T12:30:00+02:00", "2025-10-15T10:30:00Z"),
    ],
)
def test_result_timestamp_is_utc_with_z(given: str, expected: str) -> None:
    parsed = AnalysisResult.model_validate(result(timestamp=given))
    assert parsed.timestamp == datetime(2025, 10, 15, 10, 30, tzinfo=UTC)
    assert parsed.model_dump(mode="json")["timestamp"] == expected
    assert f'"timestamp":"{expected}"' in parsed.model_dump_json()


def test_result_serialises_enums_as_strings_and_agents_as_a_list() -> None:
    dumped = AnalysisResult.model_validate(result(status="partial")).model_dump(mode="json")
    assert dumped["status"] == "partial"
    assert type(dumped["status"]) is str
    assert isinstance(dumped["agent_results"], list)
    assert dumped["agent_results"][0]["agent_name"] == "TrainingArtifactsAnalyzer"


def test_findings_pairs_each_analysis_with_its_agent() -> None:
    parsed = AnalysisResult.model_validate(
        result(
            agent_results=[
                agent("TrainingArtifactsAnalyzer", "high", "low"),
                agent("DeepchecksArtifactsAnalyzer"),
                agent("OptimizationAdvisorAgent", "high"),
            ]
        )
    )
    pairs = list(parsed.findings())
    assert [(name, a.findings.severity) for name, a in pairs] == [
        ("TrainingArtifactsAnalyzer", Severity.HIGH),
        ("TrainingArtifactsAnalyzer", Severity.LOW),
    ]
    assert [name for name, _ in parsed.findings(plan=True)][-1] == "OptimizationAdvisorAgent"
    assert parsed.counts_by_severity() == {"low": 1, "medium": 0, "high": 1}


def test_counts_by_severity_has_every_key_when_empty() -> None:
    parsed = AnalysisResult.model_validate(result(status=AnalysisStatus.FAILED, agent_results=[]))
    assert list(parsed.findings()) == []
    assert parsed.counts_by_severity() == {"low": 0, "medium": 0, "high": 0}


def test_a_code_reported_by_two_agents_counts_once_at_its_worst() -> None:
    def coded(code: str, severity: str) -> dict[str, Any]:
        return {
            "findings": finding(severity=severity) | {"code": code},
            "recommendations": recommendation(),
        }

    parsed = AnalysisResult.model_validate(
        result(
            agent_results=[
                {
                    "agent_name": "DatasetArtifactsAnalyzer",
                    "analysis": [coded("small_dataset", "medium")],
                },
                {
                    "agent_name": "CrossArtifactIntegrationAgent",
                    "analysis": [coded("small_dataset", "high"), coded("overfitting", "low")],
                },
                agent("TrainingArtifactsAnalyzer", "low"),
            ]
        )
    )
    assert parsed.counts_by_severity() == {"low": 2, "medium": 0, "high": 1}


# Jobs


def test_accepted_job_parses_and_rejects_unknown_state() -> None:
    body = {
        "request_id": "req_1",
        "status": "queued",
        "status_url": "/api/v1/status/req_1",
        "result_url": "/api/v1/result/req_1",
    }
    assert AcceptedJob.model_validate(body).status == "queued"
    with pytest.raises(ValidationError) as exc:
        AcceptedJob.model_validate(body | {"status": "pending", "result_url": ""})
    assert _errors(exc) == [("status", "enum"), ("result_url", "string_too_short")]


def job_status(**overrides: Any) -> dict[str, Any]:
    return {
        "request_id": "req_1",
        "run_id": "run_1",
        "status": "running",
        "submitted_at": "2025-10-15T10:30:00Z",
    } | overrides


def test_job_status_defaults() -> None:
    parsed = JobStatus.model_validate(job_status())
    assert (parsed.progress, parsed.agents_done) == (0.0, 0)
    assert (parsed.started_at, parsed.finished_at, parsed.error) == (None, None, None)
    assert parsed.submitted_at == datetime(2025, 10, 15, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("progress", 1.01),
        ("progress", -0.01),
        ("progress", float("nan")),
        ("agents_done", -1),
        ("agents_done", 1.5),
        ("status", "done"),
        ("submitted_at", None),
        ("started_at", "soon"),
    ],
)
def test_job_status_rejects_invalid(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as exc:
        JobStatus.model_validate(job_status(**{field: value}))
    assert [loc for loc, _ in _errors(exc)] == [field]


def test_job_status_requires_submitted_at() -> None:
    body = {k: v for k, v in job_status().items() if k != "submitted_at"}
    with pytest.raises(ValidationError) as exc:
        JobStatus.model_validate(body)
    assert _errors(exc) == [("submitted_at", "missing")]


# Knowledge


def test_knowledge_query_defaults_and_required_query_type() -> None:
    parsed = KnowledgeQuery.model_validate({"query": "lr", "query_type": "solution"})
    assert (parsed.domain, parsed.max_results, parsed.min_confidence) == (None, 5, 0.7)
    with pytest.raises(ValidationError) as exc:
        KnowledgeQuery.model_validate({"query": "lr"})
    assert _errors(exc) == [("query_type", "missing")]


@pytest.mark.parametrize("count", [1, 20])
def test_knowledge_query_max_results_bounds(count: int) -> None:
    parsed = KnowledgeQuery.model_validate(
        {"query": "q", "query_type": "diagnostic"} | {"max_results": count}
    )
    assert parsed.max_results == count


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("query", "  "),
        ("domain", "vision"),
        ("query_type", "howto"),
        ("max_results", 0),
        ("max_results", 21),
        ("max_results", 2.5),
        ("min_confidence", 1.5),
        ("min_confidence", -0.1),
    ],
)
def test_knowledge_query_rejects_invalid(field: str, value: object) -> None:
    body = {"query": "q", "query_type": "validation"} | {field: value}
    with pytest.raises(ValidationError) as exc:
        KnowledgeQuery.model_validate(body)
    assert [loc for loc, _ in _errors(exc)] == [field]


def knowledge_item(**overrides: Any) -> dict[str, Any]:
    return {
        "id": "kb-1",
        "content": "Use early stopping.",
        "source": "kb/training.md",
        "confidence": 0.9,
        "relevance_score": 1.7,
    } | overrides


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", ""),
        ("content", " "),
        ("source", ""),
        ("confidence", 1.1),
        ("relevance_score", -0.1),
        ("relevance_score", float("inf")),
        ("metadata", ["not", "a", "mapping"]),
    ],
)
def test_knowledge_item_rejects_invalid(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as exc:
        KnowledgeItem.model_validate(knowledge_item(**{field: value}))
    assert [loc.split(".")[0] for loc, _ in _errors(exc)] == [field]


def test_knowledge_item_relevance_may_exceed_one_and_metadata_defaults() -> None:
    parsed = KnowledgeItem.model_validate(knowledge_item())
    assert parsed.relevance_score == 1.7
    assert parsed.metadata == {}


def test_knowledge_response_defaults_to_no_results() -> None:
    assert KnowledgeResponse.model_validate({"query": "q"}).results == []
    with pytest.raises(ValidationError):
        KnowledgeResponse.model_validate({"query": "q", "results": [knowledge_item(id="")]})


# Health and errors


@pytest.mark.parametrize("status", ["ok", "degraded", "down"])
def test_health_status_values(status: str) -> None:
    body = {"status": status, "version": "0.1.0", "engine": "ok", "job_store": "memory"}
    assert HealthResponse.model_validate(body | {"queue": "idle"}).status == status


def test_health_rejects_unknown_status_and_missing_parts() -> None:
    with pytest.raises(ValidationError) as exc:
        HealthResponse.model_validate({"status": "fine", "version": "0.1.0"})
    assert _errors(exc) == [
        ("status", "literal_error"),
        ("engine", "missing"),
        ("job_store", "missing"),
        ("queue", "missing"),
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [("error", "TEAPOT"), ("message", " "), ("details", "none"), ("timestamp", "now")],
)
def test_error_response_rejects_invalid(field: str, value: object) -> None:
    body = {"error": "RUN_NOT_FOUND", "message": "Run x not found."} | {field: value}
    with pytest.raises(ValidationError) as exc:
        ErrorResponse.model_validate(body)
    assert [loc for loc, _ in _errors(exc)] == [field]
