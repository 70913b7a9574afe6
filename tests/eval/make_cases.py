"""Write labelled evaluation cases from real small trainings into ``tests/eval/cases/``.

Every case is one run: a numpy network (SGD, momentum or Adam written here) or a scikit-learn
estimator trained epoch by epoch with ``partial_fit``, logged the way a practitioner would, plus
``dataset/`` and ``deepchecks/`` artifacts computed from the same data where the case is about the
data. Seeds are fixed, so the output is the same on every run.

    python tests/eval/make_cases.py                 # all cases
    python tests/eval/make_cases.py nan_loss_1 ...  # only these
    python tests/eval/make_cases.py --inspect       # also print a summary of every curve
    python tests/eval/make_cases.py --dry-run       # train and check labels, write nothing

Each case checks (``require``) that its mechanism really produced the labelled symptom, so a
numeric library that trains differently fails loudly instead of writing a wrong label.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy.stats import ks_2samp, wasserstein_distance
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    make_blobs,
    make_circles,
    make_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
Array = np.ndarray
Rows = list[dict[str, Any]]

TRAINING_CODES = [
    "nan_loss",
    "exploding_loss",
    "exploding_gradients",
    "vanishing_gradients",
    "loss_not_decreasing",
    "slow_convergence",
    "underfitting",
    "overfitting",
    "unstable_training",
    "plateau",
    "overtraining",
    "suspicious_validation",
    "learning_rate_too_high",
    "learning_rate_too_low",
    "insufficient_training",
]
DATA_CODES = [
    "class_imbalance",
    "small_dataset",
    "small_validation_split",
    "unnormalized_inputs",
    "train_test_shift",
]
DEEPCHECKS_CODES = [
    "label_drift",
    "data_drift",
    "new_labels",
    "outliers",
    "weak_class",
    "shortcut_feature",
    "label_quality",
]
ALL_CODES = TRAINING_CODES + DATA_CODES + DEEPCHECKS_CODES
TARGETS = {
    "learning_rate",
    "lr_schedule",
    "batch_size",
    "epochs",
    "early_stopping",
    "optimizer",
    "regularization",
    "architecture",
    "activation",
    "loss_function",
    "weight_init",
    "normalization",
    "gradient_clipping",
    "data_preprocessing",
    "data_augmentation",
    "data_collection",
    "labels",
    "class_balance",
    "data_split",
}
# What a healthy run must not be accused of (plateau, overtraining, slow_convergence and
# insufficient_training are judgement calls on a converged run, so they are not forbidden).
HEALTHY_FORBID = [
    "nan_loss",
    "exploding_loss",
    "loss_not_decreasing",
    "underfitting",
    "overfitting",
    "unstable_training",
    "suspicious_validation",
    "learning_rate_too_high",
    "learning_rate_too_low",
    "exploding_gradients",
    "vanishing_gradients",
]


def codes(text: str) -> list[str]:
    """'a b c' -> ['a', 'b', 'c'] (labels stay on one line)."""
    return text.split()


# --------------------------------------------------------------------------------------------
# numpy networks, losses and optimizers
# --------------------------------------------------------------------------------------------


def _sigmoid(z: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-z))


ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]] = {
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(z.dtype)),
    "tanh": (np.tanh, lambda z, a: 1 - a * a),
    "sigmoid": (_sigmoid, lambda z, a: a * (1 - a)),
    "linear": (lambda z: z, lambda z, a: np.ones_like(z)),
}
DEFAULT_GAIN = {"relu": math.sqrt(2), "tanh": 1.0, "sigmoid": 1.0, "linear": 1.0}


class Net:
    """A fully connected network; weights ~ N(0, (gain / sqrt(fan_in))^2), biases 0."""

    def __init__(
        self,
        sizes: Sequence[int],
        rng: np.random.Generator,
        *,
        act: str = "relu",
        gain: float | None = None,
        out_act: str = "linear",
        dtype: type = np.float64,
    ) -> None:
        self.act, self.out_act = act, out_act
        gain = DEFAULT_GAIN[act] if gain is None else gain
        self.params: list[Array] = []
        for fan_in, fan_out in itertools.pairwise(sizes):
            w = rng.normal(0.0, gain / math.sqrt(fan_in), (fan_in, fan_out))
            self.params += [w.astype(dtype), np.zeros(fan_out, dtype=dtype)]

    @property
    def depth(self) -> int:
        return len(self.params) // 2

    def forward(
        self, x: Array, *, drop: float = 0.0, rng: np.random.Generator | None = None
    ) -> tuple[Array, list[tuple[Array, ...]]]:
        """Output and the cache for `backward`; ``drop`` is inverted dropout on hidden units."""
        a, cache = x.astype(self.params[0].dtype), []
        for i in range(self.depth):
            w, b = self.params[2 * i], self.params[2 * i + 1]
            z = a @ w + b
            act = self.act if i < self.depth - 1 else self.out_act
            h = ACTIVATIONS[act][0](z)
            mask = np.ones_like(h)
            if drop and rng is not None and i < self.depth - 1:
                mask = (rng.random(h.shape) >= drop).astype(h.dtype) / (1 - drop)
            cache.append((a, z, h, mask))
            a = h * mask
        return a, cache

    def backward(self, cache: list[tuple[Array, ...]], dout: Array) -> list[Array]:
        grads: list[Array] = [np.empty(0)] * len(self.params)
        d = dout
        for i in reversed(range(self.depth)):
            a_in, z, h, mask = cache[i]
            act = self.act if i < self.depth - 1 else self.out_act
            dz = d * mask * ACTIVATIONS[act][1](z, h)
            grads[2 * i] = a_in.T @ dz
            grads[2 * i + 1] = dz.sum(axis=0)
            d = dz @ self.params[2 * i].T
        return grads


LossFn = Callable[[Array, Array], tuple[float, Array]]


def cross_entropy(logits: Array, y: Array) -> tuple[float, Array]:
    """Softmax cross-entropy computed stably (log-sum-exp)."""
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    grad = np.exp(logp)
    grad[np.arange(n), y] -= 1
    return float(-logp[np.arange(n), y].mean()), grad / n


def naive_cross_entropy(logits: Array, y: Array) -> tuple[float, Array]:
    """Softmax as exp(z) / sum(exp(z)) without subtracting the max: overflows for large logits."""
    e = np.exp(logits)
    p = e / e.sum(axis=1, keepdims=True)
    n = len(y)
    loss = float(-np.log(p[np.arange(n), y]).mean())
    grad = p.copy()
    grad[np.arange(n), y] -= 1
    return loss, grad / n


def naive_binary_cross_entropy(logits: Array, y: Array) -> tuple[float, Array]:
    """-[y log p + (1-y) log(1-p)] with p = sigmoid(z) and no clipping: 0 * log(0) is NaN."""
    z = logits[:, 0]
    p = 1 / (1 + np.exp(-z))
    loss = float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())
    return loss, ((p - y) / len(y))[:, None].astype(logits.dtype)


def mse(pred: Array, y: Array) -> tuple[float, Array]:
    diff = pred[:, 0] - y
    return float((diff**2).mean()), (2 * diff / len(y))[:, None].astype(pred.dtype)


class Optimizer:
    """SGD, SGD with momentum or Adam over a list of arrays, with optional weight decay."""

    def __init__(
        self, kind: str, params: list[Array], *, momentum: float = 0.9, decay: float = 0.0
    ) -> None:
        self.kind, self.momentum, self.decay, self.t = kind, momentum, decay, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, params: list[Array], grads: list[Array], lr: float) -> None:
        self.t += 1
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            if self.decay:
                g = g + self.decay * p
            if self.kind == "sgd":
                p -= lr * g
            elif self.kind == "momentum":
                m *= self.momentum
                m += g
                p -= lr * m
            else:  # adam
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                mhat = m / (1 - 0.9**self.t)
                vhat = v / (1 - 0.999**self.t)
                p -= lr * mhat / (np.sqrt(vhat) + 1e-8)


def _task_metrics(task: str, out: Array, y: Array) -> dict[str, float]:
    """accuracy for classification (softmax or one sigmoid logit), mae/rmse for regression."""
    if task == "reg":
        err = out[:, 0] - y
        return {"mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err**2).mean()))}
    pred = (out[:, 0] > 0).astype(int) if out.shape[1] == 1 else np.nan_to_num(out).argmax(1)
    return {"acc": float((pred == y).mean())}


def evaluate(net: Net, loss: LossFn, x: Array, y: Array, task: str) -> dict[str, float]:
    out, _ = net.forward(x)
    value, _ = loss(out, y)
    return {"loss": value, **_task_metrics(task, out, y)}


def fit(
    net: Net,
    loss: LossFn,
    data: tuple[Array, Array, Array, Array],
    *,
    opt: str,
    lr: float | Callable[[int], float],
    epochs: int,
    batch: int,
    seed: int,
    task: str = "clf",
    log_steps: int = 0,
    val_steps: int = 0,
    val_every: int = 1,
    clip: float | None = None,
    drop: float = 0.0,
    decay: float = 0.0,
    momentum: float = 0.9,
) -> Rows:
    """Mini-batch training; returns the logged rows (keys: step, epoch, train_*, val_*, lr, ...).

    ``log_steps == 0`` logs one row per epoch (train metrics are the running mean over the epoch,
    as Keras does); otherwise one row every ``log_steps`` steps with the mean batch loss since
    the last row, and validation every ``val_steps`` steps (0: at the end of every epoch).
    ``grad_norm`` is the global L2 norm before clipping.
    """
    x, y, xv, yv = data
    rng = np.random.default_rng(seed)
    optimizer = Optimizer(opt, net.params, momentum=momentum, decay=decay)
    schedule = lr if callable(lr) else (lambda _step, value=lr: value)
    n = len(x)
    per_epoch = math.ceil(n / batch)
    rows: dict[int, dict[str, Any]] = {}
    step = 0
    window: dict[str, list[float]] = {}
    with np.errstate(all="ignore"):
        for epoch in range(epochs):
            order = rng.permutation(n)
            epoch_sums: dict[str, list[float]] = {}
            for start in range(0, n, batch):
                idx = order[start : start + batch]
                out, cache = net.forward(x[idx], drop=drop, rng=rng)
                value, dout = loss(out, y[idx])
                grads = net.backward(cache, dout)
                norm = float(np.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads)))
                if clip is not None and np.isfinite(norm) and norm > clip:
                    grads = [g * (clip / norm) for g in grads]
                rate = schedule(step)
                optimizer.step(net.params, grads, rate)
                step += 1
                batch_metrics = {"loss": value, **_task_metrics(task, out, y[idx])}
                for key, val in batch_metrics.items():
                    epoch_sums.setdefault(key, []).append(val)
                    window.setdefault(key, []).append(val)
                window.setdefault("grad_norm", []).append(norm)
                if log_steps and step % log_steps == 0:
                    row = rows.setdefault(step, {"step": step})
                    row["epoch"] = round(step / per_epoch, 4)
                    row.update({f"train_{k}": float(np.mean(v)) for k, v in window.items()})
                    row["grad_norm"] = norm
                    row.pop("train_grad_norm", None)
                    row["lr"] = rate
                    window = {}
                if log_steps and val_steps and step % val_steps == 0:
                    row = rows.setdefault(step, {"step": step, "epoch": round(step / per_epoch, 4)})
                    val = evaluate(net, loss, xv, yv, task)
                    row.update({f"val_{k}": v for k, v in val.items()})
            if not log_steps:
                row = {"step": step, "epoch": epoch}
                row.update({f"train_{k}": float(np.mean(v)) for k, v in epoch_sums.items()})
                row["grad_norm"] = float(np.mean(window["grad_norm"]))
                row["lr"] = schedule(step - 1)
                window = {}
                if (epoch + 1) % val_every == 0 or epoch == epochs - 1:
                    val = evaluate(net, loss, xv, yv, task)
                    row.update({f"val_{k}": v for k, v in val.items()})
                rows[step] = row
            elif not val_steps:
                row = rows.setdefault(step, {"step": step, "epoch": float(epoch + 1)})
                val = evaluate(net, loss, xv, yv, task)
                row.update({f"val_{k}": v for k, v in val.items()})
    return [rows[k] for k in sorted(rows)]


# --------------------------------------------------------------------------------------------
# scikit-learn estimators trained epoch by epoch
# --------------------------------------------------------------------------------------------


def _log_loss(proba: Array, y: Array) -> float:
    p = np.clip(proba[np.arange(len(y)), y], 1e-15, 1.0)
    return float(-np.log(p).mean())


def fit_sklearn(
    est: Any,
    data: tuple[Array, Array, Array, Array],
    *,
    epochs: int,
    seed: int,
    task: str = "clf",
    lr: Callable[[Any], float] | None = None,
) -> Rows:
    """One ``partial_fit`` pass over the shuffled training set per epoch, then full evaluation."""
    x, y, xv, yv = data
    rng = np.random.default_rng(seed)
    classes = np.unique(np.concatenate([y, yv])) if task == "clf" else None
    rows: Rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for epoch in range(epochs):
            order = rng.permutation(len(x))
            if task == "clf":
                est.partial_fit(x[order], y[order], classes=classes)
            else:
                est.partial_fit(x[order], y[order])
            row: dict[str, Any] = {"step": epoch, "epoch": epoch}
            for split, (xs, ys) in {"train": (x, y), "val": (xv, yv)}.items():
                if task == "clf":
                    proba = est.predict_proba(xs)
                    row[f"{split}_loss"] = _log_loss(proba, ys)
                    row[f"{split}_acc"] = float((est.classes_[proba.argmax(1)] == ys).mean())
                else:
                    err = est.predict(xs) - ys
                    row[f"{split}_loss"] = float((err**2).mean())
                    row[f"{split}_mae"] = float(np.abs(err).mean())
                    row[f"{split}_rmse"] = float(np.sqrt((err**2).mean()))
            if lr is not None:
                row["lr"] = lr(est)
            rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------
# metric naming conventions
# --------------------------------------------------------------------------------------------

CONVENTIONS: dict[str, dict[str, str | None]] = {
    "canonical": {
        "train_loss": "train_loss",
        "val_loss": "val_loss",
        "train_acc": "train_accuracy",
        "val_acc": "val_accuracy",
        "lr": "learning_rate",
        "grad_norm": "grad_norm",
        "train_mae": "train_mae",
        "val_mae": "val_mae",
        "train_rmse": "train_rmse",
        "val_rmse": "val_rmse",
    },
    "keras": {
        "train_loss": "loss",
        "val_loss": "val_loss",
        "train_acc": "accuracy",
        "val_acc": "val_accuracy",
        "lr": "lr",
        "grad_norm": "grad_norm",
        "train_mae": "mae",
        "val_mae": "val_mae",
        "train_rmse": "root_mean_squared_error",
        "val_rmse": "val_root_mean_squared_error",
    },
    "lightning": {
        "train_loss": "train_loss",
        "val_loss": "val_loss",
        "train_acc": "train_acc",
        "val_acc": "val_acc",
        "lr": "lr-{opt}",
        "grad_norm": "grad_2.0_norm_total",
        "train_mae": "train_mae",
        "val_mae": "val_mae",
        "train_rmse": None,
        "val_rmse": "val_rmse",
    },
    "hf": {
        "train_loss": "loss",
        "val_loss": "eval_loss",
        "train_acc": None,
        "val_acc": "eval_accuracy",
        "lr": "learning_rate",
        "grad_norm": "grad_norm",
        "train_mae": None,
        "val_mae": "eval_mae",
        "train_rmse": None,
        "val_rmse": "eval_rmse",
    },
}


def _round(value: Any) -> Any:
    if value is None:
        return None
    value = float(value)
    return value if not math.isfinite(value) else float(f"{value:.6g}")


def to_columns(
    rows: Rows,
    convention: str,
    *,
    keep: Sequence[str] | None = None,
    opt: str = "Adam",
    acc_scale: float = 1.0,
    epoch: bool = True,
) -> dict[str, list[Any]]:
    """Rows -> wide columns named after ``convention``; ``keep`` selects the internal keys."""
    names = CONVENTIONS[convention]
    present = [k for k in names if any(k in r for r in rows)]
    keys = [k for k in present if (keep is None or k in keep) and names[k] is not None]
    columns: dict[str, list[Any]] = {"step": [int(r["step"]) for r in rows]}
    if epoch:
        columns["epoch"] = [r.get("epoch") for r in rows]
    for key in keys:
        name = str(names[key]).format(opt=opt)
        scale = acc_scale if key.endswith("_acc") else 1.0
        columns[name] = [_round(r[key] * scale) if key in r else None for r in rows]
    return columns


# --------------------------------------------------------------------------------------------
# data helpers: splits, statistics, metadata
# --------------------------------------------------------------------------------------------


def digits() -> tuple[Array, Array]:
    data = load_digits()
    return data.data, data.target


def split(
    x: Array, y: Array, test: float | int, seed: int, stratify: bool = True
) -> tuple[Array, Array, Array, Array]:
    xtr, xte, ytr, yte = train_test_split(
        x, y, test_size=test, random_state=seed, stratify=y if stratify else None
    )
    return xtr, ytr, xte, yte


def standardize(xtr: Array, *others: Array) -> list[Array]:
    mean, std = xtr.mean(0), xtr.std(0)
    std = np.where(std > 1e-8, std, 1.0)  # constant pixels stay as they are
    return [(a - mean) / std for a in (xtr, *others)]


def feature_statistics(xtr: Array, xte: Array, names: Sequence[str]) -> dict[str, Any]:
    """Per-feature train/test mean and std, computed from the arrays."""
    stats: dict[str, Any] = {}
    for split_name, arr in (("train", xtr), ("test", xte)):
        stats[f"{split_name}_mean"] = {
            n: _round(v) for n, v in zip(names, arr.mean(0), strict=True)
        }
        stats[f"{split_name}_std"] = {n: _round(v) for n, v in zip(names, arr.std(0), strict=True)}
    return stats


def metadata(
    name: str, ytr: Array, yval: Array, class_names: Sequence[str], **extra: Any
) -> dict[str, Any]:
    counts = np.bincount(ytr, minlength=len(class_names))
    return {
        "dataset_name": name,
        "task_type": "classification",
        "num_train_samples": len(ytr),
        "num_val_samples": len(yval),
        "num_classes": len(class_names),
        "class_names": list(class_names),
        "class_counts": {c: int(k) for c, k in zip(class_names, counts, strict=True)},
        **extra,
    }


# --------------------------------------------------------------------------------------------
# deepchecks-shaped results computed from the data
# --------------------------------------------------------------------------------------------


def dc_check(
    header: str, name: str, value: Any, conditions: Sequence[tuple[str, str, str]], text: str
) -> dict[str, Any]:
    """One check as deepchecks' ``CheckResult.to_json()`` would give it (json_result a string)."""
    payload = {
        "name": name,
        "params": {},
        "header": header,
        "value": value,
        "conditions_results": [
            {"Status": s, "Condition": c, "More Info": m} for s, c, m in conditions
        ],
    }
    return {"header": header, "json_result": json.dumps(payload), "display_txt": text}


