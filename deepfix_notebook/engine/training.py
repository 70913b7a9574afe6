"""TrainingArtifactsAnalyzer: rules over the training curves (metrics.csv) and params.

Every threshold is a named constant with its source; `docs/diagnosis.md` keeps the table.
Rules judge shapes relative to each curve's own scale, so they hold for losses from 1e-4 to 1e4,
and look at the binned, smoothed curve (see `_curves`) so that step-level noise is not a signal.
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import NormalDist
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from deepfix_notebook.artifacts import ArtifactBundle
from deepfix_notebook.contract import (
    AgentName,
    AgentResult,
    Analysis,
    FaultTarget,
    ProblemCode,
    Severity,
)
from deepfix_notebook.engine._advice import (
    DEFAULT_LR,
    GRADIENT_CLIP_NORM,
    LR_TOO_HIGH_FACTOR,
    LR_TOO_LOW_FACTOR,
    family,
    lower_lr,
    patience,
    raise_lr,
    weight_decay_advice,
)
from deepfix_notebook.engine._agent import AgentInput, issue
from deepfix_notebook.engine._curves import (
    Curve,
    FloatArray,
    IntArray,
    approx,
    cap,
    curves,
    fmt,
    pct,
    rolling_median,
    smoothing_window,
)
from deepfix_notebook.engine._facts import TrainingFacts

T = FaultTarget
P = ProblemCode

# --- thresholds -----------------------------------------------------------------------------
# A loss that falls less than this share of its start value over the whole run is flat:
# DeepDiagnosis/AutoTrainer flag "loss not decreasing" on no meaningful improvement; 5% is our
# own measurement (healthy runs in tests/eval fall 30-99%).
FLAT_DROP = 0.05
FLAT_MOVE = 0.5  # ... and a flat loss stays within half its start value (own)
# Exploding loss: a rise above the best value of 9 start-sizes (~10x for positive losses).
# AutoTrainer flags loss explosion at an order-of-magnitude growth.
EXPLODE_RISE = 9.0
# Diverging at the end: the last tenth sits 2 start-sizes above the best (own measurement).
DIVERGE_END_RISE = 2.0
# A spike: an excursion above this multiple of the level before and after it (own measurement;
# SageMaker Debugger's LossNotDecreasing/TensorVariance rules use comparable ratios).
SPIKE_FACTOR = 2.0
SPIKE_FACTOR_NOISY = 3.0  # step-level curves carry batch noise: require a larger excursion
# Step-level curves: a loss logged more than once per epoch (>= 1.2 points per epoch, so that one
# extra value at the start does not count) is a series of single-batch losses (Lightning's
# on_step, every 50 steps by default; the HF Trainer's logging_steps) that carry batch noise; a
# value logged once per epoch is an average over it, where that noise has cancelled out. Without
# epochs, a curve of more than 100 points is taken as step-level (own).
STEP_LEVEL_PER_EPOCH = 1.2
STEP_LEVEL_POINTS = 100
STEP_CHUNK_POINTS = 10  # batch losses per chunk median when a step-level curve is judged coarsely
# A short burst on a step-level curve (too short to survive the rolling median) counts when it is
# SPIKE_FACTOR_NOISY above the local median and more extreme than the curve's own batch noise
# (robust SD of log residuals: the noise is multiplicative) would be once in 100 curves of that
# length (a Bonferroni bound over its points; own choice). One burst alone is one bad batch.
BURST_FALSE_ALARM = 0.01
# Oscillation: the smoothed curve climbs back this share of what it descends (own measurement).
OSCILLATION_RATIO = 0.5
COARSE_POINTS = 20
# Overfitting: Prechelt's generalisation loss GL = val/val_min - 1 (Early Stopping — But When?,
# 1998) of at least 10% at the end of the run, while training loss still falls.
OVERFIT_GL = 0.10
NOISE_MARGIN = 3.0  # a change must exceed 3x the curve's point-to-point noise to count (own)
OVERFIT_GL_HIGH = 0.50
ACCURACY_GAP = 0.10  # train-val accuracy gap that counts as overfitting (own measurement)
ACCURACY_GAP_HIGH = 0.20
# Overtraining: the best validation value came before this share of the run.
OVERTRAIN_SHARE = 0.6
# Plateau: no improvement of the best validation value for this many epochs — the patience of
# Keras' ReduceLROnPlateau (10) — or this share of the run, whichever is longer.
PLATEAU_PATIENCE = 10
PLATEAU_SHARE = 0.25
PLATEAU_LONG_SHARE = 0.5  # a stall over half the run with a constant rate is worth fixing
MIN_DELTA_SHARE = 0.01  # improvement smaller than 1% of the curve's range is no improvement
# Slow convergence: the last quarter still brings this share of the total improvement.
STILL_IMPROVING_SHARE = 0.20
# ... or the last quarter still lowers the loss by this share of its level then (own measurement:
# converged runs in tests/eval gain < 5% of their level over their last quarter).
STILL_IMPROVING_LEVEL = 0.15
# ... or the whole run lowered the loss by less than 30% while the last quarter kept ~60% of the
# average pace (a straight, crawling line: tiny gains per epoch; own measurement).
SLOW_TOTAL_DROP = 0.30
CRAWL_SHARE = 0.15
# Insufficient training: CONTRACT.md §1 — 3 to 9 epochs.
MIN_EPOCHS = 10
SHORT_RUN_FALLING = 0.05  # a short run still losing 5% over its last quarter had more to give (own)
# Underfitting: final score below chance + this share of the way to perfect (own measurement).
UNDERFIT_SHARE = 0.5
UNDERFIT_SHARE_HIGH = 0.25
# Suspicious validation: val better than train by these margins over the last half.
VAL_LOSS_RATIO = 0.8
VAL_LOSS_RATIO_LARGE = 0.5  # half of train: too large for dropout alone to be the whole story
VAL_SCORE_MARGIN = 0.05
NEAR_PERFECT = 0.999
# Gradients: growth of the global norm over its early level (Pascanu et al., ICML 2013 discuss
# norms jumping by orders of magnitude); vanishing below SageMaker Debugger's VanishingGradient
# default threshold (1e-7 on mean |gradient|) scaled to a global L2 norm (own adaptation: 1e-5).
GRAD_GROWTH = 100.0
GRAD_ABSOLUTE = 1e4
GRAD_VANISH = 1e-5
GRAD_VANISH_FALL = 1e-3


class TrainingArtifactsAnalyzer:
    """Finds divergence, NaNs, flat or slow loss, over- and underfitting, instability, LR issues."""

    name = AgentName.TRAINING.value

    def skip_reason(self, given: AgentInput) -> str | None:
        if not given.options.enable_training_analysis:
            return "Training analysis was disabled in the request options."
        if given.bundle.metrics is None or "train_loss" not in given.curves:
            return (
                "No training metrics (training_artifacts/metrics.csv): training analysis skipped."
            )
        return None

    def run(self, given: AgentInput) -> AgentResult:
        facts = TrainingFacts(given.curves, given.bundle.params, given.bundle)
        analyses: list[Analysis] = []
        for rule in RULES:
            if rule in CONSEQUENCES and _broke_down(analyses):
                continue  # a NaN or diverged loss explains these; saying them adds only noise
            analyses.extend(rule(facts))
        artifacts = [f for f in given.bundle.files if f.startswith("training_artifacts/")]
        return AgentResult(
            agent_name=self.name,
            analysis=analyses,
            analyzed_artifacts=artifacts or ["metrics"],
            additional_outputs={"missing": missing_metrics(facts)},
        )


def _broke_down(analyses: list[Analysis]) -> bool:
    return any(
        (a.findings.code is P.NAN_LOSS and a.findings.severity is Severity.HIGH)
        or (a.findings.code is P.EXPLODING_LOSS and a.findings.severity is Severity.HIGH)
        for a in analyses
    )


def missing_metrics(facts: TrainingFacts) -> list[str]:
    """What was not logged, and what could therefore not be judged."""
    notes = []
    if facts.val_loss is None and facts.score("val") is None:
        notes.append(
            "No validation metric was logged: overfitting, overtraining, plateaus and "
            "suspicious validation were not checked."
        )
    if facts.score("train") is None and facts.score("val") is None and not facts.is_regression:
        notes.append("No accuracy was logged: underfitting was judged from the loss alone.")
    if "grad_norm" not in facts.curves:
        notes.append("No gradient norm was logged: gradient rules were not checked.")
    if facts.learning_rate is None:
        notes.append("No learning rate was logged or given in params: LR advice is generic.")
    return notes


# --- helpers --------------------------------------------------------------------------------


def _span(curve: Curve) -> float:
    """The curve's own size: its start value, or its range when the start is near zero."""
    head = curve.head()
    spread = float(np.ptp(curve.smooth)) if curve.smooth.size else 0.0
    return max(abs(head), spread * 0.1, 1e-12)


