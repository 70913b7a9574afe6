"""Generalisation rules: overfitting (validation worse while training improves) and underfitting."""

from __future__ import annotations

import numpy as np

from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._advice import patience, weight_decay_advice
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import Curve, fmt, pct, smoothing_window
from deepfix_notebook.engine._facts import TrainingFacts
from deepfix_notebook.engine._thresholds import declare, document
from deepfix_notebook.engine.training._shape import (
    NOISE_MARGIN,
    _drop,
    _effective_best,
    _finite_prefix,
    _nearest,
    _noise,
    _refine_min,
    _steady,
)

T = FaultTarget
P = ProblemCode
FAMILY = "generalisation"

# Prechelt's generalisation loss GL = val/val_min - 1 (Early Stopping — But When?, 1998), at the
# end of the run, while training loss still falls.
OVERFIT_GL = declare(
    "overfit_gl",
    0.10,
    unit="generalisation loss (val/val_min - 1)",
    family=FAMILY,
    source="Prechelt, Early Stopping — But When?, 1998",
    doc="validation error this far above its minimum at the end, train loss falling, overfits",
)
OVERFIT_GL_HIGH = declare(
    "overfit_gl_high",
    0.50,
    unit="generalisation loss (val/val_min - 1)",
    family=FAMILY,
    source="own choice",
    doc="a generalisation loss this large makes overfitting high severity",
)
ACCURACY_GAP = declare(
    "accuracy_gap",
    0.10,
    unit="score (0..1)",
    family=FAMILY,
    source="own measurement",
    doc="a grown train-val accuracy gap this large is overfitting (and not underfitting)",
)
ACCURACY_GAP_HIGH = declare(
    "accuracy_gap_high",
    0.20,
    unit="score (0..1)",
    family=FAMILY,
    source="own choice",
    doc="an accuracy gap this large makes overfitting high severity",
)
UNDERFIT_SHARE = declare(
    "underfit_share",
    0.5,
    unit="share of the way from chance to perfect",
    family=FAMILY,
    source="own measurement",
    doc="a final score below chance plus this share of the way to perfect underfits",
)
UNDERFIT_SHARE_HIGH = declare(
    "underfit_share_high",
    0.25,
    unit="share of the way from chance to perfect",
    family=FAMILY,
    source="own choice",
    doc="a final score below chance plus this share makes underfitting high severity",
)

OVERFIT_MIN_BEFORE = declare(
    "overfit_min_before",
    0.85,
    unit="share of the run",
    family=FAMILY,
    source="own choice",
    doc="the validation minimum must lie before this share of the run to call a rise overfitting",
)
OVERFIT_TRAIN_FALL = declare(
    "overfit_train_fall",
    0.02,
    unit="share of the train loss then",
    family=FAMILY,
    source="own choice",
    doc="train loss must fall this much after the validation minimum",
)
GAP_GROWTH = declare(
    "gap_growth",
    0.6,
    unit="share of the final gap",
    family=FAMILY,
    source="own choice",
    doc="an accuracy gap already this large at the validation best is not growing",
)
SCORE_FLOOR = declare(
    "score_floor",
    0.05,
    unit="score (0..1)",
    family=FAMILY,
    source="own choice",
    doc="a score that never exceeds this while the loss halves measures nothing here",
)
UNDERFIT_UNKNOWN = declare(
    "underfit_unknown",
    0.6,
    unit="score (0..1)",
    family=FAMILY,
    source="own choice",
    doc="the underfitting bar when the number of classes is unknown",
)
UNDERFIT_UNKNOWN_HIGH = declare(
    "underfit_unknown_high",
    0.4,
    unit="score (0..1)",
    family=FAMILY,
    source="own choice",
    doc="the high-severity underfitting bar when the number of classes is unknown",
)
NOISY_CEILING = declare(
    "noisy_ceiling",
    0.8,
    unit="train accuracy (0..1)",
    family=FAMILY,
    source="Arpit et al., ICML 2017 (clean patterns are fitted first, noisy labels last)",
    doc="overfitting that set in while train accuracy was at or below this points at label noise",
)
NOISY_CLIMB = declare(
    "noisy_climb",
    0.15,
    unit="train accuracy (0..1)",
    family=FAMILY,
    source="Zhang et al., ICLR 2017 (networks memorise even random labels)",
    doc="... when train accuracy then climbed at least this much: labels it learned by heart",
)
document(
    "overfitting",
    family=FAMILY,
    condition=(
        "validation error (on a ≥ 5-point rolling median) rises ≥ 10% above its minimum "
        "(Prechelt's generalisation loss GL) by the end and by more than 3x its point-to-point "
        "noise, the minimum lies before the last 15%, and train loss fell ≥ 2% (and more than 3x "
        "its noise) since; or the train-val accuracy gap reaches 10 points after being ≤ 60% of "
        "that at the best validation point"
    ),
    severity=(
        "high for GL ≥ 50% or a gap ≥ 20 points, else medium; when train accuracy was ≤ 0.8 at "
        "the validation best and climbed ≥ 0.15 after it, the plan targets the labels first"
    ),
    source='Prechelt, "Early Stopping — But When?", 1998; gap own; Arpit et al. 2017',
)


