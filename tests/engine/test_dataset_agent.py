"""`DatasetArtifactsAnalyzer`: every rule fires on its problem, stays quiet on clean data, and
odd metadata or statistics never raise."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from deepfix_notebook.artifacts import ArtifactBundle, DatasetInfo
from deepfix_notebook.contract import (
    AgentName,
    AgentResult,
    Analysis,
    AnalysisContext,
    AnalysisOptions,
    FaultTarget,
    ModelType,
    ProblemCode,
    Severity,
)
from deepfix_notebook.engine._agent import AgentInput
from deepfix_notebook.engine.dataset import (
    DatasetArtifactsAnalyzer,
    DatasetFacts,
    _analyzer,
    read_statistics,
)

P = ProblemCode
T = FaultTarget

# ImageNet statistics on [0, 1] pixels: the usual, healthy case.
IMAGENET = {"train_mean": [0.485, 0.456, 0.406], "train_std": [0.229, 0.224, 0.225]}


def info(**fields: Any) -> DatasetInfo:
    """A healthy, balanced 10-class image dataset unless ``fields`` say otherwise."""
    base: dict[str, Any] = {
        "dataset_name": "toy",
        "num_train_samples": 50_000,
        "num_classes": 10,
        "num_val_samples": 10_000,
        "class_counts": {f"c{i}": 5_000 for i in range(10)},
        "image_size": [32, 32],
        "color_mode": "rgb",
        "statistics": dict(IMAGENET),
    }
    base.update(fields)
    counts = base.get("class_counts")
    if counts and "imbalance_ratio" not in fields:
        present = [c for c in counts.values() if c > 0]
        base["imbalance_ratio"] = max(present) / min(present) if len(present) >= 2 else None
    return DatasetInfo(**base)


def given(
    dataset: DatasetInfo | None,
    *,
    files: tuple[str, ...] = (),
    options: AnalysisOptions | None = None,
    context: AnalysisContext | None = None,
) -> AgentInput:
    return AgentInput(
        bundle=ArtifactBundle(source="t", dataset=dataset, files=files),
        options=options or AnalysisOptions(),
        context=context or AnalysisContext(),
        curves={},
    )


def run(dataset: DatasetInfo, **kwargs: Any) -> AgentResult:
    result = DatasetArtifactsAnalyzer().run(given(dataset, **kwargs))
    json.loads(result.model_dump_json())  # whatever it says must go on the wire
    return result


def found(result: AgentResult, code: ProblemCode) -> list[Analysis]:
    return [a for a in result.analysis if a.findings.code is code]


def one(result: AgentResult, code: ProblemCode) -> Analysis:
    items = found(result, code)
    assert len(items) == 1, [a.findings.evidence for a in result.analysis]
    return items[0]


# --- the agent ------------------------------------------------------------------------------


def test_name_and_skip_reasons() -> None:
    agent = DatasetArtifactsAnalyzer()
    assert agent.name == AgentName.DATASET.value == "DatasetArtifactsAnalyzer"
    assert agent.skip_reason(given(info())) is None
    disabled = given(info(), options=AnalysisOptions(enable_dataset_analysis=False))
    assert "disabled" in (agent.skip_reason(disabled) or "")
    assert (
        agent.skip_reason(given(None)) == "Dataset metadata not found - skipping dataset analysis"
    )


def test_a_healthy_dataset_has_no_findings() -> None:
    result = run(info())
    assert result.agent_name == "DatasetArtifactsAnalyzer"
    assert result.analysis == []
    assert result.error_message is None
    assert result.additional_outputs["samples_per_class"] == 5000
    assert "unreadable" not in result.additional_outputs


def test_analyzed_artifacts_are_the_dataset_files() -> None:
    files = ("training_artifacts/metrics.csv", "dataset/metadata.yaml", "dataset/statistics.json")
    result = run(info(), files=files)
    assert result.analyzed_artifacts == ["dataset/metadata.yaml", "dataset/statistics.json"]
    assert run(info()).analyzed_artifacts == ["dataset"]  # built in memory: no files


# --- class imbalance ------------------------------------------------------------------------


def test_strong_imbalance_is_high_and_names_the_classes() -> None:
    counts = {"cat": 5000, "dog": 250, "fox": 2000}
    result = run(info(num_train_samples=7250, num_classes=3, class_counts=counts))
    item = one(result, P.CLASS_IMBALANCE)
    evidence = item.findings.evidence
    assert item.findings.severity is Severity.HIGH
    assert "'cat' has 5000" in evidence and "'dog' 250" in evidence
    assert "ratio of 20" in evidence
    # w_c = N / (K * n_c): 7250 / (3 * 250) = 9.667 for the rarest class, advised as 9.7
    action = item.recommendations.action
    assert "'dog' gets 9.7" in action
    assert "1667 samples" in action  # a third of the majority
    assert "gamma 2" in action and "balanced accuracy" in action
    assert item.recommendations.targets == [T.CLASS_BALANCE, T.LOSS_FUNCTION, T.DATA_COLLECTION]
    assert item.recommendations.priority.value == "high"


def test_mild_imbalance_is_a_low_hint() -> None:
    counts = {"a": 400, "b": 100}
    item = one(
        run(info(num_train_samples=500, num_classes=2, class_counts=counts)), P.CLASS_IMBALANCE
    )
    assert item.findings.severity is Severity.LOW
    assert "ratio of 4" in item.findings.evidence


def test_imbalance_from_the_ratio_alone() -> None:
    result = run(info(class_counts=None, imbalance_ratio=12.5))
    item = one(result, P.CLASS_IMBALANCE)
    assert item.findings.severity is Severity.HIGH
    assert "12.5" in item.findings.evidence and "12.5x" in item.recommendations.action


@pytest.mark.parametrize(
    "fields",
    [
        {"class_counts": {"a": 300, "b": 290}, "num_train_samples": 590, "num_classes": 2},
        {"class_counts": None, "imbalance_ratio": 2.9},
        {
            "task_type": "regression",
            "num_classes": None,
            "class_counts": None,
            "imbalance_ratio": 50,
        },
    ],
)
def test_no_imbalance_finding(fields: dict[str, Any]) -> None:
    assert found(run(info(**fields)), P.CLASS_IMBALANCE) == []


# --- small dataset --------------------------------------------------------------------------


def test_few_samples_per_class_is_high() -> None:
    result = run(info(num_train_samples=60, num_classes=10, class_counts=None, num_val_samples=500))
    item = one(result, P.SMALL_DATASET)
    assert item.findings.severity is Severity.HIGH
    assert "6 training samples per class (60 for 10 classes)" in item.findings.evidence
    assert "60 training samples in all" in item.findings.evidence
    assert "440 more samples" in item.recommendations.action  # 50 per class
    assert "pretrained" in item.recommendations.action
    assert set(item.recommendations.targets) == {
        T.DATA_COLLECTION,
        T.DATA_AUGMENTATION,
        T.ARCHITECTURE,
        T.REGULARIZATION,
    }


def test_a_small_image_dataset_is_medium() -> None:
    result = run(info(num_train_samples=800, num_classes=2, class_counts=None, num_val_samples=200))
    item = one(result, P.SMALL_DATASET)
    assert item.findings.severity is Severity.MEDIUM
    assert "800 training images in all" in item.findings.evidence


def test_a_tiny_class_is_named() -> None:
    counts = {f"c{i}": 1000 for i in range(9)} | {"rare": 4}
    result = run(info(num_train_samples=9004, class_counts=counts))
    item = one(result, P.SMALL_DATASET)
    assert item.findings.severity is Severity.MEDIUM
    assert item.findings.evidence == "Class 'rare' has only 4 samples."


def test_800_tabular_rows_for_two_classes_are_not_small() -> None:
    tabular = info(
        num_train_samples=800,
        num_classes=2,
        class_counts=None,
        image_size=None,
        color_mode=None,
        num_val_samples=200,
    )
    assert found(run(tabular), P.SMALL_DATASET) == []
    # ...but a CNN says it is an image task
    context = AnalysisContext(model_type=ModelType.CNN)
    assert found(run(tabular, context=context), P.SMALL_DATASET) != []


def test_goodfellow_rule_of_thumb_is_a_note_not_a_finding() -> None:
    result = run(info(num_train_samples=13_000, class_counts=None, num_val_samples=3000))
    assert found(result, P.SMALL_DATASET) == []
    assert result.additional_outputs["share_of_goodfellow_5000_per_class"] == 0.26
    assert any("Goodfellow" in note for note in result.additional_outputs["notes"])


# --- validation split -----------------------------------------------------------------------


def test_fifty_validation_samples_are_too_few() -> None:
    item = one(run(info(num_val_samples=50)), P.SMALL_VALIDATION_SPLIT)
    evidence = item.findings.evidence
    assert item.findings.severity is Severity.MEDIUM
    # sqrt(0.8 * 0.2 / 50) = 5.66 points
    assert "50 validation samples" in evidence and "5.7 points" in evidence
    assert "0.1% of the 50000 training samples" in evidence
    assert "stratified" in item.recommendations.action
    assert "7508 of the 50050 samples" in item.recommendations.action  # 15%
    assert item.recommendations.targets == [T.DATA_SPLIT]


def test_twenty_validation_samples_are_high() -> None:
    item = one(run(info(num_val_samples=20)), P.SMALL_VALIDATION_SPLIT)
    assert item.findings.severity is Severity.HIGH
    assert "8.9 points" in item.findings.evidence


def test_a_thin_share_is_low_while_its_error_is_above_a_point() -> None:
    item = one(run(info(num_val_samples=500)), P.SMALL_VALIDATION_SPLIT)
    assert item.findings.severity is Severity.LOW
    assert "1.0% of the 50000" in item.findings.evidence and "1.8 points" in item.findings.evidence


@pytest.mark.parametrize(("n_train", "n_val"), [(120, 30), (400, 80), (1_200, 300)])
def test_a_standard_share_of_a_small_dataset_is_at_most_a_hint(n_train: int, n_val: int) -> None:
    # A 20% split is the right split; the dataset's size is small_dataset's finding, not this.
    counts = {f"c{i}": n_train // 3 for i in range(3)}
    result = run(
        info(num_train_samples=n_train, num_val_samples=n_val, num_classes=3, class_counts=counts)
    )
    assert all(a.findings.severity is Severity.LOW for a in found(result, P.SMALL_VALIDATION_SPLIT))


def test_a_thin_split_of_a_small_dataset_is_high() -> None:
    counts = {f"c{i}": 100 for i in range(3)}
    result = run(info(num_train_samples=300, num_val_samples=6, num_classes=3, class_counts=counts))
    assert one(result, P.SMALL_VALIDATION_SPLIT).findings.severity is Severity.HIGH


def test_no_validation_split() -> None:
    item = one(run(info(num_val_samples=0)), P.SMALL_VALIDATION_SPLIT)
    assert item.findings.severity is Severity.MEDIUM
    assert "num_val_samples is 0" in item.findings.evidence


@pytest.mark.parametrize("n_val", [10_000, 2_000, None])
def test_no_validation_finding(n_val: int | None) -> None:
    # 2000 samples are 4% of training but measure accuracy to +-0.9 points: fine
    result = run(info(num_val_samples=n_val))
    assert found(result, P.SMALL_VALIDATION_SPLIT) == []
    if n_val is None:
        assert any("num_val_samples" in note for note in result.additional_outputs["notes"])


# --- unnormalised inputs --------------------------------------------------------------------


def test_raw_pixels_are_unnormalised() -> None:
    stats = {"train_mean": [125.3, 122.9, 113.9], "train_std": [63.0, 62.1, 66.7]}
    item = one(run(info(statistics=stats)), P.UNNORMALIZED_INPUTS)
    assert item.findings.severity is Severity.MEDIUM
    assert "3 of 3" in item.findings.evidence
    assert "R: mean 125.3, std 63" in item.findings.evidence
    action = item.recommendations.action
    assert "subtract mean [125.3, 122.9, 113.9]" in action
    assert "divide by std [63, 62.1, 66.7]" in action
    assert "divide by 255" in action
    assert item.recommendations.targets == [T.NORMALIZATION, T.DATA_PREPROCESSING]


def test_off_centre_and_constant_features_are_low() -> None:
    stats = {
        "mean": {"age": 5.0, "flag": 0.5, "ok": 0.1},
        "std": {"age": 1.0, "flag": 0.001, "ok": 1},
    }
    item = one(run(info(statistics=stats)), P.UNNORMALIZED_INPUTS)
    assert item.findings.severity is Severity.LOW
    assert "2 of 3" in item.findings.evidence
    assert "age: mean 5, std 1" in item.findings.evidence
    assert "near-constant flag" in item.recommendations.action


@pytest.mark.parametrize(
    "stats",
    [
        IMAGENET,
        {"train_mean": [0.0, 0.0, 0.0], "train_std": [1.0, 1.0, 1.0]},
        {"mean": 0.1307, "std": 0.3081},  # MNIST
        {"train": {"mean": [0.5], "std": [0.5]}},
        {},
    ],
)
def test_normalised_statistics_pass(stats: dict[str, Any]) -> None:
    assert found(run(info(statistics=stats)), P.UNNORMALIZED_INPUTS) == []


# --- train/test shift -----------------------------------------------------------------------


def test_test_mean_half_a_std_away_is_a_shift() -> None:
    stats = IMAGENET | {"test_mean": [0.6, 0.456, 0.406], "test_std": [0.229, 0.224, 0.225]}
    item = one(run(info(statistics=stats)), P.TRAIN_TEST_SHIFT)
    assert item.findings.severity is Severity.MEDIUM
    assert "1 of 3" in item.findings.evidence
    assert "R: mean 0.485 -> 0.6 (d = 0.50)" in item.findings.evidence
    assert "test" in item.findings.description
    assert item.recommendations.targets == [T.DATA_SPLIT, T.DATA_COLLECTION, T.DATA_PREPROCESSING]
    assert "stratified by class" in item.recommendations.action


def test_a_large_shift_is_high_and_worst_first() -> None:
    stats = IMAGENET | {"test_mean": [0.55, 0.7, 0.406]}
    item = one(run(info(statistics=stats)), P.TRAIN_TEST_SHIFT)
    assert item.findings.severity is Severity.HIGH
    evidence = item.findings.evidence
    assert evidence.index("G: mean 0.456 -> 0.7 (d = 1.09)") < evidence.index("R: mean")


def test_a_changed_spread_is_a_shift() -> None:
    stats = IMAGENET | {"val_mean": IMAGENET["train_mean"], "val_std": [0.229, 0.6, 0.225]}
    item = one(run(info(statistics=stats)), P.TRAIN_TEST_SHIFT)
    assert "validation" in item.findings.description
    assert "std 0.224 -> 0.6 (x2.68)" in item.findings.evidence


def test_similar_splits_show_no_shift() -> None:
    stats = IMAGENET | {"test_mean": [0.49, 0.45, 0.41], "test_std": [0.23, 0.22, 0.23]}
    result = run(info(statistics=stats))
    assert found(result, P.TRAIN_TEST_SHIFT) == []
    assert result.additional_outputs["statistics_read"] == {
        "train": {"mean": 3, "std": 3},
        "test": {"mean": 3, "std": 3},
    }


# --- statistics shapes and odd input --------------------------------------------------------


def test_statistics_shapes() -> None:
    names = lambda n: [f"c{i}" for i in range(n)]  # noqa: E731
    assert read_statistics({"mean_test": 1, "train_std": [2, 3]}, names) == {
        "test": {"mean": {"all": 1.0}},
        "train": {"std": {"c0": 2.0, "c1": 3.0}},
    }
    assert read_statistics({"Mean": {"Train": [1], "Test": [2]}}, names) == {
        "train": {"mean": {"c0": 1.0}},
        "test": {"mean": {"c0": 2.0}},
    }
    assert read_statistics({"validation": {"STD": {"x": "0.5"}}}, names) == {
        "val": {"std": {"x": 0.5}}
    }
    assert read_statistics({"train_mean": [[1, 2]]}, names) == {
        "train": {"mean": {"c0": 1.0, "c1": 2.0}}
    }


@pytest.mark.parametrize(
    "stats",
    [
        {"train_mean": "lots", "train_std": None},
        {"train_mean": [math.nan, math.inf, "x", None, [1, [2]]], "train_std": [0, -1, {"a": 1}]},
        {"train_mean": {"a": math.nan}, "train_std": {"a": 0.0}, "test_mean": {"a": 1e308}},
        {"train": "nope", "mean": {"train": "x"}, "test": [1, 2]},
        {
            "train_mean": [1, 2, 3],
            "train_std": [0, 0, 0],
            "test_mean": [1, 2, 3],
            "test_std": [0, 1, 2],
        },
        {"train_mean": 1e300, "train_std": 1e-300, "test_mean": -1e300, "test_std": 1e300},
        {"": 1, "_": 2, "train_": 3, "_mean": 4, "train_mean_extra": 5},
    ],
)
def test_odd_statistics_never_raise(stats: dict[str, Any]) -> None:
    result = run(info(statistics=stats))
    assert result.error_message is None
    assert "unreadable" not in result.additional_outputs  # read what can be read, silently


def test_zero_and_missing_counts_never_raise() -> None:
    odd = DatasetInfo(
        dataset_name="odd",
        num_train_samples=1,
        num_classes=2,
        class_counts={"a": 0, "b": 0},
        num_val_samples=0,
    )
    result = run(odd)
    assert {a.findings.code for a in result.analysis} == {P.SMALL_DATASET, P.SMALL_VALIDATION_SPLIT}
    bare = DatasetInfo(dataset_name="bare")
    assert run(bare).analysis == []


def test_a_rule_that_breaks_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(facts: DatasetFacts) -> list[Analysis]:
        raise RuntimeError("rule bug")

    monkeypatch.setattr(_analyzer, "RULES", (broken, _analyzer.class_imbalance))
    counts = {"a": 1000, "b": 10}
    result = run(info(num_train_samples=1010, num_classes=2, class_counts=counts))
    assert result.additional_outputs["unreadable"] == ["broken: RuntimeError: rule bug"]
    assert [a.findings.code for a in result.analysis] == [P.CLASS_IMBALANCE]