def _status(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def cramers_v(a: Array, b: Array) -> float:
    """Bias-corrected Cramér's V of the (dataset x label) contingency table, as deepchecks."""
    labels = np.unique(np.concatenate([a, b]))
    table = np.array([[np.sum(a == v) for v in labels], [np.sum(b == v) for v in labels]], float)
    n = table.sum()
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / np.where(expected > 0, expected, 1)).sum())
    r, k = table.shape
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    rcorr, kcorr = r - (r - 1) ** 2 / (n - 1), k - (k - 1) ** 2 / (n - 1)
    return float(np.sqrt(phi2 / max(1e-12, min(kcorr - 1, rcorr - 1))))


def earth_movers(a: Array, b: Array, margin: float = 0.025) -> float:
    """Wasserstein distance after dropping the outer quantiles and scaling to [0, 1]."""
    both = np.concatenate([a, b])
    lo, hi = np.quantile(both, [margin, 1 - margin])
    a, b = a[(a >= lo) & (a <= hi)], b[(b >= lo) & (b <= hi)]
    span = hi - lo if hi > lo else 1.0
    return float(wasserstein_distance((a - lo) / span, (b - lo) / span))


def check_label_drift(ytr: Array, yte: Array) -> dict[str, Any]:
    score = cramers_v(ytr, yte)
    cond = (
        _status(score < 0.15),
        "Label drift score < 0.15",
        f"Label's drift score Cramer's V is {score:.2f}",
    )
    return dc_check(
        "Label Drift",
        "LabelDrift",
        {"Drift score": round(score, 4), "Method": "Cramer's V"},
        [cond],
        f"Label Drift: Cramer's V {score:.3f}",
    )


def check_feature_drift(
    xtr: Array, xte: Array, names: Sequence[str], importance: Array
) -> dict[str, Any]:
    value = {
        n: {
            "Drift score": round(earth_movers(xtr[:, i], xte[:, i]), 4),
            "Method": "Earth Mover's Distance",
            "Importance": round(float(importance[i]), 4),
        }
        for i, n in enumerate(names)
    }
    over = [n for n, v in value.items() if v["Drift score"] >= 0.2]
    cond = (
        _status(not over),
        "categorical drift score < 0.2 and numerical drift score < 0.2",
        f"Failed for {len(over)} out of {len(names)} columns: {', '.join(over)}"
        if over
        else "Passed for all columns",
    )
    top = max(value.items(), key=lambda kv: kv[1]["Drift score"])
    text = f"Feature Drift: highest drift {top[0]} {top[1]['Drift score']:.3f}"
    return dc_check("Feature Drift", "FeatureDrift", value, [cond], text)


def image_properties(images: Array) -> dict[str, Array]:
    """deepchecks' default properties that make sense for 8x8 grayscale digits."""
    flat = images.reshape(len(images), -1)
    return {
        "Brightness": flat.mean(1),
        "RMS Contrast": flat.std(1),
        "Area": np.full(len(images), float(flat.shape[1])),
        "Aspect Ratio": np.ones(len(images)),
    }


def check_property_drift(img_tr: Array, img_te: Array) -> dict[str, Any]:
    ptr, pte = image_properties(img_tr), image_properties(img_te)
    value = {
        k: {
            "Drift score": round(float(ks_2samp(ptr[k], pte[k]).statistic), 4),
            "Method": "Kolmogorov-Smirnov",
        }
        for k in ptr
    }
    over = [k for k, v in value.items() if v["Drift score"] >= 0.2]
    cond = (
        _status(not over),
        "drift score < 0.2 for image properties drift",
        f"Failed for {', '.join(over)}" if over else "Passed for all image properties",
    )
    return dc_check(
        "Image Property Drift",
        "ImagePropertyDrift",
        value,
        [cond],
        "Image Property Drift: "
        + ", ".join(f"{k} {v['Drift score']:.2f}" for k, v in value.items()),
    )


def check_new_labels(ytr: Array, yte: Array) -> dict[str, Any]:
    seen = set(ytr.tolist())
    new = {str(int(v)): int(np.sum(yte == v)) for v in np.unique(yte) if v not in seen}
    share = sum(new.values()) / len(yte)
    cond = (
        _status(share <= 0.005),
        "Percentage of new labels in the test set is less or equal to 0.5%",
        f"{share:.2%} of samples in the test set have labels not seen in train: {sorted(new)}"
        if new
        else "No new labels found",
    )
    value = {"new_labels": new, "all_labels_count": len(yte)}
    return dc_check("New Labels", "NewLabels", value, [cond], f"New Labels: {new or 'none'}")


def check_property_outliers(images: Array) -> dict[str, Any]:
    """Interquartile-range fences (25/75 percentiles, scale 1.5) per image property."""
    value = {}
    for k, v in image_properties(images).items():
        q1, q3 = np.percentile(v, [25, 75])
        lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
        idx = np.flatnonzero((v < lo) | (v > hi))
        value[k] = {
            "indices": idx.tolist(),
            "lower_limit": round(float(lo), 4),
            "upper_limit": round(float(hi), 4),
        }
    text = "Image Property Outliers: " + ", ".join(
        f"{k} {len(v['indices'])}" for k, v in value.items()
    )
    return dc_check("Image Property Outliers", "ImagePropertyOutliers", value, [], text)


def check_class_performance(
    pred_tr: Array, ytr: Array, pred_te: Array, yte: Array, class_names: Sequence[str]
) -> dict[str, Any]:
    value, test_recall = [], []
    for split_name, pred, ys in (("Train", pred_tr, ytr), ("Test", pred_te, yte)):
        for c, name in enumerate(class_names):
            tp = float(np.sum((pred == c) & (ys == c)))
            precision = tp / max(1.0, float(np.sum(pred == c)))
            recall = tp / max(1.0, float(np.sum(ys == c)))
            n = int(np.sum(ys == c))
            for metric, val in (("Precision", precision), ("Recall", recall)):
                value.append(
                    {
                        "Dataset": split_name,
                        "Class": name,
                        "Metric": metric,
                        "Value": round(val, 4),
                        "Number of samples": n,
                    }
                )
            if split_name == "Test":
                test_recall.append(recall)
    worst, best = min(test_recall), max(test_recall)
    ratio = (best - worst) / best if best else 0.0
    conds = [
        (_status(worst > 0.2), "Scores are greater than 0.2", f"Lowest test Recall {worst:.2f}"),
        (
            _status(ratio < 0.3),
            "Relative ratio difference between labels 'Recall' score is less than 30%",
            f"Relative ratio difference found: {ratio:.0%} "
            f"(class {class_names[int(np.argmin(test_recall))]} lowest)",
        ),
    ]
    return dc_check(
        "Class Performance",
        "ClassPerformance",
        value,
        conds,
        f"Class Performance: test recall {worst:.2f}..{best:.2f}",
    )


def pps(feature: Array, y: Array, seed: int) -> float:
    """A single-feature predictive power score: cross-validated decision-tree accuracy above the
    majority-class baseline, scaled to [0, 1] (stands in for deepchecks' ppscore)."""
    tree = DecisionTreeClassifier(random_state=seed)
    acc = float(cross_val_score(tree, feature.reshape(-1, 1), y, cv=4).mean())
    base = float(np.bincount(y).max() / len(y))
    return max(0.0, (acc - base) / (1 - base))


def check_property_label_correlation(props: dict[str, Array], y: Array) -> dict[str, Any]:
    value = {k: round(pps(v, y, 0), 4) for k, v in props.items()}
    over = [k for k, v in value.items() if v >= 0.8]
    cond = (
        _status(not over),
        "Properties' Predictive Power Score is less than 0.8",
        f"Found {len(over)} out of {len(value)} properties with PPS above threshold: "
        + ", ".join(f"{k}: {value[k]:.2f}" for k in over)
        if over
        else "Passed for all properties",
    )
    return dc_check(
        "Property Label Correlation",
        "PropertyLabelCorrelation",
        value,
        [cond],
        "Property Label Correlation (PPS): " + ", ".join(f"{k} {v:.2f}" for k, v in value.items()),
    )


def check_duplicates(x: Array) -> dict[str, Any]:
    """Share of rows (features only) that repeat an earlier row."""
    _, first = np.unique(x, axis=0, return_index=True)
    share = 1 - len(first) / len(x)
    cond = (
        _status(share <= 0),
        "Duplicate data ratio is less or equal to 0%",
        f"Found {share:.2%} duplicate data",
    )
    return dc_check(
        "Data Duplicates",
        "DataDuplicates",
        round(share, 4),
        [cond],
        f"Data Duplicates: {share:.2%}",
    )


def check_conflicting_labels(x: Array, y: Array) -> dict[str, Any]:
    """Groups of identical feature rows that carry more than one label."""
    _, inverse = np.unique(x, axis=0, return_inverse=True)
    groups = []
    for g in np.unique(inverse):
        idx = np.flatnonzero(inverse == g)
        if len(idx) > 1 and len(np.unique(y[idx])) > 1:
            groups.append(idx.tolist())
    share = sum(len(g) for g in groups) / len(x)
    cond = (
        _status(share <= 0),
        "Ambiguous sample ratio is less or equal to 0%",
        f"Ratio of samples with conflicting labels: {share:.2%}",
    )
    value = {"percent_of_conflicting_samples": round(share, 4), "samples_indices": groups[:50]}
    return dc_check(
        "Conflicting Labels",
        "ConflictingLabels",
        value,
        [cond],
        f"Conflicting Labels: {share:.2%} of samples",
    )


def importance_of(x: Array, y: Array) -> Array:
    """|correlation with the label| per feature, normalised to sum 1 (stands in for permutation
    importance)."""
    yc = (y - y.mean()) / (y.std() + 1e-12)
    xc = (x - x.mean(0)) / (x.std(0) + 1e-12)
    corr = np.abs((xc * yc[:, None]).mean(0))
    return corr / corr.sum()


def deepchecks(name: str, suites: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"dataset_name": name, "results": suites}


# --------------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One labelled run: artifacts to write plus the label that goes into expected.yaml."""

    symptom: str
    metrics: dict[str, list[Any]]
    note: str
    expect: list[str] = field(default_factory=list)
    expect_any: list[str] = field(default_factory=list)
    forbid: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    params: dict[str, Any] | None = None
    dataset: dict[str, Any] | None = None
    statistics: dict[str, Any] | None = None
    deepchecks: dict[str, Any] | None = None


CASES: dict[str, Callable[[], Case]] = {}


def case(name: str) -> Callable[[Callable[[], Case]], Callable[[], Case]]:
    def register(fn: Callable[[], Case]) -> Callable[[], Case]:
        CASES[name] = fn
        return fn

    return register


def digits_data(seed: int, test: float | int = 0.2) -> tuple[Array, Array, Array, Array]:
    x, y = digits()
    xtr, ytr, xv, yv = split(x, y, test, seed)
    xtr, xv = standardize(xtr, xv)
    return xtr, ytr, xv, yv


def clf_columns(rows: Rows, convention: str, **kw: Any) -> dict[str, list[Any]]:
    """Classification columns without grad_norm (most cases do not log it)."""
    keep = ["train_loss", "val_loss", "train_acc", "val_acc", "lr"]
    return to_columns(rows, convention, keep=keep, **kw)


def reg_columns(rows: Rows, convention: str, **kw: Any) -> dict[str, list[Any]]:
    keep = ["train_loss", "val_loss", "train_mae", "val_mae", "train_rmse", "val_rmse", "lr"]
    return to_columns(rows, convention, keep=keep, **kw)


def regression_data(
    seed: int, *, n: int = 1500, d: int = 16, noise: float = 5.0, scale: bool = True
) -> tuple[Array, Array, Array, Array]:
    """make_regression, features standardised; targets standardised unless ``scale=False``."""
    x, y = make_regression(
        n_samples=n, n_features=d, n_informative=10, noise=noise, random_state=seed
    )
    xtr, xv, ytr, yv = train_test_split(x, y, test_size=0.2, random_state=seed)
    xtr, xv = standardize(xtr, xv)
    if scale:
        mean, std = ytr.mean(), ytr.std()
        ytr, yv = (ytr - mean) / std, (yv - mean) / std
    return xtr, ytr, xv, yv


def correlated_regression(seed: int) -> tuple[Array, Array, Array, Array]:
    """Regression with correlated standardised features and raw targets (std ~200)."""
    rng = np.random.default_rng(seed)
    x, y = make_regression(
        n_samples=1200, n_features=20, n_informative=12, noise=10, random_state=seed
    )
    x = x @ (np.eye(20) + 0.3 * rng.normal(size=(20, 20)))
    xtr, xv, ytr, yv = train_test_split(x, y, test_size=0.25, random_state=seed)
    xtr, xv = standardize(xtr, xv)
    return xtr, ytr, xv, yv


