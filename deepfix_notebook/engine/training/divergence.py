"""Divergence rules: a loss that became NaN/Inf (``nan_loss``) or exploded (``exploding_loss``)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._advice import GRADIENT_CLIP_NORM, lower_lr
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import Curve, FloatArray, approx, cap, fmt, pct
from deepfix_notebook.engine._facts import TrainingFacts
from deepfix_notebook.engine._thresholds import declare, document
from deepfix_notebook.engine.training._shape import _finite_prefix, _runs, _span, _steady

T = FaultTarget
P = ProblemCode
FAMILY = "divergence"

# AutoTrainer flags loss explosion at an order-of-magnitude growth: 9 start-sizes above the best
# is ~10x for positive losses.
EXPLODE_RISE = declare(
    "explode_rise",
    9.0,
    unit="start-sizes above the best",
    family=FAMILY,
    source="AutoTrainer (loss explosion: order-of-magnitude growth)",
    doc="a loss rising this far above its running minimum exploded",
)
DIVERGE_END_RISE = declare(
    "diverge_end_rise",
    2.0,
    unit="start-sizes above the best",
    family=FAMILY,
    source="own measurement",
    doc="a loss whose last tenth sits this far above its best, and above its start, diverged",
)

# Deep networks blow up without NaN: from a low point the loss jumps an order of magnitude, partly
# recovers, and may do it again; or it ends several times above its best. Measured as ratios to
# the running best (a positive loss), guarded by a rise that is large on the curve's own scale so
# that a loss near zero moving from 1e-4 to 1e-3 is not an explosion.
BLOWUP_RATIO = declare(
    "blowup_ratio",
    10.0,
    unit="x the running best",
    family=FAMILY,
    source="AutoTrainer (order-of-magnitude growth), measured from the best instead of the start",
    doc="a positive loss reaching this multiple of its best so far blew up",
)
END_RATIO = declare(
    "end_ratio",
    3.0,
    unit="x the best",
    family=FAMILY,
    source="own choice: a converging loss ends within noise of its best",
    doc="a positive loss whose whole last tenth sits this many times above its best diverged",
)
BLOWUP_MIN_RISE = declare(
    "blowup_min_rise",
    0.25,
    unit="start-sizes",
    family=FAMILY,
    source="own choice",
    doc="a ratio-based blow-up must also rise this far on the curve's own scale",
)

document(
    "nan_loss",
    family=FAMILY,
    condition=(
        "a loss (or metric) value is NaN or ±Inf; when it is so from its first logged value "
        "(no finite value before), the forward pass itself broke: the advice checks inputs, "
        "labels, the loss and the initial weights first, the learning rate last, and no other "
        "rule judges that loss"
    ),
    severity="high for losses, medium for other metrics",
    source="SageMaker Debugger's LossNotDecreasing/ExplodingTensor rules treat NaN as fatal",
)


def nan_loss(facts: TrainingFacts) -> list[Analysis]:
    out = []
    for name, curve in facts.curves.items():
        cut = curve.first_nonfinite
        if cut is None or name in {"grad_norm", "learning_rate"}:
            continue
        is_loss = name.endswith("_loss") or name == facts.loss.name
        before = curve.values[:cut][np.isfinite(curve.values[:cut])]
        found = (
            _broken_from_start(facts, curve, is_loss)
            if before.size == 0
            else _broken_later(facts, curve, cut, before, is_loss)
        )
        out.append(found)
        if is_loss:
            break  # one broken loss says it; the other losses follow from it
    return out


def _broken_later(
    facts: TrainingFacts, curve: Curve, cut: int, before: FloatArray, is_loss: bool
) -> Analysis:
    after = curve.values[cut:]
    share = float(np.mean(~np.isfinite(after)))
    kind = "NaN" if np.isnan(curve.values[cut]) else "infinite"
    history = ""
    if before.size >= 2:
        history = f" after moving from {fmt(before[0])} to {fmt(before[-1])}"
    return issue(
        P.NAN_LOSS,
        description=f"{curve.display} became {kind}: the run's numbers broke down.",
        evidence=(
            f"{curve.display} became {kind} at {curve.place_raw(cut)}{history}; "
            f"{pct(share)} of the {after.size} values logged from there on are NaN or Inf."
        ),
        severity=Severity.HIGH if is_loss else Severity.MEDIUM,
        confidence=0.99 if is_loss else 0.9,
        metric=curve.name,
        step_range=curve.raw_step_range(cut, curve.n - 1),
        epoch_range=curve.raw_epoch_range(cut, curve.n - 1),
        action=(
            f"{cap(lower_lr(facts.learning_rate, facts.optimizer))}, clip the "
            f"global gradient norm at {GRADIENT_CLIP_NORM}, and check the inputs for "
            "NaN/Inf and the loss for log(0) or division by zero (use the framework's "
            "fused, numerically stable loss on logits)."
        ),
        rationale=(
            "NaN or Inf values come from an update that overflowed (too-large steps, "
            "exploding gradients, fp16 overflow) or from invalid inputs or loss terms; "
            "once they appear, every later update is garbage."
        ),
        targets=[T.LEARNING_RATE, T.GRADIENT_CLIPPING, T.DATA_PREPROCESSING, T.LOSS_FUNCTION],
    )


def _broken_from_start(facts: TrainingFacts, curve: Curve, is_loss: bool) -> Analysis:
    """No finite value was ever logged: the first forward pass already broke, before updates
    could blow anything up, so the data, the loss and the initial weights come first."""
    finite_later = int(np.count_nonzero(curve.finite))
    kind = "NaN" if np.isnan(curve.values[0]) else "infinite"
    first = f"step {int(curve.steps[0])}"
    if curve.epochs is not None and np.isfinite(curve.epochs[0]):
        first += f", {curve.place_raw(0)}"
    evidence = f"{curve.display} was {kind} from its first logged value ({first}): " + (
        f"{curve.n - finite_later} of its {curve.n} values are NaN or Inf."
        if finite_later
        else f"all {curve.n} values logged are NaN or Inf; it never had a finite value."
    )
    lr_advice = lower_lr(facts.learning_rate, facts.optimizer)
    return issue(
        P.NAN_LOSS,
        description=f"{curve.display} was {kind} from the start"
        + ("." if finite_later else ": training never had a number."),
        evidence=evidence,
        severity=Severity.HIGH if is_loss else Severity.MEDIUM,
        confidence=0.99 if is_loss else 0.9,
        metric=curve.name,
        step_range=curve.raw_step_range(0, curve.n - 1),
        epoch_range=curve.raw_epoch_range(0, curve.n - 1),
        action=(
            "Run one batch by hand before training: check the inputs for NaN/Inf (missing "
            "values, division by a zero std in normalisation), that the labels are in range "
            "for the loss (class indices 0..C-1, targets in [0, 1] for binary cross-entropy), "
            "that the loss gets logits where it expects them (log(0) from a softmax or sigmoid "
            "output fed to a log loss), and that the initial weights are finite (a custom "
            f"initialisation); then, if the first logged step came after some updates, "
            f"{lr_advice}."
        ),
        rationale=(
            "A loss that is NaN before any update can have blown up comes from the forward "
            "pass itself: invalid inputs or labels, a loss term such as log(0), or broken "
            "initial weights; a too-high learning rate needs a few updates to get there."
        ),
        targets=[
            T.DATA_PREPROCESSING,
            T.LABELS,
            T.LOSS_FUNCTION,
            T.WEIGHT_INIT,
            T.LEARNING_RATE,
        ],
    )


class Explosion(NamedTuple):
    rise: float  # the highest rise above the running minimum, in start-sizes
    best: int  # the low point before the peak
    peak: int
    ended_high: bool  # the last tenth sits far above the best
    blowups: int  # separate excursions of >= BLOWUP_RATIO x the running best


def _explosion(curve: Curve) -> Explosion | None:
    values = curve.smooth if curve.points.size > 100 else curve.points
    if values.size < 3:
        return None
    span = _span(curve)
    running_min = np.minimum.accumulate(values)
    rise = (values - running_min) / span
    peak = int(np.argmax(rise))
    best = int(np.argmin(values[: peak + 1]))
    tail, low = curve.tail(), float(np.min(values))
    ended_high = (tail - low) / span >= DIVERGE_END_RISE and tail > curve.head()
    blowups = 0
    if low > 0:
        # Ratios are taken to a steady best (a rolling median), so that one lucky low epoch of a
        # noisy curve does not make ordinary noise look like a tenfold jump.
        steady_min = np.minimum.accumulate(_steady(values))
        low = float(steady_min[-1])
        ratio = values / steady_min
        mask = (ratio >= BLOWUP_RATIO) & (rise >= BLOWUP_MIN_RISE)
        blowups = len(_runs(mask))
        # The whole last tenth stays far above the best: a loss on its way back is not "ended".
        end = float(np.min(values[-max(1, values.size // 10) :]))
        ended_high = ended_high or (
            end >= END_RATIO * low and (end - low) / span >= BLOWUP_MIN_RISE
        )
    return Explosion(float(rise[peak]), best, peak, ended_high, blowups)


def _worst_at_end(values: FloatArray, share: float = 0.1) -> bool:
    """Whether the highest value lies in the last ``share`` of the points."""
    k = max(1, int(np.ceil(values.size * share)))
    return int(np.argmax(values)) >= values.size - k


document(
    "exploding_loss",
    family=FAMILY,
    condition=(
        "the smoothed loss rises ≥ 9 start-sizes above its running minimum (≈10x for positive "
        "losses), or a positive loss reaches ≥ 10x its running best while rising ≥ 0.25 "
        "start-sizes (a blow-up from a low point, counted per excursion), or it ends ≥ 2 "
        "start-sizes above its best and above its start, or its whole last tenth stays ≥ 3x its "
        "best (≥ 0.25 start-sizes above it)"
    ),
    severity="high when it ends diverged or NaN follows, else medium",
    source="AutoTrainer (order-of-magnitude growth); end rule own",
)


def exploding_loss(facts: TrainingFacts) -> list[Analysis]:
    curve = _finite_prefix(facts.loss)
    found = _explosion(curve)
    if found is None:
        return []
    rise, best, peak, ended_high, blowups = found
    exploded = rise >= EXPLODE_RISE or blowups > 0
    if not exploded and not ended_high:
        return []
    values = curve.points
    # An explosion whose worst point is in the last stretch was still under way when the run
    # ended: the span measure (which grows with the explosion) must not call it "came back".
    ended_high = ended_high or (exploded and _worst_at_end(values))
    severity = (
        Severity.HIGH if ended_high or facts.loss.first_nonfinite is not None else Severity.MEDIUM
    )
    if exploded:
        evidence = (
            f"{curve.display} rose from {fmt(values[best])} at {curve.place(best)} to "
            f"{fmt(values[peak])} at {curve.place(peak)} ({approx(values[peak] / values[best])}x)"
            if values[best] > 0
            else f"{curve.display} rose from {fmt(values[best])} to {fmt(values[peak])}"
        )
        if _worst_at_end(values):
            evidence += f" and was still climbing when the run ended ({fmt(values[-1])})."
        elif ended_high:
            evidence += f" and ended at {fmt(curve.tail())}."
        else:
            evidence += f"; it came back to {fmt(curve.tail())} by the end."
        if blowups > 1:
            evidence += f" It blew up {blowups} times, each {fmt(BLOWUP_RATIO)}x above its best."
        last = peak
    else:
        low = int(np.argmin(values))
        evidence = (
            f"{curve.display} fell to {fmt(values[low])} at {curve.place(low)}, then climbed "
            f"back to {fmt(curve.tail())} by the end, above its start ({fmt(curve.head())})."
        )
        best, last = low, values.size - 1
    return [
        issue(
            P.EXPLODING_LOSS,
            description=f"{curve.display} diverged: it grew far above its best value.",
            evidence=evidence,
            severity=severity,
            confidence=0.9 if exploded else 0.75,
            metric=curve.name,
            step_range=curve.step_range(best, last),
            epoch_range=curve.epoch_range(best, last),
            action=(
                f"{cap(lower_lr(facts.learning_rate, facts.optimizer))}; add learning-rate "
                f"warm-up over the first 1-5% of steps and clip the gradient norm at "
                f"{GRADIENT_CLIP_NORM}."
            ),
            rationale=(
                "A loss that climbs by an order of magnitude means updates overshoot the "
                "minimum; smaller, warmed-up and clipped steps keep the optimizer in the basin."
            ),
            targets=[T.LEARNING_RATE, T.LR_SCHEDULE, T.GRADIENT_CLIPPING],
        )
    ]
