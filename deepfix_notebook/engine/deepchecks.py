"""DeepchecksArtifactsAnalyzer: findings from a run's Deepchecks suite results.

Every threshold is a named constant with its source — Deepchecks' own default conditions where
they exist; `docs/diagnosis.md` keeps the table. ``json_result`` is whatever
``CheckResult.to_json()`` gave (values may be nested JSON strings, DataFrames become lists of
records), so every read is defensive: a check that cannot be read is listed under
``additional_outputs["unreadable"]`` and never fails the agent.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from deepfix_notebook.artifacts import CheckResult, DatasetInfo
from deepfix_notebook.contract import (
    AgentName,
    AgentResult,
    Analysis,
    FaultTarget,
    ProblemCode,
    Severity,
)
from deepfix_notebook.engine._agent import AgentInput, issue
from deepfix_notebook.engine._curves import fmt
from deepfix_notebook.engine.dataset import MIN_PER_CLASS, percent

T = FaultTarget
P = ProblemCode

# --- thresholds -----------------------------------------------------------------------------
# Label drift: Deepchecks' LabelDrift.add_condition_drift_score_less_than defaults, 0.15 for
# categorical (Cramér's V / PSI) and numerical scores — "lowered by 25% compared to feature drift
# defaults due to the higher importance of label drift" (its docstring).
LABEL_DRIFT = 0.15
# High drift: a Cramér's V (Cohen's w) of 0.3 is a medium effect (Cohen 1988); own choice for
# "high", used for label and feature drift alike.
DRIFT_HIGH = 0.3
# Feature / image-property drift: Deepchecks' FeatureDrift / ImagePropertyDrift
# add_condition_drift_score_less_than defaults (0.2 categorical and numerical). Earlier releases
# used 0.1 for numerical scores (Kolmogorov-Smirnov, Earth Mover's): above it is a low finding.
FEATURE_DRIFT = 0.2
NUMERIC_DRIFT_LOW = 0.1
# Multivariate / image-dataset drift: Deepchecks' add_condition_overall_drift_value_less_than
# default 0.25 on 2*AUC-1 of a train-vs-test domain classifier (AUC 0.625); 0.5 (AUC 0.75) high,
# own choice.
MULTIVARIATE_DRIFT = 0.25
MULTIVARIATE_DRIFT_HIGH = 0.5
# New labels: Deepchecks' vision NewLabels.add_condition_new_label_ratio_less_or_equal default
# 0.005 of test labels (the tabular check allows none); 5% of test is high, own choice.
NEW_LABELS_SHARE = 0.005
NEW_LABELS_SHARE_HIGH = 0.05
# Property outliers (IQR per image/label property). Tukey's fences (1.5 IQR) leave about 0.7% of a
# Gaussian property outside; three times that (2%) is a finding (own choice, below Deepchecks'
# PropertyOutliers add_condition_outlier_ratio_less_or_equal default of 0.05, which we keep as the
# reference in the evidence); above 10% is high (own).
PROPERTY_OUTLIERS_SHARE = 0.02
PROPERTY_OUTLIERS_DEEPCHECKS = 0.05
PROPERTY_OUTLIERS_SHARE_HIGH = 0.10
# Outlier Sample Detection (LoOP): OutlierSampleDetection.add_condition_outlier_ratio_less_or_equal
# defaults, at most 0.5% of samples with an outlier probability above 0.7; 5% is medium (own).
LOOP_SCORE = 0.7
LOOP_SHARE = 0.005
LOOP_SHARE_MEDIUM = 0.05
# Weak class: test precision/recall this far (absolute) below the mean of the other classes (own
# choice; Deepchecks' add_condition_class_performance_imbalance_ratio_less_than uses a 0.3
# relative gap between the best and the worst class).
WEAK_CLASS_GAP = 0.2
WEAK_CLASS_GAP_HIGH = 0.4
# Shortcut features: Deepchecks' FeatureLabelCorrelation / PropertyLabelCorrelation
# add_condition_*_pps_less_than default 0.8 (predictive power score of a single feature);
# 0.95 is near-deterministic, high (own choice).
PPS_SHORTCUT = 0.8
PPS_SHORTCUT_HIGH = 0.95
# ...Label Correlation Change: add_condition_*_pps_difference_less_than default 0.2 (train PPS
# minus test PPS); 0.5 high (own choice).
PPS_CHANGE = 0.2
PPS_CHANGE_HIGH = 0.5
# Duplicates: Deepchecks' DataDuplicates.add_condition_ratio_less_or_equal default 0 (any is a
# low finding); 5% medium and 20% high are our own.
DUPLICATES_SHARE = 0.05
DUPLICATES_SHARE_HIGH = 0.2
# Conflicting labels: ConflictingLabels.add_condition_ratio_of_conflicting_labels_less_or_equal
# default 0 (any is medium); 5% high, own choice.
CONFLICTS_SHARE_HIGH = 0.05
# Train-test samples mix: TrainTestSamplesMix.add_condition_duplicates_ratio_less_or_equal
# default 0.1 (medium above it, low above 0).
SAMPLES_MIX_SHARE = 0.1

_TEXT_LIMIT = 200  # condition texts and names come from the artifact: keep evidence readable


class Unreadable(ValueError):
    """A check's value does not have the shape its reader needs."""