def overfitting(facts: TrainingFacts) -> list[Analysis]:
    val = facts.val_loss
    if val is not None and val.points.size >= 4:
        found = _val_rise(facts, val)
        if found:
            return found
    return _accuracy_gap(facts)


def _val_rise(facts: TrainingFacts, val: Curve) -> list[Analysis]:
    smooth = val.smooth
    steady = _steady(val.points)
    low = int(np.argmin(steady))
    best = _refine_min(val.points, int(np.argmin(smooth)))
    if low >= steady.size * OVERFIT_MIN_BEFORE or steady[low] <= 0:
        return []
    end = val.tail()
    gl = end / float(steady[low]) - 1  # Prechelt's generalisation loss, on the steady curve
    if gl < OVERFIT_GL or end - float(steady[low]) < NOISE_MARGIN * _noise(val.points):
        return []  # a rise within the curve's own jitter is noise, not overfitting
    train = _finite_prefix(facts.loss)
    at_best = _nearest(train, int(val.steps[val.raw_index[low]]))
    width = max(1, smoothing_window(train.points.size))
    train_then = float(np.median(train.points[max(at_best - width, 0) : at_best + width + 1]))
    train_end = train.tail()
    train_fall = (train_then - train_end) / max(abs(train_then), 1e-12)
    if train_fall < OVERFIT_TRAIN_FALL or train_then - train_end < NOISE_MARGIN * _noise(
        train.points
    ):
        return []  # training stopped improving too: a plateau or divergence, not overfitting
    n = smooth.size
    epochs = facts.epochs_seen
    stop_at = val.place(best)
    decay = weight_decay_advice(
        facts.params.weight_decay if facts.params else None, facts.optimizer
    )
    noisy = _memorised_labels(facts, val.step_range(low, low)[0])
    regularise = (
        f"Stop at about {stop_at} with early stopping (patience {patience(epochs)}, "
        "restore the best weights); then regularise: "
        f"{decay}, dropout 0.2-0.5 and data augmentation, or get more training data."
    )
    return [
        issue(
            P.OVERFITTING,
            description="Validation loss rises while training loss keeps falling: overfitting.",
            evidence=(
                f"{val.display} rose {pct(gl)} from its minimum {fmt(float(val.points[best]))} at "
                f"{val.place(best)} to {fmt(end)} at {val.place(n - 1)} while "
                f"{train.display} fell {pct(train_fall)}.{noisy or ''}"
            ),
            severity=Severity.HIGH if gl >= OVERFIT_GL_HIGH else Severity.MEDIUM,
            confidence=min(0.6 + gl, 0.95) if n >= 6 else 0.55,
            metric=val.name,
            step_range=val.step_range(best, n - 1),
            epoch_range=val.epoch_range(best, n - 1),
            action=f"{LABEL_AUDIT} {regularise}" if noisy else regularise,
            rationale=(
                "Past the validation minimum the model memorises the training set; early "
                "stopping keeps the best point and regularisation or more data move it later."
            ),
            targets=(
                [T.LABELS, T.EARLY_STOPPING, T.REGULARIZATION, T.EPOCHS]
                if noisy
                else [T.EARLY_STOPPING, T.REGULARIZATION, T.DATA_AUGMENTATION, T.EPOCHS]
            ),
        )
    ]


LABEL_AUDIT = (
    "Audit the labels first: rank the training samples by how strongly the model disagrees "
    "with their label (confident learning, e.g. cleanlab's find_label_issues on out-of-fold "
    "predictions) and relabel or drop the worst; until then train with a noise-robust loss "
    "(label smoothing 0.1, or a symmetric/generalised cross-entropy)."
)


