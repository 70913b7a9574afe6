"""`downsample`: shape-preserving, NaN/Inf and spikes always kept, small, deterministic, fast."""

from __future__ import annotations

import time

import numpy as np
import pytest

from deepfix_notebook.views._downsample import downsample

N = 1_000_000


def walk(n: int = N, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.arange(n, dtype=np.int64), rng.standard_normal(n).cumsum()


def test_short_series_is_returned_unchanged() -> None:
    x = np.arange(10)
    y = np.array([1.0, np.nan, 3, np.inf, 5, -np.inf, 7, 8, 9, 10])
    x_out, y_out = downsample(x, y, n_out=10)
    np.testing.assert_array_equal(x_out, x)
    np.testing.assert_array_equal(y_out, y)  # NaN == NaN here


def test_size_is_bounded_and_x_stays_sorted() -> None:
    x, y = walk()
    x_out, y_out = downsample(x, y, n_out=1000)
    assert 500 <= len(x_out) <= 1000
    assert len(x_out) == len(y_out)
    assert np.all(np.diff(x_out) > 0)
    assert x_out.dtype == np.int64
    assert x_out[0] == 0 and x_out[-1] == N - 1
    # every output point is an input point
    np.testing.assert_array_equal(y_out, y[x_out])


def test_global_extremes_are_kept() -> None:
    x, y = walk()
    y[123_457] = 1e9  # a spike between buckets
    y[876_543] = -1e9
    _, y_out = downsample(x, y, n_out=100)
    assert y_out.max() == 1e9
    assert y_out.min() == -1e9


def test_every_nonfinite_point_is_kept_at_its_x() -> None:
    x, y = walk()
    nan_at, pinf_at, ninf_at = [17, 500_000, 500_001], [250_000, 999_999], [42]
    y[nan_at], y[pinf_at], y[ninf_at] = np.nan, np.inf, -np.inf
    y[600_000:610_000] = np.nan  # a diverged stretch
    x_out, y_out = downsample(x, y, n_out=1000)
    bad = ~np.isfinite(y_out)
    assert bad.sum() == 3 + 2 + 1 + 10_000
    assert set(x_out[np.isnan(y_out)]) == {*nan_at, *range(600_000, 610_000)}
    assert set(x_out[np.isposinf(y_out)]) == set(pinf_at)
    assert set(x_out[np.isneginf(y_out)]) == set(ninf_at)
    assert np.isfinite(y_out).sum() <= 1000


def test_max_nonfinite_keeps_every_run_edge_and_every_kind() -> None:
    x, y = walk()
    y[300_000:900_000] = np.nan  # one long run: its two ends remain
    y[950_000] = np.inf
    y[960_000] = -np.inf
    x_out, y_out = downsample(x, y, n_out=1000, max_nonfinite=1000)
    assert list(x_out[np.isnan(y_out)]) == [300_000, 899_999]
    assert list(x_out[np.isposinf(y_out)]) == [950_000]
    assert list(x_out[np.isneginf(y_out)]) == [960_000]


def test_max_nonfinite_thins_alternating_nan_evenly() -> None:
    x, y = walk()
    y[::2] = np.nan  # every other point: 500 000 runs of one
    y[1001] = np.inf
    x_out, y_out = downsample(x, y, n_out=1000, max_nonfinite=500)
    bad = ~np.isfinite(y_out)
    assert bad.sum() <= 503
    assert np.isposinf(y_out).sum() == 1  # the one +Inf survives the thinning
    assert x_out[bad][0] == 0 and x_out[bad][-1] == N - 2


def test_deterministic() -> None:
    x, y = walk(seed=3)
    y[::97] = np.nan
    first = downsample(x, y, n_out=777, max_nonfinite=300)
    second = downsample(x.copy(), y.copy(), n_out=777, max_nonfinite=300)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_shape_is_preserved() -> None:
    x = np.linspace(0, 20 * np.pi, 200_000)
    y = np.sin(x) * np.exp(-x / 40)
    x_out, y_out = downsample(x, y, n_out=1000)
    assert np.max(np.abs(np.interp(x, x_out, y_out) - y)) < 0.02


def test_unsorted_x_is_sorted_and_nan_x_dropped() -> None:
    rng = np.random.default_rng(1)
    x = rng.permutation(50_000).astype(np.float64)
    y = np.sin(x / 1000)
    x[7] = np.nan
    x_out, y_out = downsample(x, y, n_out=500)
    assert np.all(np.diff(x_out) > 0)
    assert not np.isnan(x_out).any()
    np.testing.assert_allclose(y_out, np.sin(x_out / 1000))


def test_repeated_x_is_accepted() -> None:
    x = np.repeat(np.arange(100, dtype=np.float64), 1000)  # integer epochs, 1000 steps each
    y = np.random.default_rng(2).standard_normal(x.size)
    x_out, y_out = downsample(x, y, n_out=1000)
    assert 0 < len(x_out) <= 1000
    assert y_out.max() == y.max() and y_out.min() == y.min()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n_out"):
        downsample([1, 2, 3], [1.0, 2.0, 3.0], n_out=2)
    with pytest.raises(ValueError, match="one length"):
        downsample([1, 2, 3], [1.0, 2.0], n_out=10)


def test_a_million_points_in_well_under_a_second() -> None:
    x, y = walk()
    y[::1000] = np.nan
    downsample(x, y, n_out=1000)  # warm up: first call imports tsdownsample
    best = min(_timed(lambda: downsample(x, y, n_out=1000)) for _ in range(3))
    assert best < 1.0, f"{best * 1000:.0f} ms"  # typically a few ms


def _timed(call: object) -> float:
    assert callable(call)
    start = time.perf_counter()
    call()
    return time.perf_counter() - start
