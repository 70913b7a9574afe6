"""``params.yaml`` (or MLflow params): the recognised hyper-parameters, coerced to numbers."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from deepfix_notebook.artifacts._errors import invalid

# Recognised fields and the keys that spell them, best first. A key matches on its full dotted
# path or on its last segment, so `optimizer.lr`, `trainer.max_epochs` and Hugging Face's
# `per_device_train_batch_size` are found in nested or flattened params alike.
# Keras autolog logs the optimizer's config as `optimizer_<key>`, scikit-learn's MLP its rate as
# `learning_rate_init` (its `learning_rate` is a schedule name), xgboost's native API as `eta`.
ALIASES: dict[str, tuple[str, ...]] = {
    "model_name": ("model_name", "architecture", "model.name", "model.architecture", "model"),
    "optimizer": (
        "optimizer", "optimizer.name", "optimizer.type", "optimizer._target_", "optim",
        "optimizer_name", "opt_name",
    ),
    "learning_rate": (
        "learning_rate", "lr", "optimizer.lr", "optimizer.learning_rate", "base_lr",
        "optimizer_learning_rate", "opt_learning_rate", "learning_rate_init", "eta",
        "shrinkage_rate",
    ),
    "batch_size": ("batch_size", "per_device_train_batch_size", "train_batch_size"),
    "num_epochs": ("num_epochs", "epochs", "max_epochs", "num_train_epochs", "n_epochs"),
    "weight_decay": (
        "weight_decay", "optimizer.weight_decay", "l2", "l2_reg", "optimizer_weight_decay",
    ),
    "dropout_rate": ("dropout_rate", "dropout", "drop_rate"),
    "scheduler": ("scheduler", "lr_scheduler", "lr_scheduler_type", "scheduler.name"),
    "loss_function": ("loss_function", "loss", "criterion", "loss_fn"),
    "augmentation": ("augmentation", "augment", "data_augmentation"),
    "grad_clip": (
        "grad_clip", "gradient_clip_val", "max_grad_norm", "clip_grad_norm", "clipnorm",
        "optimizer_clipnorm", "optimizer_global_clipnorm",
    ),
    # Gradient boosting (xgboost/lightgbm autolog log `num_boost_round` for both their APIs).
    "boosting_rounds": (
        "num_boost_round", "n_estimators", "num_iterations", "num_round", "nrounds", "num_trees",
    ),
    "max_depth": ("max_depth",),
    "early_stopping_rounds": ("early_stopping_rounds", "early_stopping_round"),
}  # fmt: skip
# Params only tree ensembles log (networks have no rounds or leaves): boosted trees.
_BOOSTING_KEYS = {
    "booster", "boosting_type", "boosting", "num_leaves", "eta",
    "num_boost_round", "n_estimators", "num_iterations", "num_round", "nrounds",
}  # fmt: skip
# scikit-learn's `learning_rate` names a schedule; the rate itself is another parameter.
_SCHEDULES = {"constant", "optimal", "invscaling", "adaptive"}
_NUMERIC = {"learning_rate", "weight_decay", "dropout_rate", "grad_clip"}
_INTEGER = {"batch_size", "num_epochs", "boosting_rounds", "early_stopping_rounds"}
_NAMES = {"model_name", "optimizer", "scheduler", "loss_function"}


class TrainingParams(BaseModel):
    """Hyper-parameters of a run. Every field is optional; ``raw`` keeps all params, flattened."""

    model_config = ConfigDict(frozen=True)

    model_name: str | None = None
    optimizer: str | None = None
    learning_rate: float | None = Field(default=None, gt=0)
    batch_size: int | None = Field(default=None, gt=0)
    num_epochs: int | None = Field(default=None, ge=0)
    weight_decay: float | None = Field(default=None, ge=0)
    dropout_rate: float | None = Field(default=None, ge=0, le=1)
    scheduler: str | None = None
    loss_function: str | None = None
    augmentation: bool | str | list[Any] | None = None
    grad_clip: float | None = Field(default=None, ge=0)
    boosting_rounds: int | None = Field(default=None, gt=0)
    max_depth: int | None = Field(default=None, description="<= 0: no limit (LightGBM's -1)")
    early_stopping_rounds: int | None = Field(default=None, gt=0)
    raw: dict[str, Any] = Field(default_factory=dict)
    sources: dict[str, str] = Field(
        default_factory=dict, description="recognised field -> the params key it came from"
    )

    @property
    def is_boosting(self) -> bool:
        """Gradient-boosted trees (xgboost, LightGBM, ...): rounds, not epochs."""
        return any(key.lower().rsplit(".", 1)[-1] in _BOOSTING_KEYS for key in self.raw)


def coerce(value: Any) -> Any:
    """MLflow logs params as strings: turn numbers, booleans and nulls back into values."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    lowered = text.lower()
    if lowered in {"none", "null", "~"}:
        return None
    if lowered in {"true", "false"}:
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return value
    return number if math.isfinite(number) else value


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"optimizer": {"lr": 1e-3}}`` -> ``{"optimizer.lr": 1e-3}``; MLflow's ``/`` too."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        path = f"{prefix}{str(key).replace('/', '.')}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = coerce(value)
    return flat