def _start(curve: Curve) -> float:
    """Where the loss began: the higher of its first points and its first 5% (a fast early
    drop must not hide the start)."""
    return max(curve.head(), float(np.median(curve.points[:3])))


def _drop(curve: Curve) -> float:
    """How much of its start value the loss lost at its best (0 = none, 1 = all)."""
    start, best = _start(curve), float(np.min(curve.smooth))
    if start > 0 and best >= 0:
        return (start - best) / start
    return (start - best) / _span(curve)


def _noise(values: FloatArray) -> float:
    """Point-to-point noise: the robust spread of values around a 5-point rolling median."""
    if values.size < 5:
        return 0.0
    residual = values - rolling_median(values, max(5, smoothing_window(values.size)))
    return 1.4826 * float(np.median(np.abs(residual)))


def _steady(values: FloatArray) -> FloatArray:
    """A rolling median wide enough (>= 5 points) to judge a short, noisy validation curve."""
    if values.size < 10:
        return values
    return rolling_median(values, max(5, smoothing_window(values.size)))


def _nearest(curve: Curve, step: int) -> int:
    """The point of ``curve`` at or just before ``step``."""
    steps = curve.steps[curve.raw_index]
    return max(int(np.searchsorted(steps, step, side="right")) - 1, 0)


def _effective_best(values: FloatArray) -> int:
    """The first point within 1% of the range from the minimum: where the curve got there."""
    if values.size == 0:
        return 0
    low = float(np.min(values))
    tolerance = max(float(np.ptp(values)) * MIN_DELTA_SHARE, 1e-12)
    return int(np.flatnonzero(values <= low + tolerance)[0])


