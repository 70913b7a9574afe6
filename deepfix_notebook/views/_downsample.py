"""Shape-preserving downsampling of a curve for display, keeping NaN, Inf and spikes visible.

The finite points go through MinMaxLTTB (the maintained ``tsdownsample`` library, imported on
first use); the global minimum and maximum are then added back, and every non-finite point is
re-inserted at its x. The result is what a plot needs to look like the full curve while a saved
notebook stays small.

Convention: non-finite values stay in the returned ``y`` at their ``x`` (``NaN``, ``+inf``,
``-inf`` unchanged), so ``~np.isfinite(y_out)`` finds the points to mark; a line drawn through
``y_out`` with them as NaN gets a gap exactly where the run broke down.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

MIN_POINTS = 5
MINMAX_RATIO = 4  # tsdownsample's default: MinMax preselects 4 points per LTTB bucket
# x dtypes tsdownsample takes as they are (ints, unsigned ints, floats, datetimes, timedeltas).
_X_KINDS = frozenset("iufMm")

FloatArray = npt.NDArray[np.float64]


def downsample(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    n_out: int = 1000,
    *,
    max_nonfinite: int | None = None,
) -> tuple[npt.NDArray[Any], FloatArray]:
    """``(x_out, y_out)``: at most ``n_out`` finite points plus the non-finite ones, by ``x``.

    - Finite points: MinMaxLTTB down to ``n_out`` points, always including the first, the last,
      and the global minimum and maximum (a spike is never dropped).
    - Non-finite points (NaN, +Inf, -Inf) are all kept, at their ``x``, with their value.
      With ``max_nonfinite``, when there are more than that, each run of consecutive points of
      one kind keeps its first and last point; if those are still too many they are thinned
      evenly, keeping the first point of each kind (about ``max_nonfinite`` remain).
    - A series of at most ``n_out`` points is returned unchanged (no copy).

    ``x`` must be sorted (non-decreasing; unsorted input is sorted first, stably). Points whose
    ``x`` is NaN cannot be placed and are dropped. Deterministic; vectorised (no per-point Python).
    """
    if n_out < MIN_POINTS:
        raise ValueError(f"n_out must be at least {MIN_POINTS}, got {n_out}")
    xs = np.asarray(x)
    ys = np.asarray(y, dtype=np.float64)
    if xs.ndim != 1 or ys.ndim != 1 or xs.shape != ys.shape:
        raise ValueError(f"x and y must be 1-D of one length, got {xs.shape} and {ys.shape}")
    if xs.dtype.kind not in _X_KINDS:
        xs = xs.astype(np.float64)
    if ys.shape[0] <= n_out:
        return xs, ys
    if xs.dtype.kind == "f" and np.isnan(xs).any():
        placed = ~np.isnan(xs)
        xs, ys = xs[placed], ys[placed]
    if np.any(xs[1:] < xs[:-1]):
        order = np.argsort(xs, kind="stable")
        xs, ys = xs[order], ys[order]

    finite = np.isfinite(ys)
    kept_finite = _finite_indices(xs, ys, finite, n_out)
    kept_nonfinite = _nonfinite_indices(ys, finite, max_nonfinite)
    keep = np.union1d(kept_finite, kept_nonfinite)
    return xs[keep], ys[keep]


def _finite_indices(
    xs: npt.NDArray[Any], ys: FloatArray, finite: npt.NDArray[np.bool_], n_out: int
) -> npt.NDArray[np.intp]:
    index = np.flatnonzero(finite)
    if index.shape[0] <= n_out:
        return index
    from tsdownsample import MinMaxLTTBDownsampler

    fx = np.ascontiguousarray(xs[index])
    fy = np.ascontiguousarray(ys[index])
    downsampler: Any = MinMaxLTTBDownsampler  # the library's constructor is not annotated
    # Two slots are left for the global extremes, so at most n_out finite points come out.
    chosen = downsampler().downsample(
        fx, fy, n_out=n_out - 2, minmax_ratio=MINMAX_RATIO, parallel=False
    )
    extremes = np.array([np.argmin(fy), np.argmax(fy), 0, fy.shape[0] - 1], dtype=np.intp)
    selected = np.union1d(np.asarray(chosen, dtype=np.intp), extremes)
    return index[selected]


def _nonfinite_indices(
    ys: FloatArray, finite: npt.NDArray[np.bool_], limit: int | None
) -> npt.NDArray[np.intp]:
    index = np.flatnonzero(~finite)
    if limit is None or index.shape[0] <= limit:
        return index
    values = ys[index]
    kind = np.where(np.isnan(values), 0, np.where(values > 0, 1, 2))
    # A run: consecutive positions with the same kind. Keep where a run starts or ends.
    new = np.ones(index.shape[0], dtype=bool)
    new[1:] = (np.diff(index) != 1) | (np.diff(kind) != 0)
    last = np.ones(index.shape[0], dtype=bool)
    last[:-1] = new[1:]
    edges = np.flatnonzero(new | last)
    if edges.shape[0] > limit:
        even = np.unique(np.linspace(0, edges.shape[0] - 1, max(limit, 2)).round().astype(np.intp))
        _, first_of_kind = np.unique(kind, return_index=True)
        edges = np.union1d(edges[even], first_of_kind)
    return index[edges]
