"""Shortcut features: a single feature or image property that predicts the label (PPS), in
training alone or much better in training than in test."""

from __future__ import annotations

from deepfix_notebook.artifacts import CheckView, PpsChange, PredictivePower
from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import fmt
from deepfix_notebook.engine._thresholds import declare
from deepfix_notebook.engine.deepchecks._report import FAMILY, Report, rule

T = FaultTarget
P = ProblemCode

PPS_SHORTCUT = declare(
    "pps_shortcut",
    0.8,
    unit="predictive power score",
    family=FAMILY,
    source=(
        "Deepchecks FeatureLabelCorrelation / PropertyLabelCorrelation "
        "add_condition_*_pps_less_than default"
    ),
    doc="a single feature predicting the label at or above this is a medium shortcut finding",
)
PPS_SHORTCUT_HIGH = declare(
    "pps_shortcut_high",
    0.95,
    unit="predictive power score",
    family=FAMILY,
    source="own choice (near-deterministic)",
    doc="a shortcut at or above this PPS is high",
)
PPS_CHANGE = declare(
    "pps_change",
    0.2,
    unit="train PPS minus test PPS",
    family=FAMILY,
    source="Deepchecks ...LabelCorrelationChange add_condition_*_pps_difference_less_than default",
    doc="a feature predicting the label this much better in train than in test is a finding",
)
PPS_CHANGE_HIGH = declare(
    "pps_change_high",
    0.5,
    unit="train PPS minus test PPS",
    family=FAMILY,
    source="own choice",
    doc="a train-test PPS difference at or above this is high",
)

SHORTCUT_TARGETS = (T.DATA_COLLECTION, T.DATA_AUGMENTATION, T.DATA_PREPROCESSING)
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


rule(
    "Property / Feature Label Correlation, Single Feature Contribution",
    "shortcut_feature",
    condition="PPS ≥ 0.8 / ≥ 0.95",
    severity="medium / high",
    source="Deepchecks pps < 0.8 default; own",
)


def shortcut(power: PredictivePower, view: CheckView, report: Report) -> list[Analysis]:
    scores = power.scores
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
            targets=list(SHORTCUT_TARGETS),
        )
    ]


rule(
    "… Label Correlation Change",
    "shortcut_feature",
    condition=("train − test PPS ≥ 0.2 or train PPS ≥ 0.8 / difference ≥ 0.5 or train PPS ≥ 0.95"),
    severity="medium / high",
    source="Deepchecks pps difference < 0.2 default; own",
)


def shortcut_change(change: PpsChange, view: CheckView, report: Report) -> list[Analysis]:
    rows = [(r.name, r.difference, r.train, r.test) for r in change.rows]
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
            targets=list(SHORTCUT_TARGETS),
        )
    ]
