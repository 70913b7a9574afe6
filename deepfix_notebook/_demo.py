"""`deepfix demo`: a few small real trainings, logged to MLflow with `track` and diagnosed.

Each scenario trains a one-hidden-layer numpy MLP (ReLU, softmax cross-entropy, mini-batch SGD
with momentum) on synthetic Gaussian classes, with fixed seeds: a healthy run and runs that go
wrong in the ways DeepFix names. Nothing is scripted: the findings come from the curves.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from deepfix_notebook.contract import AnalysisResult

EXPERIMENT = "deepfix-demo"
Array = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Scenario:
    """One training: its data, its hyper-parameters and what it is meant to show."""

    name: str
    story: str
    n_train: int = 1500
    n_val: int = 300
    features: int = 10
    class_weights: tuple[float, ...] = (1 / 3, 1 / 3, 1 / 3)
    label_noise: float = 0.02
    hidden: int = 32
    learning_rate: float = 0.005
    momentum: float = 0.9
    batch_size: int = 32
    epochs: int = 20
    stable_softmax: bool = True  # False: exp overflows once logits blow up, as in float32 runs
    seed: int = 0


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("healthy", "a well-tuned MLP: both losses fall and level off", seed=1),
    Scenario(
        "overfitting",
        "60 noisy samples, 256 hidden units, 300 epochs: it memorises the training set",
        n_train=60,
        features=20,
        label_noise=0.2,
        hidden=256,
        learning_rate=0.01,
        batch_size=20,
        epochs=300,
        seed=12,
    ),
    Scenario(
        "diverging",
        "the healthy setup with a learning rate of 0.8, 160x higher: the loss climbs, then NaN",
        learning_rate=0.8,
        epochs=15,
        stable_softmax=False,
        seed=3,
    ),
    Scenario(
        "learning-rate-too-low",
        "the healthy setup with a learning rate of 1e-5: the loss hardly moves",
        learning_rate=1e-5,
        momentum=0.0,
        seed=4,
    ),
    Scenario(
        "imbalanced",
        "about 90% of the training labels are one class of three",
        class_weights=(0.9, 0.07, 0.03),
        seed=5,
    ),
)


@dataclass(frozen=True)
class DemoRun:
    """A scenario after training: its MLflow run id and DeepFix's diagnosis."""

    scenario: Scenario
    run_id: str
    result: AnalysisResult


def seed_runs(
    tracking_uri: str | None = None,
    *,
    experiment: str = EXPERIMENT,
    scenarios: Sequence[Scenario] = SCENARIOS,
) -> Iterator[DemoRun]:
    """Train each scenario, log it with `track` (saved to MLflow, then analysed) and yield it."""
    from deepfix_notebook.training import track

    for scenario in scenarios:
        x_train, y_train, x_val, y_val = make_data(scenario)
        with track(
            scenario.name, experiment=experiment, tracking_uri=tracking_uri, params=params(scenario)
        ) as run:
            run.log_dataset(
                y_train.tolist(),
                name="gaussian-3class",
                features=x_train,
                val_features=x_val,
                task_type="classification",
            )
            for epoch, metrics in enumerate(train(scenario, x_train, y_train, x_val, y_val)):
                run.log(epoch=epoch, **metrics)
        if run.run_id is None or run.result is None:  # e.g. a DeepFix server that is down
            raise RuntimeError(f"DeepFix saved or analysed nothing for the {scenario.name} run.")
        yield DemoRun(scenario, run.run_id, run.result)


def render(run: DemoRun, width: int = 100) -> str:
    """A few lines for a terminal: the scenario, its run id, DeepFix's summary and findings."""
    result = run.result
    found: dict[str, str] = {}
    for _, analysis in result.findings():
        finding = analysis.findings
        code = finding.code.value if finding.code else finding.description
        if code not in found or finding.severity.rank > _rank(found[code]):
            found[code] = finding.severity.value
    ordered = sorted(found.items(), key=lambda item: -_rank(item[1]))
    lines = [f"{run.scenario.name}  (run {run.run_id})", f"  {run.scenario.story}"]
    lines += textwrap.wrap(
        result.summary, width, initial_indent="  DeepFix: ", subsequent_indent="    "
    )
    if ordered:
        listed = ", ".join(f"{code} ({severity})" for code, severity in ordered)
        lines += textwrap.wrap(
            listed, width, initial_indent="  findings: ", subsequent_indent="    "
        )
    return "\n".join(lines)