def require(ok: bool, what: str) -> None:
    """Stop when a mechanism did not produce the symptom its label claims."""
    if not ok:
        raise RuntimeError(f"label not supported by the curve: {what}")


def col(rows: Rows, key: str) -> Array:
    return np.array([r[key] for r in rows if key in r], dtype=float)


# --- nan_loss --------------------------------------------------------------------------------


@case("nan_loss_1")
def nan_loss_1() -> Case:
    data = digits_data(1)
    net = Net([64, 128, 10], np.random.default_rng(1), dtype=np.float32)
    rows = fit(net, naive_cross_entropy, data, opt="sgd", lr=0.4, epochs=25, batch=32, seed=1)
    loss = col(rows, "train_loss")
    require(np.isnan(loss[-1]) and np.isfinite(loss[:3]).all(), "learns, then NaN")
    return Case(
        symptom="loss falls for a few epochs, then becomes NaN for good",
        metrics=clf_columns(rows, "keras"),
        params={
            "model_name": "mlp_64_128_10",
            "optimizer": "sgd",
            "learning_rate": 0.4,
            "batch_size": 32,
            "epochs": 25,
            "loss_function": "softmax_cross_entropy",
        },
        expect=codes("nan_loss"),
        forbid=codes("loss_not_decreasing vanishing_gradients slow_convergence"),
        targets=codes("loss_function learning_rate"),
        note="float32 MLP on digits; softmax written as exp(z)/sum(exp(z)) without subtracting "
        "the max. Training goes well (val_accuracy 0.98) until a logit leaves exp's float32 "
        "range: exp overflows, inf/inf is NaN, the gradient is NaN and every weight becomes NaN "
        "(val_accuracy drops to the 0.1 of a constant prediction). A high but not absurd "
        "learning rate makes the logits large quickly.",
    )


@case("nan_loss_2")
def nan_loss_2() -> Case:
    data = load_breast_cancer()
    xtr, ytr, xv, yv = split(data.data, data.target, 0.25, 2)
    xtr, xv = standardize(xtr, xv)
    net = Net([30, 32, 1], np.random.default_rng(2), dtype=np.float32)
    rows = fit(
        net,
        naive_binary_cross_entropy,
        (xtr, ytr, xv, yv),
        opt="adam",
        lr=0.003,
        epochs=40,
        batch=16,
        seed=2,
    )
    loss, acc = col(rows, "train_loss"), col(rows, "val_acc")
    require(np.isnan(loss[-1]) and np.isfinite(loss[:5]).all() and acc[-1] > 0.95, "NaN, acc ok")
    return Case(
        symptom="train and val loss turn NaN while accuracy keeps improving",
        metrics=clf_columns(rows, "canonical"),
        params={
            "model_name": "mlp_30_32_1",
            "optimizer": "adam",
            "learning_rate": 0.003,
            "batch_size": 16,
            "epochs": 40,
            "loss_function": "binary_cross_entropy",
        },
        expect=codes("nan_loss"),
        forbid=codes(
            "loss_not_decreasing underfitting exploding_loss vanishing_gradients unstable_training"
        ),
        targets=codes("loss_function"),
        note="Breast-cancer MLP with a hand-written binary cross-entropy -(y log p + (1-y) "
        "log(1-p)) in float32 without clipping. As the model grows confident sigmoid rounds to "
        "exactly 1.0 (or 0.0); then (1-y)*log(1-p) is 0*(-inf) = NaN. The gradient p-y stays "
        "finite, so the weights and the accuracy are fine: only the logged loss is NaN.",
    )


@case("nan_loss_3")
def nan_loss_3() -> Case:
    xtr, ytr, xv, yv = (a.astype(np.float32) for a in correlated_regression(3))
    net = Net([20, 1], np.random.default_rng(3), act="linear", dtype=np.float32)
    rows = fit(
        net,
        mse,
        (xtr, ytr, xv, yv),
        opt="sgd",
        lr=1.0,
        epochs=3,
        batch=32,
        seed=3,
        task="reg",
        log_steps=1,
    )
    loss = col(rows, "train_loss")
    require(np.isnan(loss[-1]) and np.isfinite(loss[0]), "diverges to NaN")
    return Case(
        symptom="loss grows ~10x per step, overflows to inf at step 26, NaN from step 56",
        metrics=reg_columns(rows, "canonical"),
        params={
            "model_name": "linear_regression",
            "optimizer": "sgd",
            "learning_rate": 1.0,
            "batch_size": 32,
            "epochs": 3,
            "loss_function": "mse",
        },
        expect=codes("nan_loss learning_rate_too_high"),
        forbid=codes(
            "loss_not_decreasing vanishing_gradients overfitting slow_convergence "
            "learning_rate_too_low suspicious_validation"
        ),
        targets=codes("learning_rate"),
        note="Linear regression (20 correlated standardised features, raw targets with std "
        "~200) in float32 by mini-batch SGD at lr=1.0, about three times the stability limit "
        "of the feature covariance; logged every step. Every step multiplies the error, the "
        "MSE overflows float32 to inf and, once the weights are inf, inf-inf gives NaN. "
        "Multi-issue case: nan_loss + learning_rate_too_high.",
    )


# --- exploding_loss --------------------------------------------------------------------------


@case("exploding_loss_1")
def exploding_loss_1() -> Case:
    data = correlated_regression(3)
    per_epoch = math.ceil(len(data[0]) / 32)
    peak = 0.36

    def warmup(step: int) -> float:
        return peak * min(1.0, (step + 1) / (8 * per_epoch))

    net = Net([20, 1], np.random.default_rng(3), act="linear")
    rows = fit(net, mse, data, opt="sgd", lr=warmup, epochs=30, batch=32, seed=3, task="reg")
    loss = col(rows, "train_loss")
    require(np.isfinite(loss).all() and loss[-1] > 50 * loss.min(), "finite, far above best")
    return Case(
        symptom="loss falls during LR warm-up, then climbs to 1e6..1e9 and stays there",
        metrics=reg_columns(rows, "canonical"),
        params={
            "model_name": "linear_regression",
            "optimizer": "sgd",
            "learning_rate": peak,
            "scheduler": "linear_warmup_8_epochs",
            "batch_size": 32,
            "epochs": 30,
            "loss_function": "mse",
        },
        expect=codes("exploding_loss"),
        forbid=codes(
            "loss_not_decreasing vanishing_gradients nan_loss overfitting learning_rate_too_low"
        ),
        targets=codes("learning_rate lr_schedule"),
        note="Linear regression by mini-batch SGD with an 8-epoch linear warm-up to lr=0.36, "
        "just above the stable range for this feature covariance. The loss falls from 3e4 to "
        "~5e3 while the LR is small, then diverges once the LR passes ~0.3 and oscillates far "
        "above its best (never inf). val loss follows.",
    )


@case("exploding_loss_2")
def exploding_loss_2() -> Case:
    data = digits_data(4)
    net = Net([64, 128, 10], np.random.default_rng(4))
    rows = fit(net, cross_entropy, data, opt="momentum", lr=0.2, epochs=20, batch=32, seed=4)
    loss = col(rows, "train_loss")
    require(np.isfinite(loss).all() and loss[-1] > 100 * loss[0], "finite, grows")
    return Case(
        symptom="cross-entropy grows every epoch from 1.6 to ~1e7",
        metrics=clf_columns(rows, "lightning", opt="SGD"),
        expect=codes("exploding_loss"),
        forbid=codes(
            "loss_not_decreasing vanishing_gradients nan_loss overfitting "
            "slow_convergence learning_rate_too_low"
        ),
        targets=codes("learning_rate"),
        note="ReLU MLP on digits, SGD with momentum 0.9 at lr=0.2 (effective step 2.0), no "
        "params.yaml. The weights and logits grow without bound; the numerically stable "
        "cross-entropy stays finite but grows roughly geometrically, and accuracy falls.",
    )


# --- exploding_gradients ---------------------------------------------------------------------


@case("exploding_gradients_1")
def exploding_gradients_1() -> Case:
    data = regression_data(6)
    net = Net([16] + [32] * 10 + [1], np.random.default_rng(6), act="linear", gain=1.8)
    rows = fit(
        net,
        mse,
        data,
        opt="sgd",
        lr=1e-3,
        epochs=10,
        batch=32,
        seed=6,
        task="reg",
        log_steps=10,
        val_steps=50,
        clip=1.0,
    )
    gn = col(rows, "grad_norm")
    require(gn.min() > 1e4, "grad norm huge throughout")
    return Case(
        symptom="gradient norm 1.6e5..2.7e6 at every logged step (clipped to 1.0 for the update)",
        metrics=to_columns(
            rows, "hf", keep=["train_loss", "val_loss", "lr", "grad_norm", "val_mae"]
        ),
        params={
            "model_name": "deep_linear_10x32",
            "optimizer": "sgd",
            "learning_rate": 1e-3,
            "batch_size": 32,
            "num_epochs": 10,
            "grad_clip": 1.0,
            "loss_function": "mse",
            "weight_init": "normal(0, 1.8/sqrt(fan_in))",
        },
        expect=codes("exploding_gradients"),
        forbid=codes("vanishing_gradients nan_loss overfitting"),
        targets=codes("weight_init normalization"),
        note="10-layer linear network (no activations) initialised with std 1.8/sqrt(fan_in): "
        "the signal and the backpropagated gradient grow ~1.8x per layer. Targets are "
        "standardised (variance 1) yet the MSE starts at ~2e5. Hugging Face style logging: "
        "grad_norm is the global norm before clipping (max_grad_norm=1.0), which keeps the "
        "run finite, so the loss falls slowly instead of diverging. The logged loss is the "
        "mean of the last 10 steps, so eval_loss (taken after them) sits below it.",
    )


@case("exploding_gradients_2")
def exploding_gradients_2() -> Case:
    data = regression_data(6)
    net = Net([16] + [32] * 8 + [1], np.random.default_rng(6), act="relu", gain=2.0)
    rows = fit(
        net, mse, data, opt="momentum", lr=3e-4, epochs=3, batch=32, seed=6, task="reg", log_steps=1
    )
    gn = col(rows, "grad_norm")
    require(gn[0] > 1e3 and np.isnan(gn[-1]), "grad norm grows to inf/NaN")
    return Case(
        symptom="gradient norm 1e4 at the first step, 1e10 and 1e62 a few steps later, then NaN",
        metrics=to_columns(
            rows, "canonical", keep=["train_loss", "val_loss", "val_mae", "lr", "grad_norm"]
        ),
        params={
            "model_name": "mlp_relu_8x32",
            "optimizer": "sgd_momentum",
            "learning_rate": 3e-4,
            "batch_size": 32,
            "epochs": 3,
            "loss_function": "mse",
        },
        expect=codes("exploding_gradients"),
        expect_any=codes("nan_loss exploding_loss"),
        forbid=codes("vanishing_gradients suspicious_validation overfitting slow_convergence"),
        targets=codes("weight_init gradient_clipping"),
        note="8-layer ReLU MLP initialised with std 2.0/sqrt(fan_in) (He would be 1.41): "
        "activations double in variance per layer, the first gradient norm is ~1e4. Without "
        "clipping, momentum SGD turns the huge gradients into huge weights, the norm grows "
        "1e5 -> 1e10 -> 1e62 within ten steps and then everything is NaN. Logged every step.",
    )


# --- vanishing_gradients ---------------------------------------------------------------------


@case("vanishing_gradients_1")
def vanishing_gradients_1() -> Case:
    data = digits_data(8)
    net = Net([64] + [32] * 10 + [10], np.random.default_rng(8), act="sigmoid", gain=0.1)
    rows = fit(net, cross_entropy, data, opt="sgd", lr=0.5, epochs=100, batch=2048, seed=8)
    gn, loss = col(rows, "grad_norm"), col(rows, "train_loss")
    require(gn[-1] < 1e-8 and abs(loss[-1] - math.log(10)) < 0.01, "tiny gradient, flat loss")
    return Case(
        symptom="gradient norm decays from 3e-2 to 1e-15; loss stays at ln(10)",
        metrics=to_columns(rows, "canonical"),
        params={
            "model_name": "mlp_sigmoid_10x32",
            "optimizer": "sgd",
            "learning_rate": 0.5,
            "batch_size": 1437,
            "epochs": 100,
            "weight_init": "normal(0, 0.1/sqrt(fan_in))",
        },
        expect=codes("vanishing_gradients"),
        expect_any=codes("loss_not_decreasing underfitting"),
        forbid=codes(
            "exploding_gradients exploding_loss nan_loss overfitting suspicious_validation "
            "unstable_training"
        ),
        targets=codes("activation weight_init"),
        note="Digits, 10 sigmoid layers initialised with std 0.1/sqrt(fan_in), full-batch "
        "gradient descent. Every sigmoid layer multiplies the backward signal by <= 0.25 x "
        "small weights, so only the output bias learns: it fits the (uniform) class prior in a "
        "few steps and the global gradient norm then decays to machine precision. Accuracy "
        "stays at chance (0.1).",
    )


@case("vanishing_gradients_2")
def vanishing_gradients_2() -> Case:
    data = regression_data(6)
    net = Net([16] + [32] * 12 + [1], np.random.default_rng(6), act="tanh", gain=0.3)
    rows = fit(net, mse, data, opt="momentum", lr=0.1, epochs=80, batch=2048, seed=6, task="reg")
    gn = col(rows, "grad_norm")
    require(gn.max() < 1e-4, "tiny gradients")
    return Case(
        symptom="gradient norm ~5e-6 at every epoch; MSE stays at the target variance (1.0)",
        metrics=to_columns(
            rows,
            "keras",
            keep=["train_loss", "val_loss", "train_mae", "val_mae", "grad_norm", "lr"],
        ),
        params={
            "model_name": "mlp_tanh_12x32",
            "optimizer": "sgd_momentum",
            "learning_rate": 0.1,
            "batch_size": 1200,
            "epochs": 80,
        },
        expect=codes("vanishing_gradients"),
        expect_any=codes("loss_not_decreasing underfitting"),
        forbid=codes("exploding_gradients exploding_loss nan_loss overfitting unstable_training"),
        targets=codes("weight_init activation"),
        note="Regression with standardised targets; 12 tanh layers with std 0.3/sqrt(fan_in). "
        "The forward signal shrinks ~0.3x per layer (0.3^12 ~ 5e-7), so the output is a "
        "constant and the gradients of every layer are tiny. Full-batch momentum SGD; the MSE "
        "stays at 1.0 (predicting the mean). The val targets happen to have less variance "
        "(val MSE 0.88), so val is 'better' than train throughout and suspicious_validation "
        "is not forbidden.",
    )


# --- loss_not_decreasing ---------------------------------------------------------------------


@case("loss_not_decreasing_1")
def loss_not_decreasing_1() -> Case:
    data = digits_data(9)
    net = Net([64, 64, 10], np.random.default_rng(9))
    rows = fit(net, cross_entropy, data, opt="sgd", lr=1e-7, epochs=30, batch=32, seed=9)
    loss = col(rows, "train_loss")
    require(abs(loss[-1] - loss[0]) < 0.01 * loss[0], "flat")
    return Case(
        symptom="loss and accuracy flat from the first epoch to the last",
        metrics=clf_columns(rows, "keras"),
        params={"optimizer": "SGD", "lr": 1e-7, "batch_size": 32, "epochs": 30},
        expect=codes("loss_not_decreasing"),
        forbid=codes(
            "exploding_loss nan_loss overfitting exploding_gradients unstable_training "
            "suspicious_validation learning_rate_too_high"
        ),
        targets=codes("learning_rate"),
        note="ReLU MLP on digits with plain SGD at lr=1e-7 (1e-1 would train in a few "
        "epochs). The weights barely move: loss changes in the fourth digit only. "
        "learning_rate_too_low is equally right (lr in params.yaml).",
    )


