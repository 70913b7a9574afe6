"""Metric-name normalisation: Keras, Lightning, Hugging Face and canonical names mean the same.

``canonical_name("val_acc")`` is ``"val_accuracy"``; names we do not recognise map to ``None`` and
are kept under their own name. ``ALIAS_RANK`` orders the spellings of one canonical name so that a
tie between two columns resolves the same way every time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CANONICAL_METRICS: tuple[str, ...] = (
    "train_loss",
    "val_loss",
    "test_loss",
    "train_accuracy",
    "val_accuracy",
    "test_accuracy",
    "train_mae",
    "val_mae",
    "train_mse",
    "val_mse",
    "train_rmse",
    "val_rmse",
    "train_f1",
    "val_f1",
    "train_auc",
    "val_auc",
    "learning_rate",
    "grad_norm",
)

# Split prefixes (Keras `val_`, Hugging Face `eval_`, Lightning `train_`/`valid_`, `train/` paths).
_SPLITS: dict[str, str] = {
    "train": "train",
    "training": "train",
    "tr": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "eval": "val",
    "dev": "val",
    "test": "test",
}
# Base metric spellings -> canonical base (Keras long names included).
_BASES: dict[str, str] = {
    "loss": "loss",
    "acc": "accuracy",
    "accuracy": "accuracy",
    "categorical_accuracy": "accuracy",
    "sparse_categorical_accuracy": "accuracy",
    "binary_accuracy": "accuracy",
    "top1": "accuracy",
    "mae": "mae",
    "mean_absolute_error": "mae",
    "mse": "mse",
    "mean_squared_error": "mse",
    "rmse": "rmse",
    "root_mean_squared_error": "rmse",
    "f1": "f1",
    "f1_score": "f1",
    "auc": "auc",
    "auroc": "auc",
    "roc_auc": "auc",
}
_BASES_WITH_SPLIT = {"loss", "accuracy", "mae", "mse", "rmse", "f1", "auc"}
_LEARNING_RATE = {"lr", "learning_rate", "learningrate"}
_GRAD_NORM = {
    "grad_norm",
    "gradient_norm",
    "grad_norm_total",
    "grad_2_0_norm_total",  # Lightning's grad_norm(): `grad_2.0_norm_total`
    "grad_norm_2_0_norm_total",
    "global_grad_norm",
}
# Lightning suffixes for step- and epoch-level aggregates of one metric.
_AGGREGATE_SUFFIX = re.compile(r"_(epoch|step)$")
# Lightning's LearningRateMonitor: `lr-Adam`, `lr-SGD/pg1`, `lr-AdamW-momentum` (not a rate).
_LR_MONITOR = re.compile(r"^lr-[A-Za-z0-9_]+(/pg\d+)?$")
_SEPARATORS = re.compile(r"[/\-.: ]+")


def _key(name: str) -> str:
    return _SEPARATORS.sub("_", name.strip().lower()).strip("_")


def canonical_name(name: str) -> str | None:
    """The canonical metric name that ``name`` stands for, or ``None`` when unknown."""
    if _LR_MONITOR.match(name.strip()):
        return "learning_rate"
    key = _key(name)
    if key in _LEARNING_RATE:
        return "learning_rate"
    if key in _GRAD_NORM:
        return "grad_norm"
    key = _AGGREGATE_SUFFIX.sub("", key)
    if key in _LEARNING_RATE:
        return "learning_rate"
    if key in _GRAD_NORM:
        return "grad_norm"
    split, _, rest = key.partition("_")
    if split in _SPLITS and rest in _BASES:
        base = _BASES[rest]
        return f"{_SPLITS[split]}_{base}" if base in _BASES_WITH_SPLIT else None
    if key in _BASES:  # Keras and Hugging Face log the training metric without a prefix.
        return f"train_{_BASES[key]}"
    return None


def alias_rank(name: str) -> int:
    """Lower is preferred among spellings of one canonical name: exact, plain, epoch, step."""
    key = _key(name)
    canonical = canonical_name(name)
    if key == canonical:
        return 0
    if key.endswith("_epoch"):
        return 2
    if key.endswith("_step"):
        return 3
    return 1


def is_axis(name: str) -> str | None:
    """``"step"`` or ``"epoch"`` when ``name`` is an index column, else ``None``."""
    key = _key(name)
    if key in {"step", "global_step", "iteration", "iter"}:
        return "step"
    if key == "epoch":
        return "epoch"
    return None


def choose_sources(candidates: Iterable[tuple[str, int]]) -> str:
    """The column to use for one canonical name, given ``(source name, logged count)`` pairs.

    The column logged most often wins (Hugging Face logs `train_loss` once, `loss` per step);
    ties go to the better-ranked spelling, then to the name, so the choice is deterministic.
    """
    return min(candidates, key=lambda item: (-item[1], alias_rank(item[0]), item[0]))[0]
