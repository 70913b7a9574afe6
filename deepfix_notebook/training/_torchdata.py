"""Torch datasets and data loaders for `describe_dataset`: a bounded, seeded sample of items.

Nothing here imports torch unless the caller already did: an object can only be a torch dataset
when ``torch`` is in ``sys.modules``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_ITEMS = 1000  # items read from a torch dataset for statistics (each may decode an image)
_CHANNEL_COUNTS = (1, 3, 4)
LABEL_KEYS = ("label", "labels", "target", "targets", "y", "class", "class_id")
INPUT_KEYS = ("image", "images", "pixel_values", "img", "input", "inputs", "x", "features")


def is_torch_data(obj: Any) -> bool:
    """``obj`` is a ``torch.utils.data.Dataset`` or ``DataLoader``."""
    if "torch" not in sys.modules or obj is None:
        return False
    from torch.utils.data import DataLoader, Dataset

    return isinstance(obj, Dataset | DataLoader)


@dataclass
class Moments:
    """Per-channel (or per-feature) running sums, shifted by the first item for precision."""

    shift: np.ndarray | None = None
    total: np.ndarray | None = None
    squares: np.ndarray | None = None
    count: np.ndarray | None = None

    def add(self, rows: np.ndarray) -> None:
        """``rows``: channels x values of one item."""
        if self.shift is None:
            with np.errstate(invalid="ignore"):
                self.shift = np.nan_to_num(np.nanmean(rows, axis=1))
            self.total = np.zeros(rows.shape[0])
            self.squares = np.zeros(rows.shape[0])
            self.count = np.zeros(rows.shape[0])
        assert self.total is not None and self.squares is not None and self.count is not None
        if rows.shape[0] != self.shift.shape[0]:
            raise ValueError(
                f"dataset items have {rows.shape[0]} channels/features where earlier items had "
                f"{self.shift.shape[0]}; statistics need items of one layout"
            )
        centred = rows - self.shift[:, None]
        finite = np.isfinite(centred)
        centred = np.where(finite, centred, 0.0)
        self.total += centred.sum(axis=1)
        self.squares += (centred * centred).sum(axis=1)
        self.count += finite.sum(axis=1)

    def result(self) -> tuple[list[float], list[float]]:
        if self.shift is None:
            return [], []
        assert self.total is not None and self.squares is not None and self.count is not None
        n = np.maximum(self.count, 1)
        mean = self.total / n
        variance = np.maximum(self.squares / n - mean * mean, 0.0)
        empty = self.count == 0
        mean = np.where(empty, np.nan, mean + self.shift)
        std = np.where(empty, np.nan, np.sqrt(variance))
        return [float(v) for v in mean], [float(v) for v in std]


@dataclass
class Sample:
    """What was read from one split: its size, moments of the inputs, labels when found."""

    total: int
    read: int
    moments: Moments = field(default_factory=Moments)
    labels: list[Any] | None = None
    labels_complete: bool = False  # labels cover the whole split (not a sample)


def sample(data: Any, *, max_items: int = MAX_ITEMS, seed: int = 0) -> Sample:
    """Read at most ``max_items`` items of a Dataset or DataLoader (random, seeded, when more).

    A DataLoader is read through its dataset, item by item, so its batching, shuffling and
    workers play no part. An iterable-style dataset gives its first ``max_items`` items.
    """
    if max_items < 1:
        raise ValueError(f"max_items must be at least 1, got {max_items}")
    dataset = getattr(data, "dataset", data) if _is_loader(data) else data
    items, total = _draw(dataset, max_items, seed)
    found = Sample(total=total, read=0)
    labels: list[Any] = []
    has_labels = True
    for item in items:
        inputs, label = split_item(item)
        found.moments.add(_channel_rows(inputs))
        found.read += 1
        if label is None or not has_labels:
            has_labels = False
            continue
        labels.append(label)
    if found.read == 0:
        raise ValueError("the dataset is empty: no item to describe")
    if found.read < total or not has_labels:
        everything = _all_labels(dataset, total)
        if everything is not None:
            found.labels, found.labels_complete = everything, True
            return found
    if has_labels:
        found.labels, found.labels_complete = labels, found.read == total
    return found


def split_item(item: Any) -> tuple[Any, Any]:
    """``(inputs, label)`` of one dataset item: ``(x, y)`` tuples, dicts, or inputs alone."""
    if isinstance(item, Mapping):
        label_key = next((k for k in LABEL_KEYS if k in item), None)
        input_key = next((k for k in INPUT_KEYS if k in item), None)
        if input_key is None:
            input_key = next((k for k in item if k != label_key), None)
        if input_key is None:
            raise ValueError(f"dataset items are dicts without inputs: keys {sorted(item)}")
        return item[input_key], None if label_key is None else _label(item[label_key])
    if isinstance(item, tuple | list) and len(item) >= 2:
        return item[0], _label(item[1])
    return item, None


def _label(value: Any) -> Any:
    """A class label as a plain value, or None when it is not one (one-hot, mask, regression)."""
    if hasattr(value, "numel") and value.numel() != 1:
        return None
    if isinstance(value, np.ndarray) and value.size != 1:
        return None
    plain = value.item() if hasattr(value, "item") else value
    if isinstance(plain, float):
        return int(plain) if plain.is_integer() else None
    return plain


def _is_loader(obj: Any) -> bool:
    from torch.utils.data import DataLoader

    return isinstance(obj, DataLoader)


def _draw(dataset: Any, max_items: int, seed: int) -> tuple[Iterable[Any], int]:
    """The items to read and the dataset's size."""
    from torch.utils.data import IterableDataset

    if isinstance(dataset, IterableDataset) or not hasattr(dataset, "__getitem__"):
        return _first(dataset, max_items)
    try:
        total = len(dataset)
    except TypeError:
        return _first(dataset, max_items)
    if total > max_items:
        rng = np.random.default_rng(seed)
        indices: Sequence[int] = np.sort(rng.choice(total, max_items, replace=False)).tolist()
    else:
        indices = range(total)
    return (dataset[i] for i in indices), total