@case("loss_not_decreasing_2")
def loss_not_decreasing_2() -> Case:
    x, y = make_classification(
        n_samples=5000, n_features=20, n_informative=8, n_classes=5, random_state=10
    )
    y = np.random.default_rng(10).permutation(y)  # labels shuffled against the inputs
    xtr, ytr, xv, yv = split(x, y, 0.2, 10)
    xtr, xv = standardize(xtr, xv)
    net = Net([20, 5], np.random.default_rng(10), gain=0.01, act="linear")
    rows = fit(
        net, cross_entropy, (xtr, ytr, xv, yv), opt="adam", lr=1e-2, epochs=40, batch=64, seed=10
    )
    loss = col(rows, "train_loss")
    require(loss.min() > 0.98 * math.log(5), "stays at ln 5")
    return Case(
        symptom="train and val loss stay at ln(5)=1.61, accuracy at chance (0.2)",
        metrics=clf_columns(rows, "lightning", opt="Adam"),
        params={
            "model_name": "softmax_regression",
            "optimizer": "adam",
            "learning_rate": 0.01,
            "batch_size": 64,
            "max_epochs": 40,
        },
        expect=codes("loss_not_decreasing"),
        forbid=codes(
            "exploding_loss nan_loss exploding_gradients learning_rate_too_low "
            "suspicious_validation vanishing_gradients"
        ),
        targets=codes("labels"),
        note="5-class softmax regression whose labels were permuted against the inputs (a "
        "shuffling bug in the data pipeline). There is nothing to learn: the loss sits at "
        "ln(5) from the start, with a well-chosen Adam learning rate.",
    )


@case("loss_not_decreasing_3")
def loss_not_decreasing_3() -> Case:
    x, y = digits()
    x = (x / 255).astype(int).astype(float)  # pixel scaling bug: everything becomes 0
    xtr, ytr, xv, yv = split(x, y, 0.2, 11)
    net = Net([64, 64, 10], np.random.default_rng(11))
    rows = fit(
        net, cross_entropy, (xtr, ytr, xv, yv), opt="adam", lr=1e-3, epochs=25, batch=32, seed=11
    )
    loss = col(rows, "train_loss")
    require(abs(loss[-1] - math.log(10)) < 0.01, "flat at ln 10")
    return Case(
        symptom="loss flat at ln(10)=2.303, accuracy ~0.10 throughout",
        metrics=clf_columns(rows, "canonical"),
        params={"optimizer": "adam", "learning_rate": 0.001, "batch_size": 32, "epochs": 25},
        expect=codes("loss_not_decreasing"),
        forbid=codes(
            "exploding_loss nan_loss overfitting learning_rate_too_high learning_rate_too_low "
            "suspicious_validation unstable_training"
        ),
        targets=codes("data_preprocessing"),
        note="Digits pixels (0..16) 'normalised' with (x / 255).astype(int): every input is "
        "0, so the network can only learn the output bias, i.e. the uniform class prior. "
        "Loss stays at ln(10) with a standard Adam setup.",
    )


# --- slow_convergence ------------------------------------------------------------------------


@case("slow_convergence_1")
def slow_convergence_1() -> Case:
    data = digits_data(12)
    net = Net([64, 64, 10], np.random.default_rng(12))
    rows = fit(net, cross_entropy, data, opt="sgd", lr=0.002, epochs=40, batch=32, seed=12)
    loss = col(rows, "train_loss")
    require(loss[-1] < 0.95 * loss[-8] and loss[-1] < 0.5 * loss[0], "learning, still improving")
    return Case(
        symptom="loss falls steadily for 40 epochs and is still falling at the end",
        metrics=clf_columns(rows, "canonical"),
        expect=codes("slow_convergence"),
        forbid=codes(
            "loss_not_decreasing exploding_loss nan_loss overfitting unstable_training "
            "learning_rate_too_high plateau overtraining"
        ),
        targets=codes("learning_rate epochs"),
        note="ReLU MLP on digits with plain SGD at lr=0.002, about 50x below the lr=0.1 that "
        "converges in ~5 epochs. No params.yaml. Loss 2.7 -> 0.47 and val_accuracy 0.16 -> "
        "0.91, both still improving in the last epochs (the same net reaches ~0.97).",
    )


@case("slow_convergence_2")
def slow_convergence_2() -> Case:
    x, y = make_regression(
        n_samples=2000, n_features=10, n_informative=8, noise=30, random_state=13
    )
    xtr, xv, ytr, yv = train_test_split(x, y, test_size=0.2, random_state=13)
    xtr, xv = standardize(xtr, xv)
    est = SGDRegressor(learning_rate="constant", eta0=1e-5, penalty=None, random_state=13)
    rows = fit_sklearn(est, (xtr, ytr, xv, yv), epochs=40, seed=13, task="reg", lr=lambda e: e.eta0)
    loss = col(rows, "train_loss")
    require(loss[-1] < 0.9 * loss[-8] and loss[-1] > 5 * 30**2, "still far above the noise")
    return Case(
        symptom="MSE falls from 2.6e4 to 8e3 in 40 epochs, still falling ~3% per epoch",
        metrics=reg_columns(rows, "keras"),
        params={
            "model_name": "SGDRegressor",
            "optimizer": "sgd",
            "learning_rate": 1e-5,
            "scheduler": "constant",
            "epochs": 40,
            "batch_size": 1,
        },
        expect=codes("slow_convergence"),
        forbid=codes(
            "loss_not_decreasing exploding_loss nan_loss overfitting unstable_training "
            "suspicious_validation learning_rate_too_high plateau overtraining"
        ),
        targets=codes("learning_rate"),
        note="scikit-learn SGDRegressor, one partial_fit pass per epoch, constant eta0=1e-5 "
        "(the default invscaling schedule starts at 1e-2). Loss scale ~1e4 (targets std "
        "~160, noise std 30 so the floor is ~900). Still improving steadily at the end.",
    )


# --- underfitting ----------------------------------------------------------------------------


@case("underfitting_1")
def underfitting_1() -> Case:
    x, y = make_circles(n_samples=2000, noise=0.1, factor=0.5, random_state=14)
    xtr, ytr, xv, yv = split(x, y, 0.2, 14)
    xtr, xv = standardize(xtr, xv)
    est = SGDClassifier(
        loss="log_loss", learning_rate="constant", eta0=0.01, alpha=1e-4, random_state=14
    )
    rows = fit_sklearn(est, (xtr, ytr, xv, yv), epochs=30, seed=14, lr=lambda e: e.eta0)
    acc = col(rows, "train_acc")
    require(acc.mean() < 0.55, "chance level")
    return Case(
        symptom="train and val accuracy around 0.5 on a binary task, loss stays at ln(2)",
        metrics=clf_columns(rows, "keras"),
        params={
            "model_name": "logistic_regression",
            "optimizer": "sgd",
            "learning_rate": 0.01,
            "epochs": 30,
        },
        expect=codes("underfitting"),
        forbid=codes(
            "exploding_loss nan_loss overfitting suspicious_validation learning_rate_too_high "
            "exploding_gradients vanishing_gradients"
        ),
        targets=codes("architecture"),
        note="Logistic regression (SGDClassifier, log loss) on two concentric circles: no "
        "linear boundary exists, so both splits stay at chance and the loss at ln(2)=0.693 "
        "from the first epoch; loss_not_decreasing is therefore also true and not forbidden. "
        "Accuracy jitters between 0.35 and 0.65 as the useless boundary turns through the "
        "centre, so unstable_training is not forbidden either.",
    )


@case("underfitting_2")
def underfitting_2() -> Case:
    data = digits_data(15)
    net = Net([64, 1, 10], np.random.default_rng(16))
    rows = fit(net, cross_entropy, data, opt="adam", lr=0.01, epochs=60, batch=32, seed=16)
    loss, acc, vacc = col(rows, "train_loss"), col(rows, "train_acc"), col(rows, "val_acc")
    require(acc[-1] < 0.4 and vacc[-1] < 0.4 and loss[-1] < 0.7 * loss[0], "learns, stays poor")
    return Case(
        symptom="train and val accuracy ~0.29 on 10-class digits after 60 epochs",
        metrics=clf_columns(rows, "lightning", opt="Adam"),
        params={
            "model_name": "mlp_64_1_10",
            "optimizer": "adam",
            "learning_rate": 0.01,
            "batch_size": 32,
            "max_epochs": 60,
        },
        expect=codes("underfitting"),
        forbid=codes(
            "exploding_loss nan_loss suspicious_validation loss_not_decreasing "
            "learning_rate_too_low exploding_gradients vanishing_gradients"
        ),
        targets=codes("architecture"),
        note="MLP whose hidden layer has a single unit (a bottleneck) on 10-class digits, "
        "well-tuned Adam. Capacity, not optimisation, limits it: the loss falls from 2.5 to "
        "~1.6 in 30 epochs and stays there, train and val accuracy both ~0.29 (the same data "
        "reaches 0.97 with 64 units).",
    )


# --- overfitting -----------------------------------------------------------------------------


@case("overfitting_1")
def overfitting_1() -> Case:
    x, y = make_classification(
        n_samples=400, n_features=50, n_informative=10, flip_y=0.15, random_state=16
    )
    xtr, ytr, xv, yv = split(x, y, 0.5, 16)
    xtr, xv = standardize(xtr, xv)
    net = Net([50, 256, 256, 2], np.random.default_rng(16))
    rows = fit(
        net, cross_entropy, (xtr, ytr, xv, yv), opt="adam", lr=1e-3, epochs=150, batch=32, seed=16
    )
    vloss = col(rows, "val_loss")
    require(vloss[-1] > 1.5 * vloss.min(), "val loss rises")
    return Case(
        symptom="train loss -> 1e-4 while val loss rises from 0.94 to 1.7",
        metrics=clf_columns(rows, "canonical"),
        params={
            "model_name": "mlp_50_256_256_2",
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "batch_size": 32,
            "epochs": 150,
            "weight_decay": 0.0,
            "dropout_rate": 0.0,
        },
        expect=codes("overfitting"),
        forbid=codes(
            "loss_not_decreasing underfitting exploding_loss nan_loss suspicious_validation "
            "vanishing_gradients learning_rate_too_low"
        ),
        targets=codes("regularization early_stopping data_collection"),
        note="Two 256-unit layers on 200 training samples with 50 features and 15% flipped "
        "labels, no regularisation, 150 epochs. The net memorises the training set; val loss "
        "is lowest after a few epochs and then climbs steadily. overtraining is also true.",
    )


@case("overfitting_2")
def overfitting_2() -> Case:
    rng = np.random.default_rng(19)
    xt = rng.uniform(-1, 1, 300)
    yt = np.sin(3 * xt) + 0.4 * rng.normal(size=300)
    xs = rng.uniform(-1, 1, 20)
    ys = np.sin(3 * xs) + 0.5 * rng.normal(size=20)
    net = Net([1, 128, 128, 1], np.random.default_rng(19))
    rows = fit(
        net,
        mse,
        (xs[:, None], ys, xt[:, None], yt),
        opt="adam",
        lr=3e-3,
        epochs=500,
        batch=10,
        seed=19,
        task="reg",
    )
    vloss = col(rows, "val_loss")
    require(vloss[-1] > 1.5 * vloss.min(), "val loss rises")
    return Case(
        symptom="val MSE lowest (~0.33) in the first epochs, 2.7 at epoch 500; train MSE -> 0.02",
        metrics=reg_columns(rows, "keras"),
        params={"optimizer": "Adam", "lr": 3e-3, "batch_size": 10, "epochs": 500},
        expect=codes("overfitting"),
        forbid=codes(
            "loss_not_decreasing exploding_loss nan_loss suspicious_validation "
            "vanishing_gradients learning_rate_too_low"
        ),
        targets=codes("regularization early_stopping data_collection"),
        note="1-d regression y = sin(3x) + noise, a 128x128 ReLU MLP fitted to 20 noisy "
        "points for 500 epochs; validation on 300 fresh points. The fit chases the noise: "
        "val MSE is near its best (0.33-0.35) for the first ~100 epochs and 8x higher by "
        "the end.",
    )


@case("overfitting_3")
def overfitting_3() -> Case:
    x, y = make_classification(
        n_samples=1040,
        n_features=20,
        n_informative=8,
        n_classes=4,
        n_clusters_per_class=1,
        flip_y=0.05,
        random_state=33,
    )
    xtr, ytr, xv, yv = split(x, y, 1000, 33)
    xtr, xv = standardize(xtr, xv)
    net = Net([20, 256, 256, 4], np.random.default_rng(33))
    rows = fit(
        net, cross_entropy, (xtr, ytr, xv, yv), opt="adam", lr=1e-3, epochs=200, batch=8, seed=33
    )
    vloss = col(rows, "val_loss")
    require(vloss[-1] > 1.5 * vloss.min(), "val loss rises")
    names = ["bearing", "gear", "shaft", "ok"]
    return Case(
        symptom="40 training samples: train loss -> 2e-4, val loss 1.0 -> 1.8, val acc ~0.57",
        metrics=clf_columns(rows, "keras"),
        params={
            "model_name": "mlp_20_256_256_4",
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "batch_size": 8,
            "epochs": 200,
        },
        dataset=metadata("vibration_faults_pilot", ytr, yv, names, num_features=20),
        expect=codes("overfitting small_dataset"),
        forbid=codes(
            "loss_not_decreasing exploding_loss nan_loss suspicious_validation "
            "vanishing_gradients class_imbalance unnormalized_inputs train_test_shift "
            "small_validation_split"
        ),
        targets=codes("data_collection data_augmentation regularization early_stopping"),
        note="Multi-issue: a 4-class, 20-feature tabular problem with 10 training samples per "
        "class (40 in all) and 1000 validation samples. A 256x256 MLP memorises the 40 in a "
        "few epochs; val loss is best at epoch ~3 and climbs for the remaining ~195. "
        "metadata.yaml has the counts (no statistics.json).",
    )


# --- unstable_training -----------------------------------------------------------------------


@case("unstable_training_1")
def unstable_training_1() -> Case:
    data = digits_data(18)
    net = Net([64, 64, 10], np.random.default_rng(18))
    rows = fit(net, cross_entropy, data, opt="adam", lr=0.02, epochs=20, batch=4, seed=18)
    loss = col(rows, "train_loss")
    require(int(np.sum(loss[1:] > 2 * loss[:-1])) >= 3, "repeated spikes")
    return Case(
        symptom="train loss jumps 3-5x up between epochs again and again; val loss 0.6-3.8",
        metrics=clf_columns(rows, "canonical"),
        params={"optimizer": "adam", "learning_rate": 0.02, "batch_size": 4, "epochs": 20},
        expect=codes("unstable_training"),
        forbid=codes(
            "loss_not_decreasing nan_loss vanishing_gradients underfitting "
            "suspicious_validation learning_rate_too_low slow_convergence"
        ),
        targets=codes("batch_size learning_rate"),
        note="Digits MLP, Adam at lr=0.02 (20x its default) with batch size 4: each update "
        "follows 4 samples, and the loss repeatedly jumps back up (0.21 -> 1.73, 0.05 -> "
        "0.90) instead of settling; val loss swings with an upward drift, so overfitting and "
        "learning_rate_too_high are also defensible.",
    )


