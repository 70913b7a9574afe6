"""JSON Schemas and the public surface of the contract package."""

import json
import subprocess
import sys

import pytest

from deepfix_notebook import contract
from deepfix_notebook.contract import ContractModel, json_schema, json_schemas

EXPORTED_MODELS = {
    name
    for name in contract.__all__
    if isinstance(getattr(contract, name), type)
    and issubclass(getattr(contract, name), ContractModel)
    and getattr(contract, name) is not ContractModel
}


def test_schemas_cover_every_exported_model() -> None:
    assert set(json_schemas()) == EXPORTED_MODELS
    assert len(EXPORTED_MODELS) == 20


@pytest.mark.parametrize("name", sorted(EXPORTED_MODELS))
def test_each_schema_is_json_and_is_the_serialisation_schema(name: str) -> None:
    schema = json_schema(name)
    assert json.loads(json.dumps(schema)) == schema
    assert schema["type"] == "object"
    assert schema["title"] == name
    assert schema == getattr(contract, name).model_json_schema(mode="serialization")


@pytest.mark.parametrize(
    ("name", "required"),
    [
        ("AnalysisRequest", ["run_id", "mlflow_tracking_uri"]),
        ("AnalysisResult", ["request_id", "run_id", "status", "summary", "execution_time"]),
        ("KnowledgeQuery", ["query", "query_type"]),
        ("Finding", ["description", "evidence", "severity", "confidence"]),
        ("Analysis", ["findings", "recommendations"]),
        ("ErrorResponse", ["error", "message"]),
    ],
)
def test_required_lists(name: str, required: list[str]) -> None:
    assert json_schema(name)["required"] == required


def test_timestamps_are_documented_as_date_time_strings() -> None:
    prop = json_schema("AnalysisResult")["properties"]["timestamp"]
    assert (prop["type"], prop["format"]) == ("string", "date-time")


def test_step_range_is_documented_as_a_two_item_array() -> None:
    variants = json_schema("Finding")["properties"]["step_range"]["anyOf"]
    array = next(v for v in variants if v.get("type") == "array")
    assert (array["minItems"], array["maxItems"]) == (2, 2)


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(KeyError) as exc:
        json_schema("AnalysisReport")
    message = str(exc.value)
    assert "AnalysisReport" in message
    assert all(name in message for name in EXPORTED_MODELS)


def test_all_is_explicit_and_importable() -> None:
    assert len(contract.__all__) == len(set(contract.__all__))
    for name in contract.__all__:
        assert hasattr(contract, name), name
    assert set(contract.__all__) == {
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
    }


def test_importing_the_contract_pulls_in_no_heavy_or_sibling_modules() -> None:
    code = (
        "import sys, deepfix_notebook; before = set(sys.modules); "
        "import deepfix_notebook.contract; "
        "print('\\n'.join(sorted(set(sys.modules) - before)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    roots = {name.split(".")[0] for name in loaded}
    assert not roots & {"numpy", "pyarrow", "yaml", "mlflow", "pandas", "sqlalchemy"}
    ours = [name for name in loaded if name.startswith("deepfix_notebook.")]
    assert all(name.startswith("deepfix_notebook.contract") for name in ours), ours
