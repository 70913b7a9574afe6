"""Dataset metadata and statistics from arrays or DataFrames, sampled when large.

    metadata, statistics = describe_dataset(y_train, features=x_train, val_features=x_val)

``metadata`` fits ``dataset/metadata.yaml`` (sizes, class counts, imbalance ratio follows on
load) and ``statistics`` fits ``dataset/statistics.json`` (per-feature or per-channel mean and
standard deviation of each split).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

MAX_SAMPLES = 100_000  # statistics of a random sample beyond this many rows (fixed seed)
_CHANNEL_COUNTS = (1, 3, 4)


def describe_dataset(
    labels: Sequence[Any] | np.ndarray | None = None,
    *,
    features: Any = None,
    val_features: Any = None,
    test_features: Any = None,
    name: str = "dataset",
    class_names: Sequence[str] | None = None,
    task_type: str | None = None,
    max_samples: int = MAX_SAMPLES,
    seed: int = 0,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(metadata, statistics)`` for the training split and optional validation/test splits."""
    metadata: dict[str, Any] = {"dataset_name": name}
    if task_type is not None:
        metadata["task_type"] = task_type
    if labels is not None:
        values = [_plain(label) for label in np.asarray(labels).ravel().tolist()]
        counts: dict[str, int] = {}
        for value in values:
            counts[str(value)] = counts.get(str(value), 0) + 1
        ordered = dict(sorted(counts.items(), key=lambda item: _sort_key(item[0])))
        if class_names is not None:
            if len(class_names) != len(ordered):
                raise ValueError(
                    f"{len(class_names)} class names for {len(ordered)} classes in the labels"
                )
            ordered = dict(zip(class_names, ordered.values(), strict=True))
            metadata["class_names"] = list(class_names)
        metadata["num_train_samples"] = len(values)
        if task_type != "regression":
            metadata["num_classes"] = len(ordered)
            metadata["class_counts"] = ordered
    statistics: dict[str, Any] = {}
    rng = np.random.default_rng(seed)
    for split, data in (("train", features), ("val", val_features), ("test", test_features)):
        if data is None:
            continue
        rows = len(data)
        if split == "train":
            metadata.setdefault("num_train_samples", rows)
        else:
            metadata[f"num_{split}_samples"] = rows
        mean, std = _moments(data, rng, max_samples)
        statistics[f"{split}_mean"], statistics[f"{split}_std"] = mean, std
    return metadata, statistics


def _moments(data: Any, rng: np.random.Generator, max_samples: int) -> tuple[Any, Any]:
    """Per-column (DataFrame, 2-D) or per-channel (images) mean and std of a sample."""
    if hasattr(data, "select_dtypes"):  # a pandas DataFrame: by column name
        numeric = data.select_dtypes("number")
        if len(numeric) > max_samples:
            numeric = numeric.sample(max_samples, random_state=int(rng.integers(2**31)))
        return (
            {str(k): float(v) for k, v in numeric.mean().items()},
            {str(k): float(v) for k, v in numeric.std(ddof=0).items()},
        )
    array = np.asarray(data)
    if array.ndim == 0:
        raise ValueError("features must be an array with one row per sample")
    if array.shape[0] > max_samples:
        array = array[np.sort(rng.choice(array.shape[0], max_samples, replace=False))]
    array = array.astype(np.float64, copy=False)
    if array.ndim == 1:
        return [float(np.nanmean(array))], [float(np.nanstd(array))]
    if array.ndim == 2:
        return _lists(np.nanmean(array, 0), np.nanstd(array, 0))
    axis = _channel_axis(array.shape)
    moved = np.moveaxis(array, axis, -1).reshape(-1, array.shape[axis])
    return _lists(np.nanmean(moved, 0), np.nanstd(moved, 0))


def _channel_axis(shape: tuple[int, ...]) -> int:
    """Images are NCHW or NHWC: the channel axis is the one of size 1, 3 or 4 (last wins ties)."""
    if shape[-1] in _CHANNEL_COUNTS:
        return len(shape) - 1
    if shape[1] in _CHANNEL_COUNTS:
        return 1
    return len(shape) - 1


def _lists(mean: np.ndarray, std: np.ndarray) -> tuple[list[float], list[float]]:
    return [float(v) for v in mean], [float(v) for v in std]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _sort_key(text: str) -> tuple[int, float | str]:
    try:
        return 0, float(text)
    except ValueError:
        return 1, text
