"""Train and test differ: label drift, feature / image-property drift, multivariate drift and
labels that only the test set has."""

from __future__ import annotations

from deepfix_notebook.artifacts import CheckView, DomainDrift, DriftScores, NewLabels
from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import fmt
from deepfix_notebook.engine._thresholds import declare
from deepfix_notebook.engine.dataset import MIN_PER_CLASS, percent
from deepfix_notebook.engine.deepchecks._report import FAMILY, Report, by_method, rule, worst

T = FaultTarget
P = ProblemCode

LABEL_DRIFT = declare(
    "label_drift",
    0.15,
    unit="drift score (Cramér's V, PSI, KS)",
    family=FAMILY,
    source=(
        "Deepchecks LabelDrift.add_condition_drift_score_less_than default, 25% below feature "
        "drift's for the higher importance of label drift"
    ),
    doc="a label distribution drifting above this between train and test is a finding",
)
DRIFT_HIGH = declare(
    "drift_high",
    0.3,
    unit="drift score",
    family=FAMILY,
    source="Cohen 1988: a Cramér's V (w) of 0.3 is a medium effect; own choice for high",
    doc="label or feature drift at or above this is high",
)
FEATURE_DRIFT = declare(
    "feature_drift",
    0.2,
    unit="drift score",
    family=FAMILY,
    source="Deepchecks FeatureDrift / ImagePropertyDrift add_condition_drift_score_less_than",
    doc="a feature or image property drifting above this is a medium finding",
)
NUMERIC_DRIFT_LOW = declare(
    "numeric_drift_low",
    0.1,
    unit="drift score (Kolmogorov-Smirnov, Earth Mover's)",
    family=FAMILY,
    source="earlier Deepchecks releases' default for numerical scores",
    doc="a numerical drift score above this (up to feature_drift) is a low finding",
)
MULTIVARIATE_DRIFT = declare(
    "multivariate_drift",
    0.25,
    unit="2*AUC-1 of a train-vs-test domain classifier",
    family=FAMILY,
    source="Deepchecks add_condition_overall_drift_value_less_than default (AUC 0.625)",
    doc="a domain classifier separating train from test above this is a medium finding",
)
MULTIVARIATE_DRIFT_HIGH = declare(
    "multivariate_drift_high",
    0.5,
    unit="2*AUC-1 of a train-vs-test domain classifier",
    family=FAMILY,
    source="own choice (AUC 0.75)",
    doc="multivariate drift at or above this is high",
)
NEW_LABELS_SHARE = declare(
    "new_labels_share",
    0.005,
    unit="share of test labels",
    family=FAMILY,
    source=(
        "Deepchecks vision NewLabels.add_condition_new_label_ratio_less_or_equal default "
        "(the tabular check allows none)"
    ),
    doc="test labels unseen in training above this share are medium (fewer are low)",
)
NEW_LABELS_SHARE_HIGH = declare(
    "new_labels_share_high",
    0.05,
    unit="share of test labels",
    family=FAMILY,
    source="own choice",
    doc="test labels unseen in training above this share are high",
)


rule(
    "Label Drift",
    "label_drift",
    condition="drift score > 0.15",
    severity="medium",
    source="Deepchecks LabelDrift default condition",
)
rule(
    "Label Drift",
    "label_drift",
    condition="≥ 0.3",
    severity="high",
    source="Cohen 1988 (w of 0.3), own",
)


def label_drift(drift: DriftScores, view: CheckView, report: Report) -> list[Analysis]:
    top = max(drift.scores, key=lambda s: s.score)
    name, score, method = top.name, top.score, top.method
    if score <= LABEL_DRIFT:
        return []
    what = f"label property '{name}'" if name else "the label"
    return [
        issue(
            P.LABEL_DRIFT,
            description="The label distribution differs between train and test.",
            evidence=(
                f"{view.where}: drift score {fmt(score)}{by_method(method)} for {what}, above "
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


_FEATURE_DRIFT = "Feature / Image Property Drift"
rule(
    _FEATURE_DRIFT,
    "data_drift",
    condition="score > 0.2",
    severity="medium",
    source="Deepchecks FeatureDrift/PropertyDrift default",
)
rule(_FEATURE_DRIFT, "data_drift", condition="≥ 0.3", severity="high", source="own")
rule(
    _FEATURE_DRIFT,
    "data_drift",
    condition="numerical method, score in (0.1, 0.2]",
    severity="low",
    source="older Deepchecks numerical default",
)


def feature_drift(drift: DriftScores, view: CheckView, report: Report) -> list[Analysis]:
    flagged: list[tuple[Severity, str, float, str, float | None]] = []
    for s in drift.scores:
        if s.score > FEATURE_DRIFT:
            level = Severity.HIGH if s.score >= DRIFT_HIGH else Severity.MEDIUM
        elif s.numerical and s.score > NUMERIC_DRIFT_LOW:
            level = Severity.LOW
        else:
            continue
        flagged.append((level, s.name or "value", s.score, s.method, s.importance))
    if not flagged:
        return []
    flagged.sort(key=lambda row: -row[2])
    images = "propert" in view.name
    noun = "image properties" if images else "features"
    shown = "; ".join(
        f"'{name}' {fmt(score)}{by_method(method)}"
        + (f", importance {fmt(importance)}" if importance is not None else "")
        for _, name, score, method, importance in flagged[:3]
    )
    top = flagged[0][1]
    augment = (
        f"; augment training images along '{top}' (e.g. brightness/contrast jitter, blur, "
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
                f"{view.where}: {len(flagged)} of {len(drift.scores)} {noun} drifted — {shown}; "
                f"Deepchecks' default limit is {fmt(FEATURE_DRIFT)} ({fmt(NUMERIC_DRIFT_LOW)} for "
                "numerical scores in earlier releases)."
            ),
            severity=worst(row[0] for row in flagged),
            confidence=0.7,
            metric=view.header,
            action=(
                f"Find out why '{top}' differs between train and test (another source, device, "
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


_MULTIVARIATE = "Image Dataset / Multivariate Drift"
rule(
    _MULTIVARIATE,
    "data_drift",
    condition="2·AUC − 1 > 0.25",
    severity="medium",
    source="Deepchecks overall-drift default",
)
rule(_MULTIVARIATE, "data_drift", condition="≥ 0.5 (AUC 0.75)", severity="high", source="own")


def multivariate_drift(drift: DomainDrift, view: CheckView, report: Report) -> list[Analysis]:
    score, auc, ranked = drift.score, drift.auc, drift.importance
    if score <= MULTIVARIATE_DRIFT:
        return []
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


rule("New Labels", "new_labels", condition="any unseen label in test", severity="low", source="—")
rule(
    "New Labels",
    "new_labels",
    condition="share of test > 0.5% (or unknown)",
    severity="medium",
    source="Deepchecks NewLabels default",
)
rule("New Labels", "new_labels", condition="share > 5%", severity="high", source="own")


def new_labels(labels: NewLabels, view: CheckView, report: Report) -> list[Analysis]:
    counts, n_new, total = labels.counts, labels.samples, labels.total
    if not counts and not n_new:
        return []
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
    named = ", ".join(f"'{k}'" for k in list(counts)[:5]) or "these classes"
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
                f"Add training examples of {named} (at least {MIN_PER_CLASS} each, "
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
