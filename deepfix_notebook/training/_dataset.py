"""Dataset metadata and statistics from arrays, DataFrames or torch datasets, sampled when large.

    metadata, statistics = describe_dataset(y_train, features=x_train, val_features=x_val)
    metadata, statistics = describe_dataset(features=train_dataset, val_features=val_loader)

``metadata`` fits ``dataset/metadata.yaml`` (sizes, class counts, imbalance ratio) and
``statistics`` fits ``dataset/statistics.json`` (per-feature or per-channel mean and standard
deviation of each split). A torch ``Dataset`` or ``DataLoader`` is read item by item: at most
``max_items`` of them, drawn with a fixed seed; its labels come from ``(x, y)`` or dict items, or
from the whole dataset when it keeps them (``targets``, a ``TensorDataset``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from deepfix_notebook.training._torchdata import MAX_ITEMS, is_torch_data, sample

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
    max_items: int = MAX_ITEMS,
    seed: int = 0,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(metadata, statistics)`` for the training split and optional validation/test splits.

    ``features`` (and the val/test ones) are arrays, DataFrames, or torch datasets/loaders;
    ``labels`` default to the training dataset's own when it is a torch one.
    """
    metadata: dict[str, Any] = {"dataset_name": name}
    if task_type is not None:
        metadata["task_type"] = task_type
    statistics: dict[str, Any] = {}
    rng = np.random.default_rng(seed)
    for split, data in (("train", features), ("val", val_features), ("test", test_features)):
        if data is None:
            continue
        if is_torch_data(data):
            drawn = sample(data, max_items=max_items, seed=seed)
            rows, (mean, std) = drawn.total, drawn.moments.result()
            if split == "train" and labels is None and drawn.labels is not None:
                _count_labels(metadata, drawn.labels, class_names, task_type)
                if not drawn.labels_complete:
                    _scale_counts(metadata, drawn.total, len(drawn.labels))
                metadata["num_train_samples"] = drawn.total
        else:
            rows = len(data)
            mean, std = _moments(data, rng, max_samples)
        if split == "train":
            metadata.setdefault("num_train_samples", rows)
        else:
            metadata[f"num_{split}_samples"] = rows
        statistics[f"{split}_mean"], statistics[f"{split}_std"] = mean, std
    if labels is not None:
        _count_labels(metadata, labels, class_names, task_type)
    counts = [count for count in metadata.get("class_counts", {}).values() if count > 0]
    if len(counts) >= 2:
        metadata["imbalance_ratio"] = round(max(counts) / min(counts), 6)
    return _ordered(metadata), statistics


def _count_labels(
    metadata: dict[str, Any],
    labels: Sequence[Any] | np.ndarray,
    class_names: Sequence[str] | None,
    task_type: str | None,
) -> None:
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


def _scale_counts(metadata: dict[str, Any], total: int, read: int) -> None:
    """Counts of a sample, scaled to the whole split (largest remainders, so they add up)."""
    counts = metadata.get("class_counts")
    if not counts:
        return
    shares = {k: v * total / read for k, v in counts.items()}
    scaled = {k: int(v) for k, v in shares.items()}
    for key in sorted(shares, key=lambda k: shares[k] - scaled[k], reverse=True)[
        : total - sum(scaled.values())
    ]:
        scaled[key] += 1
    metadata["class_counts"] = scaled
    metadata["class_counts_estimated_from"] = read


def _ordered(metadata: dict[str, Any]) -> dict[str, Any]:
    """Keys in the order metadata.yaml reads best: name and sizes, classes, the rest."""
    first = (
        "dataset_name",
        "task_type",
        "num_train_samples",
        "num_val_samples",
        "num_test_samples",
        "num_classes",
        "class_names",
        "class_counts",
        "imbalance_ratio",
    )
    head = {key: metadata[key] for key in first if key in metadata}
    return {**head, **{k: v for k, v in metadata.items() if k not in head}}


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