class DeepchecksArtifactsAnalyzer:
    """Finds drift, new labels, outliers, weak classes, shortcuts and label problems."""

    name = AgentName.DEEPCHECKS.value

    def skip_reason(self, given: AgentInput) -> str | None:
        if not given.options.enable_deepchecks_analysis:
            return "Deepchecks analysis was disabled in the request options."
        if given.bundle.deepchecks is None:
            return "Deepchecks artifacts not found - skipping data quality analysis"
        return None

    def run(self, given: AgentInput) -> AgentResult:
        artifacts = [f for f in given.bundle.files if f.startswith("deepchecks/")]
        results = given.bundle.deepchecks
        report = Report(dataset=given.bundle.dataset)
        analyses: list[Analysis] = []
        for suite, check in results.checks() if results is not None else []:
            analyses.extend(review(suite, check, report))
        return AgentResult(
            agent_name=self.name,
            analysis=analyses,
            analyzed_artifacts=artifacts or ["deepchecks"],
            additional_outputs=report.outputs(),
        )


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One row of a check's ``conditions_results``."""

    status: str  # FAIL | WARN | PASS | ERROR | UNKNOWN
    name: str
    info: str


@dataclass(frozen=True)
class CheckView:
    """A check as the readers see it: where it is, its kind, its decoded value, its conditions."""

    suite: str
    header: str
    kind: str
    split: str | None
    value: Any
    conditions: tuple[Condition, ...]

    @property
    def where(self) -> str:
        return f"{self.header} ({self.suite})"


