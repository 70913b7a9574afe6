"""Metric-name normalisation: every integration's name for one metric means the same thing.

``canonical_name("val_acc")`` is ``"val_accuracy"``; names we do not recognise map to ``None`` and
are kept under their own name. `canonical_names` names a run's metrics together, which eval sets
need: xgboost's ``validation_0-`` is the training set when ``validation_1-`` is there too (see
`canonical_names`). `higher_is_better` is the one place that says which way a metric improves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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
    "train_error",
    "val_error",
    "train_precision",
    "val_precision",
    "train_recall",
    "val_recall",
    "train_r2",
    "val_r2",
    "learning_rate",
    "grad_norm",
)

# Split words (Keras `val_`, Hugging Face `eval_`, scikit-learn `training_`, xgboost
# `validation_0-`, LightGBM `valid_1-`/`training-`, `train/` paths, TensorBoard's `Loss/train`).
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
# Metric words -> canonical base (Keras, scikit-learn, xgboost and LightGBM spellings included).
_BASES: dict[str, str] = {
    "loss": "loss",
    "logloss": "loss",
    "log_loss": "loss",
    "mlogloss": "loss",
    "binary_logloss": "loss",
    "multi_logloss": "loss",
    "cross_entropy": "loss",
    "acc": "accuracy",
    "accuracy": "accuracy",
    "accuracy_score": "accuracy",
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
    "roc_auc_score": "auc",
    "error": "error",
    "binary_error": "error",
    "multi_error": "error",
    "merror": "error",
    "precision": "precision",
    "precision_score": "precision",
    "recall": "recall",
    "recall_score": "recall",
    "r2": "r2",
    "r2_score": "r2",
}
# LightGBM's short names, recognised only after a split or eval set (`valid_0-l2`): a bare `l2`
# may be anything.
_PREFIXED_BASES: dict[str, str] = {"l1": "mae", "l2": "mse"}
# Lower-is-better bases that stand in for a loss when a run logged none, best first.
LOSS_STAND_INS: tuple[str, ...] = ("rmse", "mse", "mae", "error")
_LOWER_BASES = {"loss", "error", "mae", "mse", "rmse"}
_HIGHER_BASES = {"accuracy", "f1", "auc", "precision", "recall", "r2"}
# Words that decide the direction of a name we do not recognise; "lower" words are looked at first.
_LOWER_WORDS = {
    "loss", "error", "err", "rmse", "mse", "mae", "logloss", "mlogloss", "nll", "perplexity",
    "ppl", "rmsle", "mape", "deviance", "wer", "cer",
}  # fmt: skip
_HIGHER_WORDS = {
    "accuracy", "acc", "f1", "auc", "aucpr", "auroc", "precision", "recall", "score", "iou",
    "dice", "map", "ndcg", "r2", "bleu", "rouge", "top1", "top5",
}  # fmt: skip
_LEARNING_RATE = {"lr", "learning_rate", "learningrate"}
_GRAD_NORM = {
    "grad_norm",
    "gradient_norm",
    "grad_norm_total",
    "grad_2_0_norm_total",  # Lightning's grad_norm(): `grad_2.0_norm_total`
    "grad_norm_2_0_norm_total",
    "global_grad_norm",
}
# Lightning's `_epoch`/`_step` suffixes, TensorBoard's `epoch_`/`batch_` prefixes: 1 = epoch-level,
# 2 = step-level aggregate of one metric.
_AGGREGATE_SUFFIX = re.compile(r"_(epoch|step)$")
_AGGREGATE_PREFIX = re.compile(r"^(epoch|batch)_(?=.)")
# Lightning's LearningRateMonitor: `lr-Adam`, `lr-SGD/pg1`, `lr-AdamW-momentum` (not a rate).
_LR_MONITOR = re.compile(r"^lr-[A-Za-z0-9_]+(/pg\d+)?$")
# xgboost / LightGBM eval sets: `<set>[_<n>]-<metric>[@<param>]`, e.g. `validation_1-error@0.7`.
_EVAL_SET = re.compile(r"^(?P<set>[a-z]+)(?:_(?P<index>\d+))?-(?P<metric>[^@]+)(?:@.*)?$")
_PREFIX = re.compile(r"^(?P<split>[a-z]+?)(?:_(?P<index>\d+))?_(?P<rest>.+)$")
_SEPARATORS = re.compile(r"[/\-.: ]+")
_SYSTEM_PREFIX = "system/"  # MLflow's system metrics (CPU, GPU, memory): not training data


@dataclass(frozen=True, slots=True)
class _Name:
    """A parsed metric name."""

    split: str | None  # train, val, test; None when the name gives none (Keras' bare `loss`)
    base: str  # canonical base, e.g. "loss"
    word: str  # the metric word as logged, e.g. "logloss"
    index: int | None = None  # eval-set number: `validation_1-` -> 1
    eval_set: bool = False  # spelled `<set>-<metric>` (xgboost, LightGBM)
    aggregate: int = 0  # 0 plain, 1 epoch-level, 2 step-level


def _key(name: str) -> str:
    return _SEPARATORS.sub("_", name.strip().lower()).strip("_")


def _special(key: str) -> str | None:
    if key in _LEARNING_RATE:
        return "learning_rate"
    if key in _GRAD_NORM:
        return "grad_norm"
    return None


def _strip_aggregate(key: str) -> tuple[str, int]:
    suffix = _AGGREGATE_SUFFIX.search(key)
    if suffix:
        return key[: suffix.start()], 1 if suffix.group(1) == "epoch" else 2
    match = _AGGREGATE_PREFIX.match(key)
    if match:
        return key[match.end() :], 1 if match.group(1) == "epoch" else 2
    return key, 0


def _base(word: str, *, prefixed: bool) -> str | None:
    return _BASES.get(word) or (_PREFIXED_BASES.get(word) if prefixed else None)


def _parse(name: str) -> _Name | str | None:
    """A `_Name`, ``"learning_rate"``/``"grad_norm"``, or None when not recognised."""
    text = name.strip()
    if _LR_MONITOR.match(text):
        return "learning_rate"
    match = _EVAL_SET.match(text.lower())
    if match and match["set"] in _SPLITS:
        word = _key(match["metric"])
        base = _base(word, prefixed=True)
        if base is None:
            return _special(word)
        index = int(match["index"]) if match["index"] else None
        return _Name(_SPLITS[match["set"]], base, word, index, eval_set=True)
    key, aggregate = _strip_aggregate(_key(text))
    if special := _special(key):
        return special
    prefix = _PREFIX.match(key)
    if prefix and prefix["split"] in _SPLITS:
        rest, inner = _strip_aggregate(prefix["rest"])
        if special := _special(rest):
            return special
        base = _base(rest, prefixed=True)
        if base is not None:
            index = int(prefix["index"]) if prefix["index"] else None
            return _Name(_SPLITS[prefix["split"]], base, rest, index, aggregate=aggregate or inner)
    word, _, split = key.rpartition("_")  # TensorBoard tutorials: `Loss/train`, `Accuracy/val`
    if split in _SPLITS and (base := _base(word, prefixed=True)) is not None:
        return _Name(_SPLITS[split], base, word, aggregate=aggregate)
    base = _base(key, prefixed=False)
    return None if base is None else _Name(None, base, key, aggregate=aggregate)


def _compose(parsed: _Name | str | None, train_set: int | None = None) -> str | None:
    if parsed is None or isinstance(parsed, str):
        return parsed
    split = parsed.split or "train"  # Keras and Hugging Face log the training metric bare
    if parsed.eval_set and train_set is not None and parsed.index == train_set:
        split = "train"
    return f"{split}_{parsed.base}"


def canonical_name(name: str) -> str | None:
    """The canonical metric name that ``name`` stands for, or ``None`` when unknown.

    Alone, an indexed eval set (``validation_0-``, ``valid_0-``) is a validation set; see
    `canonical_names` for a run's names taken together.
    """
    return _compose(_parse(name))


def canonical_names(names: Iterable[str]) -> dict[str, str | None]:
    """`canonical_name` of each of a run's metric names, with eval sets read together.

    ``train``/``training`` sets are training data, every other set (``validation_N``,
    ``valid_N``, ``eval``, ``valid``) validation data, except that with two or more indexed
    sets and no ``train``/``training`` set the lowest index is the training set: xgboost's
    ``eval_set=[(X_train, y_train), (X_val, y_val)]`` logs ``validation_0-``/``validation_1-``
    (LightGBM names a set that *is* the training data ``training``). The first validation set
    wins a tie (`alias_rank`).
    """
    parsed = {name: _parse(name) for name in names}
    sets = [p for p in parsed.values() if isinstance(p, _Name) and p.eval_set]
    indexed = sorted({p.index for p in sets if p.index is not None and p.split == "val"})
    train_named = any(p.split == "train" for p in sets)
    train_set = indexed[0] if len(indexed) >= 2 and not train_named else None
    return {name: _compose(p, train_set) for name, p in parsed.items()}


def is_eval_set(name: str) -> bool:
    """Whether ``name`` is an xgboost/LightGBM eval-set metric (``validation_1-logloss``)."""
    parsed = _parse(name)
    return isinstance(parsed, _Name) and parsed.eval_set


def is_ignored(name: str) -> bool:
    """MLflow's system metrics (``system/cpu_utilization_percentage``): not read at all."""
    return name.strip().lower().startswith(_SYSTEM_PREFIX)