def parse_params(mapping: Mapping[str, Any], *, file: str) -> tuple[TrainingParams, list[str]]:
    """Recognise and check the hyper-parameters in ``mapping`` (nested or flat)."""
    raw = flatten(mapping)
    warnings: list[str] = []
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, aliases in ALIASES.items():
        found = _lookup(raw, aliases, numeric=name == "learning_rate")
        if found is None:
            continue
        key, value = found
        if value is None:
            continue
        checked = _check(name, key, value, file, warnings)
        if checked is not None:
            values[name], sources[name] = checked, key
    return TrainingParams(**values, raw=raw, sources=sources), warnings


def _lookup(
    raw: Mapping[str, Any], aliases: tuple[str, ...], *, numeric: bool = False
) -> tuple[str, Any] | None:
    """The first key spelling a field with a value (``numeric``: the first that is not a
    scikit-learn schedule name, which leaves the field unset when no other key gives it)."""
    found = [item for item in _matches(raw, aliases) if item[1] is not None]
    if numeric:
        found = [item for item in found if str(item[1]).lower() not in _SCHEDULES]
    return found[0] if found else None


def _matches(raw: Mapping[str, Any], aliases: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    lowered = {key.lower(): key for key in raw}
    for alias in aliases:
        if alias in lowered:
            yield lowered[alias], raw[lowered[alias]]
    for alias in aliases:  # then on the last path segment, shallowest key first
        matches = sorted(
            (key for key in raw if key.lower().rsplit(".", 1)[-1] == alias),
            key=lambda key: (key.count("."), key),
        )
        for key in matches:
            yield key, raw[key]


def _check(name: str, key: str, value: Any, file: str, warnings: list[str]) -> Any:
    if name == "learning_rate":
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise invalid(
                f"learning_rate must be a number > 0, but '{key}' is {value!r}.",
                file=file,
                field=key,
                value=value,
            )
        return float(value)
    if name in _NUMERIC | _INTEGER:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
        if name in _INTEGER:
            ok = ok and float(value).is_integer() and (value > 0 or name == "num_epochs")
        if name == "dropout_rate":
            ok = ok and value <= 1
        if name == "grad_clip" and value is False:
            return None
        if not ok:
            warnings.append(f"{file}: '{key}' = {value!r} is not a valid {name}; ignored.")
            return None
        return int(value) if name in _INTEGER else float(value)
    if name in _NAMES:
        if not isinstance(value, str):
            warnings.append(f"{file}: '{key}' = {value!r} is not a {name} name; ignored.")
            return None
        return value.rsplit(".", 1)[-1] if name == "optimizer" else value
    if name == "max_depth":
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok:
            warnings.append(f"{file}: '{key}' = {value!r} is not a valid max_depth; ignored.")
        return value if ok else None
    return value
