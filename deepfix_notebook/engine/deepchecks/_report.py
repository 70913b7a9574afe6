"""What the deepchecks rules share: the report they fill, their signature and small helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from deepfix_notebook.artifacts import CheckView, DatasetInfo
from deepfix_notebook.contract import Analysis, Severity
from deepfix_notebook.engine._thresholds import document

FAMILY = "deepchecks"


@dataclass
class Report:
    """What the agent tells besides findings: what was read, skipped, unknown or unreadable."""

    dataset: DatasetInfo | None
    checks: int = 0
    analysed: list[str] = field(default_factory=list)
    conditions_only: list[str] = field(default_factory=list)
    not_analysed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    unreadable: list[dict[str, str]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def outputs(self) -> dict[str, Any]:
        return {
            "checks": self.checks,
            "analysed": self.analysed,
            "conditions_only": self.conditions_only,
            "not_analysed": self.not_analysed,
            "unknown": {"count": len(self.unknown), "headers": self.unknown},
            "unreadable": self.unreadable,
            "failed_conditions": self.failed,
            "warned_conditions": self.warned,
            "notes": self.notes,
        }


# A rule judges one check's typed result (``view.result``, of the type its kind parses to).
Judge = Callable[[Any, CheckView, Report], list[Analysis]]


def rule(check: str, code: str, *, condition: str, severity: str, source: str) -> None:
    """Document one row of the Deepchecks table; the check it reads leads the condition."""
    document(
        code, family=FAMILY, condition=f"{check}: {condition}", severity=severity, source=source
    )


def split_size(split: str | None, dataset: DatasetInfo | None) -> tuple[int | None, str]:
    """How many samples the checked split has (train unless the header says test)."""
    if dataset is None:
        return None, "samples"
    if split == "test":
        return dataset.num_test_samples or None, "test samples"
    return dataset.num_train_samples, "training samples"


def worst(levels: Iterable[Severity]) -> Severity:
    return max(levels, key=lambda level: level.rank)


def by_method(method: str) -> str:
    """' (method)' after a score, or nothing when the method is unknown."""
    return f" ({method})" if method else ""
