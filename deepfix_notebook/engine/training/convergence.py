"""Convergence rules: a flat loss, one still falling at the end, and a run too short to judge."""

from __future__ import annotations

import numpy as np

from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._advice import lower_lr, patience, raise_lr
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import cap, fmt, pct
from deepfix_notebook.engine._facts import TrainingFacts
from deepfix_notebook.engine._thresholds import declare, document
from deepfix_notebook.engine.training._progress import (
    FROZEN_DIGITS,
    UNFINISHED_SHARE,
    frozen_validation,
    level_drop,
    still_ahead,
)
from deepfix_notebook.engine.training._shape import _drop, _finite_prefix, _start, _steady

T = FaultTarget
P = ProblemCode
FAMILY = "convergence"

# DeepDiagnosis/AutoTrainer flag "loss not decreasing" on no meaningful improvement.
FLAT_DROP = declare(
    "flat_drop",
    0.05,
    unit="share of start value",
    family=FAMILY,
    source="own: healthy runs in tests/eval fall 30-99%",
    doc="a loss whose best is less than this below its start is flat",
)
FLAT_MOVE = declare(
    "flat_move",
    0.5,
    unit="share of start value",
    family=FAMILY,
    source="own choice",
    doc="a flat loss stays within this much of its start (moving more is divergence/instability)",
)
STILL_IMPROVING_SHARE = declare(
    "still_improving_share",
    0.20,
    unit="share of total improvement",
    family=FAMILY,
    source="own choice",
    doc="a last quarter still bringing this share of the total improvement has not converged",
)
STILL_IMPROVING_LEVEL = declare(
    "still_improving_level",
    0.15,
    unit="share of the level then",
    family=FAMILY,
    source="own: converged runs in tests/eval gain < 5% of their level over their last quarter",
    doc="a last quarter still lowering the loss by this share of its level has not converged",
)
LATE_SHARE_FLOOR = declare(
    "late_share_floor",
    0.05,
    unit="share of total improvement",
    family=FAMILY,
    source="own choice: a loss sliding towards zero keeps falling in level forever",
    doc="below this share of the gain, a fall in level near zero (see near_zero_level) is ignored",
)
NEAR_ZERO_LEVEL = declare(
    "near_zero_level",
    0.10,
    unit="share of start value",
    family=FAMILY,
    source="own choice",
    doc="a loss below this share of its start is sliding towards zero, where levels keep falling",
)
# A straight, crawling line: tiny gains per epoch, the last quarter keeping ~60% of the pace.
SLOW_TOTAL_DROP = declare(
    "slow_total_drop",
    0.30,
    unit="share of start value",
    family=FAMILY,
    source="own measurement",
    doc="a run that lowered the loss by less than this in total may be crawling",
)
CRAWL_SHARE = declare(
    "crawl_share",
    0.15,
    unit="share of total improvement",
    family=FAMILY,
    source="own measurement",
    doc="... it crawls when its last quarter still brings this share of its improvement",
)
MIN_EPOCHS = declare(
    "min_epochs",
    10,
    unit="epochs",
    family=FAMILY,
    source="CONTRACT.md §1 (3 to 9 epochs are insufficient)",
    doc="fewer epochs (from 3), or fewer points without epochs, is insufficient training",
)
SHORT_RUN_FALLING = declare(
    "short_run_falling",
    0.05,
    unit="share of the level then",
    family=FAMILY,
    source="own choice",
    doc="a short run still falling this much over its last quarter had more to give",
)

