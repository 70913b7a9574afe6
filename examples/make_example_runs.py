"""Make the example runs under ``examples/runs/`` from real, small numpy trainings.

Each run is a one-hidden-layer MLP (ReLU, softmax cross-entropy, mini-batch SGD with momentum)
trained on a synthetic 3-class dataset with fixed seeds, so the files come out the same every
time. Runs in a few seconds::

    PYTHONPATH=. python examples/make_example_runs.py
"""

from __future__ import annotations

import csv
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.datasets import make_classification

from deepfix_notebook.artifacts import load_directory, write_run

RUNS = Path(__file__).resolve().parent / "runs"
CLASS_NAMES = ["class_0", "class_1", "class_2"]
T0_MS = 1_717_200_000_000
PER_EPOCH = (
    "step",
    "epoch",
    "train_loss",
    "val_loss",
    "train_accuracy",
    "val_accuracy",
    "learning_rate",
)
Array = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Config:
    """Hyperparameters of one training, written to ``params.yaml``."""

    model_name: str
    hidden: int
    learning_rate: float
    momentum: float
    batch_size: int
    num_epochs: int
    weight_decay: float
    seed: int
    shift_logits: bool = True


@dataclass(frozen=True)
class Data:
    """A standardised train/validation split."""

    name: str
    x_train: Array
    y_train: Labels
    x_val: Array
    y_val: Labels


def make_data(
    name: str,
    n_train: int,
    n_val: int,
    *,
    features: int,
    informative: int,
    flip_y: float,
    seed: int,
) -> Data:
    """A synthetic 3-class problem, standardised with the training mean and std."""
    x, y = make_classification(
        n_samples=n_train + n_val,
        n_features=features,
        n_informative=informative,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        flip_y=flip_y,
        class_sep=1.2,
        random_state=seed,
    )
    x_train, x_val = x[:n_train], x[n_train:]
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    return Data(name, (x_train - mean) / std, y[:n_train], (x_val - mean) / std, y[n_train:])


class MLP:
    """Input -> ReLU hidden layer -> softmax, trained by SGD with momentum and weight decay.

    ``shift_logits=False`` is the textbook softmax without the max-logit shift: once the logits
    blow up, ``exp`` overflows and the loss turns NaN, as it does in a diverging float32 run.
    """

    def __init__(
        self, n_in: int, hidden: int, n_out: int, rng: np.random.Generator, shift_logits: bool
    ) -> None:
        self.shift_logits = shift_logits
        self.params = [
            rng.normal(0.0, math.sqrt(2.0 / n_in), (n_in, hidden)),
            np.zeros(hidden),
            rng.normal(0.0, math.sqrt(1.0 / hidden), (hidden, n_out)),
            np.zeros(n_out),
        ]
        self.velocity = [np.zeros_like(p) for p in self.params]

    def forward(self, x: Array) -> tuple[Array, Array]:
        """Hidden activations and class probabilities."""
        w1, b1, w2, b2 = self.params
        hidden = np.maximum(x @ w1 + b1, 0.0)
        logits = hidden @ w2 + b2
        if self.shift_logits:
            logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return hidden, exp / exp.sum(axis=1, keepdims=True)

    def train_step(self, x: Array, y: Labels, cfg: Config, lr: float) -> tuple[float, float]:
        """One SGD step on a batch; returns the batch loss and accuracy before the step."""
        hidden, probs = self.forward(x)
        loss, accuracy = cross_entropy(probs, y), float(np.mean(probs.argmax(axis=1) == y))
        delta = probs.copy()
        delta[np.arange(len(y)), y] -= 1.0
        delta /= len(y)
        _, _, w2, _ = self.params
        d_hidden = (delta @ w2.T) * (hidden > 0)
        grads = [x.T @ d_hidden, d_hidden.sum(axis=0), hidden.T @ delta, delta.sum(axis=0)]
        for i, (param, grad) in enumerate(zip(self.params, grads, strict=True)):
            decay = cfg.weight_decay * param if param.ndim == 2 else 0.0
            self.velocity[i] = cfg.momentum * self.velocity[i] + grad + decay
            param -= lr * self.velocity[i]
        return loss, accuracy

    def evaluate(self, x: Array, y: Labels) -> tuple[float, float]:
        _, probs = self.forward(x)
        return cross_entropy(probs, y), float(np.mean(probs.argmax(axis=1) == y))


def cross_entropy(probs: Array, y: Labels) -> float:
    """Mean negative log-likelihood; inf when a true class gets probability 0, as in many loops."""
    return float(-np.mean(np.log(probs[np.arange(len(y)), y])))


