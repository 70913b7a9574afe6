"""Training facts: the numbers every training rule starts from, computed once per run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import numpy as np

from deepfix_notebook.artifacts import ArtifactBundle, TrainingParams
from deepfix_notebook.engine._curves import Curve, FloatArray
from deepfix_notebook.engine._thresholds import declare

ACCURACY_PERCENT_SCALE = declare(
    "accuracy_percent_scale",
    1.5,
    unit="score",
    family="curves",
    source="own choice",
    doc="accuracies (F1, AUC) above this are read as percentages (0..100)",
)
REGRESSION_METRICS = ("rmse", "mae", "mse")

Derived = TypeVar("Derived")


@dataclass(frozen=True)
class Score:
    """A quality metric on a 0..1 scale where higher is better (accuracy, F1, AUC)."""

    curve: Curve
    scale: float  # 100.0 when logged as a percentage

    def values(self) -> FloatArray:
        return self.curve.smooth / self.scale


@dataclass(frozen=True)
class TrainingFacts:
    """The curves and parameters training rules look at."""

    curves: Mapping[str, Curve]
    params: TrainingParams | None
    bundle: ArtifactBundle
    _derived: dict[Callable[..., Any], Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def derived(self, measure: Callable[[TrainingFacts], Derived]) -> Derived:
        """``measure(self)``, computed once per run: several rules read the same measurement."""
        if measure not in self._derived:
            self._derived[measure] = measure(self)
        value: Derived = self._derived[measure]
        return value

    @property
    def loss(self) -> Curve:
        return self.curves["train_loss"]

    @cached_property
    def val_loss(self) -> Curve | None:
        """The validation error curve: val_loss, else a regression metric (lower is better)."""
        if "val_loss" in self.curves:
            return self.curves["val_loss"]
        for name in REGRESSION_METRICS:
            if f"val_{name}" in self.curves:
                return self.curves[f"val_{name}"]
        return None

    def score(self, split: str) -> Score | None:
        for base in ("accuracy", "f1", "auc"):
            curve = self.curves.get(f"{split}_{base}")
            if curve is not None and curve.points.size and float(np.ptp(curve.points)) > 0:
                top = float(np.max(curve.points))
                return Score(curve, 100.0 if top > ACCURACY_PERCENT_SCALE else 1.0)
        return None

    @property
    def learning_rate(self) -> float | None:
        if self.params is not None and self.params.learning_rate is not None:
            return self.params.learning_rate
        curve = self.curves.get("learning_rate")
        if curve is not None and curve.points.size:
            return float(curve.points[0])
        return None

    @property
    def optimizer(self) -> str | None:
        return None if self.params is None or not self.params.optimizer else self.params.optimizer

    @cached_property
    def epochs_seen(self) -> int | None:
        """How many distinct epochs the loss covers, when epochs were logged."""
        epochs = self.loss.epochs
        if epochs is None or not np.isfinite(epochs).any():
            return None
        finite = epochs[np.isfinite(epochs)]
        return int(np.floor(finite.max()) - np.floor(finite.min())) + 1

    @property
    def num_classes(self) -> int | None:
        dataset = self.bundle.dataset
        return None if dataset is None else dataset.num_classes

    @property
    def is_regression(self) -> bool:
        dataset = self.bundle.dataset
        if dataset is not None and dataset.is_regression:
            return True
        return any(f"{s}_{m}" in self.curves for s in ("train", "val") for m in REGRESSION_METRICS)