@case("unstable_training_2")
def unstable_training_2() -> Case:
    x, y = make_classification(
        n_samples=3000, n_features=20, n_informative=6, flip_y=0.05, class_sep=0.8, random_state=19
    )
    xtr, ytr, xv, yv = split(x, y, 0.2, 19)
    xtr, xv = standardize(xtr, xv)
    est = SGDClassifier(
        loss="log_loss", learning_rate="constant", eta0=1.0, alpha=1e-5, random_state=19
    )
    rows = fit_sklearn(est, (xtr, ytr, xv, yv), epochs=30, seed=19, lr=lambda e: e.eta0)
    return Case(
        symptom="val accuracy jumps between 0.58 and 0.75 from epoch to epoch",
        metrics=clf_columns(rows, "lightning", opt="SGD"),
        params={
            "model_name": "SGDClassifier(log_loss)",
            "optimizer": "sgd",
            "learning_rate": 1.0,
            "scheduler": "constant",
            "batch_size": 1,
            "max_epochs": 30,
        },
        expect=codes("unstable_training"),
        forbid=codes(
            "nan_loss vanishing_gradients suspicious_validation learning_rate_too_low overfitting"
        ),
        targets=codes("learning_rate batch_size lr_schedule"),
        note="scikit-learn SGDClassifier (per-sample SGD, i.e. batch size 1) with a constant "
        "eta0=1.0 and almost no regularisation on a noisy 20-feature problem. The last few "
        "samples of each pass decide where the weights land: loss (2.4-4.5) and accuracy "
        "oscillate around a poor level with no trend. learning_rate_too_high and "
        "underfitting are also true.",
    )


# --- plateau ---------------------------------------------------------------------------------


@case("plateau_1")
def plateau_1() -> Case:
    x, y = make_classification(
        n_samples=3000, n_features=20, n_informative=8, flip_y=0.1, random_state=20
    )
    xtr, ytr, xv, yv = split(x, y, 0.2, 20)
    xtr, xv = standardize(xtr, xv)
    net = Net([20, 32, 2], np.random.default_rng(20))
    rows = fit(
        net,
        cross_entropy,
        (xtr, ytr, xv, yv),
        opt="sgd",
        lr=0.5,
        epochs=80,
        batch=8,
        seed=20,
        decay=1e-3,
    )
    return Case(
        symptom="val loss ~0.40 and val accuracy ~0.86 from epoch 3 to epoch 80",
        metrics=clf_columns(rows, "keras"),
        params={
            "optimizer": "SGD",
            "lr": 0.5,
            "batch_size": 8,
            "epochs": 80,
            "weight_decay": 1e-3,
            "scheduler": "none",
        },
        expect=codes("plateau"),
        forbid=codes(
            "nan_loss exploding_loss vanishing_gradients exploding_gradients "
            "suspicious_validation insufficient_training learning_rate_too_low overfitting"
        ),
        targets=codes("lr_schedule learning_rate early_stopping"),
        note="MLP on a 10%-label-noise problem, SGD at a constant lr=0.5 with batch 8 and no "
        "schedule: the gradient noise keeps the weights bouncing around a floor, so val "
        "loss/accuracy stop improving after ~3 epochs and only jitter for the next 77 (10-epoch "
        "means of val loss 0.40-0.43, train loss flat at ~0.30, so overfitting is forbidden).",
    )


@case("plateau_2")
def plateau_2() -> Case:
    data = regression_data(21, noise=20)
    net = Net([16, 64, 1], np.random.default_rng(21))
    rows = fit(
        net,
        mse,
        data,
        opt="adam",
        lr=0.01,
        epochs=30,
        batch=16,
        seed=21,
        task="reg",
        log_steps=25,
        val_steps=100,
    )
    return Case(
        symptom="eval_loss stuck around 0.02 for the last 17 of 22 evaluations",
        metrics=to_columns(rows, "hf", keep=["train_loss", "val_loss", "val_rmse", "lr"]),
        params={
            "optimizer": "adamw_torch",
            "learning_rate": 0.01,
            "lr_scheduler_type": "constant",
            "per_device_train_batch_size": 16,
            "num_train_epochs": 30,
        },
        expect=codes("plateau"),
        forbid=codes(
            "nan_loss exploding_loss vanishing_gradients suspicious_validation "
            "loss_not_decreasing insufficient_training learning_rate_too_low"
        ),
        targets=codes("lr_schedule learning_rate"),
        note="Hugging Face Trainer style (loss every 25 steps, eval every 100) for a small "
        "regression MLP with Adam at a constant lr=0.01. After ~500 steps eval_loss stops "
        "improving and wanders in 0.016-0.026 for the remaining ~1700 steps. params.yaml uses "
        "Trainer argument names (learning_rate is the recognised key).",
    )


# --- overtraining ----------------------------------------------------------------------------


@case("overtraining_1")
def overtraining_1() -> Case:
    x, y = make_classification(
        n_samples=1500, n_features=30, n_informative=10, flip_y=0.05, random_state=25
    )
    xtr, ytr, xv, yv = split(x, y, 0.3, 25)
    xtr, xv = standardize(xtr, xv)
    net = Net([30, 64, 2], np.random.default_rng(25))
    rows = fit(
        net,
        cross_entropy,
        (xtr, ytr, xv, yv),
        opt="adam",
        lr=1e-3,
        epochs=120,
        batch=32,
        seed=25,
        decay=1e-3,
    )
    vloss = col(rows, "val_loss")
    best = int(np.argmin(vloss))
    require(best < 60 and 1.1 < vloss[-1] / vloss.min() < 1.5, "mild rise after an early best")
    return Case(
        symptom=f"best val loss at epoch {best}, then 120 epochs in all with a mild rise",
        metrics=clf_columns(rows, "lightning", opt="Adam"),
        params={
            "optimizer": "Adam",
            "learning_rate": 1e-3,
            "batch_size": 32,
            "max_epochs": 120,
            "weight_decay": 1e-3,
        },
        expect=codes("overtraining"),
        forbid=codes(
            "nan_loss exploding_loss loss_not_decreasing underfitting suspicious_validation "
            "vanishing_gradients insufficient_training"
        ),
        targets=codes("early_stopping epochs"),
        note="Small MLP with light weight decay on a 5%-label-noise problem, 120 epochs "
        "without early stopping. val loss is best around epoch 40 and then creeps up ~20% "
        "while train loss keeps falling (so overfitting is also true, mildly).",
    )


@case("overtraining_2")
def overtraining_2() -> Case:
    data = load_breast_cancer()
    xtr, ytr, xv, yv = split(data.data, data.target, 0.3, 23)
    xtr, xv = standardize(xtr, xv)
    est = MLPClassifier(
        hidden_layer_sizes=(64,),
        learning_rate_init=1e-3,
        alpha=1e-4,
        batch_size=32,
        random_state=23,
    )
    rows = fit_sklearn(
        est, (xtr, ytr, xv, yv), epochs=250, seed=23, lr=lambda e: e.learning_rate_init
    )
    vloss = col(rows, "val_loss")
    best = int(np.argmin(vloss))
    require(best < 125 and vloss[-1] > 1.2 * vloss.min(), "rise after an early best")
    return Case(
        symptom=f"best val loss at epoch {best} of 250; val accuracy flat at 0.988 since ~20",
        metrics=clf_columns(rows, "canonical"),
        params={
            "model_name": "MLPClassifier(64)",
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "batch_size": 32,
            "epochs": 250,
            "weight_decay": 1e-4,
        },
        expect=codes("overtraining"),
        forbid=codes(
            "nan_loss exploding_loss loss_not_decreasing underfitting vanishing_gradients "
            "insufficient_training unstable_training"
        ),
        targets=codes("early_stopping epochs"),
        note="scikit-learn MLPClassifier on breast cancer, one partial_fit pass per epoch for "
        "250 epochs. val accuracy stops changing around epoch 20, val loss is lowest near "
        "epoch 80 and is ~45% higher at the end while train loss keeps falling (mild "
        "overfitting too).",
    )


# --- suspicious_validation -------------------------------------------------------------------


@case("suspicious_validation_1")
def suspicious_validation_1() -> Case:
    x, y = make_classification(
        n_samples=2000, n_features=20, n_informative=10, flip_y=0.1, random_state=26
    )
    xtr, ytr, _, _ = split(x, y, 0.2, 26)
    (xtr,) = standardize(xtr)
    idx = np.random.default_rng(26).choice(len(xtr), 300, replace=False)
    net = Net([20, 256, 256, 2], np.random.default_rng(26))
    rows = fit(
        net,
        cross_entropy,
        (xtr, ytr, xtr[idx], ytr[idx]),
        opt="adam",
        lr=1e-3,
        epochs=13,
        batch=32,
        seed=26,
    )
    acc, vacc = col(rows, "train_acc"), col(rows, "val_acc")
    require(bool(np.all(vacc >= acc)) and vacc[-1] > 0.99, "val above train, near perfect")
    return Case(
        symptom="val accuracy above train accuracy at every epoch, 0.99-1.0 from epoch 8",
        metrics=clf_columns(rows, "keras"),
        params={
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "batch_size": 32,
            "epochs": 13,
            "validation": "random 300 rows of the training set",
        },
        expect=codes("suspicious_validation"),
        forbid=codes(
            "nan_loss exploding_loss loss_not_decreasing underfitting vanishing_gradients "
            "overfitting"
        ),
        targets=codes("data_split"),
        note="The 'validation' set is 300 rows sampled from the 1600 training rows (a split "
        "bug). With 10% flipped labels an honest held-out set stays below ~0.9 accuracy, but "
        "this one is memorised along with the training set: val loss 25-40% below train loss "
        "and val accuracy 0.99-1.0 (train metrics are Keras-style running means over the "
        "epoch, which lag the end-of-epoch validation).",
    )


@case("suspicious_validation_2")
def suspicious_validation_2() -> Case:
    data = digits_data(27)
    net = Net([64, 256, 256, 10], np.random.default_rng(27))
    rows = fit(
        net, cross_entropy, data, opt="adam", lr=1e-3, epochs=30, batch=64, seed=27, drop=0.6
    )
    loss, vloss = col(rows, "train_loss"), col(rows, "val_loss")
    require(bool(np.all(vloss[3:] < 0.6 * loss[3:])), "val clearly better")
    return Case(
        symptom="val loss 2-3x lower than train loss and val accuracy 4-5 points higher",
        metrics=clf_columns(rows, "canonical"),
        params={
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "batch_size": 64,
            "epochs": 30,
            "dropout_rate": 0.6,
        },
        expect=codes("suspicious_validation"),
        forbid=codes(
            "nan_loss exploding_loss loss_not_decreasing overfitting vanishing_gradients "
            "exploding_gradients"
        ),
        targets=codes("regularization"),
        note="Digits MLP with dropout 0.6 on both hidden layers. Dropout is active when the "
        "train metrics are computed and off at validation, so validation looks much better "
        "than training all run long. Not leakage, but 'validation better than training by a "
        "margin' is what the curves show; the fix is less dropout.",
    )


# --- learning_rate_too_high ------------------------------------------------------------------


@case("learning_rate_too_high_1")
def learning_rate_too_high_1() -> Case:
    data = digits_data(28)
    net = Net([64, 64, 10], np.random.default_rng(28))
    rows = fit(net, cross_entropy, data, opt="sgd", lr=1.5, epochs=20, batch=32, seed=28)
    return Case(
        symptom="loss rises from 1.5 to ~1e4 with wild val loss spikes",
        metrics=clf_columns(rows, "keras"),
        params={"optimizer": "SGD", "lr": 1.5, "batch_size": 32, "epochs": 20},
        expect=codes("learning_rate_too_high"),
        expect_any=codes("exploding_loss unstable_training"),
        forbid=codes(
            "loss_not_decreasing vanishing_gradients learning_rate_too_low slow_convergence"
        ),
        targets=codes("learning_rate"),
        note="Digits MLP, plain SGD at lr=1.5 (0.1 works). The loss never settles: it climbs "
        "by orders of magnitude with large swings, val accuracy jumps between 0.42 and 0.96.",
    )


@case("learning_rate_too_high_2")
def learning_rate_too_high_2() -> Case:
    data = digits_data(28)
    net = Net([64, 64, 10], np.random.default_rng(28))
    rows = fit(
        net,
        cross_entropy,
        data,
        opt="adam",
        lr=0.1,
        epochs=20,
        batch=32,
        seed=28,
        log_steps=15,
        val_steps=0,
    )
    return Case(
        symptom="loss oscillates between ~0.1 and 8 for 20 epochs; eval loss 3-10",
        metrics=to_columns(rows, "hf", keep=["train_loss", "val_loss", "val_acc", "lr"]),
        params={
            "optimizer": "adamw_torch",
            "learning_rate": 0.1,
            "num_train_epochs": 20,
            "per_device_train_batch_size": 32,
        },
        expect=codes("learning_rate_too_high"),
        expect_any=codes("unstable_training exploding_loss"),
        forbid=codes("vanishing_gradients learning_rate_too_low suspicious_validation nan_loss"),
        targets=codes("learning_rate"),
        note="Digits MLP, Adam at lr=0.1 (100x the usual 1e-3), logged every 15 steps and "
        "evaluated every epoch (Hugging Face names). The step losses bounce around ~1 with "
        "spikes, eval_loss is far above what the model reaches at 1e-3 (~0.1) and rises.",
    )


# --- learning_rate_too_low -------------------------------------------------------------------


@case("learning_rate_too_low_1")
def learning_rate_too_low_1() -> Case:
    data = digits_data(28)
    net = Net([64, 64, 10], np.random.default_rng(28))
    rows = fit(net, cross_entropy, data, opt="adam", lr=1e-6, epochs=20, batch=32, seed=28)
    return Case(
        symptom="loss 2.99 -> 2.95 in 20 epochs, accuracy ~0.06",
        metrics=clf_columns(rows, "canonical"),
        params={"optimizer": "adam", "learning_rate": 1e-6, "batch_size": 32, "epochs": 20},
        expect=codes("learning_rate_too_low"),
        expect_any=codes("loss_not_decreasing slow_convergence"),
        forbid=codes(
            "exploding_loss nan_loss overfitting unstable_training learning_rate_too_high "
            "suspicious_validation exploding_gradients"
        ),
        targets=codes("learning_rate"),
        note="Digits MLP with Adam at lr=1e-6 (1e-3 reaches 0.97 in a few epochs): the loss "
        "moves 1% in 20 epochs. Both 'not decreasing' and 'slow' describe it.",
    )


@case("learning_rate_too_low_2")
def learning_rate_too_low_2() -> Case:
    x, y = make_classification(n_samples=3000, n_features=20, n_informative=8, random_state=29)
    xtr, ytr, xv, yv = split(x, y, 0.2, 29)
    xtr, xv = standardize(xtr, xv)
    est = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=1e-5, random_state=29)
    rows = fit_sklearn(est, (xtr, ytr, xv, yv), epochs=30, seed=29, lr=lambda e: e.eta0)
    return Case(
        symptom="loss 0.689 -> 0.605 in 30 epochs, a straight slow line",
        metrics=clf_columns(rows, "lightning", opt="SGD"),
        params={
            "model_name": "SGDClassifier(log_loss)",
            "optimizer": "sgd",
            "learning_rate": 1e-5,
            "scheduler": "constant",
            "max_epochs": 30,
        },
        expect=codes("learning_rate_too_low"),
        expect_any=codes("slow_convergence loss_not_decreasing"),
        forbid=codes(
            "exploding_loss nan_loss overfitting unstable_training learning_rate_too_high "
            "suspicious_validation"
        ),
        targets=codes("learning_rate"),
        note="Logistic regression by per-sample SGD with a constant eta0=1e-5 (sklearn's "
        "default schedule starts near 1e-2). Weights start at 0, so the loss starts at "
        "ln(2) and falls ~0.5% per epoch; val accuracy is stuck near 0.77 (0.85+ reachable).",
    )


# --- insufficient_training -------------------------------------------------------------------


