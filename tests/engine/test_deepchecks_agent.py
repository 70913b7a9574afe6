"""`DeepchecksArtifactsAnalyzer`: each check kind fires above Deepchecks' default limits, stays
quiet below them, honours failed conditions, and never raises on malformed results."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from deepchecks_inputs import MALFORMED

from deepfix_notebook.artifacts import (
    ArtifactBundle,
    CheckKind,
    CheckResult,
    DatasetInfo,
    DeepchecksResults,
)
from deepfix_notebook.artifacts._checks._parse import PARSERS
from deepfix_notebook.contract import (
    AgentName,
    AgentResult,
    Analysis,
    AnalysisContext,
    AnalysisOptions,
    FaultTarget,
    ProblemCode,
    Severity,
)
from deepfix_notebook.engine._agent import AgentInput
from deepfix_notebook.engine.deepchecks import KINDS, DeepchecksArtifactsAnalyzer, Kind, _analyzer

P = ProblemCode
T = FaultTarget

DATASET = DatasetInfo(
    dataset_name="toy",
    num_train_samples=1000,
    num_classes=3,
    num_test_samples=400,
    class_counts={"cat": 400, "dog": 200, "fox": 400},
)


def check(
    header: str,
    value: Any = None,
    *,
    conditions: list[dict[str, Any]] | None = None,
    raw: Any = ...,
) -> CheckResult:
    """A check as ``CheckResult.to_json()`` gives it (or ``raw`` json_result as is)."""
    if raw is not ...:
        return CheckResult(header=header, json_result=raw)
    result = {"header": header, "value": value, "conditions_results": conditions or []}
    return CheckResult(header=header, json_result=result)


def condition(status: str, name: str = "a condition", info: str = "") -> dict[str, Any]:
    return {"Status": status, "Condition": name, "More Info": info}


def given(
    results: DeepchecksResults | None,
    *,
    dataset: DatasetInfo | None = DATASET,
    files: tuple[str, ...] = (),
    options: AnalysisOptions | None = None,
) -> AgentInput:
    return AgentInput(
        bundle=ArtifactBundle(source="t", dataset=dataset, deepchecks=results, files=files),
        options=options or AnalysisOptions(),
        context=AnalysisContext(),
        curves={},
    )


def run(*checks: CheckResult, suite: str = "train_test_validation", **kwargs: Any) -> AgentResult:
    results = DeepchecksResults(results={suite: list(checks)})
    result = DeepchecksArtifactsAnalyzer().run(given(results, **kwargs))
    json.loads(result.model_dump_json())  # whatever it says must go on the wire
    return result


def one(result: AgentResult, code: ProblemCode | None = None) -> Analysis:
    assert len(result.analysis) == 1, [a.findings.evidence for a in result.analysis]
    item = result.analysis[0]
    assert item.findings.code is code
    return item


def drift(score: float, method: str = "Cramer's V") -> dict[str, Any]:
    return {"Drift score": score, "Method": method}


# --- the agent ------------------------------------------------------------------------------


def test_name_and_skip_reasons() -> None:
    agent = DeepchecksArtifactsAnalyzer()
    assert agent.name == AgentName.DEEPCHECKS.value == "DeepchecksArtifactsAnalyzer"
    results = DeepchecksResults(results={})
    assert agent.skip_reason(given(results)) is None
    disabled = given(results, options=AnalysisOptions(enable_deepchecks_analysis=False))
    assert "disabled" in (agent.skip_reason(disabled) or "")
    assert (
        agent.skip_reason(given(None))
        == "Deepchecks artifacts not found - skipping data quality analysis"
    )


def test_analyzed_artifacts_and_outputs() -> None:
    files = ("dataset/metadata.yaml", "deepchecks/results.yaml", "deepchecks/config.yaml")
    result = run(check("Label Drift", drift(0.01)), files=files)
    assert result.analyzed_artifacts == ["deepchecks/results.yaml", "deepchecks/config.yaml"]
    assert run().analyzed_artifacts == ["deepchecks"]
    outputs = result.additional_outputs
    assert outputs["checks"] == 1
    assert outputs["analysed"] == ["train_test_validation: Label Drift"]
    assert outputs["unreadable"] == [] and outputs["unknown"] == {"count": 0, "headers": []}


def test_every_parsed_kind_has_a_rule_and_every_rule_a_parsed_kind() -> None:
    judged = {kind for kind, entry in KINDS.items() if entry.judge is not None}
    assert judged == set(PARSERS)
    assert set(KINDS) == set(CheckKind)


# --- label drift ----------------------------------------------------------------------------


def test_label_drift_above_the_default_limit() -> None:
    result = run(check("Label Drift", {"Samples Per Class": drift(0.21)}))
    item = one(result, P.LABEL_DRIFT)
    evidence = item.findings.evidence
    assert item.findings.severity is Severity.MEDIUM
    assert item.findings.metric == "Label Drift"
    assert item.findings.step_range is None
    assert "Label Drift (train_test_validation)" in evidence
    assert "drift score 0.21 (Cramer's V)" in evidence and "'Samples Per Class'" in evidence
    assert "limit of 0.15" in evidence
    assert "stratify" in item.recommendations.action
    assert item.recommendations.targets == [T.DATA_SPLIT, T.DATA_COLLECTION, T.CLASS_BALANCE]


def test_tabular_label_drift_is_a_single_score_and_high_above_0_3() -> None:
    item = one(run(check("Train Test Label Drift", drift(0.42, "PSI"))), P.LABEL_DRIFT)
    assert item.findings.severity is Severity.HIGH
    assert "0.42 (PSI) for the label" in item.findings.evidence


def test_small_label_drift_passes() -> None:
    passed = [condition("PASS", "drift score < 0.15")]
    result = run(check("Label Drift", {"Samples Per Class": drift(0.05)}, conditions=passed))
    assert result.analysis == []


# --- feature / property drift ---------------------------------------------------------------


def test_image_property_drift_names_the_worst_properties() -> None:
    value = {
        "Brightness": drift(0.34, "Kolmogorov-Smirnov"),
        "Area": drift(0.12, "Kolmogorov-Smirnov"),
        "Aspect Ratio": drift(0.02, "Kolmogorov-Smirnov"),
    }
    item = one(run(check("Image Property Drift", value)), P.DATA_DRIFT)
    evidence = item.findings.evidence
    assert item.findings.severity is Severity.HIGH
    assert "2 of 3 image properties drifted" in evidence
    assert evidence.index("'Brightness' 0.34") < evidence.index("'Area' 0.12")
    assert "'Brightness'" in item.recommendations.action
    assert T.DATA_AUGMENTATION in item.recommendations.targets


def test_numerical_drift_between_old_and_new_defaults_is_low() -> None:
    value = {"age": {"Drift score": 0.15, "Method": "Earth Mover's Distance", "Importance": 0.4}}
    item = one(run(check("Feature Drift", value)), P.DATA_DRIFT)
    assert item.findings.severity is Severity.LOW
    assert "'age' 0.15 (Earth Mover's Distance), importance 0.4" in item.findings.evidence
    assert T.DATA_AUGMENTATION not in item.recommendations.targets


def test_small_feature_drift_passes() -> None:
    value = {"age": drift(0.08, "Kolmogorov-Smirnov"), "city": drift(0.15, "Cramer's V")}
    assert run(check("Train Test Feature Drift", value)).analysis == []


def test_multivariate_drift() -> None:
    value = {
        "domain_classifier_auc": 0.8,
        "domain_classifier_drift_score": 0.6,
        "domain_classifier_feature_importance": {"Brightness": 0.7, "Area": 0.3},
    }
    item = one(run(check("Image Dataset Drift", value)), P.DATA_DRIFT)
    assert item.findings.severity is Severity.HIGH
    assert "AUC 0.8, drift score 0.6" in item.findings.evidence
    assert "limit of 0.25" in item.findings.evidence
    assert "'Brightness' (70%)" in item.findings.evidence
    # from the AUC alone: 2 * 0.7 - 1 = 0.4
    item = one(run(check("Multivariate Drift", {"domain_classifier_auc": 0.7})), P.DATA_DRIFT)
    assert item.findings.severity is Severity.MEDIUM and "drift score 0.4" in item.findings.evidence
    assert run(check("Multivariate Drift", {"domain_classifier_drift_score": 0.1})).analysis == []


# --- new labels -----------------------------------------------------------------------------


def test_new_labels_vision() -> None:
    value = {"new_labels": {"zebra": 30, "okapi": 7}, "all_labels_count": 1000}
    item = one(run(check("New Labels", value)), P.NEW_LABELS)
    assert item.findings.severity is Severity.MEDIUM
    assert "37 of 1000 test labels (3.7%)" in item.findings.evidence
    assert "'zebra' (30), 'okapi' (7)" in item.findings.evidence
    assert "'zebra', 'okapi'" in item.recommendations.action
    assert item.recommendations.targets == [T.DATA_COLLECTION, T.LABELS, T.DATA_SPLIT]


def test_new_labels_tabular_and_high() -> None:
    value = {
        "n_samples": 200,
        "n_new_labels_samples": 20,
        "new_labels": ["x"],
        "n_samples_per_new_label": {"x": 20},
    }
    item = one(run(check("New Label Train Test", value)), P.NEW_LABELS)
    assert item.findings.severity is Severity.HIGH
    assert "20 of 200 test labels (10%)" in item.findings.evidence


def test_no_new_labels() -> None:
    assert run(check("New Labels", {"new_labels": {}, "all_labels_count": 1000})).analysis == []
    assert run(check("New Label Train Test", {})).analysis == []


# --- outliers -------------------------------------------------------------------------------


def test_property_outliers_share_of_the_split() -> None:
    value = {
        "Brightness": {"outliers_identifiers": list(range(30)), "lower_limit": 0, "upper_limit": 1},
        "Area": {"indices": list(range(20, 50))},
        "Aspect Ratio": "Not enough non-null samples to calculate outliers.",
    }
    item = one(run(check("Image Property Outliers - Test Dataset", value)), P.OUTLIERS)
    assert item.findings.severity is Severity.HIGH  # above 10%
    # 50 distinct samples of the 400 test samples
    assert "50 of the 400 test samples (12%)" in item.findings.evidence
    assert "'Brightness' (30), 'Area' (30)" in item.findings.evidence


def test_few_property_outliers_pass_and_unknown_totals_are_a_note() -> None:
    few = {"Brightness": {"outliers_identifiers": list(range(15))}}
    assert run(check("Image Property Outliers", few)).analysis == []  # 1.5% of 1000
    value = {"Brightness": {"outliers_identifiers": list(range(30))}}
    item = one(run(check("Image Property Outliers", value)), P.OUTLIERS)  # 3%: 4x Tukey's 0.7%
    assert item.findings.severity is Severity.MEDIUM
    result = run(check("Image Property Outliers", value), dataset=None)
    assert result.analysis == []
    assert any("30 outlying samples" in n for n in result.additional_outputs["notes"])


def test_loop_outliers() -> None:
    quantiles = [i / 1000 for i in range(1000)]  # 30% above 0.7
    item = one(run(check("Outlier Sample Detection", quantiles)), P.OUTLIERS)
    assert item.findings.severity is Severity.MEDIUM
    assert "30% of samples" in item.findings.evidence and "allows 0.5%" in item.findings.evidence
    few = [0.1] * 990 + [0.9] * 10  # 1%
    assert one(run(check("Outlier Sample Detection", few)), P.OUTLIERS).findings.severity is (
        Severity.LOW
    )
    assert run(check("Outlier Sample Detection", [0.1] * 1000)).analysis == []


def test_loop_outliers_logged_as_flagged_ids_and_a_sample_count() -> None:
    flagged = {"outliers_identifiers": list(range(54)), "num_samples": 1920}  # 2.8%
    item = one(run(check("Outlier Sample Detection", flagged)), P.OUTLIERS)
    assert item.findings.severity is Severity.MEDIUM
    assert "2.8% of samples" in item.findings.evidence
    assert "the check's outlier threshold" in item.findings.evidence
    few = {"outliers_identifiers": [3, 9], "num_samples": 1920}  # 0.1%: within Deepchecks' 0.5%
    assert run(check("Outlier Sample Detection", few)).analysis == []


# --- class performance ----------------------------------------------------------------------


def performance_rows(dog_recall: float) -> list[dict[str, Any]]:
    rows = []
    for dataset in ("Train", "Test"):
        for i, (name, recall) in enumerate((("cat", 0.9), ("dog", dog_recall), ("fox", 0.88))):
            n = 100 if dataset == "Test" else 400
            for metric, score in (("Precision", 0.85), ("Recall", recall)):
                value = score if dataset == "Test" else 0.99
                rows.append(
                    {
                        "Dataset": dataset,
                        "Class": i,
                        "Class Name": name,
                        "Metric": metric,
                        "Value": value,
                        "Number of samples": n,
                    }
                )
    return rows


def test_a_weak_class_is_named_with_its_numbers() -> None:
    # to_json() turns the DataFrame into a JSON string of records
    value = json.dumps(performance_rows(0.45))
    item = one(run(check("Class Performance", value), suite="model_evaluation"), P.WEAK_CLASS)
    evidence = item.findings.evidence
    assert item.findings.severity is Severity.HIGH
    assert "on test, class 'dog' (100 samples) has Recall 0.45" in evidence
    assert "mean of 0.89" in evidence and "0.44 below" in evidence
    assert "200 training samples" in item.recommendations.action
    assert T.CLASS_BALANCE in item.recommendations.targets


def test_class_performance_in_columns_and_medium() -> None:
    rows = performance_rows(0.6)
    columns = {key: {str(i): row[key] for i, row in enumerate(rows)} for key in rows[0]}
    item = one(run(check("Class Performance", columns)), P.WEAK_CLASS)
    assert item.findings.severity is Severity.MEDIUM
    assert "Recall 0.6" in item.findings.evidence


def test_even_classes_pass() -> None:
    assert run(check("Class Performance", performance_rows(0.8))).analysis == []


# --- shortcuts ------------------------------------------------------------------------------


def test_a_property_that_predicts_the_label() -> None:
    value = {"Brightness": 0.85, "Area": 0.1}
    item = one(run(check("Property Label Correlation", value)), P.SHORTCUT_FEATURE)
    assert item.findings.severity is Severity.MEDIUM
    assert "'Brightness' has a predictive power score of 0.85" in item.findings.evidence
    assert "limit of 0.8" in item.findings.evidence
    high = one(run(check("Feature Label Correlation", {"id": 0.99})), P.SHORTCUT_FEATURE)
    assert high.findings.severity is Severity.HIGH
    assert run(check("Feature Label Correlation", {"age": 0.3})).analysis == []


def test_pps_change_between_train_and_test() -> None:
    value = {
        "train": {"Brightness": 0.7, "Area": 0.1},
        "test": {"Brightness": 0.1, "Area": 0.1},
        "train-test difference": {"Brightness": 0.6, "Area": 0.0},
    }
    item = one(run(check("Property Label Correlation Change", value)), P.SHORTCUT_FEATURE)
    assert item.findings.severity is Severity.HIGH
    assert "PPS 0.7 in train but 0.1 in test (difference 0.6)" in item.findings.evidence
    per_class = {"Brightness": {"train": {"cat": 0.5}, "test": {"cat": 0.2}}}
    item = one(run(check("Feature Label Correlation Change", per_class)), P.SHORTCUT_FEATURE)
    assert item.findings.severity is Severity.MEDIUM
    assert "'Brightness / class cat'" in item.findings.evidence and "difference 0.3" in (
        item.findings.evidence
    )
    small = {"train": {"a": 0.3}, "test": {"a": 0.25}}
    assert run(check("Property Label Correlation Change", small)).analysis == []


# --- label quality --------------------------------------------------------------------------


def test_duplicates() -> None:
    item = one(run(check("Data Duplicates", 0.08), suite="data_integrity"), P.LABEL_QUALITY)
    assert item.findings.severity is Severity.MEDIUM
    assert "8.0% of samples are duplicates (about 80 of 1000 training samples)" in (
        item.findings.evidence
    )
    assert "Remove the 80 duplicate samples" in item.recommendations.action
    low = one(run(check("Data Duplicates", 0.01)), P.LABEL_QUALITY)
    assert low.findings.severity is Severity.LOW
    assert run(check("Data Duplicates", 0.0)).analysis == []


def test_conflicting_labels() -> None:
    value = {"percent": 0.02, "samples_indices": [[1, 2], [3, 4]]}
    item = one(run(check("Conflicting Labels", value)), P.LABEL_QUALITY)
    assert item.findings.severity is Severity.MEDIUM
    assert "2.0% of samples (about 20 of 1000 training samples)" in item.findings.evidence
    assert "in 2 groups" in item.findings.evidence
    assert "Relabel or drop the 20" in item.recommendations.action
    assert item.recommendations.targets[0] is T.LABELS
    newer = {"percent_of_conflicting_samples": 0.1}
    assert one(run(check("Conflicting Labels", newer)), P.LABEL_QUALITY).findings.severity is (
        Severity.HIGH
    )
    assert run(check("Conflicting Labels", {"percent": 0, "samples_indices": []})).analysis == []


def test_train_test_samples_mix() -> None:
    item = one(run(check("Train Test Samples Mix", {"ratio": 0.15})), P.LABEL_QUALITY)
    assert item.findings.severity is Severity.MEDIUM
    assert "15% of test samples (about 60 of 400)" in item.findings.evidence
    assert "Remove the 60 test samples" in item.recommendations.action
    assert run(check("Train Test Samples Mix", {"ratio": 0})).analysis == []


# --- conditions, unknown and display-only checks --------------------------------------------


def test_a_failed_condition_without_a_rule_is_a_low_finding_without_code() -> None:
    failed = [condition("FAIL", "No string variants", "Found 2 variants in 'city'")]
    result = run(check("String Mismatch", {}, conditions=failed), suite="data_integrity")
    item = one(result, None)
    assert item.findings.severity is Severity.LOW
    assert "String Mismatch (data_integrity)" in item.findings.evidence
    assert "'No string variants' failed: Found 2 variants in 'city'" in item.findings.evidence
    assert result.additional_outputs["conditions_only"] == ["data_integrity: String Mismatch"]
    assert result.additional_outputs["failed_conditions"] == [
        "data_integrity: String Mismatch: No string variants"
    ]


def test_a_failed_condition_below_our_threshold_keeps_its_code() -> None:
    failed = [condition("FAIL", "drift score < 0.05", "Found drift 0.1")]
    item = one(run(check("Label Drift", drift(0.1), conditions=failed)), P.LABEL_DRIFT)
    assert item.findings.severity is Severity.LOW
    assert "drift score < 0.05" in item.findings.evidence


def test_a_failed_condition_covered_by_a_rule_is_not_repeated() -> None:
    failed = [condition("FAIL", "drift score < 0.15")]
    item = one(run(check("Label Drift", drift(0.5), conditions=failed)), P.LABEL_DRIFT)
    assert item.findings.severity is Severity.HIGH


def test_warnings_and_passes_are_not_findings() -> None:
    conds = [condition("WARN", "w"), condition("PASS", "p"), condition("✓", "icon")]
    result = run(check("Mixed Nulls", {}, conditions=conds))
    assert result.analysis == []
    assert result.additional_outputs["warned_conditions"] == [
        "train_test_validation: Mixed Nulls: w"
    ]


def test_unknown_and_display_only_checks() -> None:
    failed = [condition("FAIL", "frobs < 3")]
    result = run(
        check("Heatmap Comparison", None),
        check("Frobnicator", {"x": 1}),
        check("Frobnicator 2", {"x": 1}, conditions=failed),
    )
    outputs = result.additional_outputs
    assert outputs["not_analysed"] == ["train_test_validation: Heatmap Comparison"]
    assert outputs["unknown"]["count"] == 2
    item = one(result, None)  # an unknown check's failure is still reported
    assert "frobs < 3" in item.findings.evidence


# --- malformed results never raise ----------------------------------------------------------

READABLE_HEADERS = [
    "Label Drift",
    "Image Property Drift",
    "Image Dataset Drift",
    "New Labels",
    "Image Property Outliers",
    "Outlier Sample Detection",
    "Class Performance",
    "Property Label Correlation",
    "Property Label Correlation Change",
    "Data Duplicates",
    "Conflicting Labels",
    "Train Test Samples Mix",
]


@pytest.mark.parametrize("header", READABLE_HEADERS)
@pytest.mark.parametrize("raw", MALFORMED)
def test_malformed_results_never_raise(header: str, raw: Any) -> None:
    result = run(check(header, raw=raw), dataset=None)
    assert result.error_message is None
    outputs = result.additional_outputs
    assert outputs["checks"] == 1
    read = len(outputs["analysed"]) + len(outputs["unreadable"])
    assert read == 1  # a known check is either analysed or listed as unreadable


@pytest.mark.parametrize(
    ("header", "raw", "reason"),
    [
        ("Label Drift", "not json {", "not a mapping"),
        ("Label Drift", {"value": {"Drift score": math.nan}}, "no 'Drift score'"),
        ("Class Performance", [1, 2], "empty"),
        ("Image Dataset Drift", {"value": {"auc": "high"}}, "domain_classifier"),
        ("Label Drift", {"header": "x", "exception": "boom"}, "could not run the check: boom"),
    ],
)
def test_unreadable_checks_say_why(header: str, raw: Any, reason: str) -> None:
    result = run(check(header, raw=raw))
    [entry] = result.additional_outputs["unreadable"]
    assert entry["header"] == header and entry["suite"] == "train_test_validation"
    assert reason in entry["reason"]
    assert result.analysis == []


def test_one_bad_check_does_not_hide_the_others() -> None:
    result = run(
        check("Label Drift", raw="garbage"),
        check("Label Drift", {"Samples Per Class": drift(0.5)}),
    )
    assert [a.findings.code for a in result.analysis] == [P.LABEL_DRIFT]
    assert len(result.additional_outputs["unreadable"]) == 1


def test_a_reader_that_breaks_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(result: Any, view: Any, report: Any) -> list[Analysis]:
        raise RuntimeError("reader bug")

    monkeypatch.setattr(_analyzer, "KINDS", {CheckKind.LABEL_DRIFT: Kind(broken, P.LABEL_DRIFT)})
    failed = [condition("FAIL", "drift score < 0.15", "Found 0.4")]
    result = run(check("Label Drift", drift(0.4), conditions=failed))
    [entry] = result.additional_outputs["unreadable"]
    assert entry["reason"] == "RuntimeError: reader bug"
    # the failed condition still speaks for the check
    item = one(result, P.LABEL_DRIFT)
    assert item.findings.severity is Severity.LOW and "Found 0.4" in item.findings.evidence
