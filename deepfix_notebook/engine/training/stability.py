"""Stability rule: a loss that spikes or oscillates instead of settling (``unstable_training``).

An epoch-level curve is judged point by point; a step-level one (single-batch values) against
its own batch noise, so that the noise itself is never taken for instability.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._advice import GRADIENT_CLIP_NORM, lower_lr
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import (
    Curve,
    FloatArray,
    cap,
    fmt,
    pct,
    rolling_median,
    smoothing_window,
)
from deepfix_notebook.engine._facts import TrainingFacts
from deepfix_notebook.engine._thresholds import declare, document
from deepfix_notebook.engine.training._shape import (
    NOISE_MARGIN,
    STEP_LEVEL_POINTS,
    _excursions,
    _finite_prefix,
    _level,
    _runs,
    _span,
    _steady,
    step_level,
)

T = FaultTarget
P = ProblemCode
FAMILY = "stability"

# SageMaker Debugger's LossNotDecreasing/TensorVariance rules use comparable ratios.
SPIKE_FACTOR = declare(
    "spike_factor",
    2.0,
    unit="x surrounding level",
    family=FAMILY,
    source="own measurement; SageMaker Debugger uses comparable ratios",
    doc="an epoch-level point above this multiple of the lowest level before and after it spikes",
)
SPIKE_FACTOR_NOISY = declare(
    "spike_factor_noisy",
    3.0,
    unit="x surrounding level",
    family=FAMILY,
    source="own: step-level curves carry batch noise, so the excursion must be larger",
    doc="the same for a step-level curve's rolling median, or a burst above its local median",
)
SPIKE_MIN_RISE = declare(
    "spike_min_rise",
    0.1,
    unit="start-sizes",
    family=FAMILY,
    source="own choice: batch noise on a loss near zero is large in ratio, tiny in size",
    doc="a spike must also rise this far above its surrounding level on the curve's own scale",
)
VAL_SPIKE_FACTOR = declare(
    "val_spike_factor",
    1.5,
    unit="x surrounding level",
    family=FAMILY,
    source="own choice: validation is computed on fixed data, without batch noise",
    doc="a validation-loss point above this multiple of the lowest level around it spikes",
)
STEP_CHUNK_POINTS = declare(
    "step_chunk_points",
    10,
    unit="points",
    family=FAMILY,
    source="own choice",
    doc="batch losses per chunk median when a short step-level curve is judged coarsely",
)
# A short burst on a step-level curve (too short to survive the rolling median) counts when it is
# SPIKE_FACTOR_NOISY above the local median and more extreme than the curve's batch noise (robust
# SD of log residuals: the noise is multiplicative) would be once in 100 curves of that length.
BURST_FALSE_ALARM = declare(
    "burst_false_alarm",
    0.01,
    unit="false alarms per curve",
    family=FAMILY,
    source="own choice: a Bonferroni bound over the curve's points",
    doc="a burst must exceed the batch-noise quantile a curve of its length passes this rarely",
)
OSCILLATION_RATIO = declare(
    "oscillation_ratio",
    0.5,
    unit="share of travel",
    family=FAMILY,
    source="own measurement",
    doc="a coarse curve climbing back this share of what it descends oscillates",
)
COARSE_POINTS = declare(
    "coarse_points",
    20,
    unit="points",
    family=FAMILY,
    source="own choice",
    doc="chunk medians of the coarse curve that oscillation is measured on",
)


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
    floor = SPIKE_MIN_RISE * _span(curve)
    if not step_level(curve):
        runs = _sized(_excursions(points, SPIKE_FACTOR), points, _level(points), floor)
        return Spikes(runs, SPIKE_FACTOR, runs)
    window = smoothing_window(points.size)
    local = curve.smooth if window >= 5 else rolling_median(points, 5)  # smooth is cached
    lasting = _sized(_excursions(local, SPIKE_FACTOR_NOISY), local, _level(local), floor)
    residual = np.log(points) - np.log(local)
    spread = 1.4826 * float(np.median(np.abs(residual)))
    sigmas = NormalDist().inv_cdf(1 - BURST_FALSE_ALARM / points.size)
    bursts = _runs(residual > max(np.log(SPIKE_FACTOR_NOISY), sigmas * spread))
    bursts = _sized(bursts, points, local, floor)
    merged: list[tuple[int, int]] = []
    for first, last in sorted(lasting + bursts):  # a burst within a lasting excursion is one
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return Spikes(merged, SPIKE_FACTOR_NOISY, lasting)


def _sized(
    runs: list[tuple[int, int]], values: FloatArray, level: FloatArray, floor: float
) -> list[tuple[int, int]]:
    """The runs whose peak rises at least ``floor`` above the level around it."""
    return [(a, b) for a, b in runs if float(np.max(values[a : b + 1] - level[a : b + 1])) >= floor]


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
    per_chunk = 1
    if values.size >= 2 * chunks:
        usable = values.size - values.size % chunks
        per_chunk = usable // chunks
        values = np.median(values[:usable].reshape(chunks, -1), axis=1)
    steps = np.diff(values)
    if points.size > STEP_LEVEL_POINTS and step_level(curve):
        # A move between chunk medians within what batch noise explains is no swing: the
        # median of k points has a standard error of about 1.25 sd / sqrt(k). (On a short
        # curve the noise estimate would absorb the swings themselves.)
        # The same estimate as `_noise`, on the curve's cached smooth (its window is >= 5 here).
        noise = 1.4826 * float(np.median(np.abs(points - curve.smooth)))
        se = 1.2533 * noise / np.sqrt(per_chunk)
        steps = np.where(np.abs(steps) > NOISE_MARGIN * np.sqrt(2) * se, steps, 0.0)
    down = float(-steps[steps < 0].sum())
    up = float(steps[steps > 0].sum())
    back = min(up, down)  # distance travelled against the net direction
    net = abs(float(values[-1] - values[0]))
    if back < OSCILLATION_MIN_TRAVEL * _span(curve):
        return 0.0
    return back / max(net, back)


OSCILLATION_MIN_TRAVEL = declare(
    "oscillation_min_travel",
    0.2,
    unit="start-sizes",
    family=FAMILY,
    source="own choice",
    doc="a coarse curve must travel back at least this far to oscillate",
)
document(
    "unstable_training",
    family=FAMILY,
    condition=(
        "on the train loss: ≥ 2 excursions, or one lasting excursion above 10x the final level, "
        "or ≥ 50% of the "
        "coarse curve's travel against its net direction. Epoch-level curve: a point above 2x the "
        "lowest level before and after it. Step-level curve: its rolling median (≥ 5 points) "
        "above 3x that level (lasting), or a point above 3x the local rolling median and beyond "
        "the quantile of its batch noise (robust SD of log residuals) that a curve of that length "
        "exceeds once in 100 (a burst; one burst alone is a bad batch). Coarse curve: ~20 chunk "
        "medians of the ≥ 5-point rolling median; on a short step-level curve chunks of ≥ 10 "
        "batch losses (none below 3 chunks); on a long step-level curve a move between chunk "
        "medians within 3x their batch-noise standard error is no swing. Every spike or burst "
        "must also rise ≥ 0.1 "
        "start-sizes above its level (batch noise on a loss near zero is large in ratio only). "
        "Else on the epoch means of a step-level train loss logged beside it (Lightning's "
        "train_loss_epoch, ≥ 6 epochs): ≥ 2 epoch-level spikes as above. "
        "Else on the validation loss (≥ 6 points): ≥ 2 points above 1.5x the lowest level "
        "before and after them, each ≥ 0.1 start-sizes up"
    ),
    severity="high for repeated large spikes, else medium",
    source="own; SageMaker Debugger TensorVariance in spirit",
)


def _val_spikes(facts: TrainingFacts) -> tuple[Curve, list[tuple[int, int]]] | None:
    """Repeated spikes of the validation loss: fixed data, so they are the weights jumping."""
    val = facts.val_loss
    if val is None or val.points.size < 6 or val.first_nonfinite is not None:
        return None
    points = val.points
    if np.min(points) <= 0:
        return None
    floor = SPIKE_MIN_RISE * _span(val)
    runs = _sized(_excursions(points, VAL_SPIKE_FACTOR), points, _level(points), floor)
    return (val, runs) if len(runs) >= 2 else None


def _epoch_mean_spikes(facts: TrainingFacts) -> Curve | None:
    """The epoch means of a step-level train loss (Lightning's ``train_loss_epoch`` next to
    ``train_loss_step``) when they spike repeatedly: averaging cancels the batch noise that the
    step values are judged against, so what is left is the weights jumping."""
    curve = facts.curves.get(EPOCH_MEAN_LOSS)
    if curve is None or curve.first_nonfinite is not None or curve.points.size < 6:
        return None
    if not step_level(facts.loss) or step_level(curve):
        return None
    return curve if len(_spikes(curve).runs) >= 2 else None


# The loader's name for an epoch-level aggregate logged beside the step-level train loss.
EPOCH_MEAN_LOSS = "train_loss_epoch"


def unstable_training(facts: TrainingFacts) -> list[Analysis]:
    curve = _finite_prefix(facts.loss)
    spikes, factor, lasting = _spikes(curve)
    ratio = _oscillation(curve) if curve.points.size >= 6 else 0.0
    big = [s for s in lasting if curve.points[s[0] : s[1] + 1].max() > 10 * curve.tail()]
    note = ""
    if len(spikes) < 2 and not big and ratio < OSCILLATION_RATIO:
        averaged = _epoch_mean_spikes(facts)
        found = _val_spikes(facts)
        if averaged is not None:
            curve, spikes, factor = averaged, _spikes(averaged).runs, SPIKE_FACTOR
            note = (
                " Each value is a mean over an epoch's batches, so its jumps are the weights "
                "moving, not batch noise."
            )
        elif found is not None:
            (curve, spikes), factor, ratio = found, VAL_SPIKE_FACTOR, 0.0
            note = (
                " Validation uses fixed data, so its jumps are the weights moving, not batch noise."
            )
        else:
            return []
    if spikes:
        first, last = spikes[0][0], spikes[-1][1]
        peaks = [a + int(np.argmax(curve.points[a : b + 1])) for a, b in spikes[:3]]
        tops = ", ".join(f"{fmt(float(curve.points[i]))} at {curve.place(i)}" for i in peaks)
        evidence = (
            f"{curve.display} spiked {len(spikes)} time(s) above {factor:g}x its "
            f"surrounding level ({tops}).{note}"
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