@case("insufficient_training_1")
def insufficient_training_1() -> Case:
    data = digits_data(30)
    net = Net([64, 64, 10], np.random.default_rng(30))
    rows = fit(net, cross_entropy, data, opt="sgd", lr=0.01, epochs=4, batch=32, seed=30)
    return Case(
        symptom="4 epochs; loss still falling ~20% per epoch when training stops",
        metrics=clf_columns(rows, "keras"),
        params={"optimizer": "SGD", "lr": 0.01, "batch_size": 32, "epochs": 4},
        expect=codes("insufficient_training"),
        forbid=codes(
            "exploding_loss nan_loss overfitting unstable_training "
            "plateau overtraining learning_rate_too_high"
        ),
        targets=codes("epochs"),
        note="Digits MLP with plain SGD at lr=0.01 stopped after 4 epochs: loss 2.4 -> 1.0 "
        "and val accuracy 0.33 -> 0.77, both still improving fast. Train metrics are running "
        "means over each epoch, so val is ahead of train at every epoch.",
    )


@case("insufficient_training_2")
def insufficient_training_2() -> Case:
    data = load_breast_cancer()
    xtr, ytr, xv, yv = split(data.data, data.target, 0.2, 31)
    xtr, xv = standardize(xtr, xv)
    net = Net([30, 32, 2], np.random.default_rng(31))
    rows = fit(
        net,
        cross_entropy,
        (xtr, ytr, xv, yv),
        opt="adam",
        lr=2e-4,
        epochs=3,
        batch=8,
        seed=31,
        log_steps=10,
    )
    return Case(
        symptom="3 epochs, noisy step losses, eval loss 0.84 -> 0.48 and still dropping",
        metrics=to_columns(
            rows, "hf", keep=["train_loss", "val_loss", "val_acc", "lr", "grad_norm"]
        ),
        params={
            "optimizer": "adamw_torch",
            "learning_rate": 2e-4,
            "num_train_epochs": 3,
            "per_device_train_batch_size": 8,
        },
        expect=codes("insufficient_training"),
        forbid=codes(
            "exploding_loss nan_loss overfitting suspicious_validation plateau overtraining "
            "exploding_gradients vanishing_gradients"
        ),
        targets=codes("epochs"),
        note="Breast-cancer MLP, Adam at 2e-4, batch 8, only 3 epochs (171 steps), logged "
        "every 10 steps and evaluated at each epoch end (Hugging Face names). eval_accuracy "
        "0.54 -> 0.81 with the same model reaching ~0.97 after 30 epochs.",
    )


# --- data codes ------------------------------------------------------------------------------

TRAINING_WRONG = [
    "nan_loss",
    "exploding_loss",
    "exploding_gradients",
    "vanishing_gradients",
    "suspicious_validation",
]


def sensor_names(n: int) -> list[str]:
    return [f"sensor_{i:02d}" for i in range(n)]


def not_these(*codes: str, among: Sequence[str] = DATA_CODES) -> list[str]:
    return [c for c in among if c not in codes]


@case("class_imbalance_1")
def class_imbalance_1() -> Case:
    x, y = make_classification(
        n_samples=4000,
        n_features=12,
        n_informative=6,
        weights=[0.95, 0.05],
        flip_y=0.01,
        random_state=40,
    )
    xtr, ytr, xv, yv = split(x, y, 0.2, 40)
    xtr, xv = standardize(xtr, xv)
    net = Net([12, 32, 2], np.random.default_rng(40))
    rows = fit(
        net, cross_entropy, (xtr, ytr, xv, yv), opt="adam", lr=1e-3, epochs=30, batch=64, seed=40
    )
    names = sensor_names(12)
    return Case(
        symptom="95/5 class split; accuracy 0.97 against a 0.945 majority baseline",
        metrics=clf_columns(rows, "canonical"),
        params={
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "batch_size": 64,
            "epochs": 30,
            "loss_function": "cross_entropy",
        },
        dataset=metadata("fraud_flags", ytr, yv, ["legit", "fraud"], num_features=12),
        statistics=feature_statistics(xtr, xv, names),
        expect=codes("class_imbalance"),
        forbid=[
            *TRAINING_WRONG,
            "loss_not_decreasing",
            "unstable_training",
            *not_these("class_imbalance"),
        ],
        targets=codes("class_balance"),
        note="make_classification with weights [0.95, 0.05]: 3026 vs 174 training samples "
        "(ratio ~17). A plain cross-entropy MLP trains smoothly to 0.97 accuracy, barely "
        "above always answering 'legit'. statistics.json holds the standardised inputs.",
    )


@case("small_dataset_1")
def small_dataset_1() -> Case:
    x, y = digits()
    xtr, ytr, xv, yv = split(x, y, 0.5, 41)
    keep = np.concatenate([np.flatnonzero(ytr == c)[:4] for c in range(10)])
    xtr, ytr, xv, yv = xtr[keep], ytr[keep], xv[:400], yv[:400]
    xtr, xv = standardize(xtr, xv)
    net = Net([64, 64, 10], np.random.default_rng(41))
    rows = fit(
        net,
        cross_entropy,
        (xtr, ytr, xv, yv),
        opt="adam",
        lr=1e-3,
        epochs=60,
        batch=8,
        seed=41,
        decay=1e-3,
    )
    return Case(
        symptom="40 training images for 10 classes; train accuracy 1.0, val 0.73",
        metrics=clf_columns(rows, "keras"),
        params={
            "optimizer": "adam",
            "lr": 1e-3,
            "batch_size": 8,
            "epochs": 60,
            "weight_decay": 1e-3,
        },
        dataset=metadata(
            "digits_4_per_class",
            ytr,
            yv,
            [str(c) for c in range(10)],
            image_size=[8, 8],
            color_mode="grayscale",
        ),
        expect=codes("small_dataset"),
        forbid=[*TRAINING_WRONG, "loss_not_decreasing", *not_these("small_dataset")],
        targets=codes("data_collection data_augmentation"),
        note="Digits with 4 training images per class (40 in all), 400 validation images. "
        "Train accuracy reaches 1.0 by epoch 18 while val accuracy levels off at ~0.73; "
        "val loss keeps falling slowly (weight decay), but the train/val gap is large, so "
        "overfitting is not forbidden.",
    )


@case("small_validation_split_1")
def small_validation_split_1() -> Case:
    x, y = digits()
    xtr, ytr, xv, yv = split(x, y, 0.02, 42)
    xtr, xv = standardize(xtr, xv)
    net = Net([64, 64, 10], np.random.default_rng(42))
    rows = fit(
        net, cross_entropy, (xtr, ytr, xv, yv), opt="adam", lr=1e-3, epochs=25, batch=32, seed=42
    )
    return Case(
        symptom="36 validation images (2%); val accuracy moves in steps of 1/36",
        metrics=clf_columns(rows, "lightning", opt="Adam"),
        params={
            "optimizer": "Adam",
            "learning_rate": 1e-3,
            "batch_size": 32,
            "max_epochs": 25,
            "val_split": 0.02,
        },
        dataset=metadata(
            "digits",
            ytr,
            yv,
            [str(c) for c in range(10)],
            image_size=[8, 8],
            color_mode="grayscale",
        ),
        expect=codes("small_validation_split"),
        forbid=[
            *TRAINING_WRONG,
            "loss_not_decreasing",
            "overfitting",
            "underfitting",
            *not_these("small_validation_split"),
        ],
        targets=codes("data_split"),
        note="Digits with a 2% validation split: 1761 training and 36 validation images. "
        "Training itself is healthy (val accuracy 0.97), but one image is 2.8 points of "
        "accuracy, so the validation numbers cannot separate close models.",
    )


@case("unnormalized_inputs_1")
def unnormalized_inputs_1() -> Case:
    rng = np.random.default_rng(43)
    x, y = make_classification(n_samples=3000, n_features=12, n_informative=6, random_state=43)
    x = rng.uniform(800, 1500, 12) + rng.uniform(60, 200, 12) * x  # raw sensor units
    xtr, ytr, xv, yv = split(x, y, 0.2, 43)
    net = Net([12, 32, 2], np.random.default_rng(43))
    rows = fit(
        net, cross_entropy, (xtr, ytr, xv, yv), opt="adam", lr=1e-3, epochs=30, batch=32, seed=43
    )
    names = sensor_names(12)
    return Case(
        symptom="inputs with means ~1e3 and stds ~1e2 fed raw; loss starts at ~200 and "
        "accuracy swings 0.54-0.87",
        metrics=clf_columns(rows, "canonical"),
        params={
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "batch_size": 32,
            "epochs": 30,
            "preprocessing": "none",
        },
        dataset=metadata("turbine_sensors_raw", ytr, yv, ["normal", "fault"], num_features=12),
        statistics=feature_statistics(xtr, xv, names),
        expect=codes("unnormalized_inputs"),
        forbid=["nan_loss", "vanishing_gradients", *not_these("unnormalized_inputs")],
        targets=codes("normalization data_preprocessing"),
        note="Binary problem whose 12 features are raw sensor readings (offsets 800-1500, "
        "scales 60-200) fed to an MLP without standardisation; statistics.json is computed "
        "from those raw arrays. With Adam at 1e-3 the first-epoch loss is ~200 and training "
        "stays jumpy (val accuracy 0.54-0.87); unstable_training is also visible. The train "
        "metrics are running means over each epoch, which include the spikes, so val looks "
        "better than train for most epochs: suspicious_validation is not forbidden.",
    )


@case("train_test_shift_1")
def train_test_shift_1() -> Case:
    x, y = make_classification(n_samples=3000, n_features=12, n_informative=6, random_state=44)
    xtr, ytr, xv, yv = split(x, y, 0.25, 44)
    xtr, xv = standardize(xtr, xv)
    xv = xv.copy()
    xv[:, :4] += 1.5  # the test site's sensors read 1.5 std higher
    net = Net([12, 32, 2], np.random.default_rng(44))
    rows = fit(
        net, cross_entropy, (xtr, ytr, xv, yv), opt="adam", lr=1e-3, epochs=30, batch=32, seed=44
    )
    names = sensor_names(12)
    return Case(
        symptom="4 of 12 features 1.5 std higher in test; val accuracy 0.88 vs train 0.93",
        metrics=clf_columns(rows, "keras"),
        params={"optimizer": "adam", "learning_rate": 1e-3, "batch_size": 32, "epochs": 30},
        dataset=metadata(
            "two_site_sensors",
            ytr,
            yv,
            ["normal", "fault"],
            num_features=12,
            num_test_samples=len(yv),
        ),
        statistics=feature_statistics(xtr, xv, names),
        expect=codes("train_test_shift"),
        forbid=[
            *TRAINING_WRONG,
            "loss_not_decreasing",
            "overfitting",
            *not_these("train_test_shift"),
        ],
        targets=codes("data_preprocessing data_collection"),
        note="Standardised tabular data; the validation/test rows come from a second site "
        "whose first four sensors read 1.5 standard deviations higher (statistics.json: "
        "test_mean ~1.5 vs train_mean 0 for sensor_00..03). Training is smooth, val loss "
        "stays ~0.12 above train loss without growing apart.",
    )


# --- deepchecks codes ------------------------------------------------------------------------

DIGIT_NAMES = [str(c) for c in range(10)]


def train_digits(
    xtr: Array, ytr: Array, xte: Array, yte: Array, seed: int, epochs: int = 20
) -> tuple[Rows, Net, list[Array]]:
    """A well-tuned digits MLP on standardised pixels; returns rows, the net and the inputs."""
    str_, ste = standardize(xtr, xte)
    net = Net([64, 64, 10], np.random.default_rng(seed))
    rows = fit(
        net,
        cross_entropy,
        (str_, ytr, ste, yte),
        opt="adam",
        lr=1e-3,
        epochs=epochs,
        batch=32,
        seed=seed,
    )
    return rows, net, [str_, ste]


def predict(net: Net, x: Array) -> Array:
    out, _ = net.forward(x)
    return out.argmax(1)


def value_of(check: dict[str, Any]) -> Any:
    return json.loads(check["json_result"])["value"]


def status_of(check: dict[str, Any]) -> list[str]:
    return [c["Status"] for c in json.loads(check["json_result"])["conditions_results"]]


DC_FORBID_TRAINING = [
    "nan_loss",
    "exploding_loss",
    "loss_not_decreasing",
    "vanishing_gradients",
    "exploding_gradients",
    "learning_rate_too_low",
]


@case("label_drift_1")
def label_drift_1() -> Case:
    x, y = digits()
    xtr, ytr, xte, yte = split(x, y, 0.4, 50)
    weight = np.array([8, 8, 1, 1, 1, 1, 1, 1, 1, 1], float)[yte]
    idx = np.random.default_rng(50).choice(len(yte), 300, replace=False, p=weight / weight.sum())
    xte, yte = xte[idx], yte[idx]
    rows, _, _ = train_digits(xtr, ytr, xte, yte, 50)
    drift = check_label_drift(ytr, yte)
    checks = [drift, check_property_drift(xtr, xte), check_new_labels(ytr, yte)]
    require(status_of(drift) == ["FAIL"] and status_of(checks[1]) == ["PASS"], "label only")
    return Case(
        symptom=f"test set is 45% zeros and ones; Label Drift Cramer's V "
        f"{value_of(drift)['Drift score']:.2f} (FAIL)",
        metrics=clf_columns(rows, "keras"),
        dataset=metadata(
            "digits", ytr, yte, DIGIT_NAMES, image_size=[8, 8], color_mode="grayscale"
        ),
        deepchecks=deepchecks("digits", {"train_test_validation": checks}),
        expect=codes("label_drift"),
        forbid=[*DC_FORBID_TRAINING, "data_drift", "new_labels", "class_imbalance"],
        targets=codes("data_split data_collection"),
        note="Digits; the 300-image test set was drawn with classes 0 and 1 eight times as "
        "likely as the others (a collection that over-sampled two classes). Label Drift is the "
        "bias-corrected Cramer's V of the split x label table; Image Property Drift (KS on "
        "brightness and RMS contrast) stays low, so data_drift is forbidden. The training set "
        "itself is balanced.",
    )


@case("data_drift_1")
def data_drift_1() -> Case:
    x, y = make_classification(n_samples=3000, n_features=10, n_informative=6, random_state=51)
    xtr, ytr, xte, yte = split(x, y, 0.3, 51)
    xtr, xte = standardize(xtr, xte)
    xte = xte.copy()
    xte[:, [1, 4, 7]] += 1.5  # recalibrated sensors at deployment
    xte[:, 9] *= 2.0
    net = Net([10, 32, 2], np.random.default_rng(51))
    rows = fit(
        net, cross_entropy, (xtr, ytr, xte, yte), opt="adam", lr=1e-3, epochs=25, batch=32, seed=51
    )
    names = sensor_names(10)
    feature = check_feature_drift(xtr, xte, names, importance_of(xtr, ytr))
    checks = [feature, check_label_drift(ytr, yte)]
    drifted = [k for k, v in value_of(feature).items() if v["Drift score"] >= 0.2]
    require(len(drifted) >= 3 and status_of(checks[1]) == ["PASS"], "feature drift only")
    return Case(
        symptom=f"Feature Drift FAIL on {', '.join(drifted)}; labels unchanged",
        metrics=clf_columns(rows, "canonical"),
        deepchecks=deepchecks("plant_sensors", {"train_test_validation": checks}),
        expect=codes("data_drift"),
        forbid=[*DC_FORBID_TRAINING, "label_drift", "new_labels"],
        targets=codes("data_collection data_preprocessing"),
        note="Tabular sensor data; in the test split three sensors read 1.5 std higher and one "
        "has twice the spread (recalibration at deployment). Feature Drift uses deepchecks' "
        "Earth Mover's Distance on values scaled to [0, 1] after dropping the outer 2.5% "
        "quantiles; 'Importance' is |corr(feature, label)| normalised (a stand-in for "
        "permutation importance). Label drift is near 0. The val curve (on the drifted test "
        "split) sits below train.",
    )