def batches(n: int, size: int, rng: np.random.Generator) -> list[npt.NDArray[np.int64]]:
    order = rng.permutation(n)
    return [order[i : i + size] for i in range(0, n, size)]


def train_per_epoch(cfg: Config, data: Data) -> dict[str, list[float | None]]:
    """Train and log one row per epoch: the wide columns ``write_run`` takes."""
    rng = np.random.default_rng(cfg.seed)
    model = MLP(data.x_train.shape[1], cfg.hidden, len(CLASS_NAMES), rng, cfg.shift_logits)
    log: dict[str, list[float | None]] = {name: [] for name in PER_EPOCH}
    step = 0
    for epoch in range(cfg.num_epochs):
        losses, accuracies = [], []
        for index in batches(len(data.y_train), cfg.batch_size, rng):
            loss, accuracy = model.train_step(
                data.x_train[index], data.y_train[index], cfg, cfg.learning_rate
            )
            losses.append(loss)
            accuracies.append(accuracy)
            step += 1
        val_loss, val_accuracy = model.evaluate(data.x_val, data.y_val)
        row = {
            "step": step,
            "epoch": epoch,
            "train_loss": float(np.mean(losses)),
            "val_loss": val_loss,
            "train_accuracy": float(np.mean(accuracies)),
            "val_accuracy": val_accuracy,
            "learning_rate": cfg.learning_rate,
        }
        for name, value in row.items():
            log[name].append(value)
    return log


def train_lightning_style(cfg: Config, data: Data) -> list[tuple[str, float, int, int]]:
    """Train with a per-step cosine schedule; log like Lightning: ``(key, value, step, ms)``."""
    rng = np.random.default_rng(cfg.seed)
    model = MLP(data.x_train.shape[1], cfg.hidden, len(CLASS_NAMES), rng, cfg.shift_logits)
    per_epoch = math.ceil(len(data.y_train) / cfg.batch_size)
    total = per_epoch * cfg.num_epochs
    rows: list[tuple[str, float, int, int]] = []
    clock, step = T0_MS, 0
    for epoch in range(cfg.num_epochs):
        losses = []
        for index in batches(len(data.y_train), cfg.batch_size, rng):
            lr = 0.5 * cfg.learning_rate * (1 + math.cos(math.pi * step / total))
            loss, _ = model.train_step(data.x_train[index], data.y_train[index], cfg, lr)
            losses.append(loss)
            clock += int(rng.integers(40, 60))
            rows += [
                ("train_loss_step", loss, step, clock),
                ("lr-SGD", lr, step, clock),
                ("epoch", float(epoch), step, clock),
            ]
            step += 1
        val_loss, val_accuracy = model.evaluate(data.x_val, data.y_val)
        clock += int(rng.integers(300, 400))
        rows += [
            ("train_loss_epoch", float(np.mean(losses)), step - 1, clock),
            ("val_loss", val_loss, step - 1, clock),
            ("val_acc", val_accuracy, step - 1, clock),
        ]
    return sorted(rows, key=lambda row: row[0])  # MLflow's history: metric by metric, in order


def params(cfg: Config) -> dict[str, Any]:
    return {
        "model_name": cfg.model_name,
        "optimizer": "SGD",
        "learning_rate": cfg.learning_rate,
        "batch_size": cfg.batch_size,
        "num_epochs": cfg.num_epochs,
        "weight_decay": cfg.weight_decay,
        "momentum": cfg.momentum,
        "hidden_units": cfg.hidden,
        "loss_function": "cross_entropy",
        "seed": cfg.seed,
    }


def dataset(data: Data) -> tuple[dict[str, Any], dict[str, Any]]:
    """``metadata.yaml`` and ``statistics.json`` (per-feature mean and std of the model inputs)."""
    counts = np.bincount(data.y_train, minlength=len(CLASS_NAMES))
    metadata = {
        "dataset_name": data.name,
        "num_train_samples": len(data.y_train),
        "num_val_samples": len(data.y_val),
        "num_classes": len(CLASS_NAMES),
        "class_names": CLASS_NAMES,
        "class_counts": {name: int(c) for name, c in zip(CLASS_NAMES, counts, strict=True)},
        "task_type": "classification",
    }
    statistics = {
        "train_mean": data.x_train.mean(axis=0).round(4) + 0.0,
        "train_std": data.x_train.std(axis=0).round(4) + 0.0,
        "val_mean": data.x_val.mean(axis=0).round(4) + 0.0,
        "val_std": data.x_val.std(axis=0).round(4) + 0.0,
    }
    return metadata, statistics


