"""Measures of progress the convergence rules share: how much of its gain a falling curve still
has ahead (Aitken's extrapolation of its pace), and a validation loss that never moved."""

from __future__ import annotations

import numpy as np

from deepfix_notebook.engine._curves import Curve, FloatArray
from deepfix_notebook.engine._thresholds import declare
from deepfix_notebook.engine.training._shape import NOISE_MARGIN, _noise, _steady

_FAMILY = "convergence"  # the family its thresholds are documented in

# Stopped too early relative to its own pace: Aitken's delta-squared extrapolation of the curve
# from its start, middle and end gives the level it is heading for; for an exponential approach
# the share of that gain still ahead is exp(-run length / time constant).
UNFINISHED_SHARE = declare(
    "unfinished_share",
    0.25,
    unit="share of the extrapolated total improvement",
    family=_FAMILY,
    source=(
        "Aitken's delta-squared extrapolation (1926); 25% still ahead = fewer than ~1.4 time "
        "constants of an exponential approach trained (converged runs leave < 10%)"
    ),
    doc="a curve whose extrapolated gain still ahead is this share of the whole has not converged",
)
UNFINISHED_POINTS = declare(
    "unfinished_points",
    8,
    unit="points",
    family=_FAMILY,
    source="own choice",
    doc="fewest points of a curve to extrapolate its pace from",
)
FROZEN_EVALUATIONS = declare(
    "frozen_evaluations",
    5,
    unit="evaluations",
    family=_FAMILY,
    source="own choice",
    doc="a validation loss identical over at least this many evaluations comes from frozen weights",
)
FROZEN_DIGITS = declare(
    "frozen_digits",
    6,
    unit="significant digits",
    family=_FAMILY,
    source="the 6 significant digits loggers commonly write (float32 carries ~7)",
    doc="validation values equal to this many digits are identical",
)


def still_ahead(curve: Curve) -> float | None:
    """The share of its total gain a falling curve has still ahead, by Aitken's Δ² from the
    medians of a tenth of its points at its start, middle and end (1.0: not slowing down); None
    when the curve is too short, does not fall from quarter to quarter, or its second half fell
    within 3x its noise."""
    values = _steady(curve.points)
    n = values.size
    if n < UNFINISHED_POINTS:
        return None
    w = max(1, n // 10)
    # Window medians centred at equal spacing (a window between two places is averaged).
    start, quarter, middle, late, end = (
        _window_median(values, (n - w) * at, w) for at in (0.0, 0.25, 0.5, 0.75, 1.0)
    )
    if not start > quarter > middle > late > end:
        return None  # not falling all along: noise around a level, or a turn
    first, second = start - middle, middle - end
    if second <= NOISE_MARGIN * _noise(curve.points):
        return None
    ratio = second / first  # exp(-half the run / time constant) for an exponential approach
    if ratio >= 1:
        return 1.0
    ahead = second * ratio / (1 - ratio)
    return ahead / (start - end + ahead)


def _window_median(values: FloatArray, first: float, width: int) -> float:
    """The median of ``width`` values from index ``first``; a fractional ``first`` averages the
    two windows around it."""
    low, high = int(np.floor(first)), int(np.ceil(first))
    a = float(np.median(values[low : low + width]))
    b = float(np.median(values[high : high + width]))
    return a + (b - a) * (first - low)


def level_drop(curve: Curve) -> float:
    """How far the loss's level fell: the median of its last tenth against its first (batch
    noise moves single points and extremes, not medians)."""
    tenth = max(1, curve.points.size // 10)
    first = float(np.median(curve.points[:tenth]))
    return (first - float(np.median(curve.points[-tenth:]))) / max(abs(first), 1e-12)


def frozen_validation(val: Curve | None) -> Curve | None:
    """A validation loss identical at every evaluation: the evaluated weights never changed
    (an optimizer holding another model's parameters, frozen layers, a zero learning rate).
    Batch noise can hide that in the train loss; fixed validation data cannot."""
    if val is None or val.points.size < FROZEN_EVALUATIONS or val.first_nonfinite is not None:
        return None
    values = val.points
    scale = max(float(np.max(np.abs(values))), 1e-12)
    return val if float(np.ptp(values)) <= scale * 10.0**-FROZEN_DIGITS else None