@case("new_labels_1")
def new_labels_1() -> Case:
    x, y = digits()
    xtr, ytr, xte, yte = split(x, y, 0.3, 52)
    seen = ytr != 9  # the training export dropped every '9'
    xtr, ytr = xtr[seen], ytr[seen]
    rows, _, _ = train_digits(xtr, ytr, xte, yte, 52)
    checks = [check_new_labels(ytr, yte), check_label_drift(ytr, yte)]
    new = value_of(checks[0])["new_labels"]
    return Case(
        symptom=f"test has {new['9']} images of class 9, which training never saw; val "
        "accuracy capped near 0.9",
        metrics=clf_columns(rows, "lightning", opt="Adam"),
        dataset=metadata(
            "digits_export", ytr, yte, DIGIT_NAMES[:9], image_size=[8, 8], color_mode="grayscale"
        ),
        deepchecks=deepchecks("digits_export", {"train_test_validation": checks}),
        expect=codes("new_labels"),
        forbid=[*DC_FORBID_TRAINING, "data_drift", "class_imbalance"],
        targets=codes("data_split labels"),
        note="Digits where the training export lost every '9' while the test split kept them "
        "(10% of it). New Labels FAILs; Label Drift (Cramer's V ~0.2) fails as a consequence "
        "and is not forbidden. The model has 10 outputs but never sees a 9, so val accuracy "
        "cannot pass ~0.9.",
    )


@case("outliers_1")
def outliers_1() -> Case:
    x, y = digits()
    xtr, ytr, xte, yte = split(x, y, 0.25, 53)
    rng = np.random.default_rng(53)
    bad = rng.choice(len(xtr), 40, replace=False)
    xtr = xtr.copy()
    xtr[bad] = np.clip(16 - xtr[bad] + rng.normal(0, 1, (40, 64)), 0, 16)  # inverted scans
    rows, _, _ = train_digits(xtr, ytr, xte, yte, 53)
    outl = check_property_outliers(xtr)
    found = set(value_of(outl)["Brightness"]["indices"])
    require(len(found & set(bad.tolist())) >= 35, "injected images flagged")
    checks = [outl, check_property_drift(xtr, xte), check_label_drift(ytr, yte)]
    return Case(
        symptom=f"{len(found)} training images outside the brightness IQR fences (40 are "
        "inverted scans)",
        metrics=clf_columns(rows, "canonical"),
        dataset=metadata(
            "digits_scans", ytr, yte, DIGIT_NAMES, image_size=[8, 8], color_mode="grayscale"
        ),
        deepchecks=deepchecks(
            "digits_scans", {"data_integrity": checks[:1], "train_test_validation": checks[1:]}
        ),
        expect=codes("outliers"),
        forbid=[*DC_FORBID_TRAINING, "label_drift", "data_drift", "new_labels"],
        targets=codes("data_preprocessing"),
        note="Digits training set with 40 of 1347 images replaced by inverted, noisy scans "
        "(3%). Image Property Outliers uses interquartile-range fences (25/75 percentiles, "
        "scale 1.5) per property, as deepchecks does; the inverted scans dominate the "
        "Brightness and RMS Contrast outliers. At 3% they barely move the train-vs-test "
        "property distributions (Image Property Drift passes), so data_drift is forbidden.",
    )


@case("weak_class_1")
def weak_class_1() -> Case:
    centers = np.array([[0, 0], [4, 0], [0, 4], [1.6, 1.6]])
    x, y = make_blobs(
        n_samples=3000, centers=centers, cluster_std=[1.0, 1.0, 1.0, 1.3], random_state=54
    )
    noise = np.random.default_rng(54).normal(size=(len(x), 6))
    x = np.hstack([x, noise])
    xtr, ytr, xte, yte = split(x, y, 0.3, 54)
    xtr, xte = standardize(xtr, xte)
    net = Net([8, 32, 4], np.random.default_rng(54))
    rows = fit(
        net, cross_entropy, (xtr, ytr, xte, yte), opt="adam", lr=1e-3, epochs=30, batch=32, seed=54
    )
    names = ["pump", "valve", "motor", "mixed_load"]
    perf = check_class_performance(predict(net, xtr), ytr, predict(net, xte), yte, names)
    require("FAIL" in status_of(perf), "one class far below")
    recall = {
        r["Class"]: r["Value"]
        for r in value_of(perf)
        if r["Dataset"] == "Test" and r["Metric"] == "Recall"
    }
    return Case(
        symptom="test recall " + ", ".join(f"{k} {v:.2f}" for k, v in recall.items()),
        metrics=clf_columns(rows, "keras"),
        dataset=metadata("load_signatures", ytr, yte, names, num_features=8),
        deepchecks=deepchecks("load_signatures", {"model_evaluation": [perf]}),
        expect=codes("weak_class"),
        forbid=[*DC_FORBID_TRAINING, "class_imbalance", "label_drift", "new_labels"],
        targets=codes("data_collection architecture class_balance"),
        note="Four balanced classes in 2 informative + 6 noise features; the fourth class "
        "('mixed_load') sits between the others with a wider spread, so it overlaps all of "
        "them. Class Performance (precision/recall per class and split, from the trained "
        "MLP's predictions) fails the 30% relative-recall-difference condition for it.",
    )


@case("shortcut_feature_1")
def shortcut_feature_1() -> Case:
    x, y = digits()
    x = x + 2.0 * y[:, None]  # each class scanned in its own session: background level 2k
    xtr, ytr, xte, yte = split(x, y, 0.25, 55)
    rows, _, _ = train_digits(xtr, ytr, xte, yte, 55)
    corr = check_property_label_correlation(image_properties(xtr), ytr)
    require(value_of(corr)["Brightness"] >= 0.8, "brightness predicts the label")
    checks = [corr, check_property_drift(xtr, xte), check_label_drift(ytr, yte)]
    return Case(
        symptom=f"Brightness alone predicts the class (PPS {value_of(corr)['Brightness']:.2f})",
        metrics=clf_columns(rows, "canonical"),
        dataset=metadata(
            "digits_sessions", ytr, yte, DIGIT_NAMES, image_size=[8, 8], color_mode="grayscale"
        ),
        deepchecks=deepchecks(
            "digits_sessions", {"data_integrity": checks[:1], "train_test_validation": checks[1:]}
        ),
        expect=codes("shortcut_feature"),
        forbid=[*DC_FORBID_TRAINING, "label_drift", "data_drift", "new_labels"],
        targets=codes("data_collection data_preprocessing"),
        note="Digits where every class was scanned in its own session with a different "
        "background level: every pixel of class k is raised by 2k, so image brightness encodes "
        "the label and the split is random (same shortcut in test; no drift). Property Label "
        "Correlation is a single-feature predictive power score computed here: 4-fold "
        "cross-validated accuracy of a decision tree on the property, scaled above "
        "the majority-class baseline (a stand-in for deepchecks' ppscore). Val accuracy is "
        "very high, so suspicious_validation is not forbidden.",
    )


@case("label_quality_1")
def label_quality_1() -> Case:
    x, y = make_classification(n_samples=2000, n_features=10, n_informative=6, random_state=56)
    x = np.round(x, 3)
    rng = np.random.default_rng(56)
    dup = rng.choice(len(x), 200, replace=False)
    x = np.vstack([x, x[dup]])
    y = np.concatenate([y, 1 - y[dup]])  # second annotator disagreed on every re-labelled row
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    xtr, ytr, xte, yte = split(x, y, 0.2, 56)
    checks = [check_duplicates(xtr), check_conflicting_labels(xtr, ytr)]
    str_, ste = standardize(xtr, xte)
    net = Net([10, 64, 2], np.random.default_rng(56))
    rows = fit(
        net, cross_entropy, (str_, ytr, ste, yte), opt="adam", lr=1e-3, epochs=30, batch=32, seed=56
    )
    share = value_of(checks[1])["percent_of_conflicting_samples"]
    require(share > 0.05, "conflicts found")
    return Case(
        symptom=f"{value_of(checks[0]):.1%} duplicate rows, {share:.1%} of training samples "
        "in groups with conflicting labels",
        metrics=clf_columns(rows, "keras"),
        dataset=metadata(
            "support_tickets", ytr, yte, ["no_escalation", "escalation"], num_features=10
        ),
        deepchecks=deepchecks("support_tickets", {"data_integrity": checks}),
        expect=codes("label_quality"),
        forbid=[
            *DC_FORBID_TRAINING,
            "class_imbalance",
            "small_dataset",
            "label_drift",
            "data_drift",
            "new_labels",
        ],
        targets=codes("labels"),
        note="Tabular data where 200 rows were annotated twice and the second label disagrees "
        "(merged without deduplication). Data Duplicates counts repeated feature rows; "
        "Conflicting Labels lists groups of identical feature rows with more than one label "
        "(only the first 50 groups are kept in samples_indices). The conflicts cap train "
        "accuracy below ~0.92.",
    )


# --- healthy runs ----------------------------------------------------------------------------

NOT_APPLICABLE = DATA_CODES + DEEPCHECKS_CODES
HEALTHY_ALL = HEALTHY_FORBID + NOT_APPLICABLE


def channel_statistics(xtr: Array, xte: Array) -> dict[str, Any]:
    """One grayscale channel: mean and std over all pixels of each split."""
    return {
        "train_mean": [_round(xtr.mean())],
        "train_std": [_round(xtr.std())],
        "test_mean": [_round(xte.mean())],
        "test_std": [_round(xte.std())],
    }


@case("healthy_1")
def healthy_1() -> Case:
    x, y = digits()
    xtr, ytr, xte, yte = split(x, y, 0.2, 60)
    rows, net, (str_, ste) = train_digits(xtr, ytr, xte, yte, 60, epochs=30)
    checks = [
        check_label_drift(ytr, yte),
        check_property_drift(xtr, xte),
        check_new_labels(ytr, yte),
    ]
    integrity = [check_property_label_correlation(image_properties(xtr), ytr)]
    perf = [check_class_performance(predict(net, str_), ytr, predict(net, ste), yte, DIGIT_NAMES)]
    require(all(s == "PASS" for c in checks + integrity + perf for s in status_of(c)), "clean")
    return Case(
        symptom="none: digits MLP, val accuracy 0.97, all data checks pass",
        metrics=clf_columns(rows, "canonical"),
        params={
            "model_name": "mlp_64_64_10",
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "batch_size": 32,
            "epochs": 30,
            "loss_function": "cross_entropy",
        },
        dataset=metadata(
            "digits", ytr, yte, DIGIT_NAMES, image_size=[8, 8], color_mode="grayscale"
        ),
        statistics=channel_statistics(str_, ste),
        deepchecks=deepchecks(
            "digits",
            {
                "train_test_validation": checks,
                "data_integrity": integrity,
                "model_evaluation": perf,
            },
        ),
        forbid=HEALTHY_ALL,
        note="A well-tuned classifier with every artifact: digits (1437 train / 360 val, "
        "balanced), standardised pixels (statistics.json: one grayscale channel, computed "
        "after standardisation), Adam 1e-3 for 30 epochs. Loss and val loss fall and level "
        "off; val loss stays within ~10% of its minimum. Deepchecks results are computed "
        "from the same split and all pass.",
    )


@case("healthy_2")
def healthy_2() -> Case:
    x, y = make_regression(
        n_samples=3000, n_features=12, n_informative=8, noise=20, random_state=61
    )
    x = np.hstack([x, np.sin(2 * x[:, :2])])
    y = y + 40 * np.sin(2 * x[:, 0])
    xtr, xv, ytr, yv = train_test_split(x, y, test_size=0.2, random_state=61)
    xtr, xv = standardize(xtr, xv)
    net = Net([14, 64, 64, 1], np.random.default_rng(61))
    rows = fit(
        net, mse, (xtr, ytr, xv, yv), opt="adam", lr=3e-3, epochs=40, batch=64, seed=61, task="reg"
    )
    return Case(
        symptom="none: regression MLP, MSE 2.5e4 -> ~4.8e2 (noise floor 4e2)",
        metrics=reg_columns(rows, "keras"),
        params={
            "optimizer": "Adam",
            "lr": 3e-3,
            "batch_size": 64,
            "epochs": 40,
            "loss_function": "mse",
        },
        forbid=HEALTHY_ALL,
        note="A well-tuned regressor on raw-scale targets (std ~170), so the loss is in the "
        "1e2-1e4 range: MSE falls from ~2.5e4 to ~4.8e2, close to the noise variance (400), "
        "and val levels off with train slightly below it.",
    )


@case("healthy_3")
def healthy_3() -> Case:
    data = load_breast_cancer()
    xtr, ytr, xv, yv = split(data.data, data.target, 0.25, 62)
    xtr, xv = standardize(xtr, xv)
    net = Net([30, 32, 2], np.random.default_rng(62))
    rows = fit(
        net,
        cross_entropy,
        (xtr, ytr, xv, yv),
        opt="momentum",
        lr=0.01,
        epochs=50,
        batch=32,
        seed=62,
        val_every=5,
        decay=1e-3,
    )
    return Case(
        symptom="none: validation every 5 epochs, val accuracy ~0.97",
        metrics=clf_columns(rows, "canonical"),
        params={
            "optimizer": "sgd_momentum",
            "learning_rate": 0.01,
            "batch_size": 32,
            "epochs": 50,
            "weight_decay": 1e-3,
            "check_val_every_n_epoch": 5,
        },
        forbid=HEALTHY_ALL,
        note="Breast-cancer MLP, momentum SGD with light weight decay, 50 epochs; val metrics "
        "are logged only every 5th epoch (empty cells in between).",
    )


@case("healthy_4")
def healthy_4() -> Case:
    data = digits_data(63)
    net = Net([64, 128, 10], np.random.default_rng(63))
    rows = fit(
        net,
        cross_entropy,
        data,
        opt="momentum",
        lr=0.01,
        epochs=10,
        batch=16,
        seed=63,
        log_steps=1,
        decay=1e-3,
    )
    return Case(
        symptom="none: per-step losses of batch 16 (noisy), val loss per epoch falling",
        metrics=to_columns(
            rows, "canonical", keep=["train_loss", "val_loss", "val_acc", "lr", "grad_norm"]
        ),
        params={
            "optimizer": "sgd_momentum",
            "learning_rate": 0.01,
            "batch_size": 16,
            "epochs": 10,
            "weight_decay": 1e-3,
        },
        forbid=HEALTHY_ALL,
        note="Digits MLP logged at every step: each train_loss is one batch of 16, so it "
        "jumps around (per-batch noise, not instability) while the trend falls; val metrics "
        "at each epoch end fall steadily to val accuracy ~0.97. grad_norm is per step.",
    )


@case("healthy_5")
def healthy_5() -> Case:
    x, y = make_classification(
        n_samples=4000,
        n_features=20,
        n_informative=10,
        n_classes=4,
        n_clusters_per_class=2,
        class_sep=1.5,
        random_state=64,
    )
    xtr, ytr, xv, yv = split(x, y, 0.2, 64)
    xtr, xv = standardize(xtr, xv)
    epochs, per_epoch = 40, math.ceil(len(xtr) / 64)

    def cosine(step: int) -> float:
        return 0.5 * 3e-3 * (1 + math.cos(math.pi * step / (epochs * per_epoch)))

    net = Net([20, 128, 4], np.random.default_rng(64))
    rows = fit(
        net,
        cross_entropy,
        (xtr, ytr, xv, yv),
        opt="adam",
        lr=cosine,
        epochs=epochs,
        batch=64,
        seed=64,
        decay=3e-3,
    )
    return Case(
        symptom="none: Lightning names, cosine schedule, val accuracy ~0.9",
        metrics=clf_columns(rows, "lightning", opt="Adam"),
        params={
            "optimizer": "Adam",
            "learning_rate": 3e-3,
            "scheduler": "CosineAnnealingLR",
            "max_epochs": 40,
            "batch_size": 64,
            "weight_decay": 3e-3,
        },
        forbid=HEALTHY_ALL,
        note="4-class tabular problem, Adam with a cosine-annealed learning rate (lr-Adam "
        "column) and weight decay, logged with PyTorch Lightning names. Val loss levels off "
        "at ~0.33 as the learning rate anneals; the train/val gap stays constant.",
    )


