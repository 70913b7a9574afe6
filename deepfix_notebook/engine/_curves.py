"""Curves: a metric prepared once for every rule — finite mask, binning, smoothing, places.

A 1e6-step loss is reduced to at most ``MAX_POINTS`` bins (median, min and max per bin) before
any rule looks at its shape, so rules cost the same on 3 epochs and on a million steps. NaN and
Inf are located on the raw values first: binning must never hide them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from deepfix_notebook.artifacts import MetricsTable
from deepfix_notebook.engine._thresholds import declare

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MAX_POINTS = declare(
    "max_points",
    2000,
    unit="points",
    family="curves",
    source="own: enough to see every phase of a run",
    doc="bins (median, min, max each) a metric is reduced to before shape rules read it",
)
SMOOTH_FRACTION = declare(
    "smooth_fraction",
    1 / 25,
    unit="share of the curve's points",
    family="curves",
    source="own measurement",
    doc="width of the centred rolling median that takes batch noise out (odd, at least 1)",
)
MAX_SMOOTH_WINDOW = declare(
    "max_smooth_window",
    51,
    unit="points",
    family="curves",
    source="own choice",
    doc="the widest rolling-median window",
)


@dataclass(frozen=True)
class Curve:
    """One metric: raw values and a binned, smoothed view of its finite part."""

    name: str
    display: str
    steps: IntArray
    epochs: FloatArray | None
    values: FloatArray

    @cached_property
    def finite(self) -> npt.NDArray[np.bool_]:
        return np.isfinite(self.values)

    @cached_property
    def first_nonfinite(self) -> int | None:
        bad = np.flatnonzero(~self.finite)
        return int(bad[0]) if bad.size else None

    @property
    def n(self) -> int:
        return int(self.values.shape[0])

    @cached_property
    def _bins(self) -> tuple[FloatArray, FloatArray, FloatArray, IntArray]:
        """(center, low, high, index of each bin's last raw point) over finite values."""
        index = np.flatnonzero(self.finite)
        values = self.values[index]
        if values.size <= MAX_POINTS:
            return values, values, values, index.astype(np.int64)
        size = int(np.ceil(values.size / MAX_POINTS))
        usable = values.size - values.size % size
        blocks = values[:usable].reshape(-1, size)
        center, low, high = np.median(blocks, 1), blocks.min(1), blocks.max(1)
        last = index[size - 1 : usable : size]
        if usable < values.size:  # a short tail bin
            tail = values[usable:]
            center = np.append(center, np.median(tail))
            low, high = np.append(low, tail.min()), np.append(high, tail.max())
            last = np.append(last, index[-1])
        return center, low, high, last.astype(np.int64)

    @property
    def points(self) -> FloatArray:
        """Finite values, binned (median per bin) when there are many."""
        return self._bins[0]

    @property
    def highs(self) -> FloatArray:
        return self._bins[2]

    @property
    def raw_index(self) -> IntArray:
        """For each point, the index of the raw value it ends at."""
        return self._bins[3]

    @cached_property
    def smooth(self) -> FloatArray:
        """A centred rolling median of ``points``: batch noise out, real turns kept."""
        return rolling_median(self.points, smoothing_window(self.points.size))

    def place(self, point: int) -> str:
        """Where point ``point`` is, in the words a user logged it: epoch if known, else step."""
        raw = int(self.raw_index[point])
        return self.place_raw(raw)

    def place_raw(self, raw: int) -> str:
        if self.epochs is not None and np.isfinite(self.epochs[raw]):
            epoch = self.epochs[raw]
            return f"epoch {int(epoch) if float(epoch).is_integer() else round(float(epoch), 2)}"
        return f"step {int(self.steps[raw])}"

    def step_range(self, first_point: int, last_point: int) -> tuple[int, int]:
        return int(self.steps[self.raw_index[first_point]]), int(
            self.steps[self.raw_index[last_point]]
        )

    def epoch_range(self, first_point: int, last_point: int) -> tuple[float, float] | None:
        if self.epochs is None:
            return None
        a, b = self.epochs[self.raw_index[first_point]], self.epochs[self.raw_index[last_point]]
        if not (np.isfinite(a) and np.isfinite(b)):
            return None
        return float(a), float(b)

    def raw_step_range(self, first: int, last: int) -> tuple[int, int]:
        return int(self.steps[first]), int(self.steps[last])

    def raw_epoch_range(self, first: int, last: int) -> tuple[float, float] | None:
        if self.epochs is None or not np.isfinite(self.epochs[[first, last]]).all():
            return None
        return float(self.epochs[first]), float(self.epochs[last])

    def head(self, share: float = 0.05) -> float:
        """A robust start value: the median of the first few points."""
        k = max(1, int(np.ceil(self.points.size * share)))
        return float(np.median(self.points[:k]))

    def tail(self, share: float = 0.1) -> float:
        """A robust end value: the median of the last points."""
        k = max(1, int(np.ceil(self.points.size * share)))
        return float(np.median(self.points[-k:]))


def smoothing_window(n: int) -> int:
    window = round(n * SMOOTH_FRACTION)
    window = min(max(window, 1), MAX_SMOOTH_WINDOW)
    return window if window % 2 else window + 1


def rolling_median(values: FloatArray, window: int) -> FloatArray:
    """Centred rolling median; the ends use the nearest full window (edge padding)."""
    if window <= 1 or values.size < 3:
        return values.copy()
    window = min(window, values.size if values.size % 2 else values.size - 1)
    half = window // 2
    padded = np.pad(values, half, mode="edge")
    return np.median(sliding_window_view(padded, window), axis=1)


def curves(table: MetricsTable) -> dict[str, Curve]:
    """A `Curve` per metric of ``table``."""
    out: dict[str, Curve] = {}
    for name in table:
        steps, epochs, values = table.series(name)
        out[name] = Curve(name, table.display_name(name), steps, epochs, values)
    return out


def fmt(value: float) -> str:
    """A number as evidence shows it: 4 significant digits, no noise."""
    if not np.isfinite(value):
        return "NaN" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return _short_exponent(f"{value:.3g}")
    return f"{value:.4g}"


def approx(value: float, digits: int = 2) -> str:
    """A suggested or rounded number, as advice says it: 2 significant digits (0.0033, 3.3e-5,
    1200), never the float noise of a division (0.003333)."""
    if not np.isfinite(value) or value == 0:
        return fmt(value)
    rounded = round(value, digits - 1 - int(np.floor(np.log10(abs(value)))))
    exponent = int(np.floor(np.log10(abs(rounded))))  # 99.6 rounds up to 100
    if exponent < -4 or exponent >= 6:
        return _short_exponent(f"{rounded:.{digits - 1}e}")
    text = f"{rounded:.{max(digits - 1 - exponent, 0)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _short_exponent(text: str) -> str:
    """'3.30e-05' -> '3.3e-5': no padded exponent, no trailing zeros in the mantissa."""
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def pct(fraction: float) -> str:
    return f"{fraction * 100:.0f}%"


def cap(text: str) -> str:
    """Upper-case the first letter only (``str.capitalize`` would lower 'NaN' and 'Adam')."""
    return text[:1].upper() + text[1:]


def sentence(text: str) -> str:
    """``text`` stripped and ending with a full stop."""
    text = text.strip()
    return text if text.endswith(".") else text + "."