def _memorised_labels(facts: TrainingFacts, best_step: int) -> str | None:
    """Evidence of label noise: train accuracy was low where validation was best, and the
    model then climbed by memorising (clean patterns are learned first, noisy labels last)."""
    score = facts.score("train")
    if score is None or score.curve.points.size < 4:
        return None
    values = score.values()
    at = _nearest(score.curve, best_step)
    width = max(1, values.size // 20)
    then = float(np.median(values[max(at - width, 0) : at + width + 1]))
    end = float(np.median(values[-max(1, values.size // 10) :]))
    if then > NOISY_CEILING or end - then < NOISY_CLIMB:
        return None
    return (
        f" {score.curve.display} was only {fmt(then * score.scale)} at the validation best and "
        f"climbed to {fmt(end * score.scale)} afterwards: the model fitted what generalises "
        "first, then memorised labels it could not explain, the signature of noisy labels."
    )


def _accuracy_gap(facts: TrainingFacts) -> list[Analysis]:
    train, val = facts.score("train"), facts.score("val")
    if train is None or val is None or val.curve.points.size < 4:
        return []
    v = val.values()
    t_curve = train.curve
    tail = max(1, v.size // 10)
    v_end = float(np.median(v[-tail:]))
    t_end = float(np.median(train.values()[-max(1, train.values().size // 10) :]))
    gap = t_end - v_end
    if gap < ACCURACY_GAP:
        return []
    best = _effective_best(-v)
    at_best = _nearest(t_curve, int(val.curve.steps[val.curve.raw_index[best]]))
    gap_then = float(train.values()[at_best]) - float(v[best])
    if gap_then > gap * GAP_GROWTH:
        return []  # the gap was there from the start: not growing
    n = v.size
    decay = weight_decay_advice(
        facts.params.weight_decay if facts.params else None, facts.optimizer
    )
    noisy = _memorised_labels(facts, val.curve.step_range(best, best)[0])
    regularise = (
        f"Add early stopping on {val.curve.display} (patience "
        f"{patience(facts.epochs_seen)}), dropout 0.2-0.5, "
        f"{decay} and data augmentation."
    )
    return [
        issue(
            P.OVERFITTING,
            description="The train-validation accuracy gap grows: overfitting.",
            evidence=(
                f"{t_curve.display} ended at {fmt(t_end * train.scale)} but "
                f"{val.curve.display} at {fmt(v_end * val.scale)}: a gap of "
                f"{fmt(gap * 100)} points, up from {fmt(gap_then * 100)} at "
                f"{val.curve.place(best)}.{noisy or ''}"
            ),
            severity=Severity.HIGH if gap >= ACCURACY_GAP_HIGH else Severity.MEDIUM,
            confidence=0.75,
            metric=val.curve.name,
            step_range=val.curve.step_range(best, n - 1),
            epoch_range=val.curve.epoch_range(best, n - 1),
            action=f"{LABEL_AUDIT} {regularise}" if noisy else regularise,
            rationale="A widening gap means gains on training data no longer transfer.",
            targets=(
                [T.LABELS, T.EARLY_STOPPING, T.REGULARIZATION]
                if noisy
                else [T.EARLY_STOPPING, T.REGULARIZATION, T.DATA_AUGMENTATION]
            ),
        )
    ]


document(
    "underfitting",
    family=FAMILY,
    condition=(
        "final train score (accuracy/F1/AUC) below chance + 50% of the way to perfect (0.6 when "
        "classes are unknown), with no train-val gap"
    ),
    severity="high below chance + 25%, else medium",
    source=(
        "own; skipped when the score never leaves 0 while the loss halves (score not meaningful)"
    ),
)


def underfitting(facts: TrainingFacts) -> list[Analysis]:
    train, val = facts.score("train"), facts.score("val")
    score = train or val
    if score is None or score.curve.points.size < 3:
        return []
    if float(np.max(score.values())) < SCORE_FLOOR and _drop(_finite_prefix(facts.loss)) >= 0.5:
        return []  # a score that never leaves zero while the loss halves measures nothing here
    classes = facts.num_classes
    chance = 1.0 / classes if classes else 0.0
    final = float(np.median(score.values()[-max(1, score.values().size // 10) :]))
    poor = chance + UNDERFIT_SHARE * (1 - chance) if classes else UNDERFIT_UNKNOWN
    if final >= poor:
        return []
    if train is not None and val is not None:
        v_final = float(np.median(val.values()[-max(1, val.values().size // 10) :]))
        if final - v_final >= ACCURACY_GAP:
            return []  # a train-val gap is overfitting, not underfitting
    very = (
        final < chance + UNDERFIT_SHARE_HIGH * (1 - chance)
        if classes
        else final < UNDERFIT_UNKNOWN_HIGH
    )
    reference = f" (chance level for {classes} classes is {fmt(chance)})" if classes else ""
    reg = facts.params.weight_decay if facts.params else None
    n = score.curve.points.size
    return [
        issue(
            P.UNDERFITTING,
            description="Final performance is poor on training data itself: the model underfits.",
            evidence=(
                f"{score.curve.display} ended at {fmt(final * score.scale)}{reference}"
                + (
                    f", and {val.curve.display} at {fmt(float(val.values()[-1]) * val.scale)}"
                    if val is not None and score is train
                    else ""
                )
                + "."
            ),
            severity=Severity.HIGH if very else Severity.MEDIUM,
            confidence=0.8,
            metric=score.curve.name,
            step_range=score.curve.step_range(0, n - 1),
            epoch_range=score.curve.epoch_range(0, n - 1),
            action=(
                "Give the model more capacity (wider or deeper layers), check that activations "
                "are non-linear and the output activation fits the task, train longer"
                + (f", and lower regularisation (weight decay {fmt(reg)})" if reg else "")
                + "."
            ),
            rationale=(
                "When even the training data is fitted poorly the model cannot represent the "
                "mapping, is crippled by its activations, or has not been trained enough."
            ),
            targets=[T.ARCHITECTURE, T.ACTIVATION, T.EPOCHS, T.REGULARIZATION],
        )
    ]