@case("healthy_6")
def healthy_6() -> Case:
    x, y = make_classification(
        n_samples=5000, n_features=30, n_informative=12, n_classes=3, class_sep=1.2, random_state=65
    )
    xtr, ytr, xv, yv = split(x, y, 0.2, 65)
    xtr, xv = standardize(xtr, xv)
    epochs, per_epoch = 8, math.ceil(len(xtr) / 32)
    total, warm = epochs * per_epoch, per_epoch // 2

    def linear(step: int) -> float:
        return 1e-3 * (step / warm if step < warm else (total - step) / (total - warm))

    net = Net([30, 128, 3], np.random.default_rng(65))
    rows = fit(
        net,
        cross_entropy,
        (xtr, ytr, xv, yv),
        opt="adam",
        lr=linear,
        epochs=epochs,
        batch=32,
        seed=65,
        log_steps=20,
        val_steps=100,
        clip=1.0,
    )
    return Case(
        symptom="none: Hugging Face names, warm-up + linear decay, eval every 100 steps",
        metrics=to_columns(
            rows, "hf", keep=["train_loss", "val_loss", "val_acc", "lr", "grad_norm"]
        ),
        params={
            "optimizer": "adamw_torch",
            "learning_rate": 1e-3,
            "lr_scheduler_type": "linear",
            "warmup_steps": warm,
            "num_train_epochs": epochs,
            "per_device_train_batch_size": 32,
            "max_grad_norm": 1.0,
        },
        forbid=HEALTHY_ALL,
        note="3-class tabular problem trained the way the Hugging Face Trainer logs it: "
        "loss/grad_norm/learning_rate every 20 steps, eval_loss/eval_accuracy every 100 "
        "steps, fractional epochs, linear warm-up then linear decay to 0.",
    )


@case("healthy_7")
def healthy_7() -> Case:
    x, y = make_classification(
        n_samples=3000, n_features=10, n_informative=5, class_sep=1.5, flip_y=0.03, random_state=66
    )
    xtr, ytr, xv, yv = split(x, y, 0.2, 66)
    xtr, xv = standardize(xtr, xv)
    net = Net([10, 32, 2], np.random.default_rng(66))
    rows = fit(
        net,
        cross_entropy,
        (xtr, ytr, xv, yv),
        opt="adam",
        lr=1e-2,
        epochs=12,
        batch=32,
        seed=66,
        decay=1e-3,
    )
    return Case(
        symptom="none: 12 epochs, converged after ~4 and flat since at val accuracy ~0.95",
        metrics=clf_columns(rows, "keras"),
        params={
            "optimizer": "adam",
            "lr": 1e-2,
            "batch_size": 32,
            "epochs": 12,
            "weight_decay": 1e-3,
        },
        forbid=[*HEALTHY_ALL, "insufficient_training"],
        note="A short run that is done: small MLP, Adam at 1e-2, 3% flipped labels. Loss "
        "0.24 -> 0.15 with most of the gain in the first 4 epochs; val loss 0.18-0.19 and val "
        "accuracy 0.94-0.95 from epoch ~4 on, so 12 epochs are enough and "
        "insufficient_training is forbidden.",
    )


@case("healthy_8")
def healthy_8() -> Case:
    x, y = make_regression(
        n_samples=6000, n_features=8, n_informative=6, noise=1.0, random_state=67
    )
    y = 0.05 * (y - y.mean()) / y.std() + 0.02 * np.tanh(x[:, 0] * x[:, 1])
    xtr, xv, ytr, yv = train_test_split(x, y, test_size=0.2, random_state=67)
    xtr, xv = standardize(xtr, xv)
    epochs, per_epoch = 134, math.ceil(len(xtr) / 32)

    def step_decay(step: int) -> float:
        return 0.01 * 0.3 ** (step // (50 * per_epoch))

    net = Net([8, 32, 1], np.random.default_rng(67))
    rows = fit(
        net,
        mse,
        (xtr, ytr, xv, yv),
        opt="momentum",
        lr=step_decay,
        epochs=epochs,
        batch=32,
        seed=67,
        task="reg",
        log_steps=1,
        val_steps=500,
    )
    return Case(
        symptom="none: 20,100 steps logged one by one; val MSE 4.8e-4 -> 8e-5",
        metrics=to_columns(rows, "canonical", keep=["train_loss", "val_loss", "val_mae", "lr"]),
        params={
            "optimizer": "sgd_momentum",
            "learning_rate": 0.01,
            "scheduler": "step(50 epochs, gamma=0.3)",
            "batch_size": 32,
            "epochs": epochs,
        },
        forbid=HEALTHY_ALL,
        note="The long run: a small regression MLP on targets scaled to std ~0.05, so the "
        "loss lives around 1e-3..1e-5 after the first few hundred steps (the untrained net "
        "starts near 2). Every step is logged (per-batch noise), validation every 500 "
        "steps; the learning rate drops 0.3x every 50 epochs.",
    )


@case("healthy_9")
def healthy_9() -> Case:
    x, y = make_classification(
        n_samples=4000, n_features=8, n_informative=5, n_classes=3, class_sep=1.5, random_state=68
    )
    xtr, ytr, xte, yte = split(x, y, 0.25, 68)
    xtr, xte = standardize(xtr, xte)
    est = MLPClassifier(
        hidden_layer_sizes=(64,),
        learning_rate_init=1e-3,
        batch_size=64,
        alpha=1e-3,
        random_state=68,
    )
    rows = fit_sklearn(
        est, (xtr, ytr, xte, yte), epochs=40, seed=68, lr=lambda e: e.learning_rate_init
    )
    names = sensor_names(8)
    checks = [
        check_feature_drift(xtr, xte, names, importance_of(xtr, ytr)),
        check_label_drift(ytr, yte),
    ]
    integrity = [check_duplicates(xtr), check_conflicting_labels(xtr, ytr)]
    require(all(s == "PASS" for c in checks + integrity for s in status_of(c)), "clean")
    classes = ["low", "medium", "high"]
    return Case(
        symptom="none: accuracy logged in percent (0-100), val ~90%, clean tabular checks",
        metrics=clf_columns(rows, "keras", acc_scale=100.0),
        params={
            "model_name": "MLPClassifier(64)",
            "optimizer": "adam",
            "lr": 1e-3,
            "batch_size": 64,
            "epochs": 40,
        },
        dataset=metadata("grading", ytr, yte, classes, num_features=8),
        statistics=feature_statistics(xtr, xte, names),
        deepchecks=deepchecks(
            "grading", {"train_test_validation": checks, "data_integrity": integrity}
        ),
        forbid=HEALTHY_ALL,
        note="3-class tabular problem, scikit-learn MLPClassifier trained one pass per epoch; "
        "accuracy and val_accuracy are logged as percentages. Feature Drift (EMD), Label "
        "Drift (Cramer's V), Data Duplicates and Conflicting Labels are computed on the split "
        "and pass.",
    )


@case("healthy_10")
def healthy_10() -> Case:
    x, y = digits()
    xtr, ytr, xv, yv = split(x, y, 0.25, 69)
    xtr, xv = standardize(xtr, xv)
    est = MLPClassifier(
        hidden_layer_sizes=(64,),
        learning_rate_init=1e-3,
        batch_size=128,
        alpha=1e-3,
        random_state=69,
    )
    rows = fit_sklearn(
        est, (xtr, ytr, xv, yv), epochs=60, seed=69, lr=lambda e: e.learning_rate_init
    )
    return Case(
        symptom="none: scikit-learn MLP on digits, 60 epochs, val accuracy ~0.96",
        metrics=clf_columns(rows, "lightning", opt="Adam"),
        params={
            "model_name": "MLPClassifier(64)",
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "batch_size": 128,
            "max_epochs": 60,
            "weight_decay": 1e-3,
        },
        forbid=HEALTHY_ALL,
        note="scikit-learn MLPClassifier trained one partial_fit pass per epoch (11 Adam "
        "steps), metrics computed on the full splits after each pass.",
    )


# --------------------------------------------------------------------------------------------
# writing and summaries
# --------------------------------------------------------------------------------------------


def _finite(values: list[Any]) -> Array:
    return np.array([v for v in values if v is not None], dtype=float)


def describe(metrics: dict[str, list[Any]]) -> list[str]:
    """One line per metric: logged count, first, min (and where), max, last, last-third trend."""
    steps = metrics["step"]
    lines = []
    for name, values in metrics.items():
        if name in ("step", "epoch"):
            continue
        logged = [(s, v) for s, v in zip(steps, values, strict=True) if v is not None]
        arr = np.array([v for _, v in logged], dtype=float)
        bad = np.flatnonzero(~np.isfinite(arr))
        fin = np.where(np.isfinite(arr), arr, np.nan)
        if np.all(np.isnan(fin)):
            lines.append(f"  {name:28s} n={len(arr)} all non-finite")
            continue
        imin, imax = int(np.nanargmin(fin)), int(np.nanargmax(fin))
        third = fin[2 * len(fin) // 3 :]
        third = third[np.isfinite(third)]
        trend = (third[-1] - third[0]) / (abs(third[0]) + 1e-12) if len(third) > 1 else 0.0
        wiggle = np.nanmean(np.abs(np.diff(fin))) / (np.nanmean(np.abs(fin)) + 1e-12)
        lines.append(
            f"  {name:28s} n={len(arr):5d} first={arr[0]:.4g} min={fin[imin]:.4g}@{logged[imin][0]}"
            f" max={fin[imax]:.4g}@{logged[imax][0]} last={arr[-1]:.4g}"
            f" last3rd={trend:+.1%} wiggle={wiggle:.3f}"
            + (f" nonfinite={len(bad)} from step {logged[bad[0]][0]}" if len(bad) else "")
        )
    return lines


def healthy_warnings(metrics: dict[str, list[Any]]) -> list[str]:
    """The checks a healthy label needs: no NaN, loss falls, val loss ends near its minimum."""
    out = []
    for name, values in metrics.items():
        arr = _finite(values)
        if name in ("step", "epoch") or not len(arr):
            continue
        if not np.all(np.isfinite(arr)):
            out.append(f"{name} has non-finite values")
        if name in ("loss", "train_loss", "eval_loss", "val_loss"):
            head = arr[: max(1, len(arr) // 20)].mean()
            tail = arr[-max(1, len(arr) // 20) :].mean()
            if not tail <= 0.75 * head:
                out.append(f"{name} falls less than 25% ({head:.4g} -> {tail:.4g})")
        if name in ("val_loss", "eval_loss"):
            last = arr[2 * len(arr) // 3 :]
            if last.max() > 1.1 * arr.min() and last[-1] > 1.1 * arr.min():
                out.append(
                    f"{name} ends >10% above its minimum ({arr.min():.4g} -> {last[-1]:.4g})"
                )
    losses = [_finite(metrics[k]) for k in ("train_loss", "loss") if k in metrics]
    vals = [_finite(metrics[k]) for k in ("val_loss", "eval_loss") if k in metrics]
    if losses and vals and len(losses[0]) == len(vals[0]):
        half = len(vals[0]) // 2
        if np.mean(vals[0][half:]) < 0.9 * np.mean(losses[0][half:]):
            out.append("val loss below train loss in the second half")
    for name in ("val_accuracy", "val_acc", "eval_accuracy"):
        if name in metrics and _finite(metrics[name]).max() >= (
            99.0 if _finite(metrics[name]).max() > 1.5 else 0.99
        ):
            out.append(f"{name} near-perfect")
    return out


def check_label(name: str, c: Case) -> None:
    """Codes and targets come from CONTRACT.md section 3; nothing is expected and forbidden."""
    codes = {*c.expect, *c.expect_any, *c.forbid}
    if unknown := codes - set(ALL_CODES):
        raise ValueError(f"{name}: unknown codes {sorted(unknown)}")
    if unknown := set(c.targets) - TARGETS:
        raise ValueError(f"{name}: unknown targets {sorted(unknown)}")
    if overlap := set(c.expect) & set(c.expect_any):
        raise ValueError(f"{name}: {sorted(overlap)} both in expect and expect_any")
    if clash := ({*c.expect, *c.expect_any} & set(c.forbid)):
        raise ValueError(f"{name}: expected and forbidden {sorted(clash)}")
    if not name.startswith("healthy") and not (c.expect or c.expect_any):
        raise ValueError(f"{name}: a buggy case expects nothing")


def write_case(name: str, c: Case) -> None:
    from deepfix_notebook.artifacts import write_run

    root = CASES_DIR / name
    shutil.rmtree(root, ignore_errors=True)
    write_run(
        root,
        metrics=c.metrics,
        params=c.params,
        dataset=c.dataset,
        statistics=c.statistics,
        deepchecks=c.deepchecks,
    )
    expected: dict[str, Any] = {
        "source": f"tests/eval/make_cases.py {name}",
        "symptom": c.symptom,
        "targets": c.targets,
        "expect": c.expect,
        "expect_any": c.expect_any,
        "forbid": c.forbid,
        "note": c.note,
    }
    text = yaml.safe_dump(expected, sort_keys=False, width=100, allow_unicode=True)
    (root / "expected.yaml").write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="cases to (re)generate; default: all")
    parser.add_argument("--inspect", action="store_true", help="print a summary of every curve")
    parser.add_argument("--dry-run", action="store_true", help="train and check, write nothing")
    args = parser.parse_args(argv)
    if unknown := [n for n in args.names if n not in CASES]:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    names = args.names or sorted(CASES, key=_order)
    if not args.names and not args.dry_run:
        shutil.rmtree(CASES_DIR, ignore_errors=True)
    started = time.perf_counter()
    table = []
    with threadpool_limits(1), np.errstate(all="ignore"):
        for name in names:
            tic = time.perf_counter()
            c = CASES[name]()
            check_label(name, c)
            if not args.dry_run:
                write_case(name, c)
            rows = len(c.metrics["step"])
            cols = [k for k in c.metrics if k not in ("step", "epoch")]
            table.append(
                (
                    name,
                    rows,
                    cols,
                    c.expect + [f"any:{'|'.join(c.expect_any)}"] * bool(c.expect_any),
                    c.forbid,
                )
            )
            if args.inspect:
                print(
                    f"{name}  ({time.perf_counter() - tic:.2f}s)  expect={c.expect} "
                    f"any={c.expect_any}"
                )
                print("\n".join(describe(c.metrics)))
                if name.startswith("healthy"):
                    for warning in healthy_warnings(c.metrics):
                        print(f"  !! {warning}")
    print(f"\n{'case':28s} {'rows':>6s}  {'metrics':48s} expect / forbid")
    for name, rows, cols, expect, forbid in table:
        print(
            f"{name:28s} {rows:6d}  {','.join(cols)[:48]:48s} {','.join(expect) or '-'}"
            f" / {len(forbid)} codes: {','.join(forbid)[:60]}"
        )
    size = (
        sum(p.stat().st_size for p in CASES_DIR.rglob("*") if p.is_file())
        if CASES_DIR.exists()
        else 0
    )
    print(
        f"\n{len(table)} cases in {time.perf_counter() - started:.1f}s, {size / 1e6:.2f} MB "
        f"under {CASES_DIR}"
    )
    return 0


def _order(name: str) -> tuple[int, str, int]:
    code, _, n = name.rpartition("_")
    rank = ALL_CODES.index(code) if code in ALL_CODES else len(ALL_CODES)
    return rank, code, int(n)


if __name__ == "__main__":
    sys.exit(main())