def _finite_prefix(curve: Curve) -> Curve:
    """The curve up to its first NaN/Inf (shape rules judge what came before). One that starts
    with NaN is judged on its finite values; it has no points at all when it never had one, and
    the rules must cope with that."""
    cut = curve.first_nonfinite
    if cut is None or cut == 0:
        return curve
    return Curve(
        curve.name,
        curve.display,
        curve.steps[:cut],
        None if curve.epochs is None else curve.epochs[:cut],
        curve.values[:cut],
    )


def _refine_min(points: FloatArray, near: int) -> int:
    """The raw minimum within a smoothing window of ``near`` (smoothing shifts extremes)."""
    half = max(1, smoothing_window(points.size) // 2)
    low, high = max(near - half, 0), min(near + half + 1, points.size)
    return low + int(np.argmin(points[low:high]))


def _improvement_marks(values: FloatArray, delta: float) -> IntArray:
    """Points where the curve beat its best so far by more than ``delta`` (Keras' min_delta)."""
    marks = [0]
    best = float(values[0])
    for i in range(1, values.size):
        if values[i] < best - delta:
            marks.append(i)
            best = float(values[i])
    return np.asarray(marks, dtype=np.int64)


# --- rules ----------------------------------------------------------------------------------


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


def _explosion(curve: Curve) -> tuple[float, int, int, bool] | None:
    """(rise in start-sizes, best point, peak point, still high at the end) or None."""
    values = curve.smooth if curve.points.size > 100 else curve.points
    if values.size < 3:
        return None
    span = _span(curve)
    running_min = np.minimum.accumulate(values)
    rise = (values - running_min) / span
    peak = int(np.argmax(rise))
    best = int(np.argmin(values[: peak + 1]))
    tail = curve.tail()
    ended_high = (tail - float(np.min(values))) / span >= DIVERGE_END_RISE and tail > curve.head()
    return float(rise[peak]), best, peak, ended_high


def _worst_at_end(values: FloatArray, share: float = 0.1) -> bool:
    """Whether the highest value lies in the last ``share`` of the points."""
    k = max(1, int(np.ceil(values.size * share)))
    return int(np.argmax(values)) >= values.size - k


def exploding_loss(facts: TrainingFacts) -> list[Analysis]:
    curve = _finite_prefix(facts.loss)
    found = _explosion(curve)
    if found is None:
        return []
    rise, best, peak, ended_high = found
    if rise < EXPLODE_RISE and not ended_high:
        return []
    values = curve.points
    # An explosion whose worst point is in the last stretch was still under way when the run
    # ended: the span measure (which grows with the explosion) must not call it "came back".
    ended_high = ended_high or (rise >= EXPLODE_RISE and _worst_at_end(values))
    severity = (
        Severity.HIGH if ended_high or facts.loss.first_nonfinite is not None else Severity.MEDIUM
    )
    if rise >= EXPLODE_RISE:
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
            confidence=0.9 if rise >= EXPLODE_RISE else 0.75,
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


def step_level(curve: Curve) -> bool:
    """Whether ``curve`` holds single-batch values (batch noise) rather than epoch averages."""
    epochs = curve.epochs
    if epochs is not None:
        known = epochs[np.isfinite(epochs)]
        if known.size and known.size >= curve.n / 2:
            seen = float(np.floor(known.max()) - np.floor(known.min()) + 1)
            return curve.points.size >= STEP_LEVEL_PER_EPOCH * seen
    return curve.points.size > STEP_LEVEL_POINTS


def _excursions(values: FloatArray, factor: float) -> list[tuple[int, int]]:
    """Runs (first, last) above ``factor`` x the lowest level before and after them."""
    before = np.minimum.accumulate(values)
    after = np.minimum.accumulate(values[::-1])[::-1]
    level = np.maximum(np.r_[values[0], before[:-1]], np.r_[after[1:], values[-1]])
    return _runs(values > factor * level)


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


class Spikes(NamedTuple):
    """Excursions (first, last point), the factor they exceed, and those that last."""

    runs: list[tuple[int, int]]
    factor: float
    lasting: list[tuple[int, int]]


def _spikes(curve: Curve) -> Spikes:
    """Excursions above the level around them.

    An epoch-level curve is judged point by point. A step-level one is judged against its batch
    noise: on its rolling median (excursions that last), and point by point against the local
    median only beyond what that noise explains (bursts). Comparing noisy points with the
    lowest value seen so far would measure the noise, not the loss.
    """
    points = curve.points
    if points.size < 4 or np.min(points) <= 0:
        return Spikes([], SPIKE_FACTOR, [])
    if not step_level(curve):
        runs = _excursions(points, SPIKE_FACTOR)
        return Spikes(runs, SPIKE_FACTOR, runs)
    local = rolling_median(points, max(5, smoothing_window(points.size)))
    lasting = _excursions(local, SPIKE_FACTOR_NOISY)
    residual = np.log(points) - np.log(local)
    spread = 1.4826 * float(np.median(np.abs(residual)))
    sigmas = NormalDist().inv_cdf(1 - BURST_FALSE_ALARM / points.size)
    bursts = _runs(residual > max(np.log(SPIKE_FACTOR_NOISY), sigmas * spread))
    merged: list[tuple[int, int]] = []
    for first, last in sorted(lasting + bursts):  # a burst within a lasting excursion is one
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return Spikes(merged, SPIKE_FACTOR_NOISY, lasting)


def _oscillation(curve: Curve) -> float:
    """Share of the coarse curve's travel that goes against its net direction (0 = monotone).

    Measured on ~20 chunk medians so batch noise, however frequent, does not count as swinging;
    on a short step-level curve each chunk takes at least `STEP_CHUNK_POINTS` batch losses, else
    the noise left in every chunk median would add up to travel.
    """
    points = curve.points
    if points.size > STEP_LEVEL_POINTS:
        values, chunks = curve.smooth, COARSE_POINTS
    elif step_level(curve):
        values, chunks = points, min(COARSE_POINTS, points.size // STEP_CHUNK_POINTS)
        if chunks < 3:
            return 0.0  # too few batch losses to tell a swing from noise
    else:
        values, chunks = _steady(points), COARSE_POINTS
    if values.size >= 2 * chunks:
        usable = values.size - values.size % chunks
        values = np.median(values[:usable].reshape(chunks, -1), axis=1)
    steps = np.diff(values)
    down = float(-steps[steps < 0].sum())
    up = float(steps[steps > 0].sum())
    back = min(up, down)  # distance travelled against the net direction
    net = abs(float(values[-1] - values[0]))
    if back < 0.2 * _span(curve):
        return 0.0
    return back / max(net, back)


def unstable_training(facts: TrainingFacts) -> list[Analysis]:
    curve = _finite_prefix(facts.loss)
    spikes, factor, lasting = _spikes(curve)
    ratio = _oscillation(curve) if curve.points.size >= 6 else 0.0
    big = [s for s in lasting if curve.points[s[0] : s[1] + 1].max() > 10 * curve.tail()]
    if len(spikes) < 2 and not big and ratio < OSCILLATION_RATIO:
        return []
    if spikes:
        first, last = spikes[0][0], spikes[-1][1]
        peaks = [a + int(np.argmax(curve.points[a : b + 1])) for a, b in spikes[:3]]
        tops = ", ".join(f"{fmt(float(curve.points[i]))} at {curve.place(i)}" for i in peaks)
        evidence = (
            f"{curve.display} spiked {len(spikes)} time(s) above {factor:g}x its "
            f"surrounding level ({tops})."
        )
    else:
        first, last = 0, curve.points.size - 1
        evidence = (
            f"The smoothed {curve.display} moves back and forth: {pct(ratio)} of its travel "
            f"goes against its net direction (from {fmt(curve.head())} to {fmt(curve.tail())})."
        )
    severity = (
        Severity.HIGH
        if big and facts.loss.first_nonfinite is None and len(spikes) >= 2
        else Severity.MEDIUM
    )
    batch = facts.params.batch_size if facts.params else None
    batch_advice = (
        f"; raise the batch size from {batch} to 32-128 (or accumulate gradients)"
        if batch is not None and batch < 16
        else ""
    )
    return [
        issue(
            P.UNSTABLE_TRAINING,
            description=f"{curve.display} is unstable: it spikes or oscillates, not settling.",
            evidence=evidence,
            severity=severity,
            confidence=min(0.6 + 0.1 * len(spikes) + 0.2 * min(ratio, 1.0), 0.95),
            metric=curve.name,
            step_range=curve.step_range(first, last),
            epoch_range=curve.epoch_range(first, last),
            action=(
                f"{cap(lower_lr(facts.learning_rate, facts.optimizer, 3))}{batch_advice}; "
                f"clip the gradient norm at {GRADIENT_CLIP_NORM} and consider a more forgiving "
                "optimizer (Adam/AdamW at 1e-3 or below)."
            ),
            rationale=(
                "Spikes and oscillation mean some updates are too large for the local curvature: "
                "a smaller step, less gradient noise (bigger batches) or clipping damp them."
            ),
            targets=[T.LEARNING_RATE, T.BATCH_SIZE, T.OPTIMIZER, T.GRADIENT_CLIPPING],
        )
    ]


def loss_not_decreasing(facts: TrainingFacts) -> list[Analysis]:
    curve = _finite_prefix(facts.loss)
    if curve.points.size < 5:
        return []
    drop = _drop(curve)
    if drop >= FLAT_DROP:
        return []
    if float(np.ptp(curve.smooth)) > FLAT_MOVE * max(abs(_start(curve)), 1e-12):
        return []  # it moved a lot, just not down: divergence or instability, not flatness
    score = facts.score("train") or facts.score("val")
    if score is not None:
        values = score.values()
        if values.size >= 2 and float(values[-1] - values[0]) >= 0.05:
            return []  # the loss barely moves but the model does learn
    stuck = ""
    if score is not None:
        typical = float(np.median(score.values())) * score.scale
        stuck = f"; {score.curve.display} stayed near {fmt(typical)}"
    n = curve.points.size
    best = fmt(float(np.min(curve.smooth)))
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
    if share < STILL_IMPROVING_SHARE and level < STILL_IMPROVING_LEVEL and not crawling:
        return []
    val_gain = val_share = None
    val = facts.val_loss
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
        clear = crawling or val_gain >= STILL_IMPROVING_LEVEL or val_share >= STILL_IMPROVING_SHARE
    else:
        clear = crawling or share >= STILL_IMPROVING_SHARE
    evidence = (
        f"{curve.display} fell another {pct(level)} in the last quarter of the run (from "
        f"{fmt(float(smooth[quarter]))} at {curve.place(quarter)} to {fmt(float(smooth[-1]))}), "
        f"{pct(share)} of its total improvement"
    )
    if val_gain is not None and val is not None:
        evidence += f"; {val.display} also fell {pct(val_gain)} over that stretch"
    return [
        issue(
            P.SLOW_CONVERGENCE,
            description=f"{curve.display} was still falling clearly when training stopped.",
            evidence=evidence + ".",
            severity=(
                Severity.MEDIUM
                if clear and (crawling or max(share, level) >= 0.15)
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
    k = max(1, points.size // 4)
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


def underfitting(facts: TrainingFacts) -> list[Analysis]:
    train, val = facts.score("train"), facts.score("val")
    score = train or val
    if score is None or score.curve.points.size < 3:
        return []
    if float(np.max(score.values())) < 0.05 and _drop(_finite_prefix(facts.loss)) >= 0.5:
        return []  # a score that never leaves zero while the loss halves measures nothing here
    classes = facts.num_classes
    chance = 1.0 / classes if classes else 0.0
    final = float(np.median(score.values()[-max(1, score.values().size // 10) :]))
    poor = chance + UNDERFIT_SHARE * (1 - chance) if classes else 0.6
    if final >= poor:
        return []
    if train is not None and val is not None:
        v_final = float(np.median(val.values()[-max(1, val.values().size // 10) :]))
        if final - v_final >= ACCURACY_GAP:
            return []  # a train-val gap is overfitting, not underfitting
    very = final < chance + UNDERFIT_SHARE_HIGH * (1 - chance) if classes else final < 0.4
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
    if low >= steady.size * 0.85 or steady[low] <= 0:
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
    if train_fall < 0.02 or train_then - train_end < NOISE_MARGIN * _noise(train.points):
        return []  # training stopped improving too: a plateau or divergence, not overfitting
    n = smooth.size
    epochs = facts.epochs_seen
    stop_at = val.place(best)
    decay = weight_decay_advice(
        facts.params.weight_decay if facts.params else None, facts.optimizer
    )
    return [
        issue(
            P.OVERFITTING,
            description="Validation loss rises while training loss keeps falling: overfitting.",
            evidence=(
                f"{val.display} rose {pct(gl)} from its minimum {fmt(float(val.points[best]))} at "
                f"{val.place(best)} to {fmt(end)} at {val.place(n - 1)} while "
                f"{train.display} fell {pct(train_fall)}."
            ),
            severity=Severity.HIGH if gl >= OVERFIT_GL_HIGH else Severity.MEDIUM,
            confidence=min(0.6 + gl, 0.95) if n >= 6 else 0.55,
            metric=val.name,
            step_range=val.step_range(best, n - 1),
            epoch_range=val.epoch_range(best, n - 1),
            action=(
                f"Stop at about {stop_at} with early stopping (patience {patience(epochs)}, "
                "restore the best weights); then regularise: "
                f"{decay}, dropout 0.2-0.5 and data augmentation, or get more training data."
            ),
            rationale=(
                "Past the validation minimum the model memorises the training set; early "
                "stopping keeps the best point and regularisation or more data move it later."
            ),
            targets=[T.EARLY_STOPPING, T.REGULARIZATION, T.DATA_AUGMENTATION, T.EPOCHS],
        )
    ]


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
    if gap_then > gap * 0.6:
        return []  # the gap was there from the start: not growing
    n = v.size
    decay = weight_decay_advice(
        facts.params.weight_decay if facts.params else None, facts.optimizer
    )
    return [
        issue(
            P.OVERFITTING,
            description="The train-validation accuracy gap grows: overfitting.",
            evidence=(
                f"{t_curve.display} ended at {fmt(t_end * train.scale)} but "
                f"{val.curve.display} at {fmt(v_end * val.scale)}: a gap of "
                f"{fmt(gap * 100)} points, up from {fmt(gap_then * 100)} at "
                f"{val.curve.place(best)}."
            ),
            severity=Severity.HIGH if gap >= ACCURACY_GAP_HIGH else Severity.MEDIUM,
            confidence=0.75,
            metric=val.curve.name,
            step_range=val.curve.step_range(best, n - 1),
            epoch_range=val.curve.epoch_range(best, n - 1),
            action=(
                f"Add early stopping on {val.curve.display} (patience "
                f"{patience(facts.epochs_seen)}), dropout 0.2-0.5, "
                f"{decay} and data augmentation."
            ),
            rationale="A widening gap means gains on training data no longer transfer.",
            targets=[T.EARLY_STOPPING, T.REGULARIZATION, T.DATA_AUGMENTATION],
        )
    ]


def overtraining(facts: TrainingFacts) -> list[Analysis]:
    val = facts.val_loss
    score = facts.score("val")
    if val is not None and val.points.size >= 6:
        values, curve = val.smooth, val
    elif score is not None and score.curve.points.size >= 6:
        values, curve = -score.values(), score.curve
    else:
        return []
    best = _effective_best(values)
    n = values.size
    share_after = (n - 1 - best) / (n - 1)
    if best > n * OVERTRAIN_SHARE or share_after < 1 - OVERTRAIN_SHARE:
        return []
    span = max(float(np.ptp(values)), 1e-12)
    worse = (float(np.median(values[-max(1, n // 10) :])) - float(values[best])) / span
    epochs = facts.epochs_seen
    return [
        issue(
            P.OVERTRAINING,
            description="Training went on long after the best validation result.",
            evidence=(
                f"{curve.display} came within 1% of its best by {curve.place(best)}; the remaining "
                f"{pct(share_after)} of the run (to {curve.place(n - 1)}) brought no improvement."
            ),
            severity=Severity.MEDIUM if share_after >= 0.6 and worse >= 0.03 else Severity.LOW,
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
    stuck = _drop(train) < 0.5
    lr_constant = (
        "learning_rate" not in facts.curves
        or float(np.ptp(facts.curves["learning_rate"].points)) == 0.0
    )
    at_end = end >= n - 2
    # Wandering above its best at the end, with a step size that never shrinks.
    wandering = float(np.median(raw[-max(3, n // 4) :])) > float(np.min(values)) + 1.5 * noise
    long = length >= PLATEAU_LONG_SHARE * n
    severity = (
        Severity.MEDIUM
        if at_end and (stuck or (long and lr_constant and wandering))
        else Severity.LOW
    )
    return [
        issue(
            P.PLATEAU,
            description=f"{curve.display} stalled for a long stretch.",
            evidence=(
                f"{curve.display} did not improve by more than {fmt(delta)} from "
                f"{curve.place(start)} to {curve.place(end)} ({pct(length / n)} of the run)"
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


def suspicious_validation(facts: TrainingFacts) -> list[Analysis]:
    train, val = _finite_prefix(facts.loss), facts.val_loss
    out: list[Analysis] = []
    regularised = bool(facts.params and (facts.params.dropout_rate or facts.params.augmentation))
    if val is not None and val.points.size >= 4 and val.first_nonfinite is None:
        half = val.points[val.points.size // 2 :]
        start = _nearest(train, int(val.steps[val.raw_index[val.points.size // 2]]))
        t_half = train.points[start:]
        if half.size and t_half.size and np.median(t_half) > 0:
            ratio = float(np.median(half) / np.median(t_half))
            if ratio <= VAL_LOSS_RATIO:
                mild = regularised and ratio > VAL_LOSS_RATIO_LARGE
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
        early = v[: max(1, int(v.size * 0.2))]
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
    return out


def _suspicious(facts: TrainingFacts, curve: Curve, evidence: str, severity: Severity) -> Analysis:
    n = curve.points.size
    params = facts.params
    dropout = params.dropout_rate if params is not None else None
    regularised = bool(dropout or (params is not None and params.augmentation))
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
        targets=[T.DATA_SPLIT, T.LABELS, *([T.REGULARIZATION] if regularised else [])],
    )


def exploding_gradients(facts: TrainingFacts) -> list[Analysis]:
    grad = facts.curves.get("grad_norm")
    if grad is None or grad.n < 3:
        return []
    cut = grad.first_nonfinite
    finite = grad if cut is None else _finite_prefix(grad)
    if finite.points.size < 3 and cut is None:
        return []
    early = finite.head(0.1) if finite.points.size else float("nan")
    peak_i = int(np.argmax(finite.smooth)) if finite.points.size else 0
    peak = float(finite.smooth[peak_i]) if finite.points.size else float("nan")
    growth = peak / early if early > 0 else 0.0
    if cut is None and growth < GRAD_GROWTH and peak < GRAD_ABSOLUTE:
        return []
    if cut is not None:
        kind = "NaN" if np.isnan(grad.values[cut]) else "infinite"
        evidence = f"{grad.display} became {kind} at {grad.place_raw(cut)}"
        first, last = cut, grad.n - 1
        step_range, epoch_range = (
            grad.raw_step_range(first, last),
            grad.raw_epoch_range(first, last),
        )
    else:
        evidence = (
            f"{grad.display} grew from about {fmt(early)} early on to {fmt(peak)} at "
            f"{finite.place(peak_i)} ({approx(growth)}x)"
        )
        step_range, epoch_range = finite.step_range(0, peak_i), finite.epoch_range(0, peak_i)
    bad_loss = facts.loss.first_nonfinite is not None or bool(exploding_loss(facts))
    return [
        issue(
            P.EXPLODING_GRADIENTS,
            description="Gradient norms exploded.",
            evidence=evidence + ("; the loss diverged with them." if bad_loss else "."),
            severity=Severity.HIGH if bad_loss or cut is not None else Severity.MEDIUM,
            confidence=0.9,
            metric="grad_norm",
            step_range=step_range,
            epoch_range=epoch_range,
            action=(
                f"Clip the global gradient norm at {GRADIENT_CLIP_NORM} "
                "(torch.nn.utils.clip_grad_norm_, Keras clipnorm), "
                f"{cap(lower_lr(facts.learning_rate, facts.optimizer, 3))}, and use He/Glorot "
                "initialisation with normalisation layers or residual connections in deep nets."
            ),
            rationale=(
                "Large gradient norms make single updates jump far; clipping bounds each step and "
                "good initialisation and normalisation keep norms stable through depth."
            ),
            targets=[T.GRADIENT_CLIPPING, T.LEARNING_RATE, T.WEIGHT_INIT, T.NORMALIZATION],
        )
    ]


def vanishing_gradients(facts: TrainingFacts) -> list[Analysis]:
    grad = facts.curves.get("grad_norm")
    if grad is None or grad.points.size < 3 or grad.first_nonfinite is not None:
        return []
    loss = _finite_prefix(facts.loss)
    if loss.points.size == 0:
        return []  # a loss that never had a value says nothing about learning
    late = float(np.median(grad.points[grad.points.size // 2 :]))
    early = grad.head(0.1)
    learning = _drop(loss)
    tiny = late < GRAD_VANISH or (early > 0 and late / early < GRAD_VANISH_FALL)
    if not tiny or learning >= 0.5:
        return []  # small gradients after a good fit are convergence, not vanishing
    n = grad.points.size
    return [
        issue(
            P.VANISHING_GRADIENTS,
            description="Gradient norms vanished while the loss was still high.",
            evidence=(
                f"{grad.display} was about {fmt(late)} over the second half of the run "
                f"(from {fmt(early)} early on) while {facts.loss.display} fell only "
                f"{pct(max(learning, 0.0))}."
            ),
            severity=Severity.HIGH if learning < FLAT_DROP else Severity.MEDIUM,
            confidence=0.8,
            metric="grad_norm",
            step_range=grad.step_range(n // 2, n - 1),
            epoch_range=grad.epoch_range(n // 2, n - 1),
            action=(
                "Replace saturating activations (sigmoid/tanh) in hidden layers with ReLU-family "
                "ones, use He initialisation, and add batch/layer normalisation or residual "
                "connections in deep stacks."
            ),
            rationale=(
                "Gradients shrink multiplicatively through saturated layers and poor "
                "initialisation, so early layers stop learning."
            ),
            targets=[T.ACTIVATION, T.WEIGHT_INIT, T.NORMALIZATION, T.ARCHITECTURE],
        )
    ]


def learning_rate_too_high(facts: TrainingFacts) -> list[Analysis]:
    lr, fam = facts.learning_rate, family(facts.optimizer)
    dynamics = []
    if facts.loss.first_nonfinite:  # not None, not 0: NaN from the start is not a step size
        dynamics.append("the loss became NaN/Inf")
    found = _explosion(_finite_prefix(facts.loss))
    if found and (found[0] >= EXPLODE_RISE or found[3]):
        dynamics.append("the loss diverged")
    if len(_spikes(_finite_prefix(facts.loss)).runs) >= 2:
        dynamics.append("the loss spiked repeatedly")
    high_config = (
        lr is not None and lr > DEFAULT_LR[fam or "sgd"] * LR_TOO_HIGH_FACTOR[fam or "sgd"]
    )
    if not dynamics and not high_config:
        return []
    config = ""
    if lr is not None:
        usual = DEFAULT_LR[fam] if fam else None
        config = f"The learning rate is {fmt(lr)}" + (
            f" ({approx(lr / usual)}x the usual {fmt(usual)} for {facts.optimizer})"
            if usual
            else ""
        )
    raised = lr is not None and lr >= DEFAULT_LR[fam or "sgd"] * 10
    if dynamics and (high_config or raised):
        severity, confidence = Severity.HIGH, 0.85
    elif dynamics:
        severity, confidence = Severity.MEDIUM, 0.55 if lr is None else 0.45
    else:
        severity, confidence = Severity.LOW, 0.4
    said = f"{config}." if config else ""
    if dynamics:
        said += f" {cap(', '.join(dynamics))}."
    evidence = said.strip()
    return [
        issue(
            P.LEARNING_RATE_TOO_HIGH,
            description="The learning rate looks too high for this model and optimizer.",
            evidence=evidence,
            severity=severity,
            confidence=confidence,
            metric="learning_rate" if "learning_rate" in facts.curves else facts.loss.name,
            action=(
                f"{cap(lower_lr(lr, facts.optimizer))}, or run a learning-rate range test "
                "and take a rate about 10x below where the loss starts to climb; if the "
                "optimizer is plain SGD, Adam at 1e-3 is a more forgiving starting point."
            ),
            rationale=(
                "Divergence, NaNs and repeated spikes are what steps larger than the curvature "
                "allows look like; the learning rate sets that step."
            ),
            targets=[T.LEARNING_RATE, T.OPTIMIZER],
        )
    ]


def learning_rate_too_low(facts: TrainingFacts) -> list[Analysis]:
    lr, fam = facts.learning_rate, family(facts.optimizer)
    if lr is None:
        return []
    low_config = lr < DEFAULT_LR[fam or "sgd"] / LR_TOO_LOW_FACTOR[fam or "sgd"]
    loss = _finite_prefix(facts.loss)
    if not low_config or loss.points.size == 0:
        return []
    drop = _drop(loss)
    if drop >= 0.5:
        return []
    usual = DEFAULT_LR[fam or "sgd"]
    return [
        issue(
            P.LEARNING_RATE_TOO_LOW,
            description="The learning rate looks too low: the loss barely moves.",
            evidence=(
                f"The learning rate is {fmt(lr)} ({approx(usual / lr)}x below the usual "
                f"{fmt(usual)}"
                f"{' for ' + facts.optimizer if facts.optimizer else ''}) and "
                f"{facts.loss.display} fell only {pct(max(drop, 0.0))} over the run."
            ),
            severity=Severity.HIGH if drop < FLAT_DROP else Severity.MEDIUM,
            confidence=0.8,
            metric=facts.loss.name,
            action=(
                f"{cap(raise_lr(lr, facts.optimizer))} (a learning-rate range test finds "
                "the largest rate that still lowers the loss)."
            ),
            rationale="Tiny steps make training crawl and can look like a model that cannot learn.",
            targets=[T.LEARNING_RATE, T.LR_SCHEDULE],
        )
    ]


RULES: tuple[Callable[[TrainingFacts], list[Analysis]], ...] = (
    nan_loss,
    exploding_loss,
    exploding_gradients,
    vanishing_gradients,
    loss_not_decreasing,
    learning_rate_too_high,
    learning_rate_too_low,
    unstable_training,
    overfitting,
    underfitting,
    suspicious_validation,
    overtraining,
    plateau,
    slow_convergence,
    insufficient_training,
)

# Rules whose findings follow from a loss that broke down (NaN or diverged for good).
CONSEQUENCES = frozenset(
    {loss_not_decreasing, plateau, overtraining, slow_convergence, underfitting, unstable_training}
)

# Rules that judge a run while it trains: each fires on something that already happened (a NaN,
# a loss far above its best, blown-up gradient norms), so a partial history is enough to say it.
EARLY_WARNING_RULES: tuple[Callable[[TrainingFacts], list[Analysis]], ...] = (
    nan_loss,
    exploding_loss,
    exploding_gradients,
)
EARLY_WARNING_CODES = frozenset({P.NAN_LOSS, P.EXPLODING_LOSS, P.EXPLODING_GRADIENTS})


def early_warnings(bundle: ArtifactBundle) -> list[Analysis]:
    """`EARLY_WARNING_RULES` on ``bundle``'s metrics so far: for a live, partial history.

    No pipeline, no knowledge citations: milliseconds, and nothing when no train loss is logged.
    """
    if bundle.metrics is None or "train_loss" not in bundle.metrics:
        return []
    facts = TrainingFacts(curves(bundle.metrics), bundle.params, bundle)
    return [item for rule in EARLY_WARNING_RULES for item in rule(facts)]
