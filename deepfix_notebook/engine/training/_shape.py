"""Shape measures every training rule reads a curve with: its size, start, drop, noise, best.

They judge a curve relative to its own scale (its start value, or a tenth of its range when the
start is near zero), so the rules hold for losses from 1e-4 to 1e4.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from deepfix_notebook.engine._curves import (
    Curve,
    FloatArray,
    IntArray,
    rolling_median,
    smoothing_window,
)
from deepfix_notebook.engine._thresholds import declare

# A loss logged more than once per epoch is a series of single-batch losses (Lightning's on_step,
# every 50 steps by default; the HF Trainer's logging_steps) that carry batch noise; a value
# logged once per epoch is an average over it, where that noise has cancelled out.
STEP_LEVEL_PER_EPOCH = declare(
    "step_level_per_epoch",
    1.2,
    unit="points per epoch",
    family="curves",
    source="own: one extra value at the start must not make a curve step-level",
    doc="a curve logged at least this often per epoch holds single-batch (step-level) values",
)
STEP_LEVEL_POINTS = declare(
    "step_level_points",
    100,
    unit="points",
    family="curves",
    source="own choice",
    doc="without epochs, a curve of more than this many points is taken as step-level",
)
NOISE_MARGIN = declare(
    "noise_margin",
    3.0,
    unit="x point-to-point noise",
    family="curves",
    source="own choice",
    doc="a rise or a stall must exceed this multiple of the curve's own noise to count",
)
MIN_DELTA_SHARE = declare(
    "min_delta_share",
    0.01,
    unit="share of the curve's range",
    family="curves",
    source="own: the role of Keras' min_delta, relative to the curve",
    doc="an improvement smaller than this is no improvement; the best is reached within it",
)


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


def step_level(curve: Curve) -> bool:
    """Whether ``curve`` holds single-batch values (batch noise) rather than epoch averages."""
    epochs = curve.epochs
    if epochs is not None:
        known = epochs[np.isfinite(epochs)]
        if known.size and known.size >= curve.n / 2:
            seen = float(np.floor(known.max()) - np.floor(known.min()) + 1)
            return curve.points.size >= STEP_LEVEL_PER_EPOCH * seen
    return curve.points.size > STEP_LEVEL_POINTS


def _level(values: FloatArray) -> FloatArray:
    """The level around each point: the higher of the lowest values before and after it."""
    before = np.minimum.accumulate(values)
    after = np.minimum.accumulate(values[::-1])[::-1]
    level: FloatArray = np.maximum(np.r_[values[0], before[:-1]], np.r_[after[1:], values[-1]])
    return level


def _excursions(values: FloatArray, factor: float) -> list[tuple[int, int]]:
    """Runs (first, last) above ``factor`` x the lowest level before and after them."""
    return _runs(values > factor * _level(values))


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]
