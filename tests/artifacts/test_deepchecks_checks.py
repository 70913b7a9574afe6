"""Reading Deepchecks check results (`read_checks`): kinds from headers, conditions, values
decoded into typed results, and never an exception, whatever ``json_result`` holds."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from deepchecks_inputs import MALFORMED

from deepfix_notebook.artifacts import (
    BrokenCheck,
    CheckKind,
    CheckResult,
    CheckView,
    ClassPerformance,
    DeepchecksResults,
    DomainDrift,
    DriftScores,
    NewLabels,
    OutlierProbabilities,
    PpsChange,
    PredictivePower,
    PropertyOutliers,
    SampleShare,
    load_directory,
    read_checks,
)
from deepfix_notebook.artifacts._checks import DriftScore, kind_for, read_check, split_header
from deepfix_notebook.artifacts._checks._parse import PARSERS

K = CheckKind


def view(header: str, value: Any = None, *, conditions: Any = None, raw: Any = ...) -> CheckView:
    """One check read as ``CheckResult.to_json()`` gives it (or ``raw`` json_result as is)."""
    if raw is ...:
        raw = {"header": header, "value": value, "conditions_results": conditions or []}
    read = read_check("suite", CheckResult(header=header, json_result=raw))
    assert isinstance(read, CheckView)
    return read


def drift(score: float, method: str = "Cramer's V") -> dict[str, Any]:
    return {"Drift score": score, "Method": method}


# --- headers and kinds ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "name", "split"),
    [
        ("Train Test Label Drift", "label drift", None),
        ("Image Property Outliers - Test Dataset", "image property outliers", "test"),
        ("Train-Test Feature Drift", "feature drift", None),
        ("  Data Duplicates - Train Dataset ", "data duplicates", "train"),
    ],
)
def test_headers_are_normalised(header: str, name: str, split: str | None) -> None:
    assert split_header(header) == (name, split)


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("Heatmap Comparison", K.HEATMAP),
        ("Train Test Label Drift", K.LABEL_DRIFT),
        ("Image Dataset Drift", K.DATASET_DRIFT),
        ("Multivariate Drift", K.DATASET_DRIFT),
        ("Image Property Drift", K.FEATURE_DRIFT),
        ("Train Test Prediction Drift", K.PREDICTION_DRIFT),
        ("Property Label Correlation Change", K.PPS_CHANGE),  # before "label correlation"
        ("Single Feature Contribution Train Test", K.PPS_CHANGE),
        ("Feature Label Correlation", K.PPS),
        ("New Label Train Test", K.NEW_LABELS),
        ("Label Property Outliers - Test Dataset", K.PROPERTY_OUTLIERS),
        ("Outlier Sample Detection", K.SAMPLE_OUTLIERS),
        ("Class Performance", K.CLASS_PERFORMANCE),
        ("Date Train Test Leakage Overlap", K.LEAKAGE),
        ("Text Duplicates", K.DUPLICATES),
        ("Label Ambiguity", K.CONFLICTING_LABELS),
        ("Train Test Samples Mix", K.SAMPLES_MIX),
        ("Category Mismatch Train Test", K.OTHER_DRIFT),
        ("Mixed Nulls", K.OTHER),
        ("Frobnicator", None),
    ],
)
def test_the_first_matching_alias_names_the_kind(header: str, kind: CheckKind | None) -> None:
    assert kind_for(split_header(header)[0]) is kind


# --- conditions and values ------------------------------------------------------------------


def test_conditions_are_read_by_word_icon_or_flag() -> None:
    rows = [
        {"Status": "FAIL", "Condition": "drift < 0.15", "More Info": "Found 0.4"},
        {"Status": "✓", "Condition": "icon"},
        {"Status": "!", "Condition": "warned"},
        {"is_pass": False, "name": "flagged", "details": "by is_pass"},
        {"Status": ["odd"]},
        "not a row",
        {"Status": "PASS", "Condition": "x" * 500},
    ]
    conditions = view("Mixed Nulls", {}, conditions=rows).conditions
    assert [c.status for c in conditions] == ["FAIL", "PASS", "WARN", "FAIL", "UNKNOWN", "PASS"]
    assert conditions[0].info == "Found 0.4" and conditions[3].info == "by is_pass"
    assert conditions[4].name == "condition"
    assert len(conditions[5].name) == 200 and conditions[5].name.endswith("...")


def test_the_value_may_be_nested_json_or_the_bare_mapping() -> None:
    expected = DriftScores((DriftScore("", 0.3, "Cramer's V"),))
    nested = {"value": json.dumps(drift(0.3))}  # a DataFrame or dict serialised to a string
    assert view("Label Drift", raw=nested).result == expected
    assert view("Label Drift", raw=drift(0.3)).result == expected
    header_only = view("Label Drift", raw={"header": "Label Drift", "check": {}})
    assert (
        header_only.result is None and header_only.unreadable == "value is NoneType, not a mapping"
    )


def test_where_and_split() -> None:
    read = view("Image Property Outliers - Test Dataset", {"Area": {"indices": [1]}})
    assert (read.where, read.split, read.name) == (
        "Image Property Outliers - Test Dataset (suite)",
        "test",
        "image property outliers",
    )


# --- typed results --------------------------------------------------------------------------


def test_drift_scores_single_or_per_feature() -> None:
    single = view("Train Test Label Drift", drift(0.42, "PSI")).result
    assert isinstance(single, DriftScores)
    assert [(s.name, s.score, s.method) for s in single.scores] == [("", 0.42, "PSI")]
    value = {
        "age": {"Drift score": 0.15, "Method": "Earth Mover's Distance", "Importance": 0.4},
        "city": drift(0.3),
        "broken": {"Drift score": math.nan},
    }
    per_feature = view("Feature Drift", value).result
    assert isinstance(per_feature, DriftScores)
    age, city = per_feature.scores
    assert (age.name, age.importance, age.numerical) == ("age", 0.4, True)
    assert (city.name, city.importance, city.numerical) == ("city", None, False)


def test_domain_drift_from_the_auc_and_ranked_importances() -> None:
    value = {
        "domain_classifier_auc": 0.7,
        "domain_classifier_feature_importance": {"a": 0.1, "b": 0.5, "c": 0.0, "d": 0.2, "e": 0.15},
    }
    result = view("Multivariate Drift", value).result
    assert isinstance(result, DomainDrift)
    assert result.score == pytest.approx(0.4) and result.auc == 0.7
    assert result.importance == (("b", 0.5), ("d", 0.2), ("e", 0.15))


def test_new_labels_in_both_shapes() -> None:
    vision = view("New Labels", {"new_labels": {"zebra": 30, "okapi": 7}, "all_labels_count": 1000})
    assert vision.result == NewLabels({"zebra": 30.0, "okapi": 7.0}, 37.0, 1000.0)
    value = {"n_samples": 200, "new_labels": ["x", "y"], "n_samples_per_new_label": {"x": 20}}
    tabular = view("New Label Train Test", value).result
    assert tabular == NewLabels({"x": 20.0, "y": None}, 20.0, 200.0)


def test_property_outliers_count_distinct_samples() -> None:
    value = {
        "Brightness": {"outliers_identifiers": list(range(30))},
        "Area": {"indices": list(range(20, 50))},
        "Blur": {"outliers": 4},
        "Aspect Ratio": "Not enough non-null samples to calculate outliers.",
    }
    result = view("Image Property Outliers", value).result
    assert result == PropertyOutliers({"Brightness": 30, "Area": 30, "Blur": 4}, 50)


def test_outlier_probabilities_tolerate_a_few_unreadable_entries() -> None:
    result = view("Outlier Sample Detection", {"quantiles": [0.1] * 95 + ["x"] * 5}).result
    assert isinstance(result, OutlierProbabilities) and len(result.scores) == 95
    mostly_text = view("Outlier Sample Detection", [0.1] * 80 + ["x"] * 20)
    assert mostly_text.unreadable == "the value is not a list of outlier probabilities"


def test_flagged_outlier_ids_with_a_sample_count_are_a_share() -> None:
    value = {"outliers_identifiers": [4, 8, 15], "top_samples": [], "num_samples": 300}
    assert view("Outlier Sample Detection", value).result == SampleShare(0.01)
    more_ids_than_samples = {"outliers_identifiers": [1, 2, 3], "num_samples": 2}
    assert view("Outlier Sample Detection", more_ids_than_samples).unreadable


def performance_rows() -> list[dict[str, Any]]:
    return [
        {"Dataset": dataset, "Class Name": name, "Metric": "Recall", "Value": value, "Class": i}
        for dataset in ("Train", "Test")
        for i, (name, value) in enumerate((("cat", 0.9), ("dog", 0.4)))
    ]


@pytest.mark.parametrize("shape", ["records", "json", "columns"])
def test_class_performance_keeps_the_test_rows(shape: str) -> None:
    rows = performance_rows()
    value: Any = rows
    if shape == "json":
        value = json.dumps(rows)
    elif shape == "columns":
        value = {key: {str(i): row[key] for i, row in enumerate(rows)} for key in rows[0]}
    result = view("Class Performance", value).result
    assert isinstance(result, ClassPerformance) and result.test_only
    [metric] = result.metrics
    assert (metric.dataset, metric.metric) == ("Test", "Recall")
    assert {k: c.score for k, c in metric.by_class.items()} == {"cat": 0.9, "dog": 0.4}


def test_predictive_power_flattens_classes_and_prefers_train() -> None:
    per_class = view("Property Label Correlation", {"Area": {"cat": 0.5}, "Brightness": 0.85})
    assert per_class.result == PredictivePower({"Area / class cat": 0.5, "Brightness": 0.85})
    split = view("Feature Label Correlation", {"train": {"id": 0.99}, "test": {"id": 0.1}})
    assert split.result == PredictivePower({"id": 0.99})


def test_pps_change_difference_given_or_computed() -> None:
    value = {"train": {"a": 0.7, "b": 0.1}, "test": {"a": 0.1, "b": 0.1}}
    result = view("Property Label Correlation Change", value).result
    assert isinstance(result, PpsChange)
    rows = {r.name: (round(r.difference, 6), r.train, r.test) for r in result.rows}
    assert rows == {"a": (0.6, 0.7, 0.1), "b": (0.0, 0.1, 0.1)}
    per_class = {"Brightness": {"train": {"cat": 0.5}, "test": {"cat": 0.2}}}
    change = view("Feature Label Correlation Change", per_class).result
    assert isinstance(change, PpsChange)
    assert [r.name for r in change.rows] == ["Brightness / class cat"]


def test_sample_shares_scale_percentages_and_count_groups() -> None:
    assert view("Data Duplicates", 8).result == SampleShare(0.08)
    conflicts = view("Conflicting Labels", {"percent": 0.02, "samples_indices": [[1, 2], [3, 4]]})
    assert conflicts.result == SampleShare(0.02, 2)
    assert view("Train Test Samples Mix", {"ratio": 0.15}).result == SampleShare(0.15)
    assert view("Data Duplicates", -1).unreadable == (
        "no ratio (percent, ratio, percent_of_duplicates) in the value"
    )


# --- what cannot be read --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "raw", "reason"),
    [
        ("Label Drift", "not json {", "value is str, not a mapping"),
        ("Label Drift", {"value": {"Drift score": math.nan}}, "no 'Drift score' in the value"),
        ("Class Performance", [1, 2], "the class performance table is empty"),
        ("Image Dataset Drift", {"value": {"auc": "high"}}, "no domain_classifier_drift_score"),
        ("New Labels", {"value": {"new_labels": 5}}, "new_labels is int"),
    ],
)
def test_unreadable_values_say_why(header: str, raw: Any, reason: str) -> None:
    read = view(header, raw=raw)
    assert read.result is None and reason in (read.unreadable or "")


def test_deepchecks_own_failure_explains_an_unreadable_check() -> None:
    read = view("Label Drift", raw={"header": "x", "exception": "boom"})
    assert read.why_unreadable(read.unreadable or "") == "Deepchecks could not run the check: boom"
    assert view("Label Drift", drift(0.1)).why_unreadable("x" * 300).endswith("...")


def test_a_check_that_cannot_be_read_at_all_is_broken_not_raised() -> None:
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("no text")

    rows = [{"Status": "FAIL", "Condition": Unprintable()}]
    check = CheckResult(header="Label Drift", json_result={"value": 1, "conditions_results": rows})
    read = read_check("suite", check)
    assert read == BrokenCheck("suite", "Label Drift", "RuntimeError('no text')")


PARSED_HEADERS = [
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


def test_the_parsed_headers_cover_every_parser() -> None:
    assert {kind_for(split_header(h)[0]) for h in PARSED_HEADERS} == set(PARSERS)


@pytest.mark.parametrize("header", PARSED_HEADERS)
@pytest.mark.parametrize("raw", MALFORMED)
def test_malformed_results_are_read_or_explained(header: str, raw: Any) -> None:
    read = view(header, raw=raw)
    assert (read.result is None) != (read.unreadable is None)


def test_read_checks_from_a_results_file(tmp_path: Path) -> None:
    results = (
        "results:\n  train_test_validation:\n"
        '  - header: Label Drift\n    json_result: \'{"value": {"Drift score": 0.31}}\'\n'
        "  - header: Mixed Nulls\n    json_result: {value: {}}\n"
    )
    (tmp_path / "deepchecks").mkdir()
    (tmp_path / "deepchecks" / "results.yaml").write_text(results)
    (tmp_path / "metrics.csv").write_text("step,loss\n0,1\n1,0.5\n2,0.4\n")
    bundle = load_directory(tmp_path)
    assert bundle.deepchecks is not None
    drifted, nulls = read_checks(bundle.deepchecks)
    assert isinstance(drifted, CheckView) and isinstance(nulls, CheckView)
    assert drifted.kind is K.LABEL_DRIFT
    assert drifted.result == DriftScores((DriftScore("", 0.31, ""),))
    assert nulls.kind is K.OTHER and nulls.result is None and nulls.unreadable is None
    assert read_checks(DeepchecksResults()) == ()