def _rank(severity: str) -> int:
    from deepfix_notebook.contract import Severity

    return Severity(severity).rank


def params(scenario: Scenario) -> dict[str, Any]:
    return {
        "model_name": f"mlp-{scenario.features}-{scenario.hidden}-3",
        "optimizer": "SGD",
        "learning_rate": scenario.learning_rate,
        "momentum": scenario.momentum,
        "batch_size": scenario.batch_size,
        "num_epochs": scenario.epochs,
        "loss_function": "cross_entropy",
        "seed": scenario.seed,
    }


def make_data(scenario: Scenario) -> tuple[Array, Labels, Array, Labels]:
    """Three Gaussian classes in ``features`` dimensions (four informative), standardised with
    the training split's mean and std; a fraction ``label_noise`` of labels is re-drawn."""
    rng = np.random.default_rng(scenario.seed)
    classes = len(scenario.class_weights)
    centres = np.zeros((classes, scenario.features))
    centres[:, :4] = rng.normal(0.0, 2.0, (classes, 4))

    def split(n: int, weights: Sequence[float]) -> tuple[Array, Labels]:
        y = rng.choice(classes, size=n, p=np.asarray(weights) / sum(weights))
        x = centres[y] + rng.normal(0.0, 1.0, (n, scenario.features))
        noisy = rng.random(n) < scenario.label_noise
        y[noisy] = rng.integers(0, classes, int(noisy.sum()))
        return x, y

    x_train, y_train = split(scenario.n_train, scenario.class_weights)
    x_val, y_val = split(scenario.n_val, scenario.class_weights)  # a stratified split
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    return (x_train - mean) / std, y_train, (x_val - mean) / std, y_val


def train(
    scenario: Scenario, x_train: Array, y_train: Labels, x_val: Array, y_val: Labels
) -> Iterator[dict[str, Any]]:
    """Train with mini-batch SGD; yield one row of metrics per epoch (floats, NaN included)."""
    rng = np.random.default_rng(scenario.seed)
    classes = len(scenario.class_weights)
    n_in, hidden = x_train.shape[1], scenario.hidden
    weights = [
        rng.normal(0.0, math.sqrt(2.0 / n_in), (n_in, hidden)),
        np.zeros(hidden),
        rng.normal(0.0, math.sqrt(1.0 / hidden), (hidden, classes)),
        np.zeros(classes),
    ]
    velocity = [np.zeros_like(w) for w in weights]

    def forward(x: Array) -> tuple[Array, Array]:
        h = np.maximum(x @ weights[0] + weights[1], 0.0)
        logits = h @ weights[2] + weights[3]
        if scenario.stable_softmax:
            logits = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return h, e / e.sum(axis=1, keepdims=True)

    def loss_and_accuracy(probs: Array, y: Labels) -> tuple[float, float]:
        loss = -np.mean(np.log(probs[np.arange(len(y)), y]))
        return float(loss), float(np.mean(probs.argmax(axis=1) == y))

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(scenario.epochs):
            losses, accuracies = [], []
            order = rng.permutation(len(y_train))
            for start in range(0, len(order), scenario.batch_size):
                batch = order[start : start + scenario.batch_size]
                x, y = x_train[batch], y_train[batch]
                h, probs = forward(x)
                loss, accuracy = loss_and_accuracy(probs, y)
                losses.append(loss)
                accuracies.append(accuracy)
                delta = probs.copy()
                delta[np.arange(len(y)), y] -= 1.0
                delta /= len(y)
                d_h = (delta @ weights[2].T) * (h > 0)
                grads = [x.T @ d_h, d_h.sum(axis=0), h.T @ delta, delta.sum(axis=0)]
                for i, grad in enumerate(grads):
                    velocity[i] = scenario.momentum * velocity[i] + grad
                    weights[i] -= scenario.learning_rate * velocity[i]
            val_loss, val_accuracy = loss_and_accuracy(forward(x_val)[1], y_val)
            yield {
                "train_loss": float(np.mean(losses)),
                "val_loss": val_loss,
                "train_accuracy": float(np.mean(accuracies)),
                "val_accuracy": val_accuracy,
                "learning_rate": scenario.learning_rate,
            }