def _first(dataset: Iterable[Any], max_items: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    iterator: Iterator[Any] = iter(dataset)
    for item in iterator:
        items.append(item)
        if len(items) >= max_items:
            break
    try:
        total = len(dataset)  # type: ignore[arg-type]
    except TypeError:
        total = len(items)
    return items, total


def _channel_rows(inputs: Any) -> np.ndarray:
    """One item as channels x values: images per channel, vectors per feature."""
    is_tensor = hasattr(inputs, "detach") and hasattr(inputs, "cpu")
    array = inputs.detach().cpu().numpy() if is_tensor else np.asarray(inputs)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)
    ):
        raise TypeError(
            f"dataset inputs must be numeric (tensors, arrays, images), got {array.dtype}; pass "
            "numeric features to describe_dataset, or labels only"
        )
    array = array.astype(np.float64, copy=False)
    if array.ndim <= 1:
        return array.reshape(-1, 1)
    if array.ndim == 2:  # a grayscale image: one channel
        return array.reshape(1, -1)
    axis = 0 if is_tensor else _channel_axis(array.shape)  # torch images are C x H x W
    return np.moveaxis(array, axis, 0).reshape(array.shape[axis], -1)


def _channel_axis(shape: tuple[int, ...]) -> int:
    """Arrays and PIL images are H x W x C unless the first axis looks like channels."""
    if shape[-1] in _CHANNEL_COUNTS:
        return len(shape) - 1
    if shape[0] in _CHANNEL_COUNTS:
        return 0
    return len(shape) - 1


def _all_labels(dataset: Any, total: int) -> list[Any] | None:
    """Every label without reading items, when the dataset keeps them (torchvision's
    ``targets``, a ``TensorDataset``'s last tensor, a ``Subset`` of either)."""
    from torch.utils.data import Subset, TensorDataset

    found: Any = None
    if isinstance(dataset, Subset):
        parent = _all_labels(dataset.dataset, len(dataset.dataset))  # type: ignore[arg-type]
        if parent is None:
            return None
        return [parent[int(i)] for i in dataset.indices]
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) >= 2:
        found = dataset.tensors[-1]
    elif getattr(dataset, "targets", None) is not None:
        found = dataset.targets
    if found is None:
        return None
    values = found.tolist() if hasattr(found, "tolist") else list(found)
    if len(values) != total or any(isinstance(v, list) for v in values[:1]):
        return None  # not one class label per item
    return values
