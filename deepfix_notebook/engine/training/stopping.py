"""Stopping rules: the validation metric stopped improving long before the run did.

``overtraining`` (the best came early) and ``plateau`` (a long stall): both ask for early stopping
or a learning-rate schedule.
"""

from __future__ import annotations

import numpy as np

from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._advice import patience
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import Curve, FloatArray, fmt, pct
from deepfix_notebook.engine._facts import TrainingFacts
from deepfix_notebook.engine._thresholds import declare, document
from deepfix_notebook.engine.training._shape import (
    MIN_DELTA_SHARE,
    NOISE_MARGIN,
    _drop,
    _effective_best,
    _finite_prefix,
    _improvement_marks,
    _nearest,
    _noise,
    _steady,
)

T = FaultTarget
P = ProblemCode
FAMILY = "stopping"

OVERTRAIN_SHARE = declare(
    "overtrain_share",
    0.6,
    unit="share of the run",
    family=FAMILY,
    source="Prechelt 1998; value own",
    doc="a validation best reached before this share of the run is overtraining",
)
# No improvement for the patience of Keras' ReduceLROnPlateau, or a share of the run: the longer.
PLATEAU_PATIENCE = declare(
    "plateau_patience",
    10,
    unit="epochs",
    family=FAMILY,
    source="Keras ReduceLROnPlateau default patience",
    doc="a validation metric not improving for this many epochs has plateaued",
)
PLATEAU_SHARE = declare(
    "plateau_share",
    0.25,
    unit="share of the run",
    family=FAMILY,
    source="own choice",
    doc="... or for this share of the run, whichever is longer",
)
PLATEAU_LONG_SHARE = declare(
    "plateau_long_share",
    0.5,
    unit="share of the run",
    family=FAMILY,
    source="own choice",
    doc="a stall over this share of the run with a constant learning rate is worth fixing",
)

OVERTRAIN_WORSE = declare(
    "overtrain_worse",
    0.03,
    unit="share of the curve's range",
    family=FAMILY,
    source="own choice",
    doc="medium overtraining: the curve got this much worse after its best",
)
OVERTRAIN_RISE = declare(
    "overtrain_rise",
    0.10,
    unit="share of the best value",
    family=FAMILY,
    source="own choice",
    doc=(
        "... or ended this much above its best value (and above its noise): a curve with a "
        "large first drop hides a real rise in a share of its range"
    ),
)
PLATEAU_STUCK_DROP = declare(
    "plateau_stuck_drop",
    0.5,
    unit="share of start value",
    family=FAMILY,
    source="own choice",
    doc="a train loss that fell less than this is stuck (plateau severity)",
)
PLATEAU_TRAIN_FALL = declare(
    "plateau_train_fall",
    0.2,
    unit="share of the train loss at the stall's start",
    family=FAMILY,
    source="own choice",
    doc=(
        "a train loss still falling this much over the stall is optimising: the stall is the "
        "model's generalisation limit, which a schedule does not lift (low)"
    ),
)
PLATEAU_TRAIN_RISE = declare(
    "plateau_train_rise",
    0.1,
    unit="share of the train loss at the stall's start",
    family=FAMILY,
    source="own choice",
    doc="a train loss rising this much over the stall is instability, not a plateau (low)",
)
PLATEAU_WANDER_NOISE = declare(
    "plateau_wander_noise",
    1.5,
    unit="x the curve's noise",
    family=FAMILY,
    source="own choice",
    doc="a metric wandering this far above its best is not resting at it",
)
document(
    "overtraining",
    family=FAMILY,
    condition=(
        "the validation best (first point within 1% of the range from the minimum) comes before "
        "60% of the run; not when the curve neither improved on its start nor ended above its "
        "best by more than 1% of its start (a dead run has no best to train past)"
    ),
    severity=(
        "medium when ≥ 60% of the run follows and the curve got worse: ≥ 3% of its range, or "
        "≥ 10% of its best value and more than its noise; else low"
    ),
    source="Prechelt 1998",
)