SCORE_GAIN = declare(
    "score_gain",
    0.05,
    unit="score (0..1)",
    family=FAMILY,
    source="own choice (5 accuracy points)",
    doc="a score gaining this much shows learning although the loss looks flat",
)
document(
    "loss_not_decreasing",
    family=FAMILY,
    condition=(
        "over ≥ 5 points the loss's best is < 5% below its start (the higher of its first points "
        "and its first 5%), it stays within half its start value (a loss that moves a lot is "
        "divergence or instability), and accuracy (if logged) gained < 5 points (median of its "
        "last tenth against its first); or the train loss's level (median of its last tenth "
        "against its first) fell < 5% and the validation loss is identical (6 significant "
        "digits) at ≥ 5 evaluations: frozen weights, whatever the batch noise of the train loss"
    ),
    severity="high",
    source="DeepDiagnosis/AutoTrainer symptom; 5% own (healthy runs fall 30-99%)",
)


def loss_not_decreasing(facts: TrainingFacts) -> list[Analysis]:
    curve = _finite_prefix(facts.loss)
    if curve.points.size < 5:
        return []
    drop = _drop(curve)
    frozen = frozen_validation(facts.val_loss) if level_drop(curve) < FLAT_DROP else None
    if drop >= FLAT_DROP and frozen is None:
        return []
    if frozen is None and float(np.ptp(curve.smooth)) > FLAT_MOVE * max(abs(_start(curve)), 1e-12):
        return []  # it moved a lot, just not down: divergence or instability, not flatness
    score = facts.score("train") or facts.score("val")
    if score is not None:
        values = score.values()
        tenth = max(1, values.size // 10)  # batch accuracies are noisy: compare levels
        gain = float(np.median(values[-tenth:]) - np.median(values[:tenth]))
        if values.size >= 2 and gain >= SCORE_GAIN:
            return []  # the loss barely moves but the model does learn
    stuck = ""
    if score is not None:
        typical = float(np.median(score.values())) * score.scale
        stuck = f"; {score.curve.display} stayed near {fmt(typical)}"
    n = curve.points.size
    best = fmt(float(np.min(curve.smooth)))
    if frozen is not None:
        stuck += (
            f"; {frozen.display} was {fmt(float(frozen.points[0]))} at all "
            f"{frozen.points.size} evaluations, identical to {FROZEN_DIGITS} digits: the weights "
            "did not change"
        )
    return [
        issue(
            P.LOSS_NOT_DECREASING,
            description=f"{curve.display} is essentially flat: the model is not learning.",
            evidence=(
                f"{curve.display} went from {fmt(curve.head())} at {curve.place(0)} to "
                f"{fmt(curve.tail())} at {curve.place(n - 1)} (best {best}, "
                f"{pct(max(drop, 0.0))} below its start){stuck}."
            ),
            severity=Severity.HIGH,
            confidence=0.85 if n >= 20 else 0.7,
            metric=curve.name,
            step_range=curve.step_range(0, n - 1),
            epoch_range=curve.epoch_range(0, n - 1),
            action=(
                "Check the model's plumbing first: hidden layers need non-linear activations and "
                "the output activation must match the loss (softmax with categorical "
                "cross-entropy, sigmoid with binary cross-entropy, linear with MSE); check that "
                "labels line up with their inputs, that inputs are scaled (standardised), and "
                "that one small batch can be overfitted. Then "
                f"tune the step size: {lower_lr(facts.learning_rate, facts.optimizer)} if it "
                "oscillates, or raise it if nothing moves; Adam at 1e-3 is a safe baseline."
            ),
            rationale=(
                "A loss that never moves usually means gradients carry no signal: a wrong "
                "loss/activation pairing, saturated or dead units, mismatched labels, or a "
                "step size far off."
            ),
            targets=[
                T.ACTIVATION,
                T.LOSS_FUNCTION,
                T.LABELS,
                T.DATA_PREPROCESSING,
                T.LEARNING_RATE,
                T.OPTIMIZER,
            ],
        )
    ]


document(
    "slow_convergence",
    family=FAMILY,
    condition=(
        "≥ 10 points; the last quarter still brings ≥ 20% of the total improvement, or lowers the "
        "loss ≥ 15% of its level (unless it is below 10% of its start and the quarter brings < 5% "
        "of the total improvement: a loss sliding towards zero), or the whole run "
        "lowered it < 30% while the last quarter kept "
        "≥ 60% of the average pace (crawling), or ≥ 25% of the gain the validation curve (else "
        "the loss, ≥ 8 points) is heading for is still ahead by Aitken's Δ² extrapolation from "
        "its start, middle and end, its second half falling by more than 3x its noise "
        "(unfinished); validation (if any) still improving"
    ),
    severity=(
        "medium when crawling or unfinished, or when validation (if logged) fell ≥ 15% of its "
        "level or ≥ 20% of its total gain in the last quarter (without validation: ≥ 20% of the "
        "loss's gain), else low"
    ),
    source=(
        "own (converged runs gain < 5% of their level in their last quarter); Aitken 1926 for "
        "the extrapolation"
    ),
)


def slow_convergence(facts: TrainingFacts) -> list[Analysis]:
    curve = _finite_prefix(facts.loss)
    n = curve.points.size
    if n < MIN_EPOCHS or _drop(curve) < FLAT_DROP:
        return []
    smooth = curve.smooth
    total = curve.head() - float(np.min(smooth))
    quarter = int(n * 0.75)
    late = float(smooth[quarter] - smooth[-1])
    share = late / total if total > 0 else 0.0
    level = late / abs(float(smooth[quarter])) if smooth[quarter] else 0.0
    crawling = _drop(curve) < SLOW_TOTAL_DROP and share >= CRAWL_SHARE
    # A loss approaching zero halves again and again in level while adding nothing: its level
    # only speaks while the last quarter still brings a real part of the total gain.
    if share < LATE_SHARE_FLOOR and _near_zero(float(smooth[quarter]), curve.head()):
        level = 0.0
    val = facts.val_loss
    ahead = still_ahead(val if val is not None and val.points.size >= 4 else curve)
    unfinished = ahead is not None and ahead >= UNFINISHED_SHARE
    still = share >= STILL_IMPROVING_SHARE or level >= STILL_IMPROVING_LEVEL
    if not (still or crawling or unfinished):
        return []
    val_gain = val_share = None
    if val is not None and val.points.size >= 4:
        v = _steady(val.points)
        at = float(v[int(v.size * 0.75)])
        val_gain = (at - float(v[-1])) / abs(at) if at else 0.0
        val_total = float(v[0] - np.min(v))
        val_share = (at - float(v[-1])) / val_total if val_total > 0 else 0.0
        if val_gain <= 0:
            return []  # validation stopped improving: more epochs would not help
    epochs = facts.epochs_seen
    more = (
        f"train for about {2 * epochs} epochs instead of {epochs}"
        if epochs
        else "train about 2x longer"
    )
    # The validation curve decides when there is one: a training loss sliding towards zero
    # always "falls X% of its level" without the model getting any better.
    if val_gain is not None and val_share is not None:
        if val_share < LATE_SHARE_FLOOR and _near_zero(at, float(v[0])):
            val_gain = min(val_gain, 0.0)
        clear = crawling or val_gain >= STILL_IMPROVING_LEVEL or val_share >= STILL_IMPROVING_SHARE
    else:
        clear = crawling or share >= STILL_IMPROVING_SHARE
    clear = clear or unfinished
    if late > 0:
        evidence = (
            f"{curve.display} fell another {pct(level)} in the last quarter of the run (from "
            f"{fmt(float(smooth[quarter]))} at {curve.place(quarter)} to "
            f"{fmt(float(smooth[-1]))}), {pct(share)} of its total improvement"
        )
    else:
        evidence = f"{curve.display} moved within its noise over the last quarter of the run"
    if val_gain is not None and val is not None:
        evidence += f"; {val.display} fell {_share(val_gain)} over that stretch"
    if unfinished and ahead is not None:
        judged = val if val is not None and val.points.size >= 4 else curve
        evidence += f"; {judged.display} " + (
            "was falling as fast at the end as in the middle: not slowing down"
            if ahead >= 1
            else f"still had about {pct(ahead)} of its improvement ahead (Aitken's "
            "extrapolation of its pace from its start, middle and end)"
        )
    return [
        issue(
            P.SLOW_CONVERGENCE,
            description=f"{curve.display} was still falling clearly when training stopped.",
            evidence=evidence + ".",
            severity=(
                Severity.MEDIUM
                if clear and (crawling or unfinished or max(share, level) >= STILL_IMPROVING_LEVEL)
                else Severity.LOW
            ),
            confidence=0.7,
            metric=curve.name,
            step_range=curve.step_range(quarter, n - 1),
            epoch_range=curve.epoch_range(quarter, n - 1),
            action=(
                f"{cap(more)}, or {raise_lr(facts.learning_rate, facts.optimizer, 3)} "
                "with a cosine or one-cycle schedule so it converges within the budget."
            ),
            rationale=(
                "A curve that is still descending steeply has not converged: more steps or "
                "larger (scheduled) steps reach a lower loss."
            ),
            targets=[T.EPOCHS, T.LEARNING_RATE, T.LR_SCHEDULE],
        )
    ]


def _share(fraction: float) -> str:
    """A percentage that keeps a small fall visible (0.4%, not 0%)."""
    return f"{fraction * 100:.1f}%" if abs(fraction) < 0.01 else pct(fraction)


def _near_zero(level: float, start: float) -> bool:
    return start > 0 and 0 <= level < NEAR_ZERO_LEVEL * start


document(
    "insufficient_training",
    family=FAMILY,
    condition="3 to 9 epochs (CONTRACT.md §1), or fewer than 10 points without epochs",
    severity=(
        "medium if validation (else the loss) still fell ≥ 5% over its last quarter (at least "
        "its last two points), else low"
    ),
    source="CONTRACT.md §1",
)


def insufficient_training(facts: TrainingFacts) -> list[Analysis]:
    curve = facts.loss
    epochs = facts.epochs_seen
    few_epochs = epochs is not None and 3 <= epochs < MIN_EPOCHS
    few_points = epochs is None and curve.n < MIN_EPOCHS
    if not (few_epochs or few_points) or curve.points.size == 0:
        return []
    # Still falling: over the last quarter (at least the last step) of the validation curve when
    # there is one, else of the loss.
    val = facts.val_loss
    ref = val if val is not None and val.points.size >= 2 else curve
    points = _steady(ref.points)
    # Over at least two steps: one validation step of a short run is mostly noise (a single
    # flat epoch is also what makes a too-eager early stopping end the run).
    k = max(2 if points.size >= 3 else 1, points.size // 4)
    before = float(points[-1 - k]) if points.size > k else float(points[0])
    still = (before - float(points[-1])) > SHORT_RUN_FALLING * abs(before)
    unit = f"{epochs} epochs" if few_epochs else f"{curve.n} logged steps"
    return [
        issue(
            P.INSUFFICIENT_TRAINING,
            description=f"The run is short ({unit}): too few to converge or to judge reliably.",
            evidence=(
                f"{curve.display} was logged over {unit}, from {fmt(curve.head())} to "
                f"{fmt(curve.tail())}" + (", and was still falling at the end." if still else ".")
            ),
            severity=Severity.MEDIUM if still else Severity.LOW,
            confidence=0.8,
            metric=curve.name,
            step_range=curve.raw_step_range(0, curve.n - 1),
            epoch_range=curve.raw_epoch_range(0, curve.n - 1),
            action=(
                f"Train for at least {MIN_EPOCHS}-{3 * MIN_EPOCHS} epochs with early stopping "
                f"(patience {patience(3 * MIN_EPOCHS)}) so the run can converge and its curves "
                "show over- or underfitting."
            ),
            rationale="A handful of epochs rarely reaches convergence, and trends need points.",
            targets=[T.EPOCHS, T.EARLY_STOPPING],
        )
    ]