def higher_is_better(name: str) -> bool | None:
    """True for scores (accuracy, F1, AUC, precision, recall, R²), False for losses and errors
    (loss, logloss, error, RMSE, MAE), None when the name does not say (learning rate, ...)."""
    parsed = _parse(name)
    if isinstance(parsed, _Name):
        return parsed.base in _HIGHER_BASES
    if isinstance(parsed, str):
        return None
    words = set(_key(name).replace("@", "_").split("_"))
    if words & _LOWER_WORDS:
        return False
    if words & _HIGHER_WORDS:
        return True
    return None


def alias_rank(name: str) -> tuple[int, int, int, int]:
    """Lower is preferred among spellings of one canonical name: the canonical spelling itself;
    plain over epoch- over step-level aggregates; the canonical word (`loss` over `logloss`);
    the first eval set."""
    parsed = _parse(name)
    exact = 0 if _key(name) == canonical_name(name) else 1
    if not isinstance(parsed, _Name):
        return exact, 0, 0, 0
    spelled = 0 if parsed.word == parsed.base else 1
    return exact, parsed.aggregate, spelled, parsed.index or 0


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


def stand_in_loss(chosen: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """When a run logged no loss at all, its first lower-is-better metric is its loss.

    ``chosen`` maps source names to canonical names. With no ``*_loss``, the first base of
    `LOSS_STAND_INS` the training split has (else any split) is renamed to ``<split>_loss`` in
    every split: an xgboost regressor's ``validation_0-rmse``/``validation_1-rmse`` become
    ``train_loss``/``val_loss``. Returns the new mapping and a note saying so.
    """
    split_base = {source: canonical.partition("_")[::2] for source, canonical in chosen.items()}
    if any(base == "loss" for _, base in split_base.values()):
        return dict(chosen), []
    present = [b for b in LOSS_STAND_INS if ("train", b) in split_base.values()]
    present += [b for b in LOSS_STAND_INS if any(b == base for _, base in split_base.values())]
    if not present:
        return dict(chosen), []
    renamed = {
        source: f"{split}_loss"
        for source, (split, base) in split_base.items()
        if base == present[0] and split in {"train", "val", "test"}
    }
    base = present[0]
    shown = ", ".join(f"{renamed[s]} = '{s}'" for s in sorted(renamed, key=renamed.__getitem__))
    note = f"no loss was logged, so {base} (lower is better) stands in for it: {shown}"
    return {**chosen, **renamed}, [note]