def _run_share(facts: TrainingFacts, curve: Curve, start: int, end: int) -> float:
    """The share of the run's steps from point ``start`` to ``end`` of ``curve``: the run began
    at step 0 (or its first logged step if negative), not at its first evaluation."""
    a, b = curve.step_range(start, end)
    last = curve.step_range(0, curve.points.size - 1)[1]
    first = min(0, int(curve.steps[0]), int(facts.loss.steps[0]))
    return (b - a) / max(last - first, 1)


def _unmoved(values: FloatArray) -> bool:
    """Whether a validation curve neither improved on its start nor ended above its best by
    more than 1% of its start (Keras' min_delta in spirit)."""
    start, lowest = float(values[0]), float(np.min(values))
    end = float(np.median(values[-max(1, values.size // 10) :]))
    moved = MIN_DELTA_SHARE * abs(start)
    return start - lowest <= moved and end - lowest <= moved


def overtraining(facts: TrainingFacts) -> list[Analysis]:
    val = facts.val_loss
    score = facts.score("val")
    if val is not None and val.points.size >= 6:
        values, raw, curve = val.smooth, val.points, val
    elif score is not None and score.curve.points.size >= 6:
        values, raw, curve = -score.values(), -score.curve.points / score.scale, score.curve
    else:
        return []
    best = _effective_best(values)
    n = values.size
    share_after = (n - 1 - best) / (n - 1)
    if best > n * OVERTRAIN_SHARE or share_after < 1 - OVERTRAIN_SHARE:
        return []
    if _unmoved(values):
        return []  # start, best and end alike: nothing was learned to train past (a dead run)
    span = max(float(np.ptp(values)), 1e-12)
    end = float(np.median(values[-max(1, n // 10) :]))
    lowest = float(np.min(values))
    rise = end - lowest  # above the minimum itself, not the "within 1%" point called best
    costly = (end - float(values[best])) / span >= OVERTRAIN_WORSE or (
        rise >= OVERTRAIN_RISE * abs(lowest) and rise > NOISE_MARGIN * _noise(raw)
    )
    epochs = facts.epochs_seen
    wasted = _run_share(facts, curve, best, n - 1)
    return [
        issue(
            P.OVERTRAINING,
            description="Training went on long after the best validation result.",
            evidence=(
                f"{curve.display} came within 1% of its best by {curve.place(best)}; the remaining "
                f"{pct(wasted)} of the run (to {curve.place(n - 1)}) brought no improvement."
            ),
            severity=Severity.MEDIUM if share_after >= OVERTRAIN_SHARE and costly else Severity.LOW,
            confidence=0.7,
            metric=curve.name,
            step_range=curve.step_range(best, n - 1),
            epoch_range=curve.epoch_range(best, n - 1),
            action=(
                f"Use early stopping on {curve.display} with patience {patience(epochs)} and "
                f"restore the best weights; about {curve.place(best)} would have been enough."
            ),
            rationale="Epochs after the validation optimum cost compute and risk overfitting.",
            targets=[T.EARLY_STOPPING, T.EPOCHS],
        )
    ]


document(
    "plateau",
    family=FAMILY,
    condition=(
        "on a ≥ 5-point rolling median, the validation metric's best does not improve by more "
        "than max(1% of its range, its noise) for max(10 epochs, 25% of the run), and the "
        "stretch is flat (its first and last quarters differ by ≤ max(10% of the range, 3x "
        "noise))"
    ),
    severity=(
        "medium when the plateau reaches the end, the train loss does not rise > 10% over it, and "
        "either train loss is stuck (< 50% fall) or it lasts ≥ 50% of the run with a constant "
        "learning rate while the metric wanders above its best (by 1.5x noise) and the train "
        "loss falls ≤ 20% over it; else low"
    ),
    source="Keras ReduceLROnPlateau (patience 10, min_delta)",
)


def _fall_over(train: Curve, curve: Curve, start: int, end: int) -> float:
    """How much the train loss fell (share of its level) between two points of ``curve``,
    comparing the medians of the first and last fifth of that stretch (0 when unknown)."""
    first, last = curve.step_range(start, end)
    a, b = _nearest(train, first), _nearest(train, last)
    if b - a < 2:
        return 0.0
    k = max(1, (b - a) // 5)
    before = float(np.median(train.points[a : a + k]))
    after = float(np.median(train.points[b - k + 1 : b + 1]))
    return (before - after) / before if before > 0 else 0.0


def plateau(facts: TrainingFacts) -> list[Analysis]:
    val = facts.val_loss
    score = facts.score("val")
    if val is not None and val.points.size >= 8:
        raw, curve = val.points, val
    elif score is not None and score.curve.points.size >= 8:
        raw, curve = -score.curve.points / score.scale, score.curve
    else:
        return []
    n = raw.size
    values = _steady(raw)
    noise = _noise(raw)
    delta = max(float(np.ptp(values)) * MIN_DELTA_SHARE, noise, 1e-12)
    marks = _improvement_marks(values, delta)
    gaps = np.diff(np.r_[marks, n])
    longest = int(np.argmax(gaps))
    start, length = int(marks[longest]), int(gaps[longest])
    epochs = facts.epochs_seen
    per_point = (epochs / n) if epochs else 1.0
    needed = max(PLATEAU_PATIENCE / per_point, PLATEAU_SHARE * n)
    if length < needed:
        return []
    end = start + length - 1
    stretch = values[start : end + 1]
    allowed = max(0.1 * float(np.ptp(values)), NOISE_MARGIN * noise)
    k = max(3, stretch.size // 4)
    if abs(float(np.median(stretch[-k:]) - np.median(stretch[:k]))) > allowed:
        return []  # it moved (e.g. rose: overfitting), it did not stall
    train = _finite_prefix(facts.loss)
    stuck = _drop(train) < PLATEAU_STUCK_DROP
    lr_constant = (
        "learning_rate" not in facts.curves
        or float(np.ptp(facts.curves["learning_rate"].points)) == 0.0
    )
    at_end = end >= n - 2
    # Wandering above its best at the end, with a step size that never shrinks.
    wandering = (
        float(np.median(raw[-max(3, n // 4) :]))
        > float(np.min(values)) + PLATEAU_WANDER_NOISE * noise
    )
    long = length >= PLATEAU_LONG_SHARE * n
    fall = _fall_over(train, curve, start, end)
    optimising = fall > PLATEAU_TRAIN_FALL
    rising = fall < -PLATEAU_TRAIN_RISE
    severity = (
        Severity.MEDIUM
        if at_end
        and not rising
        and (stuck or (long and lr_constant and wandering and not optimising))
        else Severity.LOW
    )
    return [
        issue(
            P.PLATEAU,
            description=f"{curve.display} stalled for a long stretch.",
            evidence=(
                f"{curve.display} did not improve by more than {fmt(delta)} from "
                f"{curve.place(start)} to {curve.place(end)} "
                f"({pct(_run_share(facts, curve, start, end))} of the run)"
                + (", with a constant learning rate." if lr_constant else ".")
            ),
            severity=severity,
            confidence=0.7,
            metric=curve.name,
            step_range=curve.step_range(start, end),
            epoch_range=curve.epoch_range(start, end),
            action=(
                "Add a schedule that lowers the learning rate on plateaus (ReduceLROnPlateau: "
                f"factor 0.1-0.5, patience {patience(epochs)}) or a cosine decay, and stop early "
                "when it no longer helps."
            ),
            rationale=(
                "A stalled validation metric with a constant step size often moves again when "
                "the step shrinks; otherwise the remaining epochs are wasted."
            ),
            targets=[T.LR_SCHEDULE, T.EARLY_STOPPING],
        )
    ]
