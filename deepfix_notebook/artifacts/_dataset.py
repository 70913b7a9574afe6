"""``dataset/metadata.yaml`` and ``statistics.json``: sizes, classes, derived imbalance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from deepfix_notebook.artifacts._errors import invalid

_REGRESSION = {"regression"}


class DatasetInfo(BaseModel):
    """What a run says about its data (CONTRACT.md §1). Unknown keys are kept in ``extra``."""

    model_config = ConfigDict(frozen=True)

    dataset_name: str = Field(min_length=1)
    num_train_samples: int | None = Field(default=None, gt=0)
    num_classes: int | None = Field(default=None, ge=2)
    num_val_samples: int | None = Field(default=None, ge=0)
    num_test_samples: int | None = Field(default=None, ge=0)
    class_names: list[str] | None = None
    class_counts: dict[str, int] | None = None
    imbalance_ratio: float | None = Field(default=None, ge=1)
    image_size: list[int] | int | None = None
    color_mode: str | None = None
    task_type: str | None = None
    statistics: dict[str, Any] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_regression(self) -> bool:
        return (self.task_type or "").lower() in _REGRESSION


def parse_dataset(
    mapping: Mapping[str, Any],
    statistics: Mapping[str, Any] | None,
    *,
    file: str,
    legacy: bool = False,
) -> tuple[DatasetInfo, list[str]]:
    """Check ``metadata.yaml``; derive ``imbalance_ratio`` from ``class_counts`` when absent.

    ``legacy`` reads the older ``dataset.yaml`` (a name and statistics), where sizes are optional.
    """
    data = dict(mapping)
    warnings: list[str] = []
    required = ["dataset_name"] if legacy else ["dataset_name", "num_train_samples"]
    if not legacy and str(data.get("task_type", "")).lower() not in _REGRESSION:
        required.append("num_classes")
    missing = [key for key in required if data.get(key) is None]
    if missing:
        raise invalid(
            f"{', '.join(missing)} missing; metadata.yaml needs dataset_name, num_train_samples "
            "and num_classes (not needed when task_type is regression).",
            file=file,
            field=missing[0],
        )
    known = set(DatasetInfo.model_fields) - {"statistics", "extra"}
    fields = {key: data[key] for key in known if key in data}
    counts = fields.get("class_counts")
    if isinstance(counts, list):
        names = fields.get("class_names")
        labels = names if isinstance(names, list) and len(names) == len(counts) else None
        fields["class_counts"] = {
            str(labels[i] if labels else i): count for i, count in enumerate(counts)
        }
    try:
        info = DatasetInfo(
            **fields,
            statistics=dict(statistics or data.get("statistics") or {}),
            extra={key: value for key, value in data.items() if key not in known},
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or None
        given = f" (got {error['input']!r})" if field and "input" in error else ""
        raise invalid(
            f"{field + ': ' if field else ''}{error['msg']}{given}.",
            file=file,
            field=field,
        ) from exc
    return _derive(info, warnings, file), warnings


def _derive(info: DatasetInfo, warnings: list[str], file: str) -> DatasetInfo:
    counts = info.class_counts or {}
    if counts and any(count < 0 for count in counts.values()):
        raise invalid("class_counts must not be negative.", file=file, field="class_counts")
    if info.num_classes is not None and counts and len(counts) != info.num_classes:
        warnings.append(
            f"{file}: num_classes is {info.num_classes} but class_counts has {len(counts)} classes."
        )
    if counts and sum(counts.values()) != info.num_train_samples:
        warnings.append(
            f"{file}: class_counts add up to {sum(counts.values())}, not num_train_samples "
            f"({info.num_train_samples}); they may count another split."
        )
    empty = [name for name, count in counts.items() if count == 0]
    if empty:
        warnings.append(f"{file}: class(es) {', '.join(empty)} have no training samples.")
    present = [count for count in counts.values() if count > 0]
    if info.imbalance_ratio is None and len(present) >= 2:
        ratio = max(present) / min(present)
        return info.model_copy(update={"imbalance_ratio": ratio})
    return info