@dataclass
class Report:
    """What the agent tells besides findings: what was read, skipped, unknown or unreadable."""

    dataset: DatasetInfo | None
    checks: int = 0
    analysed: list[str] = field(default_factory=list)
    conditions_only: list[str] = field(default_factory=list)
    not_analysed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    unreadable: list[dict[str, str]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def outputs(self) -> dict[str, Any]:
        return {
            "checks": self.checks,
            "analysed": self.analysed,
            "conditions_only": self.conditions_only,
            "not_analysed": self.not_analysed,
            "unknown": {"count": len(self.unknown), "headers": self.unknown},
            "unreadable": self.unreadable,
            "failed_conditions": self.failed,
            "warned_conditions": self.warned,
            "notes": self.notes,
        }


def _short(text: Any, limit: int = _TEXT_LIMIT) -> str:
    said = " ".join(str(text).split())
    return said if len(said) <= limit else said[: limit - 3] + "..."


def _norm(key: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", str(key).lower())


def _decode(value: Any) -> Any:
    """Nested JSON strings (DataFrames serialise as a JSON string of records) decoded once."""
    if isinstance(value, str) and value[:1] in {"{", "["}:
        try:
            return json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            return value
    return value


def _field(mapping: Any, *names: str) -> Any:
    """The first of ``names`` set in ``mapping``, matched ignoring case, spaces and punctuation."""
    if not isinstance(mapping, Mapping):
        return None
    keys = {_norm(k): k for k in mapping}
    for name in names:
        key = keys.get(_norm(name))
        if key is not None and mapping[key] is not None:
            return _decode(mapping[key])
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _status(row: Mapping[str, Any]) -> str:
    passed = _field(row, "is_pass", "passed")
    if isinstance(passed, bool):
        return "PASS" if passed else "FAIL"
    text = str(_field(row, "Status", "category", "result") or "").lower()
    for status, marks in (
        ("FAIL", ("fail", "✖", "✗", "❌")),
        ("WARN", ("warn", "!")),
        ("ERROR", ("error",)),
        ("PASS", ("pass", "✓", "✔", "✅")),
    ):
        if any(mark in text for mark in marks):
            return status
    return "UNKNOWN"


def conditions_of(result: Any) -> tuple[Condition, ...]:
    """The rows of ``conditions_results`` that can be read; others are skipped."""
    rows = _field(result, "conditions_results", "conditions", "conditions_table")
    if not isinstance(rows, list):
        return ()
    return tuple(
        Condition(
            status=_status(row),
            name=_short(_field(row, "Condition", "name") or "condition"),
            info=_short(_field(row, "More Info", "details", "info") or ""),
        )
        for row in rows
        if isinstance(row, Mapping)
    )


def value_of(result: Any) -> Any:
    """The check's value: ``json_result["value"]``, or the mapping itself when it is bare."""
    if isinstance(result, Mapping):
        keys = {_norm(k) for k in result}
        if "value" in keys:
            return _field(result, "value")
        if keys & {"header", "conditionsresults", "check", "display"}:
            return None
    return _decode(result)


def kind_of(header: str) -> tuple[str, str | None]:
    """'Train Test Label Drift - Test Dataset' -> ('label drift', 'test')."""
    text, split = header.strip().lower(), None
    base, dash, tail = text.partition(" - ")
    if dash:
        split = "train" if "train" in tail else "test" if "test" in tail else None
        text = base
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return re.sub(r"^train test ", "", text), split


def view_of(suite: str, check: CheckResult) -> CheckView:
    kind, split = kind_of(check.header)
    result = check.json_result
    return CheckView(
        suite=_short(suite, 80),
        header=_short(check.header, 80),
        kind=kind,
        split=split,
        value=value_of(result),
        conditions=conditions_of(result),
    )


def _mapping(value: Any, what: str = "value") -> Mapping[str, Any]:
    value = _decode(value)
    if not isinstance(value, Mapping):
        raise Unreadable(f"{what} is {type(value).__name__}, not a mapping")
    return value


def _records(value: Any) -> list[Mapping[str, Any]]:
    """A table as records: a list of mappings, or a column -> {row: cell} mapping."""
    value = _decode(value)
    if isinstance(value, list):
        return [row for row in value if isinstance(row, Mapping)]
    if isinstance(value, Mapping) and value and all(isinstance(c, Mapping) for c in value.values()):
        rows: dict[str, dict[str, Any]] = {}
        for column, cells in value.items():
            for row, cell in cells.items():
                rows.setdefault(str(row), {})[str(column)] = cell
        return list(rows.values())
    raise Unreadable(f"value is {type(value).__name__}, not a table")


def _split_size(split: str | None, dataset: DatasetInfo | None) -> tuple[int | None, str]:
    """How many samples the checked split has (train unless the header says test)."""
    if dataset is None:
        return None, "samples"
    if split == "test":
        return dataset.num_test_samples or None, "test samples"
    return dataset.num_train_samples, "training samples"


def _worst(levels: Iterable[Severity]) -> Severity:
    return max(levels, key=lambda level: level.rank)


# --- readers --------------------------------------------------------------------------------

Reader = Callable[[CheckView, Report], list[Analysis]]


def _drift_scores(value: Any) -> list[tuple[str, float, str, float | None]]:
    """(name, drift score, method, importance) for a single score or a name -> score mapping."""
    value = _mapping(value)
    top = _number(_field(value, "Drift score", "drift_score"))
    if top is not None:
        return [("", top, _short(_field(value, "Method") or "", 60), None)]
    scores = []
    for name, entry in value.items():
        entry = _decode(entry)
        score = _number(_field(entry, "Drift score", "drift_score"))
        if isinstance(entry, Mapping) and score is not None:
            method = _short(_field(entry, "Method") or "", 60)
            scores.append((_short(name, 60), score, method, _number(_field(entry, "Importance"))))
    if not scores:
        raise Unreadable("no 'Drift score' in the value")
    return scores


def _numerical(method: str) -> bool:
    said = method.lower()
    return any(m in said for m in ("kolmogorov", "ks", "earth", "emd", "wasserstein"))


def _method(method: str) -> str:
    return f" ({method})" if method else ""


def label_drift(view: CheckView, report: Report) -> list[Analysis]:
    name, score, method, _ = max(_drift_scores(view.value), key=lambda row: row[1])
    if score <= LABEL_DRIFT:
        return []
    what = f"label property '{name}'" if name else "the label"
    return [
        issue(
            P.LABEL_DRIFT,
            description="The label distribution differs between train and test.",
            evidence=(
                f"{view.where}: drift score {fmt(score)}{_method(method)} for {what}, above "
                f"Deepchecks' default limit of {fmt(LABEL_DRIFT)}."
            ),
            severity=Severity.HIGH if score >= DRIFT_HIGH else Severity.MEDIUM,
            confidence=0.8,
            metric=view.header,
            action=(
                "Re-split train and test at random, stratified by label (e.g. sklearn "
                "train_test_split(..., stratify=y)), so both have the same class proportions; "
                "if the test set mirrors deployment, reweight training classes by "
                "p_test(y) / p_train(y) or collect training data with the test's class mix."
            ),
            rationale=(
                "A model learns the class priors of its training data; when test priors differ, "
                "its errors shift toward the classes that became more frequent."
            ),
            targets=[T.DATA_SPLIT, T.DATA_COLLECTION, T.CLASS_BALANCE],
        )
    ]


def feature_drift(view: CheckView, report: Report) -> list[Analysis]:
    scores = _drift_scores(view.value)
    flagged: list[tuple[Severity, str, float, str, float | None]] = []
    for name, score, method, importance in scores:
        if score > FEATURE_DRIFT:
            level = Severity.HIGH if score >= DRIFT_HIGH else Severity.MEDIUM
        elif _numerical(method) and score > NUMERIC_DRIFT_LOW:
            level = Severity.LOW
        else:
            continue
        flagged.append((level, name or "value", score, method, importance))
    if not flagged:
        return []
    flagged.sort(key=lambda row: -row[2])
    images = "propert" in view.kind
    noun = "image properties" if images else "features"
    shown = "; ".join(
        f"'{name}' {fmt(score)}{_method(method)}"
        + (f", importance {fmt(importance)}" if importance is not None else "")
        for _, name, score, method, importance in flagged[:3]
    )
    worst = flagged[0][1]
    augment = (
        f"; augment training images along '{worst}' (e.g. brightness/contrast jitter, blur, "
        "resizing) so the model sees the test's range"
        if images
        else ""
    )
    targets = [T.DATA_COLLECTION, T.DATA_SPLIT, T.DATA_PREPROCESSING]
    return [
        issue(
            P.DATA_DRIFT,
            description=f"Input {noun} are distributed differently in train and test.",
            evidence=(
                f"{view.where}: {len(flagged)} of {len(scores)} {noun} drifted — {shown}; "
                f"Deepchecks' default limit is {fmt(FEATURE_DRIFT)} ({fmt(NUMERIC_DRIFT_LOW)} for "
                "numerical scores in earlier releases)."
            ),
            severity=_worst(row[0] for row in flagged),
            confidence=0.7,
            metric=view.header,
            action=(
                f"Find out why '{worst}' differs between train and test (another source, device, "
                "time period, or preprocessing applied to one split only) and make the "
                "preprocessing identical; if the data itself differs, re-split at random "
                f"(stratified) or add test-like data to training{augment}."
            ),
            rationale=(
                "A model is tuned to the training distribution; inputs from another one land in "
                "regions it has not learned, so test performance drops for reasons training "
                "curves cannot show."
            ),
            targets=[*targets, T.DATA_AUGMENTATION] if images else targets,
        )
    ]


def multivariate_drift(view: CheckView, report: Report) -> list[Analysis]:
    value = _mapping(view.value)
    score = _number(_field(value, "domain_classifier_drift_score", "drift_score", "Drift score"))
    auc = _number(_field(value, "domain_classifier_auc", "auc"))
    if score is None and auc is not None:
        score = max(0.0, 2 * auc - 1)
    if score is None:
        raise Unreadable("no domain_classifier_drift_score or domain_classifier_auc in the value")
    if score <= MULTIVARIATE_DRIFT:
        return []
    importance = _field(value, "domain_classifier_feature_importance", "feature_importance")
    ranked = sorted(
        (
            (_short(k, 60), n)
            for k, v in (importance.items() if isinstance(importance, Mapping) else [])
            if (n := _number(v)) is not None and n > 0
        ),
        key=lambda row: -row[1],
    )[:3]
    relies = (
        "; it relies most on " + ", ".join(f"'{k}' ({percent(v)})" for k, v in ranked)
        if ranked
        else ""
    )
    said_auc = f"AUC {fmt(auc)}, " if auc is not None else ""
    return [
        issue(
            P.DATA_DRIFT,
            description="A classifier can tell training from test samples: the datasets differ.",
            evidence=(
                f"{view.where}: a train-vs-test domain classifier reaches {said_auc}drift score "
                f"{fmt(score)} (2*AUC-1), above Deepchecks' default limit of "
                f"{fmt(MULTIVARIATE_DRIFT)}{relies}."
            ),
            severity=Severity.HIGH if score >= MULTIVARIATE_DRIFT_HIGH else Severity.MEDIUM,
            confidence=0.75,
            metric=view.header,
            action=(
                "Make train and test come from one distribution: shuffle the full dataset and "
                "re-split at random (stratified by label), or, if the test set stands for new "
                "conditions, add data from those conditions to training"
                + (f"; start with what separates them most ('{ranked[0][0]}')." if ranked else ".")
            ),
            rationale=(
                "If a simple classifier separates the splits, the test set measures transfer to "
                "another distribution rather than generalisation."
            ),
            targets=[T.DATA_SPLIT, T.DATA_COLLECTION, T.DATA_PREPROCESSING],
        )
    ]


def new_labels(view: CheckView, report: Report) -> list[Analysis]:
    value = _mapping(view.value)
    raw = _field(value, "new_labels")
    counts: dict[str, float | None] = {}
    if isinstance(raw, Mapping):
        counts = {_short(k, 60): _number(v) for k, v in raw.items()}
    elif isinstance(raw, list):
        per_label = _field(value, "n_samples_per_new_label")
        per = per_label if isinstance(per_label, Mapping) else {}
        counts = {_short(k, 60): _number(per.get(_short(k, 60))) for k in raw}
    elif raw is not None:
        raise Unreadable(f"new_labels is {type(raw).__name__}")
    known = [c for c in counts.values() if c is not None]
    n_new = _number(_field(value, "n_new_labels_samples"))
    if n_new is None and known:
        n_new = sum(known)
    if not counts and not n_new:
        return []
    total = _number(_field(value, "all_labels_count", "n_samples"))
    share = n_new / total if n_new is not None and total else None
    if share is None:
        severity = Severity.MEDIUM
    elif share > NEW_LABELS_SHARE_HIGH:
        severity = Severity.HIGH
    elif share > NEW_LABELS_SHARE:
        severity = Severity.MEDIUM
    else:
        severity = Severity.LOW
    names = ", ".join(
        f"'{k}'" + (f" ({fmt(c)})" if c is not None else "") for k, c in list(counts.items())[:5]
    )
    if share is not None and n_new is not None and total is not None:
        amount = f"{fmt(n_new)} of {fmt(total)} test labels ({percent(share)})"
    else:
        amount = f"{fmt(n_new)} test labels" if n_new is not None else "Some test labels"
    labels = ", ".join(f"'{k}'" for k in list(counts)[:5]) or "these classes"
    return [
        issue(
            P.NEW_LABELS,
            description="The test set has classes that training never saw.",
            evidence=(
                f"{view.where}: {amount} belong to {len(counts) or 'unnamed'} class(es) absent "
                f"from training{': ' + names if names else ''}; Deepchecks' default limit is "
                f"{percent(NEW_LABELS_SHARE)} of test labels."
            ),
            severity=severity,
            confidence=0.9,
            metric=view.header,
            action=(
                f"Add training examples of {labels} (at least {MIN_PER_CLASS} each, "
                f"like the {fmt(n_new) if n_new is not None else 'affected'} test samples) "
                "and retrain with the enlarged label set, or, if they do not belong in "
                "the task, remove or relabel these test samples; a classifier cannot predict a "
                "class it never saw."
            ),
            rationale=(
                "Every test sample of an unseen class is an unavoidable error, and it usually "
                "means the splits were drawn from different label sets."
            ),
            targets=[T.DATA_COLLECTION, T.LABELS, T.DATA_SPLIT],
        )
    ]


def _identity(item: Any) -> Any:
    return item if isinstance(item, str | int | float) else repr(item)


def property_outliers(view: CheckView, report: Report) -> list[Analysis]:
    value = _mapping(view.value)
    per_property: dict[str, int] = {}
    ids: set[Any] = set()
    for prop, entry in value.items():
        entry = _decode(entry)
        found = _field(entry, "outliers_identifiers", "indices", "outlier_indices", "outliers")
        if isinstance(found, list):
            per_property[_short(prop, 60)] = len(found)
            ids.update(_identity(item) for item in found)
        elif (count := _number(found)) is not None:
            per_property[_short(prop, 60)] = int(count)
    if not per_property:
        raise Unreadable("no outlier indices per property in the value")
    count = max(len(ids), max(per_property.values()))
    if count == 0:
        return []
    total, noun = _split_size(view.split, report.dataset)
    ranked = sorted(per_property.items(), key=lambda row: -row[1])[:3]
    most = ", ".join(f"'{k}' ({n})" for k, n in ranked if n)
    if not total:
        report.notes.append(
            f"{view.header}: {count} outlying samples (most in {most}); the number of samples "
            "is unknown (no dataset metadata), so their share was not judged."
        )
        return []
    share = count / total
    if share <= PROPERTY_OUTLIERS_SHARE:
        return []
    return [
        issue(
            P.OUTLIERS,
            description="Many samples are outliers in simple image or label properties.",
            evidence=(
                f"{view.where}: {count} of the {total} {noun} ({percent(share)}) fall outside the "
                f"IQR range of at least one property (about 0.7% would for clean Gaussian data; "
                f"Deepchecks' default limit is {percent(PROPERTY_OUTLIERS_DEEPCHECKS)}); most in "
                f"{most}."
            ),
            severity=Severity.HIGH if share > PROPERTY_OUTLIERS_SHARE_HIGH else Severity.MEDIUM,
            confidence=0.6,
            metric=view.header,
            action=(
                f"Review the {count} flagged samples, starting with '{ranked[0][0]}': remove "
                "corrupt, blank or mislabelled ones; if they are valid but rare, add more such "
                "examples or augment toward them so the model does not treat them as noise."
            ),
            rationale=(
                "Corrupt or mislabelled outliers add label noise; valid but rare ones are where "
                "the model will fail first."
            ),
            targets=[T.DATA_PREPROCESSING, T.LABELS, T.DATA_COLLECTION],
        )
    ]


def sample_outliers(view: CheckView, report: Report) -> list[Analysis]:
    value = _decode(view.value)
    if isinstance(value, Mapping):
        value = _field(value, "quantiles", "outlier_probability_quantiles", "values")
    if not isinstance(value, list) or not value:
        raise Unreadable("no list of outlier probabilities in the value")
    scores = [n for n in (_number(v) for v in value) if n is not None]
    if len(scores) < len(value) * 0.9:
        raise Unreadable("the value is not a list of outlier probabilities")
    share = sum(s > LOOP_SCORE for s in scores) / len(scores)
    if share <= LOOP_SHARE:
        return []
    return [
        issue(
            P.OUTLIERS,
            description="A share of the samples are outliers (LoOP).",
            evidence=(
                f"{view.where}: {percent(share)} of samples have an outlier probability above "
                f"{fmt(LOOP_SCORE)}; Deepchecks' default condition allows {percent(LOOP_SHARE)}."
            ),
            severity=Severity.MEDIUM if share > LOOP_SHARE_MEDIUM else Severity.LOW,
            confidence=0.6,
            metric=view.header,
            action=(
                f"Review the samples with outlier probability above {fmt(LOOP_SCORE)} (about "
                f"{percent(share)} of the data): drop corrupt or mislabelled rows, and tame "
                "extreme feature values (clip at the 1st/99th percentile, or a log/quantile "
                "transform) before scaling."
            ),
            rationale=(
                "Outliers pull the fit toward themselves, inflate feature scales and often carry "
                "wrong labels."
            ),
            targets=[T.DATA_PREPROCESSING, T.LABELS],
        )
    ]


def class_performance(view: CheckView, report: Report) -> list[Analysis]:
    rows = _records(view.value)
    if not rows:
        raise Unreadable("the class performance table is empty")
    tests = [r for r in rows if str(_field(r, "Dataset") or "").lower().startswith("test")]
    scope = "test" if tests else "the checked data"
    table: dict[tuple[str, str], dict[str, tuple[float, float | None]]] = {}
    for row in tests or rows:
        score = _number(_field(row, "Value"))
        label = _field(row, "Class Name", "Class")
        if score is None or label is None:
            continue
        key = (str(_field(row, "Dataset") or ""), _short(_field(row, "Metric") or "score", 40))
        table.setdefault(key, {})[_short(label, 60)] = (
            score,
            _number(_field(row, "Number of samples")),
        )
    if not table:
        raise Unreadable("no Class/Value columns in the class performance table")
    weak: list[tuple[float, str, str, float, float, float | None]] = []
    for (_, metric), by_class in table.items():
        if len(by_class) < 2:
            continue
        total = sum(score for score, _ in by_class.values())
        for label, (score, n) in by_class.items():
            others = (total - score) / (len(by_class) - 1)
            if others - score > WEAK_CLASS_GAP:
                weak.append((others - score, label, metric, score, others, n))
    if not weak:
        return []
    weak.sort(key=lambda row: -row[0])
    gap, label, metric, score, others, n = weak[0]
    samples = f" ({fmt(n)} samples)" if n is not None else ""
    also = sorted({f"'{w[1]}'" for w in weak[1:] if w[1] != label})[:4]
    train_count = (report.dataset.class_counts or {}).get(label) if report.dataset else None
    in_training = f"; it has {train_count} training samples" if train_count is not None else ""
    return [
        issue(
            P.WEAK_CLASS,
            description=f"Class '{label}' performs far below the others.",
            evidence=(
                f"{view.where}: on {scope}, class '{label}'{samples} has {metric} {fmt(score)} "
                f"against a mean of {fmt(others)} for the other classes ({fmt(gap)} below; "
                f"limit {fmt(WEAK_CLASS_GAP)})"
                + (f"; also weak: {', '.join(also)}" if also else "")
                + "."
            ),
            severity=Severity.HIGH if gap >= WEAK_CLASS_GAP_HIGH else Severity.MEDIUM,
            confidence=0.75,
            metric=view.header,
            action=(
                f"Inspect class '{label}'{in_training}: check its labels and which classes it is "
                "confused with, add training examples of it (or oversample it / weight it up in "
                "the loss by inverse frequency), and tune its decision threshold; track its "
                f"{metric} per epoch."
            ),
            rationale=(
                "An average metric hides a class the model has not learned; the usual causes are "
                "too few or noisy examples, or a class that looks like another."
            ),
            targets=[T.DATA_COLLECTION, T.CLASS_BALANCE, T.LABELS, T.LOSS_FUNCTION],
        )
    ]


def _pps(value: Any) -> dict[str, float]:
    """Feature -> PPS, flattening per-class mappings to 'feature / class'."""
    out: dict[str, float] = {}
    for name, entry in _mapping(value).items():
        entry = _decode(entry)
        if isinstance(entry, Mapping):
            for label, pps in entry.items():
                if (n := _number(pps)) is not None:
                    out[f"{_short(name, 60)} / class {_short(label, 40)}"] = n
        elif (n := _number(entry)) is not None:
            out[_short(name, 60)] = n
    return out


_SHORTCUT_ACTION = (
    "Check whether {name} is a real signal or a shortcut/leak (an ID, a timestamp, or a capture "
    "artefact such as brightness or image size that differs by class): drop or decorrelate it "
    "(for image properties, collect every class under the same conditions or randomise that "
    "property by augmentation), then re-evaluate on data where it does not give the label away."
)
_SHORTCUT_WHY = (
    "A single simple property that predicts the label lets the model learn the shortcut instead "
    "of the task; it then fails wherever the correlation does not hold."
)
_SHORTCUT_TARGETS = (T.DATA_COLLECTION, T.DATA_AUGMENTATION, T.DATA_PREPROCESSING)


def shortcut(view: CheckView, report: Report) -> list[Analysis]:
    value = _mapping(view.value)
    train = _field(value, "train")
    scores = _pps(train if isinstance(train, Mapping) else value)
    if not scores:
        raise Unreadable("no predictive power scores in the value")
    flagged = sorted(((n, s) for n, s in scores.items() if s >= PPS_SHORTCUT), key=lambda r: -r[1])
    if not flagged:
        return []
    name, pps = flagged[0]
    others = ", ".join(f"'{n}' {fmt(s)}" for n, s in flagged[1:4])
    return [
        issue(
            P.SHORTCUT_FEATURE,
            description=f"'{name}' alone predicts the label: a possible shortcut or leak.",
            evidence=(
                f"{view.where}: '{name}' has a predictive power score of {fmt(pps)} for the "
                f"label, at or above Deepchecks' default limit of {fmt(PPS_SHORTCUT)}"
                + (f"; also {others}" if others else "")
                + "."
            ),
            severity=Severity.HIGH if pps >= PPS_SHORTCUT_HIGH else Severity.MEDIUM,
            confidence=0.6,
            metric=view.header,
            action=_SHORTCUT_ACTION.format(name=f"'{name}'"),
            rationale=_SHORTCUT_WHY,
            targets=list(_SHORTCUT_TARGETS),
        )
    ]


def shortcut_change(view: CheckView, report: Report) -> list[Analysis]:
    value = _mapping(view.value)
    rows: list[tuple[str, float, float | None, float | None]] = []  # name, diff, train, test
    if _field(value, "train") is not None:
        parts = [("", value)]
    else:
        decoded = ((_short(k, 60), _decode(v)) for k, v in value.items())
        parts = [(k, v) for k, v in decoded if isinstance(v, Mapping)]
    for prefix, part in parts:
        train = _pps(_field(part, "train") or {})
        test = _pps(_field(part, "test") or {})
        gaps = _pps(_field(part, "train-test difference", "difference") or {})
        for name in set(train) | set(gaps):
            d = gaps.get(name)
            if d is None and name in train and name in test:
                d = train[name] - test[name]
            label = f"{prefix} / class {name}" if prefix else name
            rows.append((label, d if d is not None else 0.0, train.get(name), test.get(name)))
    if not rows:
        raise Unreadable("no train/test predictive power scores in the value")
    flagged = [r for r in rows if r[1] >= PPS_CHANGE or (r[2] is not None and r[2] >= PPS_SHORTCUT)]
    if not flagged:
        return []
    flagged.sort(key=lambda r: (-r[1], -(r[2] or 0.0), r[0]))
    name, diff, train_pps, test_pps = flagged[0]
    high = diff >= PPS_CHANGE_HIGH or (train_pps is not None and train_pps >= PPS_SHORTCUT_HIGH)
    said = f"'{name}' predicts the label with PPS "
    said += f"{fmt(train_pps)} in train" if train_pps is not None else "?"
    said += f" but {fmt(test_pps)} in test" if test_pps is not None else ""
    return [
        issue(
            P.SHORTCUT_FEATURE,
            description=f"'{name}' predicts the label in training far better than in test.",
            evidence=(
                f"{view.where}: {said} (difference {fmt(diff)}); Deepchecks' default limits are "
                f"a difference of {fmt(PPS_CHANGE)} and a train PPS of {fmt(PPS_SHORTCUT)}"
                + (f"; {len(flagged) - 1} more flagged" if len(flagged) > 1 else "")
                + "."
            ),
            severity=Severity.HIGH if high else Severity.MEDIUM,
            confidence=0.65,
            metric=view.header,
            action=_SHORTCUT_ACTION.format(name=f"'{name}'"),
            rationale=(
                "A property that predicts the label in training but not in test is a bias of the "
                "training set: the model can learn it and will not generalise."
            ),
            targets=list(_SHORTCUT_TARGETS),
        )
    ]


def _share_and_count(
    value: Any, view: CheckView, report: Report, *keys: str
) -> tuple[float, int | None, int | None, str]:
    """(share, count, total, noun) from a ratio value or a mapping holding one."""
    share = _number(value) if not isinstance(value, Mapping) else _number(_field(value, *keys))
    if share is None or share < 0:
        raise Unreadable(f"no ratio ({', '.join(keys)}) in the value")
    share = share / 100 if share > 1 else share  # a percentage written as 0-100
    total, noun = _split_size(view.split, report.dataset)
    count = round(share * total) if total else None
    return share, count, total, noun


def duplicates(view: CheckView, report: Report) -> list[Analysis]:
    share, count, total, noun = _share_and_count(
        _decode(view.value), view, report, "percent", "ratio", "percent_of_duplicates"
    )
    if share <= 0:
        return []
    if share > DUPLICATES_SHARE_HIGH:
        severity = Severity.HIGH
    elif share > DUPLICATES_SHARE:
        severity = Severity.MEDIUM
    else:
        severity = Severity.LOW
    about = f" (about {count} of {total} {noun})" if count is not None else ""
    return [
        issue(
            P.LABEL_QUALITY,
            description="The data contains duplicate samples.",
            evidence=(
                f"{view.where}: {percent(share)} of samples are duplicates{about}; Deepchecks' "
                "default condition allows none."
            ),
            severity=severity,
            confidence=0.85,
            metric=view.header,
            action=(
                f"Remove the {count if count is not None else percent(share)} duplicate samples "
                "(pandas drop_duplicates, or perceptual hashes for images) before splitting, so "
                "copies cannot land in both train and test."
            ),
            rationale=(
                "Duplicates over-weight what they show and, split across train and test, leak "
                "answers into evaluation."
            ),
            targets=[T.DATA_PREPROCESSING, T.DATA_SPLIT],
        )
    ]


def conflicting_labels(view: CheckView, report: Report) -> list[Analysis]:
    value = _decode(view.value)
    share, count, total, noun = _share_and_count(
        value, view, report, "percent_of_conflicting_samples", "percent", "ratio"
    )
    if share <= 0:
        return []
    groups = _field(value, "samples_indices", "samples")
    in_groups = f" in {len(groups)} groups of identical inputs" if isinstance(groups, list) else ""
    about = f" (about {count} of {total} {noun})" if count is not None else ""
    return [
        issue(
            P.LABEL_QUALITY,
            description="Identical inputs carry different labels.",
            evidence=(
                f"{view.where}: {percent(share)} of samples{about} share their features with a "
                f"differently labelled sample{in_groups}; Deepchecks' default condition allows "
                "none."
            ),
            severity=Severity.HIGH if share > CONFLICTS_SHARE_HIGH else Severity.MEDIUM,
            confidence=0.9,
            metric=view.header,
            action=(
                f"Relabel or drop the {count if count is not None else percent(share)} conflicting "
                "samples (review each group of identical inputs and keep one agreed label); if "
                "identical inputs can truly differ, add the feature that tells them apart."
            ),
            rationale=(
                "Contradictory labels cap the achievable accuracy and teach the model noise."
            ),
            targets=[T.LABELS, T.DATA_PREPROCESSING],
        )
    ]


def samples_mix(view: CheckView, report: Report) -> list[Analysis]:
    share, _, _, _ = _share_and_count(_decode(view.value), view, report, "ratio", "percent")
    if share <= 0:
        return []
    dataset = report.dataset
    n_test = dataset.num_test_samples if dataset else None
    count = round(share * n_test) if n_test else None
    about = f" (about {count} of {n_test})" if n_test else ""
    return [
        issue(
            P.LABEL_QUALITY,
            description="Test samples also appear in the training data (leakage).",
            evidence=(
                f"{view.where}: {percent(share)} of test samples{about} also appear in training; "
                f"Deepchecks' default limit is {percent(SAMPLES_MIX_SHARE)}."
            ),
            severity=Severity.MEDIUM if share > SAMPLES_MIX_SHARE else Severity.LOW,
            confidence=0.85,
            metric=view.header,
            action=(
                f"Remove the {count if count is not None else percent(share)} test samples that "
                "also occur in training "
                "(deduplicate the whole dataset before splitting) and re-measure test results."
            ),
            rationale="Samples seen in training make test metrics optimistic.",
            targets=[T.DATA_SPLIT, T.DATA_PREPROCESSING],
        )
    ]


# --- dispatch -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """Checks whose normalised header contains one of ``phrases``: how to read them."""

    phrases: tuple[str, ...]
    reader: Reader | None  # None: judged by its conditions only
    code: ProblemCode | None  # for a failed condition the reader did not cover
    measurable: bool = True  # False: display only, nothing to judge


# First match wins: specific phrases before general ones.
KINDS: tuple[Kind, ...] = (
    Kind(("heatmap comparison",), None, None, measurable=False),
    Kind(("label drift",), label_drift, P.LABEL_DRIFT),
    Kind(("prediction drift",), None, P.DATA_DRIFT),
    Kind(
        ("image dataset drift", "multivariate drift", "whole dataset drift", "embeddings drift"),
        multivariate_drift,
        P.DATA_DRIFT,
    ),
    Kind(("feature drift", "property drift", "properties drift"), feature_drift, P.DATA_DRIFT),
    Kind(
        ("correlation change", "contribution train test", "contribution change"),
        shortcut_change,
        P.SHORTCUT_FEATURE,
    ),
    Kind(("label correlation", "feature contribution"), shortcut, P.SHORTCUT_FEATURE),
    Kind(("new label",), new_labels, P.NEW_LABELS),
    Kind(("property outliers",), property_outliers, P.OUTLIERS),
    Kind(("outlier sample detection", "outlier detection"), sample_outliers, P.OUTLIERS),
    Kind(("class performance",), class_performance, P.WEAK_CLASS),
    Kind(("leakage",), None, P.LABEL_QUALITY),
    Kind(("data duplicates", "text duplicates"), duplicates, P.LABEL_QUALITY),
    Kind(("conflicting labels", "label ambiguity"), conflicting_labels, P.LABEL_QUALITY),
    Kind(("samples mix",), samples_mix, P.LABEL_QUALITY),
    Kind(("class imbalance",), None, P.CLASS_IMBALANCE),
    Kind(
        ("drift", "new category", "category mismatch", "dominant frequency change"),
        None,
        P.DATA_DRIFT,
    ),
    Kind(
        (
            "string mismatch",
            "mixed nulls",
            "mixed data types",
            "special characters",
            "string length",
            "percent of nulls",
            "single value",
            "feature feature correlation",
            "columns info",
            "model info",
            "confusion matrix",
            "performance",
            "roc report",
            "calibration",
            "error analysis",
            "inference time",
            "unused features",
            "boosting overfit",
            "model comparison",
            "datasets size comparison",
            "mean average",
            "robustness",
        ),
        None,
        None,
    ),
)

_TARGETS: dict[ProblemCode | None, tuple[FaultTarget, ...]] = {
    P.LABEL_DRIFT: (T.DATA_SPLIT, T.DATA_COLLECTION),
    P.DATA_DRIFT: (T.DATA_COLLECTION, T.DATA_PREPROCESSING, T.DATA_SPLIT),
    P.NEW_LABELS: (T.DATA_COLLECTION, T.LABELS),
    P.OUTLIERS: (T.DATA_PREPROCESSING, T.LABELS),
    P.WEAK_CLASS: (T.DATA_COLLECTION, T.CLASS_BALANCE),
    P.SHORTCUT_FEATURE: _SHORTCUT_TARGETS,
    P.LABEL_QUALITY: (T.LABELS, T.DATA_PREPROCESSING, T.DATA_SPLIT),
    P.CLASS_IMBALANCE: (T.CLASS_BALANCE, T.LOSS_FUNCTION),
    None: (T.DATA_PREPROCESSING,),
}


def kind_for(kind: str) -> Kind | None:
    return next((k for k in KINDS if any(p in kind for p in k.phrases)), None)


def failed_conditions(view: CheckView, code: ProblemCode | None) -> Analysis | None:
    """A low finding for FAIL conditions that no reader turned into a finding."""
    failed = [c for c in view.conditions if c.status == "FAIL"]
    if not failed:
        return None
    said = "; ".join(
        f"condition '{c.name}' failed" + (f": {c.info}" if c.info else "") for c in failed[:3]
    )
    return issue(
        code,
        description=f"Deepchecks check '{view.header}' failed {len(failed)} condition(s).",
        evidence=f"{view.where}: {said}.",
        severity=Severity.LOW,
        confidence=0.5,
        metric=view.header,
        action=(
            f"Open '{view.header}' in the Deepchecks report and fix what its failed condition "
            f"names ({failed[0].info or failed[0].name}); re-run the suite until it passes."
        ),
        rationale=(
            "A failed Deepchecks condition marks data that breaks an expectation of the suite; "
            "it was not measured further here."
        ),
        targets=list(_TARGETS[code]),
    )


def review(suite: str, check: CheckResult, report: Report) -> list[Analysis]:
    """The findings of one check; never raises (unreadable checks are reported)."""
    report.checks += 1
    header = _short(getattr(check, "header", "?"), 80)
    try:
        view = view_of(str(suite), check)
    except Exception as exc:  # a malformed check must never fail the agent
        report.unreadable.append({"suite": str(suite), "header": header, "reason": repr(exc)})
        return []
    label = f"{view.suite}: {view.header}"
    report.failed.extend(f"{label}: {c.name}" for c in view.conditions if c.status == "FAIL")
    report.warned.extend(f"{label}: {c.name}" for c in view.conditions if c.status == "WARN")
    kind = kind_for(view.kind)
    found: list[Analysis] = []
    if kind is None:
        report.unknown.append(label)
    elif kind.reader is not None:
        try:
            found = kind.reader(view, report)
            report.analysed.append(label)
        except Exception as exc:  # malformed json_result: note it, keep going
            reason = str(exc) if isinstance(exc, Unreadable) else f"{type(exc).__name__}: {exc}"
            failure = _field(check.json_result, "exception", "error")
            if failure is not None:
                reason = f"Deepchecks could not run the check: {failure}"
            report.unreadable.append(
                {"suite": view.suite, "header": view.header, "reason": _short(reason)}
            )
    elif kind.measurable and view.conditions:
        report.conditions_only.append(label)
    else:
        report.not_analysed.append(label)
    if not found:
        generic = failed_conditions(view, kind.code if kind else None)
        if generic is not None:
            found = [generic]
    return found
