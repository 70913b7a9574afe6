"""The validation split: none, or too small to measure the model reliably."""

from __future__ import annotations

import math

from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import fmt
from deepfix_notebook.engine._thresholds import declare, document
from deepfix_notebook.engine.dataset._facts import FAMILY, DatasetFacts, percent

T = FaultTarget
P = ProblemCode

# The standard error of an accuracy p on n samples is sqrt(p(1-p)/n).
MIN_VAL = declare(
    "min_val",
    100,
    unit="validation samples",
    family=FAMILY,
    source="sqrt(p(1-p)/n): above 4 points at p = 0.8 below 100 samples",
    doc="fewer validation samples in a standard-share split are a low hint (cross-validate)",
)
MIN_VAL_HIGH = declare(
    "min_val_high",
    30,
    unit="validation samples",
    family=FAMILY,
    source="sqrt(p(1-p)/n): above 7 points at p = 0.8 below 30 samples",
    doc="fewer validation samples in a split under val_share are high",
)
VAL_SHARE = declare(
    "val_share",
    0.10,
    unit="share of all samples (medium) or of the training set (low)",
    family=FAMILY,
    source="the common 80/10/10 and 70/15/15 splits",
    doc="a smaller validation split is a low finding while its standard error is above 1 point",
)
VAL_SE_MEDIUM = declare(
    "val_se_medium",
    0.02,
    unit="standard error of an accuracy",
    family=FAMILY,
    source="own choice: 2 points swamp most epoch-to-epoch gains",
    doc="a split under val_share is a medium finding while its standard error is above this",
)
VAL_SE_TOLERANCE = declare(
    "val_se_tolerance",
    0.01,
    unit="standard error of an accuracy",
    family=FAMILY,
    source="own choice",
    doc="a validation split under val_share matters while its standard error is above this",
)
REFERENCE_ACCURACY = declare(
    "reference_accuracy",
    0.8,
    unit="accuracy",
    family=FAMILY,
    source="own choice",
    doc="the accuracy at which validation standard errors are computed",
)


def standard_error(n: int, p: float = REFERENCE_ACCURACY) -> float:
    """Standard error of an accuracy ``p`` measured on ``n`` samples."""
    return math.sqrt(p * (1 - p) / n) if n > 0 else float("inf")


document(
    "small_validation_split",
    family=FAMILY,
    condition=(
        "no validation samples; or a validation split under 10% of all samples whose accuracy "
        "estimate has a standard error > 2 points (at 80% accuracy: < 400 samples). Judged on "
        "the split itself: a dataset too small for any split is small_dataset, and a 20% split "
        "of 150 samples is the right split of a small dataset (a low hint: cross-validate)"
    ),
    severity="medium",
    source="sqrt(p(1-p)/n); the 80/10/10 and 70/15/15 conventions",
)
document(
    "small_validation_split",
    family=FAMILY,
    condition="the same with < 30 validation samples (standard error > 7.3 points)",
    severity="high",
    source="same",
)
document(
    "small_validation_split",
    family=FAMILY,
    condition=(
        "a split of ≥ 10% with < 100 samples (standard error > 4 points), or under 10% while the "
        "standard error is > 1 point"
    ),
    severity="low",
    source="same",
)


def small_validation_split(facts: DatasetFacts) -> list[Analysis]:
    info = facts.info
    n_train, n_val = info.num_train_samples, info.num_val_samples
    if n_train is None or n_val is None:
        return []
    total = n_train + n_val
    hold_out = f"about {round(0.15 * total)} of the {total} samples"
    stratify = " stratified by class" if facts.is_classification else ""
    action = (
        f"Hold out 10-20% of the data for validation ({hold_out}){stratify}, or use "
        f"{'stratified ' if stratify else ''}5-fold cross-validation when data is scarce."
    )
    if n_val == 0:
        return [
            issue(
                P.SMALL_VALIDATION_SPLIT,
                description="There is no validation split.",
                evidence=f"num_val_samples is 0 next to {n_train} training samples.",
                severity=Severity.MEDIUM,
                confidence=0.9,
                action=action,
                rationale=(
                    "Without held-out data, overfitting, early stopping and model choice cannot "
                    "be judged."
                ),
                targets=[T.DATA_SPLIT],
            )
        ]
    share = n_val / n_train
    se = standard_error(n_val)
    # The split is at fault only when it takes a small share of the data: a standard share of
    # a small dataset is as large as that dataset allows (small_dataset says so).
    if n_val / total < VAL_SHARE and se > VAL_SE_MEDIUM:
        severity = Severity.HIGH if n_val < MIN_VAL_HIGH else Severity.MEDIUM
    elif n_val < MIN_VAL or (share < VAL_SHARE and se > VAL_SE_TOLERANCE):
        severity = Severity.LOW
    else:
        return []
    return [
        issue(
            P.SMALL_VALIDATION_SPLIT,
            description="The validation split is too small to measure the model reliably.",
            evidence=(
                f"{n_val} validation samples, {percent(share)} of the {n_train} training samples: "
                f"at {fmt(REFERENCE_ACCURACY * 100)}% accuracy the estimate has a standard error "
                f"of {se * 100:.1f} points (95% interval +-{1.96 * se * 100:.1f})."
            ),
            severity=severity,
            confidence=0.85,
            action=action,
            rationale=(
                "A validation metric from few samples swings by several points between epochs "
                "and seeds, so early stopping and model selection follow noise."
            ),
            targets=[T.DATA_SPLIT],
        )
    ]
