"""Leakage rule: validation results better than training (``suspicious_validation``)."""

from __future__ import annotations

import numpy as np

from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import Curve, approx, fmt, pct
from deepfix_notebook.engine._facts import TrainingFacts
from deepfix_notebook.engine._thresholds import declare, document
from deepfix_notebook.engine.training._shape import _finite_prefix, _nearest

T = FaultTarget
P = ProblemCode
FAMILY = "leakage"

VAL_LOSS_RATIO = declare(
    "val_loss_ratio",
    0.8,
    unit="x train loss",
    family=FAMILY,
    source="own choice",
    doc="validation loss at or below this share of train loss over the second half is suspicious",
)
VAL_LOSS_RATIO_LARGE = declare(
    "val_loss_ratio_large",
    0.5,
    unit="x train loss",
    family=FAMILY,
    source="own choice",
    doc="at or below this, dropout or augmentation alone cannot be the whole story",
)
VAL_SCORE_MARGIN = declare(
    "val_score_margin",
    0.05,
    unit="score (0..1)",
    family=FAMILY,
    source="own choice",
    doc="validation accuracy this far above train over the second half is suspicious",
)
NEAR_PERFECT = declare(
    "near_perfect",
    0.999,
    unit="score (0..1)",
    family=FAMILY,
    source="own choice",
    doc="validation accuracy at or above this from the first fifth of the run is suspicious",
)
HEAVY_DROPOUT = declare(
    "heavy_dropout",
    0.5,
    unit="dropout rate",
    family=FAMILY,
    source="Srivastava et al. 2014 (0.5 for hidden units is the usual upper end)",
    doc="dropout above this cripples the model the training metrics are computed on",
)
VAL_LOSS_RATIO_DROPOUT = declare(
    "val_loss_ratio_dropout",
    0.9,
    unit="x train loss",
    family=FAMILY,
    source="own choice",
    doc="with heavy dropout, validation loss at or below this share of train loss is medium",
)
MEMORISED_FALL = declare(
    "memorised_fall",
    0.03,
    unit="share of the first train loss",
    family=FAMILY,
    source="own choice",
    doc=(
        "train loss at or below this share of its start has memorised the training set; "
        "honest validation loss then stays above it"
    ),
)

EARLY_SHARE = declare(
    "early_share",
    0.2,
    unit="share of the run",
    family=FAMILY,
    source="own choice",
    doc="the early stretch in which near-perfect validation is suspicious",
)
document(
    "suspicious_validation",
    family=FAMILY,
    condition=(
        "validation loss ≤ 80% of train loss over the second half (≤ 90% with dropout > 0.5), "
        "or validation accuracy ≥ 5 points above train, or validation accuracy ≥ 0.999 from the "
        "first fifth, or ≥ 0.999 with validation loss ≤ train loss after train loss fell to "
        "≤ 3% of its start (a memorised training set that validation follows)"
    ),
    severity=(
        "medium; low when dropout ≤ 0.5 or augmentation is configured and val loss is above "
        "half of train (regularisation is then the first target)"
    ),
    source='Kaufman et al., "Leakage in Data Mining", 2012; margins own',
)