def save(name: str, cfg: Config, data: Data, metrics: dict[str, list[float | None]]) -> Path:
    metadata, statistics = dataset(data)
    return write_run(
        RUNS / name, metrics=metrics, params=params(cfg), dataset=metadata, statistics=statistics
    )


def quickstart() -> Path:
    """A healthy run: both losses fall and level off, accuracy ends high."""
    data = make_data("synthetic-3class", 600, 200, features=10, informative=6, flip_y=0.02, seed=7)
    cfg = Config("mlp-10-32-3", 32, 0.02, 0.9, 32, 30, 1e-3, seed=1)
    return save("quickstart", cfg, data, train_per_epoch(cfg, data))


def overfitting() -> Path:
    """60 noisy training samples, 512 hidden units, 400 epochs: validation loss turns up."""
    data = make_data(
        "synthetic-3class-small", 60, 300, features=20, informative=4, flip_y=0.15, seed=11
    )
    cfg = Config("mlp-20-512-3", 512, 0.001, 0.9, 20, 400, 0.0, seed=2)
    return save("overfitting", cfg, data, train_per_epoch(cfg, data))


def diverging() -> Path:
    """The quickstart setup with a learning rate 40x too high: the loss climbs, then is NaN."""
    data = make_data("synthetic-3class", 600, 200, features=10, informative=6, flip_y=0.02, seed=7)
    cfg = Config("mlp-10-32-3", 32, 0.8, 0.9, 32, 20, 1e-4, seed=3, shift_logits=False)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        metrics = train_per_epoch(cfg, data)
    return save("diverging", cfg, data, metrics)


def lightning_style() -> Path:
    """Step-level logging with Lightning's metric names, as MLflow's long metric history."""
    data = make_data("synthetic-3class", 600, 200, features=10, informative=6, flip_y=0.02, seed=7)
    cfg = Config("LitMLP", 32, 0.03, 0.9, 16, 12, 1e-3, seed=4)
    root = RUNS / "lightning_style"
    metadata, statistics = dataset(data)
    hyper = {
        "model_name": cfg.model_name,
        "optimizer": "SGD",
        "lr": cfg.learning_rate,
        "momentum": cfg.momentum,
        "batch_size": cfg.batch_size,
        "max_epochs": cfg.num_epochs,
        "weight_decay": cfg.weight_decay,
        "scheduler": "CosineAnnealingLR",
    }
    write_run(root, params=hyper, dataset=metadata, statistics=statistics)
    with (root / "training_artifacts" / "metrics.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["key", "value", "step", "timestamp"])
        writer.writerows(train_lightning_style(cfg, data))
    return root


def describe(root: Path) -> None:
    """Load ``root`` as DeepFix would and print what was found."""
    bundle = load_directory(root)
    table = bundle.metrics
    assert table is not None
    print(f"\n{root.name}: {bundle.layout}, {table.format} metrics, {len(table)} steps")
    print(f"  files: {', '.join(bundle.files)}")
    for name in table.names:
        values = table.metrics[name].values
        finite = values[np.isfinite(values)]
        bad = f", {values.size - finite.size} nan/inf" if finite.size < values.size else ""
        span = f"{finite[0]:.4g} -> {finite[-1]:.4g}" if finite.size else "no finite values"
        print(f"  {name:<18} <- {table.display_name(name):<18} {len(values):>5} rows  {span}{bad}")
    if "val_loss" in table:
        steps, epochs, values = table.series("val_loss")
        best = int(np.nanargmin(values))
        at = f"epoch {epochs[best]:.0f}" if epochs is not None else f"step {steps[best]}"
        print(f"  best val_loss {values[best]:.4f} at {at}; last {values[-1]:.4f}")
    if bundle.params is not None:
        print(f"  params: {bundle.summary()['params']}")
    if bundle.dataset is not None:
        info = bundle.dataset
        print(
            f"  dataset: {info.dataset_name}, {info.num_train_samples} train, "
            f"{info.num_val_samples} val, imbalance {info.imbalance_ratio:.2f}"
        )
    for warning in bundle.warnings:
        print(f"  warning: {warning}")


def main() -> None:
    makers: list[Callable[[], Path]] = [quickstart, overfitting, diverging, lightning_style]
    for maker in makers:
        shutil.rmtree(RUNS / maker.__name__, ignore_errors=True)
        root = maker()
        describe(root)
        size = (root / "training_artifacts" / "metrics.csv").stat().st_size
        print(f"  metrics.csv: {size / 1024:.1f} KB")


if __name__ == "__main__":
    main()
