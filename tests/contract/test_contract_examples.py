"""Every hand-written example document parses and round-trips to the same JSON."""

import json
from pathlib import Path
from typing import Any

import pytest

from deepfix_notebook import contract
from deepfix_notebook.contract import ContractModel, json_schemas

EXAMPLES = Path(__file__).parent / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))


def _model_of(path: Path) -> type[ContractModel]:
    # `AnalysisResult.json` and `AnalysisResult.partial.json` are both AnalysisResult examples.
    model = getattr(contract, path.name.split(".")[0])
    assert isinstance(model, type)
    assert issubclass(model, ContractModel)
    return model


def _load(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _normalised(document: Any) -> Any:
    # Through JSON text and back, so that tuples, ints and floats compare as on the wire.
    return json.loads(json.dumps(document))


def test_every_model_has_an_example() -> None:
    names = {path.name.split(".")[0] for path in EXAMPLE_FILES}
    assert names == set(json_schemas())


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_example_round_trips_through_json_mode(path: Path) -> None:
    document = _load(path)
    model = _model_of(path).model_validate(document)
    assert _normalised(model.model_dump(mode="json")) == _normalised(document)
    assert json.loads(model.model_dump_json()) == _normalised(document)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_dump_parses_back_to_an_equal_model(path: Path) -> None:
    model_class = _model_of(path)
    model = model_class.model_validate_json(path.read_text(encoding="utf-8"))
    assert model_class.model_validate_json(model.model_dump_json()) == model
    assert model_class.model_validate(model.model_dump(mode="json")) == model
    assert model_class.model_validate(model.model_dump()) == model


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_example_matches_the_published_json_schema(path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schemas()[_model_of(path).__name__]
    jsonschema.validate(_load(path), schema)


def test_analysis_result_example_reads_as_the_ui_will() -> None:
    result = contract.AnalysisResult.model_validate(_load(EXAMPLES / "AnalysisResult.json"))
    pairs = list(result.findings())
    assert [name for name, _ in pairs] == [
        "TrainingArtifactsAnalyzer",
        "TrainingArtifactsAnalyzer",
    ]
    with_plan = list(result.findings(plan=True))
    assert [analysis.findings.code for _, analysis in with_plan] == [
        contract.ProblemCode.OVERFITTING,
        contract.ProblemCode.LEARNING_RATE_TOO_HIGH,
        contract.ProblemCode.OVERTRAINING,
    ]
    assert with_plan[-1][0] == "OptimizationAdvisorAgent"
    counts = result.counts_by_severity()
    assert sum(counts.values()) == 2 and set(counts) == {"low", "medium", "high"}
    first = pairs[0][1].findings
    assert first.step_range == (4680, 11700)
    assert first.epoch_range == (12.0, 30.0)


def test_partial_example_keeps_the_failed_agent_slot() -> None:
    result = contract.AnalysisResult.model_validate(_load(EXAMPLES / "AnalysisResult.partial.json"))
    assert result.status is contract.AnalysisStatus.PARTIAL
    failed = [agent for agent in result.agent_results if agent.error_message]
    assert [agent.agent_name for agent in failed] == [contract.AgentName.DEEPCHECKS]
    assert result.counts_by_severity() == {"low": 0, "medium": 0, "high": 1}