def suspicious_validation(facts: TrainingFacts) -> list[Analysis]:
    train, val = _finite_prefix(facts.loss), facts.val_loss
    out: list[Analysis] = []
    params = facts.params
    regularised = bool(params and (params.dropout_rate or params.augmentation))
    heavy = bool(params and params.dropout_rate and params.dropout_rate > HEAVY_DROPOUT)
    ratio: float | None = None
    if val is not None and val.points.size >= 4 and val.first_nonfinite is None:
        half = val.points[val.points.size // 2 :]
        start = _nearest(train, int(val.steps[val.raw_index[val.points.size // 2]]))
        t_half = train.points[start:]
        if half.size and t_half.size and np.median(t_half) > 0:
            ratio = float(np.median(half) / np.median(t_half))
            if ratio <= (VAL_LOSS_RATIO_DROPOUT if heavy else VAL_LOSS_RATIO):
                mild = regularised and not heavy and ratio > VAL_LOSS_RATIO_LARGE
                out.append(
                    _suspicious(
                        facts,
                        val,
                        f"Over the second half of the run {val.display} (median "
                        f"{fmt(float(np.median(half)))}) stayed {pct(1 - ratio)} below "
                        f"{train.display} (median {fmt(float(np.median(t_half)))}).",
                        Severity.LOW if mild else Severity.MEDIUM,
                    )
                )
    t_score, v_score = facts.score("train"), facts.score("val")
    if v_score is not None and v_score.curve.points.size >= 4:
        v = v_score.values()
        half = v[v.size // 2 :]
        if t_score is not None:
            t = t_score.values()
            margin = float(np.median(half) - np.median(t[t.size // 2 :]))
            if margin >= VAL_SCORE_MARGIN and not out:
                out.append(
                    _suspicious(
                        facts,
                        v_score.curve,
                        f"{v_score.curve.display} stayed {fmt(margin * 100)} points above "
                        f"{t_score.curve.display} over the second half of the run.",
                        Severity.LOW if regularised else Severity.MEDIUM,
                    )
                )
        early = v[: max(1, int(v.size * EARLY_SHARE))]
        if (
            float(np.median(half)) >= NEAR_PERFECT
            and float(np.max(early)) >= NEAR_PERFECT
            and not out
        ):
            out.append(
                _suspicious(
                    facts,
                    v_score.curve,
                    f"{v_score.curve.display} was near-perfect "
                    f"({fmt(float(np.max(early)) * v_score.scale)}) within the first fifth of "
                    "the run and stayed there.",
                    Severity.MEDIUM,
                )
            )
        if ratio is not None and ratio <= 1.0 and not out and float(np.max(v)) >= NEAR_PERFECT:
            fell = float(np.median(train.points[-3:]) / np.mean(train.points[:3]))
            if 0 <= fell <= MEMORISED_FALL:
                out.append(
                    _suspicious(
                        facts,
                        v_score.curve,
                        f"{train.display} fell to {pct(fell)} of its start (the training set is "
                        f"memorised), yet {v_score.curve.display} reached "
                        f"{fmt(float(np.max(v)) * v_score.scale)} and the validation loss stayed "
                        f"at or below the training loss ({pct(ratio)} of it over the second "
                        "half): honest held-out data does not follow a memorising model.",
                        Severity.MEDIUM,
                    )
                )
    return out


def _suspicious(facts: TrainingFacts, curve: Curve, evidence: str, severity: Severity) -> Analysis:
    n = curve.points.size
    params = facts.params
    dropout = params.dropout_rate if params is not None else None
    regularised = bool(dropout or (params is not None and params.augmentation))
    crippled = bool(dropout and dropout > HEAVY_DROPOUT)
    # Train-only regularisation is the innocent explanation; say so, and make it a target.
    heavy = (
        f"; with dropout {fmt(dropout)} the training metrics are computed on a crippled model, "
        f"so also try dropout around {approx(min(dropout / 2, 0.3))}"
        if dropout
        else "; augmentation active only in training can explain part of it"
        if regularised
        else "; dropout or augmentation active only in training can explain a small margin"
    )
    return issue(
        P.SUSPICIOUS_VALIDATION,
        description="Validation results look better than training: check for leakage.",
        evidence=evidence,
        severity=severity,
        confidence=0.6,
        metric=curve.name,
        step_range=curve.step_range(n // 2, n - 1),
        epoch_range=curve.epoch_range(n // 2, n - 1),
        action=(
            "Check that no sample (or near-duplicate) is in both training and validation sets, "
            "that the split happens before augmentation and feature scaling are fitted, and "
            f"that no feature encodes the label{heavy}."
        ),
        rationale=(
            "Validation that beats training by a margin, or is near-perfect from the start, is "
            "the classic sign of leakage between the splits."
        ),
        # Train-only regularisation is always a candidate; known heavy dropout, the first one.
        targets=[T.REGULARIZATION, T.DATA_SPLIT, T.LABELS]
        if crippled
        else [T.DATA_SPLIT, T.LABELS, T.REGULARIZATION],
    )
