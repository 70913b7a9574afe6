"""The enums hold exactly the values CONTRACT.md lists (copied here by hand, on purpose)."""

from enum import StrEnum

import pytest

from deepfix_notebook.contract import (
    PHASE_ONE_AGENTS,
    AgentName,
    AnalysisStatus,
    ErrorCode,
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

CONTRACT_VALUES: dict[type[StrEnum], list[str]] = {
    ProblemCode: [
        "nan_loss",
        "exploding_loss",
        "exploding_gradients",
        "vanishing_gradients",
        "loss_not_decreasing",
        "slow_convergence",
        "underfitting",
        "overfitting",
        "unstable_training",
        "plateau",
        "overtraining",
        "suspicious_validation",
        "learning_rate_too_high",
        "learning_rate_too_low",
        "insufficient_training",
        "class_imbalance",
        "small_dataset",
        "small_validation_split",
        "unnormalized_inputs",
        "train_test_shift",
        "label_drift",
        "data_drift",
        "new_labels",
        "outliers",
        "weak_class",
        "shortcut_feature",
        "label_quality",
    ],
    FaultTarget: [
        "learning_rate",
        "lr_schedule",
        "batch_size",
        "epochs",
        "early_stopping",
        "optimizer",
        "regularization",
        "architecture",
        "activation",
        "loss_function",
        "weight_init",
        "normalization",
        "gradient_clipping",
        "data_preprocessing",
        "data_augmentation",
        "data_collection",
        "labels",
        "class_balance",
        "data_split",
    ],
    Severity: ["low", "medium", "high"],
    Priority: ["low", "medium", "high"],
    AnalysisStatus: ["completed", "partial", "failed"],
    JobState: ["queued", "running", "completed", "partial", "failed"],
    OptimizationFocus: [
        "overfitting",
        "underfitting",
        "convergence",
        "stability",
        "data_quality",
        "class_imbalance",
        "generalization",
        "efficiency",
    ],
    ModelType: ["cnn", "transformer", "rnn", "mlp", "gbdt", "linear", "other"],
    TaskType: ["classification", "regression", "detection", "segmentation", "generation", "other"],
    KnowledgeDomain: ["training", "data_quality", "architecture", "optimization", "global"],
    QueryType: ["best_practice", "diagnostic", "solution", "validation"],
    AgentName: [
        "TrainingArtifactsAnalyzer",
        "DatasetArtifactsAnalyzer",
        "DeepchecksArtifactsAnalyzer",
        "CrossArtifactIntegrationAgent",
        "OptimizationAdvisorAgent",
    ],
    ErrorCode: [
        "VALIDATION_ERROR",
        "UNAUTHORIZED",
        "RUN_NOT_FOUND",
        "ARTIFACT_NOT_FOUND",
        "REQUEST_NOT_FOUND",
        "ARTIFACT_INVALID",
        "PAYLOAD_TOO_LARGE",
        "RATE_LIMIT_EXCEEDED",
        "INTERNAL_SERVER_ERROR",
        "MLFLOW_CONNECTION_ERROR",
        "ANALYSIS_TIMEOUT",
    ],
}


@pytest.mark.parametrize("enum", CONTRACT_VALUES, ids=lambda enum: enum.__name__)
def test_enum_holds_exactly_the_contract_values(enum: type[StrEnum]) -> None:
    assert [member.value for member in enum] == CONTRACT_VALUES[enum]


def test_counts_match_the_contract() -> None:
    assert len(ProblemCode) == 27
    assert len(FaultTarget) == 19
    assert len(ErrorCode) == 11


@pytest.mark.parametrize("enum", CONTRACT_VALUES, ids=lambda enum: enum.__name__)
def test_members_are_their_string_values(enum: type[StrEnum]) -> None:
    for member in enum:
        assert member == member.value
        assert str(member) == member.value
        assert enum(member.value) is member


@pytest.mark.parametrize("scale", [Severity, Priority])
def test_rank_orders_low_medium_high(scale: type[Severity] | type[Priority]) -> None:
    assert [scale("low").rank, scale("medium").rank, scale("high").rank] == [0, 1, 2]
    assert max(scale, key=lambda member: member.rank).value == "high"


def test_phase_one_agents_are_the_three_analyzers_in_order() -> None:
    assert PHASE_ONE_AGENTS == (
        "TrainingArtifactsAnalyzer",
        "DatasetArtifactsAnalyzer",
        "DeepchecksArtifactsAnalyzer",
    )
    assert all(isinstance(name, AgentName) for name in PHASE_ONE_AGENTS)
