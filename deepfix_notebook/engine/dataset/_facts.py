"""The dataset as the rules see it: metadata, per-split statistics read from free-form JSON.

Statistics are free-form, so they are read defensively: per-split means and standard deviations
as scalars, per-channel lists or per-feature mappings; anything else is ignored, never fatal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from deepfix_notebook.artifacts import DatasetInfo
from deepfix_notebook.contract import ModelType

FAMILY = "dataset"

_SPLITS = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "test": "test",
    "testing": "test",
}
_STATS = {
    "mean": "mean",
    "means": "mean",
    "avg": "mean",
    "average": "mean",
    "std": "std",
    "stds": "std",
    "stddev": "std",
    "std_dev": "std",
    "sd": "std",
}
_RGB = ("R", "G", "B")

Stats = dict[str, dict[str, dict[str, float]]]  # split -> mean|std -> feature -> value


@dataclass
class DatasetFacts:
    """The dataset as the rules see it: metadata, parsed statistics, what could not be read."""

    info: DatasetInfo
    is_image: bool
    stats: Stats
    unreadable: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, info: DatasetInfo, model_type: ModelType | None = None) -> DatasetFacts:
        unreadable: list[str] = []
        try:
            stats = read_statistics(info.statistics, channel_names(info))
        except Exception as exc:  # free-form statistics: read what can be read
            stats, unreadable = {}, [f"statistics: {type(exc).__name__}: {exc}"]
        is_image = (
            info.image_size is not None
            or info.color_mode is not None
            or model_type is ModelType.CNN
            or "image" in (info.task_type or "").lower()
        )
        return cls(info, is_image, stats, unreadable)

    @property
    def counts(self) -> dict[str, int]:
        """Class counts with at least one sample."""
        return {k: v for k, v in (self.info.class_counts or {}).items() if v > 0}

    @property
    def is_classification(self) -> bool:
        return not self.info.is_regression and (bool(self.info.num_classes) or bool(self.counts))


def channel_names(info: DatasetInfo) -> Callable[[int], list[str]]:
    """Names for a per-channel list of ``n`` values: R, G, B for 3-channel RGB, else indices."""
    mode = (info.color_mode or "").lower()
    rgb = mode == "rgb" or (not mode and info.image_size is not None)

    def names(n: int) -> list[str]:
        if n == 3 and rgb:
            return list(_RGB)
        if n == 1:
            return [mode or "channel 0"]
        return [f"channel {i}" for i in range(n)]

    return names


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _values(raw: Any, names: Callable[[int], list[str]]) -> dict[str, float]:
    """A scalar, a per-channel list or a per-feature mapping, as feature -> finite number."""
    if isinstance(raw, Mapping):
        out = {str(k): _number(v) for k, v in raw.items()}
    elif isinstance(raw, list | tuple):
        flat = raw[0] if len(raw) == 1 and isinstance(raw[0], list | tuple) else raw
        out = dict(zip(names(len(flat)), (_number(v) for v in flat), strict=True))
    else:
        out = {"all": _number(raw)}
    return {k: v for k, v in out.items() if v is not None}


def _key(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


def read_statistics(statistics: Mapping[str, Any], names: Callable[[int], list[str]]) -> Stats:
    """Per-split means and stds from the shapes seen in the wild.

    ``train_mean``/``mean_train``/``mean`` (train) keys, ``{"train": {"mean": ...}}`` and
    ``{"mean": {"train": ...}}``; each value a scalar, a per-channel list or a mapping.
    """
    stats: Stats = {}

    def put(split: str, stat: str, raw: Any) -> None:
        values = _values(raw, names)
        if values:
            stats.setdefault(split, {}).setdefault(stat, {}).update(values)

    for raw_key, raw in statistics.items():
        key = _key(str(raw_key))
        if key in _SPLITS and isinstance(raw, Mapping):
            for sub_key, sub in raw.items():
                stat = _STATS.get(_key(str(sub_key)))
                if stat:
                    put(_SPLITS[key], stat, sub)
            continue
        if key in _STATS:
            if isinstance(raw, Mapping) and raw and all(_key(str(k)) in _SPLITS for k in raw):
                for split, sub in raw.items():
                    put(_SPLITS[_key(str(split))], _STATS[key], sub)
            else:
                put("train", _STATS[key], raw)
            continue
        head, _, tail = key.partition("_")
        if head in _SPLITS and tail in _STATS:
            put(_SPLITS[head], _STATS[tail], raw)
        elif tail in _SPLITS and head in _STATS:
            put(_SPLITS[tail], _STATS[head], raw)
    return stats


def percent(fraction: float) -> str:
    """A share as evidence shows it: one decimal below 10%, none above."""
    value = fraction * 100
    return f"{value:.1f}%" if abs(value) < 10 else f"{value:.0f}%"
